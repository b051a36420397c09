//! `tentacular-engine`: serves one workflow over HTTP (the binary inside the pod); with
//! `trigger`, POSTs to a workflow's URL (what CronJobs and `tntc run` pods execute); with
//! `run`, runs a workflow once and prints its ExecutionResult (no server, no network needed).
//!
//! Exit codes: 0 success (serving: after a graceful shutdown); 1 startup failure, failed
//! trigger or failed run; 2 usage error.

mod run;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use tentacular_engine::server::{self, Loader, ServerConfig};
use tentacular_engine::triggers::client;
use tentacular_engine::{capacity, serve};
use tentacular_sandbox::fetch::net::NetTransport;
use tentacular_sandbox::{Sandbox, SandboxConfig};
use tentacular_spec::units::{self, SizeUnits, UnitError, parse_duration_arg};

/// Runs a Tentacular workflow: HTTP /health, /run, /webhook/<provider>, /metrics.
///
/// Every node runs isolated in its own sandbox instance. Logs are JSON lines on stderr
/// (filter with RUST_LOG, e.g. RUST_LOG=debug). SIGTERM or SIGINT stops accepting
/// connections and waits for the runs in flight before exiting 0.
#[derive(Debug, Parser)]
#[command(
    name = "tentacular-engine",
    version,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// POST a JSON body to a workflow URL; exit 0 only on a 2xx answer.
    ///
    /// Retries only requests that started no run: connection failures and 429/502/503/504
    /// answers (waiting Retry-After, else 1s, 2s, 4s… up to 30s). A 500 (the run failed) or a
    /// timeout is not retried. The answer's body is printed on stdout.
    Trigger(TriggerArgs),
    /// Run the workflow once and print its ExecutionResult as JSON on stdout; exit 0 when
    /// the run succeeded, 1 when it failed. Logs go to stderr.
    Run(run::RunArgs),
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// The workflow: a directory holding workflow.yaml, or the spec file itself.
    #[arg(long, value_name = "PATH", required = true)]
    workflow: Option<PathBuf>,
    /// The TCP port to listen on.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// The address to listen on.
    #[arg(long, default_value = "0.0.0.0", value_name = "ADDR")]
    bind: IpAddr,
    /// Read secrets only from this YAML file or directory (instead of the workflow's
    /// .secrets/ and .secrets.yaml). /app/secrets, when it exists, is merged on top.
    #[arg(long, value_name = "PATH")]
    secrets: Option<PathBuf>,
    /// Reload workflow.yaml, node files and secrets when they change; a broken edit keeps
    /// the last good version serving.
    #[arg(long)]
    watch: bool,
    /// Run the workflow's cron triggers inside the engine. Off by default: on a cluster,
    /// CronJobs trigger /run (running both would start every run twice).
    #[arg(long)]
    cron: bool,
    /// Most runs executing at once; beyond it /run and webhooks wait in the admission queue,
    /// then get 429 with Retry-After. By default, derived from the memory budget.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    max_in_flight: Option<u32>,
    /// The memory the engine may use (bytes, or with a unit: MiB, GiB, M, G); the run limit,
    /// the admission queue and the sandbox's instance pool are derived from it. By default,
    /// the cgroup's memory limit (memory.max), else 512MiB.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    memory_budget: Option<usize>,
    /// Longest a request waits for a run slot before it gets 429 (e.g. 2s, 500ms; 0: no
    /// queue).
    #[arg(long, default_value = "2s", value_name = "DURATION", value_parser = parse_duration_arg)]
    queue_wait: Duration,
    /// Largest request body (bytes, or with a unit: KiB, MiB, k, M); larger gets 413.
    #[arg(long, default_value = "10MiB", value_name = "SIZE", value_parser = parse_size)]
    max_body: usize,
    /// The log format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Json)]
    log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    /// One JSON object per line.
    Json,
    /// Human-readable lines.
    Text,
}

