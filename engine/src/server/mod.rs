//! The engine's HTTP server (axum).
//!
//! | endpoint | answers |
//! | --- | --- |
//! | `GET /health` | 200 `{"status":"ok"}` |
//! | `GET /run`, `POST /run` | runs the DAG; 200 when it succeeded, 500 when a node failed; the body is the `ExecutionResult`, pretty-printed with 2-space indent. The POST body is the roots' input; an empty body or one that is not JSON is taken as `{}` (as the original did), `GET` always gives `{}` |
//! | `POST /webhook/<provider>` | GitHub deliveries: signature, event/action matching, then a run in the background (see [`handlers`]) |
//! | `GET /metrics` | Prometheus text |
//!
//! Every error is `{"error": "<message>"}` with a status: 400, 401, 404, 405, 413 (body over
//! [`ServerConfig::body_limit`]), 429 with `Retry-After` ([`ServerConfig::max_in_flight`] runs
//! executing and the admission queue full, or its wait over), 500, 503 with `Retry-After` (shutting down).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use tentacular_engine::server::{self, App, Loader, ServerConfig};
//! use tentacular_sandbox::{Sandbox, SandboxConfig, fetch::net::NetTransport};
//!
//! let sandbox = Sandbox::new(SandboxConfig::default())?;
//! let loader = Loader::new(sandbox, "example-workflows/word-counter", Arc::new(NetTransport::new()?));
//! let app = App::new(loader.load().await?, ServerConfig::default());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! // Serves until SIGTERM/SIGINT, then finishes every run in flight.
//! server::serve(listener, app, server::shutdown_signal()).await?;
//! # Ok(()) }
//! ```

mod admission;
mod app;
mod error;
pub mod handlers;
mod loader;
pub mod local_only;
mod metrics;

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::serve::ListenerExt;

pub use app::{App, Refused, RunEvent, RunSource, Served, WEBHOOK_SECRET_ENV, Workload};
pub use error::{ApiError, ErrorDetail};
pub use loader::{Loader, WorkloadError};

/// How the server admits work.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Most runs executing at once (HTTP, webhook and cron together); beyond it `/run` and
    /// webhooks wait in the admission queue and cron firings are skipped. By default, 64
    /// (the engine binary derives it from its memory budget: `crate::capacity`).
    pub max_in_flight: usize,
    /// Most requests waiting for admission when `max_in_flight` runs execute; more get 429
    /// with `Retry-After` at once. By default, 256.
    pub max_queued: usize,
    /// Longest a request waits in the admission queue before it gets 429 with
    /// `Retry-After`; zero means no queue. By default, 2 s.
    pub queue_wait: Duration,
    /// Largest request body in bytes; a larger one gets 413. By default, 10 MiB.
    pub body_limit: usize,
    /// The memory budget the limits were derived from, shown by `/metrics`
    /// (`tentacular_memory_budget_bytes`). By default, `None`.
    pub memory_budget: Option<u64>,
    /// The `Retry-After` of 429 and 503 answers. By default, 1 s.
    pub retry_after: Duration,
    /// `Some(port)`: answer only requests for this machine on `port`, and refuse cross-site
    /// requests to `/run` and `/webhook/*` ([`local_only`], for `tntc dev`). By default,
    /// `None` (in a cluster, requests come through the API server's proxy).
    pub local_only: Option<u16>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_in_flight: 64,
            max_queued: 256,
            queue_wait: Duration::from_secs(2),
            memory_budget: None,
            body_limit: 10 << 20,
            retry_after: Duration::from_secs(1),
            local_only: None,
        }
    }
}

/// The routes, ready for [`axum::serve()`] or `tower::ServiceExt::oneshot`.
pub fn router(app: App) -> Router {
    let limit = app.config().body_limit;
    Router::new()
        .route("/health", get(handlers::health))
        .route("/run", get(handlers::run_get).post(handlers::run_post))
        .route("/webhook/{provider}", post(handlers::webhook))
        .route("/metrics", get(handlers::metrics))
        .fallback(handlers::not_found)
        .method_not_allowed_fallback(handlers::method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            handlers::limit_declared_length,
        ))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            local_only::guard,
        ))
        .layer(axum::middleware::from_fn(handlers::log_errors))
        .with_state(app)
}

/// Serves `app` on `listener` until `shutdown` completes, then shuts down gracefully: stops
/// accepting connections and the triggers, answers the requests already received, and waits
/// for every run in flight (including webhook and cron runs in the background) to finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let signal_app = app.clone();
    let signal = async move {
        shutdown.await;
        tracing::info!(
            in_flight = signal_app.in_flight(),
            "shutting down: no new connections; finishing runs in flight"
        );
        signal_app.begin_shutdown();
    };
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, router(app.clone()))
        .with_graceful_shutdown(signal)
        .await?;
    app.drain().await;
    tracing::info!("shut down");
    Ok(())
}

/// The format of the engine's logs on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line, fields at the top level (for log collectors).
    Json,
    /// Human-readable lines (for `tntc dev`).
    Text,
}

/// Installs the process's log subscriber on stderr, filtered by `RUST_LOG` (by default
/// `info`); text is coloured only on a terminal and never with `NO_COLOR`. Node log lines have the target `tentacular::node` and a `node` field. Returns
/// false when a subscriber was already installed.
pub fn init_logging(format: LogFormat) -> bool {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init()
            .is_ok(),
        LogFormat::Text => {
            use std::io::IsTerminal;
            let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            builder
                .with_target(false)
                .with_ansi(colour)
                .try_init()
                .is_ok()
        }
    }
}

/// Completes on SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => tracing::info!(signal = "SIGTERM", "signal received"),
                    _ = int.recv() => tracing::info!(signal = "SIGINT", "signal received"),
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
