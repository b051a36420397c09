//! One module per command; each holds a clap `Args` struct with `run(self, &Output)`.

pub mod audit;
pub mod build;
pub mod cache;
pub mod cluster;
pub mod completions;
pub mod configure;
pub mod deno_cache;
pub mod deploy;
pub mod deploy_input;
pub mod dev;
pub mod init;
pub mod kube_flags;
pub mod list;
pub mod logs;
pub mod provenance;
pub mod rollback;
pub mod run;
pub mod secrets;
pub mod status;
pub mod test;
pub mod undeploy;
pub mod validate;
pub mod version;
pub mod versions;
pub mod visualize;

use std::path::Path;

use tentacular_spec::{Diagnostic, LoadedWorkflow, Severity, Workflow, plural};

use crate::output::{Output, paint, style};
use crate::report::{ErrorCode, Failure};

/// Loads a workflow. On errors, prints every diagnostic to stderr (with `-o json`: none; they
/// are in the JSON error) and fails with a one-line summary, a `load` [`Failure`] placed at the
/// first error (so the details are shown once, by this function).
pub fn load_workflow(dir: &Path, out: &Output) -> anyhow::Result<LoadedWorkflow> {
    let errors = match Workflow::load(dir) {
        Ok(w) => return Ok(w),
        Err(errors) => errors,
    };
    let first = &errors.errors[0];
    let mut failure = Failure::new(
        ErrorCode::Load,
        format!(
            "{}: workflow spec has {}",
            errors.file.display(),
            plural(errors.errors.len(), "error")
        ),
    );
    // A problem with the file itself (missing, unreadable): one message is enough.
    if let [only] = errors.errors.as_slice()
        && only.line == 0
    {
        failure.message = format!("{}: {}", only.file.display(), only.message);
        failure.code = if only.code == "read-error" {
            ErrorCode::Io
        } else {
            ErrorCode::Load
        };
    } else if !out.json() {
        print_diagnostics(out, errors.errors.iter().chain(&errors.warnings))?;
    }
    failure.hint = first.hint.clone();
    // A file-level error shows its hint in the error; the printed diagnostics show theirs.
    failure.text_hint = first.line == 0;
    failure.file = Some(first.file.display().to_string());
    (failure.line, failure.column) = match first.line {
        0 => (None, None),
        l => (Some(l), Some(first.column)),
    };
    failure.diagnostics = errors.errors.into_iter().chain(errors.warnings).collect();
    Err(failure.into())
}

/// Prints diagnostics to stderr, a blank line between them, the first line coloured.
pub fn print_diagnostics<'a>(
    out: &Output,
    diags: impl IntoIterator<Item = &'a Diagnostic>,
) -> std::io::Result<()> {
    for d in diags {
        let text = d.to_string();
        let (head, rest) = text.split_once('\n').unwrap_or((&text, ""));
        let s = match d.severity {
            Severity::Error => style::ERROR,
            Severity::Warning => style::WARN,
        };
        let mut shown = paint(s, head);
        if !rest.is_empty() {
            shown.push('\n');
            shown.push_str(rest);
        }
        out.err(format!("{shown}\n"))?;
    }
    Ok(())
}

/// The process's sandbox: one wasmtime engine, snapshots cached on disk (see
/// `SandboxConfig::default` for the cache location), loaded as `cache_load` says: `Map` for
/// commands that run and exit, `Read` for servers.
pub fn sandbox(
    cache_load: tentacular_sandbox::CacheLoad,
) -> anyhow::Result<tentacular_sandbox::Sandbox> {
    Ok(tentacular_sandbox::Sandbox::new(
        tentacular_sandbox::SandboxConfig {
            cache_load,
            ..Default::default()
        },
    )?)
}

/// A tokio runtime for commands that run workflows.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}
