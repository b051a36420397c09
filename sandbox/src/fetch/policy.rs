//! The capability check for outbound requests. Deny by default; never fail open.
//!
//! | request | allowed when |
//! |---|---|
//! | `ctx.dependency(d).fetch(path)` | `d` is declared, granted to the node (`uses`), http(s); the URL built from `path` stays on `d`'s scheme, host and port |
//! | legacy `ctx.fetch(svc, path)` | the URL (`path`, or `https://api.<svc>.com<path>`) matches a granted dependency exactly, or a granted dynamic target |
//! | global `fetch(url)` | likewise; `url` may be a webhook-url placeholder, replaced by the real URL of the dependency that owns it |
//! | a redirect | the new URL stays on the same dependency (re-checked in full) |
//!
//! Everywhere: only http/https, no userinfo (`user@host`), IP literals and `localhost` only when
//! declared exactly; resolved addresses are checked by the transport ([`AddressPolicy`]).

use base64::Engine as _;
use url::{Host, Url};

use super::{AddressPolicy, GuestRequest, OutboundRequest, RequestVia, address_allowed};
use crate::capabilities::{Capabilities, Dependency, PLACEHOLDER_PREFIX};

/// A refusal, with a message safe to show the node.
#[derive(Debug)]
pub(crate) struct Denied(pub String);

/// A request that passed the check, plus what the host needs to keep secrets out of the node.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    pub request: OutboundRequest,
    /// `(value, placeholder)` for every secret: values are scrubbed from whatever goes back.
    scrub: Vec<(String, String)>,
}

/// Shortest secret value that is scrubbed from responses (shorter ones would mangle text).
const MIN_SCRUB_LEN: usize = 6;

/// Checks `request` against `caps` and builds the outbound request.
pub(crate) fn authorize(caps: &Capabilities, request: GuestRequest) -> Result<Route, Denied> {
    let node = &caps.node_id;
    let (name, url, init, via) = match request {
        GuestRequest::Dependency {
            dependency,
            path,
            init,
        } => {
            let dep = declared(caps, &dependency)?;
            if !matches!(dep.protocol.as_str(), "http" | "https") {
                return Err(Denied(format!(
                    "dependency \"{dependency}\" uses protocol \"{}\"; only http and https dependencies can be fetched",
                    dep.protocol
                )));
            }
            let url = dependency_url(caps, &dependency, dep, &path)?;
            (dependency, url, init, RequestVia::Dependency { path })
        }
        GuestRequest::Legacy {
            service,
            path,
            init,
        } => {
            let via = RequestVia::Legacy {
                service: service.clone(),
                path: path.clone(),
            };
            let raw = if path.starts_with("http") {
                path
            } else {
                format!("https://api.{service}.com{path}")
            };
            let url = parse(&raw)?;
            let name = find(caps, &url, Some(&service)).map_err(|why| {
                Denied(format!(
                    "ctx.fetch(\"{service}\", …) to {}: {why}",
                    origin(&url)
                ))
            })?;
            (name, url, init, via)
        }
        GuestRequest::Url { url, init } => {
            if url.starts_with(PLACEHOLDER_PREFIX) {
                let (name, real) = webhook_by_placeholder(caps, &url)?;
                (name, real, init, RequestVia::Url)
            } else {
                let url = parse(&url)?;
                let name = find(caps, &url, None)
                    .map_err(|why| Denied(format!("fetch to {}: {why}", origin(&url))))?;
                (name, url, init, RequestVia::Url)
            }
        }
    };
    let dep = &caps.dependencies[&name];
    check_url(node, &name, dep, &url)?;
    let headers = build_headers(caps, &name, dep, init.headers);
    let addresses = match &dep.dynamic {
        Some(d) => AddressPolicy::Cidrs(d.cidrs.clone()),
        None => AddressPolicy::Declared,
    };
    let scrub = caps
        .secrets
        .iter()
        .filter(|(_, v)| v.len() >= MIN_SCRUB_LEN)
        .map(|(r, v)| (v.to_string(), r.placeholder()))
        .collect();
    Ok(Route {
        request: OutboundRequest {
            dependency: name,
            via,
            method: normalize_method(&init.method)?,
            url,
            headers,
            body: init.body.map(String::into_bytes),
            addresses,
        },
        scrub,
    })
}

/// Re-checks a redirect target: it must stay on the same dependency.
pub(crate) fn redirect(
    caps: &Capabilities,
    route: &mut Route,
    next: Url,
    status: u16,
) -> Result<(), Denied> {
    let name = route.request.dependency.clone();
    let dep = &caps.dependencies[&name];
    if !on_dependency(dep, &next) {
        return Err(Denied(format!(
            "dependency \"{name}\" redirected to {}, which is outside it; redirects are followed only while they stay on the dependency's scheme, host and port",
            origin(&next)
        )));
    }
    check_url(&caps.node_id, &name, dep, &next)?;
    if status == 303 || ((status == 301 || status == 302) && route.request.method == "POST") {
        route.request.method = "GET".into();
        route.request.body = None;
    }
    route.request.url = next;
    Ok(())
}

