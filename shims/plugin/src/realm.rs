//! One realm per node: its own QuickJS context (global object, intrinsics, prelude instance)
//! inside the workflow snapshot.
//!
//! Nothing one node's top level does is visible to another: the contexts share no objects,
//! each evaluates its own copy of the prelude and of every module it imports, and each
//! realm's natives carry its own id to the host. An invocation calls only into its node's
//! realm; a job that ran in any other realm (which cannot happen when the snapshot was taken
//! with nothing pending) aborts the invocation.

use crate::tentacular_abi::OpStatus;
use rquickjs::{Context, Ctx, Function, Module, Object, Persistent, Runtime, Value, qjs};

use crate::bridge;
use crate::payload::{Entry, SnapshotInput};
use crate::report;

/// A loaded node: its context and the functions an invocation needs.
pub struct Realm {
    id: u32,
    context: Context,
    /// The prelude's `invoke(run, payload)`.
    invoke: Persistent<Function<'static>>,
    /// The prelude's `complete(handle, status, meta, body)`, which settles an operation.
    complete: Persistent<Function<'static>>,
    /// The node's default export.
    run: Persistent<Function<'static>>,
}

impl Realm {
    /// Creates realm `id` for `entry`: a fresh context, its natives, the prelude, and the
    /// node's modules evaluated with every job they queued run. Errors are JSON descriptions.
    pub fn load(
        runtime: &Runtime,
        id: u32,
        input: &SnapshotInput,
        prelude: &[u8],
        entry: &Entry,
    ) -> Result<Realm, String> {
        let context = Context::full(runtime).map_err(|e| report::internal(&e.to_string()))?;
        let loaded = context.with(|ctx| -> Result<_, String> {
            crate::natives::install(&ctx, id).map_err(|e| report::describe(&ctx, e))?;
            let prelude: Object = eval_bytecode(&ctx, prelude)?;
            let get = |name: &str| -> Result<Function, String> {
                prelude.get(name).map_err(|e| report::describe(&ctx, e))
            };
            let invoke = get("invoke")?;
            let complete = get("complete")?;
            let pending: Function = get("pending")?;
            let run = evaluate(&ctx, input, entry)?;
            drain(&ctx, id)?;
            let left: u32 = pending.call(()).map_err(|e| report::describe(&ctx, e))?;
            if left > 0 {
                return Err(report::pending_at_load(left));
            }
            Ok((
                Persistent::save(&ctx, invoke),
                Persistent::save(&ctx, complete),
                Persistent::save(&ctx, run),
            ))
        })?;
        let (invoke, complete, run) = loaded;
        Ok(Realm {
            id,
            context,
            invoke,
            complete,
            run,
        })
    }

    /// One invocation: calls `run` through the prelude, then drives this realm's jobs and
    /// the host's completions until the result settles. `Ok` is the prelude's framed answer
    /// (`"O<output json>"` or `"E<error json>"`, returned as is so that the output is not
    /// copied again); `Err` is an error description of the plugin's own.
    pub fn invoke(&self, payload: &str) -> Result<String, String> {
        self.context.with(|ctx| {
            let invoke = self
                .invoke
                .clone()
                .restore(&ctx)
                .map_err(|e| report::describe(&ctx, e))?;
            let run = self
                .run
                .clone()
                .restore(&ctx)
                .map_err(|e| report::describe(&ctx, e))?;
            let complete = self
                .complete
                .clone()
                .restore(&ctx)
                .map_err(|e| report::describe(&ctx, e))?;
            let value: Value = invoke
                .call((run, payload))
                .map_err(|e| report::describe(&ctx, e))?;
            let promise = value
                .into_promise()
                .ok_or_else(|| report::internal("the prelude's invoke returned no promise"))?;
            loop {
                drain(&ctx, self.id)?;
                if let Some(result) = promise.result::<String>() {
                    return result.map_err(|e| report::describe(&ctx, e));
                }
                let Some((done, meta, body)) = bridge::wait(self.id) else {
                    return Err(report::never_settled());
                };
                let meta = String::from_utf8_lossy(&meta).into_owned();
                let body = if done.status == OpStatus::Ok as u32 {
                    rquickjs::ArrayBuffer::new(ctx.clone(), body)
                        .map_err(|e| report::describe(&ctx, e))?
                        .into_value()
                } else {
                    Value::new_undefined(ctx.clone())
                };
                complete
                    .call::<_, ()>((done.handle, done.status, meta, body))
                    .map_err(|e| report::describe(&ctx, e))?;
            }
        })
    }
}

