//! `tntc visualize`.

use crate::support::{digest_workflow, golden, tempdir, tntc, write};

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
    let dot = tntc(t.path(), &["visualize", "wf", "--format", "dot", "--rich"]);
    golden("visualize-dot.txt", &dot.transcript());
    // stdout is DOT alone (it pipes into `dot`); the contract summary is on stderr.
    let text = dot.stdout();
    assert!(text.starts_with("digraph "), "{text}");
    assert!(text.trim_end().ends_with('}'), "{text}");
    assert_eq!(
        text.matches('{').count(),
        text.matches('}').count(),
        "{text}"
    );
    assert!(!text.contains("| "), "{text}");
    assert!(dot.stderr().contains("Secrets"), "{}", dot.stderr());
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
    // A missing directory: one error that names it, no diagram.
    let run = tntc(t.path(), &["visualize", "nope"]);
    assert_eq!(run.code(), 1, "{}", run.transcript());
    assert!(run.stdout().is_empty(), "{}", run.transcript());
    assert!(
        run.stderr().starts_with("error: nope: does not exist\n"),
        "{}",
        run.transcript()
    );

    // An invalid spec: the diagnostic with file:line:column, then one summary; no diagram, and
    // nothing written with --write.
    write(
        &t.path().join("bad/workflow.yaml"),
        "name: bad\nversion: \"1.0.0\"\ntriggers: [{type: manual}]\nnodes:\n  a: {path: ./nodes/a.ts, description: a}\n",
    );
    write(
        &t.path().join("bad/nodes/a.ts"),
        "export default async () => ({})\n",
    );
    let run = tntc(t.path(), &["visualize", "bad", "--write"]);
    assert_eq!(run.code(), 1, "{}", run.transcript());
    assert!(run.stdout().is_empty(), "{}", run.transcript());
    let err = run.stderr();
    assert!(
        err.starts_with("bad/workflow.yaml:2:10: version \"1.0.0\" must be MAJOR.MINOR"),
        "{err}"
    );
    assert!(
        err.ends_with("error: bad/workflow.yaml: workflow spec has 1 error\n"),
        "{err}"
    );
    assert!(!t.path().join("bad/workflow-diagram.md").exists());
}
