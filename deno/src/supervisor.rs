//! The [`Supervisor`]: one long-lived Deno child per workflow, restarted when it dies or a
//! node has to be killed, and the host side of every run (logs, requests through
//! [`outbound::perform`], the deadline, the output).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::Value;
use tentacular_sandbox::outbound::{self, HeldBytes};
use tentacular_sandbox::{
    Capabilities, Limits, LogLevel, LogLine, NodeError, NodeOutcome, NodeStats,
};
use tentacular_spec::{LoadedWorkflow, NodeId};
use tokio::sync::{Mutex, Semaphore};
use tokio::task::JoinSet;

use crate::child::{Live, RunEvent, Spawn};
use crate::permissions::{self, NetTarget, Paths};
use crate::protocol::{FetchFailure, JsError, ToChild};
use crate::{DenoError, cache, runtime};

/// How a workflow's child is run.
#[derive(Debug, Clone)]
pub struct SupervisorConfig {
    /// The Deno binary.
    pub deno: PathBuf,
    /// The workflow directory.
    pub workflow_dir: PathBuf,
    /// The Deno cache (`DENO_DIR`). By default, [`cache::cache_dir`].
    pub cache_dir: PathBuf,
    /// V8 heap cap of each isolate (each node's Worker), in MiB. By default, the largest
    /// `limits.memory` of the Deno nodes, at least 64.
    pub heap_mib: u64,
    /// How long a node's module may take to load. By default, 60 s.
    pub load_timeout: Duration,
    /// How long a Worker that overran may take to stop before the whole child is killed. By
    /// default, 2 s.
    pub stop_grace: Duration,
}

/// One Deno node of the workflow.
#[derive(Debug, Clone)]
pub struct DenoNode {
    /// The node's id.
    pub id: String,
    /// Its module (absolute path).
    pub module: PathBuf,
    /// The non-HTTP `host:port`s it may connect to.
    pub targets: Vec<NetTarget>,
}

/// Whether a node's module loaded in the child.
pub type NodeLoad = Result<(), JsError>;

/// A workflow's Deno child and its nodes. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Supervisor {
    spawn: Spawn,
    nodes: Vec<(DenoNode, Value)>,
    live: Mutex<Option<Arc<Live>>>,
    next_run: AtomicU64,
    config: SupervisorConfig,
}

impl SupervisorConfig {
    /// The configuration for `loaded` run with `deno`: cache from [`cache::cache_dir`], heap
    /// from the nodes' memory limits.
    pub fn for_workflow(
        loaded: &LoadedWorkflow,
        deno: &Path,
    ) -> Result<SupervisorConfig, DenoError> {
        let dir = std::path::absolute(&loaded.dir).map_err(DenoError::io(&loaded.dir))?;
        let heap = runtime::deno_nodes(loaded)
            .iter()
            .map(|n| loaded.workflow.memory_of(n) >> 20)
            .max()
            .unwrap_or(64)
            .max(64);
        Ok(SupervisorConfig {
            deno: deno.to_path_buf(),
            cache_dir: std::path::absolute(cache::cache_dir(&dir)).map_err(DenoError::io(&dir))?,
            workflow_dir: dir,
            heap_mib: heap,
            load_timeout: Duration::from_secs(60),
            stop_grace: Duration::from_secs(2),
        })
    }
}

/// The Deno nodes of `loaded`, with their modules and targets.
pub fn deno_nodes(loaded: &LoadedWorkflow, workflow_dir: &Path) -> Vec<DenoNode> {
    runtime::deno_nodes(loaded)
        .into_iter()
        .map(|id| DenoNode {
            module: workflow_dir.join(loaded.workflow.nodes[&id].path.as_str()),
            targets: permissions::net_targets(&loaded.workflow, &id),
            id: id.to_string(),
        })
        .collect()
}

impl Supervisor {
    /// Starts the child for the Deno nodes of `loaded` and loads every one of them; returns
    /// each node's load verdict (one broken node does not stop the others).
    pub async fn start_workflow(
        loaded: &LoadedWorkflow,
        deno: &Path,
    ) -> Result<(Supervisor, Vec<(NodeId, NodeLoad)>), DenoError> {
        let config = SupervisorConfig::for_workflow(loaded, deno)?;
        let nodes = deno_nodes(loaded, &config.workflow_dir);
        let (s, loads) = Supervisor::start(config, nodes).await?;
        let loads = loads
            .into_iter()
            .map(|(id, r)| (NodeId::new(&id).expect("ids come from the workflow"), r))
            .collect();
        Ok((s, loads))
    }

