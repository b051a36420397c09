//! Hermetic transports for `tntc test`: nothing a test does reaches the network.
//!
//! * **Strict** (the fixture has an `http` list): each request is answered from the list;
//!   an unexpected request is refused and recorded, and fails the test by name.
//! * **Mock** (no `http` list, the original's behaviour so that workflows written for it pass
//!   unchanged): every dependency request answers 200 `{"mock": true, "dependency", "path"}`,
//!   legacy `ctx.fetch` answers `{"mock": true, "service", "path"}`.
//! * **Record** (`--record`): the real network, once, keeping every exchange so it can be
//!   written into the fixture. What is kept is scrubbed first: every secret value, in every
//!   encoding the sandbox's [`Scrubber`] knows, becomes its placeholder, so a dependency that
//!   reflects a credential never writes it into a file that is committed.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, OnceLock};

use futures::future::BoxFuture;
use serde_json::{Value, json};
use tentacular_sandbox::Scrubber;
use tentacular_sandbox::fetch::{
    InboundResponse, OutboundRequest, RequestVia, Transport, TransportError,
};

use tentacular_spec::DependencyName;
use tentacular_spec::fixtures::{HttpExchange, HttpMocks, HttpRequest};

/// What a test's requests did, for the verdict and the drift report.
#[derive(Debug, Default, Clone)]
pub struct Traffic {
    /// Dependencies the node reached (after the sandbox's checks).
    pub dependencies: BTreeSet<String>,
    /// Number of legacy `ctx.fetch` calls.
    pub legacy_fetches: usize,
    /// Requests a strict fixture did not expect, described for the test's error.
    pub unexpected: Vec<String>,
    /// Exchanges seen in record mode.
    pub recorded: Vec<HttpExchange>,
}

enum Mode {
    Strict(Mutex<HttpMocks>),
    Mock,
    Record {
        net: tentacular_sandbox::fetch::net::NetTransport,
        /// Set once the test's secrets are known ([`FixtureTransport::scrub_recordings_with`]);
        /// without it nothing is recorded (fail closed).
        scrubber: OnceLock<Scrubber>,
    },
}

/// A transport that answers from a fixture (or records the real network).
pub struct FixtureTransport {
    mode: Mode,
    traffic: Arc<Mutex<Traffic>>,
}

impl std::fmt::Debug for FixtureTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FixtureTransport").finish_non_exhaustive()
    }
}

impl FixtureTransport {
    /// Strict when `http` is given, the original's mock answers otherwise.
    pub fn new(http: Option<Vec<HttpExchange>>) -> Self {
        let mode = match http {
            Some(list) => Mode::Strict(Mutex::new(HttpMocks::new(list))),
            None => Mode::Mock,
        };
        FixtureTransport {
            mode,
            traffic: Arc::default(),
        }
    }

    /// The real network, recording every exchange.
    pub fn recording() -> Result<Self, TransportError> {
        Ok(FixtureTransport {
            mode: Mode::Record {
                net: tentacular_sandbox::fetch::net::NetTransport::new()?,
                scrubber: OnceLock::new(),
            },
            traffic: Arc::default(),
        })
    }

    /// The scrubber recorded exchanges pass through before they are kept. A recording
    /// transport refuses to send until it has one.
    pub fn scrub_recordings_with(&self, scrubber: Scrubber) {
        if let Mode::Record { scrubber: slot, .. } = &self.mode {
            let _ = slot.set(scrubber);
        }
    }

    /// What happened so far, including strict entries that were never requested.
    pub fn traffic(&self) -> Traffic {
        let mut t = self
            .traffic
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Mode::Strict(mocks) = &self.mode {
            let mocks = mocks.lock().unwrap_or_else(|p| p.into_inner());
            for (i, e) in mocks.unused() {
                let target = e
                    .dependency
                    .as_ref()
                    .map(|d| format!("{d} {}", e.path.as_deref().unwrap_or("")))
                    .or(e.url.clone())
                    .unwrap_or_default();
                t.unexpected.push(format!(
                    "fixture http[{i}] ({} {target}) was never requested",
                    e.method
                ));
            }
        }
        t
    }
}

fn path_of(req: &OutboundRequest) -> String {
    match req.url.query() {
        Some(q) => format!("{}?{q}", req.url.path()),
        None => req.url.path().to_string(),
    }
}

fn json_response(status: u16, body: &Value) -> InboundResponse {
    InboundResponse {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.to_string().into_bytes(),
    }
}

