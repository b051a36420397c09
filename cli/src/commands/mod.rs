//! One module per command; each holds a clap `Args` struct with `run(self, &Output)`.

pub mod audit;
pub mod build;
pub mod cluster;
pub mod configure;
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

use anyhow::anyhow;
use tentacular_spec::{Diagnostic, LoadedWorkflow, Severity, Workflow, plural};

use crate::output::{Output, paint, style};

/// Loads a workflow. On errors, prints every diagnostic to stderr and fails with a one-line
/// summary (so the details are shown once, by this function).
pub fn load_workflow(dir: &Path, out: &Output) -> anyhow::Result<LoadedWorkflow> {
    match Workflow::load(dir) {
        Ok(w) => Ok(w),
        Err(errors) => {
            // A problem with the file itself (missing, unreadable): one message is enough.
            if let [only] = errors.errors.as_slice()
                && only.line == 0
            {
                return Err(anyhow!("{only}"));
            }
            print_diagnostics(out, errors.errors.iter().chain(&errors.warnings))?;
            Err(anyhow!(
                "{}: workflow spec has {}",
                errors.file.display(),
                plural(errors.errors.len(), "error")
            ))
        }
    }
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
