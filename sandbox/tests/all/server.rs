//! A real HTTP server on 127.0.0.1 for fetch tests. It records every request it receives.

use std::collections::BTreeMap;
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
}

impl TestServer {
    /// Starts the server on an ephemeral port of 127.0.0.1.
    pub async fn start() -> TestServer {
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let app = Router::new()
            .route("/json", get(|| async { Json(json!({"hello": "world"})) }))
            .route("/echo-headers", any(echo_headers))
            .route("/redirect", get(redirect))
            .route("/big", get(|| async { "x".repeat(11 * 1024 * 1024) }))
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                    "late"
                }),
            )
            .layer(axum::middleware::from_fn_with_state(seen.clone(), record))
            .with_state(());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        TestServer { port, seen }
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
