//! The DAG compiler: a workflow's nodes in deterministic stages, and each node's input.
//!
//! Stages come from Kahn's algorithm taken layer by layer: stage 0 holds the nodes without
//! incoming edges, and a node's stage is one more than its latest parent's. Within a stage
//! nodes are in alphabetical order, so the same workflow always gives the same plan:
//!
//! ```
//! # use tentacular_spec::{Workflow, dag};
//! let yaml = r#"
//! name: diamond
//! version: "1.0"
//! triggers: [{type: manual}]
//! nodes:
//!   d: {path: ./d.ts, description: d}
//!   c: {path: ./c.ts, description: c}
//!   b: {path: ./b.ts, description: b}
//!   a: {path: ./a.ts, description: a}
//! edges: [{from: a, to: b}, {from: a, to: c}, {from: b, to: d}, {from: c, to: d}]
//! "#;
//! let wf = Workflow::parse(yaml, "workflow.yaml").unwrap().workflow;
//! let plan = dag::compile(&wf).unwrap();
//! assert_eq!(plan.stages(), [vec!["a"], vec!["b", "c"], vec!["d"]]);
//! ```

use std::collections::{BTreeSet, HashMap};

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::{Edge, NodeId, Workflow};

/// Why a workflow's nodes and edges do not make a DAG, or a node's input cannot be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DagError {
    /// The workflow's edges form a cycle.
    #[error("cycle detected: {}", format_cycle(cycle))]
    Cycle {
        /// The nodes of the cycle, the first repeated at the end (`a → b → a`).
        cycle: Vec<NodeId>,
    },

    /// An edge names a node that the workflow does not define.
    #[error("edge {from} → {to} names node \"{node}\", which is not defined in nodes")]
    UnknownNode {
        /// The undefined node.
        node: NodeId,
        /// The edge's `from`.
        from: NodeId,
        /// The edge's `to`.
        to: NodeId,
    },

    /// A node's input was asked for before one of its parents produced an output.
    #[error("node \"{node}\" cannot start: its parent \"{parent}\" has no output")]
    MissingParentOutput {
        /// The node whose input was asked for.
        node: NodeId,
        /// The parent without an output.
        parent: NodeId,
    },
}

/// A compiled workflow: its stages and who feeds whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    stages: Vec<Vec<NodeId>>,
    /// Each node's parents, in edge-declaration order (duplicates removed).
    parents: IndexMap<NodeId, Vec<NodeId>>,
    /// Each node's children, in edge-declaration order (duplicates removed).
    children: IndexMap<NodeId, Vec<NodeId>>,
}

/// Compiles a workflow's nodes and edges into stages.
///
/// Fails with [`DagError::UnknownNode`] when an edge names an undefined node and with
/// [`DagError::Cycle`] when the edges form a cycle. Workflows from [`Workflow::load`] or
/// [`Workflow::parse`] have neither.
pub fn compile(workflow: &Workflow) -> Result<Plan, DagError> {
    let mut parents: IndexMap<NodeId, Vec<NodeId>> = IndexMap::new();
    let mut children: IndexMap<NodeId, Vec<NodeId>> = IndexMap::new();
    for id in workflow.nodes.keys() {
        parents.insert(id.clone(), Vec::new());
        children.insert(id.clone(), Vec::new());
    }
    for e in &workflow.edges {
        for end in [&e.from, &e.to] {
            if !workflow.nodes.contains_key(end) {
                return Err(DagError::UnknownNode {
                    node: end.clone(),
                    from: e.from.clone(),
                    to: e.to.clone(),
                });
            }
        }
        let p = &mut parents[&e.to];
        if !p.contains(&e.from) {
            p.push(e.from.clone());
        }
        let c = &mut children[&e.from];
        if !c.contains(&e.to) {
            c.push(e.to.clone());
        }
    }

    // Kahn's algorithm, one layer at a time; BTreeSet keeps each layer alphabetical.
    let mut indegree: HashMap<&NodeId, usize> =
        parents.iter().map(|(id, p)| (id, p.len())).collect();
    let mut layer: BTreeSet<&NodeId> = indegree
        .iter()
        .filter(|(_, d)| **d == 0)
        .map(|(id, _)| *id)
        .collect();
    let mut stages = Vec::new();
    let mut placed = 0;
    while !layer.is_empty() {
        let mut next = BTreeSet::new();
        for id in &layer {
            for child in &children[*id] {
                let d = indegree.get_mut(child).expect("every child is a node");
                *d -= 1;
                if *d == 0 {
                    next.insert(child);
                }
            }
        }
        placed += layer.len();
        stages.push(layer.into_iter().cloned().collect::<Vec<_>>());
        layer = next;
    }
    if placed < workflow.nodes.len() {
        let cycle = find_cycle(workflow.nodes.keys(), &workflow.edges)
            .expect("Kahn's algorithm left nodes unplaced, so there is a cycle");
        return Err(DagError::Cycle { cycle });
    }
    Ok(Plan {
        stages,
        parents,
        children,
    })
}

