//! The fixture test runner behind `tntc test`: node fixtures and whole-pipeline runs in the
//! real sandbox, hermetic (no request reaches the network, see [`transport`]), plus the
//! contract drift report.

pub mod drift;
pub mod transport;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use serde_json::{Map, Value};
use tentacular_sandbox::Sandbox;

use tentacular_sandbox::Clock;

use crate::executor::{Bindings, LoadFailure, Runner, error_text};
use crate::node_capabilities;
use crate::secrets::Secrets;
use drift::DriftReport;
use tentacular_spec::fixtures::{
    self, Fixture, HttpExchange, compare, compare_outputs, render_differences,
};
use tentacular_spec::{LoadedWorkflow, NodeId, Runtime};
use transport::{FixtureTransport, Traffic};

/// What to run.
#[derive(Debug, Clone, Default)]
pub struct TestOptions {
    /// Only this node's fixtures.
    pub node: Option<NodeId>,
    /// Run the whole DAG (`tests/pipeline.json` optional) instead of node fixtures.
    pub pipeline: bool,
    /// Run against the real network once and return the exchanges to write into fixtures.
    pub record: bool,
}

/// One test's verdict.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestCase {
    /// `<node>: <fixture file>`, `<node>: no fixtures`, or `pipeline`.
    pub name: String,
    /// Whether it passed (a skipped test counts as passed).
    pub passed: bool,
    /// Set when the test could not run here, with why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// Wall time.
    pub duration_ms: u64,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The node's log lines, `LEVEL message`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub logs: Vec<String>,
    /// The fixture file, for `--record`.
    #[serde(skip)]
    pub fixture: Option<PathBuf>,
    /// Exchanges captured with `--record`.
    #[serde(skip)]
    pub recorded: Vec<HttpExchange>,
}

/// Everything `tntc test` reports.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestReport {
    /// One entry per test.
    pub test_results: Vec<TestCase>,
    /// Contract drift (only when the workflow has a contract).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<DriftReport>,
}

impl TestReport {
    /// True when every test passed and the drift report has no violations (unless `warn`).
    pub fn passed(&self, warn: bool) -> bool {
        self.test_results.iter().all(|t| t.passed)
            && (warn
                || self
                    .drift
                    .as_ref()
                    .is_none_or(|d| !d.summary.has_violations))
    }
}

/// Why tests could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestError {
    /// Nodes failed to load (syntax errors, bad imports, …).
    #[error(transparent)]
    Load(#[from] LoadFailure),
    /// Fixture discovery failed, or `--node` names no node.
    #[error("{0}")]
    Fixtures(String),
}

/// Runs the tests of `loaded`.
pub async fn run(
    sandbox: &Sandbox,
    loaded: LoadedWorkflow,
    options: &TestOptions,
) -> Result<TestReport, TestError> {
    if let Some(node) = &options.node
        && !loaded.workflow.nodes.contains_key(node)
    {
        let known: Vec<&str> = loaded.workflow.nodes.keys().map(|n| n.as_str()).collect();
        return Err(TestError::Fixtures(format!(
            "{node}: node not found (nodes: {})",
            known.join(", ")
        )));
    }
    let runner = Runner::load(sandbox, loaded.clone()).await?;
    let mut traffic = Traffic::default();
    let mut results = Vec::new();
    if options.pipeline {
        results.push(pipeline(&runner, &loaded, options, &mut traffic).await?);
    } else {
        let set = fixtures::discover(&loaded.dir, loaded.workflow.nodes.keys())
            .map_err(|e| TestError::Fixtures(e.to_string()))?;
        for (node, files) in &set.by_node {
            if options.node.as_ref().is_some_and(|n| n != node) {
                continue;
            }
            if files.is_empty() {
                results.push(case(format!("{node}: no fixtures"), true, 0, None));
                continue;
            }
            for file in files {
                results.push(node_test(&runner, &loaded, node, file, options, &mut traffic).await);
            }
        }
        for orphan in &set.orphans {
            tracing::warn!(file = %orphan.path.display(), "{}", orphan.hint);
        }
    }
    let drift = loaded
        .workflow
        .contract
        .as_ref()
        .map(|_| drift::report(&loaded, &traffic));
    Ok(TestReport {
        test_results: results,
        drift,
    })
}

