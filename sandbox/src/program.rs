//! A loaded node: its snapshot, ready to be instantiated afresh for every invocation.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::Value;
use wasmtime::{
    Instance, InstancePre, Memory, ModuleExport, Store, Trap, TypedFunc, UpdateDeadline,
};

use tentacular_abi::CallStatus;

use crate::capabilities::Capabilities;
use crate::error::NodeError;
use crate::host::HostState;
use crate::limits::Limits;
use crate::log::LogLine;
use crate::modules::ModuleGraph;
use crate::outbound::SecurityEvent;
use crate::pool_gate::PoolGate;

/// Extra wall-clock time after the deadline before an invocation that is stuck outside wasm
/// (for example awaiting a slow request) is abandoned.
const GRACE: Duration = Duration::from_millis(50);

/// A node loaded into the sandbox. Cheap to clone; every [`NodeProgram::invoke`] runs in a
/// fresh instance, so nothing survives between invocations.
#[derive(Clone)]
pub struct NodeProgram {
    inner: Arc<Inner>,
}

struct Inner {
    pre: InstancePre<HostState>,
    /// One permit per instance the pool can hold: invocations wait here, never fail.
    gate: PoolGate,
    /// This node's entry in the workflow snapshot that `pre` instantiates.
    entry: u32,
    exports: Exports,
    graph: ModuleGraph,
    initial_memory: usize,
}

/// The plugin's exports, resolved once per node rather than looked up by name per call.
struct Exports {
    memory: ModuleExport,
    realloc: ModuleExport,
    call: ModuleExport,
}

impl Exports {
    fn resolve(module: &wasmtime::Module) -> wasmtime::Result<Self> {
        let get = |name: &str| {
            module
                .get_export_index(name)
                .ok_or_else(|| wasmtime::format_err!("the plugin exports no `{name}`"))
        };
        Ok(Exports {
            memory: get("memory")?,
            realloc: get(tentacular_abi::EXPORT_REALLOC)?,
            call: get(tentacular_abi::EXPORT_CALL)?,
        })
    }

    /// The memory, `cabi_realloc` and `tntc_call` of `instance`.
    #[allow(clippy::type_complexity)]
    fn of(
        &self,
        instance: &Instance,
        store: &mut Store<HostState>,
    ) -> wasmtime::Result<(
        Memory,
        TypedFunc<(u32, u32, u32, u32), u32>,
        TypedFunc<(u32, u32, u32), u32>,
    )> {
        let memory = instance
            .get_module_export(&mut *store, &self.memory)
            .and_then(|e| e.into_memory())
            .ok_or_else(|| wasmtime::format_err!("the plugin's `memory` is not a memory"))?;
        let func = |store: &mut Store<HostState>, export: &ModuleExport| {
            instance
                .get_module_export(&mut *store, export)
                .and_then(|e| e.into_func())
                .ok_or_else(|| wasmtime::format_err!("a plugin export is not a function"))
        };
        let realloc = func(store, &self.realloc)?.typed(&*store)?;
        let call = func(store, &self.call)?.typed(&*store)?;
        Ok((memory, realloc, call))
    }
}

impl std::fmt::Debug for NodeProgram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeProgram")
            .field("entry", &self.inner.graph.entry)
            .finish_non_exhaustive()
    }
}

/// Resource figures of one invocation.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeStats {
    /// Wall time of the invocation, instantiation included, in microseconds.
    pub duration_us: u64,
    /// Peak linear memory in bytes.
    pub peak_memory: u64,
    /// Fuel consumed, when fuel metering is on.
    pub fuel_consumed: Option<u64>,
    /// Time spent waiting for a free instance before the invocation started, in
    /// microseconds (not part of `duration_us`, nor of the node's timeout).
    pub queued_us: u64,
    /// Requests the node made.
    pub fetches: u32,
}

/// The result of one invocation: output or error, plus logs and figures.
#[derive(Debug, Clone)]
pub struct NodeOutcome {
    /// The node's output, or why it failed.
    pub result: Result<Value, NodeError>,
    /// Log lines, in order, secret values redacted.
    pub logs: Vec<LogLine>,
    /// Resource figures.
    pub stats: NodeStats,
    /// Requests the host refused and responses it scrubbed, in order (never values).
    pub events: Vec<SecurityEvent>,
}

