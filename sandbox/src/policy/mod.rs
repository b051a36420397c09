//! The capability check for outbound requests: pure functions of the node's
//! [`Capabilities`] and the request, testable without a wasm instance. Deny by default; never
//! fail open.
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
//! Secrets: see [`crate::secrets`] for where placeholders are substituted.

use base64::Engine as _;
use url::{Host, Url};

use crate::capabilities::{Capabilities, Dependency};
use crate::fetch::{AddressPolicy, OutboundRequest, RequestVia};
use crate::secrets::PLACEHOLDER_PREFIX;
use tentacular_spec::AuthKind;
use tentacular_spec::net::address::reachable_in_blocks;

/// Why a request was refused: a stable reason code (for logs and metrics) and a message safe
/// to show the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    /// Stable reason code: `not-declared`, `not-granted`, `not-http`, `url`, `credentials`,
    /// `method`, `secret-missing`, `redirect`.
    pub reason: &'static str,
    /// The dependency the request was for, when known.
    pub dependency: Option<String>,
    /// What the node is told.
    pub message: String,
}

fn denied(reason: &'static str, dependency: Option<&str>, message: String) -> Denied {
    Denied {
        reason,
        dependency: dependency.map(str::to_string),
        message,
    }
}

/// What the guest asked for: the target, method, headers and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestRequest {
    /// Which API, and what it named.
    pub target: Target,
    /// HTTP method as the node wrote it.
    pub method: String,
    /// Headers as the node set them.
    pub headers: Vec<(String, String)>,
    /// Body bytes, if any.
    pub body: Option<Vec<u8>>,
}

/// The API a request came through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `ctx.dependency(name).fetch(path)`.
    Dependency {
        /// The dependency's name.
        dependency: String,
        /// The path argument.
        path: String,
    },
    /// Legacy `ctx.fetch(service, path)`.
    Legacy {
        /// The service argument.
        service: String,
        /// The path (or full URL) argument.
        path: String,
    },
    /// Global `fetch(url)`.
    Url {
        /// The URL argument.
        url: String,
    },
}

/// Checks `request` against `caps` and builds the outbound request.
pub fn authorize(caps: &Capabilities, request: GuestRequest) -> Result<OutboundRequest, Denied> {
    let node = caps.node_id();
    let (name, url, via) = match request.target {
        Target::Dependency { dependency, path } => {
            let dep = declared(caps, &dependency)?;
            if !matches!(dep.protocol.as_str(), "http" | "https") {
                return Err(denied(
                    "not-http",
                    Some(&dependency),
                    format!(
                        "dependency \"{dependency}\" uses protocol \"{}\"; only http and https dependencies can be fetched",
                        dep.protocol
                    ),
                ));
            }
            let url = dependency_url(caps, &dependency, dep, &path)?;
            (dependency, url, RequestVia::Dependency { path })
        }
        Target::Legacy { service, path } => {
            let via = RequestVia::Legacy {
                service: service.clone(),
                path: path.clone(),
            };
            let raw = if path.starts_with("http") {
                path
            } else {
                format!("https://api.{service}.com{path}")
            };
            let url = parse(&raw, None)?;
            let name = find(caps, &url, Some(&service)).map_err(|(reason, dep, why)| {
                denied(
                    reason,
                    dep.as_deref(),
                    format!("ctx.fetch(\"{service}\", …) to {}: {why}", origin(&url)),
                )
            })?;
            (name, url, via)
        }
        Target::Url { url } => {
            if url.starts_with(PLACEHOLDER_PREFIX) {
                let (name, real) = webhook_by_placeholder(caps, &url)?;
                (name, real, RequestVia::Url)
            } else {
                let url = parse(&url, None)?;
                let name = find(caps, &url, None).map_err(|(reason, dep, why)| {
                    denied(
                        reason,
                        dep.as_deref(),
                        format!("fetch to {}: {why}", origin(&url)),
                    )
                })?;
                (name, url, RequestVia::Url)
            }
        }
    };
    let dep = caps
        .dependency(&name)
        .expect("found among the dependencies");
    check_url(node, &name, dep, &url)?;
    let headers = build_headers(caps, &name, dep, request.headers);
    let addresses = match &dep.dynamic {
        Some(d) => AddressPolicy::Cidrs(d.cidrs.clone()),
        None => AddressPolicy::Declared,
    };
    let trust = caps.trust_for(&name);
    Ok(OutboundRequest {
        method: normalize_method(&request.method, &name)?,
        dependency: name,
        via,
        url,
        headers,
        body: request.body,
        addresses,
        trust,
    })
}

