//! `tntc test [dir][/node]`: node fixtures, or the whole pipeline, in the real sandbox and
//! without the network.

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::{Value, json};
use tentacular_engine::test_runner::{
    self, Policy, TestCase, TestKind, TestOptions, TestReport, TestStatus,
};
use tentacular_spec::NodeId;
use tentacular_spec::fixtures::render_differences;

use super::{load_workflow, runtime, sandbox};
use crate::output::{Mark, Output, outcome_line, paint, style};
use crate::report::{json_verdict, verdict};

/// Runs a workflow's fixtures (`tests/fixtures/<node>[.<case>].json`) in the sandbox.
///
/// Hermetic: a fixture with an `http` list answers each request from it (anything else fails
/// the test, named); without one, every request gets the original's mock answer. No request
/// reaches the network, except with `--record`.
#[derive(Debug, Args)]
pub struct Test {
    /// The workflow directory, optionally followed by `/<node>` to test one node. By default,
    /// the current directory.
    #[arg(default_value = ".")]
    pub target: PathBuf,

    /// Run the whole DAG once (compared with `tests/pipeline.json` when it exists).
    #[arg(long)]
    pub pipeline: bool,

    /// Report contract drift violations as warnings instead of failing.
    #[arg(long)]
    pub warn: bool,

    /// Fail when a node has no fixture (by default, untested nodes are reported, not failed).
    #[arg(long)]
    pub strict: bool,

    /// Show each test's output and log lines, not only those of failed tests.
    #[arg(short, long)]
    pub verbose: bool,

    /// Run against the real network once and write the responses into each fixture's `http`
    /// list (so later runs are hermetic).
    #[arg(long)]
    pub record: bool,

    /// The Deno binary for Deno-mode nodes. By default, $TENTACULAR_DENO, then `deno` on
    /// PATH, then the project-local install of tools/deno/install.sh; without one, their
    /// tests are skipped (failed under --strict).
    #[arg(long, value_name = "PATH")]
    pub deno: Option<PathBuf>,
}

impl Test {
    pub fn run(self, out: &Output) -> anyhow::Result<()> {
        let (dir, node) = split_target(&self.target);
        let loaded = load_workflow(&dir, out)?;
        let node = node
            .map(|n| NodeId::new(n.clone()).map_err(|e| anyhow::anyhow!("{e}")))
            .transpose()?;
        let options = TestOptions {
            node,
            pipeline: self.pipeline,
            record: self.record,
            deno: self.deno.clone(),
        };
        let report = runtime()?.block_on(async {
            test_runner::run(
                &sandbox(tentacular_sandbox::CacheLoad::Map)?,
                loaded,
                &options,
            )
            .await
            .map_err(anyhow::Error::from)
        })?;
        if self.record {
            write_recordings(&report, out)?;
        }
        let passed = report.passed(Policy {
            drift_warns: self.warn,
            strict: self.strict,
        });
        if out.json() {
            return json_verdict(out, passed, &report);
        }
        out.out(render(&report, self.verbose))?;
        let strict_only = !passed
            && report.passed(Policy {
                drift_warns: self.warn,
                strict: false,
            });
        if strict_only {
            if report.summary.untested > 0 {
                anyhow::bail!(
                    "--strict: {} without fixtures (add tests/fixtures/<node>.json, or drop --strict)",
                    tentacular_spec::plural(report.summary.untested, "node")
                );
            }
            anyhow::bail!(
                "--strict: {} skipped (a Deno-mode node needs Deno: tools/deno/install.sh, then --deno or $TENTACULAR_DENO)",
                tentacular_spec::plural(report.summary.skipped, "test")
            );
        }
        verdict(passed)
    }
}

/// `dir` or `dir/<node>`: when the argument is not a directory, its last part is the node.
fn split_target(target: &Path) -> (PathBuf, Option<String>) {
    if target.is_dir() || target.join("workflow.yaml").exists() {
        return (target.to_path_buf(), None);
    }
    match (target.parent(), target.file_name()) {
        (Some(parent), Some(name)) if parent.join("workflow.yaml").exists() => (
            parent.to_path_buf(),
            Some(name.to_string_lossy().into_owned()),
        ),
        _ => (target.to_path_buf(), None),
    }
}

