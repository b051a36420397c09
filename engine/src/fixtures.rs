//! Test fixtures: the file format, which node a file belongs to, strict HTTP answers, and
//! structural comparison of outputs.
//!
//! A fixture is the original Tentacular's format plus an optional strict `http` list:
//!
//! ```json
//! {
//!   "input": {"repo": "denoland/deno"},
//!   "config": {"min_score": 10},
//!   "secrets": {"github": {"token": "test"}},
//!   "expected": {"count": 1},
//!   "http": [
//!     {"dependency": "github", "method": "GET", "path": "/repos/denoland/deno/pulls",
//!      "status": 200, "headers": {"content-type": "application/json"}, "body": []}
//!   ]
//! }
//! ```
//!
//! Files live in `tests/fixtures/` and belong to a node by exact name: `<node>.json`,
//! `<node>.<case>.json` or `<node>--<case>.json`. A bare prefix never matches, so node `fetch`
//! does not pick up `fetch-data.json` (the original did); such files are reported as
//! [`Orphan`]s with a rename hint.

mod compare;
mod http;

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::{Map, Value};

pub use compare::{Difference, DifferenceKind, compare, compare_outputs, render_differences};
pub use http::{HttpExchange, HttpMocks, HttpRequest, UnexpectedRequest};

use crate::Error;
use crate::secrets::Secrets;
use crate::spec::NodeId;

/// Where node fixtures live, relative to the workflow directory.
pub const FIXTURES_DIR: &str = "tests/fixtures";
/// The optional whole-pipeline fixture, relative to the workflow directory.
pub const PIPELINE_FILE: &str = "tests/pipeline.json";

/// One fixture file's contents.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fixture {
    /// The node's input (for the pipeline fixture: the trigger input, by default `{}`).
    pub input: Value,
    /// `ctx.config` for this test. By default, the workflow's config.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<Map<String, Value>>,
    /// Secrets for this test, `{service: {key: value}}`. By default, none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secrets: Option<Map<String, Value>>,
    /// The expected output, compared structurally (key order does not matter). `null` is a
    /// real expectation; an absent `expected` only checks that the node does not fail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<Value>,
    /// Strict HTTP answers: when present, every request must match an entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http: Option<Vec<HttpExchange>>,
    /// What the case checks, for people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Keys this format does not know, kept (callers may warn about them).
    #[serde(flatten)]
    pub unknown: Map<String, Value>,
}

impl Fixture {
    /// Reads a node fixture (`input` required).
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses a node fixture's text; `path` is used in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, Error> {
        parse(text, path, true)
    }

    /// The fixture's secrets as [`Secrets`] (empty when none).
    pub fn secrets(&self) -> Secrets {
        self.secrets
            .as_ref()
            .and_then(|s| Secrets::from_json(&Value::Object(s.clone())).ok())
            .unwrap_or_default()
    }

    /// Keys this format does not know.
    pub fn unknown_keys(&self) -> impl Iterator<Item = &str> {
        self.unknown.keys().map(String::as_str)
    }
}

/// Reads `tests/pipeline.json` if the workflow has one. Its `input` is optional (`{}`), and its
/// `expected` is an object keyed by node id; only the nodes listed are compared (see
/// [`compare_outputs`]).
pub fn load_pipeline(workflow_dir: &Path) -> Result<Option<Fixture>, Error> {
    let path = workflow_dir.join(PIPELINE_FILE);
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
        action: "read",
        path: path.clone(),
        source,
    })?;
    let f = parse(&text, &path, false)?;
    if let Some(e) = &f.expected
        && !e.is_object()
    {
        return Err(invalid(
            &path,
            "\"expected\" of the pipeline fixture must be an object keyed by node id, e.g. {\"report\": {...}}",
        ));
    }
    Ok(Some(f))
}

fn invalid(path: &Path, message: impl Into<String>) -> Error {
    Error::FixtureInvalid {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

fn parse(text: &str, path: &Path, input_required: bool) -> Result<Fixture, Error> {
    let value: Value = serde_json::from_str(text).map_err(|source| Error::FixtureSyntax {
        path: path.to_path_buf(),
        line: source.line(),
        column: source.column(),
        source,
    })?;
    let Value::Object(mut obj) = value else {
        return Err(invalid(
            path,
            "a fixture must be a JSON object: {\"input\": ..., \"expected\": ...}",
        ));
    };
    let input = match obj.remove("input") {
        Some(v) => v,
        None if input_required => {
            return Err(invalid(
                path,
                "missing \"input\": a fixture is {\"input\": ..., \"expected\"?: ..., \"config\"?: ..., \"secrets\"?: ..., \"http\"?: [...]}",
            ));
        }
        None => Value::Object(Map::new()),
    };
    let object =
        |obj: &mut Map<String, Value>, key: &str| -> Result<Option<Map<String, Value>>, Error> {
            match obj.remove(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Object(m)) => Ok(Some(m)),
                Some(_) => Err(invalid(path, format!("\"{key}\" must be an object"))),
            }
        };
    let config = object(&mut obj, "config")?;
    let secrets = object(&mut obj, "secrets")?;
    if let Some(s) = &secrets
        && let Some((svc, _)) = s.iter().find(|(_, v)| !(v.is_object() || v.is_string()))
    {
        return Err(invalid(
            path,
            format!("secrets.{svc} must be an object of keys, e.g. {{\"token\": \"test\"}}"),
        ));
    }
    let expected = obj.remove("expected");
    let description = match obj.remove("description") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => return Err(invalid(path, "\"description\" must be a string")),
    };
    let http = match obj.remove("http") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    HttpExchange::from_json(v).map_err(|m| invalid(path, format!("http[{i}]: {m}")))
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(_) => return Err(invalid(path, "\"http\" must be a list of exchanges")),
    };
    Ok(Fixture {
        input,
        config,
        secrets,
        expected,
        http,
        description,
        unknown: obj,
    })
}

