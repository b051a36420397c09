//! `tntc validate [dir]`.

use std::path::PathBuf;

use clap::Args;
use serde_json::{Value, json};
use tentacular_spec::dag;
use tentacular_spec::derived::{self, DependencyTarget, Derived, NodeGrants};
use tentacular_spec::plural;
use tentacular_spec::{LoadedWorkflow, Trigger, TriggerKind, Workflow};

use super::print_diagnostics;
use crate::output::{Mark, Output, paint, style};
use crate::report::AlreadyReported;

/// Reports every error (and warning) at once, each with file, line, column and a hint.
#[derive(Debug, Args)]
pub struct Validate {
    /// The workflow directory (or its workflow.yaml). By default, the current directory.
    #[arg(default_value = ".")]
    pub dir: PathBuf,

    /// Also print the DAG stages, triggers and what the contract implies: secrets, egress and
    /// ingress rules, and each node's grant.
    #[arg(short, long)]
    pub verbose: bool,
}

impl Validate {
    pub fn run(self, out: &Output) -> anyhow::Result<()> {
        match Workflow::load(&self.dir) {
            Err(errors) => {
                if out.json() {
                    out.json_value(&json!({
                        "valid": false,
                        "file": errors.file,
                        "errors": errors.errors,
                        "warnings": errors.warnings,
                    }))?;
                    return Err(AlreadyReported.into());
                }
                if let [only] = errors.errors.as_slice()
                    && only.line == 0
                {
                    anyhow::bail!("{only}");
                }
                print_diagnostics(out, errors.errors.iter().chain(&errors.warnings))?;
                anyhow::bail!(
                    "{}: workflow spec has {}",
                    errors.file.display(),
                    plural(errors.errors.len(), "error")
                );
            }
            Ok(mut loaded) => {
                loaded.warnings.extend(webhook_secret_warning(&loaded));
                let derived = derived::derive(&loaded.workflow);
                if out.json() {
                    return out.json_value(&report(&loaded, &derived));
                }
                print_diagnostics(out, &loaded.warnings)?;
                if self.verbose {
                    out.out(details(&loaded, &derived))?;
                }
                let warnings = match loaded.warnings.len() {
                    0 => String::new(),
                    n => format!(" ({})", plural(n, "warning")),
                };
                out.out(format!(
                    "{} {} is valid{warnings}",
                    Mark::Ok,
                    loaded.file.display()
                ))?;
                Ok(())
            }
        }
    }
}

/// A warning when the workflow has webhook triggers but no webhook secret is provisioned
/// where the engine will look (the secrets cascade, or `WEBHOOK_SECRET`): the engine refuses
/// every delivery (401) until there is one.
fn webhook_secret_warning(loaded: &LoadedWorkflow) -> Option<tentacular_spec::Diagnostic> {
    use tentacular_engine::secrets::SecretsSource;
    let webhooks = loaded
        .workflow
        .triggers
        .iter()
        .any(|t| matches!(t.kind, TriggerKind::Webhook { .. }));
    if !webhooks {
        return None;
    }
    let from_env = std::env::var("WEBHOOK_SECRET").is_ok_and(|s| !s.is_empty());
    let provisioned = SecretsSource::for_workflow(loaded.dir.clone())
        .load()
        .ok()
        .and_then(|s| s.get("github", "webhook_secret").cloned())
        .is_some_and(|v| !v.expose().is_empty());
    if from_env || provisioned {
        return None;
    }
    Some(tentacular_spec::Diagnostic {
        severity: tentacular_spec::Severity::Warning,
        code: "webhook-secret",
        file: loaded.file.clone(),
        line: 0,
        column: 0,
        message: "the workflow has webhook triggers but no webhook secret is provisioned: the engine refuses every delivery (401) until one is".into(),
        hint: Some("set github.webhook_secret in .secrets.yaml (or the deployed Secret) to the secret configured on the GitHub webhook".into()),
        node: None,
        source_line: None,
        width: 1,
    })
}

/// The JSON document: the original's fields (`workflow`, `version`, counts, `hasContract`,
/// and with a contract `secrets`, `egressRules`, `ingressRules`) plus `valid`, `file`,
/// `stages`, `grants`, `errors` and `warnings`.
fn report(loaded: &LoadedWorkflow, derived: &Derived) -> Value {
    let wf = &loaded.workflow;
    let stages = dag::compile(wf)
        .map(|p| p.stages().to_vec())
        .unwrap_or_default();
    let mut v = json!({
        "valid": true,
        "file": loaded.file,
        "workflow": wf.name,
        "version": wf.version,
        "nodes": wf.nodes.len(),
        "edges": wf.edges.len(),
        "triggers": wf.triggers.len(),
        "hasContract": wf.contract.is_some(),
        "stages": stages,
    });
    if wf.contract.is_some() {
        v["secrets"] = json!(derived.secrets);
        v["egressRules"] = json!(derived.egress);
        v["ingressRules"] = json!(derived.ingress);
        v["grants"] = json!(derived.grants);
    }
    v["errors"] = json!([]);
    v["warnings"] = json!(loaded.warnings);
    v
}

