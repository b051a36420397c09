//! `tntc rollback <name|dir> [--to VERSION]`: runs an earlier code version again, without a
//! rebuild — every object derived from that version's files and image is applied (all but
//! the Secret, which stays as it is), and the Deployment moves back to that version's
//! immutable ConfigMap.

use anyhow::{Context, bail};
use clap::Args;
use serde_json::json;
use tentacular_kube::cluster::ApplyOptions;
use tentacular_kube::manifests;
use tentacular_spec::{Deployment, Workflow};

use super::deploy_input::deploy_input;
use super::kube_flags::{KubeFlags, connect};
use super::{provenance, runtime, versions};
use crate::output::{Mark, Output, warn};

/// Re-deploys an earlier code version (by default, the newest one that is not running).
#[derive(Debug, Args)]
pub struct Rollback {
    /// The workflow: its name, or its directory (then its `deployment.namespace` counts).
    pub workflow: String,

    #[command(flatten)]
    pub kube: KubeFlags,

    /// The version to return to, as `tntc versions` lists it. By default, the newest version
    /// that is not running.
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
}

impl Rollback {
    pub fn run(self, out: &Output) -> anyhow::Result<()> {
        let (name, resolved) = versions::target(&self.workflow, &self.kube, out)?;
        let ns = resolved.namespace.clone();
        runtime()?.block_on(async {
            let cluster = connect(&resolved).await?;
            let all = cluster.versions(&ns, &name).await?;
            let id = match &self.to {
                Some(id) => id.clone(),
                None => match all.iter().find(|v| !v.current) {
                    Some(v) => v.id.clone(),
                    None => bail!(
                        "{name} in {ns} has no earlier code version to roll back to \
                         ({} kept)\n  hint: `tntc versions {name}` lists them",
                        all.len()
                    ),
                },
            };
            let (version, files) = cluster.version_files(&ns, &name, &id).await?;
            if version.current {
                bail!("version {id} of {name} is already running in {ns}");
            }
            let dir = tempfile::tempdir().context("creating a directory for the old version")?;
            for (path, content) in &files {
                let file = dir.path().join(path);
                if let Some(parent) = file.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(&file, content)?;
            }
            let loaded = Workflow::load(dir.path())
                .map_err(|e| anyhow::anyhow!("version {id} of {name} no longer validates: {e}"))?;
            let (mut input, notes) = deploy_input(&loaded, &resolved)?;
            for n in &notes {
                warn(out, n)?;
            }
            if let Some(image) = &version.image {
                input.image = image.clone();
            }
            input.secrets = None;
            input.provenance = manifests::Provenance {
                deployed_at: Some(provenance::now()),
                deployed_by: Some(provenance::deployer()),
                git_sha: version.git_sha.clone(),
                source: version.source.clone(),
            };
            cluster.complete_input(&mut input).await?;
            let m = manifests::build(&input)?;
            let rebuilt = m.code.metadata.name.clone().unwrap_or_default();
            if rebuilt != version.config_map {
                bail!(
                    "internal: version {id}'s files rebuild into {rebuilt}, not {} \
                     (nothing was applied)",
                    version.config_map
                );
            }
            let keep = loaded
                .workflow
                .deployment
                .as_ref()
                .and_then(|d| d.keep_versions)
                .unwrap_or(Deployment::DEFAULT_KEEP_VERSIONS);
            let report = cluster
                .apply(
                    &m,
                    &ApplyOptions {
                        keep_versions: keep as usize,
                        ..ApplyOptions::default()
                    },
                )
                .await?;
            if out.json() {
                return out.json_value(&json!({
                    "command": "rollback", "name": name, "namespace": ns,
                    "version": version, "image": input.image, "objects": report.objects,
                }));
            }
            for o in &report.objects {
                out.out(format!("  {} {}/{}", o.action, o.kind, o.name))?;
            }
            out.out(format!(
                "{} rolled {name} in {ns} back to version {id} (workflow {}, image {})",
                Mark::Ok,
                version.workflow_version.as_deref().unwrap_or("?"),
                input.image
            ))?;
            Ok(())
        })
    }
}
