//! `tntc deploy [dir]`: validate, contract, build the manifests, server-side apply (+ prune).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::bail;
use clap::Args;
use serde_json::json;
use tentacular_kube::cluster::{ApplyOptions, RunOptions};
use tentacular_kube::manifests;

use super::deploy_input::deploy_input;
use tentacular_spec::units::parse_duration_arg;

use super::kube_flags::{Extra, KubeFlags, connect};
use super::{load_workflow, print_diagnostics, runtime};
use crate::output::{Mark, Output, warn};

/// Deploys a workflow: every object is applied server-side (field manager `tntc`), objects an
/// earlier version produced and this one does not are pruned.
#[derive(Debug, Args)]
pub struct Deploy {
    /// The workflow directory. By default, the current directory.
    #[arg(default_value = ".")]
    pub dir: PathBuf,

    #[command(flatten)]
    pub kube: KubeFlags,

    /// Engine image. By default: the environment's, then .tentacular/base-image.txt (written
    /// by `tntc build`), then tentacular-engine:latest.
    #[arg(long, value_name = "REF")]
    pub image: Option<String>,

    /// RuntimeClass of the pods: `gvisor` (the default), another class, or `none` to run
    /// without gVisor (warned about).
    #[arg(long, value_name = "CLASS")]
    pub runtime_class: Option<String>,

    /// Print the manifests (YAML; a JSON `List` with -o json) without contacting a cluster.
    /// Secret values are redacted.
    #[arg(long)]
    pub dry_run: bool,

    /// Wait until the rollout is complete (progress on stderr).
    #[arg(long)]
    pub wait: bool,

    /// How long --wait and --verify may take.
    #[arg(long, default_value = "120s", value_parser = parse_duration_arg, value_name = "DURATION")]
    pub timeout: Duration,

    /// After deploying, wait for readiness and run the workflow once; fail if the run fails.
    #[arg(long)]
    pub verify: bool,

    /// Code versions to keep for `tntc rollback`, the new one included (older ones are
    /// deleted). By default, workflow.yaml's `deployment.keepVersions`, else 5.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub keep_versions: Option<u32>,
}

impl Deploy {
    pub fn run(self, out: &Output) -> anyhow::Result<()> {
        let loaded = load_workflow(&self.dir, out)?;
        if !out.json() {
            print_diagnostics(out, &loaded.warnings)?;
        }
        let wf = &loaded.workflow;
        let built = read_built_image(&loaded.dir);
        let resolved = self.kube.resolve(
            Extra {
                workflow_namespace: wf.deployment.as_ref().and_then(|d| d.namespace.as_deref()),
                image: self.image.as_deref(),
                runtime_class: self.runtime_class.as_deref(),
                built_image: built.as_deref(),
            },
            out,
        )?;
        let (mut input, notes) = deploy_input(&loaded, &resolved)?;
        // The dry run prints what would be applied, minus the deploy-time annotations (so
        // that its output depends on the directory only).
        if !self.dry_run {
            input.provenance = super::provenance::of_deploy(&loaded.dir);
        }
        let keep_versions = self
            .keep_versions
            .or(wf.deployment.as_ref().and_then(|d| d.keep_versions))
            .unwrap_or(tentacular_spec::Deployment::DEFAULT_KEEP_VERSIONS);
        for n in &notes {
            warn(out, n)?;
        }
        if self.dry_run {
            // Offline: what only the cluster knows (the API server's addresses) is left out,
            // with a warning.
            let mut m = manifests::build(&input)?;
            for w in &m.warnings {
                warn(out, w)?;
            }
            m.redact_secrets();
            if out.json() {
                return out.json_value(&m.to_json()?);
            }
            out.out(m.to_yaml()?.trim_end())?;
            return Ok(());
        }

        let rt = runtime()?;
        rt.block_on(async {
            let cluster = connect(&resolved).await?;
            cluster.complete_input(&mut input).await?;
            let m = manifests::build(&input)?;
            for w in &m.warnings {
                warn(out, w)?;
            }
            if !out.json() {
                out.err(format!(
                    "Deploying {} {} to namespace {} on {} (image {}, runtime class {})",
                    input.name,
                    input.version,
                    input.namespace,
                    cluster.server(),
                    input.image,
                    input.runtime_class.class_name().unwrap_or("none"),
                ))?;
            }
            let options = ApplyOptions {
                keep_versions: keep_versions as usize,
                ..ApplyOptions::default()
            };
            let report = cluster.apply(&m, &options).await?;
            if !out.json() {
                for o in &report.objects {
                    out.out(format!("  {} {}/{}", o.action, o.kind, o.name))?;
                }
                if report.restarted {
                    out.out("Triggered rollout restart")?;
                }
            }
            let mut ready = None;
            if self.wait || self.verify {
                let quiet = out.json();
                let r = cluster
                    .wait_ready(&input.namespace, &input.name, self.timeout, |r| {
                        if !quiet {
                            let _ = out.err(format!("  … {r}"));
                        }
                    })
                    .await?;
                ready = Some(r.done);
                if !out.json() {
                    out.err(format!("{} {} is ready", Mark::Ok, input.name))?;
                }
            }
            let mut verify = None;
            if self.verify {
                let outcome = cluster
                    .run(
                        &input.namespace,
                        &input.name,
                        &RunOptions {
                            timeout: self.timeout,
                            ..RunOptions::default()
                        },
                    )
                    .await?;
                let ok = outcome.success != Some(false)
                    && outcome.http_status.is_none_or(|s| s < 400);
                verify = Some(json!({"success": ok, "outcome": outcome}));
                if !ok {
                    if out.json() {
                        out.json_value(&json!({
                            "command": "deploy", "name": input.name, "namespace": input.namespace,
                            "objects": report.objects, "verify": verify,
                        }))?;
                        return Err(crate::report::AlreadyReported.into());
                    }
                    bail!(
                        "verification run of {} failed: {}\n  hint: `tntc logs {} -n {}` shows what the engine said",
                        input.name,
                        outcome.body,
                        input.name,
                        input.namespace
                    );
                }
                if !out.json() {
                    out.err(format!("{} verification run succeeded", Mark::Ok))?;
                }
            }
            if out.json() {
                return out.json_value(&json!({
                    "command": "deploy",
                    "summary": format!("deployed {} to {}", input.name, input.namespace),
                    "name": input.name,
                    "version": input.version,
                    "namespace": input.namespace,
                    "server": cluster.server(),
                    "image": input.image,
                    "runtimeClass": input.runtime_class.class_name(),
                    "objects": report.objects,
                    "changed": report.changed(),
                    "restarted": report.restarted,
                    "ready": ready,
                    "verify": verify,
                    "warnings": m.warnings.iter().chain(&notes).collect::<Vec<_>>(),
                }));
            }
            let what = if report.changed() { "deployed" } else { "unchanged:" };
            out.out(format!(
                "{} {what} {} to {}",
                Mark::Ok,
                input.name,
                input.namespace
            ))?;
            Ok(())
        })
    }
}

fn read_built_image(dir: &Path) -> Option<String> {
    std::fs::read_to_string(dir.join(".tentacular").join("base-image.txt"))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}
