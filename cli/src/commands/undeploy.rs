//! `tntc undeploy <name> [-y]`.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::bail;
use clap::Args;
use serde_json::json;

use super::kube_flags::{Extra, KubeFlags, connect};
use super::runtime;
use crate::output::Output;

/// Removes every object labelled as the workflow's (CronJobs, Jobs, Deployment, pods,
/// Service, NetworkPolicy, ConfigMap, Secret).
#[derive(Debug, Args)]
pub struct Undeploy {
    /// The workflow name.
    pub name: String,

    #[command(flatten)]
    pub kube: KubeFlags,

    /// Do not ask for confirmation (required without a terminal).
    #[arg(short = 'y', long)]
    pub yes: bool,
}

impl Undeploy {
    pub fn run(self, out: &Output) -> anyhow::Result<()> {
        let resolved = self.kube.resolve(Extra::default(), out)?;
        let ns = resolved.namespace.clone();
        if !self.yes {
            if !std::io::stdin().is_terminal() {
                bail!(
                    "refusing to remove workflow {} from namespace {ns} without confirmation: \
                     stdin is not a terminal\n  hint: pass -y to confirm",
                    self.name
                );
            }
            let mut e = std::io::stderr().lock();
            write!(
                e,
                "Remove workflow {} from namespace {ns}? [y/N] ",
                self.name
            )?;
            e.flush()?;
            let mut answer = String::new();
            std::io::stdin().lock().read_line(&mut answer)?;
            if !matches!(answer.trim().to_lowercase().as_str(), "y" | "yes") {
                out.err("Cancelled.")?;
                return Ok(());
            }
        }
        runtime()?.block_on(async {
            let cluster = connect(&resolved).await?;
            let report = cluster.undeploy(&ns, &self.name).await?;
            if out.json() {
                return out.json_value(&json!({
                    "name": report.name,
                    "namespace": report.namespace,
                    "deleted": report.deleted.iter()
                        .map(|(k, n)| json!({"kind": k, "name": n}))
                        .collect::<Vec<_>>(),
                }));
            }
            if report.deleted.is_empty() {
                out.out(format!("No resources found for {} in {ns}", self.name))?;
            }
            for (k, n) in &report.deleted {
                out.out(format!("  deleted {k}/{n}"))?;
            }
            Ok(())
        })
    }
}
