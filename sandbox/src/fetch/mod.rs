//! The `fetch` capability: the only way out of the sandbox.
//!
//! Every request a node makes (`ctx.dependency(d).fetch`, legacy `ctx.fetch`, global `fetch`)
//! arrives here as a description. [`policy`] checks it against the node's grants *before any
//! I/O*; only then does it go to the [`Transport`] (the network, or fixtures in tests). A
//! failed check denies, and the node sees a typed `NotPermitted` error naming the dependency,
//! never host internals.

pub mod net;
pub(crate) mod policy;

use std::fmt;
use std::net::IpAddr;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::capabilities::Capabilities;

/// Redirect hops followed (each re-checked) before giving up.
const MAX_REDIRECTS: usize = 5;

/// Which addresses a request may connect to once its host name is resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AddressPolicy {
    /// A declared host name: any address except loopback, link-local (incl. cloud metadata)
    /// and unspecified ones. Private ranges stay allowed for in-cluster services. An IP
    /// literal or `localhost` that was declared exactly is used as is.
    Declared,
    /// A dynamic target: only addresses inside these blocks (and never loopback, link-local
    /// or unspecified unless a block is itself inside those ranges).
    Cidrs(Vec<crate::capabilities::Cidr>),
}

/// Which API the node used for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestVia {
    /// `ctx.dependency(name).fetch(path)`; `path` as the node passed it.
    Dependency {
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
    Url,
}

/// A request that passed the policy check.
#[derive(Debug, Clone)]
pub struct OutboundRequest {
    /// The dependency it goes to.
    pub dependency: String,
    /// Which API the node used.
    pub via: RequestVia,
    /// HTTP method.
    pub method: String,
    /// Full URL (secrets already substituted where allowed).
    pub url: Url,
    /// Headers (secrets already substituted where allowed).
    pub headers: Vec<(String, String)>,
    /// Body, if any.
    pub body: Option<Vec<u8>>,
    /// Which resolved addresses are acceptable.
    pub addresses: AddressPolicy,
}

/// A response from a transport.
#[derive(Debug, Clone)]
pub struct InboundResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body bytes (at most the limit passed to [`Transport::send`]).
    pub body: Vec<u8>,
}

/// Why a transport could not answer.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The destination resolved to an address the policy refuses.
    #[error("{0}")]
    NotPermitted(String),
    /// The body exceeded the limit.
    #[error("response body exceeds the {limit}-byte limit")]
    BodyTooLarge {
        /// The limit.
        limit: usize,
    },
    /// Connection, TLS or protocol failure.
    #[error("{0}")]
    Failed(String),
}

/// Where checked requests go. The real one is [`net::NetTransport`]; `tntc test` answers from
/// fixtures. Implementations must honour [`OutboundRequest::addresses`].
pub trait Transport: Send + Sync + fmt::Debug {
    /// Sends one request (no redirects are followed here: the caller re-checks each hop).
    fn send(
        &self,
        request: OutboundRequest,
        max_body: usize,
    ) -> BoxFuture<'_, Result<InboundResponse, TransportError>>;
}

/// A transport that refuses everything (used while loading, where nodes have no network).
#[derive(Debug, Default)]
pub struct DenyAll;

impl Transport for DenyAll {
    fn send(
        &self,
        request: OutboundRequest,
        _: usize,
    ) -> BoxFuture<'_, Result<InboundResponse, TransportError>> {
        Box::pin(async move {
            Err(TransportError::NotPermitted(format!(
                "no network is available here (request to dependency \"{}\")",
                request.dependency
            )))
        })
    }
}

/// What the guest asks for (shape produced by `shims/js/fetch.js` and `ctx.js`).
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub(crate) enum GuestRequest {
    /// `ctx.dependency(name).fetch(path, init)`.
    Dependency {
        dependency: String,
        path: String,
        #[serde(flatten)]
        init: GuestInit,
    },
    /// Legacy `ctx.fetch(service, path, init)`.
    Legacy {
        service: String,
        path: String,
        #[serde(flatten)]
        init: GuestInit,
    },
    /// Global `fetch(url, init)`.
    Url {
        url: String,
        #[serde(flatten)]
        init: GuestInit,
    },
}

/// Method, headers and body of a guest request.
#[derive(Debug, Deserialize, Clone)]
pub(crate) struct GuestInit {
    #[serde(default = "get")]
    method: String,
    #[serde(default)]
    headers: Vec<(String, String)>,
    #[serde(default)]
    body: Option<String>,
}

fn get() -> String {
    "GET".into()
}

/// What the guest gets back.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum GuestAnswer {
    Response {
        ok: bool,
        status: u16,
        #[serde(rename = "statusText")]
        status_text: String,
        headers: Vec<(String, String)>,
        body: String,
        url: String,
        redirected: bool,
    },
    Error {
        ok: bool,
        error: GuestError,
    },
}

