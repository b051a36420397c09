//! The native functions each realm gets, every one bound to its realm's id.
//!
//! They are installed on the realm's global object under `__tntc*` names; the prelude
//! (`shims/js/host.js`) captures them into its closure and deletes the globals, so node code
//! never reaches them by name. Each closure carries the id of the realm it was made for and
//! passes it to the host, which refuses calls from any realm but the one it is invoking.

use rquickjs::{ArrayBuffer, Ctx, Exception, Function, Object, Result, TypedArray, Value};

use crate::bridge;

/// Installs the natives of realm `realm` on `ctx`'s global object.
pub fn install<'js>(ctx: &Ctx<'js>, realm: u32) -> Result<()> {
    let g = ctx.globals();
    g.set(
        "__tntcLog",
        Function::new(ctx.clone(), move |level: u32, message: String| {
            bridge::log(realm, level, &message)
        })?,
    )?;
    g.set(
        "__tntcStart",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, op: u32, meta: Value<'js>, body: Value<'js>| -> Result<u32> {
                if crate::loading() {
                    return Err(Exception::throw_message(
                        &ctx,
                        "a timer or request was started while the module loads (at its top level); \
                         nothing may be pending when the node's snapshot is taken: start it inside run()",
                    ));
                }
                let meta = bytes_of(&ctx, &meta)?;
                let body = bytes_of(&ctx, &body)?;
                Ok(bridge::start(realm, op, &meta, &body))
            },
        )?,
    )?;
    g.set(
        "__tntcCancel",
        Function::new(ctx.clone(), move |handle: u32| {
            bridge::cancel(realm, handle)
        })?,
    )?;
    g.set(
        "__tntcCall",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, service: u32, request: Value<'js>| -> Result<Value<'js>> {
                let request = bytes_of(&ctx, &request)?;
                match bridge::call(realm, service, &request) {
                    Ok(answer) => Ok(ArrayBuffer::new(ctx, answer)?.into_value()),
                    Err(error) => {
                        let text = String::from_utf8_lossy(&error).into_owned();
                        Err(Exception::throw_message(&ctx, &text))
                    }
                }
            },
        )?,
    )?;
    g.set(
        "__tntcRandomBytes",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, n: usize| {
            TypedArray::<u8>::new(ctx, bridge::random_bytes(n.min(65536)))
        })?,
    )?;
    g.set(
        "__tntcUtf8Encode",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, s: rquickjs::String<'js>| {
            let text = s.to_string().unwrap_or_else(|_| lossy(&s));
            TypedArray::<u8>::new(ctx, text.into_bytes())
        })?,
    )?;
    g.set(
        "__tntcUtf8Decode",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, bytes: Value<'js>, fatal: bool, ignore_bom: bool| -> Result<String> {
                let bytes = bytes_of(&ctx, &bytes)?;
                let mut view = bytes.as_slice();
                if !ignore_bom && let [0xEF, 0xBB, 0xBF, rest @ ..] = view {
                    view = rest;
                }
                if fatal {
                    std::str::from_utf8(view).map(str::to_string).map_err(|_| {
                        Exception::throw_type(&ctx, "The encoded data was not valid utf-8")
                    })
                } else {
                    Ok(String::from_utf8_lossy(view).into_owned())
                }
            },
        )?,
    )?;
    // QuickJS's own generator state would be frozen into the snapshot and shared by every
    // instance; fastrand is reseeded from the host's CSPRNG on every invocation.
    let math: Object = g.get("Math")?;
    math.set("random", Function::new(ctx.clone(), fastrand::f64)?)?;
    Ok(())
}

/// The bytes of a `Uint8Array`, `ArrayBuffer` or string (UTF-8); nothing for `null`/`undefined`.
fn bytes_of<'js>(ctx: &Ctx<'js>, v: &Value<'js>) -> Result<Vec<u8>> {
    if v.is_undefined() || v.is_null() {
        return Ok(Vec::new());
    }
    if let Some(s) = v.as_string() {
        return Ok(s.to_string().unwrap_or_else(|_| lossy(s)).into_bytes());
    }
    if let Some(obj) = v.as_object() {
        if let Some(ab) = obj.as_array_buffer() {
            return Ok(ab.as_bytes().unwrap_or_default().to_vec());
        }
        if let Ok(ta) = TypedArray::<u8>::from_object(obj.clone()) {
            return Ok(ta.as_bytes().unwrap_or_default().to_vec());
        }
    }
    Err(Exception::throw_type(
        ctx,
        "expected a string, an ArrayBuffer or a Uint8Array",
    ))
}

/// A string with lone surrogates, as UTF-8 with replacement characters.
fn lossy(s: &rquickjs::String<'_>) -> String {
    s.to_string().unwrap_or_else(|_| "\u{FFFD}".to_string())
}
