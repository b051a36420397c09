//! Lowering the `contract` block.

use indexmap::IndexMap;
use saphyr::{Scalar, YamlData};
use saphyr_parser::Span;

use crate::auth::AuthKind;
use crate::contract::{
    AdditionalEgress, Auth, Contract, Dependency, DependencyKind, NetworkPolicy, Protocol,
};
use crate::ids::{DependencyName, SecretRef};
use crate::net::{Cidr, PortRule};
use crate::values::Extensions;
use crate::yaml::{Fields, Node, Reader, Unknown, did_you_mean, is_null, unwrap_tag};

const CONTRACT_KEYS: [&str; 3] = ["version", "dependencies", "networkPolicy"];
const DEPENDENCY_KEYS: [&str; 12] = [
    "protocol",
    "host",
    "port",
    "database",
    "user",
    "subject",
    "container",
    "version",
    "type",
    "cidr",
    "dynPorts",
    "auth",
];

pub(crate) fn contract(r: &mut Reader<'_>, v: &Node<'_>, key: Span) -> Option<Contract> {
    let mut f = r.fields(v, "contract", key)?;
    let mut ok = true;
    let version = r
        .required(
            &mut f,
            "version",
            "contract",
            Some("write version: \"1\"".into()),
        )
        .and_then(|(n, _)| {
            let s = r.scalar_text(n, "contract version")?;
            if s == "1" {
                Some(s)
            } else {
                r.error(
                    n.span,
                    "contract-version",
                    format!("contract version \"{s}\" is not supported"),
                    Some("write version: \"1\" (the only contract version)".into()),
                );
                None
            }
        });
    let mut dependencies = IndexMap::new();
    if let Some((d, dkey)) = f.value("dependencies") {
        match r.fields(d, "dependencies", dkey) {
            Some(df) => {
                for (name, nspan, dv) in df.entries() {
                    let Some(name) = r.id(nspan, DependencyName::new(name), "dependency-name")
                    else {
                        ok = false;
                        continue;
                    };
                    r.spans.deps.insert(name.to_string(), nspan);
                    match dependency(r, dv, nspan, &name) {
                        Some(dep) => {
                            dependencies.insert(name, dep);
                        }
                        None => ok = false,
                    }
                }
            }
            None => ok = false,
        }
    }
    let network_policy = match f.value("networkPolicy") {
        Some((n, nkey)) => {
            let p = network_policy(r, n, nkey);
            ok &= p.is_some();
            p
        }
        None => None,
    };
    let mut extensions = Extensions::new();
    r.finish(
        f,
        &CONTRACT_KEYS,
        "contract",
        Some(&mut extensions),
        Unknown::KeepWithWarning,
    );
    let version = version?;
    ok.then_some(Contract {
        version,
        dependencies,
        network_policy,
        extensions,
    })
}

