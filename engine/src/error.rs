//! The crate's one error type.

use std::path::PathBuf;

use crate::spec::{NodeId, SpecErrors};

/// Everything that can go wrong in this crate.
///
/// Each variant carries what a person needs to find the problem: the file (and line and column
/// where there is one) or the node. Invalid `workflow.yaml` files are reported as
/// [`SpecErrors`], which hold *every* problem found, not just the first.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The workflow spec is invalid. The source lists every error (and warning) found.
    #[error("{}: invalid workflow spec ({})", errors.file.display(), count(errors.errors.len(), "error"))]
    Spec {
        /// All the problems found.
        #[from]
        errors: SpecErrors,
    },

    /// A file or directory could not be read.
    #[error("cannot {action} {}", path.display())]
    Io {
        /// What was being done, e.g. "read" or "list".
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// An explicitly given secrets path does not exist.
    #[error("secrets path {} does not exist", path.display())]
    SecretsPathMissing {
        /// The path that was given.
        path: PathBuf,
    },

    /// A secrets file is not valid YAML or does not have the expected shape.
    ///
    /// The message never contains a secret value.
    #[error("{}:{line}:{column}: {message}", path.display())]
    SecretsFile {
        /// The secrets file.
        path: PathBuf,
        /// 1-based line (0 when the problem is the whole file).
        line: usize,
        /// 1-based column (0 when the problem is the whole file).
        column: usize,
        /// What is wrong and how to fix it.
        message: String,
    },

    /// A fixture file is not valid JSON.
    #[error("{}:{line}:{column}: fixture is not valid JSON", path.display())]
    FixtureSyntax {
        /// The fixture file.
        path: PathBuf,
        /// 1-based line of the syntax error.
        line: usize,
        /// 1-based column of the syntax error.
        column: usize,
        /// The JSON parser's error.
        #[source]
        source: serde_json::Error,
    },

    /// A fixture file is JSON but not a valid fixture.
    #[error("{}: {message}", path.display())]
    FixtureInvalid {
        /// The fixture file.
        path: PathBuf,
        /// What is wrong and how to fix it.
        message: String,
    },

    /// The workflow's edges form a cycle.
    #[error("cycle detected: {}", crate::dag::format_cycle(cycle))]
    Cycle {
        /// The nodes of the cycle, the first repeated at the end (`a → b → a`).
        cycle: Vec<NodeId>,
    },

    /// An edge names a node that the workflow does not define.
    #[error("edge {from} → {to} names node \"{node}\", which is not defined in nodes")]
    UnknownNode {
        /// The undefined node.
        node: NodeId,
        /// The edge's `from`.
        from: NodeId,
        /// The edge's `to`.
        to: NodeId,
    },

    /// A node's input was asked for before one of its parents produced an output.
    #[error("node \"{node}\" cannot start: its parent \"{parent}\" has no output")]
    MissingParentOutput {
        /// The node whose input was asked for.
        node: NodeId,
        /// The parent without an output.
        parent: NodeId,
    },
}

/// `1 error`, `2 errors`.
pub(crate) fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}
