//! `tntc test`: the examples pass offline; failures are named, exit 1 in text and JSON mode.

use std::path::Path;

use crate::support::tntc;

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (p, body) in files {
        let p = dir.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
}

const WORKFLOW: &str = "name: t\nversion: \"1.0\"\ntriggers:\n  - type: manual\nnodes:\n  fetch:\n    path: ./nodes/fetch.ts\n    description: fetches\n    uses: [api]\nedges: []\ncontract:\n  version: \"1\"\n  dependencies:\n    api:\n      protocol: https\n      host: api.example.com\n";
const NODE: &str = "import type { Context } from \"tentacular\";\nexport default async function run(ctx: Context) {\n  const r = await ctx.dependency(\"api\").fetch(\"/items?page=1\");\n  return { status: r.status, body: await r.json() };\n}\n";

#[test]
fn every_example_passes_offline_node_and_pipeline() {
    let examples = repo().join("example-workflows");
    let mut names: Vec<_> = std::fs::read_dir(&examples)
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("workflow.yaml").exists())
        .map(|e| e.path())
        .collect();
    names.sort();
    assert_eq!(names.len(), 7, "{names:?}");
    for ex in names {
        let dir = ex.to_str().unwrap();
        for args in [vec!["test", dir], vec!["test", dir, "--pipeline"]] {
            let run = tntc(repo(), &args);
            assert_eq!(run.code(), 0, "{}", run.transcript());
        }
    }
}

#[test]
fn strict_http_fixtures_answer_and_name_unexpected_requests() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("workflow.yaml", WORKFLOW),
            ("nodes/fetch.ts", NODE),
            (
                "tests/fixtures/fetch.json",
                r#"{"input": {}, "expected": {"body": {"items": [1]}, "status": 200},
            "http": [{"dependency": "api", "method": "GET", "path": "/items?page=1", "status": 200, "body": {"items": [1]}}]}"#,
            ),
            (
                "tests/fixtures/fetch.wrong-path.json",
                r#"{"input": {}, "http": [{"dependency": "api", "method": "GET", "path": "/other", "status": 200, "body": {}}]}"#,
            ),
        ],
    );
    let run = tntc(dir.path(), &["test", "."]);
    assert_eq!(run.code(), 1, "{}", run.transcript());
    let out = run.stdout();
    assert!(out.contains("✓ fetch: fetch.json"), "{out}");
    assert!(out.contains("✗ fetch: fetch.wrong-path.json"), "{out}");
    assert!(
        out.contains("/items?page=1"),
        "the unexpected request is named: {out}"
    );
    assert!(out.contains("was never requested"), "{out}");
    assert!(out.contains("1/2 tests passed"), "{out}");

    // JSON mode fails too (the original's JSON mode always exited 0).
    let run = tntc(dir.path(), &["-o", "json", "test", "."]);
    assert_eq!(run.code(), 1);
    let v = run.json();
    assert_eq!(v["testResults"].as_array().unwrap().len(), 2);
    assert_eq!(v["testResults"][1]["passed"], false);
}

#[test]
fn without_an_http_list_requests_get_the_original_mock_answer() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("workflow.yaml", WORKFLOW),
            ("nodes/fetch.ts", NODE),
            (
                "tests/fixtures/fetch.json",
                r#"{"input": {}, "expected": {"status": 200, "body": {"mock": true, "dependency": "api", "path": "/items?page=1"}}}"#,
            ),
        ],
    );
    let run = tntc(dir.path(), &["test", "."]);
    assert_eq!(run.code(), 0, "{}", run.transcript());
}

