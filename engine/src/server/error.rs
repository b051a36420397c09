//! `ApiError`: every error answer of the server, as `{"error": "<safe message>"}`.
//!
//! The message is written for the client and never holds internals (paths, node source,
//! secret names, panics). What is only for operators travels in the response's extensions as
//! [`ErrorDetail`] and is logged by the server's middleware, not by `into_response`.

use axum::Json;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error answer: a status, a message safe to show, and optional operator detail.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    detail: Option<String>,
    retry_after: Option<u64>,
}

/// Operator-only detail of an [`ApiError`], attached to the response for the logging
/// middleware.
#[derive(Debug, Clone)]
pub struct ErrorDetail(pub String);

impl ApiError {
    /// An error with `status` and a message safe to show to the client.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            detail: None,
            retry_after: None,
        }
    }

    /// Adds detail for the logs only.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Adds a `Retry-After` header (seconds).
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// 404 `{"error":"Not Found"}`.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not Found")
    }

    /// 500 with a generic message; `detail` goes to the logs.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error").with_detail(detail)
    }

    /// The body could not be read: 413 when it is over `limit` bytes, 400 otherwise.
    pub fn body(rejection: BytesRejection, limit: usize) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Self::too_large(limit)
        } else {
            Self::new(rejection.status(), "the request body could not be read")
                .with_detail(rejection.body_text())
        }
    }

    /// 413: the body is over `limit` bytes.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body is larger than the limit of {limit} bytes"),
        )
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The message shown to the client.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.status, Json(json!({ "error": self.message }))).into_response();
        if let Some(s) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if let Some(d) = self.detail {
            res.extensions_mut().insert(ErrorDetail(d));
        }
        res
    }
}