#[derive(Debug, Args)]
struct TriggerArgs {
    /// The URL to POST to, e.g. http://my-workflow.my-ns.svc:8080/run.
    url: String,
    /// The JSON body to send.
    #[arg(long, default_value = "{}", value_name = "JSON")]
    body: String,
    /// Time allowed for each attempt (e.g. 120s, 5m).
    #[arg(long, default_value = "120s", value_parser = parse_duration_arg)]
    timeout: Duration,
    /// Further attempts after the first, for requests that started no run.
    #[arg(long, default_value_t = 5, value_name = "N")]
    retries: u32,
}

fn parse_size(s: &str) -> Result<usize, String> {
    match units::parse_size(s, SizeUnits::Flag) {
        Ok(0) => Err("the size must be at least 1 byte".into()),
        Ok(b) => usize::try_from(b).map_err(|_| format!("\"{s}\" is too large")),
        Err(UnitError::NotANumber) => Err(format!(
            "\"{s}\" is not a size: write e.g. 10MiB or 1048576"
        )),
        Err(UnitError::UnknownUnit(other)) => Err(format!(
            "unknown unit \"{other}\": use KiB, MiB, GiB, k, M or G"
        )),
        Err(UnitError::TooLarge) => Err(format!("\"{s}\" is too large")),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Trigger(args)) => trigger(args),
        Some(Command::Run(args)) => run::run(args),
        None => serve(cli.serve),
    }
}

fn trigger(args: TriggerArgs) -> ExitCode {
    if let Err(e) = serde_json::from_str::<serde_json::Value>(&args.body) {
        eprintln!("tentacular-engine trigger: --body is not valid JSON: {e}");
        return ExitCode::from(2);
    }
    let req = client::TriggerRequest {
        url: args.url,
        body: args.body,
        timeout: args.timeout,
        retries: args.retries,
        ..client::TriggerRequest::new("")
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tentacular-engine trigger: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(client::post(&req, |attempt, reason, wait| {
        eprintln!(
            "tentacular-engine trigger: attempt {attempt}: {reason}; retrying in {}",
            humantime::format_duration(wait)
        );
    }));
    // Progress and errors go to stderr first, the answer's body to stdout last, on one line:
    // whoever reads the container's log (`tntc run` via a pod) finds it as the last line.
    match result {
        Ok(res) => {
            println!("{}", one_line(&res.body));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tentacular-engine trigger: {e}");
            if let client::TriggerError::Status { body, .. } = &e {
                println!("{}", one_line(body));
            }
            ExitCode::FAILURE
        }
    }
}

/// A JSON body re-serialised on one line; any other text as it is, trailing space removed.
fn one_line(body: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(v) => v.to_string(),
        Err(_) => body.trim_end().to_string(),
    }
}

fn init_logs(format: LogFormat) {
    server::init_logging(match format {
        LogFormat::Json => server::LogFormat::Json,
        LogFormat::Text => server::LogFormat::Text,
    });
}

fn serve(args: ServeArgs) -> ExitCode {
    init_logs(args.log_format);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return startup_failed(&format!("cannot start the runtime: {e}")),
    };
    rt.block_on(serve_async(args))
}

fn startup_failed(message: &str) -> ExitCode {
    tracing::error!(
        "engine failed to start: {}",
        message.lines().next().unwrap_or("")
    );
    eprintln!("tentacular-engine: engine failed to start:\n{message}");
    ExitCode::FAILURE
}

