//! The host side of Tentacular's node isolation.
//!
//! Every node invocation runs in its **own wasmtime instance** of a QuickJS guest (the javy
//! plugin in `shims/plugin`), with its own memory cap, a deadline that really stops it, no
//! files, no environment, no sockets — and no network except the requests the host checks
//! against the workflow's contract.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::{path::Path, sync::Arc};
//! use tentacular_sandbox::{Capabilities, Limits, Sandbox, SandboxConfig};
//!
//! let sandbox = Sandbox::new(SandboxConfig::default())?;
//! let program = sandbox.load(Path::new("example-workflows/word-counter"), Path::new("nodes/tokenize.ts")).await?;
//! // No dependencies, no secrets, no network: the defaults.
//! let caps = Arc::new(Capabilities::builder("tokenize").build());
//! let outcome = program.invoke(&serde_json::json!({"text": "a b a"}), &caps, &Limits::default()).await;
//! println!("{:?}", outcome.result);
//! # Ok(()) }
//! ```
//!
//! # Core concepts
//!
//! * [`Sandbox`] — one per process: the wasmtime engine (pooling allocator, copy-on-write
//!   memory images, epoch interruption) and the snapshot cache.
//! * [`NodeProgram`] — a node loaded once per workflow version: its TypeScript type-stripped
//!   (oxc), its relative imports resolved inside the workflow directory, and a **snapshot**
//!   taken with the prelude and the node's module already evaluated. Invoking it is a fresh
//!   copy-on-write instantiation plus a call of `run`.
//! * [`Capabilities`] — what one node may reach: declared dependencies (and whether this node
//!   is granted each), secret values (which the node never sees), `ctx.config`, and the
//!   [`fetch::Transport`] that carries checked requests.
//! * [`Limits`] — memory, deadline, optional fuel, output size, per invocation.
//! * [`NodeOutcome`] — output or a [`NodeError`] of a distinct kind, logs, figures.
//!
//! # Security model
//!
//! | host call | capability | what is checked |
//! |---|---|---|
//! | `fetch` (`ctx.dependency(d).fetch`, `ctx.fetch`, `fetch`) | the contract's dependencies, filtered by the node's `uses` | declared and granted; scheme/host/port exactly the dependency's; no userinfo; IP literals and `localhost` only if declared exactly; resolved addresses never loopback/link-local/unspecified for declared host names; redirects re-checked and only while they stay on the dependency; response size cap |
//! | secrets | `auth.secret` of the dependency | the node sees `tntc-secret:svc.key` placeholders; the host substitutes values only into headers (and, for `webhook-url`, the URL) of requests to the dependency that owns the secret, injects auth per `auth.type`, and scrubs values out of responses and logs |
//! | `log` | always | captured per invocation, bounded, secret values redacted |
//! | WASI | clock and randomness only (`src/wasi.rs` answers the plugin's nine imports itself) | no file descriptors, no environment, no arguments, no sockets; stdio discarded |
//! | module loading | load time only | relative imports inside the workflow directory; `npm:`/`jsr:`/remote/bare specifiers refused (use `runtime: deno`) |
//!
//! A failed check denies and the node sees a `NotPermitted` error; the check never fails open.
#![deny(missing_docs)]

pub mod cache;
mod capabilities;
mod error;
pub mod fetch;
mod host;
mod limits;
pub mod log;
mod modules;
pub mod outbound;
pub mod policy;
mod pool_gate;
mod prelude;
mod program;
pub mod secrets;
mod services;
mod snapshot;
mod wasi;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

pub use capabilities::{
    Auth, Capabilities, CapabilitiesBuilder, DEFAULT_MAX_IN_FLIGHT, DEFAULT_MAX_RESPONSE_BODY,
    Dependency, DynamicTarget,
};
pub use error::{LoadError, NodeError, SandboxError};
pub use limits::{Clock, Limits};
pub use log::{LogLevel, LogLine};
pub use outbound::SecurityEvent;
pub use program::{NodeOutcome, NodeProgram, NodeStats};
pub use secrets::{PLACEHOLDER_PREFIX, Scrubber, SecretError, SecretRef, SecretValues};
pub use tentacular_spec::{AuthKind, Cidr};

use host::HostState;
use modules::ModuleGraph;
use snapshot::{Built, Snapshotter};

/// A moment's view of the instance pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolStats {
    /// Instances the pool holds at most ([`SandboxConfig::max_instances`]).
    pub max: usize,
    /// Instances alive now (invocations running, snapshot builds).
    pub in_use: usize,
    /// Invocations waiting for a free instance now.
    pub waiting: usize,
}

