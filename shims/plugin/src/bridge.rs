//! Host imports and the native JS functions built on them.
//!
//! The JS prelude (`shims/js`) wraps these into `ctx.fetch`, `ctx.log`, `crypto` and friends.
//! Nothing here decides anything: the host checks every request.

use javy_plugin_api::javy::quickjs::{Ctx, Result, prelude::Func};

#[link(wasm_import_module = "tentacular")]
unsafe extern "C" {
    #[link_name = "snapshot_input_len"]
    fn host_snapshot_input_len() -> u32;
    #[link_name = "snapshot_input"]
    fn host_snapshot_input(dst: *mut u8);
    #[link_name = "load_status"]
    fn host_load_status(status: u32, ptr: *const u8, len: usize);
    #[link_name = "fetch"]
    fn host_fetch(ptr: *const u8, len: usize) -> u32;
    #[link_name = "take"]
    fn host_take(dst: *mut u8);
    #[link_name = "log"]
    fn host_log(level: u32, ptr: *const u8, len: usize);
}

#[link(wasm_import_module = "wasi_snapshot_preview1")]
unsafe extern "C" {
    fn random_get(buf: *mut u8, len: usize) -> u16;
}

/// Reads the snapshot payload.
pub fn snapshot_input() -> Vec<u8> {
    let len = unsafe { host_snapshot_input_len() } as usize;
    let mut buf = vec![0u8; len];
    unsafe { host_snapshot_input(buf.as_mut_ptr()) };
    buf
}

/// Reports the outcome of loading the node at snapshot time.
pub fn load_status(status: u32, message: &str) {
    unsafe { host_load_status(status, message.as_ptr(), message.len()) };
}

/// Fresh randomness from WASI (the host's CSPRNG).
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    if n > 0 {
        unsafe { random_get(buf.as_mut_ptr(), n) };
    }
    buf
}

/// A fresh 64-bit seed.
pub fn random_u64() -> u64 {
    u64::from_le_bytes(random_bytes(8).try_into().unwrap())
}

/// Sends one request description (JSON) to the host and returns its answer (JSON). The guest
/// is suspended while the host works; from JS this looks synchronous.
fn fetch(request: String) -> String {
    let len = unsafe { host_fetch(request.as_ptr(), request.len()) } as usize;
    let mut buf = vec![0u8; len];
    unsafe { host_take(buf.as_mut_ptr()) };
    String::from_utf8_lossy(&buf).into_owned()
}

fn log(level: u32, message: String) {
    unsafe { host_log(level, message.as_ptr(), message.len()) };
}

/// Registers the native functions the prelude uses. The prelude captures them and deletes the
/// globals, so node code never sees them under these names.
pub fn register(ctx: &Ctx<'_>) -> Result<()> {
    let g = ctx.globals();
    g.set("__tntcHostFetch", Func::from(fetch))?;
    g.set("__tntcHostLog", Func::from(log))?;
    g.set(
        "__tntcRandomBytes",
        Func::from(|n: usize| random_bytes(n.min(65536))),
    )?;
    Ok(())
}
