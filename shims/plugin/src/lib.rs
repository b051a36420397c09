//! The guest side of Tentacular's sandbox: QuickJS (through javy) and the bridge to the host.
//!
//! This crate is compiled for `wasm32-wasip1` by `build.sh`. It holds no policy: every
//! decision (which hosts a node may reach, what secrets look like, limits) is made by the
//! host in `sandbox/`. The boundary is a handful of functions:
//!
//! | direction | name | purpose |
//! |---|---|---|
//! | export | `wizer-initialize` | at snapshot time: create the runtime, evaluate the prelude and every node (entry) of the workflow |
//! | export | `tntc_call(ptr, len, entry) -> *ret` | one invocation of one entry: payload JSON in, `[status, ptr, len]` out |
//! | export | `cabi_realloc` | guest allocation for the host (from `javy-plugin-api`) |
//! | import | `tentacular.snapshot_input_len/snapshot_input` | the init payload, read once at snapshot time |
//! | import | `tentacular.load_status` | once per entry, in order, at snapshot time: loaded, or why not (syntax error, bad default export) |
//! | import | `tentacular.fetch/take` | one HTTP request, checked and performed by the host |
//! | import | `tentacular.log` | one log line |
#![allow(static_mut_refs)]

mod bridge;
mod payload;

use javy_plugin_api::javy::quickjs::{Ctx, Function, Module, Object, Persistent, Value};
use javy_plugin_api::javy::{Config, Runtime};

/// The runtime, created at snapshot time and frozen into the snapshot.
static mut RUNTIME: Option<Runtime> = None;
/// The prelude's `invoke(run, payload)` function.
static mut INVOKE: Option<Persistent<Function<'static>>> = None;
/// Each entry's default export, in payload order (`None` where the entry failed to load).
static mut RUNS: Vec<Option<Persistent<Function<'static>>>> = Vec::new();
/// Result of the last call: `[status, ptr, len]`; the bytes live in `OUTPUT`.
static mut RET: [u32; 3] = [0; 3];
static mut OUTPUT: Vec<u8> = Vec::new();

/// Status codes of `tntc_call` and `load_status`.
const STATUS_OK: u32 = 0;
const STATUS_ERROR: u32 = 1;
/// Load status of an entry that loaded but changed the shared realm: load it on its own.
const STATUS_LOAD_ALONE: u32 = 2;

#[unsafe(export_name = "wizer-initialize")]
pub extern "C" fn wizer_initialize() {
    let input = payload::SnapshotInput::read();
    let mut config = Config::default();
    config.text_encoding(true);
    let runtime = Runtime::new(config).expect("creating the QuickJS runtime");
    runtime.context().with(|ctx| {
        let prelude = bridge::register(&ctx)
            .map_err(|e| format!("registering host functions: {e}"))
            .and_then(|()| {
                ctx.eval::<Function, _>(input.prelude.as_bytes())
                    .map_err(|e| describe(&ctx, e))
            });
        let invoke = match prelude {
            Ok(f) => f,
            Err(message) => {
                // Without a prelude no node can run: every entry reports the same error.
                for _ in 0..input.entries.len().max(1) {
                    bridge::load_status(STATUS_ERROR, &message);
                }
                return;
            }
        };
        // With several nodes in one realm, a node whose top level changes what the realm
        // shares is sent back to the host to be loaded alone (see shims/js/ctx.js).
        let realm_check = (input.entries.len() > 1)
            .then(|| {
                let fingerprint: Function = invoke.get("realmFingerprint").ok()?;
                let changed: Function = invoke.get("realmChanged").ok()?;
                Some((fingerprint, changed))
            })
            .flatten();
        unsafe { INVOKE = Some(Persistent::save(&ctx, invoke)) };
        let mut loader = Loader::default();
        for entry in &input.entries {
            let before: Option<Value> = realm_check
                .as_ref()
                .and_then(|(fingerprint, _)| fingerprint.call(()).ok());
            match loader.load(&ctx, &input, entry) {
                Ok(run) => {
                    let changed = match (&realm_check, before) {
                        (Some((_, changed)), Some(before)) => {
                            changed.call::<_, bool>((before,)).unwrap_or(true)
                        }
                        _ => false,
                    };
                    if changed {
                        unsafe { RUNS.push(None) };
                        bridge::load_status(
                            STATUS_LOAD_ALONE,
                            "{\"kind\":\"load-alone\",\"message\":\"the node's top level changes globals or intrinsics\"}",
                        );
                        continue;
                    }
                    unsafe { RUNS.push(Some(Persistent::save(&ctx, run))) };
                    bridge::load_status(STATUS_OK, "");
                }
                Err(message) => {
                    unsafe { RUNS.push(None) };
                    bridge::load_status(STATUS_ERROR, &message);
                }
            }
        }
        if input.entries.is_empty() {
            bridge::load_status(STATUS_OK, "");
        }
    });
    unsafe { RUNTIME = Some(runtime) };
}