fn case(name: String, passed: bool, ms: u64, error: Option<String>) -> TestCase {
    TestCase {
        name,
        passed,
        skipped: None,
        duration_ms: ms,
        error,
        logs: Vec::new(),
        fixture: None,
        recorded: Vec::new(),
    }
}

fn skipped(name: String, why: String) -> TestCase {
    TestCase {
        skipped: Some(why),
        ..case(name, true, 0, None)
    }
}

fn deno_reason(node: &NodeId) -> String {
    format!(
        "node \"{node}\" declares `runtime: deno`; Deno compatibility mode is not available in this build yet"
    )
}

fn transport_for(
    http: Option<Vec<HttpExchange>>,
    options: &TestOptions,
) -> Result<FixtureTransport, String> {
    if options.record {
        FixtureTransport::recording().map_err(|e| e.to_string())
    } else {
        Ok(FixtureTransport::new(http))
    }
}

/// The workflow's `config`, overlaid with the fixture's.
fn config_for(loaded: &LoadedWorkflow, fixture: &Fixture) -> Value {
    let mut config = match node_capabilities::ctx_config(&loaded.workflow) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    if let Some(over) = &fixture.config {
        for (k, v) in over {
            config.insert(k.clone(), v.clone());
        }
    }
    Value::Object(config)
}

async fn node_test(
    runner: &Runner,
    loaded: &LoadedWorkflow,
    node: &NodeId,
    file: &fixtures::FixtureFile,
    options: &TestOptions,
    traffic: &mut Traffic,
) -> TestCase {
    let name = file.test_name();
    if loaded.workflow.runtime_of(node) == Runtime::Deno {
        return skipped(name, deno_reason(node));
    }
    let started = Instant::now();
    let fixture = match Fixture::load(&file.path) {
        Ok(f) => f,
        Err(e) => return case(name, false, 0, Some(e.to_string())),
    };
    let transport = match transport_for(fixture.http.clone(), options) {
        Ok(t) => Arc::new(t),
        Err(e) => return case(name, false, 0, Some(e)),
    };
    let bindings = match Bindings::with_config(
        loaded,
        config_for(loaded, &fixture),
        &fixture_secrets(&fixture),
        transport.clone(),
    ) {
        // Tests run timers on a virtual clock: retry and backoff code stays fast, and the
        // order of timers is the one real time would give.
        Ok(b) => b.with_clock(Clock::Virtual),
        Err(e) => {
            return case(
                name,
                false,
                0,
                Some(format!("{}: {e}", file.path.display())),
            );
        }
    };
    transport.scrub_recordings_with(bindings.scrubber().clone());
    let caps = bindings
        .capabilities(node)
        .expect("bindings cover every node")
        .clone();
    let limits = bindings.limits(node).cloned().unwrap_or_default();
    let outcome = runner.run_node(node, &fixture.input, &caps, &limits).await;
    let seen = transport.traffic();
    merge(traffic, &seen);
    let mut problems = Vec::new();
    match &outcome.result {
        Err(e) => problems.push(error_text(node, e) + &stack_of(e)),
        Ok(actual) => {
            if let Some(expected) = &fixture.expected {
                let diffs = compare(expected, actual);
                if !diffs.is_empty() {
                    problems.push(format!(
                        "output differs from `expected`:\n{}",
                        render_differences(&diffs, 20)
                    ));
                }
            }
        }
    }
    if !options.record {
        problems.extend(seen.unexpected.iter().cloned());
    }
    let mut c = case(
        name,
        problems.is_empty(),
        started.elapsed().as_millis() as u64,
        (!problems.is_empty()).then(|| problems.join("\n")),
    );
    c.logs = outcome
        .logs
        .iter()
        .map(|l| format!("{} {}", l.level.as_str(), l.message))
        .collect();
    c.fixture = Some(file.path.clone());
    c.recorded = seen.recorded;
    c
}