/// How the sandbox's engine is set up.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Where compiled snapshots are cached. By default, `$TENTACULAR_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/tentacular/sandbox`, else `~/.cache/tentacular/sandbox`; `None`
    /// disables the disk cache (every load compiles).
    pub cache_dir: Option<PathBuf>,
    /// Size cap of that cache: after each store, the least recently used entries beyond it
    /// are removed ([`cache`]). By default, `$TENTACULAR_CACHE_MAX_SIZE`, else
    /// [`cache::DEFAULT_MAX_SIZE`] (512 MiB).
    pub cache_max_size: u64,
    /// Most node instances alive at once (each reserves address space in the pool). An
    /// invocation that finds none free waits for one (up to [`Limits::queue_timeout`]). By
    /// default, 256.
    pub max_instances: u32,
    /// Highest memory limit any node may be given. By default, 1 GiB.
    pub max_memory: usize,
    /// Enable fuel metering (deterministic, costs some speed). By default, off.
    pub fuel: bool,
    /// Epoch tick: deadline granularity. By default, 1 ms.
    pub tick: Duration,
    /// How a cached snapshot is loaded. By default, [`CacheLoad::Read`] (for servers).
    pub cache_load: CacheLoad,
}

/// How a cached, compiled snapshot is brought into the process: the trade between starting
/// fast and running fast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CacheLoad {
    /// Map the cache file: the quickest start, for short-lived processes (`tntc test`
    /// measured 7.9 ms against 14.2 ms with `Read`).
    Map,
    /// Read the file into anonymous memory, as after an in-process compile: ~20% more
    /// invocations per second than running from the file mapping, for servers.
    #[default]
    Read,
}

/// The cap from the environment, or the default (with a warning when the variable is not a
/// size: a typo must not turn the cap off).
fn cache_max_size() -> u64 {
    cache::max_size_from_env()
        .unwrap_or_else(|e| {
            tracing::warn!("{e}; using the default cache cap");
            None
        })
        .unwrap_or(cache::DEFAULT_MAX_SIZE)
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            cache_dir: cache::default_dir(),
            cache_max_size: cache_max_size(),
            max_instances: 256,
            max_memory: 1 << 30,
            fuel: false,
            tick: Duration::from_millis(1),
            cache_load: CacheLoad::default(),
        }
    }
}

