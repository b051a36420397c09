//! `tntc visualize [dir]`: the DAG as Mermaid (default) or Graphviz dot.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use serde_json::json;
use tentacular_spec::derived::{self, DependencyTarget, Derived};
use tentacular_spec::{TriggerKind, Workflow};

use super::load_workflow;
use crate::output::{Mark, Output};

/// Prints (or writes) a diagram of the workflow's nodes and edges.
#[derive(Debug, Args)]
pub struct Visualize {
    /// The workflow directory. By default, the current directory.
    #[arg(default_value = ".")]
    pub dir: PathBuf,

    /// Diagram language.
    #[arg(long, value_enum, default_value_t = DiagramFormat::Mermaid)]
    pub format: DiagramFormat,

    /// Also draw the contract's dependencies (with the nodes granted each) and, with a
    /// contract, add a summary of the derived secrets, egress and ingress rules.
    #[arg(long)]
    pub rich: bool,

    /// Write workflow-diagram.md (or .dot) and, with --rich, contract-summary.md into the
    /// workflow directory instead of printing.
    #[arg(long)]
    pub write: bool,
}

/// Diagram languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagramFormat {
    /// A fenced ```mermaid block (renders on GitHub and most Markdown viewers).
    Mermaid,
    /// Graphviz dot.
    Dot,
}

impl Visualize {
    pub fn run(self, out: &Output) -> anyhow::Result<()> {
        let loaded = load_workflow(&self.dir, out)?;
        let wf = &loaded.workflow;
        let derived = derived::derive(wf);
        let diagram = match self.format {
            DiagramFormat::Mermaid => mermaid(wf, &derived, self.rich),
            DiagramFormat::Dot => dot(wf, &derived, self.rich),
        };
        let summary = (self.rich && wf.contract.is_some()).then(|| summary(wf, &derived));
        if self.write {
            let name = match self.format {
                DiagramFormat::Mermaid => "workflow-diagram.md",
                DiagramFormat::Dot => "workflow-diagram.dot",
            };
            let mut written = vec![loaded.dir.join(name)];
            let body = match self.format {
                DiagramFormat::Mermaid => format!("# {}\n\n{diagram}", wf.name),
                DiagramFormat::Dot => diagram.clone(),
            };
            std::fs::write(&written[0], body)
                .with_context(|| format!("cannot write {}", written[0].display()))?;
            if let Some(s) = &summary {
                let p = loaded.dir.join("contract-summary.md");
                std::fs::write(&p, s).with_context(|| format!("cannot write {}", p.display()))?;
                written.push(p);
            }
            if out.json() {
                return out.json_value(&json!({"written": written}));
            }
            for p in written {
                out.out(format!("{} wrote {}", Mark::Ok, p.display()))?;
            }
            return Ok(());
        }
        if out.json() {
            return out.json_value(&json!({
                "format": match self.format { DiagramFormat::Mermaid => "mermaid", DiagramFormat::Dot => "dot" },
                "diagram": diagram,
                "contractSummary": summary,
            }));
        }
        out.out(diagram.trim_end())?;
        if let Some(s) = summary {
            match self.format {
                DiagramFormat::Mermaid => out.out(format!("\n{}", s.trim_end()))?,
                // stdout stays valid DOT (`tntc visualize --format dot --rich | dot -Tsvg`);
                // the Markdown summary goes to stderr.
                DiagramFormat::Dot => out.err(s.trim_end())?,
            }
        }
        Ok(())
    }
}

/// Mermaid ids: letters, digits and `_` only (a `-` in an id can read as an edge), made unique.
fn mermaid_ids<'a>(names: impl Iterator<Item = &'a str>, prefix: &str) -> HashMap<String, String> {
    let mut ids = HashMap::new();
    let mut taken: Vec<String> = Vec::new();
    for name in names {
        let base: String = format!("{prefix}{name}")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let mut id = base.clone();
        let mut n = 2;
        while taken.contains(&id) {
            id = format!("{base}_{n}");
            n += 1;
        }
        taken.push(id.clone());
        ids.insert(name.to_string(), id);
    }
    ids
}

fn sorted_nodes(wf: &Workflow) -> Vec<&str> {
    let mut v: Vec<&str> = wf.nodes.keys().map(|n| n.as_str()).collect();
    v.sort_unstable();
    v
}

