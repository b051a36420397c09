//! `tntc validate`.

use crate::support::{digest_workflow, golden, tempdir, tntc, write};

#[test]
fn every_error_at_once_with_positions() {
    let t = tempdir();
    digest_workflow(t.path(), "wf");
    let spec = t.path().join("wf/workflow.yaml");
    let text = std::fs::read_to_string(&spec)
        .unwrap()
        .replace("version: \"1.0\"", "version: \"1.0.0\"")
        .replace("to: notify", "to: notfy")
        .replace("description: Fetches repos", "descripton: Fetches repos");
    write(&spec, &text);
    let run = tntc(t.path(), &["validate", "wf"]);
    assert_eq!(run.code(), 1);
    golden("validate-errors.txt", &run.transcript());

    let run = tntc(t.path(), &["-o", "json", "validate", "wf"]);
    assert_eq!(run.code(), 1);
    assert!(
        run.stderr().is_empty(),
        "JSON mode reports once, on stdout: {}",
        run.stderr()
    );
    let v = run.json();
    assert_eq!(v["valid"], false);
    let codes: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        ["version-format", "unknown-key", "edge-unknown-node"]
    );
    assert_eq!(v["errors"][0]["line"], 2);
    assert_eq!(v["errors"][0]["column"], 10);
}

#[test]
fn verbose_shows_derived_artifacts() {
    let t = tempdir();
    digest_workflow(t.path(), "wf");
    let run = tntc(t.path(), &["validate", "-v", "wf"]);
    assert_eq!(run.code(), 0, "{}", run.transcript());
    golden("validate-verbose.txt", &run.transcript());
}

#[test]
fn json_shape() {
    let t = tempdir();
    digest_workflow(t.path(), "wf");
    let run = tntc(t.path(), &["-o", "json", "validate", "wf"]);
    assert_eq!(run.code(), 0, "{}", run.transcript());
    golden("validate.json", &run.stdout());
    let v = run.json();
    for key in [
        "workflow",
        "version",
        "nodes",
        "edges",
        "triggers",
        "hasContract",
        "secrets",
        "egressRules",
        "ingressRules",
        "errors",
        "warnings",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
}

#[test]
fn warnings_do_not_fail() {
    let t = tempdir();
    let wf = digest_workflow(t.path(), "wf");
    let spec = wf.join("workflow.yaml");
    let text = std::fs::read_to_string(&spec)
        .unwrap()
        .replace("    uses: [slack]\n", "");
    write(&spec, &text);
    let run = tntc(t.path(), &["validate", "wf"]);
    assert_eq!(run.code(), 0, "{}", run.transcript());
    golden("validate-warnings.txt", &run.transcript());
}

#[test]
fn accepts_the_spec_file_and_the_current_directory() {
    let t = tempdir();
    let wf = digest_workflow(t.path(), "wf");
    assert_eq!(tntc(t.path(), &["validate", "wf/workflow.yaml"]).code(), 0);
    let run = tntc(&wf, &["validate"]);
    assert_eq!(run.code(), 0, "{}", run.transcript());
    // Its webhook trigger has no signing secret provisioned: valid, with that warning.
    assert_eq!(run.stdout(), "✓ ./workflow.yaml is valid (1 warning)\n");
    assert!(
        run.transcript()
            .contains("no webhook secret is provisioned"),
        "{}",
        run.transcript()
    );
    write(
        &wf.join(".secrets.yaml"),
        "github:\n  webhook_secret: a-long-webhook-secret\n",
    );
    let run = tntc(&wf, &["validate"]);
    assert_eq!(
        run.stdout(),
        "✓ ./workflow.yaml is valid\n",
        "{}",
        run.transcript()
    );
}