impl Plan {
    /// The stages, in order; nodes of a stage may run concurrently.
    pub fn stages(&self) -> &[Vec<NodeId>] {
        &self.stages
    }

    /// Every node, stage by stage.
    pub fn order(&self) -> impl Iterator<Item = &NodeId> {
        self.stages.iter().flatten()
    }

    /// A node's parents in edge-declaration order (empty for a root or an unknown node).
    pub fn parents(&self, node: &NodeId) -> &[NodeId] {
        self.parents.get(node).map_or(&[], Vec::as_slice)
    }

    /// A node's children in edge-declaration order (empty for a leaf or an unknown node).
    pub fn children(&self, node: &NodeId) -> &[NodeId] {
        self.children.get(node).map_or(&[], Vec::as_slice)
    }

    /// The nodes without parents; they receive the trigger's input.
    pub fn roots(&self) -> impl Iterator<Item = &NodeId> {
        self.order().filter(|n| self.parents(n).is_empty())
    }

    /// The nodes without children; their outputs are the workflow's results.
    pub fn leaves(&self) -> impl Iterator<Item = &NodeId> {
        self.order().filter(|n| self.children(n).is_empty())
    }

    /// The stage a node is in.
    pub fn stage_of(&self, node: &NodeId) -> Option<usize> {
        self.stages.iter().position(|s| s.contains(node))
    }

    /// The input a node receives:
    ///
    /// - a root gets `trigger_input` (the `/run` body, the fixture's `input`, …);
    /// - a node with one parent gets that parent's output as is;
    /// - a node with several parents gets an object keyed by parent id, in edge-declaration
    ///   order: `{"fetch": …, "scan": …}`.
    ///
    /// `output_of` looks up outputs produced so far; a parent without one is
    /// [`DagError::MissingParentOutput`].
    pub fn input_for<'v>(
        &self,
        node: &NodeId,
        trigger_input: &Value,
        output_of: impl Fn(&NodeId) -> Option<&'v Value>,
    ) -> Result<Value, DagError> {
        let missing = |parent: &NodeId| DagError::MissingParentOutput {
            node: node.clone(),
            parent: parent.clone(),
        };
        match self.parents(node) {
            [] => Ok(trigger_input.clone()),
            [one] => output_of(one).cloned().ok_or_else(|| missing(one)),
            several => {
                let mut obj = Map::new();
                for p in several {
                    let out = output_of(p).ok_or_else(|| missing(p))?;
                    obj.insert(p.to_string(), out.clone());
                }
                Ok(Value::Object(obj))
            }
        }
    }
}

/// A cycle among `edges`, as the path `[a, b, …, a]`, or `None`. Edges naming undefined
/// nodes are ignored. Deterministic: nodes are explored in the order given, children in
/// edge-declaration order.
pub fn find_cycle<'a>(
    nodes: impl IntoIterator<Item = &'a NodeId>,
    edges: &[Edge],
) -> Option<Vec<NodeId>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        White,
        Grey,
        Black,
    }
    let nodes: Vec<&NodeId> = nodes.into_iter().collect();
    let mut children: HashMap<&NodeId, Vec<&NodeId>> =
        nodes.iter().map(|n| (*n, Vec::new())).collect();
    for e in edges {
        if children.contains_key(&e.to)
            && let Some(c) = children.get_mut(&e.from)
        {
            c.push(&e.to);
        }
    }
    let mut mark: HashMap<&NodeId, Mark> = nodes.iter().map(|n| (*n, Mark::White)).collect();
    for start in &nodes {
        if mark[start] != Mark::White {
            continue;
        }
        // Iterative DFS: (node, index of the next child to visit).
        let mut stack: Vec<(&NodeId, usize)> = vec![(start, 0)];
        mark.insert(start, Mark::Grey);
        while let Some((node, i)) = stack.last_mut() {
            let node: &NodeId = node;
            match children[node].get(*i) {
                Some(child) => {
                    *i += 1;
                    match mark[child] {
                        Mark::White => {
                            mark.insert(child, Mark::Grey);
                            stack.push((child, 0));
                        }
                        Mark::Grey => {
                            let from = stack.iter().position(|(n, _)| n == child)?;
                            let mut cycle: Vec<NodeId> =
                                stack[from..].iter().map(|(n, _)| (*n).clone()).collect();
                            cycle.push((*child).clone());
                            return Some(cycle);
                        }
                        Mark::Black => {}
                    }
                }
                None => {
                    mark.insert(node, Mark::Black);
                    stack.pop();
                }
            }
        }
    }
    None
}