fn dependency(
    r: &mut Reader<'_>,
    v: &Node<'_>,
    key: Span,
    name: &DependencyName,
) -> Option<Dependency> {
    let what = format!("dependency \"{name}\"");
    if is_null(v) {
        r.error(
            key,
            "missing-key",
            format!("{what} is missing \"protocol\""),
            Some("e.g. protocol: https".into()),
        );
        return None;
    }
    let mut f = r.fields(v, &what, key)?;
    let mut ok = true;

    let protocol = dependency_protocol(r, &mut f, &what);
    let mut text = |r: &mut Reader<'_>, key: &str| -> Option<(String, Span)> {
        let (n, _) = f.value(key)?;
        match r.string(n, key) {
            Some(s) => Some((s, n.span)),
            None => {
                ok = false;
                None
            }
        }
    };
    let host = text(r, "host");
    let database = text(r, "database");
    let user = text(r, "user");
    let subject = text(r, "subject");
    let container = text(r, "container");
    let version = text(r, "version");
    let kind_text = text(r, "type");

    let port = f.value("port").and_then(|(p, _)| {
        let n = r.integer(p, "port", 1, 65535);
        ok &= n.is_some();
        n.and_then(|n| u16::try_from(n).ok())
    });
    let kind = match &kind_text {
        None => None,
        Some((t, span)) => {
            let k = dependency_kind(r, t, *span);
            ok &= k.is_some();
            k
        }
    };
    let cidr = f.value("cidr").and_then(|(c, _)| {
        let s = r.string(c, "cidr")?;
        let parsed = Cidr::parse(&s).map_err(|e| r.error(c.span, "cidr", e.to_string(), None));
        ok &= parsed.is_ok();
        parsed.ok()
    });
    let dyn_ports = match f.value("dynPorts") {
        Some((d, _)) => port_rules(r, d, "dynPorts").unwrap_or_else(|| {
            ok = false;
            Vec::new()
        }),
        None => Vec::new(),
    };
    let auth = match f.value("auth") {
        Some((a, akey)) => {
            let parsed = auth(r, a, akey, &what);
            ok &= parsed.is_some();
            parsed
        }
        None => None,
    };

    if let Some(proto) = &protocol {
        let given = Given {
            host: host.as_ref(),
            database: database.is_some(),
            user: user.is_some(),
            subject: subject.is_some(),
            container: container.is_some(),
            port: port.is_some(),
            cidr: cidr.is_some(),
            cidr_written: f.has("cidr"),
            dyn_ports: !dyn_ports.is_empty(),
            auth: f.entry("auth").map(|e| e.key_span),
        };
        ok &= what_the_protocol_needs(r, &mut f, &what, proto, kind, &given);
    }

    let mut extensions = Extensions::new();
    r.finish(
        f,
        &DEPENDENCY_KEYS,
        &what,
        Some(&mut extensions),
        Unknown::KeepWithWarning,
    );
    let protocol = protocol?;
    ok.then_some(Dependency {
        protocol,
        host: host.map(|(h, _)| h),
        port,
        database: database.map(|(s, _)| s),
        user: user.map(|(s, _)| s),
        subject: subject.map(|(s, _)| s),
        container: container.map(|(s, _)| s),
        version: version.map(|(s, _)| s),
        kind,
        cidr,
        dyn_ports,
        auth,
        extensions,
    })
}

/// A dependency's `protocol` (required); an unknown one is kept, with a warning.
fn dependency_protocol(r: &mut Reader<'_>, f: &mut Fields<'_, '_>, what: &str) -> Option<Protocol> {
    let (p, _) = r.required(
        f,
        "protocol",
        what,
        Some(format!("one of: {}", Protocol::KNOWN.join(", "))),
    )?;
    let s = r.string(p, "protocol")?;
    let proto = Protocol::from_name(&s);
    if let Protocol::Other(other) = &proto {
        let hint = did_you_mean(other, &Protocol::KNOWN).map_or_else(
            || format!("known protocols: {}", Protocol::KNOWN.join(", ")),
            |k| format!("did you mean \"{k}\"?"),
        );
        r.warn(
            p.span,
            "unknown-protocol",
            format!("unknown protocol \"{other}\" in {what}: only host and port are checked"),
            Some(hint),
        );
    }
    Some(proto)
}

/// A dependency's `type`: only `dynamic-target` exists.
fn dependency_kind(r: &mut Reader<'_>, text: &str, span: Span) -> Option<DependencyKind> {
    if text == "dynamic-target" {
        return Some(DependencyKind::DynamicTarget);
    }
    r.error(
        span,
        "dependency-type",
        format!("unknown dependency type \"{text}\""),
        Some("the only type is dynamic-target (hosts known at run time, limited by cidr and dynPorts); remove type for a fixed host".into()),
    );
    None
}

/// Which of a dependency's keys were given (and its host, to check).
struct Given<'a> {
    host: Option<&'a (String, Span)>,
    database: bool,
    user: bool,
    subject: bool,
    container: bool,
    port: bool,
    cidr: bool,
    /// `cidr` is written, valid or not.
    cidr_written: bool,
    dyn_ports: bool,
    /// Where `auth` is written, if it is.
    auth: Option<Span>,
}

