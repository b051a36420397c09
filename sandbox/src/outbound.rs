//! One outbound request, end to end, as a host operation: parse the guest's description,
//! check it ([`crate::policy`]) before any I/O, send it, follow redirects (re-checking each
//! hop), and hand back the response with every secret scrubbed out — body (as bytes),
//! headers, URL and every message the host makes.
//!
//! Each refusal and each scrubbed response is also a [`SecurityEvent`] (reason and dependency,
//! never a value), which the engine logs and counts.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Deserialize;
use serde_json::json;

use crate::capabilities::Capabilities;
use crate::fetch::TransportError;
use crate::policy::{self, Denied, GuestRequest, Target};

/// Redirect hops followed (each re-checked) before giving up.
const MAX_REDIRECTS: usize = 5;

/// Something the host refused or changed on a node's behalf: logged and counted by the
/// engine (`tentacular_denied_total{node,dependency,reason}`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SecurityEvent {
    /// What happened: a [`policy::Denied`] reason code, `address` (the destination resolved
    /// to a refused address), `memory` (responses held for the node exceed its memory), or
    /// `scrubbed` (a response carried a secret value, replaced by its placeholder).
    pub reason: String,
    /// The dependency concerned, when known.
    pub dependency: Option<String>,
}

/// Response bytes the host holds for one invocation, bounded by the node's memory limit.
#[derive(Debug, Clone)]
pub struct HeldBytes(Arc<AtomicUsize>);

impl HeldBytes {
    /// A budget of `limit` bytes.
    pub fn new(limit: usize) -> Self {
        HeldBytes(Arc::new(AtomicUsize::new(limit)))
    }

    fn reserve(&self, n: usize) -> bool {
        self.0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
                left.checked_sub(n)
            })
            .is_ok()
    }

    /// Gives back `n` bytes (once the guest copied them into its own, capped, memory).
    pub fn release(&self, n: usize) {
        self.0.fetch_add(n, Ordering::AcqRel);
    }
}

