//! `tentacular-engine run`: one run through the real binary, the ExecutionResult on stdout,
//! exit 0 on success and 1 on a failed run.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::support::{engine_binary, example, run_to_end};

fn engine_run() -> Command {
    let mut c = engine_binary();
    c.arg("run");
    c
}

fn word_counter() -> PathBuf {
    example("word-counter")
}

fn output(cmd: &mut Command) -> (i32, String, String) {
    run_to_end(cmd)
}

#[test]
fn word_counter_prints_its_execution_result_and_exits_0() {
    let (code, out, err) = output(engine_run().arg("--workflow").arg(word_counter()));
    assert_eq!(code, 0, "stdout: {out}\nstderr: {err}");
    let result: Value = serde_json::from_str(&out).expect("stdout is the ExecutionResult");
    assert_eq!(result["success"], true, "{result}");
    assert_eq!(result["outputs"]["report"]["totalWords"], 17, "{result}");
    assert!(
        result["timing"]["nodeTimings"]["tokenize"].is_object(),
        "{result}"
    );
}

#[test]
fn a_failed_run_prints_its_result_and_exits_1_and_input_comes_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("workflow.yaml"),
        "name: picky\nversion: \"1.0\"\ntriggers:\n  - type: manual\nnodes:\n  check:\n    path: ./check.ts\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("check.ts"),
        "export default async function run(_ctx: unknown, input: {n?: number}) {\n  if (input.n !== 7) throw new Error(`wanted 7, got ${input.n}`);\n  return {ok: input.n};\n}\n",
    )
    .unwrap();
    let input = dir.path().join("input.json");
    std::fs::write(&input, r#"{"n": 7}"#).unwrap();

    let (code, out, err) = output(
        engine_run()
            .arg("--workflow")
            .arg(dir.path())
            .arg("--input")
            .arg(format!("@{}", input.display())),
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let result: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(result["outputs"]["check"]["ok"], 7, "{result}");

    let (code, out, err) = output(
        engine_run()
            .arg("--workflow")
            .arg(dir.path())
            .args(["--input", r#"{"n": 3}"#]),
    );
    assert_eq!(code, 1, "{out}\n{err}");
    let result: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(result["success"], false, "{result}");
    assert!(
        result["errors"]["check"]
            .as_str()
            .unwrap_or_default()
            .contains("wanted 7, got 3"),
        "{result}"
    );
}

#[test]
fn bad_input_is_a_usage_error_and_a_broken_workflow_a_startup_failure() {
    let (code, out, err) = output(
        engine_run()
            .arg("--workflow")
            .arg(word_counter())
            .args(["--input", "{not json"]),
    );
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(err.contains("--input is not valid JSON"), "{err}");

    let (code, out, err) = output(engine_run().args(["--workflow", "/no/such/workflow"]));
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(err.contains("engine failed to start"), "{err}");
}
