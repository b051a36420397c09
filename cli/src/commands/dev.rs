//! `tntc dev [dir] [-p PORT]`: the engine in process, with hot reload and cron.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use tentacular_engine::serve::{self, ServeOptions};
use tentacular_engine::server::{self, Loader, LogFormat, RunSource, ServerConfig};
use tentacular_sandbox::fetch::net::NetTransport;

use super::{runtime, sandbox};
use crate::output::{Mark, Output, paint, style};
use crate::report::{ErrorCode, Failure};

/// Serves a workflow on this machine, as the engine does in its pod, and reloads it on every
/// change of workflow.yaml, a node file or the secrets (a broken edit keeps the last good
/// version serving and prints the error). Cron triggers run in process. Ctrl-C stops after
/// the runs in flight finish.
///
/// Try it: `curl -X POST localhost:8080/run -d '{}'`. Nodes reach the real network, within
/// the contract. Logs (node logs included) go to stderr; RUST_LOG=debug shows more.
#[derive(Debug, Args)]
pub struct Dev {
    /// The workflow directory. By default, the current directory.
    #[arg(default_value = ".")]
    pub dir: PathBuf,

    /// The port to listen on (127.0.0.1 only). By default, 8080.
    #[arg(short, long, default_value_t = 8080)]
    pub port: u16,

    /// The Deno binary for Deno-mode nodes (sets $TENTACULAR_DENO for the engine in
    /// process). By default, $TENTACULAR_DENO, then `deno` on PATH, then the project-local
    /// install of tools/deno/install.sh.
    #[arg(long, value_name = "PATH")]
    pub deno: Option<PathBuf>,
}

impl Dev {
    pub fn run(self, out: &Output) -> anyhow::Result<()> {
        server::init_logging(if out.json() {
            LogFormat::Json
        } else {
            LogFormat::Text
        });
        if let Some(deno) = &self.deno {
            // SAFETY: no other thread runs yet (the runtime is created below), so nothing
            // reads the environment concurrently.
            unsafe { std::env::set_var("TENTACULAR_DENO", deno) };
        }
        let rt = runtime()?;
        rt.block_on(async {
            let loader = Loader::new(sandbox(tentacular_sandbox::CacheLoad::Read)?, &self.dir, Arc::new(NetTransport::new()?))
                // /app/secrets is the pod's mount; a laptop's secrets are in the workflow.
                .mount_dir(None);
            let started = serve::start(ServeOptions {
                loader,
                addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), self.port),
                config: ServerConfig::default(),
                watch: true,
                cron: true,
                local_only: true,
            })
            .await
            .map_err(|e| port_hint(e, self.port))?;
            if !out.json() {
                let name = started.app.served().workload.workflow().name.to_string();
                out.err(format!(
                    "{} {name} on http://{} — watching {} (Ctrl-C to stop)\n  try: curl -X POST http://{}/run -d '{{}}'",
                    paint(style::OK, "serving"),
                    started.addr,
                    self.dir.display(),
                    started.addr,
                ))?;
                tokio::spawn(print_runs(started.app.subscribe()));
            }
            started.serve(server::shutdown_signal()).await?;
            Ok(())
        })
    }
}

/// A bind error because the port is taken says which flag picks another.
fn port_hint(e: serve::StartError, port: u16) -> anyhow::Error {
    match &e {
        serve::StartError::Bind { source, .. }
            if source.kind() == std::io::ErrorKind::AddrInUse =>
        {
            let other = port.checked_add(1).unwrap_or(8081);
            let failure = Failure::new(
                ErrorCode::Io,
                format!(
                    "port {port} is already in use on 127.0.0.1\n  hint: another `tntc dev` or server holds it; pick another port with `-p {other}` (or stop the other process)"
                ),
            );
            anyhow::Error::new(e).context(failure)
        }
        _ => e.into(),
    }
}

/// One line per finished run on stderr: what started it, success, duration, failing nodes.
async fn print_runs(
    mut events: tokio::sync::broadcast::Receiver<Arc<tentacular_engine::server::RunEvent>>,
) {
    use tokio::sync::broadcast::error::RecvError;
    loop {
        let ev = match events.recv().await {
            Ok(ev) => ev,
            Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => return,
        };
        let source = match &ev.source {
            RunSource::Manual => "/run".to_string(),
            RunSource::Webhook { trigger, .. } => format!("webhook {trigger}"),
            RunSource::Cron { trigger, schedule } => match trigger {
                Some(t) => format!("cron {t}"),
                None => format!("cron \"{schedule}\""),
            },
            _ => "run".to_string(),
        };
        let r = &ev.result;
        let line = if r.success {
            format!("{} {source} ({} ms)", Mark::Ok, r.timing.duration_ms)
        } else {
            let errors: Vec<String> = r.errors.iter().map(|(n, e)| format!("{n}: {e}")).collect();
            format!(
                "{} {source} ({} ms)\n    {}",
                Mark::Fail,
                r.timing.duration_ms,
                errors.join("\n    ")
            )
        };
        let _ = Output::new(crate::output::Format::Text).err(line);
    }
}
