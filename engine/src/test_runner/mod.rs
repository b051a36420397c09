//! The fixture test runner behind `tntc test`: node fixtures and whole-pipeline runs in the
//! real sandbox, hermetic (no request reaches the network, see [`transport`]), plus the
//! contract drift report.

pub mod drift;
mod report;
pub mod transport;

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value};
use tentacular_sandbox::Sandbox;

use tentacular_sandbox::Clock;

use crate::executor::{Bindings, LoadFailure, LoadOptions, Runner, error_text};
use crate::node_capabilities;
use crate::secrets::Secrets;
pub use report::{Policy, Summary, TestCase, TestKind, TestReport, TestStatus};
use tentacular_spec::fixtures::{
    self, Difference, Fixture, HttpExchange, compare, compare_outputs,
};
use tentacular_spec::{LoadedWorkflow, NodeId};
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
    /// The Deno binary for Deno-mode nodes (`--deno`); by default, the usual search
    /// ([`tentacular_deno::locate`]). Without one, their tests are skipped.
    pub deno: Option<std::path::PathBuf>,
}

/// Why tests could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestError {
    /// The workflow could not be loaded at all (its DAG). A node that does not load fails
    /// its own tests instead.
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
    let load = LoadOptions {
        deno: options.deno.clone(),
    };
    let (runner, _) = Runner::load_partial(sandbox, loaded.clone(), &load).await?;
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
                // A node that does not even load is broken, fixtures or not.
                results.push(match runner.load_error(node) {
                    Some(error) => {
                        let mut c = TestCase::new(
                            format!("{node}: load"),
                            TestKind::Node,
                            TestStatus::Failed,
                        );
                        c.node = Some(node.clone());
                        fail(c, format!("the node did not load: {error}"))
                    }
                    None => untested(node),
                });
                continue;
            }
            for file in files {
                results.push(node_test(&runner, &loaded, node, file, options, &mut traffic).await);
            }
        }
        // Orphans are the workflow's problem, not one node's: reported when all nodes run.
        if options.node.is_none() {
            results.extend(set.orphans.iter().map(orphan));
        }
    }
    let drift = loaded
        .workflow
        .contract
        .as_ref()
        .map(|_| drift::report(&loaded, &traffic));
    Ok(TestReport::new(results, drift))
}

/// A node without fixtures: nothing about it was checked.
fn untested(node: &NodeId) -> TestCase {
    let mut c = TestCase::new(
        format!("{node}: no fixtures"),
        TestKind::Node,
        TestStatus::Untested,
    );
    c.node = Some(node.clone());
    c.hint = Some(format!(
        "add {}/{node}.json: {{\"input\": ..., \"expected\": ...}}",
        fixtures::FIXTURES_DIR
    ));
    c
}

/// A fixture file that belongs to no node: an error, since the test it was meant to be never
/// runs.
fn orphan(o: &fixtures::Orphan) -> TestCase {
    let file = o
        .path
        .file_name()
        .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
    let mut c = TestCase::failed(
        file,
        TestKind::Orphan,
        "orphan fixture: it belongs to no node, so it never runs".into(),
    );
    c.hint = Some(o.hint.clone());
    c.fixture = Some(o.path.clone());
    c
}

