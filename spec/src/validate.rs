//! Checks that span several parts of the file: edges against nodes, cycles, `uses` against
//! the contract, and the runtime a node's imports need.

use std::collections::HashSet;

use indexmap::IndexMap;
use saphyr_parser::{Marker, Span};

use crate::contract::{Contract, Protocol};
use crate::deployment::Deployment;
use crate::ids::NodeId;
use crate::model::{Edge, NodeSpec, WorkflowConfig};
use crate::values::Runtime;
use crate::yaml::{Reader, did_you_mean};

pub(crate) fn cross_check(
    r: &mut Reader<'_>,
    nodes: Option<&IndexMap<NodeId, NodeSpec>>,
    edges: &[Edge],
    contract: Option<Option<&Contract>>,
    config: Option<&WorkflowConfig>,
    deployment: Option<Option<&Deployment>>,
) {
    if let (Some(Some(contract)), Some(deployment)) = (contract, deployment) {
        check_kubernetes_identity(r, contract, deployment);
    }
    let Some(nodes) = nodes else { return };
    check_edges(r, edges);
    if let Some(contract) = contract {
        check_uses(r, nodes, contract);
    }
    if let Some(config) = config {
        check_runtimes(r, nodes, config);
    }
}

/// A `kubernetes` dependency authenticates as the workflow's service account, so the
/// deployment must give it one.
fn check_kubernetes_identity(
    r: &mut Reader<'_>,
    contract: &Contract,
    deployment: Option<&Deployment>,
) {
    if deployment.is_some_and(|d| d.service_account.is_some()) {
        return;
    }
    for (name, dep) in &contract.dependencies {
        if dep.protocol != Protocol::Kubernetes {
            continue;
        }
        let span = r
            .spans
            .deps
            .get(name.as_str())
            .copied()
            .unwrap_or_else(origin);
        r.error(
            span,
            "kubernetes-needs-service-account",
            format!("dependency \"{name}\" (kubernetes) authenticates as the workflow's service account, and the deployment has none"),
            Some("add `serviceAccount: {create: true}` and the `rbac.rules` the node needs under deployment".into()),
        );
    }
}

fn origin() -> Span {
    Span::new(Marker::new(0, 1, 0), Marker::new(0, 1, 0))
}

/// `edges` are those that parsed; nodes are every valid id written (`r.spans.nodes`).
fn check_edges(r: &mut Reader<'_>, edges: &[Edge]) {
    let all: Vec<NodeId> = r.spans.nodes.keys().cloned().collect();
    let ids: Vec<&str> = all.iter().map(NodeId::as_str).collect();
    let mut ok = true;
    let mut seen = HashSet::new();
    for (i, e) in edges.iter().enumerate() {
        let (from_span, to_span) = r
            .spans
            .edges
            .get(i)
            .copied()
            .unwrap_or((origin(), origin()));
        for (end, span) in [(&e.from, from_span), (&e.to, to_span)] {
            if !all.contains(end) {
                let hint = did_you_mean(end.as_str(), &ids).map_or_else(
                    || format!("defined nodes: {}", ids.join(", ")),
                    |k| format!("did you mean \"{k}\"?"),
                );
                r.error(
                    span,
                    "edge-unknown-node",
                    format!(
                        "edge {} → {} names node \"{end}\", which is not defined in nodes",
                        e.from, e.to
                    ),
                    Some(hint),
                );
                ok = false;
            }
        }
        if e.from == e.to {
            r.error(
                from_span,
                "edge-self-loop",
                format!("edge {} → {} connects the node to itself", e.from, e.to),
                Some("remove it: a node cannot feed its own input".into()),
            );
            ok = false;
        }
        if !seen.insert((&e.from, &e.to)) {
            r.warn(
                from_span,
                "duplicate-edge",
                format!("edge {} → {} is declared twice", e.from, e.to),
                Some("remove the second one".into()),
            );
        }
    }
    if !ok {
        return;
    }
    if let Some(cycle) = crate::dag::find_cycle(&all, edges) {
        // Point at the edge that leaves the first node of the cycle.
        let at = edges
            .iter()
            .position(|e| e.from == cycle[0] && e.to == cycle[1])
            .and_then(|i| r.spans.edges.get(i).map(|s| s.0))
            .unwrap_or_else(origin);
        r.error(
            at,
            "cycle",
            format!("cycle detected: {}", crate::dag::format_cycle(&cycle)),
            Some("a workflow must be a DAG: remove one of these edges".into()),
        );
    }
}

