//! The executor: a workflow's nodes loaded into the sandbox, run stage by stage.
//!
//! Stages run in order; the nodes of a stage run concurrently (one tokio task each, each in
//! its own fresh sandbox instance). A node that fails is retried `config.retries` times with
//! a 100 ms·2ⁿ backoff; after a stage with a failure, later stages do not run.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use indexmap::IndexMap;
use serde_json::Value;
use tentacular_sandbox::fetch::Transport;
use tentacular_sandbox::{
    Capabilities, Clock, Limits, LoadError, LogLine, NodeError, NodeOutcome, NodeProgram, Sandbox,
    Scrubber, SecretError, SecretValues, SecurityEvent,
};

use crate::node_capabilities;
use crate::result::{ExecutionResult, NodeResources, NodeTiming, Timing, rfc3339};
use crate::secrets::Secrets;
use tentacular_deno::Supervisor;
use tentacular_spec::dag::{self, Plan};
use tentacular_spec::{LoadedWorkflow, NodeId};

/// Why a workflow could not be made ready to run. Every node's problem is listed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadFailure {
    /// The DAG could not be compiled (validation normally catches this first).
    #[error("{0}")]
    Plan(#[from] tentacular_spec::dag::DagError),
    /// Deno compatibility mode cannot run here (no Deno binary, or its child did not start).
    #[error("{}: {message}", if nodes.len() == 1 { format!("node \"{}\" runs in Deno compatibility mode", nodes[0]) } else { format!("nodes {} run in Deno compatibility mode", nodes.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ")) })]
    Deno {
        /// The Deno nodes.
        nodes: Vec<NodeId>,
        /// Why they cannot run, and what to do.
        message: String,
    },
    /// One or more nodes failed to load.
    #[error("{}", nodes.iter().map(|n| format!("node \"{}\": {}", n.node, n.message)).collect::<Vec<_>>().join("\n"))]
    Nodes {
        /// Each node that failed, with its error.
        nodes: Vec<NodeLoadError>,
    },
}

/// One node's load error.
#[derive(Debug)]
pub struct NodeLoadError {
    /// The node.
    pub node: NodeId,
    /// What went wrong (file, line and column where known).
    pub error: LoadError,
    /// The error as shown: its text, with known secret values redacted
    /// ([`LoadFailure::redact`]).
    pub message: String,
}

impl LoadFailure {
    /// The same failure, with every secret value `scrubber` knows redacted from its messages
    /// (a load error quotes what it read; it must never quote a secret).
    pub fn redact(mut self, scrubber: &Scrubber) -> Self {
        if let LoadFailure::Nodes { nodes } = &mut self {
            for n in nodes {
                n.message = scrubber.redact(&n.message);
            }
        }
        self
    }
}

/// A workflow ready to run. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Runner {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The sandbox the nodes are loaded into (its instance pool is shared by every run).
    sandbox: Sandbox,
    loaded: LoadedWorkflow,
    plan: Plan,
    programs: IndexMap<NodeId, Slot>,
}

#[derive(Debug, Clone)]
pub(crate) enum Slot {
    Wasm(NodeProgram),
    /// Runs in the workflow's Deno child (`runtime: deno`, or npm:/jsr:/remote imports).
    Deno(Arc<Supervisor>),
    /// A Deno node, and no Deno here ([`Runner::load_partial`] only): why, with the hint.
    NoDeno(String),
    /// A node that did not load ([`Runner::load_partial`] only): its error.
    Broken(String),
}

/// How [`Runner::load_with`] finds what it needs beyond the sandbox.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// The Deno binary (`--deno`); by default, [`tentacular_deno::locate`]'s search.
    pub deno: Option<std::path::PathBuf>,
}

/// What the nodes of one run may use: per-node capabilities and limits. Build once for a
/// server (secrets and transport fixed), or per fixture in tests.
#[derive(Debug, Clone)]
pub struct Bindings {
    caps: IndexMap<NodeId, Arc<Capabilities>>,
    limits: IndexMap<NodeId, Limits>,
    secrets: SecretValues,
}

impl Bindings {
    /// Bindings for every node of `loaded`, with `ctx.config` from the workflow. Fails when a
    /// secret value is too short to be kept out of responses and logs.
    pub fn new(
        loaded: &LoadedWorkflow,
        secrets: &Secrets,
        transport: Arc<dyn Transport>,
    ) -> Result<Self, SecretError> {
        Self::with_config(
            loaded,
            node_capabilities::ctx_config(&loaded.workflow),
            secrets,
            transport,
        )
    }