/// The JSON handed to `tntc_call`: `{"input": …, "ctx": …}`, built in one buffer.
fn payload(input: &Value, caps: &Capabilities) -> Vec<u8> {
    let ctx = caps.ctx_json();
    let mut out = Vec::with_capacity(ctx.len() + 64);
    out.extend_from_slice(b"{\"input\":");
    if serde_json::to_writer(&mut out, input).is_err() {
        out.truncate(b"{\"input\":".len());
        out.extend_from_slice(b"null");
    }
    out.extend_from_slice(b",\"ctx\":");
    out.extend_from_slice(ctx.as_bytes());
    out.push(b'}');
    out
}

/// What `tntc_call` answered.
enum Answer {
    Output(Result<Value, NodeError>),
    Failure(GuestFailure),
    TooLarge(usize),
}

/// The guest's description of a failure (`shims/plugin/src/report.rs`, or the prelude's).
#[derive(Deserialize)]
pub(crate) struct GuestFailure {
    #[serde(default)]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) message: String,
    #[serde(default)]
    pub(crate) stack: String,
}

impl GuestFailure {
    /// Parses a description; text that is not one becomes the message of a plain `Error`.
    pub(crate) fn parse(bytes: &[u8]) -> Self {
        serde_json::from_slice(bytes).unwrap_or_else(|_| GuestFailure {
            kind: "js".into(),
            name: "Error".into(),
            message: String::from_utf8_lossy(bytes).into_owned(),
            stack: String::new(),
        })
    }
}

impl NodeProgram {
    pub(crate) fn new(
        pre: InstancePre<HostState>,
        gate: PoolGate,
        graph: ModuleGraph,
        entry: u32,
    ) -> wasmtime::Result<Self> {
        let exports = Exports::resolve(pre.module())?;
        let initial_memory = pre
            .module()
            .exports()
            .find_map(|e| e.ty().memory().map(|m| m.minimum() as usize * 65536))
            .unwrap_or(0);
        Ok(NodeProgram {
            inner: Arc::new(Inner {
                pre,
                gate,
                entry,
                exports,
                graph,
                initial_memory,
            }),
        })
    }

    /// The entry module's workflow-relative path.
    pub fn entry(&self) -> &str {
        &self.inner.graph.entry
    }

    /// Memory the node's snapshot starts with; a memory limit below this cannot work.
    pub fn initial_memory(&self) -> usize {
        self.inner.initial_memory
    }

    /// A store for one instance of this node: host state (which accepts calls from this
    /// node's realm only), memory cap, and an epoch callback that yields to the executor on
    /// every tick and, with a deadline, stops the guest there.
    fn store(
        &self,
        caps: &Arc<Capabilities>,
        limits: &Limits,
        deadline: Option<Instant>,
    ) -> Store<HostState> {
        let state = HostState::invocation(
            caps.clone(),
            self.inner.entry,
            limits.memory,
            deadline,
            limits.clock,
        );
        let mut store = Store::new(self.inner.pre.module().engine(), state);
        store.limiter(|s| &mut s.limiter);
        store.epoch_deadline_callback(move |_| match deadline {
            Some(d) if Instant::now() >= d => Ok(UpdateDeadline::Interrupt),
            Some(_) => Ok(UpdateDeadline::Yield(1)),
            None => Ok(UpdateDeadline::Continue(1 << 20)),
        });
        store.set_epoch_deadline(1);
        store
    }

