//! `tntc visualize`.

use crate::support::{digest_workflow, golden, tempdir, tntc};

#[test]
fn mermaid_and_dot() {
    let t = tempdir();
    digest_workflow(t.path(), "wf");
    golden(
        "visualize.txt",
        &tntc(t.path(), &["visualize", "wf"]).transcript(),
    );
    golden(
        "visualize-rich.txt",
        &tntc(t.path(), &["visualize", "wf", "--rich"]).transcript(),
    );
    golden(
        "visualize-dot.txt",
        &tntc(t.path(), &["visualize", "wf", "--format", "dot", "--rich"]).transcript(),
    );
}

#[test]
fn write_puts_files_in_the_workflow_directory() {
    let t = tempdir();
    let wf = digest_workflow(t.path(), "wf");
    let run = tntc(t.path(), &["visualize", "wf", "--rich", "--write"]);
    assert_eq!(run.code(), 0, "{}", run.transcript());
    let diagram = std::fs::read_to_string(wf.join("workflow-diagram.md")).unwrap();
    assert!(
        diagram.starts_with("# wf\n\n```mermaid\ngraph TD\n"),
        "{diagram}"
    );
    let summary = std::fs::read_to_string(wf.join("contract-summary.md")).unwrap();
    assert!(
        summary.contains("| api.github.com | 443 | TCP | github |"),
        "{summary}"
    );
    let run = tntc(
        t.path(),
        &[
            "-o",
            "json",
            "visualize",
            "wf",
            "--format",
            "dot",
            "--write",
        ],
    );
    assert_eq!(run.json()["written"][0], "wf/workflow-diagram.dot");
}

#[test]
fn invalid_workflow_fails() {
    let t = tempdir();
    let run = tntc(t.path(), &["visualize", "nope"]);
    assert_eq!(run.code(), 1);
}