/// Compiles the prelude once, to bytecode **without function sources**: QuickJS keeps every
/// function's source text (for `Function.prototype.toString`), nested — the wrapper holds the
/// whole prelude, each class and method its own part — and every realm would carry all of
/// it, growing the snapshot image that each fresh instance starts from. Line numbers stay.
pub fn compile_prelude(runtime: &Runtime, source: &str) -> Result<Vec<u8>, String> {
    let context = Context::full(runtime).map_err(|e| report::internal(&e.to_string()))?;
    context.with(|ctx| {
        let raw = ctx.as_raw().as_ptr();
        // QuickJS wants the source NUL-terminated.
        let mut text = source.as_bytes().to_vec();
        text.push(0);
        let flags = (qjs::JS_EVAL_TYPE_GLOBAL | qjs::JS_EVAL_FLAG_COMPILE_ONLY) as i32;
        let compiled = unsafe {
            let v = qjs::JS_Eval(
                raw,
                text.as_ptr().cast(),
                source.len() as _,
                c"prelude.js".as_ptr(),
                flags,
            );
            Value::from_raw(ctx.clone(), v)
        };
        if compiled.is_exception() {
            return Err(report::describe(&ctx, rquickjs::Error::Exception));
        }
        let mut size: qjs::size_t = 0;
        let flags = (qjs::JS_WRITE_OBJ_BYTECODE | qjs::JS_WRITE_OBJ_STRIP_SOURCE) as i32;
        unsafe {
            let buf = qjs::JS_WriteObject(raw, &mut size, compiled.as_raw(), flags);
            if buf.is_null() {
                return Err(report::describe(&ctx, rquickjs::Error::Exception));
            }
            let bytes = std::slice::from_raw_parts(buf, size as usize).to_vec();
            qjs::js_free(raw, buf.cast());
            Ok(bytes)
        }
    })
}

/// Evaluates bytecode from [`compile_prelude`] in `ctx`; returns the script's value.
fn eval_bytecode<'js, T: rquickjs::FromJs<'js>>(ctx: &Ctx<'js>, bytes: &[u8]) -> Result<T, String> {
    let raw = ctx.as_raw().as_ptr();
    let value = unsafe {
        let f = qjs::JS_ReadObject(
            raw,
            bytes.as_ptr(),
            bytes.len() as _,
            qjs::JS_READ_OBJ_BYTECODE as i32,
        );
        if qjs::JS_IsException(f) {
            return Err(report::describe(ctx, rquickjs::Error::Exception));
        }
        // JS_EvalFunction takes ownership of the function.
        Value::from_raw(ctx.clone(), qjs::JS_EvalFunction(raw, f))
    };
    if value.is_exception() {
        return Err(report::describe(ctx, rquickjs::Error::Exception));
    }
    T::from_js(ctx, value).map_err(|e| report::describe(ctx, e))
}

/// Declares the entry's imports and the entry module in this realm, evaluates them, and
/// returns the default export.
fn evaluate<'js>(
    ctx: &Ctx<'js>,
    input: &SnapshotInput,
    entry: &Entry,
) -> Result<Function<'js>, String> {
    let Some((&entry_index, deps)) = entry.modules.split_last() else {
        return Err(report::internal(&format!(
            "entry module {} missing from the payload",
            entry.name
        )));
    };
    for &index in deps {
        let (name, source) = &input.modules[index];
        Module::declare(ctx.clone(), name.as_str(), source.as_bytes())
            .map_err(|e| report::describe(ctx, e))?;
    }
    let (_, source) = &input.modules[entry_index];
    let module = Module::declare(ctx.clone(), entry.name.as_str(), source.as_bytes())
        .map_err(|e| report::describe(ctx, e))?;
    let (module, promise) = module.eval().map_err(|e| report::describe(ctx, e))?;
    drain(ctx, u32::MAX)?;
    match promise.result::<Value>() {
        Some(Ok(_)) => {}
        Some(Err(e)) => return Err(report::describe(ctx, e)),
        None => return Err(report::top_level_await()),
    }
    let default: Value = module
        .get("default")
        .map_err(|e| report::describe(ctx, e))?;
    match default.as_function() {
        Some(run) => Ok(run.clone()),
        None => Err(report::no_default_export(report::typeof_name(&default))),
    }
}

/// Runs every pending job. During an invocation (`realm` is the invoked realm) a job that ran
/// in another context is refused; at load (`u32::MAX`) every job belongs to the realm being
/// loaded, since the others were left with nothing pending.
fn drain(ctx: &Ctx<'_>, realm: u32) -> Result<(), String> {
    let rt = unsafe { qjs::JS_GetRuntime(ctx.as_raw().as_ptr()) };
    loop {
        let mut ran_in: *mut qjs::JSContext = std::ptr::null_mut();
        let status = unsafe { qjs::JS_ExecutePendingJob(rt, &mut ran_in) };
        if status == 0 {
            return Ok(());
        }
        if realm != u32::MAX && !ran_in.is_null() && ran_in != ctx.as_raw().as_ptr() {
            return Err(report::foreign_job());
        }
        if status < 0 {
            // A job threw outside any promise (promise reactions catch their own errors).
            return Err(report::describe(ctx, rquickjs::Error::Exception));
        }
    }
}
