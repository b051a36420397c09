//! The host side of the guest's imports: one [`HostState`] per store (per invocation, or per
//! snapshot build), and the linker that binds `tentacular.*` ([`tentacular_abi`]) and the few
//! WASI calls ([`crate::wasi`]).
//!
//! Every `tentacular.*` import but the snapshot-input pair names the realm it comes from.
//! During an invocation the host knows which realm it invoked and refuses — traps — a call
//! from any other; the snapshot-time imports trap outside a snapshot build. So a node's code
//! can only ever act with its own grants.

mod ops;

use std::sync::Arc;
use std::time::Instant;

use tentacular_abi::{ERROR_BIT, IMPORT_MODULE as M, Level, Op};
use wasmtime::{Caller, Engine, Linker, Memory, ResourceLimiter};

use crate::capabilities::Capabilities;
use crate::log::{LogBuffer, LogLevel};
use crate::outbound::{self, SecurityEvent};
pub use ops::Clock;
use ops::{Ops, Outcome, WaitError};

/// Largest request description or log line a guest may hand the host in one call.
const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

/// What a store is for.
pub(crate) enum Phase {
    /// Building a snapshot: the payload to hand over and the guest's load report.
    Snapshot(SnapshotIo),
    /// Invoking `realm` (a node's entry index).
    Invoke {
        /// The only realm whose calls are accepted.
        realm: u32,
    },
}

/// Snapshot-time input and the guest's report of how loading went.
pub(crate) struct SnapshotIo {
    pub input: Vec<u8>,
    /// One `(status, message)` per entry, in payload order.
    pub status: Vec<(u32, String)>,
}

/// Per-store state.
pub(crate) struct HostState {
    pub limiter: MemoryLimiter,
    pub caps: Arc<Capabilities>,
    pub phase: Phase,
    pub logs: LogBuffer,
    pub fetches: u32,
    ops: Ops,
    /// The answer of the last synchronous `call`, handed over by `call_result`.
    call_result: Vec<u8>,
}

impl HostState {
    /// State for invoking `realm`, with its memory cap, deadline and timer clock.
    pub fn invocation(
        caps: Arc<Capabilities>,
        realm: u32,
        memory_limit: usize,
        deadline: Option<Instant>,
        clock: Clock,
    ) -> Self {
        let max_in_flight = caps.max_in_flight();
        HostState {
            limiter: MemoryLimiter::new(memory_limit),
            caps,
            phase: Phase::Invoke { realm },
            logs: LogBuffer::default(),
            fetches: 0,
            ops: Ops::new(max_in_flight, clock, deadline, memory_limit),
            call_result: Vec::new(),
        }
    }

    /// State for building a snapshot from `input`.
    pub fn snapshot(caps: Arc<Capabilities>, memory_limit: usize, input: Vec<u8>) -> Self {
        HostState {
            limiter: MemoryLimiter::new(memory_limit),
            caps,
            phase: Phase::Snapshot(SnapshotIo {
                input,
                status: Vec::new(),
            }),
            logs: LogBuffer::default(),
            fetches: 0,
            ops: Ops::new(1, Clock::Virtual, None, 0),
            call_result: Vec::new(),
        }
    }

    /// Accepts a call from `realm` only while that realm is being invoked (or at load).
    fn accepts_realm(&self, realm: u32, import: &str) -> wasmtime::Result<()> {
        match self.phase {
            Phase::Invoke { realm: invoked } if invoked != realm => wasmtime::bail!(
                "refused `{import}` from realm {realm} during the invocation of realm {invoked}: a node's code may act only with its own grants"
            ),
            _ => Ok(()),
        }
    }

    /// Accepts a call only during an invocation of `realm`.
    fn invoking(&self, realm: u32, import: &str) -> wasmtime::Result<()> {
        match self.phase {
            Phase::Invoke { .. } => self.accepts_realm(realm, import),
            Phase::Snapshot(_) => wasmtime::bail!(
                "refused `{import}` while the snapshot is built: operations cannot start at load"
            ),
        }
    }