fn sorted_edges(wf: &Workflow) -> Vec<(&str, &str)> {
    let mut v: Vec<(&str, &str)> = wf
        .edges
        .iter()
        .map(|e| (e.from.as_str(), e.to.as_str()))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

fn endpoint(t: &DependencyTarget) -> String {
    match t {
        DependencyTarget::Host { host, port } => format!("{host}:{port}"),
        DependencyTarget::Cidr { cidr, .. } => cidr.to_string(),
        DependencyTarget::Package { name, .. } => name.clone(),
    }
}

/// `(name, endpoint)` of each dependency, and `(node, dependency)` of each grant.
struct DependencyView {
    deps: Vec<(String, String)>,
    grants: Vec<(String, String)>,
}

/// Each dependency's endpoint, and the (node, dependency) grant pairs, sorted.
fn dependency_view(wf: &Workflow, derived: &Derived) -> DependencyView {
    let mut deps: Vec<(String, String)> = wf
        .contract
        .iter()
        .flat_map(|c| c.dependencies.iter())
        .map(|(name, dep)| {
            let ep = derived::target_of(dep).map_or_else(String::new, |t| endpoint(&t));
            (name.to_string(), ep)
        })
        .collect();
    let mut grants: Vec<(String, String)> = derived
        .grants
        .iter()
        .flat_map(|g| {
            g.grants
                .iter()
                .map(|gr| (g.node.to_string(), gr.dependency.to_string()))
        })
        .collect();
    deps.sort();
    grants.sort();
    DependencyView { deps, grants }
}

fn mermaid(wf: &Workflow, derived: &Derived, rich: bool) -> String {
    let nodes = sorted_nodes(wf);
    let ids = mermaid_ids(nodes.iter().copied(), "");
    let mut s = String::from("```mermaid\ngraph TD\n");
    for n in &nodes {
        s.push_str(&format!("  {}[\"{n}\"]\n", ids[*n]));
    }
    for (a, b) in sorted_edges(wf) {
        s.push_str(&format!("  {} --> {}\n", ids[a], ids[b]));
    }
    if rich {
        let DependencyView { deps, grants } = dependency_view(wf, derived);
        let dep_ids = mermaid_ids(deps.iter().map(|(n, _)| n.as_str()), "dep_");
        for (d, ep) in &deps {
            s.push_str(&format!("  {}[(\"{d}<br/>{ep}\")]\n", dep_ids[d]));
        }
        for (n, d) in &grants {
            s.push_str(&format!("  {} -.-> {}\n", ids[n], dep_ids[d]));
        }
        for (d, _) in &deps {
            s.push_str(&format!(
                "  style {} fill:#f5f5f5,stroke:#999,stroke-dasharray: 4 2\n",
                dep_ids[d]
            ));
        }
        let roots: Vec<&str> = nodes
            .iter()
            .copied()
            .filter(|n| !wf.edges.iter().any(|e| e.to.as_str() == *n))
            .collect();
        for (i, t) in wf.triggers.iter().enumerate() {
            let label = trigger_label(&t.kind, t.name.as_ref().map(|n| n.as_str()));
            s.push_str(&format!("  trigger_{i}([\"{label}\"])\n"));
            for r in &roots {
                s.push_str(&format!("  trigger_{i} --> {}\n", ids[*r]));
            }
        }
    }
    s.push_str("```\n");
    s
}

fn trigger_label(k: &TriggerKind, name: Option<&str>) -> String {
    let base = match k {
        TriggerKind::Manual => "manual".to_string(),
        TriggerKind::Cron { schedule } => format!("cron {}", schedule.as_str()),
        TriggerKind::Webhook { provider, .. } => format!("webhook {}", provider.as_str()),
        TriggerKind::Queue { subject } => format!("queue {subject}"),
    };
    match name {
        Some(n) => format!("{base} ({n})"),
        None => base,
    }
}

/// A dot string literal; newlines become dot's `\n` line breaks.
fn quote(s: &str) -> String {
    let escaped = s
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n");
    format!("\"{escaped}\"")
}

fn dot(wf: &Workflow, derived: &Derived, rich: bool) -> String {
    let mut s = format!(
        "digraph {} {{\n  rankdir=TB;\n  node [shape=box];\n",
        quote(wf.name.as_str())
    );
    for n in sorted_nodes(wf) {
        s.push_str(&format!("  {};\n", quote(n)));
    }
    for (a, b) in sorted_edges(wf) {
        s.push_str(&format!("  {} -> {};\n", quote(a), quote(b)));
    }
    if rich {
        let DependencyView { deps, grants } = dependency_view(wf, derived);
        for (d, ep) in &deps {
            s.push_str(&format!(
                "  {} [shape=cylinder, style=dashed, label={}];\n",
                quote(&format!("dep:{d}")),
                quote(&format!("{d}\n{ep}"))
            ));
        }
        for (n, d) in &grants {
            s.push_str(&format!(
                "  {} -> {} [style=dashed];\n",
                quote(n),
                quote(&format!("dep:{d}"))
            ));
        }
    }
    s.push_str("}\n");
    s
}

/// The contract summary: secrets, egress and ingress, as Markdown.
fn summary(wf: &Workflow, derived: &Derived) -> String {
    let mut s = format!("## Derived Artifacts: {}\n\n### Secrets\n\n", wf.name);
    if derived.secrets.is_empty() {
        s.push_str("None.\n");
    }
    for sec in &derived.secrets {
        s.push_str(&format!("- `{sec}`\n"));
    }
    s.push_str("\n### Egress\n\n| Host | Port | Protocol | For |\n| --- | --- | --- | --- |\n");
    for r in &derived.egress {
        s.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            r.host,
            r.port.map_or("all".into(), |p| p.to_string()),
            r.protocol.map_or("all".into(), |p| p.to_string()),
            r.dependency
                .as_ref()
                .map_or("additionalEgress".into(), |d| d.to_string()),
        ));
    }
    s.push_str("\n### Ingress\n\n| Port | Protocol | From | Why |\n| --- | --- | --- | --- |\n");
    for r in &derived.ingress {
        let from = r.to_string();
        let from = from
            .split_once("(from: ")
            .map_or("", |(_, f)| f.trim_end_matches(')'));
        s.push_str(&format!(
            "| {} | {} | {from} | {} |\n",
            r.port, r.protocol, r.reason
        ));
    }
    s
}