    /// Runs the node once in a fresh instance.
    pub async fn invoke(
        &self,
        input: &Value,
        caps: &Arc<Capabilities>,
        limits: &Limits,
    ) -> NodeOutcome {
        // Wait for a free instance (bounded), then start the node's own clock.
        let queued_from = Instant::now();
        let slot = self.inner.gate.acquire(limits.queue_timeout).await;
        let queued_us = queued_from.elapsed().as_micros() as u64;
        let Some(_slot) = slot else {
            return NodeOutcome {
                result: Err(NodeError::NoInstance {
                    waited_ms: queued_us / 1000,
                }),
                logs: Vec::new(),
                stats: NodeStats {
                    queued_us,
                    ..NodeStats::default()
                },
                events: Vec::new(),
            };
        };
        let started = Instant::now();
        let payload = payload(input, caps);
        let mut store = self.store(caps, limits, Some(started + limits.timeout));
        if let Some(fuel) = limits.fuel {
            let _ = store.set_fuel(fuel);
        }

        // The payload moves into the call and is freed once copied into the guest: a node
        // that then waits on I/O holds no host copy of its input.
        let run = self.run(&mut store, payload, limits);
        let result = match tokio::time::timeout(limits.timeout + GRACE, run).await {
            Ok(Ok(out)) => self.decode(out, limits),
            Ok(Err(e)) => Err(self.classify_trap(&e, &store, limits)),
            Err(_) => Err(NodeError::Timeout {
                ms: limits.timeout.as_millis() as u64,
            }),
        };
        let fuel_consumed = limits
            .fuel
            .map(|f| f.saturating_sub(store.get_fuel().unwrap_or(0)));
        let mut state = store.into_data();
        // A refused memory grow fails the node even if its code caught QuickJS's
        // out-of-memory error and carried on.
        let result = match result {
            Ok(_) if state.limiter.denied => Err(NodeError::OutOfMemory {
                limit: limits.memory as u64,
            }),
            other => other,
        };
        let events = state.take_events();
        NodeOutcome {
            events,
            result,
            stats: NodeStats {
                duration_us: started.elapsed().as_micros() as u64,
                peak_memory: state.limiter.peak.max(self.inner.initial_memory) as u64,
                fuel_consumed,
                fetches: state.fetches,
                queued_us,
            },
            logs: state.logs.finish(),
        }
    }

    /// Benchmark baseline, not for production: `iterations` calls of `run` in **one** instance
    /// (no fresh instance per call, so state would leak between calls). Returns each call's
    /// duration.
    #[doc(hidden)]
    pub async fn bench_same_instance(
        &self,
        input: &Value,
        caps: &Arc<Capabilities>,
        iterations: usize,
    ) -> Vec<Duration> {
        let payload = format!("{{\"input\":{},\"ctx\":{}}}", input, caps.ctx_json());
        let limits = Limits {
            memory: 1 << 30,
            ..Limits::default()
        };
        let mut store = self.store(caps, &limits, None);
        let instance = self
            .inner
            .pre
            .instantiate_async(&mut store)
            .await
            .expect("instantiate");
        let (memory, realloc, call) = self
            .inner
            .exports
            .of(&instance, &mut store)
            .expect("plugin exports");
        let len = payload.len() as u32;
        let ptr = realloc
            .call_async(&mut store, (0, 0, 1, len))
            .await
            .expect("alloc");
        memory
            .write(&mut store, ptr as usize, payload.as_bytes())
            .expect("write");
        let mut times = Vec::with_capacity(iterations);
        for _ in 0..iterations {
            let t = Instant::now();
            call.call_async(&mut store, (self.inner.entry, ptr, len))
                .await
                .expect("call");
            times.push(t.elapsed());
        }
        times
    }

    /// Benchmark helper, not for production: instantiates `count` fresh instances, runs the
    /// node once in each and keeps them all alive until `hold` returns.
    #[doc(hidden)]
    pub async fn bench_live_instances(
        &self,
        input: &Value,
        caps: &Arc<Capabilities>,
        count: usize,
        hold: impl FnOnce(),
    ) {
        let payload = format!("{{\"input\":{},\"ctx\":{}}}", input, caps.ctx_json());
        let mut stores = Vec::with_capacity(count);
        for _ in 0..count {
            let limits = Limits::default();
            let mut store = self.store(caps, &limits, None);
            let _ = self
                .run(&mut store, payload.clone().into_bytes(), &limits)
                .await
                .expect("run");
            stores.push(store);
        }
        hold();
        drop(stores);
    }

