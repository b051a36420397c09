//! `tntc audit [dir]`: the live objects against what the workflow's contract implies today.

use std::path::PathBuf;

use anyhow::bail;
use clap::Args;
use tentacular_kube::cluster::CheckStatus;
use tentacular_kube::config::{Resolved, Source};

use super::deploy_input::deploy_input;
use super::kube_flags::{Extra, KubeFlags, connect};
use super::{load_workflow, runtime};
use crate::output::outcome_line;
use crate::output::{Output, paint, style};
use crate::report::json_verdict;
use tentacular_spec::plural;

/// Compares the deployed objects with the manifests `tntc deploy` would generate from the
/// directory now: the NetworkPolicy's rules (each missing or extra rule), the Secret's
/// services and keys (never values), one CronJob per cron trigger, the Deployment's hardening.
/// Exit 1 when anything drifted.
#[derive(Debug, Args)]
pub struct Audit {
    /// The workflow directory. By default, the current directory.
    #[arg(default_value = ".")]
    pub dir: PathBuf,

    #[command(flatten)]
    pub kube: KubeFlags,

    /// The runtime class the workflow was deployed with (as for `tntc deploy`). By default:
    /// the environment's, then the config file's, then `gvisor`.
    #[arg(long, value_name = "CLASS")]
    pub runtime_class: Option<String>,
}

impl Audit {
    pub fn run(self, out: &Output) -> anyhow::Result<()> {
        let loaded = load_workflow(&self.dir, out)?;
        let wf = &loaded.workflow;
        let resolved = self.kube.resolve(
            Extra {
                workflow_namespace: wf.deployment.as_ref().and_then(|d| d.namespace.as_deref()),
                runtime_class: self.runtime_class.as_deref(),
                ..Extra::default()
            },
            out,
        )?;
        let (input, _notes) = deploy_input(&loaded, &resolved)?;
        let report = runtime()?.block_on(async {
            let cluster = connect(&resolved).await?;
            // Not deployed at all is one clear error, not a list of missing objects.
            cluster.status(&input.namespace, &input.name, false).await?;
            anyhow::Ok(cluster.audit(&input).await?)
        })?;
        let passed = report.passed();
        if out.json() {
            return json_verdict(out, passed, &report);
        }
        let mut text = format!(
            "{} {} in namespace {}\n",
            paint(style::HEAD, "Audit:"),
            report.name,
            report.namespace
        );
        for c in &report.checks {
            text.push_str(&outcome_line(c.status.into(), &c.name, &c.message));
            for p in &c.problems {
                text.push_str(&format!("      - {p}\n"));
            }
        }
        let problems: usize = report.checks.iter().map(|c| c.problems.len()).sum();
        text.push_str(&format!(
            "Overall: {}",
            if passed {
                paint(style::OK, "pass")
            } else {
                paint(style::ERROR, "fail")
            }
        ));
        out.out(text)?;
        if passed {
            return Ok(());
        }
        let failed = report
            .checks
            .iter()
            .filter(|c| c.status == CheckStatus::Fail)
            .count();
        bail!(
            "{} of {} in namespace {} drifted from what its contract implies ({})\n  hint: \
             `tntc deploy {}{}` restores the generated objects; investigate first if you did \
             not change them",
            plural(failed, "object"),
            report.name,
            report.namespace,
            plural(problems, "difference"),
            self.dir.display(),
            self.same_target_flags(&resolved),
        );
    }

    /// The flags that make `deploy` resolve the same environment and namespace as this audit
    /// (what came from files or the workflow needs no flag).
    fn same_target_flags(&self, resolved: &Resolved) -> String {
        let mut flags = String::new();
        if let Some(env) = &self.kube.env {
            flags.push_str(&format!(" --env {env}"));
        }
        if resolved.namespace_source == Source::Flag {
            flags.push_str(&format!(" -n {}", resolved.namespace));
        }
        flags
    }
}
