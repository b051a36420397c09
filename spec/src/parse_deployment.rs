//! The `deployment` block: namespace, how many code versions to keep, and scaling
//! (`replicas`, or `autoscale: {min, max, cpu}` — one or the other).

use saphyr_parser::Span;

use crate::model::{Autoscale, Deployment};
use crate::yaml::{Node, Reader, Unknown};

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
    let mut extensions = crate::values::Extensions::new();
    r.finish(
        f,
        &["namespace", "keepVersions", "replicas", "autoscale"],
        "deployment",
        Some(&mut extensions),
        Unknown::Reject,
    );
    ok.then_some(Deployment {
        namespace,
        keep_versions,
        replicas,
        autoscale,
        extensions,
    })
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
