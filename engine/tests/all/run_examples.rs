//! The executor end to end on the bundled examples, in the real sandbox.

use std::sync::Arc;

use serde_json::json;
use tentacular_engine::executor::{Bindings, Runner};
use tentacular_engine::secrets::Secrets;
use tentacular_sandbox::fetch::DenyAll;
use tentacular_spec::Workflow;

use crate::support::{example, sandbox, temp_workflow};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn word_counter_runs_end_to_end() {
    let sandbox = sandbox();
    let loaded = Workflow::load(example("word-counter")).unwrap();
    let bindings = Bindings::new(&loaded, &Secrets::new(), Arc::new(DenyAll)).unwrap();
    let runner = Runner::load(&sandbox, loaded).await.unwrap();
    let report = runner.run(&bindings, json!({})).await;
    let r = &report.result;
    assert!(r.success, "{:?}", r.errors);
    assert_eq!(
        r.outputs.keys().collect::<Vec<_>>(),
        ["source", "tokenize", "report"]
    );
    let report_out = &r.outputs["report"];
    assert!(
        report_out["totalWords"].as_u64().unwrap() > 0,
        "{report_out}"
    );
    assert_eq!(r.timing.node_timings.len(), 3);
    assert!(r.resources["tokenize"].peak_memory > 0);
    let json = serde_json::to_value(r).unwrap();
    for key in ["success", "outputs", "errors", "timing"] {
        assert!(json.get(key).is_some(), "{key} missing from {json}");
    }
    assert!(json["timing"]["nodeTimings"]["source"]["durationMs"].is_u64());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_stage_stops_the_run_and_retries_back_off() {
    let dir = temp_workflow(
        "name: flaky\nversion: \"1.0\"\ntriggers:\n  - type: manual\nnodes:\n  a:\n    path: ./nodes/a.ts\n  b:\n    path: ./nodes/b.ts\n  c:\n    path: ./nodes/c.ts\nedges:\n  - from: a\n    to: c\n  - from: b\n    to: c\nconfig:\n  retries: 2\n",
        &[
            ("nodes/a.ts", "export default async () => ({ a: 1 });"),
            (
                "nodes/b.ts",
                "export default async () => { throw new Error(\"b broke\"); };",
            ),
            (
                "nodes/c.ts",
                "export default async (_: unknown, i: unknown) => i;",
            ),
        ],
    );
    let sandbox = sandbox();
    let loaded = Workflow::load(dir.path()).unwrap();
    let bindings = Bindings::new(&loaded, &Secrets::new(), Arc::new(DenyAll)).unwrap();
    let runner = Runner::load(&sandbox, loaded).await.unwrap();
    let started = std::time::Instant::now();
    let report = runner.run(&bindings, json!({})).await;
    let r = &report.result;
    assert!(!r.success);
    assert_eq!(
        r.outputs.get("a"),
        Some(&json!({"a": 1})),
        "the other node of the stage completes"
    );
    assert!(r.errors["b"].contains("b broke"), "{:?}", r.errors);
    assert!(
        !r.outputs.contains_key("c") && !r.errors.contains_key("c"),
        "later stages do not run"
    );
    assert_eq!(r.resources["b"].attempts, 3);
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(300),
        "backoff 100ms + 200ms"
    );
}

/// A wide stage over a small instance pool: nodes wait for a free instance (the wait shows as
/// `queuedMs`), and none fails for want of one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stage_wider_than_the_instance_pool_waits_and_never_fails() {
    const WIDTH: usize = 12;
    let mut spec =
        String::from("name: wide\nversion: \"1.0\"\ntriggers:\n  - type: manual\nnodes:\n");
    let mut files = Vec::new();
    for i in 0..WIDTH {
        spec.push_str(&format!(
            "  n{i}:\n    path: ./nodes/n{i}.ts\n    description: Waits.\n"
        ));
        files.push((
            format!("nodes/n{i}.ts"),
            format!("export default async function run() {{ await new Promise((r) => setTimeout(r, 50)); return {i}; }}\n"),
        ));
    }
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = temp_workflow(&spec, &files);
    let sandbox = tentacular_sandbox::Sandbox::new(tentacular_sandbox::SandboxConfig {
        cache_dir: Some(crate::support::cache_dir().into()),
        max_instances: 4,
        ..Default::default()
    })
    .unwrap();
    let loaded = Workflow::load(dir.path()).unwrap();
    let bindings = Bindings::new(&loaded, &Secrets::new(), Arc::new(DenyAll)).unwrap();
    let runner = Runner::load(&sandbox, loaded).await.unwrap();
    let runs: Vec<_> = (0..3)
        .map(|_| {
            let (runner, bindings) = (runner.clone(), bindings.clone());
            tokio::spawn(async move { runner.run(&bindings, json!({})).await })
        })
        .collect();
    let mut queued = 0;
    for run in runs {
        let report = run.await.unwrap();
        let r = &report.result;
        assert!(r.success, "{:?}", r.errors);
        assert_eq!(r.outputs.len(), WIDTH);
        queued += r
            .timing
            .node_timings
            .values()
            .filter(|t| t.queued_ms > 0)
            .count();
    }
    // 36 nodes of 50 ms on 4 instances: most of them waited.
    assert!(queued >= 20, "only {queued} nodes waited for an instance");
}
