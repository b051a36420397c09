//! The server's state: the workflow version being served, the run admission gate, metrics and
//! the events of finished runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use arc_swap::ArcSwap;
use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, broadcast, watch};
use tokio::task::JoinHandle;

use super::ServerConfig;
use super::admission::{Admission, Denied};
use super::metrics::Metrics;
use crate::executor::{Bindings, Runner};
use crate::result::ExecutionResult;
use crate::secrets::SecretValue;
use tentacular_spec::{TriggerKind, Workflow};

/// The environment variable read for the GitHub webhook secret when the secrets have no
/// `github.webhook_secret`.
pub const WEBHOOK_SECRET_ENV: &str = "WEBHOOK_SECRET";

/// One loaded version of a workflow: its nodes in the sandbox, their bindings (secrets,
/// transport, limits) and the webhook secret. Replaced whole on hot reload.
#[derive(Debug)]
pub struct Workload {
    /// The loaded nodes and the DAG.
    pub runner: Runner,
    /// What each node may use.
    pub bindings: Bindings,
    /// The secret GitHub signs webhook deliveries with, if any.
    pub webhook_secret: Option<SecretValue>,
}

impl Workload {
    /// A workload from its parts.
    pub fn new(runner: Runner, bindings: Bindings, webhook_secret: Option<SecretValue>) -> Self {
        Workload {
            runner,
            bindings,
            webhook_secret,
        }
    }

    /// The workflow spec.
    pub fn workflow(&self) -> &Workflow {
        &self.runner.workflow().workflow
    }

    /// True when the workflow has at least one webhook trigger.
    pub fn has_webhooks(&self) -> bool {
        self.workflow()
            .triggers
            .iter()
            .any(|t| matches!(t.kind, TriggerKind::Webhook { .. }))
    }
}

/// What started a run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RunSource {
    /// `GET|POST /run` (the manual trigger).
    Manual,
    /// A webhook delivery that matched a trigger.
    Webhook {
        /// The matched trigger's name (or event, or `"webhook"`).
        trigger: String,
        /// `X-GitHub-Delivery`, if sent.
        delivery_id: Option<String>,
    },
    /// A cron trigger of the engine's own scheduler.
    Cron {
        /// The trigger's name, if it has one.
        trigger: Option<String>,
        /// The schedule as written.
        schedule: String,
    },
}

impl RunSource {
    /// `"manual"`, `"webhook"` or `"cron"`: the `trigger` label of the metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            RunSource::Manual => "manual",
            RunSource::Webhook { .. } => "webhook",
            RunSource::Cron { .. } => "cron",
        }
    }
}

/// A finished run, as broadcast to [`App::subscribe`]rs.
#[derive(Debug, Clone)]
pub struct RunEvent {
    /// What started it.
    pub source: RunSource,
    /// Which loaded version of the workflow ran (starts at 1, +1 per successful reload).
    pub generation: u64,
    /// The result.
    pub result: ExecutionResult,
}

/// Why a run was not started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refused {
    /// `max_in_flight` runs are executing.
    #[error("too many runs in flight (limit {limit})")]
    Busy {
        /// The limit.
        limit: usize,
    },
    /// The server is shutting down.
    #[error("the engine is shutting down")]
    ShuttingDown,
}

/// The shared state of a serving engine. Cheap to clone.
#[derive(Clone, Debug)]
pub struct App {
    inner: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    current: ArcSwap<Served>,
    config: ServerConfig,
    admission: Admission,
    metrics: Metrics,
    events: broadcast::Sender<Arc<RunEvent>>,
    generation: watch::Sender<u64>,
    stopping: watch::Sender<bool>,
    refusing: AtomicBool,
    in_flight: AtomicUsize,
    warned_no_webhook_secret: AtomicBool,
    next_generation: AtomicU64,
}

/// The version of the workflow being served.
#[derive(Debug)]
pub struct Served {
    /// The workload.
    pub workload: Workload,
    /// 1 at start, +1 per successful reload.
    pub generation: u64,
}

