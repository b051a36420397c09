//! Lowering the YAML tree into a [`Workflow`]: every field checked, every error collected.

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};
use saphyr_parser::{Marker, Span};

use crate::contract::Contract;
use crate::ids::{NodeId, WorkflowName};
use crate::model::{Edge, Workflow, WorkflowConfig};
use crate::parse_contract::contract;
use crate::parse_deployment::deployment;
use crate::parse_nodes::{duration, nodes, runtime};
use crate::parse_triggers::triggers;
use crate::values::{Extensions, WorkflowVersion};
use crate::yaml::{Fields, Node, Reader, Unknown, is_null, unwrap_tag};

/// The keys a workflow file may have at the top level (besides `x-*`).
pub const TOP_LEVEL_KEYS: [&str; 9] = [
    "name",
    "version",
    "description",
    "triggers",
    "nodes",
    "edges",
    "config",
    "deployment",
    "contract",
];

/// Parses the text of a workflow file. `None` when the YAML itself is unreadable or any error
/// was reported; the diagnostics are in the reader either way.
pub(crate) fn parse(r: &mut Reader<'_>, source: &str) -> Option<Workflow> {
    let docs = match MarkedYaml::load_from_str(source) {
        Ok(docs) => docs,
        Err(e) => {
            let m = *e.marker();
            r.error(
                Span::new(m, m),
                "yaml-syntax",
                format!("YAML syntax error: {}", e.info()),
                Some("check the indentation and quoting around this point".into()),
            );
            return None;
        }
    };
    let start = Span::new(Marker::new(0, 1, 0), Marker::new(0, 1, 0));
    let root = match docs.as_slice() {
        [] => {
            r.error(
                start,
                "empty-file",
                "the workflow file is empty",
                Some("`tntc init <name>` writes a starting point".into()),
            );
            return None;
        }
        [root] => root,
        [_, second, ..] => {
            r.error(
                second.span,
                "several-documents",
                "the workflow file must hold one YAML document, found several (separated by ---)",
                None,
            );
            return None;
        }
    };
    if is_null(root) {
        r.error(start, "empty-file", "the workflow file is empty", None);
        return None;
    }
    workflow(r, root, start)
}

fn workflow(r: &mut Reader<'_>, root: &Node<'_>, start: Span) -> Option<Workflow> {
    let mut f = r.fields(root, "the workflow file", start)?;
    let errors_before = r.diags.iter().filter(|d| d.is_error()).count();

    let name = r
        .required(
            &mut f,
            "name",
            "the workflow",
            Some("e.g. name: my-workflow".into()),
        )
        .and_then(|(v, _)| {
            let s = r.string(v, "name")?;
            r.id(v.span, WorkflowName::new(s), "name-format")
        });

    let version = r
        .required(
            &mut f,
            "version",
            "the workflow",
            Some("e.g. version: \"1.0\"".into()),
        )
        .and_then(|(v, _)| version(r, v));

    let description = f
        .value("description")
        .and_then(|(v, _)| r.string(v, "description"));

    let triggers = r
        .required(
            &mut f,
            "triggers",
            "the workflow",
            Some("add at least one, e.g. triggers: [{type: manual}]".into()),
        )
        .and_then(|(v, key)| triggers(r, v, key));

    // Nodes and edges that parsed are cross-checked even when some did not, so that every
    // problem is reported at once.
    let (nodes_seen, nodes) = match r.required(
        &mut f,
        "nodes",
        "the workflow",
        Some("add at least one node, e.g. nodes: {hello: {path: ./nodes/hello.ts}}".into()),
    ) {
        Some((v, key)) => match nodes(r, v, key) {
            Some((map, ok)) => {
                let complete = ok.then(|| map.clone());
                (Some(map), complete)
            }
            None => (None, None),
        },
        None => (None, None),
    };

    let (edges_seen, edges) = match f.value("edges") {
        Some((v, _)) => {
            let (list, ok) = edges(r, v);
            let complete = ok.then(|| list.clone());
            (list, complete)
        }
        None => (Vec::new(), Some(Vec::new())),
    };

    let config = match f.value("config") {
        Some((v, key)) => config(r, v, key),
        None => Some(WorkflowConfig::default()),
    };

    let deployment = match f.value("deployment") {
        Some((v, key)) => deployment(r, v, key).map(Some),
        None => Some(None),
    };

    let contract: Option<Option<Contract>> = match f.value("contract") {
        Some((v, key)) => contract(r, v, key).map(Some),
        None => Some(None),
    };

    let mut extensions = Extensions::new();
    r.finish(
        f,
        &TOP_LEVEL_KEYS,
        "the workflow file",
        Some(&mut extensions),
        Unknown::Reject,
    );

    super::validate::cross_check(
        r,
        nodes_seen.as_ref(),
        &edges_seen,
        contract.as_ref().map(Option::as_ref),
        config.as_ref(),
        deployment.as_ref().map(Option::as_ref),
    );

    let errors_after = r.diags.iter().filter(|d| d.is_error()).count();
    let wf = Workflow {
        name: name?,
        version: version?,
        description,
        triggers: triggers?,
        nodes: nodes?,
        edges: edges?,
        config: config?,
        deployment: deployment?,
        contract: contract?,
        extensions,
    };
    (errors_after == errors_before).then_some(wf)
}