/// `a → b → a`.
pub fn format_cycle(cycle: &[NodeId]) -> String {
    cycle
        .iter()
        .map(NodeId::as_str)
        .collect::<Vec<_>>()
        .join(" → ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn wf(nodes: &[&str], edges: &[(&str, &str)]) -> Workflow {
        let mut y = String::from("name: t\nversion: \"1.0\"\ntriggers: [{type: manual}]\nnodes:\n");
        for n in nodes {
            y.push_str(&format!("  {n}: {{path: ./{n}.ts, description: x}}\n"));
        }
        y.push_str("edges:\n");
        for (a, b) in edges {
            y.push_str(&format!("  - {{from: {a}, to: {b}}}\n"));
        }
        if edges.is_empty() {
            y.push_str("  []\n");
        }
        Workflow::parse(&y, "workflow.yaml").unwrap().workflow
    }

    fn ids(v: &[&str]) -> Vec<NodeId> {
        v.iter().map(|s| NodeId::new(*s).unwrap()).collect()
    }

    #[test]
    fn single_node() {
        let p = compile(&wf(&["only"], &[])).unwrap();
        assert_eq!(p.stages(), [ids(&["only"])]);
    }

    #[test]
    fn chain() {
        let p = compile(&wf(&["c", "b", "a"], &[("a", "b"), ("b", "c")])).unwrap();
        assert_eq!(p.stages(), [ids(&["a"]), ids(&["b"]), ids(&["c"])]);
    }

    #[test]
    fn diamond_is_deterministic() {
        let p = compile(&wf(
            &["d", "c", "b", "a"],
            &[("a", "c"), ("a", "b"), ("b", "d"), ("c", "d")],
        ))
        .unwrap();
        assert_eq!(p.stages(), [ids(&["a"]), ids(&["b", "c"]), ids(&["d"])]);
        assert_eq!(p.parents(&ids(&["d"])[0]), ids(&["b", "c"]));
        assert_eq!(p.roots().collect::<Vec<_>>(), [&ids(&["a"])[0]]);
        assert_eq!(p.leaves().collect::<Vec<_>>(), [&ids(&["d"])[0]]);
    }

    #[test]
    fn stage_is_longest_path() {
        // a → b → c and a → c: c waits for b.
        let p = compile(&wf(
            &["a", "b", "c", "z"],
            &[("a", "b"), ("b", "c"), ("a", "c")],
        ))
        .unwrap();
        assert_eq!(p.stages(), [ids(&["a", "z"]), ids(&["b"]), ids(&["c"])]);
        assert_eq!(p.stage_of(&ids(&["c"])[0]), Some(2));
    }

    #[test]
    fn inputs() {
        let p = compile(&wf(
            &["a", "b", "c", "d"],
            &[("a", "b"), ("c", "d"), ("a", "d")],
        ))
        .unwrap();
        let [a, b, c, d] = [0, 1, 2, 3].map(|i| ids(&["a", "b", "c", "d"])[i].clone());
        let outs: HashMap<NodeId, Value> =
            [(a.clone(), json!({"x": 1})), (c.clone(), json!([2]))].into();
        let trigger = json!({"trigger": "t"});
        assert_eq!(p.input_for(&a, &trigger, |n| outs.get(n)).unwrap(), trigger);
        assert_eq!(
            p.input_for(&b, &trigger, |n| outs.get(n)).unwrap(),
            json!({"x": 1})
        );
        // Several parents: keyed by id, in edge-declaration order (c before a).
        let input = p.input_for(&d, &trigger, |n| outs.get(n)).unwrap();
        assert_eq!(input, json!({"c": [2], "a": {"x": 1}}));
        let keys: Vec<_> = input.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["c", "a"]);
        let none: HashMap<NodeId, Value> = HashMap::new();
        assert!(matches!(
            p.input_for(&b, &trigger, |n| none.get(n)),
            Err(DagError::MissingParentOutput { .. })
        ));
    }

    #[test]
    fn cycles_are_named() {
        let nodes = ids(&["a", "b", "c"]);
        let e = |a: &str, b: &str| Edge {
            from: NodeId::new(a).unwrap(),
            to: NodeId::new(b).unwrap(),
        };
        let cycle = find_cycle(&nodes, &[e("a", "b"), e("b", "c"), e("c", "a")]).unwrap();
        assert_eq!(format_cycle(&cycle), "a → b → c → a");
        assert_eq!(find_cycle(&nodes, &[e("a", "b"), e("b", "c")]), None);
        let self_loop = find_cycle(&nodes, &[e("b", "b")]).unwrap();
        assert_eq!(format_cycle(&self_loop), "b → b");

        // compile() on a hand-built workflow with a cycle.
        let mut w = wf(&["a", "b"], &[("a", "b")]);
        w.edges.push(e("b", "a"));
        let err = compile(&w).unwrap_err();
        assert_eq!(err.to_string(), "cycle detected: a → b → a");
    }
}