    fn snapshot_io(&mut self, import: &str) -> wasmtime::Result<&mut SnapshotIo> {
        match &mut self.phase {
            Phase::Snapshot(io) => Ok(io),
            Phase::Invoke { .. } => {
                wasmtime::bail!("refused `{import}`: it is a snapshot-time import")
            }
        }
    }

    /// The security events of the invocation so far, taken out.
    pub fn take_events(&mut self) -> Vec<SecurityEvent> {
        self.ops.take_events()
    }

    /// The load report, taken out (snapshot builds only).
    pub fn take_status(&mut self) -> Vec<(u32, String)> {
        match &mut self.phase {
            Phase::Snapshot(io) => std::mem::take(&mut io.status),
            Phase::Invoke { .. } => Vec::new(),
        }
    }
}

/// Caps linear memory, remembers the peak, and notes when a grow was refused (so that a trap
/// that follows can be reported as out-of-memory).
#[derive(Debug)]
pub(crate) struct MemoryLimiter {
    pub limit: usize,
    pub peak: usize,
    pub denied: bool,
}

impl MemoryLimiter {
    fn new(limit: usize) -> Self {
        MemoryLimiter {
            limit,
            peak: 0,
            denied: false,
        }
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit {
            self.denied = true;
            return Ok(false);
        }
        self.peak = self.peak.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1 << 20)
    }
}

/// The guest's exported memory.
pub(crate) fn memory<T>(caller: &mut Caller<'_, T>) -> wasmtime::Result<Memory> {
    caller
        .get_export("memory")
        .and_then(|e| e.into_memory())
        .ok_or_else(|| wasmtime::format_err!("guest exports no memory"))
}

fn read<T>(caller: &mut Caller<'_, T>, ptr: u32, len: u32) -> wasmtime::Result<Vec<u8>> {
    if len as usize > MAX_REQUEST_BYTES {
        wasmtime::bail!(
            "guest handed the host {len} bytes, over the {MAX_REQUEST_BYTES}-byte limit"
        );
    }
    let mem = memory(caller)?;
    let mut buf = vec![0u8; len as usize];
    mem.read(&caller, ptr as usize, &mut buf)?;
    Ok(buf)
}

fn write<T>(caller: &mut Caller<'_, T>, dst: u32, bytes: &[u8]) -> wasmtime::Result<()> {
    let mem = memory(caller)?;
    mem.write(caller, dst as usize, bytes)?;
    Ok(())
}

/// Builds the linker every store of this engine uses.
pub(crate) fn linker(engine: &Engine) -> wasmtime::Result<Linker<HostState>> {
    let mut linker = Linker::new(engine);
    crate::wasi::add_to_linker(&mut linker)?;
    snapshot_imports(&mut linker)?;
    log_import(&mut linker)?;
    call_imports(&mut linker)?;
    op_imports(&mut linker)?;
    Ok(linker)
}

fn snapshot_imports(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap(M, "snapshot_input_len", |mut c: Caller<'_, HostState>| {
        Ok(c.data_mut().snapshot_io("snapshot_input_len")?.input.len() as u32)
    })?;
    linker.func_wrap(
        M,
        "snapshot_input",
        |mut c: Caller<'_, HostState>, dst: u32| {
            let input = std::mem::take(&mut c.data_mut().snapshot_io("snapshot_input")?.input);
            write(&mut c, dst, &input)
        },
    )?;
    linker.func_wrap(
        M,
        "load_status",
        |mut c: Caller<'_, HostState>, _realm: u32, status: u32, ptr: u32, len: u32| {
            let text = read(&mut c, ptr, len)?;
            let io = c.data_mut().snapshot_io("load_status")?;
            io.status
                .push((status, String::from_utf8_lossy(&text).into_owned()));
            Ok(())
        },
    )?;
    Ok(())
}

