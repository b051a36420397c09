//! One snapshot per workflow: several nodes loaded together, each invocation still isolated.

use std::path::Path;

use serde_json::json;
use tentacular_sandbox::LoadError;

use crate::support::{run, sandbox, workflow};

const COUNTER: &str = "let calls = 0;\nexport default async function run() { calls += 1; return { node: NAME, calls }; }\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_of_one_workflow_share_a_snapshot_but_not_state() {
    let a = COUNTER.replace("NAME", "\"a\"");
    let b = COUNTER.replace("NAME", "\"b\"");
    let dir = workflow(&[("nodes/a.ts", &a), ("nodes/b.ts", &b)]);
    let mut programs = sandbox()
        .load_all(
            dir.path(),
            &[Path::new("nodes/a.ts"), Path::new("nodes/b.ts")],
        )
        .await
        .into_iter()
        .map(|p| p.unwrap_or_else(|e| panic!("load failed: {e}")));
    let (a, b) = (programs.next().unwrap(), programs.next().unwrap());
    // Each call runs its own node, in a fresh instance: module state never carries over,
    // neither between calls of one node nor between the nodes.
    for _ in 0..3 {
        assert_eq!(
            run(&a, json!({})).await.result.unwrap(),
            json!({"node": "a", "calls": 1})
        );
        assert_eq!(
            run(&b, json!({})).await.result.unwrap(),
            json!({"node": "b", "calls": 1})
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_node_does_not_keep_the_others_from_loading() {
    let dir = workflow(&[
        (
            "nodes/good.ts",
            "import { twice } from \"./lib.ts\";\nexport default async function run() { return twice(2); }\n",
        ),
        (
            "nodes/lib.ts",
            "export const twice = (n: number) => n * 2;\n",
        ),
        ("nodes/no-default.ts", "export const x = 1;\n"),
        (
            "nodes/throws.ts",
            "throw new Error(\"at load\");\nexport default () => 1;\n",
        ),
        (
            "nodes/also-good.ts",
            "import { twice } from \"./lib.ts\";\nimport other from \"./good.ts\";\nexport default async function run() { return twice(await other()); }\n",
        ),
    ]);
    let paths = ["good", "no-default", "throws", "also-good"].map(|n| format!("nodes/{n}.ts"));
    let paths: Vec<&Path> = paths.iter().map(Path::new).collect();
    let results = sandbox().load_all(dir.path(), &paths).await;
    let [good, no_default, throws, also_good] = <[_; 4]>::try_from(results).ok().unwrap();
    assert_eq!(
        run(&good.unwrap(), json!({})).await.result.unwrap(),
        json!(4)
    );
    // A node that imports another node's file (and a helper both use) loads too.
    assert_eq!(
        run(&also_good.unwrap(), json!({})).await.result.unwrap(),
        json!(8)
    );
    let e = no_default.unwrap_err();
    assert!(matches!(e, LoadError::NoDefaultExport { .. }), "{e}");
    assert!(e.to_string().contains("nodes/no-default.ts"), "{e}");
    let e = throws.unwrap_err();
    assert!(
        matches!(&e, LoadError::Evaluation { message, .. } if message.contains("at load")),
        "{e}"
    );
    assert!(e.to_string().contains("nodes/throws.ts"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_whose_top_level_never_ends_is_named() {
    let dir = workflow(&[
        (
            "nodes/ok.ts",
            "export default async function run() { return 1; }\n",
        ),
        (
            "nodes/spin.ts",
            "while (true) {}\nexport default () => 1;\n",
        ),
    ]);
    let results = sandbox()
        .load_all(
            dir.path(),
            &[Path::new("nodes/ok.ts"), Path::new("nodes/spin.ts")],
        )
        .await;
    let [ok, spin] = <[_; 2]>::try_from(results).ok().unwrap();
    assert_eq!(run(&ok.unwrap(), json!({})).await.result.unwrap(), json!(1));
    let e = spin.unwrap_err();
    assert!(e.to_string().contains("nodes/spin.ts"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_patches_globals_at_load_changes_only_its_own_realm() {
    let dir = workflow(&[
        (
            "nodes/patcher.ts",
            "(Array.prototype as any).leak = \"patched\";\n(globalThis as any).shared = 1;\nexport default async function run() { return [[].leak, (globalThis as any).shared]; }\n",
        ),
        (
            "nodes/sibling.ts",
            "export default async function run() { return [([] as any).leak ?? null, (globalThis as any).shared ?? null]; }\n",
        ),
    ]);
    let results = sandbox()
        .load_all(
            dir.path(),
            &[Path::new("nodes/patcher.ts"), Path::new("nodes/sibling.ts")],
        )
        .await;
    let [patcher, sibling] = <[_; 2]>::try_from(results).ok().unwrap();
    // The patcher keeps what its own top level did; its sibling never sees it.
    assert_eq!(
        run(&patcher.unwrap(), json!({})).await.result.unwrap(),
        json!(["patched", 1])
    );
    assert_eq!(
        run(&sibling.unwrap(), json!({})).await.result.unwrap(),
        json!([null, null])
    );
}
