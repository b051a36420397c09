//! The command line: global options and the command table.

use clap::{Parser, Subcommand};

use crate::commands;
use crate::output::{Format, Output};

/// Tentacular: sandboxed workflows of TypeScript nodes, from laptop to Kubernetes.
#[derive(Debug, Parser)]
#[command(name = "tntc", version, propagate_version = true, max_term_width = 100)]
#[command(
    after_help = "Exit codes: 0 success, 1 failure, 2 usage error.\nColour is used on terminals only, never with NO_COLOR set."
)]
pub struct Cli {
    /// Output format: text for people, json for programs (stable shapes).
    #[arg(short = 'o', long = "output", global = true, value_enum, default_value_t = Format::Text)]
    pub output: Format,

    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
//
// Registration points: a command is `commands/<verb>.rs` holding a clap `Args` struct with
// `run(self, &Output) -> anyhow::Result<()>`, plus a variant here and an arm in `Cli::run`.
// Commands are absent until they work: no placeholders.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new workflow directory that validates and tests out of the box.
    Init(commands::init::Init),
    /// Check a workflow: every error at once, with file, line and column.
    Validate(commands::validate::Validate),
    /// Draw a workflow's DAG as Mermaid or Graphviz.
    Visualize(commands::visualize::Visualize),
    /// Check or create a workflow's local secrets.
    #[command(subcommand)]
    Secrets(commands::secrets::SecretsCmd),
    /// Run a workflow's fixtures (or its whole pipeline) in the sandbox, offline.
    Test(commands::test::Test),
    /// Serve a workflow locally with hot reload and cron (the engine, in process).
    Dev(commands::dev::Dev),
    /// Fill the locked dependency cache of a workflow's Deno-mode nodes (needs the registry).
    DenoCache(commands::deno_cache::DenoCache),
    /// Show, prune or clear the cache of compiled workflows (kept under a size cap).
    #[command(subcommand)]
    Cache(commands::cache::CacheCmd),
    /// Build the engine image without Docker (deterministic OCI image; --push, --dest).
    Build(commands::build::Build),
    /// Deploy a workflow to Kubernetes (server-side apply; stale objects are pruned).
    Deploy(commands::deploy::Deploy),
    /// Show whether a deployed workflow is ready (--detail: pods, events, resources).
    Status(commands::status::Status),
    /// List the workflows deployed in a namespace (-A: every namespace).
    List(commands::list::List),
    /// Run a deployed workflow once and print its result.
    Run(commands::run::Run),
    /// Print (or follow) the log of a deployed workflow's engine pod.
    Logs(commands::logs::Logs),
    /// Remove every Kubernetes object of a deployed workflow.
    Undeploy(commands::undeploy::Undeploy),
    /// List the code versions a deployed workflow keeps (newest first, `*` = running).
    Versions(commands::versions::Versions),
    /// Run an earlier code version again, without a rebuild (--to VERSION).
    Rollback(commands::rollback::Rollback),
    /// Compare a deployed workflow's live objects with its contract (exit 1 on drift).
    Audit(commands::audit::Audit),
    /// Check, prepare or describe a cluster: `check [--fix]`, `install`, `profile [--save]`.
    #[command(subcommand)]
    Cluster(commands::cluster::ClusterCmd),
    /// Set defaults and named environments in ~/.tentacular/config.yaml (or the project's).
    Configure(commands::configure::Configure),
    /// Print the version.
    Version(commands::version::Version),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(commands::completions::Completions),
    /// Print the manual page, or write one per command into a directory (--dir).
    Man(commands::completions::Man),
}

impl Cli {
    /// Runs the chosen command.
    pub fn run(self) -> anyhow::Result<()> {
        let out = Output::new(self.output);
        match self.command {
            Command::Init(c) => c.run(&out),
            Command::Validate(c) => c.run(&out),
            Command::Visualize(c) => c.run(&out),
            Command::Secrets(c) => c.run(&out),
            Command::Test(c) => c.run(&out),
            Command::Dev(c) => c.run(&out),
            Command::DenoCache(c) => c.run(&out),
            Command::Cache(c) => c.run(&out),
            Command::Build(c) => c.run(&out),
            Command::Deploy(c) => c.run(&out),
            Command::Status(c) => c.run(&out),
            Command::List(c) => c.run(&out),
            Command::Run(c) => c.run(&out),
            Command::Logs(c) => c.run(&out),
            Command::Undeploy(c) => c.run(&out),
            Command::Versions(c) => c.run(&out),
            Command::Rollback(c) => c.run(&out),
            Command::Audit(c) => c.run(&out),
            Command::Cluster(c) => c.run(&out),
            Command::Configure(c) => c.run(&out),
            Command::Version(c) => c.run(&out),
            Command::Completions(c) => c.run(&out),
            Command::Man(c) => c.run(&out),
        }
    }
}

/// Whether raw arguments ask for `-o json` (for errors found before they parse):
/// `-o json`, `-ojson`, `-o=json`, `--output json`, `--output=json`.
pub fn json_requested(args: impl IntoIterator<Item = std::ffi::OsString>) -> bool {
    let args: Vec<String> = args
        .into_iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    args.iter().enumerate().any(|(i, a)| {
        let next_is_json = || args.get(i + 1).is_some_and(|n| n == "json");
        match a.as_str() {
            "-o" | "--output" => next_is_json(),
            "-ojson" | "-o=json" | "--output=json" => true,
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::json_requested;

    #[test]
    fn json_is_found_in_every_spelling() {
        for args in [
            &["tntc", "-o", "json", "x"][..],
            &["tntc", "x", "--output=json"],
            &["tntc", "-ojson"],
            &["tntc", "--output", "json"],
        ] {
            assert!(json_requested(args.iter().map(Into::into)), "{args:?}");
        }
        for args in [
            &["tntc", "-o", "text"][..],
            &["tntc", "json"],
            &["tntc", "-o"],
        ] {
            assert!(!json_requested(args.iter().map(Into::into)), "{args:?}");
        }
    }
}