/// The request description `shims/js/fetch.js` sends (the body travels separately).
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
enum Wire {
    Dependency {
        dependency: String,
        path: String,
        #[serde(flatten)]
        init: WireInit,
    },
    Legacy {
        service: String,
        path: String,
        #[serde(flatten)]
        init: WireInit,
    },
    Url {
        url: String,
        #[serde(flatten)]
        init: WireInit,
    },
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireInit {
    #[serde(default = "get")]
    method: String,
    #[serde(default)]
    headers: Vec<(String, String)>,
    #[serde(default)]
    has_body: bool,
}

fn get() -> String {
    "GET".into()
}

fn parse(desc: &[u8], body: Vec<u8>) -> Result<GuestRequest, String> {
    let wire: Wire = serde_json::from_slice(desc).map_err(|e| format!("malformed request: {e}"))?;
    let (target, init) = match wire {
        Wire::Dependency {
            dependency,
            path,
            init,
        } => (Target::Dependency { dependency, path }, init),
        Wire::Legacy {
            service,
            path,
            init,
        } => (Target::Legacy { service, path }, init),
        Wire::Url { url, init } => (Target::Url { url }, init),
    };
    Ok(GuestRequest {
        target,
        method: init.method,
        headers: init.headers,
        body: init.has_body.then_some(body),
    })
}

/// What one request produced for the guest, and what the host noted on the way.
#[derive(Debug)]
pub struct Answer {
    /// `(meta json, body)`, or a guest-visible `(error name, message)` with secrets scrubbed.
    pub result: Result<Response, Failure>,
    /// Refusals and scrubbed responses.
    pub events: Vec<SecurityEvent>,
}

/// Performs one request for the node that `caps` describes: `desc` is the JSON description
/// `shims/js/fetch.js` builds (`{kind: "dependency"|"legacy"|"url", …, method, headers,
/// hasBody}`), `body` the body bytes. Deno compatibility mode sends its nodes' requests here
/// too, so both runtimes share one policy.
pub async fn perform(
    caps: &Capabilities,
    desc: &[u8],
    body: Vec<u8>,
    memory_limit: usize,
    held: &HeldBytes,
) -> Answer {
    let mut events = Vec::new();
    let result = run(caps, desc, body, memory_limit, held, &mut events)
        .await
        .map_err(|(name, message)| (name, caps.scrubber().placeholders_in(&message)));
    Answer { result, events }
}

/// A response for the guest: `(meta json, body bytes)`.
pub type Response = (Vec<u8>, Vec<u8>);
/// A guest-visible failure: `(error name, message)`.
pub type Failure = (&'static str, String);

async fn run(
    caps: &Capabilities,
    desc: &[u8],
    body: Vec<u8>,
    memory_limit: usize,
    held: &HeldBytes,
    events: &mut Vec<SecurityEvent>,
) -> Result<Response, Failure> {
    let refuse = |events: &mut Vec<SecurityEvent>, d: Denied| -> Failure {
        events.push(SecurityEvent {
            reason: d.reason.to_string(),
            dependency: d.dependency,
        });
        ("NotPermitted", d.message)
    };
    let request = parse(desc, body).map_err(|m| ("TypeError", m))?;
    let mut request = policy::authorize(caps, request).map_err(|d| refuse(events, d))?;
    let dependency = request.dependency.clone();
    let max_body = caps.max_response_body().min(memory_limit);
    let mut redirected = false;
    for _ in 0..=MAX_REDIRECTS {
        let sent_url = request.url.clone();
        let response = match caps.transport().send(request.clone(), max_body).await {
            Ok(r) => r,
            Err(TransportError::NotPermitted(m)) => {
                events.push(SecurityEvent {
                    reason: "address".into(),
                    dependency: Some(dependency.clone()),
                });
                return Err(("NotPermitted", m));
            }
            Err(e) => {
                tracing::debug!(node = %caps.node_id(), %dependency, error = %e, "request failed");
                return Err((
                    "NetworkError",
                    format!("request to dependency \"{dependency}\" failed: {e}"),
                ));
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
            let next = sent_url.join(&location).map_err(|_| {
                (
                    "NetworkError",
                    format!("dependency \"{dependency}\" sent an invalid redirect"),
                )
            })?;
            policy::redirect(caps, &mut request, next, response.status)
                .map_err(|d| refuse(events, d))?;
            redirected = true;
            continue;
        }
        let scrubber = caps.scrubber();
        let mut scrubbed = false;
        let mut scrub_text = |text: &str| {
            let out = scrubber.placeholders_in(text);
            scrubbed |= out != text;
            out
        };
        let headers: Vec<(String, String)> = response
            .headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), scrub_text(v)))
            .collect();
        let url = scrub_text(sent_url.as_str());
        let body = match scrubber.to_placeholders(&response.body) {
            Some(out) => {
                scrubbed = true;
                out
            }
            None => response.body,
        };
        if scrubbed {
            events.push(SecurityEvent {
                reason: "scrubbed".into(),
                dependency: Some(dependency.clone()),
            });
        }
        let meta = json!({
            "status": response.status,
            "statusText": status_text(response.status),
            "headers": headers,
            "url": url,
            "redirected": redirected,
        })
        .to_string()
        .into_bytes();
        if !held.reserve(meta.len() + body.len()) {
            events.push(SecurityEvent {
                reason: "memory".into(),
                dependency: Some(dependency.clone()),
            });
            return Err((
                "NetworkError",
                format!(
                    "the responses held for this node exceed its memory limit ({memory_limit} bytes); read fewer or smaller responses at once"
                ),
            ));
        }
        return Ok((meta, body));
    }
    Err((
        "NetworkError",
        format!("too many redirects from dependency \"{dependency}\""),
    ))
}

fn status_text(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}