    /// Starts a child for `nodes` and loads each; returns each node's load verdict.
    pub async fn start(
        config: SupervisorConfig,
        nodes: Vec<DenoNode>,
    ) -> Result<(Supervisor, Vec<(String, NodeLoad)>), DenoError> {
        let private = tempfile::Builder::new()
            .prefix("tntc-deno-")
            .tempdir()
            .map_err(DenoError::io(std::env::temp_dir()))?;
        let paths = Paths {
            workflow_dir: config.workflow_dir.clone(),
            cache_dir: config.cache_dir.clone(),
            private_dir: private.path().to_path_buf(),
        };
        let mut all: Vec<NetTarget> = nodes
            .iter()
            .flat_map(|n| n.targets.iter().cloned())
            .collect();
        all.sort();
        all.dedup();
        let lock = cache::lock_path(&config.workflow_dir);
        let mut flags = vec!["--no-config".to_string(), "--cached-only".to_string()];
        if lock.exists() {
            flags.push("--frozen".into());
            flags.push(format!("--lock={}", lock.display()));
        } else {
            flags.push("--no-lock".into());
        }
        flags.push(format!(
            "--v8-flags=--max-old-space-size={}",
            config.heap_mib
        ));
        flags.extend(permissions::process_flags(&paths, &all));
        let nodes: Vec<(DenoNode, Value)> = nodes
            .into_iter()
            .map(|n| {
                let p = permissions::worker_permissions(&paths, &n.id, &n.targets);
                (n, p)
            })
            .collect();
        let s = Supervisor {
            spawn: Spawn {
                deno: config.deno.clone(),
                workflow_dir: config.workflow_dir.clone(),
                cache_dir: config.cache_dir.clone(),
                flags,
                private: Arc::new(private),
                nodes: nodes.iter().map(|(n, _)| n.id.clone()).collect(),
            },
            nodes,
            live: Mutex::new(None),
            next_run: AtomicU64::new(1),
            config,
        };
        let (_, loads) = s.live().await?;
        Ok((s, loads))
    }

    /// The node's own temporary directory (its only writable place; `ctx.tmpDir`).
    pub fn tmp_of(&self, node: &str) -> PathBuf {
        self.spawn.private.path().join("tmp").join(node)
    }

    /// The flags the child runs with (after `deno run`), for messages and tests.
    pub fn flags(&self) -> &[String] {
        &self.spawn.flags
    }

    /// The running child, started (and every node loaded) when there is none.
    async fn live(&self) -> Result<(Arc<Live>, Vec<(String, NodeLoad)>), DenoError> {
        let mut guard = self.live.lock().await;
        if let Some(l) = guard.as_ref().filter(|l| !l.is_dead()) {
            return Ok((l.clone(), Vec::new()));
        }
        let live = Live::start(&self.spawn).await?;
        let loads = futures_join(self.nodes.iter().map(|(n, perms)| {
            let live = live.clone();
            let module = file_url(&n.module);
            let wait = self.config.load_timeout;
            let dir = self.config.workflow_dir.clone();
            let (id, perms) = (n.id.clone(), perms.clone());
            async move {
                let r = live.load(&id, module, perms, wait).await;
                (id, r.map_err(|e| with_cache_hint(e, &dir)))
            }
        }))
        .await;
        for (node, r) in &loads {
            if let Err(e) = r {
                tracing::debug!(target: "tentacular::deno", node, "load failed: {}", e.message);
            }
        }
        *guard = Some(live.clone());
        Ok((live, loads))
    }