    /// Like [`Bindings::new`] with an explicit `ctx.config`.
    pub fn with_config(
        loaded: &LoadedWorkflow,
        config: Value,
        secrets: &Secrets,
        transport: Arc<dyn Transport>,
    ) -> Result<Self, SecretError> {
        let wf = &loaded.workflow;
        let values = node_capabilities::secret_values(secrets)?;
        let caps = wf
            .nodes
            .keys()
            .map(|id| {
                (
                    id.clone(),
                    Arc::new(node_capabilities::capabilities(
                        wf,
                        id,
                        config.clone(),
                        values.clone(),
                        transport.clone(),
                        secrets.service_account(),
                    )),
                )
            })
            .collect();
        let limits = wf
            .nodes
            .keys()
            .map(|id| (id.clone(), node_capabilities::limits(wf, id)))
            .collect();
        Ok(Bindings {
            caps,
            limits,
            secrets: values,
        })
    }

    /// Redacts the secret values of these bindings from text meant for logs and errors.
    pub fn scrubber(&self) -> &Scrubber {
        self.secrets.scrubber()
    }

    /// The capabilities of `node`.
    pub fn capabilities(&self, node: &NodeId) -> Option<&Arc<Capabilities>> {
        self.caps.get(node)
    }

    /// The limits of `node`.
    pub fn limits(&self, node: &NodeId) -> Option<&Limits> {
        self.limits.get(node)
    }

    /// The same bindings with every node's timers on `clock` (`tntc test` uses
    /// [`Clock::Virtual`] so that backoff code runs without waiting).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        for l in self.limits.values_mut() {
            l.clock = clock;
        }
        self
    }
}

/// A run's result plus every node's captured log lines.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The JSON result.
    pub result: ExecutionResult,
    /// Log lines by node, in execution order.
    pub logs: IndexMap<String, Vec<LogLine>>,
    /// The typed error of each failed node.
    pub node_errors: IndexMap<String, NodeError>,
    /// What the host refused or scrubbed on the nodes' behalf, in order, by node (reasons and
    /// dependencies only, never values).
    pub security: Vec<(String, SecurityEvent)>,
}

struct NodeRun {
    id: NodeId,
    started: SystemTime,
    elapsed: Duration,
    attempts: u32,
    outcome: NodeOutcome,
}

impl Runner {
    /// Loads every node of `loaded` into `sandbox`, all in one workflow snapshot (one
    /// compilation, one copy of the runtime's code; each invocation still gets a fresh
    /// instance), and its Deno nodes into one Deno child (found by
    /// [`tentacular_deno::locate`]). All load errors are collected, so one run of `tntc
    /// validate`/`test` shows every broken node.
    pub async fn load(sandbox: &Sandbox, loaded: LoadedWorkflow) -> Result<Runner, LoadFailure> {
        Self::load_with(sandbox, loaded, &LoadOptions::default()).await
    }

    /// [`Runner::load`] with explicit options.
    pub async fn load_with(
        sandbox: &Sandbox,
        loaded: LoadedWorkflow,
        options: &LoadOptions,
    ) -> Result<Runner, LoadFailure> {
        let (runner, failures) = Self::load_partial(sandbox, loaded, options).await?;
        let no_deno: Vec<(NodeId, String)> = runner
            .inner
            .programs
            .iter()
            .filter_map(|(id, s)| match s {
                Slot::NoDeno(m) => Some((id.clone(), m.clone())),
                _ => None,
            })
            .collect();
        if let Some((_, message)) = no_deno.first() {
            return Err(LoadFailure::Deno {
                message: message.clone(),
                nodes: no_deno.into_iter().map(|(n, _)| n).collect(),
            });
        }
        if !failures.is_empty() {
            return Err(LoadFailure::Nodes { nodes: failures });
        }
        Ok(runner)
    }

    /// Loads what loads: a node that does not (and a Deno node without Deno) is kept as
    /// such, and running it reports why, so the other nodes still run (`tntc test` reports a
    /// broken node on its own fixtures). Returns the runner and every node's load error.
    pub async fn load_partial(
        sandbox: &Sandbox,
        loaded: LoadedWorkflow,
        options: &LoadOptions,
    ) -> Result<(Runner, Vec<NodeLoadError>), LoadFailure> {
        let plan = dag::compile(&loaded.workflow)?;
        let deno_nodes = tentacular_deno::runtime::deno_nodes(&loaded);
        let wasm: Vec<(&NodeId, &std::path::Path)> = loaded
            .workflow
            .nodes
            .iter()
            .filter(|(id, _)| !deno_nodes.contains(id))
            .map(|(id, spec)| (id, std::path::Path::new(spec.path.as_str())))
            .collect();
        let paths: Vec<&std::path::Path> = wasm.iter().map(|(_, p)| *p).collect();
        let mut loaded_programs = sandbox.load_all(&loaded.dir, &paths).await.into_iter();
        let mut deno_slots = crate::deno_slots::load(&loaded, &deno_nodes, options).await;
        let mut programs = IndexMap::new();
        let mut failures = Vec::new();
        for id in loaded.workflow.nodes.keys() {
            let result = if deno_nodes.contains(id) {
                deno_slots.remove(id).expect("one slot per Deno node")
            } else {
                loaded_programs
                    .next()
                    .expect("one result per wasm node")
                    .map(Slot::Wasm)
            };
            match result {
                Ok(slot) => {
                    programs.insert(id.clone(), slot);
                }
                Err(error) => {
                    let message = error.to_string();
                    programs.insert(id.clone(), Slot::Broken(message.clone()));
                    failures.push(NodeLoadError {
                        node: id.clone(),
                        message,
                        error,
                    });
                }
            }
        }
        let runner = Runner {
            inner: Arc::new(Inner {
                sandbox: sandbox.clone(),
                loaded,
                plan,
                programs,
            }),
        };
        Ok((runner, failures))
    }

