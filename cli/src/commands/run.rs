//! `tntc run <name> [--input JSON|@file] [--timeout] [--via proxy|pod]`.

use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use tentacular_kube::cluster::{RunOptions, RunVia};

use tentacular_spec::units::parse_duration_arg;

use super::kube_flags::{Extra, KubeFlags, connect};
use super::runtime;
use crate::output::Output;
use crate::report::AlreadyReported;

/// How to reach the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Via {
    /// The API server's service proxy (no pod).
    Proxy,
    /// A short-lived trigger pod inside the namespace (when a NetworkPolicy or the cluster
    /// blocks the proxy).
    Pod,
}

/// Runs a deployed workflow once and prints its execution result (JSON) on stdout.
#[derive(Debug, Args)]
pub struct Run {
    /// The workflow name.
    pub name: String,

    #[command(flatten)]
    pub kube: KubeFlags,

    /// Input for the root nodes: JSON text, or @file to read it from a file.
    #[arg(long, value_name = "JSON|@FILE")]
    pub input: Option<String>,

    /// How long the run may take.
    #[arg(long, default_value = "120s", value_parser = parse_duration_arg, value_name = "DURATION")]
    pub timeout: Duration,

    /// How to reach the workflow.
    #[arg(long, value_enum, default_value_t = Via::Proxy)]
    pub via: Via,
}

impl Run {
    pub fn run(self, out: &Output) -> anyhow::Result<()> {
        let input = match self.input.as_deref() {
            None => serde_json::json!({}),
            Some(s) => {
                let (text, from) = match s.strip_prefix('@') {
                    Some(path) => (
                        std::fs::read_to_string(path)
                            .with_context(|| format!("reading --input file {path}"))?,
                        path.to_string(),
                    ),
                    None => (s.to_string(), "--input".to_string()),
                };
                serde_json::from_str(&text).with_context(|| format!("{from} is not valid JSON"))?
            }
        };
        let resolved = self.kube.resolve(Extra::default(), out)?;
        runtime()?.block_on(async {
            let cluster = connect(&resolved).await?;
            let opts = RunOptions {
                input,
                timeout: self.timeout,
                via: match self.via {
                    Via::Proxy => RunVia::Proxy,
                    Via::Pod => RunVia::Pod,
                },
            };
            let outcome = cluster.run(&resolved.namespace, &self.name, &opts).await?;
            let failed =
                outcome.success == Some(false) || outcome.http_status.is_some_and(|s| s >= 400);
            if out.json() {
                out.json_value(&outcome)?;
            } else {
                out.json_value(&outcome.body)?;
            }
            if failed {
                if out.json() {
                    return Err(AlreadyReported.into());
                }
                bail!(
                    "workflow run failed{}\n  hint: `tntc logs {} -n {}` shows what the engine said",
                    outcome
                        .http_status
                        .map(|s| format!(" (HTTP {s})"))
                        .unwrap_or_default(),
                    self.name,
                    resolved.namespace
                );
            }
            Ok(())
        })
    }
}