/// How many differences the text view shows per test (JSON has them all).
const DIFF_LINES: usize = 20;

fn render(report: &TestReport, verbose: bool) -> String {
    let mut s = format!("{}\n", paint(style::HEAD, "─── Test Results ───"));
    for t in &report.test_results {
        s.push_str(&render_case(t, verbose));
    }
    s.push_str(&format!("\n{}\n", report.summary));
    if let Some(d) = &report.drift
        && (!d.violations.is_empty() || !d.warnings.is_empty())
    {
        s.push_str(&format!(
            "\n{}\n",
            paint(style::HEAD, "=== Contract Drift Report ===")
        ));
        let findings = d.violations.iter().map(|v| (Mark::Fail, v));
        for (mark, f) in findings.chain(d.warnings.iter().map(|w| (Mark::Warn, w))) {
            s.push_str(&outcome_line(mark, f.kind, &f.message));
            s.push_str(&format!("      → {}\n", f.suggestion));
        }
    }
    s
}

/// One test: its mark, name and status, then (indented) why, what to do, and with `verbose`
/// its output and log.
fn render_case(t: &TestCase, verbose: bool) -> String {
    let ms = paint(style::DIM, format!("({}ms)", t.duration_ms));
    let (mark, head) = match (t.status, t.kind) {
        (TestStatus::Passed, _) => (Mark::Ok, format!("{} {ms}", t.name)),
        (TestStatus::Failed, TestKind::Orphan) => {
            (Mark::Fail, format!("{} (orphan fixture)", t.name))
        }
        (TestStatus::Failed, _) => (Mark::Fail, format!("{} {ms}", t.name)),
        (TestStatus::Skipped, _) => (
            Mark::Warn,
            format!(
                "{} (skipped: {})",
                t.name,
                t.skipped.as_deref().unwrap_or("cannot run here")
            ),
        ),
        (TestStatus::Untested, _) => (Mark::Warn, format!("{} (untested)", t.name)),
        (TestStatus::Unchecked, _) => (Mark::Warn, format!("{} ran (no expectation) {ms}", t.name)),
    };
    let mut s = format!("  {mark} {head}\n");
    let indent = |s: &mut String, text: &str| {
        for line in text.lines() {
            s.push_str(&format!("      {line}\n"));
        }
    };
    if let Some(e) = &t.error {
        indent(&mut s, e);
    }
    if !t.differences.is_empty() {
        indent(&mut s, &render_differences(&t.differences, DIFF_LINES));
    }
    if let Some(h) = &t.hint {
        indent(&mut s, &format!("{} {h}", paint(style::DIM, "hint:")));
    }
    if verbose && let Some(o) = &t.output {
        let text = serde_json::to_string_pretty(o).unwrap_or_default();
        indent(&mut s, &format!("{} {text}", paint(style::DIM, "output:")));
    }
    if verbose || t.status == TestStatus::Failed {
        for line in &t.logs {
            s.push_str(&format!("      {} {line}\n", paint(style::DIM, "log:")));
        }
    }
    s
}

/// Writes each test's recorded exchanges into its fixture's `http` list, keeping every other
/// key and their order; each file is replaced atomically.
fn write_recordings(report: &TestReport, out: &Output) -> anyhow::Result<()> {
    for t in &report.test_results {
        let (Some(path), false) = (&t.fixture, t.recorded.is_empty()) else {
            continue;
        };
        let text = std::fs::read_to_string(path)?;
        let mut doc: Value = serde_json::from_str(&text)?;
        doc["http"] = json!(t.recorded);
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_string_pretty(&doc)? + "\n")?;
        std::fs::rename(&tmp, path)?;
        out.err(format!(
            "recorded {} exchange(s) into {}\n",
            t.recorded.len(),
            path.display()
        ))?;
    }
    Ok(())
}
