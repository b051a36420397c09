//! The `deployment` block: namespace, how many code versions to keep, scaling (`replicas`, or
//! `autoscale: {min, max, cpu}` — one or the other) and resources. The Kubernetes identity
//! (`serviceAccount`, `rbac`) is read by [`crate::parse_access`].

use saphyr_parser::Span;

use crate::deployment::{Amounts, Autoscale, CpuAmount, Deployment, PodMemory, Resources};
use crate::parse_access::{rbac, service_account};
use crate::yaml::{Fields, Node, Reader, Unknown};

/// Parses `deployment`; `None` after reporting an error.
pub(crate) fn deployment(r: &mut Reader<'_>, v: &Node<'_>, key: Span) -> Option<Deployment> {
    let mut f = r.fields(v, "deployment", key)?;
    let mut ok = true;
    let namespace = match f.value("namespace") {
        Some((n, _)) => match r.string(n, "namespace") {
            Some(s) if s.is_empty() => None,
            Some(s) if is_dns_label(&s) => Some(s),
            Some(s) => {
                r.error(
                    n.span,
                    "namespace-format",
                    format!("namespace \"{s}\" is not a valid Kubernetes namespace"),
                    Some("at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit".into()),
                );
                ok = false;
                None
            }
            None => {
                ok = false;
                None
            }
        },
        None => None,
    };
    let mut number = |r: &mut Reader<'_>, key: &str, min: u32, max: u32, ok: &mut bool| {
        let (n, _) = f.value(key)?;
        let got = r
            .integer(n, key, i64::from(min), i64::from(max))
            .and_then(|k| u32::try_from(k).ok());
        *ok &= got.is_some();
        got
    };
    let keep_versions = number(r, "keepVersions", 1, Deployment::MAX_KEEP_VERSIONS, &mut ok);
    let replicas = number(r, "replicas", 1, Deployment::MAX_REPLICAS, &mut ok);
    let autoscale = match f.value("autoscale") {
        Some((n, k)) => {
            let a = autoscale(r, n, k);
            ok &= a.is_some();
            a
        }
        None => None,
    };
    if let (Some(_), Some(_), Some((n, _))) = (replicas, &autoscale, f.value("replicas")) {
        r.error(
            n.span,
            "replicas-and-autoscale",
            "deployment has both `replicas` and `autoscale`: the autoscaler sets the replica count",
            Some("keep `autoscale` (its `min` is the floor) or `replicas`, not both".into()),
        );
        ok = false;
    }
    let resources = block(r, &mut f, "resources", resources, &mut ok);
    let written_account = f.has("serviceAccount");
    let service_account = block(r, &mut f, "serviceAccount", service_account, &mut ok);
    let rbac_span = f.value("rbac").map(|(_, k)| k);
    let rbac = block(r, &mut f, "rbac", rbac, &mut ok);
    if let (Some(span), false) = (rbac_span, written_account) {
        r.error(
            span,
            "rbac-needs-service-account",
            "deployment.rbac grants rules to the workflow's service account, and it has none",
            Some(
                "add `serviceAccount: {create: true}` (or `{name: <existing>}`) under deployment"
                    .into(),
            ),
        );
        ok = false;
    }
    let mut extensions = crate::values::Extensions::new();
    r.finish(
        f,
        &[
            "namespace",
            "keepVersions",
            "replicas",
            "autoscale",
            "resources",
            "serviceAccount",
            "rbac",
        ],
        "deployment",
        Some(&mut extensions),
        Unknown::Reject,
    );
    ok.then_some(Deployment {
        namespace,
        keep_versions,
        replicas,
        autoscale,
        resources,
        service_account,
        rbac,
        extensions,
    })
}

/// Reads the sub-block `key` with `parse`, if present; clears `ok` when it is wrong.
fn block<'n, 'a, T>(
    r: &mut Reader<'_>,
    f: &mut Fields<'n, 'a>,
    key: &str,
    parse: fn(&mut Reader<'_>, &Node<'_>, Span) -> Option<T>,
    ok: &mut bool,
) -> Option<T> {
    let (n, k) = f.value(key)?;
    let got = parse(r, n, k);
    *ok &= got.is_some();
    got
}

