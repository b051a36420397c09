//! The request handlers.
//!
//! # `POST /webhook/<provider>`
//!
//! Checked in this order, as the original did:
//!
//! 1. `<provider>` not of the form `[a-z][a-z0-9-]*` → 404 `{"error":"Not Found"}`.
//! 2. The workflow has no webhook trigger → 404 `{"error":"No webhook triggers configured"}`.
//! 3. A provider other than `github` → 400 `{"error":"Unknown webhook provider: <p>"}`.
//! 4. Body over the limit → 413.
//! 5. The webhook secret (secrets `github.webhook_secret`, else env `WEBHOOK_SECRET`) must be
//!    set and non-empty — **without one every delivery is refused** with 401 `{"error":"No
//!    webhook secret configured"}` (the engine says so once at start; `tntc validate` warns) —
//!    and `X-Hub-Signature-256` must be `sha256=<hex HMAC-SHA256 of the body>`, compared in
//!    constant time, else 401 `{"error":"Invalid signature"}`.
//! 6. A body that is not a JSON object → 400 `{"error":"Invalid JSON payload"}`.
//! 7. No trigger matches `X-GitHub-Event` and `payload.action` → 200
//!    `{"ok":true,"matched":false}`.
//! 8. `max_in_flight` runs executing → 429 with `Retry-After` (GitHub shows the delivery as
//!    failed; redeliver it from the webhook's settings).
//! 9. Otherwise the run is admitted and started in the background, and the answer is 200
//!    `{"ok":true,"matched":true,"delivery_id":…,"trigger":…}` at once (GitHub gives up on
//!    answers slower than 10 s). The run is counted in `/metrics` (`trigger="webhook"`),
//!    logged when it ends, and a graceful shutdown waits for it.
//!
//! The run's input is the payload plus `_webhook {provider, event, action, delivery_id,
//! trigger}`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::app::{App, Refused, RunSource};
use super::error::{ApiError, ErrorDetail};
use crate::webhook;
use tentacular_spec::WebhookProvider;

