//! Errors: what went wrong loading a node, and what went wrong running it.
//!
//! [`LoadError`] is for the workflow author (file, line, fix). [`NodeError`] is one node
//! invocation's failure, with a distinct kind per cause so that callers (the executor, HTTP
//! status codes, the CLI) can match on it. Host internals never reach the guest.

use std::path::PathBuf;

/// A node could not be loaded into the sandbox.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The TypeScript/JavaScript does not parse.
    #[error("{file}:{line}:{col}: syntax error: {message}")]
    Syntax {
        /// Workflow-relative file name.
        file: String,
        /// 1-based line.
        line: u32,
        /// 1-based column.
        col: u32,
        /// The parser's message.
        message: String,
    },
    /// An import would leave the workflow directory.
    #[error(
        "{file}:{line}: import \"{specifier}\" resolves outside the workflow directory; nodes may only import files inside it"
    )]
    ImportOutsideWorkflow {
        /// The importing file.
        file: String,
        /// 1-based line of the import.
        line: u32,
        /// The specifier as written.
        specifier: String,
    },
    /// A relative import names a file that does not exist.
    #[error(
        "{file}:{line}: import \"{specifier}\" not found (tried the path as written and with .ts/.js/index.ts)"
    )]
    ImportNotFound {
        /// The importing file.
        file: String,
        /// 1-based line of the import.
        line: u32,
        /// The specifier as written.
        specifier: String,
    },
    /// An import (or the node's own path) names a file that is not a source module: a data
    /// file, a dot-file, or anything under the secrets locations.
    #[error("{file}:{line}: \"{specifier}\" cannot be loaded as a module: {reason}")]
    NotASourceModule {
        /// The importing file (the node's file for its own path).
        file: String,
        /// 1-based line of the import (0 for the node's own path).
        line: u32,
        /// The specifier as written.
        specifier: String,
        /// Why not.
        reason: &'static str,
    },
    /// A bare, `npm:`, `jsr:` or remote specifier, which the sandbox does not serve.
    #[error("{file}:{line}: import \"{specifier}\" is not available in the sandbox: {hint}")]
    UnsupportedImport {
        /// The importing file.
        file: String,
        /// 1-based line of the import.
        line: u32,
        /// The specifier as written.
        specifier: String,
        /// What to do instead.
        hint: String,
    },
    /// The module has no default export, or it is not a function.
    #[error("{file}: {message}")]
    NoDefaultExport {
        /// The entry module.
        file: String,
        /// What was found instead.
        message: String,
    },
    /// Evaluating the module threw (a top-level statement failed).
    #[error("{file}: evaluating the module failed: {message}{}", if stack.is_empty() { String::new() } else { format!("\n{stack}") })]
    Evaluation {
        /// The entry module.
        file: String,
        /// The JS error message.
        message: String,
        /// The stack, positions mapped to the original `.ts` files.
        stack: String,
    },
    /// The engine failed to build or compile the snapshot (a bug or a resource problem, not
    /// the node's fault).
    #[error("sandbox engine error while loading {file}: {message}")]
    Engine {
        /// The entry module.
        file: String,
        /// Details.
        message: String,
    },
}

/// Setting up the sandbox failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// The wasmtime engine could not be configured (for example, the pooling allocator could
    /// not reserve its address space).
    #[error("cannot create the wasm engine: {0}")]
    Engine(String),
    /// The cache directory could not be created.
    #[error("cannot use the cache directory {}: {source}", path.display())]
    Cache {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// Why one node invocation failed. Each cause is its own variant.
#[derive(Debug, Clone, PartialEq, thiserror::Error, serde::Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[non_exhaustive]
pub enum NodeError {
    /// The node ran past its deadline and was stopped.
    #[error("timed out after {ms}ms and was stopped")]
    Timeout {
        /// The deadline.
        ms: u64,
    },
    /// The node needed more memory than its limit.
    #[error("ran out of memory (limit {limit} bytes)")]
    OutOfMemory {
        /// The limit in bytes.
        limit: u64,
    },
    /// The node recursed too deeply.
    #[error("stack overflow (recursion too deep)")]
    StackOverflow,
    /// The node's fuel ran out.
    #[error("ran out of fuel ({fuel} units)")]
    OutOfFuel {
        /// The fuel budget.
        fuel: u64,
    },
    /// The wasm code trapped for another reason.
    #[error("trapped: {message}")]
    Trap {
        /// The trap.
        message: String,
    },
    /// The node threw (or rejected).
    #[error("{name}: {message}")]
    JsError {
        /// The error's `name` (e.g. `TypeError`, `NotPermitted`).
        name: String,
        /// The error's message.
        message: String,
        /// The stack, with positions in the original `.ts` files.
        stack: String,
    },
    /// The output cannot be represented as JSON.
    #[error("output is not JSON-serialisable: {message}")]
    NotSerializable {
        /// Why.
        message: String,
    },
    /// The output is larger than allowed.
    #[error("output is {size} bytes, over the {limit}-byte limit")]
    OutputTooLarge {
        /// Size of the output.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The node's promise can never settle (it awaits nothing that can happen).
    #[error("the node's promise never settled (it awaits something that can never happen)")]
    NeverSettled,
    /// No instance became free in time: the engine was at its instance limit for longer than
    /// the run could wait.
    #[error(
        "no sandbox instance became free within {waited_ms} ms (the engine is at its instance limit; admission control should have answered 429 first)"
    )]
    NoInstance {
        /// How long the invocation waited.
        waited_ms: u64,
    },
    /// The sandbox itself failed (not the node's fault).
    #[error("sandbox failure: {message}")]
    Internal {
        /// Details.
        message: String,
    },
}