/// Replaces every secret value in `text` with its placeholder.
pub(crate) fn scrub(route: &Route, text: &str) -> String {
    let mut out = text.to_string();
    for (value, placeholder) in &route.scrub {
        if out.contains(value.as_str()) {
            out = out.replace(value.as_str(), placeholder);
        }
    }
    out
}

fn declared<'c>(caps: &'c Capabilities, name: &str) -> Result<&'c Dependency, Denied> {
    let node = &caps.node_id;
    let dep = caps.dependencies.get(name).ok_or_else(|| {
        Denied(format!("dependency \"{name}\" is not declared in the workflow contract; add it to contract.dependencies in workflow.yaml"))
    })?;
    if !dep.granted {
        return Err(Denied(format!(
            "node \"{node}\" is not granted dependency \"{name}\"; add it to nodes.{node}.uses in workflow.yaml"
        )));
    }
    Ok(dep)
}

fn dependency_url(
    caps: &Capabilities,
    name: &str,
    dep: &Dependency,
    path: &str,
) -> Result<Url, Denied> {
    if let Some(auth) = dep.auth.as_ref().filter(|a| a.kind == "webhook-url") {
        let placeholder = auth.secret.placeholder();
        if path.is_empty() || path.starts_with(&placeholder) {
            let value = caps.secrets.get(&auth.secret).ok_or_else(|| {
                Denied(format!("secret {} (the webhook URL of dependency \"{name}\") is not provisioned; see `tntc secrets check`", auth.secret))
            })?;
            return parse(&format!(
                "{value}{}",
                path.strip_prefix(&placeholder).unwrap_or("")
            ));
        }
    }
    if dep.dynamic.is_some() {
        return parse(path);
    }
    if !(path.is_empty() || path.starts_with('/') || path.starts_with('?')) {
        return Err(Denied(format!(
            "dependency \"{name}\": fetch takes a path starting with \"/\" (got \"{}\"); the host and port come from the contract",
            truncate(path)
        )));
    }
    let path = if path.is_empty() { "/" } else { path };
    parse(&format!(
        "{}://{}:{}{}",
        dep.protocol,
        host_for_url(&dep.host),
        dep.port,
        path
    ))
}

fn webhook_by_placeholder(caps: &Capabilities, raw: &str) -> Result<(String, Url), Denied> {
    for (name, dep) in &caps.dependencies {
        let Some(auth) = dep.auth.as_ref().filter(|a| a.kind == "webhook-url") else {
            continue;
        };
        let placeholder = auth.secret.placeholder();
        if let Some(rest) = raw.strip_prefix(&placeholder) {
            declared(caps, name)?;
            let url = dependency_url(caps, name, dep, &format!("{placeholder}{rest}"))?;
            return Ok((name.clone(), url));
        }
    }
    Err(Denied(
        "fetch to a secret placeholder that is no granted dependency's webhook URL".into(),
    ))
}

/// Finds the granted dependency `url` belongs to, preferring one named `preferred`.
fn find(caps: &Capabilities, url: &Url, preferred: Option<&str>) -> Result<String, String> {
    let node = &caps.node_id;
    let mut candidates: Vec<(&String, &Dependency)> = caps
        .dependencies
        .iter()
        .filter(|(_, d)| on_dependency(d, url))
        .collect();
    candidates.sort_by_key(|(n, d)| (Some(n.as_str()) != preferred, d.dynamic.is_some()));
    if let Some((name, _)) = candidates.iter().find(|(_, d)| d.granted) {
        return Ok((*name).clone());
    }
    match candidates.first() {
        Some((name, _)) => Err(format!(
            "it matches dependency \"{name}\", which node \"{node}\" is not granted; add it to nodes.{node}.uses in workflow.yaml"
        )),
        None => Err(format!(
            "no dependency of the workflow contract matches it; declare it in contract.dependencies and list it in nodes.{node}.uses in workflow.yaml"
        )),
    }
}

/// Whether `url` is on `dep` (exact scheme/host/port, or inside a dynamic target).
fn on_dependency(dep: &Dependency, url: &Url) -> bool {
    let Some(port) = url.port_or_known_default() else {
        return false;
    };
    match &dep.dynamic {
        None => {
            let host = url
                .host_str()
                .unwrap_or("")
                .trim_start_matches('[')
                .trim_end_matches(']');
            url.scheme() == dep.protocol
                && host.eq_ignore_ascii_case(dep.host.trim_start_matches('[').trim_end_matches(']'))
                && port == dep.port
        }
        Some(d) => {
            matches!(url.scheme(), "http" | "https")
                && d.ports.contains(&port)
                && match url.host() {
                    Some(Host::Ipv4(ip)) => {
                        address_allowed(&AddressPolicy::Cidrs(d.cidrs.clone()), "", ip.into())
                    }
                    Some(Host::Ipv6(ip)) => {
                        address_allowed(&AddressPolicy::Cidrs(d.cidrs.clone()), "", ip.into())
                    }
                    Some(Host::Domain(h)) => !h.eq_ignore_ascii_case("localhost"),
                    None => false,
                }
        }
    }
}

