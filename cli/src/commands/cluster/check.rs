//! `tntc cluster check [--fix]`.

use std::path::PathBuf;

use anyhow::bail;
use clap::Args;
use tentacular_kube::cluster::{CheckOptions, CheckReport, CheckStatus};
use tentacular_kube::manifests;

use crate::commands::deploy_input::deploy_input;
use crate::commands::kube_flags::{Extra, KubeFlags, connect};
use crate::commands::{load_workflow, runtime};
use crate::output::{Mark, outcome_line};
use crate::output::{Output, paint, style};
use crate::report::json_verdict;
use tentacular_spec::plural;

/// Checks, in order: the API server answers; the RuntimeClass deploys ask for exists; the
/// namespace exists; the current user has every permission deploy, undeploy, run, logs, status
/// and audit use in it (one SelfSubjectAccessReview each); the expected secrets exist.
#[derive(Debug, Args)]
pub struct Check {
    #[command(flatten)]
    pub kube: KubeFlags,

    /// Create what is missing and can be created: the namespace, and the RuntimeClass `gvisor`
    /// (handler runsc; the nodes still need gVisor). Permissions and secrets are never created.
    #[arg(long)]
    pub fix: bool,

    /// The RuntimeClass deploys will ask for. By default: the environment's, then the config
    /// file's, then `gvisor`; `none` skips the check (with a warning).
    #[arg(long, value_name = "CLASS")]
    pub runtime_class: Option<String>,

    /// A Secret that must exist in the namespace (repeatable). By default, none.
    #[arg(long = "secret", value_name = "NAME")]
    pub secrets: Vec<String>,

    /// A workflow directory: its `deployment.namespace` applies, `<wf>-secrets` must exist
    /// when its contract references secrets it has no local copy of (.secrets.yaml/.secrets/),
    /// the deployer must hold the `deployment.rbac` rules it grants, and, for a `kubernetes`
    /// dependency, may read the API server's addresses.
    #[arg(long, value_name = "DIR")]
    pub workflow: Option<PathBuf>,
}

impl Check {
    pub fn run(self, out: &Output) -> anyhow::Result<()> {
        let loaded = match &self.workflow {
            Some(dir) => Some(load_workflow(dir, out)?),
            None => None,
        };
        let wf_ns = loaded.as_ref().and_then(|l| {
            l.workflow
                .deployment
                .as_ref()
                .and_then(|d| d.namespace.clone())
        });
        let resolved = self.kube.resolve(
            Extra {
                workflow_namespace: wf_ns.as_deref(),
                runtime_class: self.runtime_class.as_deref(),
                ..Extra::default()
            },
            out,
        )?;
        let mut opts = CheckOptions::new(&resolved.namespace);
        opts.runtime_class = resolved.runtime_class.clone();
        opts.fix = self.fix;
        opts.secret_names = self.secrets.clone();
        if let Some(l) = &loaded {
            let (input, _) = deploy_input(l, &resolved)?;
            if input.secrets.is_none() && !input.required_secrets.is_empty() {
                opts.secret_names.push(manifests::secret_name(&input.name));
            }
            // What its deploy grants (rules held by the deployer) and reads (the API server's
            // addresses) beyond the namespace.
            opts.rbac = input
                .rbac
                .clone()
                .filter(|_| input.service_account.is_some());
            opts.needs_api_server = input.needs_api_server;
        }
        opts.secret_names.sort();
        opts.secret_names.dedup();

        let report = runtime()?.block_on(async {
            let cluster = connect(&resolved).await?;
            anyhow::Ok(cluster.check(&opts).await?)
        })?;
        let passed = report.passed();
        if out.json() {
            return json_verdict(out, passed, &report);
        }
        out.out(render(&report))?;
        if passed {
            out.out(format!(
                "\n{} Cluster is ready for deployment to namespace {}",
                Mark::Ok,
                report.namespace
            ))?;
            return Ok(());
        }
        let failed: Vec<&str> = report
            .checks
            .iter()
            .filter(|c| c.status == CheckStatus::Fail)
            .map(|c| c.name.as_str())
            .collect();
        let fix_note = if self.fix {
            "; --fix created what it could (namespace, RuntimeClass gvisor), the rest needs the \
             remediation shown (→)"
        } else {
            "; follow the remediation shown (→)"
        };
        bail!(
            "cluster check failed: {} ({}){fix_note}",
            plural(failed.len(), "failed check"),
            failed.join(", ")
        );
    }
}

/// One line per check, then its missing permissions and remediation, indented.
fn render(report: &CheckReport) -> String {
    let mut text = format!(
        "{} {} (namespace {})\n",
        paint(style::HEAD, "Cluster check:"),
        report.server,
        report.namespace
    );
    for c in &report.checks {
        text.push_str(&outcome_line(c.status.into(), &c.name, &c.message));
        for m in &c.missing {
            // `create networkpolicies.networking.k8s.io (needed by deploy)` → name the namespace.
            let line = match m.split_once(" (needed by ") {
                Some((perm, rest)) => {
                    format!("{perm} in namespace {} (needed by {rest}", report.namespace)
                }
                None => m.clone(),
            };
            text.push_str(&format!(
                "      {} {line}\n",
                paint(style::ERROR, "missing:")
            ));
        }
        if let Some(r) = &c.remediation {
            text.push_str(&format!("      → {r}\n"));
        }
    }
    text.trim_end().to_string()
}