/// A fixture file and the node it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FixtureFile {
    /// The file.
    pub path: PathBuf,
    /// The node it tests.
    pub node: NodeId,
    /// The case name: `edge` in `hello.edge.json` or `hello--edge.json`; `None` for
    /// `hello.json`.
    pub case: Option<String>,
}

impl FixtureFile {
    /// The test's name, `<node>: <file name>` as the original runner printed it.
    pub fn test_name(&self) -> String {
        let file = self
            .path
            .file_name()
            .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
        format!("{}: {file}", self.node)
    }
}

/// A `.json` file in the fixtures directory that belongs to no node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Orphan {
    /// The file.
    pub path: PathBuf,
    /// What to do about it.
    pub hint: String,
}

/// The fixtures of a workflow, by node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct FixtureSet {
    /// Every node given, in order, with its files sorted by name (possibly none).
    pub by_node: IndexMap<NodeId, Vec<FixtureFile>>,
    /// Files that match no node.
    pub orphans: Vec<Orphan>,
}

/// Finds the fixture files of `nodes` in `<workflow_dir>/tests/fixtures/`. A missing
/// directory means no fixtures.
pub fn discover<'a>(
    workflow_dir: &Path,
    nodes: impl IntoIterator<Item = &'a NodeId>,
) -> Result<FixtureSet, Error> {
    let nodes: Vec<&NodeId> = nodes.into_iter().collect();
    let mut set = FixtureSet {
        by_node: nodes.iter().map(|n| ((*n).clone(), Vec::new())).collect(),
        orphans: Vec::new(),
    };
    let dir = workflow_dir.join(FIXTURES_DIR);
    if !dir.is_dir() {
        return Ok(set);
    }
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|source| Error::Io {
            action: "list",
            path: dir.clone(),
            source,
        })?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".json") && !n.starts_with('.'))
        .collect();
    names.sort();
    for name in names {
        let path = dir.join(&name);
        match owner_of(&name, &nodes) {
            Some((node, case)) => set.by_node[&node].push(FixtureFile { path, node, case }),
            None => {
                let hint = orphan_hint(&name, &nodes);
                set.orphans.push(Orphan { path, hint });
            }
        }
    }
    Ok(set)
}

/// Which node a fixture file name belongs to, and its case name: `hello.json` → (hello,
/// None); `hello.edge.json` and `hello--edge.json` → (hello, "edge"). The longest matching
/// node id wins (`a--b.json` belongs to node `a--b` when it exists). Never a bare prefix.
pub fn owner_of(file_name: &str, nodes: &[&NodeId]) -> Option<(NodeId, Option<String>)> {
    let stem = file_name.strip_suffix(".json")?;
    if let Some(n) = nodes.iter().find(|n| n.as_str() == stem) {
        return Some(((*n).clone(), None));
    }
    nodes
        .iter()
        .filter_map(|n| {
            let rest = stem.strip_prefix(n.as_str())?;
            let case = rest.strip_prefix('.').or_else(|| rest.strip_prefix("--"))?;
            (!case.is_empty()).then(|| ((*n).clone(), Some(case.to_string())))
        })
        .max_by_key(|(n, _)| n.as_str().len())
}

fn orphan_hint(name: &str, nodes: &[&NodeId]) -> String {
    let stem = name.trim_end_matches(".json");
    let prefixed = nodes
        .iter()
        .filter(|n| {
            stem.strip_prefix(n.as_str())
                .is_some_and(|r| r.starts_with(['-', '_']))
        })
        .max_by_key(|n| n.as_str().len());
    match prefixed {
        Some(n) => {
            let case = stem[n.as_str().len()..].trim_start_matches(['-', '_']);
            format!(
                "no node is named \"{stem}\"; if it tests \"{n}\", rename it {n}.{case}.json or {n}--{case}.json (a bare prefix is not matched, another node could share it)"
            )
        }
        None => format!(
            "no node is named \"{stem}\"; name fixtures <node>.json, <node>.<case>.json or <node>--<case>.json"
        ),
    }
}

#[cfg(test)]
mod tests;
