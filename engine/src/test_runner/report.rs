//! What `tntc test` reports: one [`TestCase`] per fixture, untested node, orphan fixture or
//! pipeline run, each with a [`TestStatus`] that says what was really checked, and the
//! [`Summary`] counts.
//!
//! Nothing is green that was not checked: a node without fixtures is `untested`, a fixture
//! without `expected` is `unchecked` ("ran (no expectation)"), a node that cannot run here is
//! `skipped`, and a fixture file that belongs to no node is `failed`.

use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;
use tentacular_spec::NodeId;
use tentacular_spec::fixtures::{Difference, HttpExchange};

use super::drift::DriftReport;

/// What one test found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TestStatus {
    /// It ran and matched its `expected`.
    Passed,
    /// It ran and failed, or could not be read, or is an orphan fixture.
    Failed,
    /// It could not run here (e.g. a `runtime: deno` node without Deno); see `hint`.
    Skipped,
    /// A node without any fixture: nothing about it was checked.
    Untested,
    /// It ran without an error, but the fixture has no `expected`: the output was not checked.
    Unchecked,
}

impl TestStatus {
    /// The word used in text output and in the summary.
    pub fn as_str(self) -> &'static str {
        match self {
            TestStatus::Passed => "passed",
            TestStatus::Failed => "failed",
            TestStatus::Skipped => "skipped",
            TestStatus::Untested => "untested",
            TestStatus::Unchecked => "unchecked",
        }
    }
}

/// What a test is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TestKind {
    /// A node fixture (or the absence of one).
    Node,
    /// The whole DAG (`--pipeline`).
    Pipeline,
    /// A fixture file that belongs to no node.
    Orphan,
}

/// One test's verdict.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestCase {
    /// `<node>: <fixture file>`, `<node>: no fixtures`, `pipeline`, or the orphan file's name.
    pub name: String,
    /// What the test is about.
    pub kind: TestKind,
    /// The node tested (none for the pipeline and for orphans).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<NodeId>,
    /// What was found.
    pub status: TestStatus,
    /// True only for [`TestStatus::Passed`]: skipped, untested and unchecked tests did not
    /// pass, they were not checked.
    pub passed: bool,
    /// Set when the test could not run here, with why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// What to do about a test that is not `passed` (install Deno, add a fixture, rename an
    /// orphan, add `expected`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Wall time.
    pub duration_ms: u64,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Every difference between `expected` and the output (never truncated; text output
    /// shows the first 20).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub differences: Vec<Difference>,
    /// The node's output (the pipeline's: outputs by node), when it ran to completion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
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

impl TestCase {
    /// A test of `kind` named `name` with `status`, nothing else set yet.
    pub fn new(name: String, kind: TestKind, status: TestStatus) -> Self {
        TestCase {
            name,
            kind,
            node: None,
            status,
            passed: status == TestStatus::Passed,
            skipped: None,
            hint: None,
            duration_ms: 0,
            error: None,
            differences: Vec::new(),
            output: None,
            logs: Vec::new(),
            fixture: None,
            recorded: Vec::new(),
        }
    }

    /// A failed test with `error`.
    pub fn failed(name: String, kind: TestKind, error: String) -> Self {
        TestCase {
            error: Some(error),
            ..TestCase::new(name, kind, TestStatus::Failed)
        }
    }

    /// Sets the status (and `passed` with it).
    pub fn set_status(&mut self, status: TestStatus) {
        self.status = status;
        self.passed = status == TestStatus::Passed;
    }
}

/// How many tests ended in each status; orphan fixtures count as failed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Ran and matched `expected`.
    pub passed: usize,
    /// Failed (orphan fixtures included).
    pub failed: usize,
    /// Could not run here.
    pub skipped: usize,
    /// Nodes without fixtures.
    pub untested: usize,
    /// Ran, but without an `expected` to compare with.
    pub unchecked: usize,
}

impl Summary {
    /// Counts `cases`.
    pub fn of<'a>(cases: impl IntoIterator<Item = &'a TestCase>) -> Self {
        let mut s = Summary::default();
        for c in cases {
            *match c.status {
                TestStatus::Passed => &mut s.passed,
                TestStatus::Failed => &mut s.failed,
                TestStatus::Skipped => &mut s.skipped,
                TestStatus::Untested => &mut s.untested,
                TestStatus::Unchecked => &mut s.unchecked,
            } += 1;
        }
        s
    }
}

impl std::fmt::Display for Summary {
    /// `N passed, N failed, N skipped, N untested, N unchecked`: every count, always, in this
    /// order, so that the line is easy to parse.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} passed, {} failed, {} skipped, {} untested, {} unchecked",
            self.passed, self.failed, self.skipped, self.untested, self.unchecked
        )
    }
}

/// What counts as a failed run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    /// Contract drift violations are warnings, not failures (`--warn`).
    pub drift_warns: bool,
    /// Untested nodes and skipped tests (a Deno node without Deno) fail the run (`--strict`).
    pub strict: bool,
}

/// Everything `tntc test` reports.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestReport {
    /// One entry per test.
    pub test_results: Vec<TestCase>,
    /// The counts of `test_results` by status.
    pub summary: Summary,
    /// Contract drift (only when the workflow has a contract).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<DriftReport>,
}

impl TestReport {
    /// A report of `results`, counted.
    pub fn new(results: Vec<TestCase>, drift: Option<DriftReport>) -> Self {
        TestReport {
            summary: Summary::of(&results),
            test_results: results,
            drift,
        }
    }

    /// True when nothing failed, no node is untested and no test skipped under
    /// [`Policy::strict`], and the drift
    /// report has no violations (unless [`Policy::drift_warns`]).
    pub fn passed(&self, policy: Policy) -> bool {
        self.summary.failed == 0
            && (!policy.strict || (self.summary.untested == 0 && self.summary.skipped == 0))
            && (policy.drift_warns
                || self
                    .drift
                    .as_ref()
                    .is_none_or(|d| !d.summary.has_violations))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(status: TestStatus) -> TestCase {
        TestCase::new("x".into(), TestKind::Node, status)
    }

    #[test]
    fn only_passed_is_passed_and_every_status_is_counted() {
        let all = [
            TestStatus::Passed,
            TestStatus::Failed,
            TestStatus::Skipped,
            TestStatus::Untested,
            TestStatus::Unchecked,
            TestStatus::Untested,
        ];
        let cases: Vec<_> = all.iter().map(|s| case(*s)).collect();
        assert_eq!(cases.iter().filter(|c| c.passed).count(), 1);
        let s = Summary::of(&cases);
        assert_eq!(
            s.to_string(),
            "1 passed, 1 failed, 1 skipped, 2 untested, 1 unchecked"
        );
    }

    #[test]
    fn strict_fails_on_untested_and_skipped() {
        let r = TestReport::new(
            vec![case(TestStatus::Untested), case(TestStatus::Unchecked)],
            None,
        );
        assert!(r.passed(Policy::default()));
        assert!(!r.passed(Policy {
            strict: true,
            ..Policy::default()
        }));
        let r = TestReport::new(vec![case(TestStatus::Failed)], None);
        assert!(!r.passed(Policy::default()));
        let r = TestReport::new(vec![case(TestStatus::Skipped)], None);
        assert!(r.passed(Policy::default()));
        assert!(!r.passed(Policy {
            strict: true,
            ..Policy::default()
        }));
    }
}