/// A test that cannot run here because `node` runs in Deno compatibility mode and no Deno
/// was found (`why` says where it was looked for and how to install it).
fn skipped_deno(name: String, kind: TestKind, node: &NodeId, why: &str) -> TestCase {
    let mut c = TestCase::new(name, kind, TestStatus::Skipped);
    c.skipped = Some(format!(
        "node \"{node}\" runs in Deno compatibility mode, and no Deno was found"
    ));
    c.hint = Some(format!("{why} (--strict fails on skipped tests)"));
    c
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
    let mut c = TestCase::new(name.clone(), TestKind::Node, TestStatus::Failed);
    c.node = Some(node.clone());
    c.fixture = Some(file.path.clone());
    if let Some(why) = runner.deno_missing(node) {
        return TestCase {
            node: c.node,
            fixture: c.fixture,
            ..skipped_deno(name, TestKind::Node, node, why)
        };
    }
    if let Some(error) = runner.load_error(node) {
        return fail(c, format!("the node did not load: {error}"));
    }
    let started = Instant::now();
    let fixture = match Fixture::load(&file.path) {
        Ok(f) => f,
        Err(e) => return fail(c, e.to_string()),
    };
    let transport = match transport_for(fixture.http.clone(), options) {
        Ok(t) => Arc::new(t),
        Err(e) => return fail(c, e),
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
        Err(e) => return fail(c, format!("{}: {e}", file.path.display())),
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
                c.differences = compare(expected, actual);
            }
            c.output = Some(actual.clone());
        }
    }
    c.logs = outcome
        .logs
        .iter()
        .map(|l| format!("{} {}", l.level.as_str(), l.message))
        .collect();
    c.recorded = seen.recorded;
    c.duration_ms = started.elapsed().as_millis() as u64;
    verdict(
        c,
        problems,
        &seen.unexpected,
        options,
        fixture.expected.is_some(),
    )
}

fn fail(mut c: TestCase, error: String) -> TestCase {
    c.set_status(TestStatus::Failed);
    c.error = Some(error);
    c
}

/// The status of a test that ran: failed on any problem, unexpected request or difference;
/// unchecked without an `expected`; else passed.
fn verdict(
    mut c: TestCase,
    mut problems: Vec<String>,
    unexpected: &[String],
    options: &TestOptions,
    has_expected: bool,
) -> TestCase {
    if !c.differences.is_empty() {
        problems.insert(0, differ_text(&c.differences, c.kind));
    }
    if !options.record {
        problems.extend(unexpected.iter().cloned());
    }
    let status = if !problems.is_empty() {
        TestStatus::Failed
    } else if has_expected {
        TestStatus::Passed
    } else {
        c.hint = Some(match c.kind {
            TestKind::Pipeline => format!(
                "add \"expected\" (outputs by node id) to {}",
                fixtures::PIPELINE_FILE
            ),
            _ => "add \"expected\" to the fixture (the output it should give)".into(),
        });
        TestStatus::Unchecked
    };
    c.set_status(status);
    c.error = (!problems.is_empty()).then(|| problems.join("\n"));
    c
}

/// The line that stands for `diffs` in a test's error (the list itself is in
/// [`TestCase::differences`]).
fn differ_text(diffs: &[Difference], kind: TestKind) -> String {
    let what = match kind {
        TestKind::Pipeline => "outputs differ",
        _ => "output differs",
    };
    let n = diffs.len();
    format!(
        "{what} from `expected` ({n} difference{})",
        if n == 1 { "" } else { "s" }
    )
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
    if let Some((node, why)) = loaded
        .workflow
        .nodes
        .keys()
        .find_map(|n| runner.deno_missing(n).map(|w| (n, w)))
    {
        return Ok(skipped_deno(
            "pipeline".into(),
            TestKind::Pipeline,
            node,
            why,
        ));
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
    let problems: Vec<String> = report
        .result
        .errors
        .iter()
        .map(|(n, e)| format!("{n}: {e}"))
        .collect();
    let outputs: Map<String, Value> = report
        .result
        .outputs
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut c = TestCase::new("pipeline".into(), TestKind::Pipeline, TestStatus::Failed);
    if let Some(Value::Object(expected)) = &expected {
        c.differences = compare_outputs(expected, &outputs);
    }
    c.output = Some(Value::Object(outputs));
    c.duration_ms = started.elapsed().as_millis() as u64;
    c.logs = report
        .logs
        .iter()
        .flat_map(|(n, lines)| {
            lines
                .iter()
                .map(move |l| format!("[{n}] {} {}", l.level.as_str(), l.message))
        })
        .collect();
    Ok(verdict(
        c,
        problems,
        &seen.unexpected,
        options,
        expected.is_some(),
    ))
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
