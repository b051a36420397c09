//! The protocol between the host and the Deno child: one JSON object per line, each with a
//! `type`. The channel is a Unix socket private to the child's host script (not its
//! stdin/stdout, which every Worker of the process can read and write: a node could then read
//! another node's inputs or forge its messages). The child's stdout and stderr are only
//! diagnostics, logged by the host.
//!
//! Host → child ([`ToChild`]): `load` a node (once per Worker), `run` it with an input, answer
//! a `fetch`, `stop` a node that overran. Child → host ([`FromChild`]): `ready`, `loaded` /
//! `load-error`, and per run `log`, `fetch` (and `fetch-abort`), then `result` or `error`; `crash` when a Worker
//! died outside a run, `stopped` when a stop is done. Bodies travel base64-encoded.
//!
//! ```text
//! → {"type":"load","node":"q","module":"file:///wf/nodes/q.ts","permissions":{…}}
//! ← {"type":"loaded","node":"q"}
//! → {"type":"run","run":7,"node":"q","ctx":{…},"input":{}}
//! ← {"type":"log","run":7,"level":"info","message":"querying"}
//! ← {"type":"fetch","run":7,"id":1,"request":{"kind":"url","url":"http://…","method":"GET","headers":[],"hasBody":false}}
//! → {"type":"fetch-response","run":7,"id":1,"meta":{"status":200,…},"body":"aGk="}
//! ← {"type":"result","run":7,"output":"{\"rows\":1}"}
//! ```

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A JavaScript error as the child describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct JsError {
    /// `name` (`TypeError`, `NotCapable`, …).
    #[serde(default)]
    pub name: String,
    /// `message`.
    #[serde(default)]
    pub message: String,
    /// `stack`.
    #[serde(default)]
    pub stack: String,
}

/// A guest-visible fetch failure (`NotPermitted`, `NetworkError`, `TypeError`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchFailure {
    /// The error's name.
    pub name: String,
    /// Its message (secrets already replaced by placeholders).
    pub message: String,
}

/// What the host sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ToChild {
    /// Start `node`'s Worker and import its module.
    Load {
        /// The node.
        node: String,
        /// The module's `file://` URL.
        module: String,
        /// The Worker's `deno.permissions`.
        permissions: Value,
    },
    /// Run `node` once.
    Run {
        /// The run's id (unique per child).
        run: u64,
        /// The node.
        node: String,
        /// What the node's `ctx` is made of (`nodeId`, `config`, `dependencies`, `secrets`).
        ctx: Value,
        /// The input.
        input: Value,
    },
    /// The answer to a `fetch`: `meta` + `body`, or `error`.
    FetchResponse {
        /// The run.
        run: u64,
        /// The request's id within the run.
        id: u64,
        /// `{status, statusText, headers, url, redirected}`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        meta: Option<Value>,
        /// The body, base64.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<String>,
        /// Why the request failed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<FetchFailure>,
    },
    /// Terminate `node`'s Worker (it overran); the next run starts a fresh one.
    Stop {
        /// The node.
        node: String,
    },
}

/// What the child sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum FromChild {
    /// The host script is up.
    Ready,
    /// `node`'s module loaded.
    Loaded {
        /// The node.
        node: String,
    },
    /// `node`'s module did not load (syntax error, missing package, no default export).
    LoadError {
        /// The node.
        node: String,
        /// Why.
        error: JsError,
    },
    /// A log line of a run.
    Log {
        /// The run.
        run: u64,
        /// `debug`, `info`, `warn` or `error`.
        level: String,
        /// The text.
        message: String,
    },
    /// A run asks the host to perform a request.
    Fetch {
        /// The run.
        run: u64,
        /// The request's id within the run.
        id: u64,
        /// The description `tentacular_sandbox::outbound::perform` takes.
        request: Value,
        /// The body, base64, when `request.hasBody`.
        #[serde(default)]
        body: Option<String>,
    },
    /// A run no longer wants the answer to request `id` (its `AbortSignal` fired): the host
    /// drops the request it is making.
    FetchAbort {
        /// The run.
        run: u64,
        /// The request's id within the run.
        id: u64,
    },
    /// A run's output, as JSON text.
    Result {
        /// The run.
        run: u64,
        /// The output.
        output: String,
    },
    /// A run failed.
    Error {
        /// The run.
        run: u64,
        /// Why (`kind: "not-serializable"` in `name` for outputs JSON cannot hold).
        error: JsError,
    },
    /// `node`'s Worker died outside of the host's control (an uncaught error).
    Crash {
        /// The node.
        node: String,
        /// Why.
        error: JsError,
    },
    /// `node`'s Worker was terminated as asked.
    Stopped {
        /// The node.
        node: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_have_the_documented_shape() {
        let run = ToChild::Run {
            run: 7,
            node: "q".into(),
            ctx: json!({}),
            input: json!({}),
        };
        assert_eq!(
            serde_json::to_value(&run).unwrap(),
            json!({"type": "run", "run": 7, "node": "q", "ctx": {}, "input": {}})
        );
        let fetch: FromChild = serde_json::from_value(json!({
            "type": "fetch", "run": 7, "id": 1,
            "request": {"kind": "url", "url": "http://x/", "method": "GET", "headers": [], "hasBody": false}
        }))
        .unwrap();
        assert!(matches!(
            fetch,
            FromChild::Fetch {
                run: 7,
                id: 1,
                body: None,
                ..
            }
        ));
        let err: FromChild = serde_json::from_value(json!({"type": "load-error", "node": "q", "error": {"name": "SyntaxError", "message": "x"}})).unwrap();
        assert!(matches!(err, FromChild::LoadError { .. }));
    }
}