impl Transport for FixtureTransport {
    fn send(
        &self,
        req: OutboundRequest,
        max_body: usize,
    ) -> BoxFuture<'_, Result<InboundResponse, TransportError>> {
        Box::pin(async move {
            {
                let mut t = self.traffic.lock().unwrap_or_else(|p| p.into_inner());
                t.dependencies.insert(req.dependency.clone());
                if matches!(req.via, RequestVia::Legacy { .. }) {
                    t.legacy_fetches += 1;
                }
            }
            let path = path_of(&req);
            match &self.mode {
                Mode::Mock => Ok(match &req.via {
                    RequestVia::Legacy { service, path } => json_response(
                        200,
                        &json!({"mock": true, "service": service, "path": path}),
                    ),
                    RequestVia::Dependency { path } => json_response(
                        200,
                        &json!({"mock": true, "dependency": req.dependency, "path": path}),
                    ),
                    RequestVia::Url => json_response(
                        200,
                        &json!({"mock": true, "dependency": req.dependency, "path": path}),
                    ),
                    _ => json_response(200, &json!({"mock": true})),
                }),
                Mode::Strict(mocks) => {
                    let url = req.url.to_string();
                    let probe = HttpRequest {
                        dependency: Some(&req.dependency),
                        url: &url,
                        method: &req.method,
                        path: &path,
                    };
                    let answer = mocks
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .answer(&probe)
                        .cloned();
                    match answer {
                        Ok(e) => {
                            let body = match &e.body {
                                Value::String(s) => s.clone().into_bytes(),
                                other => other.to_string().into_bytes(),
                            };
                            let mut headers: Vec<(String, String)> = e
                                .headers
                                .iter()
                                .map(|(k, v)| (k.clone(), v.clone()))
                                .collect();
                            if !e.body.is_string()
                                && !headers
                                    .iter()
                                    .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                            {
                                headers.push(("content-type".into(), "application/json".into()));
                            }
                            Ok(InboundResponse {
                                status: e.status,
                                headers,
                                body,
                            })
                        }
                        Err(unexpected) => {
                            let text = unexpected.to_string();
                            self.traffic
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .unexpected
                                .push(text.clone());
                            Err(TransportError::Failed(format!(
                                "{text} (not in the fixture's http list; tests never reach the network)"
                            )))
                        }
                    }
                }
                Mode::Record { net, scrubber } => {
                    let Some(scrubber) = scrubber.get() else {
                        return Err(TransportError::Failed(
                            "internal: a recording transport was used before its scrubber was set"
                                .into(),
                        ));
                    };
                    let method = req.method.clone();
                    let dependency = req.dependency.clone();
                    let response = net.send(req, max_body).await?;
                    let exchange =
                        recorded_exchange(scrubber, dependency, method, &path, &response);
                    self.traffic
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .recorded
                        .push(exchange);
                    Ok(response)
                }
            }
        })
    }
}

/// The fixture entry for one real exchange, with every secret value (in any encoding the
/// scrubber knows) replaced by its placeholder in the path, the kept headers and the body.
fn recorded_exchange(
    scrubber: &Scrubber,
    dependency: String,
    method: String,
    path: &str,
    response: &InboundResponse,
) -> HttpExchange {
    let body = String::from_utf8_lossy(&response.body);
    let body = scrubber.placeholders_in(&body);
    let body = serde_json::from_str(&body).unwrap_or(Value::String(body));
    let headers = response
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(k, v)| (k.to_ascii_lowercase(), scrubber.placeholders_in(v)))
        .collect();
    HttpExchange {
        dependency: DependencyName::new(dependency).ok(),
        url: None,
        method,
        path: Some(scrubber.placeholders_in(path)),
        status: response.status,
        headers,
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tentacular_sandbox::SecretRef;

    fn scrubber(value: &str) -> Scrubber {
        Scrubber::new([(SecretRef::parse("api.token").unwrap(), value)])
    }

    #[test]
    fn recorded_exchanges_hold_placeholders_not_values() {
        let secret = "s3cr3t:token/value";
        let b64 = "czNjcjN0OnRva2VuL3ZhbHVl";
        let response = InboundResponse {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: format!(
                r#"{{"echo":"{secret}","auth":"Basic {b64}","url":"/x?t=s3cr3t%3Atoken%2Fvalue"}}"#
            )
            .into_bytes(),
        };
        let e = recorded_exchange(
            &scrubber(secret),
            "api".into(),
            "GET".into(),
            &format!("/echo?token={secret}"),
            &response,
        );
        let text = serde_json::to_string(&e).unwrap();
        assert!(!text.contains(secret), "{text}");
        assert!(!text.contains(b64), "{text}");
        assert!(!text.contains("s3cr3t%3A"), "{text}");
        assert!(text.contains("api.token"), "placeholders are kept: {text}");
        assert_eq!(
            e.body["echo"].as_str().unwrap(),
            SecretRef::parse("api.token").unwrap().placeholder()
        );
    }

    #[test]
    fn a_binary_body_is_kept_as_text_without_values() {
        let secret = "another-secret-value";
        let response = InboundResponse {
            status: 201,
            headers: vec![],
            body: format!("plain {secret} text").into_bytes(),
        };
        let e = recorded_exchange(
            &scrubber(secret),
            "api".into(),
            "POST".into(),
            "/",
            &response,
        );
        assert_eq!(e.status, 201);
        assert!(!e.body.as_str().unwrap().contains(secret));
    }
}
