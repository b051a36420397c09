//! The guest side of Tentacular's sandbox: QuickJS (rquickjs) with **one realm per node**, and
//! the bridge to the host.
//!
//! This crate is compiled for `wasm32-wasip1` by `build.sh`. It holds no policy: every
//! decision (which hosts a node may reach, what secrets look like, limits) is made by the host
//! in `sandbox/`. The boundary — exports, imports, status codes — is defined once, in the
//! `tentacular-abi` crate (`shims/abi`), which the host uses too.
//!
//! At snapshot time ([`wizer_initialize`]) every node of the workflow gets a QuickJS context
//! of its own: its own global object and intrinsics, its own copy of the prelude and of the
//! modules it imports. Each context's natives carry the node's realm id, so the host can
//! refuse a call that does not come from the realm it invokes. The snapshot is taken with
//! nothing pending: a module whose top level leaves a timer, a request or a promise job behind
//! is a load error. At invocation time ([`tntc_call`]) the host names one entry, and only that
//! realm runs.
#![allow(static_mut_refs)]

mod bridge;
mod heap;
mod natives;
mod payload;
mod realm;
mod report;
/// The boundary's names and numbers, shared with the host: the source of the `tentacular-abi`
/// crate, compiled in as a module (a path dependency outside this workspace would put an
/// absolute path into the build's hashes and break reproducibility).
#[path = "../../abi/src/lib.rs"]
#[allow(dead_code)]
mod tentacular_abi;

use crate::tentacular_abi::{CallStatus, LoadStatus};
use rquickjs::Runtime;

use realm::Realm;

/// The runtime, created at snapshot time and frozen into the snapshot.
static mut RUNTIME: Option<Runtime> = None;
/// One realm per entry, in payload order (`None` where the entry failed to load).
static mut REALMS: Vec<Option<Realm>> = Vec::new();
/// True while the snapshot is being built: operations cannot start then.
static mut LOADING: bool = false;
/// Result of the last call: `[status, ptr, len]`; the bytes live in `OUTPUT`.
static mut RET: [u32; 3] = [0; 3];
static mut OUTPUT: String = String::new();

/// Whether the snapshot is being built (natives refuse to start operations then).
pub(crate) fn loading() -> bool {
    unsafe { LOADING }
}

/// Snapshot-time initialisation: one realm per entry of the payload.
#[unsafe(export_name = "wizer-initialize")]
pub extern "C" fn wizer_initialize() {
    let input = payload::SnapshotInput::read();
    let runtime = Runtime::new().expect("creating the QuickJS runtime");
    // Invocations run in throwaway instances: garbage is reclaimed by discarding the
    // instance, and reference counting frees most objects anyway.
    runtime.set_gc_threshold(usize::MAX);
    runtime.set_max_stack_size(256 * 1024);
    unsafe { LOADING = true };
    let prelude = match realm::compile_prelude(&runtime, &input.prelude) {
        Ok(bytes) => bytes,
        Err(message) => {
            for id in 0..input.entries.len().max(1) as u32 {
                bridge::load_status(id, LoadStatus::Error, &message);
            }
            return;
        }
    };
    for (id, entry) in input.entries.iter().enumerate() {
        let id = id as u32;
        match Realm::load(&runtime, id, &input, &prelude, entry) {
            Ok(realm) => {
                unsafe { REALMS.push(Some(realm)) };
                bridge::load_status(id, LoadStatus::Ok, "");
            }
            Err(message) => {
                unsafe { REALMS.push(None) };
                bridge::load_status(id, LoadStatus::Error, &message);
            }
        }
    }
    if input.entries.is_empty() {
        bridge::load_status(0, LoadStatus::Ok, "");
    }
    // Collect what the top levels left as garbage now, so that no finalizer can become due
    // during a later invocation, and run what that queued (at load, in its own realm).
    runtime.run_gc();
    while runtime.is_job_pending() {
        if runtime.execute_pending_job().is_err() {
            break;
        }
    }
    unsafe {
        LOADING = false;
        RUNTIME = Some(runtime);
    }
    heap::plug_holes();
}

/// Runs entry `entry` (a node) once. `payload` is the JSON text `{"input": …, "ctx": …}`
/// built by the host. Returns a pointer to `[status, ptr, len]`.
///
/// # Safety
/// `ptr..ptr+len` must be a guest allocation holding the payload (the host allocates it with
/// `cabi_realloc`).
#[unsafe(export_name = "tntc_call")]
pub unsafe extern "C" fn tntc_call(entry: u32, ptr: *const u8, len: usize) -> *const u32 {
    // A snapshot freezes the PRNG state: reseed from WASI randomness for every call, so that
    // two instances of one snapshot never share `Math.random()` sequences.
    fastrand::seed(bridge::random_u64());
    let payload = unsafe { std::slice::from_raw_parts(ptr, len) };
    let realm = unsafe { REALMS.get(entry as usize).and_then(Option::as_ref) };
    let answer = match (std::str::from_utf8(payload), realm) {
        (Ok(payload), Some(realm)) => realm.invoke(payload),
        (Err(_), _) => Err(report::internal("the invocation payload is not UTF-8")),
        (_, None) => Err(report::internal(
            "no node program is loaded in this snapshot",
        )),
    };
    // The prelude frames its answer as "O<output>" or "E<error>"; hand the host the bytes
    // after the frame byte, without copying the output again.
    let (status, text, skip) = match answer {
        Ok(text) if text.starts_with('O') => (CallStatus::Ok, text, 1),
        Ok(text) if text.starts_with('E') => (CallStatus::Error, text, 1),
        Ok(_) => (
            CallStatus::Error,
            report::internal("the prelude framed its answer wrongly"),
            0,
        ),
        Err(text) => (CallStatus::Error, text, 0),
    };
    unsafe {
        OUTPUT = text;
        RET = [
            status as u32,
            OUTPUT.as_ptr() as u32 + skip,
            (OUTPUT.len() as u32).saturating_sub(skip),
        ];
        RET.as_ptr()
    }
}

/// Guest allocation for the host (the canonical ABI's `cabi_realloc`).
///
/// # Safety
/// `original_ptr` must be null or a live allocation of `original_size` bytes with `alignment`
/// made by this function.
#[unsafe(export_name = "cabi_realloc")]
pub unsafe extern "C" fn cabi_realloc(
    original_ptr: *mut u8,
    original_size: usize,
    alignment: usize,
    new_size: usize,
) -> *mut u8 {
    use std::alloc::{Layout, alloc, dealloc};
    assert!(new_size >= original_size);
    let new_mem = match new_size {
        0 => alignment as *mut u8,
        _ => unsafe { alloc(Layout::from_size_align(new_size, alignment).unwrap()) },
    };
    if !original_ptr.is_null() && original_size != 0 {
        unsafe {
            std::ptr::copy_nonoverlapping(original_ptr, new_mem, original_size);
            dealloc(
                original_ptr,
                Layout::from_size_align(original_size, alignment).unwrap(),
            );
        }
    }
    new_mem
}
