//! The raw host imports and thin safe wrappers over them. Nothing here decides anything: the
//! host checks every call, including that it comes from the realm it is invoking.

use crate::tentacular_abi::Completion;

#[link(wasm_import_module = "tentacular")]
unsafe extern "C" {
    #[link_name = "snapshot_input_len"]
    fn host_snapshot_input_len() -> u32;
    #[link_name = "snapshot_input"]
    fn host_snapshot_input(dst: *mut u8);
    #[link_name = "load_status"]
    fn host_load_status(realm: u32, status: u32, ptr: *const u8, len: usize);
    #[link_name = "log"]
    fn host_log(realm: u32, level: u32, ptr: *const u8, len: usize);
    #[link_name = "call"]
    fn host_call(realm: u32, service: u32, ptr: *const u8, len: usize) -> u64;
    #[link_name = "call_result"]
    fn host_call_result(realm: u32, dst: *mut u8);
    #[link_name = "start"]
    fn host_start(
        realm: u32,
        op: u32,
        a_ptr: *const u8,
        a_len: usize,
        b_ptr: *const u8,
        b_len: usize,
    ) -> u32;
    #[link_name = "wait"]
    fn host_wait(realm: u32, dst: *mut u8) -> u32;
    #[link_name = "op_result"]
    fn host_op_result(realm: u32, handle: u32, meta_dst: *mut u8, body_dst: *mut u8);
    #[link_name = "cancel"]
    fn host_cancel(realm: u32, handle: u32);
}

#[link(wasm_import_module = "wasi_snapshot_preview1")]
unsafe extern "C" {
    fn random_get(buf: *mut u8, len: usize) -> u16;
}

/// Reads the snapshot payload (snapshot time only; the host traps otherwise).
pub fn snapshot_input() -> Vec<u8> {
    let len = unsafe { host_snapshot_input_len() } as usize;
    let mut buf = vec![0u8; len];
    unsafe { host_snapshot_input(buf.as_mut_ptr()) };
    buf
}

/// Reports how loading entry `realm` went (snapshot time only).
pub fn load_status(realm: u32, status: crate::tentacular_abi::LoadStatus, message: &str) {
    unsafe { host_load_status(realm, status as u32, message.as_ptr(), message.len()) };
}

/// One log line of `realm`.
pub fn log(realm: u32, level: u32, message: &str) {
    unsafe { host_log(realm, level, message.as_ptr(), message.len()) };
}

/// A synchronous host service: `Ok(answer)` or `Err(json error)`.
pub fn call(realm: u32, service: u32, request: &[u8]) -> Result<Vec<u8>, Vec<u8>> {
    let answer = unsafe { host_call(realm, service, request.as_ptr(), request.len()) };
    let len = (answer & !crate::tentacular_abi::ERROR_BIT) as usize;
    let mut buf = vec![0u8; len];
    unsafe { host_call_result(realm, buf.as_mut_ptr()) };
    if answer & crate::tentacular_abi::ERROR_BIT != 0 {
        Err(buf)
    } else {
        Ok(buf)
    }
}

/// Starts an asynchronous operation; its completion arrives through [`wait`].
pub fn start(realm: u32, op: u32, a: &[u8], b: &[u8]) -> u32 {
    unsafe { host_start(realm, op, a.as_ptr(), a.len(), b.as_ptr(), b.len()) }
}

/// Suspends until one of `realm`'s operations completes. `None`: nothing is in flight.
pub fn wait(realm: u32) -> Option<(Completion, Vec<u8>, Vec<u8>)> {
    let mut raw = [0u8; Completion::SIZE];
    if unsafe { host_wait(realm, raw.as_mut_ptr()) } == 0 {
        return None;
    }
    let completion = Completion::decode(&raw);
    let mut meta = vec![0u8; completion.meta_len as usize];
    let mut body = vec![0u8; completion.body_len as usize];
    unsafe {
        host_op_result(
            realm,
            completion.handle,
            meta.as_mut_ptr(),
            body.as_mut_ptr(),
        )
    };
    Some((completion, meta, body))
}

/// Abandons an operation (a cleared timer, an aborted fetch).
pub fn cancel(realm: u32, handle: u32) {
    unsafe { host_cancel(realm, handle) };
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
