//! `tentacular-engine run`: one run of a workflow, no server. The ExecutionResult goes to
//! stdout as JSON; exit 0 when the run succeeded, 1 when it failed or could not start.
//! For containers without a network and for scripts (`tntc run --input`'s counterpart).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use serde_json::Value;
use tentacular_engine::server::Loader;
use tentacular_sandbox::fetch::net::NetTransport;
use tentacular_sandbox::{CacheLoad, Sandbox, SandboxConfig};

use crate::LogFormat;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The workflow: a directory holding workflow.yaml, or the spec file itself.
    #[arg(long, value_name = "PATH")]
    workflow: PathBuf,
    /// The root nodes' input: JSON text, or @FILE to read it from a file (@- for stdin).
    #[arg(long, default_value = "{}", value_name = "JSON|@FILE")]
    input: String,
    /// Read secrets only from this YAML file or directory (instead of the workflow's
    /// .secrets/ and .secrets.yaml). /app/secrets, when it exists, is merged on top.
    #[arg(long, value_name = "PATH")]
    secrets: Option<PathBuf>,
    /// The log format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Json)]
    log_format: LogFormat,
}

/// The input value of `--input`: inline JSON, or the JSON in a file (`@path`, `@-` stdin).
fn read_input(arg: &str) -> Result<Value, String> {
    let (text, origin) = match arg.strip_prefix('@') {
        Some("-") => {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                .map_err(|e| format!("cannot read --input from stdin: {e}"))?;
            (s, "stdin".to_string())
        }
        Some(path) => (
            std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read --input file {path}: {e}"))?,
            path.to_string(),
        ),
        None => (arg.to_string(), "--input".to_string()),
    };
    serde_json::from_str(&text).map_err(|e| format!("{origin} is not valid JSON: {e}"))
}

pub fn run(args: RunArgs) -> ExitCode {
    let input = match read_input(&args.input) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("tentacular-engine run: {e}");
            return ExitCode::from(2);
        }
    };
    crate::init_logs(args.log_format);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return crate::startup_failed(&format!("cannot start the runtime: {e}")),
    };
    rt.block_on(run_once(args, input))
}

async fn run_once(args: RunArgs, input: Value) -> ExitCode {
    // One run and exit: map the cached snapshot instead of reading it (the quicker start).
    let config = SandboxConfig {
        cache_load: CacheLoad::Map,
        ..SandboxConfig::default()
    };
    let sandbox = match Sandbox::new(config) {
        Ok(s) => s,
        Err(e) => return crate::startup_failed(&format!("the sandbox cannot be set up: {e}")),
    };
    let transport = match NetTransport::new() {
        Ok(t) => t,
        Err(e) => {
            return crate::startup_failed(&format!("the network transport cannot be set up: {e}"));
        }
    };
    let loader = Loader::new(sandbox, args.workflow, Arc::new(transport)).secrets(args.secrets);
    let workload = match loader.load().await {
        Ok(w) => w,
        Err(e) => return crate::startup_failed(&e.lines().join("\n")),
    };
    let report = workload.runner.run(&workload.bindings, input).await;
    match serde_json::to_string_pretty(&report.result) {
        Ok(text) => println!("{text}"),
        Err(e) => {
            eprintln!("tentacular-engine run: the ExecutionResult did not serialise: {e}");
            return ExitCode::FAILURE;
        }
    }
    if report.result.success {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_inline_or_from_a_file() {
        assert_eq!(
            read_input(r#"{"a":1}"#).unwrap(),
            serde_json::json!({"a": 1})
        );
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("in.json");
        std::fs::write(&f, "[1, 2]").unwrap();
        assert_eq!(
            read_input(&format!("@{}", f.display())).unwrap(),
            serde_json::json!([1, 2])
        );
        assert!(
            read_input("{nope")
                .unwrap_err()
                .contains("--input is not valid JSON")
        );
        assert!(
            read_input("@/no/such/file")
                .unwrap_err()
                .contains("cannot read --input file")
        );
    }
}