/// Re-checks a redirect target: it must stay on the same dependency.
pub fn redirect(
    caps: &Capabilities,
    request: &mut OutboundRequest,
    next: Url,
    status: u16,
) -> Result<(), Denied> {
    let name = request.dependency.clone();
    let dep = caps
        .dependency(&name)
        .expect("authorized requests name a dependency");
    if !on_dependency(dep, &next) {
        return Err(denied(
            "redirect",
            Some(&name),
            format!(
                "dependency \"{name}\" redirected to {}, which is outside it; redirects are followed only while they stay on the dependency's scheme, host and port",
                origin(&next)
            ),
        ));
    }
    check_url(caps.node_id(), &name, dep, &next)?;
    if status == 303 || ((status == 301 || status == 302) && request.method == "POST") {
        request.method = "GET".into();
        request.body = None;
    }
    request.url = next;
    Ok(())
}

fn declared<'c>(caps: &'c Capabilities, name: &str) -> Result<&'c Dependency, Denied> {
    let node = caps.node_id();
    let dep = caps.dependency(name).ok_or_else(|| {
        denied("not-declared", None, format!("dependency \"{name}\" is not declared in the workflow contract; add it to contract.dependencies in workflow.yaml"))
    })?;
    if !dep.granted {
        return Err(denied(
            "not-granted",
            Some(name),
            format!(
                "node \"{node}\" is not granted dependency \"{name}\"; add it to nodes.{node}.uses in workflow.yaml"
            ),
        ));
    }
    Ok(dep)
}

fn dependency_url(
    caps: &Capabilities,
    name: &str,
    dep: &Dependency,
    path: &str,
) -> Result<Url, Denied> {
    if let Some(auth) = dep.auth.as_ref().filter(|a| a.kind == AuthKind::WebhookUrl) {
        let placeholder = auth.secret.placeholder();
        if path.is_empty() || path.starts_with(&placeholder) {
            let value = caps.secrets().get(&auth.secret).ok_or_else(|| {
                denied("secret-missing", Some(name), format!("secret {} (the webhook URL of dependency \"{name}\") is not provisioned; see `tntc secrets check`", auth.secret))
            })?;
            return parse(
                &format!("{value}{}", path.strip_prefix(&placeholder).unwrap_or("")),
                Some(name),
            );
        }
    }
    if dep.dynamic.is_some() {
        return parse(path, Some(name));
    }
    if !(path.is_empty() || path.starts_with('/') || path.starts_with('?')) {
        return Err(denied(
            "url",
            Some(name),
            format!(
                "dependency \"{name}\": fetch takes a path starting with \"/\" (got \"{}\"); the host and port come from the contract",
                truncate(path)
            ),
        ));
    }
    let path = if path.is_empty() { "/" } else { path };
    parse(
        &format!(
            "{}://{}:{}{}",
            dep.protocol,
            host_for_url(&dep.host),
            dep.port,
            path
        ),
        Some(name),
    )
}

fn webhook_by_placeholder(caps: &Capabilities, raw: &str) -> Result<(String, Url), Denied> {
    for (name, dep) in caps.dependencies() {
        let Some(auth) = dep.auth.as_ref().filter(|a| a.kind == AuthKind::WebhookUrl) else {
            continue;
        };
        let placeholder = auth.secret.placeholder();
        if let Some(rest) = raw.strip_prefix(&placeholder) {
            declared(caps, name)?;
            let url = dependency_url(caps, name, dep, &format!("{placeholder}{rest}"))?;
            return Ok((name.clone(), url));
        }
    }
    Err(denied(
        "not-declared",
        None,
        "fetch to a secret placeholder that is no granted dependency's webhook URL".into(),
    ))
}