/// Declares each module once across the workflow's entries and evaluates the entries; a
/// module that failed to compile fails every entry that needs it, with its own error.
#[derive(Default)]
struct Loader {
    declared: Vec<usize>,
    failed: Vec<(usize, String)>,
}

impl Loader {
    fn load<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        input: &payload::SnapshotInput,
        entry: &payload::Entry,
    ) -> Result<Function<'js>, String> {
        let Some((&entry_index, deps)) = entry.modules.split_last() else {
            return Err(format!(
                "entry module {} missing from the payload",
                entry.name
            ));
        };
        for &index in deps {
            if let Some((_, message)) = self.failed.iter().find(|(i, _)| *i == index) {
                return Err(message.clone());
            }
            if self.declared.contains(&index) {
                continue;
            }
            let (name, source) = &input.modules[index];
            match Module::declare(ctx.clone(), name.as_str(), source.as_bytes()) {
                Ok(_) => self.declared.push(index),
                Err(e) => {
                    let message = describe(ctx, e);
                    self.failed.push((index, message.clone()));
                    return Err(message);
                }
            }
        }
        let default: Value = if self.declared.contains(&entry_index) {
            // Another node imports this node's file: it is loaded already; import it by name.
            let promise = Module::import(ctx, entry.name.as_str()).map_err(|e| describe(ctx, e))?;
            let namespace: Object = promise.finish().map_err(|e| describe(ctx, e))?;
            namespace.get("default").map_err(|e| describe(ctx, e))?
        } else {
            let (_, source) = &input.modules[entry_index];
            let module = Module::declare(ctx.clone(), entry.name.as_str(), source.as_bytes())
                .map_err(|e| describe(ctx, e))?;
            self.declared.push(entry_index);
            let (module, promise) = module.eval().map_err(|e| describe(ctx, e))?;
            promise.finish::<Value>().map_err(|e| describe(ctx, e))?;
            module.get("default").map_err(|e| describe(ctx, e))?
        };
        match default.as_function() {
            Some(run) => Ok(run.clone()),
            None => {
                let found = match typeof_name(&default) {
                    "undefined" => "it has no default export".to_string(),
                    kind => format!("its default export is a {kind}"),
                };
                Err(format!(
                    "{{\"kind\":\"no-default-export\",\"message\":\"must export a default async function run(ctx, input), but {found}\"}}"
                ))
            }
        }
    }
}

/// Runs entry `entry` (a node) once. `payload` is the JSON text `{"input": …, "ctx": …}`
/// built by the host.
///
/// # Safety
/// `ptr..ptr+len` must be a guest allocation holding the payload (the host allocates it with
/// `cabi_realloc`).
#[unsafe(export_name = "tntc_call")]
pub unsafe extern "C" fn tntc_call(ptr: *const u8, len: usize, entry: usize) -> *const u32 {
    // A snapshot freezes the PRNG state: reseed from WASI randomness for every call, so that
    // two instances of one snapshot never share `Math.random()` sequences.
    fastrand::seed(bridge::random_u64());
    let payload = unsafe { std::slice::from_raw_parts(ptr, len) };
    let payload = String::from_utf8_lossy(payload).into_owned();
    let run = unsafe { RUNS.get(entry).cloned().flatten() };
    let (status, text) = match unsafe { (RUNTIME.as_ref(), INVOKE.clone(), run) } {
        (Some(runtime), Some(invoke), Some(run)) => {
            runtime
                .context()
                .with(|ctx| match call(&ctx, invoke, run, payload) {
                    Ok(out) => (STATUS_OK, out),
                    Err(message) => (STATUS_ERROR, message),
                })
        }
        _ => (
            STATUS_ERROR,
            "{\"kind\":\"not-loaded\",\"message\":\"no node program is loaded in this snapshot\"}"
                .to_string(),
        ),
    };
    unsafe {
        OUTPUT = text.into_bytes();
        RET = [status, OUTPUT.as_ptr() as u32, OUTPUT.len() as u32];
        RET.as_ptr()
    }
}

