//! `tntc versions <name|dir>`: the code versions a deployed workflow keeps for rollback.

use std::path::Path;

use clap::Args;
use serde_json::json;
use tentacular_kube::cluster::CodeVersion;

use tentacular_kube::config::Resolved;

use super::kube_flags::{Extra, KubeFlags, connect};
use super::runtime;
use crate::output::Output;

/// Lists a deployed workflow's code versions, newest first; `*` marks the running one.
#[derive(Debug, Args)]
pub struct Versions {
    /// The workflow: its name, or its directory (then its `deployment.namespace` counts).
    pub workflow: String,

    #[command(flatten)]
    pub kube: KubeFlags,
}

impl Versions {
    pub fn run(self, out: &Output) -> anyhow::Result<()> {
        let (name, resolved) = target(&self.workflow, &self.kube, out)?;
        let ns = resolved.namespace.clone();
        runtime()?.block_on(async {
            let cluster = connect(&resolved).await?;
            let versions = cluster.versions(&ns, &name).await?;
            if out.json() {
                return out.json_value(&json!({
                    "command": "versions", "name": name, "namespace": ns, "versions": versions,
                }));
            }
            if versions.is_empty() {
                out.out(format!("No code versions of {name} in {ns}"))?;
                return Ok(());
            }
            out.out(table(&versions))?;
            Ok(())
        })
    }
}

/// The workflow's name and the resolved cluster settings, from a name or a directory.
pub fn target(
    workflow: &str,
    kube: &KubeFlags,
    out: &Output,
) -> anyhow::Result<(String, Resolved)> {
    let dir = Path::new(workflow);
    if dir.join("workflow.yaml").is_file() || workflow.ends_with(".yaml") {
        let loaded = super::load_workflow(dir, out)?;
        let wf = &loaded.workflow;
        let resolved = kube.resolve(
            Extra {
                workflow_namespace: wf.deployment.as_ref().and_then(|d| d.namespace.as_deref()),
                ..Extra::default()
            },
            out,
        )?;
        return Ok((wf.name.to_string(), resolved));
    }
    Ok((workflow.to_string(), kube.resolve(Extra::default(), out)?))
}

fn table(versions: &[CodeVersion]) -> String {
    let dash = || "-".to_string();
    let rows: Vec<[String; 6]> = versions
        .iter()
        .map(|v| {
            [
                format!("{}{}", if v.current { "* " } else { "  " }, v.id),
                v.workflow_version.clone().unwrap_or_else(dash),
                v.deployed_at.clone().unwrap_or_else(dash),
                v.deployed_by.clone().unwrap_or_else(dash),
                v.git_sha
                    .as_deref()
                    .map(|s| s.chars().take(12).collect())
                    .unwrap_or_else(dash),
                v.image.clone().unwrap_or_else(dash),
            ]
        })
        .collect();
    let header = ["  VERSION", "WORKFLOW", "DEPLOYED AT", "BY", "GIT", "IMAGE"].map(String::from);
    let mut widths = [0; 6];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    std::iter::once(&header)
        .chain(&rows)
        .map(|row| {
            row.iter()
                .zip(widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}