fn details(loaded: &LoadedWorkflow, derived: &Derived) -> String {
    let wf = &loaded.workflow;
    let mut s = overview(wf);
    s.push_str(&format!("{}\n", head("Triggers:")));
    for t in &wf.triggers {
        s.push_str(&format!("  {}\n", trigger_line(t)));
    }
    if wf.contract.is_none() {
        s.push_str(&format!("{} none (no contract)\n", head("Contract:")));
        return s;
    }
    s.push_str(&derived_artifacts(derived));
    s
}

fn head(t: &str) -> String {
    paint(style::HEAD, t)
}

/// Name, version, description, counts and stages.
fn overview(wf: &Workflow) -> String {
    let mut s = format!("{} {} {}\n", head("Workflow:"), wf.name, wf.version);
    if let Some(d) = &wf.description {
        s.push_str(&format!("  {d}\n"));
    }
    s.push_str(&format!(
        "  {}, {}, {}\n",
        plural(wf.nodes.len(), "node"),
        plural(wf.edges.len(), "edge"),
        plural(wf.triggers.len(), "trigger")
    ));
    if let Ok(plan) = dag::compile(wf) {
        let stages: Vec<String> = plan
            .stages()
            .iter()
            .map(|st| {
                format!(
                    "[{}]",
                    st.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", ")
                )
            })
            .collect();
        s.push_str(&format!("{} {}\n", head("Stages:"), stages.join(" → ")));
    }
    s
}

/// `cron 0 9 * * * (At 09:00) "nightly"`.
fn trigger_line(t: &Trigger) -> String {
    let name = t
        .name
        .as_ref()
        .map_or(String::new(), |n| format!(" \"{n}\""));
    let what = match &t.kind {
        TriggerKind::Manual => "manual (POST /run)".to_string(),
        TriggerKind::Cron { schedule } => {
            format!("cron {} ({})", schedule.as_str(), schedule.describe())
        }
        TriggerKind::Webhook {
            provider,
            event,
            actions,
            ..
        } => {
            let mut w = format!("webhook /webhook/{}", provider.as_str());
            if let Some(e) = event {
                w.push_str(&format!(" event={e}"));
            }
            if !actions.is_empty() {
                w.push_str(&format!(" actions={}", actions.join(",")));
            }
            w
        }
        TriggerKind::Queue { subject } => format!("queue {subject} (not served yet)"),
    };
    format!("{what}{name}")
}

/// Secrets, egress and ingress rules, and each node's grants.
fn derived_artifacts(derived: &Derived) -> String {
    let list = |items: Vec<String>| -> String {
        if items.is_empty() {
            "    (none)\n".to_string()
        } else {
            items.iter().map(|i| format!("    {i}\n")).collect()
        }
    };
    let mut s = format!("{}\n", head("Derived artifacts:"));
    s.push_str("  Secrets:\n");
    s.push_str(&list(
        derived.secrets.iter().map(ToString::to_string).collect(),
    ));
    s.push_str("  Egress rules:\n");
    s.push_str(&list(
        derived
            .egress
            .iter()
            .map(|r| match &r.dependency {
                Some(d) => format!("{r} ({d})"),
                None => format!("{r} (additionalEgress)"),
            })
            .collect(),
    ));
    s.push_str("  Ingress rules:\n");
    s.push_str(&list(
        derived
            .ingress
            .iter()
            .map(|r| format!("{r}: {}", r.reason))
            .collect(),
    ));
    s.push_str("  Grants:\n");
    for g in &derived.grants {
        s.push_str(&grants_line(g));
    }
    s
}

/// `    fetch: github (https api.github.com:443, bearer-token github.token)`.
fn grants_line(g: &NodeGrants) -> String {
    let items: Vec<String> = g
        .grants
        .iter()
        .map(|gr| {
            let auth = match (&gr.auth_type, &gr.secret) {
                (Some(t), Some(sec)) => format!(", {t} {sec}"),
                _ => String::new(),
            };
            format!(
                "{} ({} {}{auth})",
                gr.dependency,
                gr.protocol,
                target_text(&gr.target)
            )
        })
        .collect();
    let shown = if items.is_empty() {
        "(none)".to_string()
    } else {
        items.join("; ")
    };
    let note = if g.defaulted && !g.grants.is_empty() {
        paint(style::DIM, " [no uses: everything]")
    } else {
        String::new()
    };
    format!("    {}: {shown}{note}\n", g.node)
}

/// `host:port`, `cidr on 443/TCP, 80/TCP` or `package@version`.
fn target_text(target: &DependencyTarget) -> String {
    match target {
        DependencyTarget::Host { host, port } => format!("{host}:{port}"),
        DependencyTarget::Cidr { cidr, ports } => format!(
            "{cidr} on {}",
            ports
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        DependencyTarget::Package { name, version } => format!(
            "{name}{}",
            version.as_ref().map_or(String::new(), |v| format!("@{v}"))
        ),
    }
}
