//! Capacity (issue 15): beyond what the memory budget affords, requests wait for admission
//! and then get 429 — never a 5xx, never a node that fails for want of a sandbox instance.
//! Not timed: the assertions hold on a loaded machine too.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use serde_json::Value;
use tentacular_engine::server::{self, App, Loader, ServerConfig};
use tentacular_sandbox::fetch::DenyAll;
use tentacular_sandbox::{Sandbox, SandboxConfig};
use tower::ServiceExt;

use crate::server_binary::Engine;
use crate::support::{cache_dir, temp_workflow};

/// A loopback dependency that answers every request after `ms` milliseconds; its port.
async fn slow_dependency(ms: u64) -> u16 {
    let app = Router::new().route(
        "/sleep",
        get(move || async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            "ok"
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    port
}

/// The io-burst workflow: one node that waits on the dependency at `port` (legacy `ctx.fetch`).
fn waiting_workflow(port: u16) -> tempfile::TempDir {
    temp_workflow(
        &format!(
            "name: io-burst\nversion: \"1.0\"\ntriggers:\n  - type: manual\nnodes:\n  wait:\n    path: ./nodes/wait.ts\n    description: Wait on the slow dependency.\n    uses: [slow]\nconfig:\n  timeout: 30s\ncontract:\n  version: \"1\"\n  dependencies:\n    slow:\n      protocol: http\n      host: 127.0.0.1\n      port: {port}\n"
        ),
        &[(
            "nodes/wait.ts",
            &format!(
                "export default async function run(ctx: any) {{ const r = await ctx.fetch(\"slow\", \"http://127.0.0.1:{port}/sleep\"); return {{ status: r.status, body: await r.text() }}; }}\n"
            ),
        )],
    )
}

fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_runs_against_a_small_budget_get_2xx_or_429_never_5xx() {
    let port = slow_dependency(300).await;
    let dir = waiting_workflow(port);
    // 60 MiB: 60 − 48 (baseline) − 8 (headroom) = 4 MiB for runs, 7 of them at 576 KiB.
    let e = tokio::task::block_in_place(|| {
        Engine::start(
            dir.path(),
            &["--memory-budget", "60MiB", "--queue-wait", "200ms"],
        )
    });
    let line = e
        .seen
        .iter()
        .find(|l| l.contains("\"message\":\"capacity\""))
        .cloned()
        .unwrap_or_else(|| panic!("no capacity line in {:?}", e.seen));
    assert!(line.contains("\"max_in_flight\":7"), "{line}");
    assert!(line.contains("\"source\":\"--memory-budget\""), "{line}");

    let client = reqwest::Client::new();
    let url = e.url("/run");
    let requests: Vec<_> = (0..120)
        .map(|_| {
            let (client, url) = (client.clone(), url.clone());
            tokio::spawn(async move {
                let res = client.post(&url).body("{}").send().await.unwrap();
                let status = res.status().as_u16();
                let retry_after = res.headers().get("retry-after").cloned();
                let text = res.text().await.unwrap();
                (
                    status,
                    retry_after,
                    serde_json::from_str::<Value>(&text).unwrap(),
                )
            })
        })
        .collect();
    let (mut ok, mut refused) = (0, 0);
    for r in requests {
        let (status, retry_after, body) = r.await.unwrap();
        match status {
            200 => {
                assert_eq!(body["success"], true, "{body}");
                assert_eq!(body["outputs"]["wait"]["body"], "ok", "{body}");
                ok += 1;
            }
            429 => {
                assert_eq!(retry_after.unwrap(), "1");
                refused += 1;
            }
            other => panic!("status {other}: {body}"),
        }
    }
    assert!(
        ok >= 7,
        "at least the first seven ran: {ok} ok, {refused} refused"
    );
    assert!(
        refused >= 1,
        "120 clients on 7 slots: {ok} ok, {refused} refused"
    );

    let text = client
        .get(e.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        metric(&text, "tentacular_runs_rejected_total"),
        refused as f64
    );
    assert_eq!(metric(&text, "tentacular_runs_max_in_flight"), 7.0);
    assert_eq!(metric(&text, "tentacular_runs_max_waiting"), 28.0);
    assert_eq!(metric(&text, "tentacular_instances_max"), 8.0);
    assert_eq!(metric(&text, "tentacular_instances_in_use"), 0.0);
    assert_eq!(metric(&text, "tentacular_runs_waiting"), 0.0);
    assert_eq!(
        metric(&text, "tentacular_memory_budget_bytes"),
        (60u64 << 20) as f64
    );
    assert_eq!(
        metric(&text, "tentacular_run_failures_total{trigger=\"manual\"}"),
        0.0
    );
}

/// A workflow whose first stage has `width` nodes, each holding its instance `ms` ms on a timer.
fn wide_workflow(width: usize, ms: u64) -> tempfile::TempDir {
    let mut spec =
        String::from("name: wide\nversion: \"1.0\"\ntriggers:\n  - type: manual\nnodes:\n");
    let mut files = Vec::new();
    for i in 0..width {
        spec.push_str(&format!(
            "  n{i}:\n    path: ./nodes/n{i}.ts\n    description: Wait on a timer.\n"
        ));
        files.push((
            format!("nodes/n{i}.ts"),
            format!(
                "export default async function run() {{ await new Promise((r) => setTimeout(r, {ms})); return {{ n: {i} }}; }}\n"
            ),
        ));
    }
    spec.push_str("config:\n  timeout: 30s\n");
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    temp_workflow(&spec, &files)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_wait_for_instances_instead_of_failing() {
    // Two instances for four runs of six concurrent nodes each: 24 invocations, 2 at a time.
    let sandbox = Sandbox::new(SandboxConfig {
        cache_dir: Some(cache_dir().into()),
        max_instances: 2,
        ..SandboxConfig::default()
    })
    .unwrap();
    let dir = wide_workflow(6, 50);
    let loader = Loader::new(sandbox, dir.path(), Arc::new(DenyAll)).mount_dir(None);
    let app = App::new(
        loader.load().await.unwrap_or_else(|e| panic!("{e}")),
        ServerConfig {
            max_in_flight: 4,
            ..ServerConfig::default()
        },
    );
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move {
                let req = axum::http::Request::post("/run")
                    .body(axum::body::Body::from("{}"))
                    .unwrap();
                let res = server::router(app).oneshot(req).await.unwrap();
                let status = res.status();
                let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
                    .await
                    .unwrap();
                (status, serde_json::from_slice::<Value>(&bytes).unwrap())
            })
        })
        .collect();
    let mut queued_ms = 0;
    for r in runs {
        let (status, body) = r.await.unwrap();
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["success"], true, "{body}");
        for t in body["timing"]["nodeTimings"].as_object().unwrap().values() {
            queued_ms += t["queuedMs"].as_u64().unwrap_or(0);
        }
    }
    assert!(queued_ms > 0, "some nodes waited for an instance");
    assert_eq!(app.in_flight(), 0);
}

#[test]
fn the_small_budget_test_reads_its_figures_from_the_formula() {
    let c = tentacular_engine::capacity::Capacity::from_budget(60 << 20, None);
    assert_eq!((c.max_in_flight, c.max_queued, c.instances), (7, 28, 8));
}