    /// Instantiates, hands over the payload, calls `tntc_call`, and copies the result out.
    async fn run(
        &self,
        store: &mut Store<HostState>,
        payload: Vec<u8>,
        limits: &Limits,
    ) -> wasmtime::Result<Answer> {
        let instance = self.inner.pre.instantiate_async(&mut *store).await?;
        let (memory, realloc, call) = self.inner.exports.of(&instance, store)?;
        let len =
            u32::try_from(payload.len()).map_err(|_| wasmtime::format_err!("input too large"))?;
        let ptr = realloc.call_async(&mut *store, (0, 0, 1, len)).await?;
        memory.write(&mut *store, ptr as usize, &payload)?;
        drop(payload);
        let ret = call
            .call_async(&mut *store, (self.inner.entry, ptr, len))
            .await?;
        let mut words = [0u8; 12];
        memory.read(&*store, ret as usize, &mut words)?;
        let word = |i: usize| u32::from_le_bytes(words[i * 4..i * 4 + 4].try_into().unwrap());
        let (status, out_ptr, out_len) = (word(0), word(1), word(2));
        if out_len as usize > limits.max_output {
            return Ok(Answer::TooLarge(out_len as usize));
        }
        // The output is parsed straight from guest memory: no intermediate copy.
        let data = memory.data(&*store);
        let bytes = data
            .get(out_ptr as usize..out_ptr as usize + out_len as usize)
            .ok_or_else(|| wasmtime::format_err!("the guest's answer lies outside its memory"))?;
        Ok(match CallStatus::from_u32(status) {
            Some(CallStatus::Ok) => Answer::Output(serde_json::from_slice(bytes).map_err(|e| {
                NodeError::NotSerializable {
                    message: e.to_string(),
                }
            })),
            _ => Answer::Failure(GuestFailure::parse(bytes)),
        })
    }

    fn decode(&self, answer: Answer, limits: &Limits) -> Result<Value, NodeError> {
        match answer {
            Answer::TooLarge(size) => Err(NodeError::OutputTooLarge {
                size,
                limit: limits.max_output,
            }),
            Answer::Output(output) => output,
            Answer::Failure(failure) => Err(self.classify_guest(failure, limits)),
        }
    }

    fn classify_guest(&self, f: GuestFailure, limits: &Limits) -> NodeError {
        let lower = f.message.to_ascii_lowercase();
        match f.kind.as_str() {
            "not-serializable" => NodeError::NotSerializable { message: f.message },
            "never-settled" => NodeError::NeverSettled,
            "internal" | "foreign-job" => NodeError::Internal { message: f.message },
            _ if lower.contains("out of memory") => NodeError::OutOfMemory {
                limit: limits.memory as u64,
            },
            _ if lower.contains("stack overflow") || lower.contains("maximum call stack") => {
                NodeError::StackOverflow
            }
            _ => NodeError::JsError {
                name: f.name,
                message: f.message,
                stack: self.inner.graph.map_stack(&f.stack),
            },
        }
    }

    fn classify_trap(
        &self,
        e: &wasmtime::Error,
        store: &Store<HostState>,
        limits: &Limits,
    ) -> NodeError {
        let limiter = &store.data().limiter;
        match e.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => NodeError::Timeout {
                ms: limits.timeout.as_millis() as u64,
            },
            Some(Trap::StackOverflow) => NodeError::StackOverflow,
            Some(Trap::OutOfFuel) => NodeError::OutOfFuel {
                fuel: limits.fuel.unwrap_or(0),
            },
            _ if limiter.denied => NodeError::OutOfMemory {
                limit: limits.memory as u64,
            },
            Some(trap) => NodeError::Trap {
                message: trap.to_string(),
            },
            None => {
                let text = format!("{e:#}");
                if text.contains("memory minimum size")
                    || text.contains("exceeds memory limits")
                    || text.contains("memory") && text.contains("limit")
                {
                    NodeError::OutOfMemory {
                        limit: limits.memory as u64,
                    }
                } else {
                    NodeError::Internal { message: text }
                }
            }
        }
    }
}
