//! `tntc test`: the examples pass offline; failures are named, exit 1 in text and JSON mode.

use std::path::Path;

use crate::support::{Run, command, golden, tntc};

/// `tntc args…` in `dir` where no Deno can be found (a Deno-mode node is then skipped).
fn tntc_without_deno(dir: &Path, args: &[&str]) -> Run {
    let output = command(dir, args)
        .env("TENTACULAR_DENO", "/nonexistent/deno")
        .output()
        .expect("tntc runs");
    Run {
        args: args.iter().map(|s| s.to_string()).collect(),
        output,
    }
}

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
    assert!(
        out.contains("1 passed, 1 failed, 0 skipped, 0 untested, 0 unchecked"),
        "{out}"
    );

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
    assert!(
        run.stdout()
            .contains("1 passed, 0 failed, 0 skipped, 0 untested, 0 unchecked")
    );
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
    // Each broken node fails its own tests (in the report), the others still run.
    let err = run.transcript();
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

/// `(12ms)` → `(Nms)`, for golden files.
fn without_timings(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('(') {
        out.push_str(&rest[..=i]);
        rest = &rest[i + 1..];
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 && rest[digits..].starts_with("ms)") {
            out.push('N');
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

/// A workflow with every kind of test that is not a plain pass: a fixture without
/// `expected`, a node without fixtures, a wrong output, a `runtime: deno` node and an orphan
/// fixture (`helo.json` for node `hello`).
fn false_greens(dir: &Path) {
    let node = |n: &str| {
        format!(
            "export default async () => {{\n  console.log(\"{n} ran\");\n  return {{ n: \"{n}\", items: [1, 2, 3] }};\n}};\n"
        )
    };
    write(
        dir,
        &[
            (
                "workflow.yaml",
                "name: fg\nversion: \"1.0\"\ntriggers:\n  - type: manual\nnodes:\n  hello:\n    path: ./nodes/hello.ts\n  world:\n    path: ./nodes/world.ts\n  checked:\n    path: ./nodes/checked.ts\n  old:\n    path: ./nodes/old.ts\n    runtime: deno\nedges: []\n",
            ),
            ("nodes/hello.ts", &node("hello")),
            ("nodes/world.ts", &node("world")),
            ("nodes/checked.ts", &node("checked")),
            ("nodes/old.ts", &node("old")),
            ("tests/fixtures/hello.json", r#"{"input": {}}"#),
            (
                "tests/fixtures/checked.json",
                r#"{"input": {}, "expected": {"n": "checked", "items": [1, 2, 3]}}"#,
            ),
            (
                "tests/fixtures/checked.bad.json",
                r#"{"input": {}, "expected": {"n": "x", "items": [1, 2, 3]}}"#,
            ),
            (
                "tests/fixtures/helo.json",
                r#"{"input": {}, "expected": {}}"#,
            ),
            (
                "tests/fixtures/old.json",
                r#"{"input": {}, "expected": {}}"#,
            ),
        ],
    );
}

/// Nothing is green that was not checked: each case is named for what it is, counted apart,
/// and the orphan fails the run.
#[test]
fn untested_unchecked_skipped_and_orphans_are_not_green() {
    let dir = tempfile::tempdir().unwrap();
    false_greens(dir.path());
    let run = tntc_without_deno(dir.path(), &["test", "."]);
    assert_eq!(run.code(), 1, "{}", run.transcript());
    golden("test-false-greens.txt", &without_timings(&run.transcript()));

    let run = tntc_without_deno(dir.path(), &["-o", "json", "test", "."]);
    assert_eq!(run.code(), 1, "{}", run.transcript());
    let v = run.json();
    assert_eq!(
        v["summary"],
        serde_json::json!({"passed": 1, "failed": 2, "skipped": 1, "untested": 1, "unchecked": 1})
    );
    assert_eq!(v["passed"], false);
    let status: Vec<(&str, &str)> = v["testResults"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap(), t["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        status,
        [
            ("hello: hello.json", "unchecked"),
            ("world: no fixtures", "untested"),
            ("checked: checked.bad.json", "failed"),
            ("checked: checked.json", "passed"),
            ("old: old.json", "skipped"),
            ("helo.json", "failed"),
        ]
    );
    assert!(
        v["testResults"][4]["hint"]
            .as_str()
            .unwrap()
            .contains("Deno")
    );
    assert_eq!(v["testResults"][5]["kind"], "orphan");
}

/// Without the failures, untested and unchecked tests do not fail the run, unless `--strict`
/// (untested nodes); `-v` shows every test's output.
#[test]
fn strict_fails_on_untested_nodes_and_verbose_shows_outputs() {
    let dir = tempfile::tempdir().unwrap();
    false_greens(dir.path());
    for f in ["checked.bad.json", "helo.json"] {
        std::fs::remove_file(dir.path().join("tests/fixtures").join(f)).unwrap();
    }
    let run = tntc_without_deno(dir.path(), &["test", "."]);
    assert_eq!(run.code(), 0, "{}", run.transcript());
    assert!(
        run.stdout()
            .contains("\n1 passed, 0 failed, 1 skipped, 1 untested, 1 unchecked\n"),
        "{}",
        run.stdout()
    );
    assert!(!run.stdout().contains("output:"), "{}", run.stdout());

    let run = tntc_without_deno(dir.path(), &["test", ".", "--strict"]);
    assert_eq!(run.code(), 1, "{}", run.transcript());
    assert_eq!(
        run.stderr(),
        "error: --strict: 1 node without fixtures (add tests/fixtures/<node>.json, or drop --strict)\n"
    );
    let run = tntc_without_deno(dir.path(), &["-o", "json", "test", ".", "--strict"]);
    assert_eq!(run.code(), 1, "{}", run.transcript());
    assert_eq!(run.json()["passed"], false);

    let run = tntc_without_deno(dir.path(), &["test", ".", "-v"]);
    assert_eq!(run.code(), 0, "{}", run.transcript());
    golden("test-verbose.txt", &without_timings(&run.transcript()));
}

/// JSON has every difference; the text view shows 20 and says how many more.
#[test]
fn differences_are_whole_in_json_and_cut_in_text() {
    let dir = tempfile::tempdir().unwrap();
    let expected: Vec<u32> = (100..130).collect();
    write(
        dir.path(),
        &[
            (
                "workflow.yaml",
                "name: many\nversion: \"1.0\"\ntriggers:\n  - type: manual\nnodes:\n  a:\n    path: ./nodes/a.ts\n",
            ),
            (
                "nodes/a.ts",
                "export default async () => Array.from({ length: 30 }, (_, i) => i);\n",
            ),
            (
                "tests/fixtures/a.json",
                &format!(r#"{{"input": {{}}, "expected": {expected:?}}}"#),
            ),
        ],
    );
    let run = tntc(dir.path(), &["test", "."]);
    assert_eq!(run.code(), 1);
    assert!(
        run.stdout()
            .contains("output differs from `expected` (30 differences)")
    );
    assert!(run.stdout().contains("$[19]: expected 119, got 19"));
    assert!(!run.stdout().contains("$[20]"), "{}", run.stdout());
    assert!(run.stdout().contains("... and 10 more"), "{}", run.stdout());
    let run = tntc(dir.path(), &["-o", "json", "test", "."]);
    let diffs = run.json()["testResults"][0]["differences"].clone();
    assert_eq!(diffs.as_array().unwrap().len(), 30);
    assert_eq!(diffs[29]["path"], "$[29]");
}

/// A pipeline run without `tests/pipeline.json` (or without its `expected`) only shows that
/// no node failed: unchecked, not passed.
#[test]
fn a_pipeline_without_expectation_is_unchecked() {
    let dir = tempfile::tempdir().unwrap();
    false_greens(dir.path());
    let yaml = std::fs::read_to_string(dir.path().join("workflow.yaml")).unwrap();
    std::fs::write(
        dir.path().join("workflow.yaml"),
        yaml.replace("    runtime: deno\n", ""),
    )
    .unwrap();
    let run = tntc(dir.path(), &["-o", "json", "test", ".", "--pipeline"]);
    assert_eq!(run.code(), 0, "{}", run.transcript());
    let v = run.json();
    assert_eq!(v["testResults"][0]["status"], "unchecked");
    assert_eq!(v["summary"]["unchecked"], 1);
    assert_eq!(v["testResults"][0]["output"]["hello"]["n"], "hello");
    write(
        dir.path(),
        &[(
            "tests/pipeline.json",
            r#"{"expected": {"world": {"n": "world", "items": [1, 2, 3]}}}"#,
        )],
    );
    let run = tntc(dir.path(), &["test", ".", "--pipeline"]);
    assert_eq!(run.code(), 0, "{}", run.transcript());
    assert!(run.stdout().contains("✓ pipeline"), "{}", run.transcript());
}
