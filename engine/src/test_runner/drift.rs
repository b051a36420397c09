//! Contract drift: where the nodes and the contract disagree.
//!
//! Fixes the original's report: only an *undeclared dependency* is a violation (it fails
//! `tntc test` unless `--warn`); a dead declaration and legacy `ctx.fetch`/`ctx.secrets` use
//! are warnings, because they are legitimate in workflows written for the original.

use std::collections::BTreeSet;

use serde::Serialize;

use super::transport::Traffic;
use crate::secrets::legacy_references;
use tentacular_spec::{LoadedWorkflow, Runtime};

/// One finding.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// `undeclared-dependency`, `dead-declaration`, `direct-fetch`, `direct-secrets`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// What and where.
    pub message: String,
    /// How to fix it.
    pub suggestion: String,
}

/// Counts.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Any violation.
    pub has_violations: bool,
    /// Dependencies reached during the tests.
    pub dependencies_accessed: Vec<String>,
    /// Legacy `ctx.fetch` calls seen.
    pub direct_fetch_calls: usize,
    /// Services read through legacy `ctx.secrets`.
    pub direct_secrets_access: Vec<String>,
    /// Declared dependencies no test reached.
    pub dead_declarations: Vec<String>,
    /// Dependencies nodes ask for that the contract does not declare.
    pub undeclared_dependencies: Vec<String>,
}

/// The drift report.
#[derive(Debug, Clone, Serialize)]
pub struct DriftReport {
    /// Findings that fail the tests (unless `--warn`).
    pub violations: Vec<Finding>,
    /// Findings that never fail.
    pub warnings: Vec<Finding>,
    /// Counts.
    pub summary: Summary,
}

/// Builds the report from the node sources and what the tests did.
pub fn report(loaded: &LoadedWorkflow, traffic: &Traffic) -> DriftReport {
    let declared: BTreeSet<String> = loaded
        .workflow
        .contract
        .as_ref()
        .map(|c| c.dependencies.keys().map(|k| k.to_string()).collect())
        .unwrap_or_default();
    let mut asked: BTreeSet<String> = BTreeSet::new();
    let mut secrets_read: BTreeSet<String> = BTreeSet::new();
    let mut deno_deps: BTreeSet<String> = BTreeSet::new();
    let mut legacy_in_source = Vec::new();
    for (id, node) in &loaded.workflow.nodes {
        let Ok(source) = std::fs::read_to_string(loaded.dir.join(&node.path)) else {
            continue;
        };
        let names = dependency_names(&source);
        if loaded.workflow.runtime_of(id) == Runtime::Deno {
            deno_deps.extend(names.iter().cloned());
        }
        asked.extend(names);
        secrets_read.extend(legacy_references(&source));
        if source.contains("ctx.fetch(") {
            legacy_in_source.push(id.to_string());
        }
    }
    let undeclared: Vec<String> = asked.difference(&declared).cloned().collect();
    let dead: Vec<String> = declared
        .iter()
        // Referenced in source (e.g. a Postgres dependency whose host a node reads) counts as used.
        .filter(|d| {
            !traffic.dependencies.contains(*d) && !deno_deps.contains(*d) && !asked.contains(*d)
        })
        .cloned()
        .collect();
    let violations = undeclared
        .iter()
        .map(|d| Finding {
            kind: "undeclared-dependency",
            message: format!(
                "a node calls ctx.dependency(\"{d}\"), which the contract does not declare"
            ),
            suggestion: format!("add {d} to contract.dependencies in workflow.yaml"),
        })
        .collect::<Vec<_>>();
    let mut warnings: Vec<Finding> = dead
        .iter()
        .map(|d| Finding {
            kind: "dead-declaration",
            message: format!("dependency \"{d}\" is declared but no test reached it"),
            suggestion: "add a fixture that exercises it, or remove the declaration".into(),
        })
        .collect();
    for node in &legacy_in_source {
        warnings.push(Finding {
            kind: "direct-fetch",
            message: format!("node \"{node}\" uses legacy ctx.fetch"),
            suggestion: "use ctx.dependency(\"<name>\").fetch(path) so the contract names the host"
                .into(),
        });
    }
    for svc in &secrets_read {
        warnings.push(Finding {
            kind: "direct-secrets",
            message: format!("legacy ctx.secrets.{svc} read"),
            suggestion: format!(
                "declare auth on a dependency and use ctx.dependency(\"{svc}\").secret"
            ),
        });
    }
    DriftReport {
        summary: Summary {
            has_violations: !violations.is_empty(),
            dependencies_accessed: traffic.dependencies.iter().cloned().collect(),
            direct_fetch_calls: traffic.legacy_fetches,
            direct_secrets_access: secrets_read.into_iter().collect(),
            dead_declarations: dead,
            undeclared_dependencies: undeclared,
        },
        violations,
        warnings,
    }
}

/// Literal names in `ctx.dependency("…")` calls.
fn dependency_names(source: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = source;
    while let Some(i) = rest.find(".dependency(") {
        rest = &rest[i + ".dependency(".len()..];
        let trimmed = rest.trim_start();
        if let Some(q) = trimmed
            .chars()
            .next()
            .filter(|c| *c == '"' || *c == '\'' || *c == '`')
            && let Some(end) = trimmed[1..].find(q)
        {
            out.insert(trimmed[1..1 + end].to_string());
        }
    }
    out
}