fn stack_of(e: &tentacular_sandbox::NodeError) -> String {
    match e {
        tentacular_sandbox::NodeError::JsError { stack, .. } if !stack.is_empty() => {
            format!("\n{stack}")
        }
        _ => String::new(),
    }
}

async fn pipeline(
    runner: &Runner,
    loaded: &LoadedWorkflow,
    options: &TestOptions,
    traffic: &mut Traffic,
) -> Result<TestCase, TestError> {
    if let Some(node) = loaded
        .workflow
        .nodes
        .keys()
        .find(|n| loaded.workflow.runtime_of(n) == Runtime::Deno)
    {
        return Ok(skipped("pipeline".into(), deno_reason(node)));
    }
    let started = Instant::now();
    let fixture =
        fixtures::load_pipeline(&loaded.dir).map_err(|e| TestError::Fixtures(e.to_string()))?;
    let (input, http, expected, secrets, config) = match &fixture {
        Some(f) => (
            f.input.clone(),
            f.http.clone(),
            f.expected.clone(),
            fixture_secrets(f),
            config_for(loaded, f),
        ),
        None => (
            Value::Object(Map::new()),
            None,
            None,
            Default::default(),
            node_capabilities::ctx_config(&loaded.workflow),
        ),
    };
    let input = if input.is_null() {
        Value::Object(Map::new())
    } else {
        input
    };
    let transport = Arc::new(transport_for(http, options).map_err(TestError::Fixtures)?);
    let bindings = Bindings::with_config(loaded, config, &secrets, transport.clone())
        .map_err(|e| TestError::Fixtures(e.to_string()))?
        .with_clock(Clock::Virtual);
    let report = runner.run(&bindings, input).await;
    let seen = transport.traffic();
    merge(traffic, &seen);
    let mut problems: Vec<String> = report
        .result
        .errors
        .iter()
        .map(|(n, e)| format!("{n}: {e}"))
        .collect();
    if let Some(Value::Object(expected)) = &expected {
        let outputs: Map<String, Value> = report
            .result
            .outputs
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let diffs = compare_outputs(expected, &outputs);
        if !diffs.is_empty() {
            problems.push(format!(
                "outputs differ from `expected`:\n{}",
                render_differences(&diffs, 20)
            ));
        }
    }
    if !options.record {
        problems.extend(seen.unexpected.iter().cloned());
    }
    let mut c = case(
        "pipeline".into(),
        problems.is_empty(),
        started.elapsed().as_millis() as u64,
        (!problems.is_empty()).then(|| problems.join("\n")),
    );
    c.logs = report
        .logs
        .iter()
        .flat_map(|(n, lines)| {
            lines
                .iter()
                .map(move |l| format!("[{n}] {} {}", l.level.as_str(), l.message))
        })
        .collect();
    Ok(c)
}

/// A fixture's `secrets` as the engine's secret store (empty when it has none).
pub fn fixture_secrets(fixture: &Fixture) -> Secrets {
    fixture
        .secrets
        .as_ref()
        .and_then(|s| Secrets::from_json(&Value::Object(s.clone())).ok())
        .unwrap_or_default()
}

fn merge(into: &mut Traffic, from: &Traffic) {
    into.dependencies.extend(from.dependencies.iter().cloned());
    into.legacy_fetches += from.legacy_fetches;
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn fixture_secrets_become_the_secret_store() {
        let f = Fixture::parse(
            r#"{"input": 1, "secrets": {"gh": {"token": "t"}}}"#,
            Path::new("x.json"),
        )
        .unwrap();
        assert_eq!(
            fixture_secrets(&f).get("gh", "token").unwrap().expose(),
            "t"
        );
        let none = Fixture::parse(r#"{"input": 1}"#, Path::new("x.json")).unwrap();
        assert!(fixture_secrets(&none).is_empty());
    }
}
