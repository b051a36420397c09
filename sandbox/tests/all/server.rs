//! A real HTTP server on 127.0.0.1 for fetch tests. It records every request it receives.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use serde_json::json;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub headers: BTreeMap<String, String>,
}

/// A running server.
pub struct TestServer {
    pub port: u16,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    load: Arc<Load>,
}

/// Concurrency of `/sleep`: how many are in flight now, and the most at once.
#[derive(Default)]
pub struct Load {
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl TestServer {
    /// Starts the server on an ephemeral port of 127.0.0.1.
    pub async fn start() -> TestServer {
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let load = Arc::new(Load::default());
        let app = Router::new()
            .route("/json", get(|| async { Json(json!({"hello": "world"})) }))
            .route("/echo-headers", any(echo_headers))
            .route("/redirect", get(redirect))
            .route("/big", get(|| async { "x".repeat(11 * 1024 * 1024) }))
            .route("/reflect", any(reflect))
            .route("/reflect-path/{*rest}", any(reflect_path))
            .route(
                "/bytes",
                get(|| async { (0..=255u8).cycle().take(4096).collect::<Vec<u8>>() }),
            )
            .route("/sleep", get(sleep))
            .route("/echo-body", any(echo_body))
            .route(
                "/cookies",
                get(|| async {
                    (
                        axum::response::AppendHeaders([
                            (header::SET_COOKIE, "a=1; Path=/"),
                            (
                                header::SET_COOKIE,
                                "b=2, c=3; Expires=Wed, 21 Oct 2015 07:28:00 GMT",
                            ),
                        ]),
                        "",
                    )
                }),
            )
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                    "late"
                }),
            )
            .layer(axum::middleware::from_fn_with_state(seen.clone(), record))
            .with_state(load.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        TestServer { port, seen, load }
    }

    /// The most `/sleep` requests that were in flight at once.
    pub fn peak_in_flight(&self) -> usize {
        self.load.peak.load(Ordering::SeqCst)
    }

    /// Requests received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn record(
    State(seen): State<Arc<Mutex<Vec<Seen>>>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    seen.lock().unwrap().push(Seen {
        path: req.uri().to_string(),
        headers,
    });
    next.run(req).await
}

async fn echo_headers(headers: HeaderMap) -> Json<serde_json::Value> {
    let map: BTreeMap<String, String> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    Json(json!(map))
}

async fn redirect(Query(q): Query<BTreeMap<String, String>>) -> impl IntoResponse {
    (
        StatusCode::FOUND,
        [(header::LOCATION, q.get("to").cloned().unwrap_or_default())],
        "",
    )
}

/// Reflects the request's `Authorization` header back in every common form: raw in a header,
/// JSON-escaped in the body, base64 and percent-encoded, and inside a base64 blob.
async fn reflect(headers: HeaderMap) -> Response {
    use base64::Engine as _;
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let value = auth
        .split_once(' ')
        .map_or(auth.as_str(), |(_, v)| v)
        .to_string();
    let b64 = base64::engine::general_purpose::STANDARD;
    let body = json!({
        "raw": auth,
        "value": value,
        "base64": b64.encode(&value),
        "base64_blob": b64.encode(format!("prefix:{value}:suffix")),
        "percent": percent_encoding::utf8_percent_encode(&value, percent_encoding::NON_ALPHANUMERIC).to_string(),
        "basic_decoded": auth.strip_prefix("Basic ").and_then(|b| b64.decode(b).ok()).map(|b| String::from_utf8_lossy(&b).into_owned()),
    });
    (
        [(header::HeaderName::from_static("x-reflect"), auth.clone())],
        Json(body),
    )
        .into_response()
}

/// Echoes the path it was called on (a webhook URL's path is its credential).
async fn reflect_path(uri: axum::http::Uri) -> Json<serde_json::Value> {
    Json(json!({ "path": uri.path() }))
}

/// Answers after `?ms=` milliseconds, counting how many requests wait at once.
async fn sleep(
    State(load): State<Arc<Load>>,
    Query(q): Query<BTreeMap<String, String>>,
) -> &'static str {
    let now = load.now.fetch_add(1, Ordering::SeqCst) + 1;
    load.peak.fetch_max(now, Ordering::SeqCst);
    let ms = q.get("ms").and_then(|m| m.parse().ok()).unwrap_or(100);
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    load.now.fetch_sub(1, Ordering::SeqCst);
    "slept"
}

/// Answers with the request's body, byte for byte, under the request's content type.
async fn echo_body(headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    ([(header::CONTENT_TYPE, ct)], body).into_response()
}