fn resources(r: &mut Reader<'_>, v: &Node<'_>, key: Span) -> Option<Resources> {
    let mut f = r.fields(v, "resources", key)?;
    let mut ok = true;
    let mut amounts = |r: &mut Reader<'_>, which: &str, ok: &mut bool| {
        let (n, k) = f.value(which)?;
        let got = amounts(r, n, k, which);
        *ok &= got.is_some();
        got.map(|a| (a, n.span))
    };
    let requests = amounts(r, "requests", &mut ok);
    let limits = amounts(r, "limits", &mut ok);
    r.finish(
        f,
        &["requests", "limits"],
        "resources",
        None,
        Unknown::Reject,
    );
    if let (Some((req, _)), Some((lim, span))) = (&requests, &limits) {
        let cpu = req.cpu.as_ref().zip(lim.cpu.as_ref());
        if let Some((q, l)) = cpu.filter(|(q, l)| q.millis() > l.millis()) {
            r.error(
                *span,
                "request-above-limit",
                format!(
                    "the CPU request ({}) is above the CPU limit ({})",
                    q.as_str(),
                    l.as_str()
                ),
                Some("Kubernetes refuses such a pod: raise the limit or lower the request".into()),
            );
            ok = false;
        }
        let memory = req.memory.as_ref().zip(lim.memory.as_ref());
        if let Some((q, l)) = memory.filter(|(q, l)| q.bytes() > l.bytes()) {
            r.error(
                *span,
                "request-above-limit",
                format!(
                    "the memory request ({}) is above the memory limit ({})",
                    q.as_str(),
                    l.as_str()
                ),
                Some("Kubernetes refuses such a pod: raise the limit or lower the request".into()),
            );
            ok = false;
        }
    }
    ok.then(|| Resources {
        requests: requests.map(|(a, _)| a),
        limits: limits.map(|(a, _)| a),
    })
}

fn amounts(r: &mut Reader<'_>, v: &Node<'_>, key: Span, what: &str) -> Option<Amounts> {
    let mut f = r.fields(v, what, key)?;
    let mut ok = true;
    let cpu = f.value("cpu").and_then(|(n, _)| {
        let got = r
            .scalar_text(n, "cpu")
            .and_then(|s| match CpuAmount::parse(&s) {
                Ok(c) => Some(c),
                Err(e) => {
                    r.error(n.span, "cpu-format", e, None);
                    None
                }
            });
        ok &= got.is_some();
        got
    });
    let memory = f.value("memory").and_then(|(n, _)| {
        let got = r
            .scalar_text(n, "memory")
            .and_then(|s| match PodMemory::parse(&s) {
                Ok(m) => Some(m),
                Err(e) => {
                    r.error(n.span, "memory-format", e, None);
                    None
                }
            });
        ok &= got.is_some();
        got
    });
    r.finish(f, &["cpu", "memory"], what, None, Unknown::Reject);
    ok.then_some(Amounts { cpu, memory })
}

fn autoscale(r: &mut Reader<'_>, v: &Node<'_>, key: Span) -> Option<Autoscale> {
    let mut f = r.fields(v, "autoscale", key)?;
    let max_replicas = i64::from(Deployment::MAX_REPLICAS);
    let mut get = |r: &mut Reader<'_>, key: &str, min: i64, max: i64| {
        f.value(key)
            .map(|(n, _)| (n.span, r.integer(n, key, min, max)))
    };
    let min = get(r, "min", 1, max_replicas);
    let max = get(r, "max", 1, max_replicas);
    let cpu = get(r, "cpu", 1, 100);
    r.finish(
        f,
        &["min", "max", "cpu"],
        "autoscale",
        None,
        Unknown::Reject,
    );
    let (Some((_, Some(min))), Some((max_span, Some(max)))) = (min, max) else {
        if min.is_none() || max.is_none() {
            r.error(
                key,
                "autoscale-bounds",
                "autoscale needs both `min` and `max` replicas",
                Some("e.g. `autoscale: {min: 2, max: 10, cpu: 70}`".into()),
            );
        }
        return None;
    };
    if max < min {
        r.error(
            max_span,
            "autoscale-bounds",
            format!("autoscale max ({max}) is below min ({min})"),
            None,
        );
        return None;
    }
    let cpu = match cpu {
        Some((_, Some(c))) => c,
        Some((_, None)) => return None,
        None => i64::from(Autoscale::DEFAULT_CPU_PERCENT),
    };
    Some(Autoscale {
        min: min as u32,
        max: max as u32,
        cpu: cpu as u32,
    })
}

/// A Kubernetes DNS-1123 label: what namespace names must be.
fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|c| matches!(c, b'a'..=b'z' | b'0'..=b'9' | b'-'))
        && !s.starts_with('-')
        && !s.ends_with('-')
}
