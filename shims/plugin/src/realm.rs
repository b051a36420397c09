//! One realm per node: its own QuickJS context (global object, intrinsics, prelude instance)
//! inside the workflow snapshot.
//!
//! Nothing one node's top level does is visible to another: the contexts share no objects,
//! each evaluates its own copy of the prelude and of every module it imports, and each
//! realm's natives carry its own id to the host. An invocation calls only into its node's
//! realm; a job that ran in any other realm (which cannot happen when the snapshot was taken
//! with nothing pending) aborts the invocation.

use rquickjs::{Context, Ctx, Function, Module, Object, Persistent, Runtime, Value, qjs};
use crate::tentacular_abi::OpStatus;

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
        entry: &Entry,
    ) -> Result<Realm, String> {
        let context = Context::full(runtime).map_err(|e| report::internal(&e.to_string()))?;
        let loaded = context.with(|ctx| -> Result<_, String> {
            crate::natives::install(&ctx, id).map_err(|e| report::describe(&ctx, e))?;
            let prelude: Object = ctx
                .eval(input.prelude.as_bytes())
                .map_err(|e| report::describe(&ctx, e))?;
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
            let invoke = self.invoke.clone().restore(&ctx).map_err(|e| report::describe(&ctx, e))?;
            let run = self.run.clone().restore(&ctx).map_err(|e| report::describe(&ctx, e))?;
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
    let default: Value = module.get("default").map_err(|e| report::describe(ctx, e))?;
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
