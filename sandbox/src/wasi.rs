//! The whole WASI surface a node gets: the nine `wasi_snapshot_preview1` functions the plugin
//! imports, answered here directly.
//!
//! A node has no files, no environment, no arguments and no stdio, so there is nothing for a
//! general WASI implementation to do, and per-invocation setup of one (a resource table,
//! stdio streams, seeded generators) was measurable on the hot path. Each function below
//! either answers with "nothing" or with one of the two things a node may have: the time and
//! randomness.
//!
//! | import | answer |
//! |---|---|
//! | `environ_sizes_get`, `environ_get` | no variables |
//! | `clock_time_get` | real time (realtime, monotonic, and both CPU-time ids as monotonic) |
//! | `random_get` | the operating system's CSPRNG |
//! | `fd_write` | stdio is discarded (every byte reported written); console output goes through `tentacular.log` instead |
//! | `fd_close`, `fd_fdstat_get`, `fd_seek` | `EBADF`: there are no descriptors |
//! | `proc_exit` | stops the invocation with a trap |

use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use wasmtime::{Caller, Linker, Memory};

const MODULE: &str = "wasi_snapshot_preview1";
const SUCCESS: i32 = 0;
const EBADF: i32 = 8;
const EINVAL: i32 = 28;
/// Largest single `random_get`; more in one call is refused rather than allocated.
const MAX_RANDOM: u32 = 1 << 20;
/// Most iovecs one `fd_write` may pass (POSIX's IOV_MAX).
const MAX_IOVS: u32 = 1024;

/// Binds the WASI functions the plugin imports.
pub(crate) fn add_to_linker<T: 'static>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    linker.func_wrap(
        MODULE,
        "environ_sizes_get",
        |mut caller: Caller<'_, T>, count: u32, size: u32| -> wasmtime::Result<i32> {
            let mem = memory(&mut caller)?;
            mem.write(&mut caller, count as usize, &0u32.to_le_bytes())?;
            mem.write(&mut caller, size as usize, &0u32.to_le_bytes())?;
            Ok(SUCCESS)
        },
    )?;
    linker.func_wrap(
        MODULE,
        "environ_get",
        |_: Caller<'_, T>, _environ: u32, _buf: u32| -> i32 { SUCCESS },
    )?;
    linker.func_wrap(
        MODULE,
        "clock_time_get",
        |mut caller: Caller<'_, T>, id: u32, _precision: u64, out: u32| -> wasmtime::Result<i32> {
            let nanos = match id {
                0 => SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as u64),
                1..=3 => monotonic_nanos(),
                _ => return Ok(EINVAL),
            };
            let mem = memory(&mut caller)?;
            mem.write(&mut caller, out as usize, &nanos.to_le_bytes())?;
            Ok(SUCCESS)
        },
    )?;
    linker.func_wrap(
        MODULE,
        "random_get",
        |mut caller: Caller<'_, T>, buf: u32, len: u32| -> wasmtime::Result<i32> {
            if len > MAX_RANDOM {
                return Ok(EINVAL);
            }
            let mut bytes = vec![0u8; len as usize];
            getrandom::fill(&mut bytes)
                .map_err(|e| wasmtime::format_err!("the OS random source failed: {e}"))?;
            let mem = memory(&mut caller)?;
            mem.write(&mut caller, buf as usize, &bytes)?;
            Ok(SUCCESS)
        },
    )?;
    linker.func_wrap(
        MODULE,
        "fd_write",
        |mut caller: Caller<'_, T>,
         _fd: u32,
         iovs: u32,
         iovs_len: u32,
         written: u32|
         -> wasmtime::Result<i32> {
            if iovs_len > MAX_IOVS {
                return Ok(EINVAL);
            }
            let mem = memory(&mut caller)?;
            let mut raw = vec![0u8; iovs_len as usize * 8];
            mem.read(&caller, iovs as usize, &mut raw)?;
            let total = raw.chunks_exact(8).fold(0u32, |sum, iov| {
                sum.saturating_add(u32::from_le_bytes([iov[4], iov[5], iov[6], iov[7]]))
            });
            mem.write(&mut caller, written as usize, &total.to_le_bytes())?;
            Ok(SUCCESS)
        },
    )?;
    linker.func_wrap(MODULE, "fd_close", |_: Caller<'_, T>, _fd: u32| EBADF)?;
    linker.func_wrap(
        MODULE,
        "fd_fdstat_get",
        |_: Caller<'_, T>, _fd: u32, _stat: u32| EBADF,
    )?;
    linker.func_wrap(
        MODULE,
        "fd_seek",
        |_: Caller<'_, T>, _fd: u32, _offset: i64, _whence: u32, _out: u32| EBADF,
    )?;
    linker.func_wrap(
        MODULE,
        "proc_exit",
        |_: Caller<'_, T>, code: u32| -> wasmtime::Result<()> {
            wasmtime::bail!("the node's runtime exited (proc_exit({code}))")
        },
    )?;
    Ok(())
}

/// Nanoseconds on a clock that only goes forward, from an arbitrary start.
fn monotonic_nanos() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// The guest's exported memory.
fn memory<T>(caller: &mut Caller<'_, T>) -> wasmtime::Result<Memory> {
    caller
        .get_export("memory")
        .and_then(|e| e.into_memory())
        .ok_or_else(|| wasmtime::format_err!("guest exports no memory"))
}