/// The process-wide sandbox: engine, linker, snapshot cache. Cheap to clone.
#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Engine,
    linker: Arc<wasmtime::Linker<HostState>>,
    /// One permit per instance the pool holds ([`SandboxConfig::max_instances`]).
    slots: Arc<tokio::sync::Semaphore>,
    /// Invocations waiting for one of those permits now.
    waiting: Arc<std::sync::atomic::AtomicUsize>,
    max_instances: u32,
    snapshots: Snapshotter,
    _ticker: Ticker,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox").finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Creates the engine. Fails only if wasmtime cannot be configured here (for example, the
    /// pool cannot reserve its address space) or the cache directory cannot be created.
    pub fn new(config: SandboxConfig) -> Result<Self, SandboxError> {
        Self::build(config, snapshot::Plugin::committed(), |_| {})
    }

    /// Benchmarks only, not for production: a sandbox running another build of the plugin
    /// (`plugin`: its wasm bytes, e.g. an unstripped build for `perf`, or a build with other
    /// compiler flags) and/or with wasmtime settings changed by `tune` after the sandbox's own,
    /// so that one bench run can compare builds and settings side by side.
    #[doc(hidden)]
    pub fn bench_variant(
        config: SandboxConfig,
        plugin: Option<Vec<u8>>,
        tune: impl FnOnce(&mut Config),
    ) -> Result<Self, SandboxError> {
        let plugin = plugin.map_or_else(snapshot::Plugin::committed, snapshot::Plugin::other);
        Self::build(config, plugin, tune)
    }

    fn build(
        config: SandboxConfig,
        plugin: snapshot::Plugin,
        tune: impl FnOnce(&mut Config),
    ) -> Result<Self, SandboxError> {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_core_instances(config.max_instances)
            .total_memories(config.max_instances)
            .total_tables(config.max_instances)
            .total_stacks(config.max_instances)
            .max_memory_size(config.max_memory)
            // Keep the first pages of each slot resident and reset them in place: without
            // this, every fresh instance page-faults its memory image back in (~5x slower).
            .linear_memory_keep_resident(4 << 20)
            .table_keep_resident(64 << 10)
            .pagemap_scan(Enabled::Auto);
        let mut wc = Config::new();
        wc.epoch_interruption(true)
            .consume_fuel(config.fuel)
            .max_wasm_stack(1 << 20)
            .async_stack_size(2 << 20)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        tune(&mut wc);
        let engine = Engine::new(&wc)
            .or_else(|e| {
                // Where the pool cannot reserve its address space (small VMs, strict
                // overcommit), fall back to on-demand allocation rather than fail.
                tracing::warn!(error = %e, "pooling allocator unavailable; using on-demand instance allocation");
                let mut wc = wc.clone();
                wc.allocation_strategy(InstanceAllocationStrategy::OnDemand);
                Engine::new(&wc)
            })
            .map_err(|e| SandboxError::Engine(format!("{e:#}")))?;
        if let Some(dir) = &config.cache_dir {
            snapshot::private_dir(dir).map_err(|source| SandboxError::Cache {
                path: dir.clone(),
                source,
            })?;
        }
        let linker =
            Arc::new(host::linker(&engine).map_err(|e| SandboxError::Engine(format!("{e:#}")))?);
        // Every instantiation (invocations and snapshot builds) holds one of these, so the
        // pool's limit is met by waiting, never by a failed instantiation.
        let slots = Arc::new(tokio::sync::Semaphore::new(config.max_instances as usize));
        let snapshots = Snapshotter::new(
            engine.clone(),
            linker.clone(),
            slots.clone(),
            snapshot::DiskCache {
                dir: config.cache_dir.clone(),
                max_size: config.cache_max_size,
                load: config.cache_load,
            },
            prelude::source(),
            plugin,
        );
        let ticker = Ticker::start(&engine, config.tick);
        Ok(Sandbox {
            inner: Arc::new(Inner {
                engine,
                linker,
                slots,
                waiting: Arc::default(),
                max_instances: config.max_instances,
                snapshots,
                _ticker: ticker,
            }),
        })
    }

    /// Loads the node at `node_path` (relative to `workflow_dir`, or absolute inside it).
    pub async fn load(
        &self,
        workflow_dir: &Path,
        node_path: &Path,
    ) -> Result<NodeProgram, LoadError> {
        self.load_all(workflow_dir, &[node_path])
            .await
            .pop()
            .expect("one result per node")
    }

    /// Loads the nodes at `node_paths` (a workflow's nodes) into **one** snapshot: one
    /// compilation and one copy of the runtime's code for all of them, while every invocation
    /// still gets a fresh instance of its own. Returns one result per path, in order; a node
    /// that fails to load does not keep the others from loading, and its error names its own
    /// file, line and column.
    pub async fn load_all(
        &self,
        workflow_dir: &Path,
        node_paths: &[&Path],
    ) -> Vec<Result<NodeProgram, LoadError>> {
        let results: Vec<Result<ModuleGraph, LoadError>> = node_paths
            .iter()
            .map(|p| ModuleGraph::load(workflow_dir, p))
            .collect();
        let mut programs: Vec<Option<Result<NodeProgram, LoadError>>> =
            results.iter().map(|_| None).collect();
        // Node indexes still to build, and at most two tries: everything that compiled, then
        // (if the guest refused some) the rest without them.
        let mut todo: Vec<usize> = (0..results.len()).filter(|&i| results[i].is_ok()).collect();
        for _ in 0..2 {
            if todo.is_empty() {
                break;
            }
            let graphs: Vec<&ModuleGraph> = todo
                .iter()
                .map(|&i| results[i].as_ref().expect("only loaded graphs"))
                .collect();
            match self.inner.snapshots.build(&graphs).await {
                Ok(Built::Ready(module)) => {
                    let pre = self.inner.linker.instantiate_pre(&module);
                    for (entry, &i) in todo.iter().enumerate() {
                        let graph = results[i].as_ref().expect("only loaded graphs");
                        let program = match &pre {
                            Ok(pre) => NodeProgram::new(
                                pre.clone(),
                                self.pool_gate(),
                                graph.clone(),
                                entry as u32,
                            ),
                            Err(e) => Err(wasmtime::format_err!("{e:#}")),
                        };
                        programs[i] = Some(program.map_err(|e| engine_error(graph, e)));
                    }
                    todo.clear();
                }
                Ok(Built::GuestErrors(errors)) => {
                    let mut rest = Vec::new();
                    for (&i, error) in todo.iter().zip(errors) {
                        let graph = results[i].as_ref().expect("only loaded graphs");
                        match error {
                            Some(json) => programs[i] = Some(Err(load_failure(graph, &json))),
                            None => rest.push(i),
                        }
                    }
                    todo = rest;
                }
                // The build itself failed (a node's top level ran past the load deadline or out
                // of memory, say): build each node alone, so that the error names its node.
                Err(_) if todo.len() > 1 => {
                    for &i in &todo {
                        let graph = results[i].as_ref().expect("only loaded graphs");
                        programs[i] = Some(Box::pin(self.load_graph(graph)).await);
                    }
                    todo.clear();
                }
                Err(e) => {
                    let i = todo[0];
                    let graph = results[i].as_ref().expect("only loaded graphs");
                    programs[i] = Some(Err(engine_error(graph, e)));
                    todo.clear();
                }
            }
        }
        programs
            .into_iter()
            .zip(results)
            .map(|(program, graph)| match (program, graph) {
                (Some(program), _) => program,
                (None, Err(e)) => Err(e),
                // Loaded alone in the first try, refused with the others in the second.
                (None, Ok(graph)) => Err(LoadError::Engine {
                    file: graph.entry,
                    message: "the node loads alone but not together with the workflow's other nodes; load it with `tntc test <dir>/<node>` to see why".into(),
                }),
            })
            .collect()
    }

    /// One node in a snapshot of its own.
    async fn load_graph(&self, graph: &ModuleGraph) -> Result<NodeProgram, LoadError> {
        match self
            .inner
            .snapshots
            .build(&[graph])
            .await
            .map_err(|e| engine_error(graph, e))?
        {
            Built::Ready(module) => {
                let pre = self
                    .inner
                    .linker
                    .instantiate_pre(&module)
                    .map_err(|e| engine_error(graph, e))?;
                NodeProgram::new(pre, self.pool_gate(), graph.clone(), 0)
                    .map_err(|e| engine_error(graph, e))
            }
            Built::GuestErrors(mut errors) => match errors.pop().flatten() {
                Some(json) => Err(load_failure(graph, &json)),
                None => Err(engine_error(
                    graph,
                    wasmtime::format_err!("the plugin refused a node snapshot without saying why"),
                )),
            },
        }
    }

    /// The wasmtime engine (for benchmarks and diagnostics).
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// How the instance pool is used right now (for `/metrics`).
    pub fn pool(&self) -> PoolStats {
        let max = self.inner.max_instances as usize;
        PoolStats {
            max,
            in_use: max.saturating_sub(self.inner.slots.available_permits()),
            waiting: self
                .inner
                .waiting
                .load(std::sync::atomic::Ordering::Relaxed),
        }
    }

    fn pool_gate(&self) -> pool_gate::PoolGate {
        pool_gate::PoolGate {
            slots: self.inner.slots.clone(),
            waiting: self.inner.waiting.clone(),
        }
    }
}

