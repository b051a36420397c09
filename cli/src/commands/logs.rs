//! `tntc logs <name> [-f] [--tail N]`.

use clap::Args;
use futures::StreamExt;
use serde_json::json;
use tentacular_kube::cluster::LogOptions;

use super::kube_flags::{Extra, KubeFlags, connect};
use super::runtime;
use crate::output::Output;

/// Prints the log of the workflow's engine pod (the newest running one by default).
#[derive(Debug, Args)]
pub struct Logs {
    /// The workflow name.
    pub name: String,

    #[command(flatten)]
    pub kube: KubeFlags,

    /// Keep streaming new lines (Ctrl-C stops).
    #[arg(short = 'f', long)]
    pub follow: bool,

    /// Only the last N lines.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub tail: i64,

    /// A specific pod of the workflow.
    #[arg(long)]
    pub pod: Option<String>,

    /// The previous (crashed) container's log.
    #[arg(long)]
    pub previous: bool,
}

impl Logs {
    pub fn run(self, out: &Output) -> anyhow::Result<()> {
        let resolved = self.kube.resolve(Extra::default(), out)?;
        runtime()?.block_on(async {
            let cluster = connect(&resolved).await?;
            let opts = LogOptions {
                tail: Some(self.tail),
                follow: self.follow,
                pod: self.pod.clone(),
                previous: self.previous,
                timestamps: false,
            };
            let mut stream = cluster.logs(&resolved.namespace, &self.name, &opts).await?;
            if !out.json() {
                out.err(format!("==> pod {} <==", stream.pod))?;
            }
            while let Some(line) = stream.lines.next().await {
                let line = line?;
                if out.json() {
                    // One JSON object per line, so that -f works with jq.
                    out.out(serde_json::to_string(
                        &json!({"pod": stream.pod, "line": line}),
                    )?)?;
                } else {
                    out.out(line)?;
                }
            }
            Ok(())
        })
    }
}