fn check_uses(r: &mut Reader<'_>, nodes: &IndexMap<NodeId, NodeSpec>, contract: Option<&Contract>) {
    let declared: Vec<&str> = contract
        .map(|c| c.dependencies.keys().map(|d| d.as_str()).collect())
        .unwrap_or_default();
    let mut used: HashSet<&str> = HashSet::new();
    let mut all_explicit = true;
    for (id, spec) in nodes {
        let key = r.spans.nodes.get(id).copied().unwrap_or_else(origin);
        r.node = Some(id.clone());
        match &spec.uses {
            Some(uses) => {
                let spans = r.spans.uses.get(id).cloned().unwrap_or_default();
                for (i, dep) in uses.iter().enumerate() {
                    let span = spans.get(i).copied().unwrap_or(key);
                    used.insert(dep.as_str());
                    if contract.is_none() {
                        r.error(
                            span,
                            "unknown-dependency",
                            format!(
                                "node \"{id}\" uses \"{dep}\", but the workflow has no contract"
                            ),
                            Some(format!("declare it under contract.dependencies.{dep}")),
                        );
                    } else if !declared.contains(&dep.as_str()) {
                        let hint = did_you_mean(dep.as_str(), &declared).map_or_else(
                            || format!("declare it under contract.dependencies, or remove it (declared: {})", list_or_none(&declared)),
                            |k| format!("did you mean \"{k}\"?"),
                        );
                        r.error(
                            span,
                            "unknown-dependency",
                            format!(
                                "node \"{id}\" uses \"{dep}\", which the contract does not declare"
                            ),
                            Some(hint),
                        );
                    }
                }
            }
            None => {
                all_explicit = false;
                if !declared.is_empty() {
                    r.warn(
                        key,
                        "uses-defaulted",
                        format!(
                            "node \"{id}\" has no \"uses\": it is granted every dependency ({})",
                            declared.join(", ")
                        ),
                        Some("list only what it needs, e.g. uses: [] or uses: [name]".into()),
                    );
                }
            }
        }
    }
    r.node = None;
    // Only when every node parsed: a node with errors may well use the dependency.
    if all_explicit
        && nodes.len() == r.spans.nodes.len()
        && let Some(c) = contract
    {
        for name in c.dependencies.keys() {
            if !used.contains(name.as_str()) {
                r.warn(
                    r.spans.deps.get(name.as_str()).copied().unwrap_or_else(origin),
                    "dependency-unused",
                    format!("dependency \"{name}\" is not in any node's uses"),
                    Some("remove it from the contract, or add it to the uses of the node that needs it".into()),
                );
            }
        }
    }
}

fn list_or_none(items: &[&str]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

/// Nodes importing npm:/jsr:/remote modules need Deno: a warning when the runtime is left to
/// default (they switch to Deno automatically), an error when wasm was asked for.
fn check_runtimes(r: &mut Reader<'_>, nodes: &IndexMap<NodeId, NodeSpec>, config: &WorkflowConfig) {
    let Some(base) = r.base_dir.clone() else {
        return;
    };
    for (id, spec) in nodes {
        let Ok(source) = std::fs::read_to_string(base.join(&spec.path)) else {
            continue;
        };
        let Some(import) = deno_only_imports(&source).into_iter().next() else {
            continue;
        };
        let span = r
            .spans
            .paths
            .get(id)
            .or_else(|| r.spans.nodes.get(id))
            .copied()
            .unwrap_or_else(origin);
        r.node = Some(id.clone());
        match (spec.runtime, config.runtime) {
            (Some(Runtime::Deno), _) => {}
            (Some(Runtime::Wasm), _) | (None, Some(Runtime::Wasm)) => r.error(
                span,
                "runtime-needs-deno",
                format!("node \"{id}\" imports \"{import}\", which the wasm sandbox cannot load"),
                Some("set runtime: deno on this node, or copy the code it needs into the workflow directory".into()),
            ),
            (None, Some(Runtime::Deno)) => {}
            (None, None) => r.warn(
                span,
                "runtime-auto-deno",
                format!("node \"{id}\" imports \"{import}\", so it will run under Deno (compatibility mode)"),
                Some("say so with runtime: deno on the node; config.runtime: wasm would make this an error".into()),
            ),
        }
        r.node = None;
    }
}

/// The `npm:`, `jsr:`, `http(s)://` specifiers a module imports (static, dynamic and
/// re-exports), in order.
pub fn deno_only_imports(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in source.lines() {
        let t = line.trim_start();
        if t.starts_with("//") || t.starts_with('*') || t.starts_with("/*") {
            continue;
        }
        if !(t.contains("import") || t.contains("from")) {
            continue;
        }
        for quote in ['"', '\'', '`'] {
            let mut rest = t;
            while let Some(start) = rest.find(quote) {
                let after = &rest[start + 1..];
                let Some(end) = after.find(quote) else { break };
                let spec = &after[..end];
                let before = rest[..start].trim_end();
                let is_import = before.ends_with("from")
                    || before.ends_with("import")
                    || before.ends_with("import(");
                if is_import
                    && ["npm:", "jsr:", "http://", "https://"]
                        .iter()
                        .any(|p| spec.starts_with(p))
                {
                    out.push(spec.to_string());
                }
                rest = &after[end + 1..];
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_deno_only_imports() {
        let src = r#"
import type { Context } from "tentacular";
import { Client } from "jsr:@db/postgres@0.19.5";
// import x from "npm:commented";
import * as z from 'npm:zod';
const m = await import("https://deno.land/x/mod.ts");
export { a } from "./helper.ts";
const s = "npm:not-an-import";
"#;
        assert_eq!(
            deno_only_imports(src),
            vec![
                "jsr:@db/postgres@0.19.5",
                "npm:zod",
                "https://deno.land/x/mod.ts"
            ]
        );
    }
}