impl App {
    /// Serves `workload` with `config`.
    pub fn new(workload: Workload, config: ServerConfig) -> App {
        let admission = Admission::new(config.max_in_flight, config.max_queued, config.queue_wait);
        let config = ServerConfig {
            max_in_flight: admission.max_in_flight(),
            ..config
        };
        let app = App {
            inner: Arc::new(Shared {
                current: ArcSwap::from_pointee(Served {
                    workload,
                    generation: 1,
                }),
                admission,
                config,
                metrics: Metrics::default(),
                events: broadcast::channel(64).0,
                generation: watch::channel(1).0,
                stopping: watch::channel(false).0,
                refusing: AtomicBool::new(false),
                in_flight: AtomicUsize::new(0),
                warned_no_webhook_secret: AtomicBool::new(false),
                next_generation: AtomicU64::new(2),
            }),
        };
        app.check_webhook_secret();
        app
    }

    /// The settings.
    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    /// The version being served now. A run keeps the version it started with.
    pub fn served(&self) -> Arc<Served> {
        self.inner.current.load_full()
    }

    /// The generation being served: 1 at start, +1 per successful reload.
    pub fn generation(&self) -> u64 {
        self.inner.current.load().generation
    }

    /// Swaps in a new version of the workflow, atomically: runs already started finish on
    /// the old one, every later run uses the new one. Returns the new generation.
    pub fn replace(&self, workload: Workload) -> u64 {
        let generation = self.inner.next_generation.fetch_add(1, Ordering::Relaxed);
        self.inner.current.store(Arc::new(Served {
            workload,
            generation,
        }));
        self.inner.metrics.reloaded(true);
        self.check_webhook_secret();
        self.inner.generation.send_replace(generation);
        generation
    }

    /// Counts a failed reload (the served version is kept).
    pub fn reload_failed(&self) {
        self.inner.metrics.reloaded(false);
    }

    /// Changes of the served generation (for triggers that depend on the spec, such as cron).
    pub fn watch_generation(&self) -> watch::Receiver<u64> {
        self.inner.generation.subscribe()
    }