    /// Runs `node` once with `input`: its requests are checked and performed by the host with
    /// `caps`; it is stopped at `limits.timeout`. Never fails the caller: every problem,
    /// including a dead child, is the node's error.
    pub async fn run(
        &self,
        node: &str,
        input: &Value,
        caps: &Arc<Capabilities>,
        limits: &Limits,
    ) -> NodeOutcome {
        let started = Instant::now();
        let mut outcome = NodeOutcome {
            result: Ok(Value::Null),
            logs: Vec::new(),
            stats: NodeStats::default(),
            events: Vec::new(),
        };
        let live = match self.live().await {
            Ok((l, _)) => l,
            Err(e) => {
                outcome.result = Err(NodeError::Internal {
                    message: caps.scrubber().redact(&e.to_string()),
                });
                return outcome;
            }
        };
        let run = self.next_run.fetch_add(1, Ordering::Relaxed);
        let mut events = live.register(run);
        let mut ctx = ctx_for(caps);
        ctx["tmpDir"] = Value::String(self.tmp_of(node).display().to_string());
        live.send(ToChild::Run {
            run,
            node: node.to_string(),
            ctx,
            input: input.clone(),
        });
        let deadline = tokio::time::Instant::now() + limits.timeout;
        let held = HeldBytes::new(limits.memory);
        let slots = Arc::new(Semaphore::new(caps.max_in_flight()));
        let mut fetches: JoinSet<(u64, outbound::Answer)> = JoinSet::new();
        // The requests still being made, to drop one its `AbortSignal` gives up on.
        let mut in_flight: HashMap<u64, tokio::task::AbortHandle> = HashMap::new();
        let scrubber = caps.scrubber().clone();
        let result = loop {
            tokio::select! {
                ev = events.recv() => match ev {
                    Some(RunEvent::Log { level, message }) => outcome.logs.push(LogLine { level: level_of(&level), message: scrubber.redact(&message) }),
                    Some(RunEvent::Fetch { id, request, body }) => {
                        outcome.stats.fetches += 1;
                        let (caps, held, slots, memory) = (caps.clone(), held.clone(), slots.clone(), limits.memory);
                        let task = fetches.spawn(async move {
                            let _slot = slots.acquire_owned().await;
                            let body = body.and_then(|b| B64.decode(b).ok()).unwrap_or_default();
                            let desc = serde_json::to_vec(&request).unwrap_or_default();
                            (id, outbound::perform(&caps, &desc, body, memory, &held).await)
                        });
                        in_flight.insert(id, task);
                    }
                    Some(RunEvent::FetchAbort { id }) => {
                        if let Some(task) = in_flight.remove(&id) {
                            task.abort();
                        }
                    }
                    Some(RunEvent::Result(text)) => break output(&text, limits, &scrubber),
                    Some(RunEvent::Error(e)) => break Err(node_error(e, &scrubber)),
                    Some(RunEvent::Died(tail)) => break Err(NodeError::Internal { message: format!("the Deno child exited while node \"{node}\" ran (it restarts for the next run): {}", scrubber.redact(&tail)) }),
                    None => break Err(NodeError::Internal { message: format!("the Deno child stopped answering node \"{node}\"") }),
                },
                Some(done) = fetches.join_next() => {
                    let Ok((id, answer)) = done else { continue };
                    in_flight.remove(&id);
                    outcome.events.extend(answer.events);
                    let msg = match answer.result {
                        Ok((meta, body)) => {
                            held.release(meta.len() + body.len());
                            ToChild::FetchResponse { run, id, meta: serde_json::from_slice(&meta).ok(), body: Some(B64.encode(&body)), error: None }
                        }
                        Err((name, message)) => ToChild::FetchResponse { run, id, meta: None, body: None, error: Some(FetchFailure { name: name.to_string(), message }) },
                    };
                    live.send(msg);
                }
                _ = tokio::time::sleep_until(deadline) => {
                    live.unregister(run);
                    live.stop(node, self.config.stop_grace).await;
                    break Err(NodeError::Timeout { ms: limits.timeout.as_millis() as u64 });
                }
            }
        };
        live.unregister(run);
        fetches.abort_all();
        outcome.result = result;
        outcome.stats.duration_us = started.elapsed().as_micros() as u64;
        outcome
    }
}

async fn futures_join<F, T>(futs: impl Iterator<Item = F>) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = futs.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.expect("a load task does not panic"));
    }
    out
}

/// A load error that comes from the locked cache names the command that fills it.
fn with_cache_hint(mut e: JsError, dir: &Path) -> JsError {
    let m = &e.message;
    if m.contains("--cached-only") || m.contains("lockfile") || m.contains("--frozen") {
        e.message.push_str(&format!(
            "\nhint: fill the workflow's locked Deno cache with `tntc deno-cache {}` (needs the package registry)",
            dir.display()
        ));
    }
    e
}

fn file_url(p: &Path) -> String {
    let mut s = String::from("file://");
    for b in p.to_string_lossy().bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                s.push(b as char)
            }
            _ => s.push_str(&format!("%{b:02X}")),
        }
    }
    s
}

/// The node's `ctx` description: the wasm mode's (placeholders only), except that a granted
/// non-HTTP dependency's `secret` is the real value (a Postgres driver needs the password;
/// HTTP secrets stay placeholders the host swaps in).
fn ctx_for(caps: &Capabilities) -> Value {
    let mut ctx: Value = serde_json::from_str(caps.ctx_json()).unwrap_or_default();
    for (name, dep) in caps.dependencies() {
        if !dep.granted || matches!(dep.protocol.as_str(), "http" | "https") {
            continue;
        }
        let Some(value) = dep
            .auth
            .as_ref()
            .and_then(|a| caps.secrets().get(&a.secret))
        else {
            continue;
        };
        if let Some(d) = ctx.get_mut("dependencies").and_then(|d| d.get_mut(name)) {
            d["secret"] = Value::String(value.to_string());
        }
    }
    ctx
}

fn level_of(l: &str) -> LogLevel {
    match l {
        "debug" => LogLevel::Debug,
        "warn" => LogLevel::Warn,
        "error" => LogLevel::Error,
        _ => LogLevel::Info,
    }
}

fn output(
    text: &str,
    limits: &Limits,
    scrubber: &tentacular_sandbox::Scrubber,
) -> Result<Value, NodeError> {
    if text.len() > limits.max_output {
        return Err(NodeError::OutputTooLarge {
            size: text.len(),
            limit: limits.max_output,
        });
    }
    serde_json::from_str(&scrubber.placeholders_in(text)).map_err(|e| NodeError::NotSerializable {
        message: e.to_string(),
    })
}

fn node_error(e: JsError, scrubber: &tentacular_sandbox::Scrubber) -> NodeError {
    if e.name == "not-serializable" {
        return NodeError::NotSerializable {
            message: scrubber.redact(&e.message),
        };
    }
    NodeError::JsError {
        name: e.name,
        message: scrubber.redact(&e.message),
        stack: scrubber.redact(&e.stack),
    }
}