/// `GET /health`.
pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /run`: a run with input `{}`.
pub async fn run_get(State(app): State<App>) -> Result<Response, ApiError> {
    execute(&app, json!({})).await
}

/// `POST /run`: a run with the body as input (`{}` when empty or not JSON).
pub async fn run_post(
    State(app): State<App>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|r| ApiError::body(r, app.config().body_limit))?;
    let input = run_input(&body);
    // A small body shares the connection's read buffer (8 KiB and up): let it go before the
    // run, which may wait on I/O for a long time, so that an idle connection holds no copy.
    drop(body);
    execute(&app, input).await
}

/// The roots' input for a `/run` body: the JSON value it holds; `{}` when the body is empty
/// or is not JSON (the original's rule, kept so that `curl -X POST …/run` works).
pub fn run_input(body: &[u8]) -> Value {
    if body.iter().all(u8::is_ascii_whitespace) {
        return json!({});
    }
    match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            tracing::debug!(error = %e, "the /run body is not JSON; using {{}} as input");
            json!({})
        }
    }
}

async fn execute(app: &App, input: Value) -> Result<Response, ApiError> {
    let handle = app
        .start(RunSource::Manual, input)
        .await
        .map_err(|e| refused(app, e))?;
    let event = handle
        .await
        .map_err(|e| ApiError::internal(format!("the run's task failed: {e}")))?;
    let status = if event.result.success {
        StatusCode::OK
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    let body = serde_json::to_vec_pretty(&event.result)
        .map_err(|e| ApiError::internal(format!("ExecutionResult did not serialise: {e}")))?;
    Ok((
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response())
}

fn refused(app: &App, e: Refused) -> ApiError {
    let secs = app.config().retry_after.as_secs().max(1);
    match e {
        Refused::Busy { limit } => ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("too many runs in flight (limit {limit}); retry later"),
        )
        .retry_after(secs),
        Refused::ShuttingDown => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the engine is shutting down; retry later",
        )
        .retry_after(secs),
    }
}

fn valid_provider(p: &str) -> bool {
    let mut chars = p.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '-'))
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `POST /webhook/<provider>`; see the module docs for every answer.
pub async fn webhook(
    State(app): State<App>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    if !valid_provider(&provider) {
        return Err(ApiError::not_found());
    }
    let served = app.served();
    let workload = &served.workload;
    if !workload.has_webhooks() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "No webhook triggers configured",
        ));
    }
    let kind = match provider.as_str() {
        "github" => WebhookProvider::Github,
        other => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("Unknown webhook provider: {other}"),
            ));
        }
    };
    let body = body.map_err(|r| ApiError::body(r, app.config().body_limit))?;
    // Fail closed: no secret (or an empty one, which would make a guessable HMAC key) means
    // no delivery is trusted.
    let Some(secret) = workload
        .webhook_secret
        .as_ref()
        .filter(|s| !s.expose().is_empty())
    else {
        app.metrics().webhook(&provider, "no_secret");
        return Err(
            ApiError::new(StatusCode::UNAUTHORIZED, "No webhook secret configured").with_detail(
                "set the secret github.webhook_secret (or WEBHOOK_SECRET) to the webhook's secret in GitHub; deliveries are refused until then",
            ),
        );
    };
    {
        let sig = header_str(&headers, webhook::SIGNATURE_HEADER);
        if !webhook::verify_github_signature(secret.expose().as_bytes(), &body, sig) {
            app.metrics().webhook(&provider, "invalid_signature");
            return Err(
                ApiError::new(StatusCode::UNAUTHORIZED, "Invalid signature").with_detail(
                    if sig.is_none() {
                        "no X-Hub-Signature-256 header"
                    } else {
                        "X-Hub-Signature-256 does not match the body"
                    },
                ),
            );
        }
    }
    let payload = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(o)) => o,
        Ok(_) => {
            app.metrics().webhook(&provider, "invalid_json");
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "Invalid JSON payload: expected a JSON object",
            ));
        }
        Err(e) => {
            app.metrics().webhook(&provider, "invalid_json");
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "Invalid JSON payload (set the webhook's content type to application/json)",
            )
            .with_detail(e.to_string()));
        }
    };
    let event = header_str(&headers, webhook::EVENT_HEADER);
    let delivery_id = header_str(&headers, webhook::DELIVERY_HEADER);
    let action = payload
        .get("action")
        .and_then(Value::as_str)
        .map(str::to_string);
    let action = action.as_deref();
    let Some(trigger) = webhook::match_trigger(&workload.workflow().triggers, kind, event, action)
    else {
        app.metrics().webhook(&provider, "unmatched");
        tracing::info!(
            provider,
            event,
            action,
            delivery_id,
            "webhook delivery matched no trigger"
        );
        return Ok(Json(json!({ "ok": true, "matched": false })).into_response());
    };
    let label = webhook::trigger_label(trigger);
    let input = webhook::input(payload, kind, event, delivery_id, &label);
    let source = RunSource::Webhook {
        trigger: label.clone(),
        delivery_id: delivery_id.map(str::to_string),
    };
    drop(served);
    if let Err(e) = app.start(source, input).await {
        app.metrics().webhook(&provider, "rejected");
        return Err(refused(&app, e));
    }
    app.metrics().webhook(&provider, "matched");
    tracing::info!(provider, event, action, delivery_id, trigger = %label, "webhook delivery matched; run started");
    Ok(Json(json!({
        "ok": true,
        "matched": true,
        "delivery_id": delivery_id,
        "trigger": label,
    }))
    .into_response())
}

/// `GET /metrics`: Prometheus text format 0.0.4.
pub async fn metrics(State(app): State<App>) -> Response {
    let served = app.served();
    let wf = served.workload.workflow();
    let gauges = super::metrics::Gauges {
        in_flight: app.in_flight(),
        max_in_flight: app.config().max_in_flight,
        queued: app.queued(),
        max_queued: app.max_queued(),
        pool: served.workload.runner.sandbox().pool(),
        memory_budget: app.config().memory_budget,
        resident: super::metrics::resident_bytes(),
    };
    let text = app.metrics().render(
        gauges,
        (wf.name.as_str(), wf.version.as_str(), served.generation),
    );
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        text,
    )
        .into_response()
}

/// Any other path: 404 `{"error":"Not Found"}`.
pub async fn not_found() -> ApiError {
    ApiError::not_found()
}

/// A known path with another method: 405 `{"error":"Method Not Allowed"}`.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
}

/// Answers 413 at once when `Content-Length` declares more than the body limit, before any of
/// the body is read. (Bodies without a length are cut off at the limit by the extractors.)
pub async fn limit_declared_length(State(app): State<App>, req: Request, next: Next) -> Response {
    let limit = app.config().body_limit;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(n) = declared
        && n > limit as u64
    {
        return ApiError::too_large(limit).into_response();
    }
    next.run(req).await
}

/// Logs error answers: the operator detail [`ApiError`] attached, method, path and status.
/// Client errors at debug level, server errors at error level.
pub async fn log_errors(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let res = next.run(req).await;
    let status = res.status();
    if status.is_client_error() || status.is_server_error() {
        let detail = res
            .extensions()
            .get::<ErrorDetail>()
            .map(|d| d.0.as_str())
            .unwrap_or("");
        if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
            // A /run whose workflow failed is an ordinary 500 with the result: the run's own
            // log line reports it. Only errors of the server itself carry a detail.
            if !detail.is_empty() {
                tracing::error!(%method, path, status = status.as_u16(), detail, "request failed");
            }
        } else if status == StatusCode::TOO_MANY_REQUESTS {
            tracing::debug!(%method, path, status = status.as_u16(), "run refused: max in flight");
        } else {
            tracing::debug!(%method, path, status = status.as_u16(), detail, "request rejected");
        }
    }
    res
}
