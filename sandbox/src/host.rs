//! The host side of the guest's imports: one [`HostState`] per store (per invocation, or per
//! snapshot build), and the linker that binds `tentacular.*` and the few WASI calls
//! ([`crate::wasi`]).

use std::sync::Arc;

use wasmtime::{Caller, Engine, Linker, Memory, ResourceLimiter};

use crate::capabilities::Capabilities;
use crate::fetch;
use crate::log::{LogBuffer, LogLevel};

/// Largest request description a guest may hand the host.
const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

/// Per-store state.
pub(crate) struct HostState {
    pub limiter: MemoryLimiter,
    pub caps: Arc<Capabilities>,
    /// The answer to the last `fetch`, handed over by `take`.
    pending: Vec<u8>,
    pub logs: LogBuffer,
    pub fetches: u32,
    /// Only while building a snapshot.
    pub snapshot: Option<SnapshotIo>,
}

/// Snapshot-time input and the guest's report of how loading went.
pub(crate) struct SnapshotIo {
    pub input: Vec<u8>,
    /// One `(status, message)` per entry, in payload order.
    pub status: Vec<(u32, String)>,
}

impl HostState {
    pub fn new(caps: Arc<Capabilities>, memory_limit: usize) -> Self {
        HostState {
            limiter: MemoryLimiter::new(memory_limit),
            caps,
            pending: Vec::new(),
            logs: LogBuffer::default(),
            fetches: 0,
            snapshot: None,
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

pub(crate) fn memory(caller: &mut Caller<'_, HostState>) -> wasmtime::Result<Memory> {
    caller
        .get_export("memory")
        .and_then(|e| e.into_memory())
        .ok_or_else(|| wasmtime::format_err!("guest exports no memory"))
}

fn read(
    caller: &mut Caller<'_, HostState>,
    ptr: u32,
    len: u32,
    max: usize,
) -> wasmtime::Result<Vec<u8>> {
    if len as usize > max {
        wasmtime::bail!("guest handed the host {len} bytes, over the {max}-byte limit");
    }
    let mem = memory(caller)?;
    let mut buf = vec![0u8; len as usize];
    mem.read(&caller, ptr as usize, &mut buf)?;
    Ok(buf)
}

/// Builds the linker every store of this engine uses.
pub(crate) fn linker(engine: &Engine) -> wasmtime::Result<Linker<HostState>> {
    let mut linker = Linker::new(engine);
    crate::wasi::add_to_linker(&mut linker)?;

    linker.func_wrap(
        "tentacular",
        "snapshot_input_len",
        |caller: Caller<'_, HostState>| -> u32 {
            caller
                .data()
                .snapshot
                .as_ref()
                .map_or(0, |s| s.input.len() as u32)
        },
    )?;
    linker.func_wrap(
        "tentacular",
        "snapshot_input",
        |mut caller: Caller<'_, HostState>, dst: u32| -> wasmtime::Result<()> {
            let input = caller
                .data_mut()
                .snapshot
                .as_mut()
                .map(|s| std::mem::take(&mut s.input))
                .unwrap_or_default();
            let mem = memory(&mut caller)?;
            mem.write(&mut caller, dst as usize, &input)?;
            Ok(())
        },
    )?;
    linker.func_wrap(
        "tentacular",
        "load_status",
        |mut caller: Caller<'_, HostState>,
         status: u32,
         ptr: u32,
         len: u32|
         -> wasmtime::Result<()> {
            let text = read(&mut caller, ptr, len, MAX_REQUEST_BYTES)?;
            if let Some(s) = caller.data_mut().snapshot.as_mut() {
                s.status
                    .push((status, String::from_utf8_lossy(&text).into_owned()));
            }
            Ok(())
        },
    )?;
    linker.func_wrap_async(
        "tentacular",
        "fetch",
        |mut caller: Caller<'_, HostState>, (ptr, len): (u32, u32)| {
            Box::new(async move {
                let raw = read(&mut caller, ptr, len, MAX_REQUEST_BYTES)?;
                let caps = caller.data().caps.clone();
                caller.data_mut().fetches += 1;
                let (answer, _) = fetch::handle(&caps, &raw).await;
                let bytes = serde_json::to_vec(&answer)?;
                let n = bytes.len() as u32;
                caller.data_mut().pending = bytes;
                Ok(n)
            })
        },
    )?;
    linker.func_wrap(
        "tentacular",
        "take",
        |mut caller: Caller<'_, HostState>, dst: u32| -> wasmtime::Result<()> {
            let pending = std::mem::take(&mut caller.data_mut().pending);
            let mem = memory(&mut caller)?;
            mem.write(&mut caller, dst as usize, &pending)?;
            Ok(())
        },
    )?;
    linker.func_wrap(
        "tentacular",
        "log",
        |mut caller: Caller<'_, HostState>,
         level: u32,
         ptr: u32,
         len: u32|
         -> wasmtime::Result<()> {
            let text = read(&mut caller, ptr, len, MAX_REQUEST_BYTES)?;
            let state = caller.data_mut();
            let caps = state.caps.clone();
            state.logs.push(
                LogLevel::from_guest(level),
                String::from_utf8_lossy(&text).into_owned(),
                &caps.secrets,
            );
            Ok(())
        },
    )?;
    Ok(linker)
}