fn engine_error(graph: &ModuleGraph, e: wasmtime::Error) -> LoadError {
    LoadError::Engine {
        file: graph.entry.clone(),
        message: format!("{e:#}"),
    }
}

/// Turns the guest's load report into a [`LoadError`].
fn load_failure(graph: &ModuleGraph, json: &str) -> LoadError {
    let report = program::GuestFailure::parse(json.as_bytes());
    let file = graph.entry.clone();
    match report.kind.as_str() {
        "no-default-export" => LoadError::NoDefaultExport {
            file,
            message: report.message,
        },
        _ if report.name == "SyntaxError" => {
            let mapped = graph.map_stack(&report.stack);
            LoadError::Evaluation {
                file,
                message: format!("SyntaxError: {}", report.message),
                stack: mapped,
            }
        }
        _ => LoadError::Evaluation {
            file,
            message: if report.name.is_empty() {
                report.message
            } else {
                format!("{}: {}", report.name, report.message)
            },
            stack: graph.map_stack(&report.stack),
        },
    }
}

/// Advances the engine's epoch on a fixed tick so that deadlines fire; stops with the sandbox.
struct Ticker {
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl Ticker {
    fn start(engine: &Engine, tick: Duration) -> Self {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let engine = engine.weak();
        std::thread::Builder::new()
            .name("tentacular-epoch".into())
            .spawn(move || {
                while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(tick);
                    match engine.upgrade() {
                        Some(e) => e.increment_epoch(),
                        None => break,
                    }
                }
            })
            .expect("spawning the epoch thread");
        Ticker { stop }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}
