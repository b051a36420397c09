//! Concurrent I/O inside one node: `Promise.all` of 10 fetches to a loopback dependency that
//! answers each request after 200 ms. Sequential requests would take ≥ 2,000 ms; overlapping
//! ones take one round of ~200 ms plus the sandbox's overhead (target ≤ 300 ms).
//!
//! Run: `cargo bench -p tentacular-sandbox --bench fanout`

#[allow(dead_code)]
mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use common::summarize;
use serde_json::json;
use tentacular_sandbox::fetch::net::NetTransport;
use tentacular_sandbox::{Capabilities, Dependency, Limits, Sandbox, SandboxConfig};

const ROUNDS: usize = 20;

const NODE: &str = r#"
export default async function run(ctx) {
  const dep = ctx.dependency("slow");
  const texts = await Promise.all(Array.from({ length: 10 }, (_, i) => dep.fetch(`/slow?i=${i}`).then((r) => r.text())));
  return { n: texts.length };
}
"#;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let app = Router::new().route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(200)).await;
                "ok"
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("nodes")).unwrap();
        std::fs::write(dir.path().join("nodes/fanout.ts"), NODE).unwrap();
        let cache = tempfile::tempdir().unwrap();
        let sandbox = Sandbox::new(SandboxConfig {
            cache_dir: Some(cache.path().into()),
            ..Default::default()
        })
        .unwrap();
        let program = sandbox
            .load(dir.path(), Path::new("nodes/fanout.ts"))
            .await
            .unwrap();
        let caps = Arc::new(
            Capabilities::builder("fanout")
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
                .transport(Arc::new(NetTransport::new().unwrap()))
                .build(),
        );
        let limits = Limits::default();
        let mut times = Vec::with_capacity(ROUNDS);
        for round in 0..=ROUNDS {
            let t = Instant::now();
            let out = program.invoke(&json!({}), &caps, &limits).await;
            let took = t.elapsed();
            assert_eq!(out.result.unwrap(), json!({"n": 10}));
            if round > 0 {
                times.push(took); // round 0 warms the connection pool
            }
        }
        let (p50, p99) = summarize(times);
        println!(
            "Promise.all of 10 fetches (200 ms each) in one node: p50 {p50:.1?}, p99 {p99:.1?} over {ROUNDS} runs (sequential would be ≥ 2,000 ms)"
        );
    });
}