async fn serve_async(args: ServeArgs) -> ExitCode {
    let Some(workflow) = args.workflow else {
        return startup_failed("--workflow is required");
    };
    let open_files = capacity::raise_open_files_limit();
    let budget = capacity::Budget::resolve(args.memory_budget.map(|b| b as u64));
    let cap = match args.max_in_flight {
        Some(n) => capacity::Capacity::fixed(n as usize),
        None => capacity::Capacity::from_budget(budget.bytes, open_files),
    };
    if cap.below_minimum {
        tracing::warn!(
            memory_budget = budget.bytes,
            source = %budget.source,
            max_in_flight = cap.max_in_flight,
            "the memory budget is below what the engine needs ({} MiB and up); serving {} runs at once anyway: raise the pod's memory limit or --memory-budget",
            capacity::BASELINE / (1 << 20) + 16,
            cap.max_in_flight,
        );
    }
    tracing::info!(
        memory_budget = budget.bytes,
        source = %budget.source,
        max_in_flight = cap.max_in_flight,
        max_queued = cap.max_queued,
        instances = cap.instances,
        open_files = open_files.unwrap_or(0),
        "capacity"
    );
    let sandbox = match Sandbox::new(SandboxConfig {
        max_instances: cap.instances,
        ..SandboxConfig::default()
    }) {
        Ok(s) => s,
        Err(e) => return startup_failed(&format!("the sandbox cannot be set up: {e}")),
    };
    let transport = match NetTransport::new() {
        Ok(t) => t,
        Err(e) => return startup_failed(&format!("the network transport cannot be set up: {e}")),
    };
    let opts = serve::ServeOptions {
        loader: Loader::new(sandbox, workflow, Arc::new(transport)).secrets(args.secrets),
        addr: SocketAddr::new(args.bind, args.port),
        config: ServerConfig {
            max_in_flight: cap.max_in_flight,
            max_queued: cap.max_queued,
            queue_wait: args.queue_wait,
            memory_budget: Some(budget.bytes),
            body_limit: args.max_body,
            ..ServerConfig::default()
        },
        watch: args.watch,
        cron: args.cron,
        // In a cluster requests come through the API server's proxy, with its Host.
        local_only: false,
    };
    let started = match serve::start(opts).await {
        Ok(s) => s,
        Err(e) => return startup_failed(&tentacular_engine::triggers::client::error_chain(&e)),
    };
    match started.serve(server::shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "server failed");
            eprintln!("tentacular-engine: server failed: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10MiB"), Ok(10 << 20));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("5M"), Ok(5_000_000));
        assert!(parse_size("0").is_err());
        assert!(parse_size("ten").is_err());
        assert!(parse_size("1Tb").is_err());
    }

    #[test]
    fn flags_parse() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
        let c = Cli::try_parse_from([
            "tentacular-engine",
            "--workflow",
            "wf",
            "--port",
            "9000",
            "--watch",
            "--max-in-flight",
            "8",
        ])
        .unwrap();
        assert!(c.command.is_none());
        assert_eq!(c.serve.port, 9000);
        assert!(c.serve.watch && !c.serve.cron);
        assert_eq!(c.serve.max_in_flight, Some(8));
        let c = Cli::try_parse_from([
            "tentacular-engine",
            "--workflow",
            "wf",
            "--memory-budget",
            "256MiB",
            "--queue-wait",
            "0",
        ])
        .unwrap();
        assert_eq!(c.serve.memory_budget, Some(256 << 20));
        assert_eq!(c.serve.max_in_flight, None);
        assert_eq!(c.serve.queue_wait, Duration::ZERO);
        assert!(
            Cli::try_parse_from(["tentacular-engine"]).is_err(),
            "--workflow is required"
        );
        let c = Cli::try_parse_from([
            "tentacular-engine",
            "trigger",
            "http://x/run",
            "--retries",
            "2",
            "--timeout",
            "5s",
        ])
        .unwrap();
        let Some(Command::Trigger(t)) = c.command else {
            panic!()
        };
        assert_eq!(
            (t.retries, t.timeout, t.body.as_str()),
            (2, Duration::from_secs(5), "{}")
        );
        let c = Cli::try_parse_from([
            "tentacular-engine",
            "run",
            "--workflow",
            "wf",
            "--input",
            "@in.json",
        ])
        .unwrap();
        assert!(matches!(c.command, Some(Command::Run(_))));
        assert!(
            Cli::try_parse_from(["tentacular-engine", "run"]).is_err(),
            "run needs --workflow"
        );
    }
}
