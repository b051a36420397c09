//! The JS prelude, assembled from `shims/js/` at compile time.

/// The prelude files in evaluation order (see `shims/js/README.md`).
const PARTS: &[&str] = &[
    include_str!("../../shims/js/host.js"),
    include_str!("../../shims/js/dom_exception.js"),
    include_str!("../../shims/js/events.js"),
    include_str!("../../shims/js/timers.js"),
    include_str!("../../shims/js/abort.js"),
    include_str!("../../shims/js/encoding.js"),
    include_str!("../../shims/js/url.js"),
    include_str!("../../shims/js/headers.js"),
    include_str!("../../shims/js/blob.js"),
    include_str!("../../shims/js/streams.js"),
    include_str!("../../shims/js/response.js"),
    include_str!("../../shims/js/fetch.js"),
    include_str!("../../shims/js/crypto.js"),
    include_str!("../../shims/js/clone.js"),
    include_str!("../../shims/js/console.js"),
    include_str!("../../shims/js/intl.js"),
    include_str!("../../shims/js/deno.js"),
    include_str!("../../shims/js/ctx.js"),
];

/// The prelude as one script whose value is the object the plugin calls into: `invoke(run,
/// payload)`, `complete(handle, status, meta, body)` and `pending()`. It is evaluated once in
/// every node's realm.
pub(crate) fn source() -> String {
    let mut s = String::from("(function () {\n\"use strict\";\n");
    for part in PARTS {
        s.push_str(part);
        s.push('\n');
    }
    s.push_str("return { invoke, complete: __complete, pending: () => __ops.size };\n})()\n");
    s
}
