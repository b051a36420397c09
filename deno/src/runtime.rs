//! Which runtime a node runs in: its own `runtime`, else the workflow's `config.runtime`, else
//! Deno when its source imports `npm:`, `jsr:` or remote modules (as workflows written for the
//! original do; `validate` warns with `runtime-auto-deno`), else the wasm sandbox.

use tentacular_spec::deno_only_imports;
use tentacular_spec::{LoadedWorkflow, NodeId, Runtime};

/// Why a node runs in the runtime it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// `nodes.<id>.runtime` or `config.runtime` says so.
    Declared,
    /// No runtime declared, and the node imports this Deno-only specifier.
    Import(String),
    /// The default (wasm).
    Default,
}

/// The runtime `node` runs in, and why.
pub fn of(loaded: &LoadedWorkflow, node: &NodeId) -> (Runtime, Reason) {
    let wf = &loaded.workflow;
    let declared = wf
        .nodes
        .get(node)
        .and_then(|n| n.runtime)
        .or(wf.config.runtime);
    if let Some(r) = declared {
        return (r, Reason::Declared);
    }
    let import = wf
        .nodes
        .get(node)
        .and_then(|n| std::fs::read_to_string(loaded.dir.join(n.path.as_str())).ok())
        .and_then(|src| deno_only_imports(&src).into_iter().next());
    match import {
        Some(i) => (Runtime::Deno, Reason::Import(i)),
        None => (Runtime::Wasm, Reason::Default),
    }
}

/// Whether `node` runs in Deno.
pub fn is_deno(loaded: &LoadedWorkflow, node: &NodeId) -> bool {
    of(loaded, node).0 == Runtime::Deno
}

/// The nodes of `loaded` that run in Deno, in workflow order.
pub fn deno_nodes(loaded: &LoadedWorkflow) -> Vec<NodeId> {
    loaded
        .workflow
        .nodes
        .keys()
        .filter(|n| is_deno(loaded, n))
        .cloned()
        .collect()
}
