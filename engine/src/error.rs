//! The engine's error for reading things from disk outside the spec: today, the secrets
//! cascade. (Spec, DAG and fixture errors are `tentacular_spec`'s.)

use std::path::PathBuf;

/// What can go wrong reading secrets.
///
/// Each variant carries what a person needs to find the problem: the file, and the line and
/// column where there is one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
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

    /// The mounted service account (token, `ca.crt`) could not be read.
    #[error("cannot read the service account's {}: {message}", path.display())]
    ServiceAccount {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
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
}
