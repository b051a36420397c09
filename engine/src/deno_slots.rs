//! The Deno nodes of a workflow as executor slots: Deno found and the child started (each
//! node loaded, or its load error), or no Deno here (each node says why and how to install it).

use std::collections::HashMap;
use std::sync::Arc;

use tentacular_deno::Supervisor;
use tentacular_sandbox::LoadError;
use tentacular_spec::{LoadedWorkflow, NodeId};

use crate::executor::{LoadOptions, Slot};

/// One slot (or load error) per node of `nodes`.
pub(crate) async fn load(
    loaded: &LoadedWorkflow,
    nodes: &[NodeId],
    options: &LoadOptions,
) -> HashMap<NodeId, Result<Slot, LoadError>> {
    if nodes.is_empty() {
        return HashMap::new();
    }
    let file = |n: &NodeId| loaded.workflow.nodes[n].path.as_str().to_string();
    let deno = match tentacular_deno::locate(options.deno.as_deref()) {
        Ok(l) => l.path,
        Err(e) => {
            return nodes
                .iter()
                .map(|n| (n.clone(), Ok(Slot::NoDeno(e.to_string()))))
                .collect();
        }
    };
    let (supervisor, loads) = match Supervisor::start_workflow(loaded, &deno).await {
        Ok(s) => s,
        Err(e) => {
            return nodes
                .iter()
                .map(|n| {
                    let error = LoadError::Engine {
                        file: file(n),
                        message: e.to_string(),
                    };
                    (n.clone(), Err(error))
                })
                .collect();
        }
    };
    let supervisor = Arc::new(supervisor);
    loads
        .into_iter()
        .map(|(n, r)| {
            let slot = match r {
                Ok(()) => Ok(Slot::Deno(supervisor.clone())),
                Err(e) => Err(LoadError::Evaluation {
                    file: file(&n),
                    message: format!("{}: {}", e.name, e.message),
                    stack: String::new(),
                }),
            };
            (n, slot)
        })
        .collect()
}
