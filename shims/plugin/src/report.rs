//! Error descriptions the plugin hands the host: JSON objects `{kind, name, message, stack}`
//! (the host's `sandbox` crate parses them into its typed errors).

use rquickjs::{Ctx, Value};

/// Turns a QuickJS error (usually a pending exception) into a description.
pub fn describe(ctx: &Ctx<'_>, error: rquickjs::Error) -> String {
    let (name, message, stack) = match error {
        rquickjs::Error::Exception => {
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
    object("js", &name, &message, &stack)
}

/// A failure of the plugin itself.
pub fn internal(message: &str) -> String {
    object("internal", "InternalError", message, "")
}

/// The node's promise can never settle.
pub fn never_settled() -> String {
    object(
        "never-settled",
        "Error",
        "the node's promise never settled: it awaits something that can never happen (no pending timers or requests)",
        "",
    )
}

/// A job of another realm ran during this realm's invocation.
pub fn foreign_job() -> String {
    object(
        "foreign-job",
        "InternalError",
        "a job of another node's realm ran during this node's invocation; the invocation was stopped",
        "",
    )
}

/// The module's top-level evaluation did not finish at load.
pub fn top_level_await() -> String {
    object(
        "pending-at-load",
        "Error",
        "the module's top level awaits something that does not finish while the node loads; nothing may be pending when the node's snapshot is taken: move the await into run()",
        "",
    )
}

/// Timers or operations left pending by the module's top level.
pub fn pending_at_load(count: u32) -> String {
    object(
        "pending-at-load",
        "Error",
        &format!(
            "the module's top level leaves {count} timer(s) or request(s) pending; nothing may be pending when the node's snapshot is taken: start them inside run()"
        ),
        "",
    )
}

/// The entry has no usable default export.
pub fn no_default_export(found: &str) -> String {
    let found = match found {
        "undefined" => "it has no default export".to_string(),
        kind => format!("its default export is a {kind}"),
    };
    object(
        "no-default-export",
        "TypeError",
        &format!("must export a default async function run(ctx, input), but {found}"),
        "",
    )
}

/// The JS `typeof` word for a value (QuickJS's own type names say `int`, `float`, …).
pub fn typeof_name(v: &Value<'_>) -> &'static str {
    use rquickjs::Type;
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

fn object(kind: &str, name: &str, message: &str, stack: &str) -> String {
    format!(
        "{{\"kind\":{},\"name\":{},\"message\":{},\"stack\":{}}}",
        json_string(kind),
        json_string(name),
        json_string(message),
        json_string(stack)
    )
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