/// Calls the prelude's `invoke`, then drives the job queue and the virtual timer queue until
/// the promise settles. The prelude turns every outcome into a JSON string, so a rejection
/// here means the prelude itself failed.
fn call(
    ctx: &Ctx<'_>,
    invoke: Persistent<Function<'static>>,
    run: Persistent<Function<'static>>,
    payload: String,
) -> Result<String, String> {
    let invoke = invoke.restore(ctx).map_err(|e| describe(ctx, e))?;
    let run = run.restore(ctx).map_err(|e| describe(ctx, e))?;
    let value: Value = invoke.call((run, payload)).map_err(|e| describe(ctx, e))?;
    let Some(promise) = value.as_promise() else {
        return value
            .as_string()
            .and_then(|s| s.to_string().ok())
            .ok_or_else(|| "prelude invoke returned a non-string".to_string());
    };
    let timers: Object = ctx
        .globals()
        .get("__tntcTimers")
        .map_err(|e| describe(ctx, e))?;
    let fire_next: Function = timers.get("fireNext").map_err(|e| describe(ctx, e))?;
    loop {
        match promise.finish::<String>() {
            Ok(out) => return Ok(out),
            Err(javy_plugin_api::javy::quickjs::Error::WouldBlock) => {
                let fired: bool = fire_next.call(()).map_err(|e| describe(ctx, e))?;
                if !fired {
                    return Err("{\"kind\":\"never-settled\",\"message\":\"the node's promise never settled: it awaits something that can never happen (no pending timers or requests)\"}".to_string());
                }
            }
            Err(e) => return Err(describe(ctx, e)),
        }
    }
}

/// Turns a QuickJS error (usually a pending exception) into the JSON error object the host
/// parses: `{"kind", "name", "message", "stack"}`.
fn describe(ctx: &Ctx<'_>, error: javy_plugin_api::javy::quickjs::Error) -> String {
    use javy_plugin_api::javy::quickjs::Error;
    let (name, message, stack) = match error {
        Error::Exception => {
            let exc = ctx.catch();
            match exc.as_object() {
                Some(obj) => (
                    obj.get::<_, String>("name")
                        .unwrap_or_else(|_| "Error".into()),
                    obj.get::<_, String>("message")
                        .unwrap_or_else(|_| "unknown error".into()),
                    obj.get::<_, String>("stack").unwrap_or_default(),
                ),
                None => (
                    "Error".into(),
                    exc.as_string()
                        .and_then(|s| s.to_string().ok())
                        .unwrap_or_else(|| format!("thrown {}", exc.type_name())),
                    String::new(),
                ),
            }
        }
        other => ("InternalError".into(), other.to_string(), String::new()),
    };
    format!(
        "{{\"kind\":\"js\",\"name\":{},\"message\":{},\"stack\":{}}}",
        json_string(&name),
        json_string(&message),
        json_string(&stack)
    )
}

/// The JS `typeof` word for a value (QuickJS's own type names say `int`, `float`, …).
fn typeof_name(v: &Value<'_>) -> &'static str {
    use javy_plugin_api::javy::quickjs::Type;
    match v.type_of() {
        Type::Undefined | Type::Uninitialized => "undefined",
        Type::Null => "null",
        Type::Bool => "boolean",
        Type::Int | Type::Float => "number",
        Type::String => "string",
        Type::Symbol => "symbol",
        Type::BigInt => "bigint",
        Type::Function | Type::Constructor => "function",
        _ => "object",
    }
}

/// Minimal JSON string escaping (the plugin carries no JSON library).
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