fn log_import(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap(
        M,
        "log",
        |mut c: Caller<'_, HostState>, realm: u32, level: u32, ptr: u32, len: u32| {
            c.data().accepts_realm(realm, "log")?;
            let level = LogLevel::from(Level::from_u32(level).unwrap_or(Level::Error));
            let state = c.data_mut();
            if !state.logs.accepts() {
                state.logs.note_dropped();
                return Ok(());
            }
            // The caps are checked before anything is copied out of guest memory.
            let take = len.min(state.logs.line_budget() as u32);
            let text = read(&mut c, ptr, take)?;
            let state = c.data_mut();
            let caps = state.caps.clone();
            state.logs.push(level, &text, len as usize, caps.scrubber());
            Ok(())
        },
    )?;
    Ok(())
}

fn call_imports(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap(
        M,
        "call",
        |mut c: Caller<'_, HostState>, realm: u32, service: u32, ptr: u32, len: u32| {
            // Services are pure (no I/O, no policy, no secrets), so they also serve a module's
            // top level while the snapshot is built; every answer fits the node's memory.
            c.data().accepts_realm(realm, "call")?;
            let request = read(&mut c, ptr, len)?;
            let max_answer = c.data().limiter.limit;
            let (ok, answer) = match crate::services::call(service, &request, max_answer) {
                Ok(bytes) => (true, bytes),
                Err(e) => (false, e.to_json().into_bytes()),
            };
            let n = answer.len() as u64;
            c.data_mut().call_result = answer;
            Ok(if ok { n } else { n | ERROR_BIT })
        },
    )?;
    linker.func_wrap(
        M,
        "call_result",
        |mut c: Caller<'_, HostState>, realm: u32, dst: u32| {
            c.data().accepts_realm(realm, "call_result")?;
            let answer = std::mem::take(&mut c.data_mut().call_result);
            write(&mut c, dst, &answer)
        },
    )?;
    Ok(())
}

fn op_imports(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap(
        M,
        "start",
        |mut c: Caller<'_, HostState>,
         realm: u32,
         op: u32,
         a_ptr: u32,
         a_len: u32,
         b_ptr: u32,
         b_len: u32| {
            c.data().invoking(realm, "start")?;
            let a = read(&mut c, a_ptr, a_len)?;
            match Op::from_u32(op) {
                Some(Op::Timer) => {
                    let ms = a
                        .get(..8)
                        .map_or(0.0, |b| f64::from_le_bytes(b.try_into().unwrap()));
                    Ok(c.data_mut().ops.start_timer(ms))
                }
                Some(Op::Fetch) => {
                    let body = read(&mut c, b_ptr, b_len)?;
                    let state = c.data_mut();
                    state.fetches += 1;
                    let caps = state.caps.clone();
                    let memory_limit = state.limiter.limit;
                    let held = state.ops.held().clone();
                    Ok(state.ops.start_request(async move {
                        outbound::perform(&caps, &a, body, memory_limit, &held)
                            .await
                            .into()
                    }))
                }
                None => wasmtime::bail!("unknown host operation {op}"),
            }
        },
    )?;
    linker.func_wrap_async(
        M,
        "wait",
        |mut c: Caller<'_, HostState>, (realm, dst): (u32, u32)| {
            Box::new(async move {
                c.data().invoking(realm, "wait")?;
                match c.data_mut().ops.wait().await {
                    Ok(Some(done)) => {
                        write(&mut c, dst, &done.encode())?;
                        Ok(1u32)
                    }
                    Ok(None) => Ok(0),
                    Err(WaitError::Deadline) => Err(wasmtime::Trap::Interrupt.into()),
                }
            })
        },
    )?;
    linker.func_wrap(
        M,
        "op_result",
        |mut c: Caller<'_, HostState>, realm: u32, handle: u32, meta_dst: u32, body_dst: u32| {
            c.data().invoking(realm, "op_result")?;
            let Some(Outcome { meta, body, .. }) = c.data_mut().ops.take(handle) else {
                wasmtime::bail!("no completed operation {handle} to hand over");
            };
            write(&mut c, meta_dst, &meta)?;
            write(&mut c, body_dst, &body)
        },
    )?;
    linker.func_wrap(
        M,
        "cancel",
        |mut c: Caller<'_, HostState>, realm: u32, handle: u32| {
            c.data().invoking(realm, "cancel")?;
            c.data_mut().ops.cancel(handle);
            Ok(())
        },
    )?;
    Ok(())
}