fn version(r: &mut Reader<'_>, v: &Node<'_>) -> Option<WorkflowVersion> {
    match &unwrap_tag(v).data {
        YamlData::Value(Scalar::FloatingPoint(_) | Scalar::Integer(_)) => {
            let raw = r.text(v.span);
            let quoted = if WorkflowVersion::new(raw.clone()).is_ok() {
                raw.clone()
            } else {
                "1.0".to_string()
            };
            r.error(
                v.span,
                "version-unquoted",
                format!("version {raw} is a number; it must be a quoted MAJOR.MINOR string, e.g. \"1.0\""),
                Some(format!("write version: \"{quoted}\" (unquoted, YAML reads it as a number)")),
            );
            None
        }
        _ => {
            let s = r.string(v, "version")?;
            match WorkflowVersion::new(s.clone()) {
                Ok(v) => Some(v),
                Err(message) => {
                    let hint = semver_hint(&s);
                    r.error(v.span, "version-format", message, hint);
                    None
                }
            }
        }
    }
}

/// For "1.2.3" or "v1.2": the MAJOR.MINOR it probably means.
fn semver_hint(s: &str) -> Option<String> {
    let t = s.trim().trim_start_matches(['v', 'V']);
    let mut parts = t.split('.');
    let (a, b) = (parts.next()?, parts.next().unwrap_or("0"));
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|c| c.is_ascii_digit());
    (digits(a) && digits(b)).then(|| {
        format!("only two numbers are allowed (no patch number, no \"v\"): write \"{a}.{b}\"")
    })
}

/// The edges that parsed (their spans are in `r.spans.edges`, same order), and whether all
/// did.
fn edges(r: &mut Reader<'_>, v: &Node<'_>) -> (Vec<Edge>, bool) {
    let Some(items) = r.list(
        v,
        "edges",
        Some("e.g. edges: [{from: fetch, to: report}]".into()),
    ) else {
        return (Vec::new(), false);
    };
    let mut out = Vec::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let what = format!("edge {}", i + 1);
        let Some(mut f) = r.fields(item, &what, item.span) else {
            ok = false;
            continue;
        };
        let spans = (
            f.value("from").map_or(item.span, |(n, _)| n.span),
            f.value("to").map_or(item.span, |(n, _)| n.span),
        );
        let from = edge_end(r, &mut f, "from", &what);
        let to = edge_end(r, &mut f, "to", &what);
        r.finish(f, &["from", "to"], &what, None, Unknown::Reject);
        match (from, to) {
            (Some(from), Some(to)) => {
                r.spans.edges.push(spans);
                out.push(Edge { from, to });
            }
            _ => ok = false,
        }
    }
    (out, ok)
}

fn edge_end(r: &mut Reader<'_>, f: &mut Fields<'_, '_>, key: &str, what: &str) -> Option<NodeId> {
    r.required(f, key, what, Some("e.g. {from: fetch, to: report}".into()))
        .and_then(|(n, _)| {
            let s = r.string(n, key)?;
            r.id(n.span, NodeId::new(s), "node-id")
        })
}

fn config(r: &mut Reader<'_>, v: &Node<'_>, key: Span) -> Option<WorkflowConfig> {
    let f = r.fields(v, "config", key)?;
    let mut cfg = WorkflowConfig::default();
    let mut ok = true;
    for (k, _, val) in f.entries() {
        match k.as_str() {
            "timeout" => match duration(r, val, "timeout") {
                Some(d) => cfg.timeout = Some(d),
                None => ok = false,
            },
            "retries" => match r.integer(val, "retries", 0, i64::from(WorkflowConfig::MAX_RETRIES))
            {
                Some(n) => cfg.retries = u32::try_from(n).ok(),
                None => ok = false,
            },
            "runtime" => match runtime(r, val) {
                Some(rt) => cfg.runtime = Some(rt),
                None => ok = false,
            },
            _ => match r.json_value(val) {
                Some(j) => {
                    cfg.extras.insert(k, j);
                }
                None => ok = false,
            },
        }
    }
    ok.then_some(cfg)
}

#[cfg(test)]
mod end_of_input_tests {
    use crate::Workflow;

    #[test]
    fn an_error_at_the_end_of_input_names_the_last_line() {
        // Found by the `spec_parse` fuzz target: "line 3" of a two-line file. The reader
        // clamps every diagnostic to a line the file has (`yaml::last_line`).
        for (text, line) in [
            ("name: upst\nversitime-probe", 2),
            ("name: upst\nversitime-probe\n", 2),
            ("name: upst\r\nversitime-probe\r\n\r\n", 2),
            ("a: 1\rb", 2),
        ] {
            let errors = Workflow::parse(text, "w.yaml").unwrap_err();
            for d in &errors.errors {
                assert!(d.line <= line, "{text:?}: {d:?}");
            }
        }
    }
}