    /// Why `node` cannot run here, when it is a Deno node and no Deno was found (the
    /// message names the install command).
    pub fn deno_missing(&self, node: &NodeId) -> Option<&str> {
        match self.inner.programs.get(node) {
            Some(Slot::NoDeno(m)) => Some(m),
            _ => None,
        }
    }

    /// The load error of `node`, when it did not load ([`Runner::load_partial`]).
    pub fn load_error(&self, node: &NodeId) -> Option<&str> {
        match self.inner.programs.get(node) {
            Some(Slot::Broken(m)) => Some(m),
            _ => None,
        }
    }

    /// Whether `node` runs in Deno compatibility mode.
    pub fn is_deno(&self, node: &NodeId) -> bool {
        matches!(
            self.inner.programs.get(node),
            Some(Slot::Deno(_) | Slot::NoDeno(_))
        )
    }

    /// The workflow this runner runs.
    pub fn workflow(&self) -> &LoadedWorkflow {
        &self.inner.loaded
    }

    /// The sandbox the nodes run in (its pool's figures feed `/metrics`).
    pub fn sandbox(&self) -> &Sandbox {
        &self.inner.sandbox
    }

    /// The compiled DAG.
    pub fn plan(&self) -> &Plan {
        &self.inner.plan
    }

    /// Runs `node` once (no retries) with explicit capabilities and limits: the building block
    /// of node fixture tests.
    pub async fn run_node(
        &self,
        node: &NodeId,
        input: &Value,
        caps: &Arc<Capabilities>,
        limits: &Limits,
    ) -> NodeOutcome {
        match self.inner.programs.get(node) {
            Some(Slot::Wasm(p)) => p.invoke(input, caps, limits).await,
            Some(Slot::Deno(s)) => s.run(node.as_str(), input, caps, limits).await,
            Some(Slot::NoDeno(m)) => internal(m.clone()),
            Some(Slot::Broken(m)) => internal(format!("node \"{node}\" did not load: {m}")),
            None => internal(format!("no node \"{node}\" in this workflow")),
        }
    }

    /// Runs the whole DAG with `input` for the root nodes.
    pub async fn run(&self, bindings: &Bindings, input: Value) -> RunReport {
        let started_at = SystemTime::now();
        let clock = Instant::now();
        let retries = self.inner.loaded.workflow.config.retries();
        let mut outputs: IndexMap<String, Value> = IndexMap::new();
        let mut report = RunReport {
            result: ExecutionResult {
                success: true,
                outputs: IndexMap::new(),
                errors: IndexMap::new(),
                timing: Timing {
                    started_at: rfc3339(started_at),
                    completed_at: String::new(),
                    duration_ms: 0,
                    node_timings: IndexMap::new(),
                },
                resources: IndexMap::new(),
            },
            logs: IndexMap::new(),
            node_errors: IndexMap::new(),
            security: Vec::new(),
        };
        let input = Arc::new(input);
        for stage in self.inner.plan.stages() {
            let mut ready = Vec::new();
            for id in stage {
                let node_input = match self
                    .inner
                    .plan
                    .input_for(id, &input, |p| outputs.get(p.as_str()))
                {
                    Ok(v) => v,
                    Err(e) => {
                        report.result.errors.insert(id.to_string(), e.to_string());
                        continue;
                    }
                };
                let caps = bindings.caps.get(id).cloned();
                let limits = bindings.limits.get(id).cloned().unwrap_or_default();
                ready.push((id.clone(), node_input, caps, limits));
            }
            if ready.len() == 1 {
                // A stage of one node (a chain) runs on this task: a task per node costs a
                // spawn and a wake-up for no concurrency.
                let (id, node_input, caps, limits) = ready.pop().expect("one node");
                let run = self
                    .run_with_retries(id, node_input, caps, limits, retries)
                    .await;
                self.record(&mut report, &mut outputs, run);
            } else {
                // Nodes of a stage run concurrently, each on its own task (and so in parallel
                // on a multi-threaded runtime).
                let tasks: Vec<_> = ready
                    .into_iter()
                    .map(|(id, node_input, caps, limits)| {
                        let runner = self.clone();
                        let task_id = id.clone();
                        let task = tokio::spawn(async move {
                            runner
                                .run_with_retries(task_id, node_input, caps, limits, retries)
                                .await
                        });
                        (id, task)
                    })
                    .collect();
                for (id, task) in tasks {
                    let run = match task.await {
                        Ok(run) => run,
                        // A bug in the host, not the node: that node fails, the run reports it.
                        Err(e) => NodeRun {
                            id,
                            started: SystemTime::now(),
                            elapsed: Duration::ZERO,
                            attempts: 1,
                            outcome: internal(format!("the node's task failed: {e}")),
                        },
                    };
                    self.record(&mut report, &mut outputs, run);
                }
            }
            if !report.result.errors.is_empty() {
                break;
            }
        }
        report.result.success = report.result.errors.is_empty();
        report.result.outputs = outputs;
        report.result.timing.completed_at = rfc3339(SystemTime::now());
        report.result.timing.duration_ms = clock.elapsed().as_millis() as u64;
        report
    }