/// Checks that a dependency has what its protocol and type need (a dynamic target: `cidr` and
/// `dynPorts`; postgresql: `host`, `database`, `user`; …) and warns about what a fixed host
/// ignores. False when something required is missing or the host is not valid.
fn what_the_protocol_needs(
    r: &mut Reader<'_>,
    f: &mut Fields<'_, '_>,
    what: &str,
    proto: &Protocol,
    kind: Option<DependencyKind>,
    given: &Given<'_>,
) -> bool {
    let anchor = f.anchor;
    let need = |r: &mut Reader<'_>, present: bool, key: &str, example: &str| -> bool {
        if !present {
            r.error(
                anchor,
                "missing-key",
                format!("{what} ({proto}) is missing \"{key}\""),
                Some(format!("e.g. {key}: {example}")),
            );
        }
        present
    };
    let mut ok = true;
    if kind == Some(DependencyKind::DynamicTarget) {
        // An invalid cidr was reported where it is written; "missing" would say it twice.
        ok &= need(r, given.cidr_written, "cidr", "\"0.0.0.0/0\"");
        ok &= need(r, given.dyn_ports, "dynPorts", "[\"443/TCP\"]");
        return ok;
    }
    for (key, present) in [("cidr", given.cidr), ("dynPorts", given.dyn_ports)] {
        if present {
            let at = f.entry(key).map_or(anchor, |e| e.key_span);
            r.warn(
                at,
                "ignored-key",
                format!("\"{key}\" is ignored: {what} is not a dynamic-target"),
                Some("add type: dynamic-target, or remove it".into()),
            );
        }
    }
    let host = given.host.is_some();
    match proto {
        Protocol::Https | Protocol::Http | Protocol::Nats | Protocol::Blob | Protocol::S3 => {
            ok &= need(r, host, "host", "api.example.com");
        }
        Protocol::Postgresql => {
            ok &= need(r, host, "host", "db.example.com");
            ok &= need(r, given.database, "database", "appdb");
            ok &= need(r, given.user, "user", "app");
        }
        Protocol::Jsr | Protocol::Npm => {
            ok &= need(r, host, "host", "\"@db/postgres\" (the package)");
        }
        Protocol::Kubernetes => {
            if let Some(span) = given.auth {
                r.error(
                    span,
                    "kubernetes-auth",
                    format!("{what} (kubernetes) authenticates as the workflow's service account: it takes no auth"),
                    Some("remove auth; grant what the node needs with deployment.rbac".into()),
                );
                ok = false;
            }
        }
        Protocol::Other(_) => {
            if !given.port {
                r.error(
                    anchor,
                    "missing-key",
                    format!("{what} has protocol \"{proto}\", which has no default port"),
                    Some("add port: <number>, or use a known protocol".into()),
                );
                ok = false;
            }
        }
    }
    match proto {
        Protocol::Nats => ok &= need(r, given.subject, "subject", "orders.created"),
        Protocol::Blob => ok &= need(r, given.container, "container", "reports"),
        _ => {}
    }
    if let Some((h, span)) = given.host
        && !proto.is_package()
    {
        ok &= check_host(r, h, *span);
    }
    ok
}

fn check_host(r: &mut Reader<'_>, host: &str, span: Span) -> bool {
    let (problem, fixed) = if let Some((_, rest)) = host.split_once("://") {
        (
            "must not include a scheme",
            rest.split(['/', ':']).next().unwrap_or(rest),
        )
    } else if host.contains('@') {
        (
            "must not include credentials (put them in a secret)",
            host.rsplit('@').next().unwrap_or(host),
        )
    } else if host.contains('/') {
        (
            "must not include a path",
            host.split('/').next().unwrap_or(host),
        )
    } else if host.matches(':').count() == 1 {
        (
            "must not include a port (use port:)",
            host.split(':').next().unwrap_or(host),
        )
    } else if host.is_empty() || host.contains(char::is_whitespace) {
        ("must be a host name", "api.example.com")
    } else {
        return true;
    };
    r.error(
        span,
        "host-format",
        format!("host \"{host}\" {problem}"),
        Some(format!("write host: {fixed}")),
    );
    false
}

