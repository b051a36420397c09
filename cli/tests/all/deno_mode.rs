//! Deno compatibility mode through the real `tntc` and the real Deno: a mixed workflow's
//! pipeline, a broken node failing only its own fixtures, an npm node offline from its cache.

use std::path::{Path, PathBuf};

use crate::support::{tntc, write};

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn deno(test: &str) -> Option<PathBuf> {
    let cwd = repo().canonicalize().unwrap();
    let env = std::env::var_os("TENTACULAR_DENO").filter(|v| !v.is_empty());
    let path = std::env::var_os("PATH");
    match tentacular_deno::locate::locate_in(
        None,
        env.as_deref().map(Path::new),
        path.as_deref(),
        &cwd,
    ) {
        Ok(l) => Some(l.path),
        Err(e) => {
            tentacular_test_support::missing(test, "the Deno CLI", &e.to_string());
            None
        }
    }
}

const MIXED: &str = "name: mixed\nversion: \"1.0\"\ntriggers:\n  - type: manual\nnodes:\n  start:\n    path: ./nodes/start.ts\n  middle:\n    path: ./nodes/middle.ts\n    runtime: deno\n  finish:\n    path: ./nodes/finish.ts\nedges:\n  - {from: start, to: middle}\n  - {from: middle, to: finish}\n";

#[test]
fn a_mixed_workflow_passes_its_pipeline_and_node_fixtures() {
    let Some(deno) = deno("a_mixed_workflow_passes_its_pipeline_and_node_fixtures") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(&d.join("workflow.yaml"), MIXED);
    write(
        &d.join("nodes/start.ts"),
        "export default async (ctx, input) => ({ n: (input.n ?? 1) + 1 });\n",
    );
    write(
        &d.join("nodes/middle.ts"),
        "export default async (ctx, input) => ({ n: input.n * 10, deno: typeof Deno.version.v8 });\n",
    );
    write(
        &d.join("nodes/finish.ts"),
        "export default async (ctx, input) => ({ total: input.n + 1, deno: input.deno });\n",
    );
    write(
        &d.join("tests/fixtures/middle.json"),
        r#"{"input": {"n": 4}, "expected": {"n": 40, "deno": "string"}}"#,
    );
    write(
        &d.join("tests/pipeline.json"),
        r#"{"input": {"n": 1}, "expected": {"start": {"n": 2}, "middle": {"n": 20, "deno": "string"}, "finish": {"total": 21, "deno": "string"}}}"#,
    );
    let deno = deno.to_str().unwrap();
    let run = tntc(d, &["test", ".", "--pipeline", "--deno", deno]);
    assert_eq!(run.code(), 0, "{}", run.transcript());
    assert!(
        run.stdout().contains("1 passed, 0 failed, 0 skipped"),
        "{}",
        run.transcript()
    );
    let run = tntc(d, &["-o", "json", "test", ".", "--deno", deno]);
    assert_eq!(run.code(), 0, "{}", run.transcript());
    assert_eq!(
        run.json()["testResults"][1]["status"],
        "passed",
        "{}",
        run.transcript()
    );
}

#[test]
fn a_node_that_cannot_load_fails_its_own_fixtures_and_the_others_still_run() {
    let Some(deno) =
        deno("a_node_that_cannot_load_fails_its_own_fixtures_and_the_others_still_run")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        &d.join("workflow.yaml"),
        "name: broken\nversion: \"1.0\"\ntriggers:\n  - type: manual\nnodes:\n  good:\n    path: ./nodes/good.ts\n  syntax:\n    path: ./nodes/syntax.ts\n  gone:\n    path: ./nodes/gone.ts\n    runtime: deno\n  fine:\n    path: ./nodes/fine.ts\n    runtime: deno\nedges: []\n",
    );
    write(
        &d.join("nodes/good.ts"),
        "export default async () => ({ ok: true });\n",
    );
    write(&d.join("nodes/syntax.ts"), "export default async ( => 1;\n");
    write(
        &d.join("nodes/gone.ts"),
        "import x from \"./nowhere.ts\";\nexport default async () => x;\n",
    );
    write(
        &d.join("nodes/fine.ts"),
        "export default async () => ({ ok: true });\n",
    );
    for n in ["good", "syntax", "gone", "fine"] {
        write(
            &d.join(format!("tests/fixtures/{n}.json")),
            r#"{"input": {}, "expected": {"ok": true}}"#,
        );
    }
    let run = tntc(
        d,
        &["-o", "json", "test", ".", "--deno", deno.to_str().unwrap()],
    );
    assert_eq!(run.code(), 1, "{}", run.transcript());
    let v = run.json();
    let by: Vec<(String, String, String)> = v["testResults"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["node"].as_str().unwrap_or("").to_string(),
                t["status"].as_str().unwrap().to_string(),
                t["error"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let status: Vec<(&str, &str)> = by
        .iter()
        .map(|(n, s, _)| (n.as_str(), s.as_str()))
        .collect();
    assert_eq!(
        status,
        [
            ("good", "passed"),
            ("syntax", "failed"),
            ("gone", "failed"),
            ("fine", "passed")
        ],
        "{}",
        run.transcript()
    );
    assert!(by[1].2.contains("nodes/syntax.ts:1"), "{}", by[1].2);
    assert!(by[2].2.contains("nowhere.ts"), "{}", by[2].2);
}

#[test]
fn an_npm_node_passes_offline_from_the_locked_cache() {
    let Some(deno) = deno("an_npm_node_passes_offline_from_the_locked_cache") else {
        return;
    };
    let wf = repo().join("deno/tests/workflows/npm");
    if !wf.join(".tentacular/deno/npm").exists() {
        tentacular_test_support::missing(
            "an_npm_node_passes_offline_from_the_locked_cache",
            "the filled Deno cache of deno/tests/workflows/npm",
            "run `tntc deno-cache deno/tests/workflows/npm` (.ci/run does)",
        );
        return;
    }
    let run = tntc(
        repo(),
        &[
            "test",
            wf.to_str().unwrap(),
            "--deno",
            deno.to_str().unwrap(),
            "--strict",
        ],
    );
    assert_eq!(run.code(), 0, "{}", run.transcript());
    assert!(
        run.stdout()
            .contains("1 passed, 0 failed, 0 skipped, 0 untested"),
        "{}",
        run.transcript()
    );
}