    async fn run_with_retries(
        &self,
        id: NodeId,
        input: Value,
        caps: Option<Arc<Capabilities>>,
        limits: Limits,
        retries: u32,
    ) -> NodeRun {
        let started = SystemTime::now();
        let clock = Instant::now();
        let Some(caps) = caps else {
            return NodeRun {
                id: id.clone(),
                started,
                elapsed: clock.elapsed(),
                attempts: 0,
                outcome: unbound(&id),
            };
        };
        let mut attempt = 0;
        loop {
            let outcome = self.run_node(&id, &input, &caps, &limits).await;
            attempt += 1;
            let retryable = outcome.result.is_err()
                && matches!(
                    self.inner.programs.get(&id),
                    Some(Slot::Wasm(_) | Slot::Deno(_))
                );
            if !retryable || attempt > retries {
                return NodeRun {
                    id,
                    started,
                    elapsed: clock.elapsed(),
                    attempts: attempt,
                    outcome,
                };
            }
            tokio::time::sleep(Duration::from_millis(100 << (attempt - 1).min(10))).await;
        }
    }

    fn record(&self, report: &mut RunReport, outputs: &mut IndexMap<String, Value>, run: NodeRun) {
        let key = run.id.to_string();
        for line in &run.outcome.logs {
            tracing::info!(target: "tentacular::node", node = %key, level = line.level.as_str(), "{}", line.message);
        }
        report.logs.insert(key.clone(), run.outcome.logs);
        for event in run.outcome.events {
            let dependency = event.dependency.as_deref().unwrap_or("");
            if event.reason == "scrubbed" {
                tracing::info!(target: "tentacular::security", node = %key, dependency, reason = %event.reason, "a response carried a secret value; it was replaced by its placeholder");
            } else {
                tracing::warn!(target: "tentacular::security", node = %key, dependency, reason = %event.reason, "request refused");
            }
            report.security.push((key.clone(), event));
        }
        let completed = run.started + run.elapsed;
        report.result.timing.node_timings.insert(
            key.clone(),
            NodeTiming {
                started_at: rfc3339(run.started),
                completed_at: rfc3339(completed),
                duration_ms: run.elapsed.as_millis() as u64,
                queued_ms: run.outcome.stats.queued_us / 1000,
            },
        );
        let stats = run.outcome.stats;
        report.result.resources.insert(
            key.clone(),
            NodeResources {
                attempts: run.attempts,
                peak_memory: stats.peak_memory,
                fetches: stats.fetches,
                duration_us: stats.duration_us,
                fuel_consumed: stats.fuel_consumed,
            },
        );
        match run.outcome.result {
            Ok(v) => {
                outputs.insert(key, v);
            }
            Err(e) => {
                report
                    .result
                    .errors
                    .insert(key.clone(), error_text(&run.id, &e));
                report.node_errors.insert(key, e);
            }
        }
    }
}

/// The error text of `errors[node]`, in the original's words where it had them.
pub fn error_text(node: &NodeId, e: &NodeError) -> String {
    match e {
        NodeError::Timeout { ms } => format!("Node \"{node}\" timed out after {ms}ms (stopped)"),
        other => other.to_string(),
    }
}

fn internal(message: String) -> NodeOutcome {
    NodeOutcome {
        result: Err(NodeError::Internal { message }),
        logs: Vec::new(),
        stats: Default::default(),
        events: Vec::new(),
    }
}

fn unbound(node: &NodeId) -> NodeOutcome {
    internal(format!("no bindings for node \"{node}\""))
}