/// A guest-visible error: a name the node can match on, and a safe message.
#[derive(Debug, Serialize)]
pub(crate) struct GuestError {
    name: &'static str,
    message: String,
}

impl GuestAnswer {
    fn error(name: &'static str, message: String) -> Self {
        GuestAnswer::Error {
            ok: false,
            error: GuestError { name, message },
        }
    }
}

/// Handles one guest request end to end: check, send, follow redirects (re-checking each
/// hop), scrub secrets out of the answer.
pub(crate) async fn handle(caps: &Capabilities, raw: &[u8]) -> (GuestAnswer, Option<String>) {
    let request: GuestRequest = match serde_json::from_slice(raw) {
        Ok(r) => r,
        Err(e) => {
            return (
                GuestAnswer::error("TypeError", format!("malformed request: {e}")),
                None,
            );
        }
    };
    let mut route = match policy::authorize(caps, request) {
        Ok(route) => route,
        Err(denied) => return (GuestAnswer::error("NotPermitted", denied.0), None),
    };
    let dependency = route.request.dependency.clone();
    let mut redirected = false;
    for _ in 0..=MAX_REDIRECTS {
        let sent_url = route.request.url.clone();
        let response = match caps
            .transport
            .send(route.request.clone(), caps.max_response_body)
            .await
        {
            Ok(r) => r,
            Err(TransportError::NotPermitted(m)) => {
                return (GuestAnswer::error("NotPermitted", m), Some(dependency));
            }
            Err(e) => {
                tracing::debug!(node = %caps.node_id, %dependency, error = %e, "request failed");
                return (
                    GuestAnswer::error(
                        "NetworkError",
                        format!(
                            "request to dependency \"{dependency}\" failed: {}",
                            policy::scrub(&route, &e.to_string())
                        ),
                    ),
                    Some(dependency),
                );
            }
        };
        let location = (300..400).contains(&response.status).then(|| {
            response
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("location"))
                .map(|(_, v)| v.clone())
        });
        if let Some(Some(location)) = location {
            let next = match sent_url.join(&location) {
                Ok(u) => u,
                Err(_) => {
                    return (
                        GuestAnswer::error(
                            "NetworkError",
                            format!("dependency \"{dependency}\" sent an invalid redirect"),
                        ),
                        Some(dependency),
                    );
                }
            };
            if let Err(denied) = policy::redirect(caps, &mut route, next, response.status) {
                return (
                    GuestAnswer::error("NotPermitted", denied.0),
                    Some(dependency),
                );
            }
            redirected = true;
            continue;
        }
        let body = policy::scrub(&route, &String::from_utf8_lossy(&response.body));
        let headers = response
            .headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), policy::scrub(&route, v)))
            .collect();
        return (
            GuestAnswer::Response {
                ok: true,
                status: response.status,
                status_text: status_text(response.status),
                headers,
                body,
                url: policy::scrub(&route, sent_url.as_str()),
                redirected,
            },
            Some(dependency),
        );
    }
    (
        GuestAnswer::error(
            "NetworkError",
            format!("too many redirects from dependency \"{dependency}\""),
        ),
        Some(dependency),
    )
}

fn status_text(status: u16) -> String {
    http_reason(status).unwrap_or("").to_string()
}

fn http_reason(status: u16) -> Option<&'static str> {
    Some(match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => return None,
    })
}

/// IPv4-mapped IPv6 addresses compare as their IPv4 form.
pub(crate) fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// Loopback, link-local (169.254/16 incl. cloud metadata, fe80::/10) and unspecified
/// addresses: refused for declared host names (DNS rebinding) and dynamic targets.
pub(crate) fn is_internal(ip: IpAddr) -> bool {
    match canonical_ip(ip) {
        IpAddr::V4(v4) => {
            v4.is_loopback() || v4.is_link_local() || v4.is_unspecified() || v4.is_broadcast()
        }
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.is_unspecified() || (v6.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

/// Whether the resolved address `ip` is acceptable under `policy` for `host`.
pub(crate) fn address_allowed(policy: &AddressPolicy, host: &str, ip: IpAddr) -> bool {
    match policy {
        AddressPolicy::Declared => host.eq_ignore_ascii_case("localhost") || !is_internal(ip),
        AddressPolicy::Cidrs(cidrs) => cidrs
            .iter()
            .any(|c| c.contains(ip) && (!is_internal(ip) || cidr_is_internal(c))),
    }
}

fn cidr_is_internal(c: &crate::capabilities::Cidr) -> bool {
    // A block opens internal addresses only when it is itself inside an internal range and
    // narrower than "everything" (0.0.0.0/0 or ::/0 never opens loopback or metadata).
    c.prefix() > 0 && is_internal(c.network())
}