type FindError = (&'static str, Option<String>, String);

/// Finds the granted dependency `url` belongs to, preferring one named `preferred`.
fn find(caps: &Capabilities, url: &Url, preferred: Option<&str>) -> Result<String, FindError> {
    let node = caps.node_id();
    let mut candidates: Vec<(&String, &Dependency)> = caps
        .dependencies()
        .iter()
        .filter(|(_, d)| on_dependency(d, url))
        .collect();
    candidates.sort_by_key(|(n, d)| (Some(n.as_str()) != preferred, d.dynamic.is_some()));
    if let Some((name, _)) = candidates.iter().find(|(_, d)| d.granted) {
        return Ok((*name).clone());
    }
    match candidates.first() {
        Some((name, _)) => Err((
            "not-granted",
            Some(name.to_string()),
            format!(
                "it matches dependency \"{name}\", which node \"{node}\" is not granted; add it to nodes.{node}.uses in workflow.yaml"
            ),
        )),
        None => Err((
            "not-declared",
            None,
            format!(
                "no dependency of the workflow contract matches it; declare it in contract.dependencies and list it in nodes.{node}.uses in workflow.yaml"
            ),
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
                    Some(Host::Ipv4(ip)) => reachable_in_blocks(ip.into(), &d.cidrs),
                    Some(Host::Ipv6(ip)) => reachable_in_blocks(ip.into(), &d.cidrs),
                    Some(Host::Domain(h)) => !h.eq_ignore_ascii_case("localhost"),
                    None => false,
                }
        }
    }
}

/// Checks every URL, whatever route it came by.
fn check_url(node: &str, name: &str, dep: &Dependency, url: &Url) -> Result<(), Denied> {
    check_scheme_and_userinfo(url, Some(name), node)?;
    if !on_dependency(dep, url) {
        return Err(denied(
            "url",
            Some(name),
            format!(
                "the URL {} is not on dependency \"{name}\" ({}://{}:{})",
                origin(url),
                dep.protocol,
                dep.host,
                dep.port
            ),
        ));
    }
    Ok(())
}

fn check_scheme_and_userinfo(
    url: &Url,
    dependency: Option<&str>,
    node: &str,
) -> Result<(), Denied> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(denied(
            "url",
            dependency,
            format!(
                "only http and https URLs can be fetched (got {}:)",
                url.scheme()
            ),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        let whose = match dependency {
            Some(d) if !node.is_empty() => {
                format!(" (request to dependency \"{d}\" from node \"{node}\")")
            }
            _ => String::new(),
        };
        return Err(denied(
            "credentials",
            dependency,
            format!(
                "URLs with credentials (user@host) are refused{whose}; the host injects credentials itself"
            ),
        ));
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
    let secrets = caps.secrets();
    let mut owned: Vec<(String, String)> = Vec::new();
    if let Some(auth) = &dep.auth
        && let Some(v) = secrets.get(&auth.secret)
    {
        owned.push((auth.secret.placeholder(), v.to_string()));
    }
    if let Some(keys) = secrets.service(name) {
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
        && let Some(value) = secrets.get(&auth.secret)
    {
        let inject = match &auth.kind {
            AuthKind::Bearer(_) => Some(("authorization".to_string(), format!("Bearer {value}"))),
            AuthKind::ApiKey => Some((
                auth.header.clone().unwrap_or_else(|| "x-api-key".into()),
                value.to_string(),
            )),
            AuthKind::Basic => Some((
                "authorization".to_string(),
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(value)
                ),
            )),
            AuthKind::Header => auth.header.clone().map(|h| (h, value.to_string())),
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
        && let Some(keys) = secrets.service(name)
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

fn normalize_method(m: &str, dependency: &str) -> Result<String, Denied> {
    let m = m.to_ascii_uppercase();
    match m.as_str() {
        "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS" => Ok(m),
        _ => Err(denied(
            "method",
            Some(dependency),
            format!("HTTP method \"{}\" is not allowed", truncate(&m)),
        )),
    }
}

/// Parses a URL and applies the checks that need no dependency: http(s) only, no userinfo.
fn parse(raw: &str, dependency: Option<&str>) -> Result<Url, Denied> {
    let url = Url::parse(raw).map_err(|e| {
        denied(
            "url",
            dependency,
            format!("invalid URL \"{}\": {e}", truncate(raw)),
        )
    })?;
    check_scheme_and_userinfo(&url, dependency, "")?;
    Ok(url)
}

/// `scheme://host[:port]` — never the path or query, which may carry credentials.
pub fn origin(url: &Url) -> String {
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

#[cfg(test)]
mod tests;
