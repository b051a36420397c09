//! Host operations: a node's requests overlap, are capped per node (extra ones wait, never
//! fail), and timers wait on the host clock without burning CPU. None of these tests depends
//! on timing beyond lower bounds: concurrency is counted by the server.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tentacular_sandbox::fetch::net::NetTransport;
use tentacular_sandbox::{Capabilities, Dependency, Limits};

use crate::server::TestServer;
use crate::support::load;

fn caps(port: u16, max_in_flight: usize) -> Arc<Capabilities> {
    Arc::new(
        Capabilities::builder("n")
            .dependency(
                "slow",
                Dependency {
                    protocol: "http".into(),
                    host: "localhost".into(),
                    port,
                    auth: None,
                    granted: true,
                    dynamic: None,
                    extra: Default::default(),
                },
            )
            .max_in_flight(max_in_flight)
            .transport(Arc::new(NetTransport::new().unwrap()))
            .build(),
    )
}

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
            &caps(server.port, 32),
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
            &caps(server.port, 32),
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
    let program = load(
        "export default async function run() { const t = Date.now(); const p = performance.now(); await new Promise((r) => setTimeout(r, 500)); return { date: Date.now() - t, perf: performance.now() - p }; }\n",
    )
    .await;
    let cpu = || {
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
        let fields: Vec<u64> = stat
            .rsplit(')')
            .next()
            .unwrap()
            .split_whitespace()
            .skip(11)
            .take(2)
            .map(|f| f.parse().unwrap())
            .collect();
        fields[0] + fields[1]
    };
    let (cpu0, t0) = (cpu(), Instant::now());
    let out = crate::support::run(&program, json!({})).await;
    let (ticks, wall) = (cpu() - cpu0, t0.elapsed());
    let v = out.result.unwrap();
    assert!(wall >= Duration::from_millis(500), "{wall:?}");
    assert!(v["date"].as_f64().unwrap() >= 499.0, "{v}");
    assert!(v["perf"].as_f64().unwrap() >= 499.0, "{v}");
    // Clock ticks are 10 ms: a busy wait would be ~50 ticks of this process's CPU.
    assert!(ticks < 25, "{ticks} ticks of CPU while a timer waited");
}