fn auth(r: &mut Reader<'_>, v: &Node<'_>, key: Span, dep: &str) -> Option<Auth> {
    let what = format!("the auth of {dep}");
    let mut f = r.fields(v, &what, key)?;
    let kind = r
        .required(
            &mut f,
            "type",
            &what,
            Some("e.g. type: bearer-token".into()),
        )
        .and_then(|(t, _)| r.string(t, "auth type"));
    let secret = r
        .required(
            &mut f,
            "secret",
            &what,
            Some("the secret holding the credential, e.g. secret: github.token".into()),
        )
        .and_then(|(s, _)| {
            let text = r.string(s, "auth secret")?;
            r.id(s.span, SecretRef::new(text), "secret-ref")
        });
    r.finish(f, &["type", "secret"], &what, None, Unknown::Reject);
    let text = kind?;
    if text.trim().is_empty() {
        r.error(
            key,
            "auth-type",
            format!("{what} has an empty type"),
            Some("e.g. type: bearer-token".into()),
        );
        return None;
    }
    let kind = match AuthKind::parse(&text) {
        Ok(kind) => kind,
        Err(near) => {
            r.error(
                key,
                "auth-type",
                format!("{what}: {near}"),
                Some(format!("write type: {}", near.suggestion)),
            );
            return None;
        }
    };
    if let AuthKind::Other(other) = &kind {
        r.warn(
            key,
            "auth-type",
            format!("{what} has type \"{other}\", which the host does not know: nothing is injected into its requests (placeholders are still substituted)"),
            Some(format!("known types: {}", crate::auth::KNOWN.join(", "))),
        );
    }
    Some(Auth {
        kind,
        secret: secret?,
    })
}

/// A list of `"443/TCP"` strings (plain numbers accepted).
fn port_rules(r: &mut Reader<'_>, v: &Node<'_>, what: &str) -> Option<Vec<PortRule>> {
    let items = r.list(v, what, Some("e.g. [\"443/TCP\"]".into()))?;
    let mut out = Vec::new();
    let mut ok = true;
    for item in items {
        let text = match &unwrap_tag(item).data {
            YamlData::Value(Scalar::Integer(n)) => n.to_string(),
            _ => match r.string(item, &format!("each item of {what}")) {
                Some(s) => s,
                None => {
                    ok = false;
                    continue;
                }
            },
        };
        match PortRule::parse(&text) {
            Ok(p) => out.push(p),
            Err(e) => {
                r.error(item.span, "port-rule", e, None);
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

fn network_policy(r: &mut Reader<'_>, v: &Node<'_>, key: Span) -> Option<NetworkPolicy> {
    let mut f = r.fields(v, "networkPolicy", key)?;
    let mut ok = true;
    let mut additional_egress = Vec::new();
    if let Some((list, _)) = f.value("additionalEgress") {
        match r.list(list, "additionalEgress", None) {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    match cidr_egress(r, item, i + 1) {
                        Some(e) => additional_egress.push(e),
                        None => ok = false,
                    }
                }
            }
            None => ok = false,
        }
    }
    r.finish(
        f,
        &["additionalEgress"],
        "networkPolicy",
        None,
        Unknown::Reject,
    );
    ok.then_some(NetworkPolicy { additional_egress })
}

fn cidr_egress(r: &mut Reader<'_>, v: &Node<'_>, n: usize) -> Option<AdditionalEgress> {
    let what = format!("additionalEgress entry {n}");
    let mut f = r.fields(v, &what, v.span)?;
    let mut ok = true;
    let to_cidr = r
        .required(
            &mut f,
            "toCIDR",
            &what,
            Some("e.g. toCIDR: 10.0.0.0/8".into()),
        )
        .and_then(|(c, _)| {
            let s = r.string(c, "toCIDR")?;
            match Cidr::parse(&s) {
                Ok(c) => Some(c),
                Err(e) => {
                    r.error(c.span, "cidr", e.to_string(), None);
                    None
                }
            }
        });
    let ports = match f.value("ports") {
        Some((p, _)) => port_rules(r, p, "ports").unwrap_or_else(|| {
            ok = false;
            Vec::new()
        }),
        None => Vec::new(),
    };
    let reason = f.value("reason").and_then(|(s, _)| r.string(s, "reason"));
    r.finish(
        f,
        &["toCIDR", "ports", "reason"],
        &what,
        None,
        Unknown::Reject,
    );
    let to_cidr = to_cidr?;
    ok.then_some(AdditionalEgress {
        to_cidr,
        ports,
        reason,
    })
}