/// Checks every URL, whatever route it came by.
fn check_url(node: &str, name: &str, dep: &Dependency, url: &Url) -> Result<(), Denied> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Denied(format!(
            "only http and https URLs can be fetched (got {}:)",
            url.scheme()
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Denied(format!(
            "URLs with credentials (user@host) are refused (request to dependency \"{name}\" from node \"{node}\"); the host injects credentials itself"
        )));
    }
    if !on_dependency(dep, url) {
        return Err(Denied(format!(
            "the URL {} is not on dependency \"{name}\" ({}://{}:{})",
            origin(url),
            dep.protocol,
            dep.host,
            dep.port
        )));
    }
    Ok(())
}

/// Request headers: the node's own (placeholders of secrets this dependency owns replaced by
/// their values), then the auth the contract asks the host to inject, unless already set.
fn build_headers(
    caps: &Capabilities,
    name: &str,
    dep: &Dependency,
    given: Vec<(String, String)>,
) -> Vec<(String, String)> {
    let mut owned: Vec<(String, String)> = Vec::new();
    if let Some(auth) = &dep.auth
        && let Some(v) = caps.secrets.get(&auth.secret)
    {
        owned.push((auth.secret.placeholder(), v.to_string()));
    }
    if let Some(keys) = caps.secrets.service(name) {
        for (k, v) in keys {
            owned.push((format!("{PLACEHOLDER_PREFIX}{name}.{k}"), v.clone()));
        }
    }
    let mut headers: Vec<(String, String)> = given
        .into_iter()
        .filter(|(k, v)| valid_header(k, v))
        .map(|(k, mut v)| {
            for (placeholder, value) in &owned {
                if v.contains(placeholder.as_str()) {
                    v = v.replace(placeholder.as_str(), value);
                }
            }
            (k, v)
        })
        .collect();
    let has = |headers: &[(String, String)], h: &str| {
        headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(h))
    };
    if let Some(auth) = &dep.auth
        && let Some(value) = caps.secrets.get(&auth.secret)
    {
        let inject = match auth.kind.as_str() {
            "bearer-token" | "bearer" | "api-token" | "oauth2" => {
                Some(("authorization".to_string(), format!("Bearer {value}")))
            }
            "api-key" => Some((
                auth.header.clone().unwrap_or_else(|| "x-api-key".into()),
                value.to_string(),
            )),
            "basic" => Some((
                "authorization".to_string(),
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(value)
                ),
            )),
            "header" => auth.header.clone().map(|h| (h, value.to_string())),
            _ => None,
        };
        if let Some((k, v)) = inject
            && !has(&headers, &k)
        {
            headers.push((k, v));
        }
    }
    // The original's legacy convention: secrets.<dependency>.token / .api_key.
    if dep.auth.is_none()
        && let Some(keys) = caps.secrets.service(name)
    {
        if let Some(t) = keys.get("token")
            && !has(&headers, "authorization")
        {
            headers.push(("authorization".into(), format!("Bearer {t}")));
        }
        if let Some(k) = keys.get("api_key")
            && !has(&headers, "x-api-key")
        {
            headers.push(("x-api-key".into(), k.clone()));
        }
    }
    headers
}

fn valid_header(k: &str, v: &str) -> bool {
    !k.is_empty()
        && k.bytes().all(|b| b.is_ascii_graphic() && b != b':')
        && !v.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0)
        && !matches!(
            k.to_ascii_lowercase().as_str(),
            "host" | "content-length" | "transfer-encoding" | "connection"
        )
}

fn normalize_method(m: &str) -> Result<String, Denied> {
    let m = m.to_ascii_uppercase();
    match m.as_str() {
        "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS" => Ok(m),
        _ => Err(Denied(format!(
            "HTTP method \"{}\" is not allowed",
            truncate(&m)
        ))),
    }
}

/// Parses a URL and applies the checks that need no dependency: http(s) only, no userinfo.
fn parse(raw: &str) -> Result<Url, Denied> {
    let url =
        Url::parse(raw).map_err(|e| Denied(format!("invalid URL \"{}\": {e}", truncate(raw))))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Denied(format!(
            "only http and https URLs can be fetched (got {}:)",
            url.scheme()
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Denied(
            "URLs with credentials (user@host) are refused; the host injects credentials itself"
                .into(),
        ));
    }
    Ok(url)
}

fn origin(url: &Url) -> String {
    format!("{}://{}", url.scheme(), url.host_str().unwrap_or(""))
        + &url.port().map(|p| format!(":{p}")).unwrap_or_default()
}

fn host_for_url(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

fn truncate(s: &str) -> String {
    if s.len() <= 80 {
        s.to_string()
    } else {
        format!(
            "{}…",
            &s[..s.char_indices().nth(80).map_or(s.len(), |(i, _)| i)]
        )
    }
}
