//! Host operations: a node's requests overlap, are capped per node (extra ones wait, never
//! fail), and timers wait on the host clock without burning CPU. None of these tests depends
//! on timing beyond lower bounds: concurrency is counted by the server.

use std::time::{Duration, Instant};

use serde_json::json;
use tentacular_sandbox::Limits;

use crate::server::TestServer;
use crate::support::{load, loopback_caps};

const PARALLEL: &str = r#"
export default async function run(ctx, input) {
  const dep = ctx.dependency("slow");
  const all = await Promise.all(
    Array.from({ length: input.n }, () => dep.fetch(`/sleep?ms=${input.ms}`).then((r) => r.text())),
  );
  return { ok: all.filter((t) => t === "slept").length };
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nodes_requests_are_in_flight_at_once() {
    let server = TestServer::start().await;
    let program = load(PARALLEL).await;
    let out = program
        .invoke(
            &json!({"n": 10, "ms": 200}),
            &loopback_caps("slow", server.port, 32),
            &Limits::default(),
        )
        .await;
    assert_eq!(out.result.unwrap(), json!({"ok": 10}));
    assert_eq!(
        server.peak_in_flight(),
        10,
        "all ten requests were in flight together"
    );
    assert_eq!(out.stats.fetches, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_over_the_per_node_cap_wait_and_all_succeed() {
    let server = TestServer::start().await;
    let program = load(PARALLEL).await;
    let out = program
        .invoke(
            &json!({"n": 100, "ms": 20}),
            &loopback_caps("slow", server.port, 32),
            &Limits::default(),
        )
        .await;
    assert_eq!(out.result.unwrap(), json!({"ok": 100}));
    let peak = server.peak_in_flight();
    assert!(peak <= 32, "{peak} requests in flight, over the cap of 32");
    assert!(peak > 1, "requests did overlap");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timer_waits_on_the_host_clock_without_burning_cpu() {
    // Fuel counts the guest's own work, whatever else this test process is doing.
    let cache = tempfile::tempdir().unwrap();
    let sandbox = tentacular_sandbox::Sandbox::new(tentacular_sandbox::SandboxConfig {
        cache_dir: Some(cache.path().to_path_buf()),
        fuel: true,
        ..Default::default()
    })
    .unwrap();
    let dir = crate::support::workflow(&[
        (
            "nodes/sleep.ts",
            "export default async function run() { const t = Date.now(); const p = performance.now(); await new Promise((r) => setTimeout(r, 500)); return { date: Date.now() - t, perf: performance.now() - p }; }\n",
        ),
        (
            "nodes/spin.ts",
            "export default async function run() { const end = Date.now() + 500; let n = 0; while (Date.now() < end) n++; return { date: 500, perf: 500 }; }\n",
        ),
    ]);
    let limits = Limits {
        fuel: Some(u64::MAX / 2),
        ..Limits::default()
    };
    let mut fuel = Vec::new();
    for node in ["sleep", "spin"] {
        let program = sandbox
            .load(
                dir.path(),
                std::path::Path::new(&format!("nodes/{node}.ts")),
            )
            .await
            .unwrap();
        let t0 = Instant::now();
        let out = program
            .invoke(&json!({}), &crate::support::no_caps(), &limits)
            .await;
        assert!(t0.elapsed() >= Duration::from_millis(500), "{node}");
        let v = out.result.unwrap();
        assert!(v["date"].as_f64().unwrap() >= 499.0, "{node}: {v}");
        assert!(v["perf"].as_f64().unwrap() >= 499.0, "{node}: {v}");
        fuel.push(out.stats.fuel_consumed.unwrap());
    }
    let (sleeping, spinning) = (fuel[0], fuel[1]);
    assert!(
        sleeping * 100 < spinning,
        "a sleeping node used {sleeping} fuel, a spinning one {spinning}"
    );
}