    /// Every finished run, for whoever listens (e.g. `tntc dev` printing cron results).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<RunEvent>> {
        self.inner.events.subscribe()
    }

    /// Becomes true when shutdown begins: triggers stop scheduling new runs.
    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.inner.stopping.subscribe()
    }

    /// True once shutdown has begun.
    pub fn is_stopping(&self) -> bool {
        *self.inner.stopping.borrow()
    }

    /// Starts shutting down: triggers stop. The HTTP server keeps answering the requests it
    /// has until [`App::drain`].
    pub fn begin_shutdown(&self) {
        self.inner.stopping.send_replace(true);
    }

    /// Refuses new runs and waits until every admitted run (HTTP, webhook, cron) finished.
    pub async fn drain(&self) {
        self.begin_shutdown();
        self.inner.refusing.store(true, Ordering::SeqCst);
        let in_flight = self.in_flight();
        if in_flight > 0 {
            tracing::info!(in_flight, "waiting for runs in flight to finish");
        }
        self.inner.admission.drain().await;
    }

    /// Runs executing now.
    pub fn in_flight(&self) -> usize {
        self.inner.in_flight.load(Ordering::SeqCst)
    }

    pub(crate) fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Requests waiting for admission now.
    pub fn queued(&self) -> usize {
        self.inner.admission.queued()
    }

    /// The admission queue's length limit.
    pub fn max_queued(&self) -> usize {
        self.inner.admission.max_queued()
    }

    /// Starts a run of the current workload with `input` if fewer than `max_in_flight` runs
    /// are executing; never queues (cron firings). The run goes on to the end even if
    /// whoever started it goes away, and shutdown waits for it.
    pub fn try_start(
        &self,
        source: RunSource,
        input: Value,
    ) -> Result<JoinHandle<Arc<RunEvent>>, Refused> {
        if self.inner.refusing.load(Ordering::SeqCst) {
            return Err(Refused::ShuttingDown);
        }
        let permit = self.inner.admission.try_admit();
        self.started(permit, source, input)
    }

    /// Starts a run like [`App::try_start`], but when every slot is taken waits for one in
    /// the admission queue ([`ServerConfig::queue_wait`] at most, first come first served);
    /// refused when the queue is full or the wait runs out (`/run` and webhooks: 429).
    pub async fn start(
        &self,
        source: RunSource,
        input: Value,
    ) -> Result<JoinHandle<Arc<RunEvent>>, Refused> {
        if self.inner.refusing.load(Ordering::SeqCst) {
            return Err(Refused::ShuttingDown);
        }
        let permit = self.inner.admission.admit().await;
        if self.inner.refusing.load(Ordering::SeqCst) {
            return Err(Refused::ShuttingDown);
        }
        self.started(permit, source, input)
    }

    fn started(
        &self,
        permit: Result<OwnedSemaphorePermit, Denied>,
        source: RunSource,
        input: Value,
    ) -> Result<JoinHandle<Arc<RunEvent>>, Refused> {
        let permit = match permit {
            Ok(p) => p,
            Err(Denied::Busy) => {
                self.inner.metrics.rejected();
                return Err(Refused::Busy {
                    limit: self.inner.config.max_in_flight,
                });
            }
            Err(Denied::Closed) => return Err(Refused::ShuttingDown),
        };
        let current = self.served();
        let app = self.clone();
        self.inner.in_flight.fetch_add(1, Ordering::SeqCst);
        Ok(tokio::spawn(app.run(current, source, input, permit)))
    }

    async fn run(
        self,
        current: Arc<Served>,
        source: RunSource,
        input: Value,
        permit: OwnedSemaphorePermit,
    ) -> Arc<RunEvent> {
        // Holds the run's permit and its place in the in-flight count until the run is over.
        struct Admitted<'a> {
            count: &'a AtomicUsize,
            _permit: OwnedSemaphorePermit,
        }
        impl Drop for Admitted<'_> {
            fn drop(&mut self) {
                self.count.fetch_sub(1, Ordering::SeqCst);
            }
        }
        let admitted = Admitted {
            count: &self.inner.in_flight,
            _permit: permit,
        };
        let clock = Instant::now();
        let w = &current.workload;
        let report = w.runner.run(&w.bindings, input).await;
        let elapsed = clock.elapsed();
        self.inner
            .metrics
            .record_run(source.kind(), elapsed, &report);
        let r = &report.result;
        if source == RunSource::Manual {
            tracing::debug!(
                trigger = source.kind(),
                success = r.success,
                duration_ms = elapsed.as_millis() as u64,
                "run finished"
            );
        } else if r.success {
            tracing::info!(trigger = source.kind(), source = ?source, success = true, duration_ms = elapsed.as_millis() as u64, "run finished");
        } else {
            let errors = serde_json::to_string(&r.errors).unwrap_or_default();
            tracing::warn!(trigger = source.kind(), source = ?source, success = false, duration_ms = elapsed.as_millis() as u64, errors = %errors, "run failed");
        }
        let event = Arc::new(RunEvent {
            source,
            generation: current.generation,
            result: report.result,
        });
        if self.inner.events.receiver_count() > 0 {
            let _ = self.inner.events.send(event.clone());
        }
        // Only now may drain see this run as finished.
        drop(admitted);
        event
    }

    fn check_webhook_secret(&self) {
        let current = self.served();
        if current.workload.has_webhooks()
            && current.workload.webhook_secret.is_none()
            && !self
                .inner
                .warned_no_webhook_secret
                .swap(true, Ordering::Relaxed)
        {
            tracing::warn!(
                "webhook triggers are configured but no webhook secret is set (secrets github.webhook_secret or env {WEBHOOK_SECRET_ENV}): every delivery to /webhook/github is refused with 401 until one is"
            );
        }
    }
}
