//! Per-node cost of a real workflow: each node of `example-workflows/word-counter`, invoked
//! in a fresh instance (what a run does) and, as the baseline measured in the same run, called
//! repeatedly in one instance (no isolation). Where the time of a `/run` goes, node by node.
//!
//! Run: `cargo bench -p tentacular-sandbox --bench nodes`

mod common;

use common::{no_caps, summarize};
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tentacular_sandbox::{Limits, Sandbox, SandboxConfig};

const ITERATIONS: usize = 5_000;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../example-workflows/word-counter");
        let cache = tempfile::tempdir().unwrap();
        let sandbox = Sandbox::new(SandboxConfig {
            // A fixed cache (for `perf` to name the compiled code) when one is given.
            cache_dir: Some(
                std::env::var_os("TENTACULAR_CACHE_DIR")
                    .map(Into::into)
                    .unwrap_or_else(|| cache.path().into()),
            ),
            ..Default::default()
        })
        .unwrap();
        let limits = Limits::default();
        let mut input = json!({});
        println!(
            "{:<10} {:>12} {:>12} {:>8}",
            "node", "fresh p50", "same p50", "ratio"
        );
        let (mut total_fresh, mut total_same) = (Duration::ZERO, Duration::ZERO);
        for node in ["source", "tokenize", "report"] {
            let program = sandbox
                .load(&dir, Path::new(&format!("nodes/{node}.ts")))
                .await
                .unwrap();
            let caps = no_caps(node);
            if node == "source" {
                println!(
                    "(snapshot initial memory {:.2} MiB)",
                    program.initial_memory() as f64 / (1024.0 * 1024.0)
                );
            }
            let mut output = Value::Null;
            for _ in 0..200 {
                output = program.invoke(&input, &caps, &limits).await.result.unwrap();
            }
            // `BENCH_NODES=tokenize,report` times only those (for profiling one node).
            if let Ok(only) = std::env::var("BENCH_NODES")
                && !only.split(',').any(|n| n == node)
            {
                input = output;
                continue;
            }
            let mut fresh = Vec::with_capacity(ITERATIONS);
            for _ in 0..ITERATIONS {
                let t = Instant::now();
                let out = program.invoke(&input, &caps, &limits).await;
                fresh.push(t.elapsed());
                debug_assert!(out.result.is_ok());
            }
            let same = program.bench_same_instance(&input, &caps, ITERATIONS).await;
            let (f, s) = (summarize(fresh).0, summarize(same).0);
            total_fresh += f;
            total_same += s;
            println!(
                "{node:<10} {f:>12.1?} {s:>12.1?} {:>7.2}x",
                f.as_secs_f64() / s.as_secs_f64()
            );
            input = output;
        }
        println!(
            "{:<10} {total_fresh:>12.1?} {total_same:>12.1?} {:>7.2}x",
            "sum",
            total_fresh.as_secs_f64() / total_same.as_secs_f64()
        );
    });
}