#[test]
fn a_wrong_output_shows_a_readable_diff_and_one_node_can_be_selected() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "workflow.yaml",
                "name: t\nversion: \"1.0\"\ntriggers:\n  - type: manual\nnodes:\n  a:\n    path: ./nodes/a.ts\n  b:\n    path: ./nodes/b.ts\nedges: []\n",
            ),
            (
                "nodes/a.ts",
                "export default async () => ({ x: 1, y: [1, 2] });\n",
            ),
            ("nodes/b.ts", "export default async () => ({ ok: true });\n"),
            (
                "tests/fixtures/a.json",
                r#"{"input": {}, "expected": {"y": [1, 3], "x": 1}}"#,
            ),
            (
                "tests/fixtures/b.json",
                r#"{"input": {}, "expected": {"ok": true}}"#,
            ),
        ],
    );
    let run = tntc(dir.path(), &["test", "."]);
    assert_eq!(run.code(), 1);
    assert!(run.stdout().contains("$.y[1]"), "{}", run.stdout());
    let run = tntc(dir.path(), &["test", "./b"]);
    assert_eq!(run.code(), 0, "{}", run.transcript());
    assert!(run.stdout().contains("1/1 tests passed"));
    let run = tntc(dir.path(), &["test", "./nope"]);
    assert_ne!(run.code(), 0);
}

#[test]
fn bad_input_gets_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "workflow.yaml",
                "name: t\nversion: \"1.0\"\ntriggers:\n  - type: manual\nnodes:\n  a:\n    path: ./nodes/a.ts\n  s:\n    path: ./nodes/s.ts\n  d:\n    path: ./nodes/d.ts\nedges: []\n",
            ),
            ("nodes/a.ts", "export default async () => 1;\n"),
            (
                "nodes/s.ts",
                "export default async function run() {\n  return {;\n}\n",
            ),
            ("nodes/d.ts", "export const notDefault = 1;\n"),
            ("tests/fixtures/a.json", "{not json"),
        ],
    );
    let run = tntc(dir.path(), &["test", "."]);
    assert_eq!(run.code(), 1);
    let err = run.stderr();
    assert!(
        err.contains("nodes/s.ts:2"),
        "syntax error with file:line: {err}"
    );
    assert!(
        err.contains("nodes/d.ts") && err.contains("default"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    // With the broken nodes fixed, the fixture that is not JSON is named.
    std::fs::write(
        dir.path().join("nodes/s.ts"),
        "export default async () => 2;\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("nodes/d.ts"),
        "export default async () => 3;\n",
    )
    .unwrap();
    let run = tntc(dir.path(), &["test", "."]);
    assert_eq!(run.code(), 1);
    assert!(run.stdout().contains("a.json"), "{}", run.transcript());
}

#[test]
fn a_fresh_init_validates_and_tests() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["init", "x"],
        vec!["validate", "x"],
        vec!["test", "x"],
        vec!["test", "x", "--pipeline"],
    ] {
        let run = tntc(dir.path(), &args);
        assert_eq!(run.code(), 0, "{}", run.transcript());
    }
}

/// `tntc test` runs timers on a virtual clock, by choice: a node that backs off for two
/// minutes (far past its 5 s timeout on a real clock) passes, in timer order.
#[test]
fn timers_run_on_a_virtual_clock_in_tests() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "workflow.yaml",
                "name: backoff\nversion: \"1.0\"\ntriggers:\n  - type: manual\nnodes:\n  retry:\n    path: ./nodes/retry.ts\n    description: Backs off.\n    limits: {timeout: 5s}\n",
            ),
            (
                "nodes/retry.ts",
                "export default async function run() {\n  const order: number[] = [];\n  const wait = (ms: number) => new Promise((r) => setTimeout(() => { order.push(ms); r(null); }, ms));\n  await Promise.all([wait(120000), wait(1000), wait(60000)]);\n  return { order };\n}\n",
            ),
            (
                "tests/fixtures/retry.json",
                r#"{"input": {}, "expected": {"order": [1000, 60000, 120000]}}"#,
            ),
        ],
    );
    let run = tntc(dir.path(), &["test", "."]);
    assert_eq!(run.code(), 0, "{}", run.transcript());
}
