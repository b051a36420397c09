//! Errors of Deno compatibility mode.

use std::path::PathBuf;

/// What can go wrong finding Deno, filling its cache or running its child.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DenoError {
    /// No Deno binary was found anywhere it is looked for.
    #[error(
        "Deno was not found (looked at --deno, $TENTACULAR_DENO, PATH and {}); install the pinned Deno with `tools/deno/install.sh` (npm package @deno/linux-x64-glibc) and pass its path with --deno or $TENTACULAR_DENO",
        project_local.display()
    )]
    NotFound {
        /// Where the project-local install was looked for.
        project_local: PathBuf,
    },
    /// A Deno path was given (`--deno` or `$TENTACULAR_DENO`) but is not an executable file.
    #[error("{} (from {from}) is not an executable Deno binary; fix the path or install Deno with `tools/deno/install.sh`", path.display())]
    NotExecutable {
        /// The path given.
        path: PathBuf,
        /// Where it came from (`--deno`, `$TENTACULAR_DENO`).
        from: &'static str,
    },
    /// A file or directory could not be read, written or created.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// `workflow.yaml` could not be loaded.
    #[error("{0}")]
    Workflow(String),
    /// Deno could not be started.
    #[error("cannot start {}: {source}", deno.display())]
    Spawn {
        /// The binary.
        deno: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// `deno cache` failed (a package that does not exist, a lock mismatch, no registry).
    #[error("filling the Deno cache failed (deno exited with {status}):\n{stderr}")]
    Cache {
        /// The exit status.
        status: String,
        /// What Deno said.
        stderr: String,
    },
    /// The child did not come up or broke the protocol.
    #[error("the Deno child failed: {message}")]
    Child {
        /// What happened.
        message: String,
    },
}

impl DenoError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> DenoError {
        let path = path.into();
        move |source| DenoError::Io { path, source }
    }
}
