//! The cost of a realm per node, as a function of how many nodes share one workflow
//! snapshot: cold load (snapshot + compile), the snapshot's initial memory, a fresh
//! invocation p50/p99 when a run rotates across the nodes (what a DAG does) and when it calls
//! the same node again and again, and RSS per live instance. The same file builds against an
//! older commit (one shared realm) for the before/after line in docs/benchmarks.md.
//!
//! Run: `cargo bench -p tentacular-sandbox --bench realms`   (`BENCH_NODES=1,7` to pick sizes)

mod common;

use common::{no_caps, rss_bytes, summarize};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::json;
use tentacular_sandbox::{Limits, Sandbox, SandboxConfig};

const ITERATIONS: usize = 4_000;

fn node_source(i: usize) -> String {
    format!(
        "export default async function run(ctx: unknown, input: {{ n: number }}) {{ return {{ n: input.n + {i} }}; }}\n"
    )
}

fn main() {
    let sizes: Vec<usize> = std::env::var("BENCH_NODES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 7, 40]);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!(
        "{:>5} {:>9} {:>10} {:>13} {:>13} {:>13} {:>13}",
        "nodes", "cold", "image", "rotate p50", "rotate p99", "same p50", "RSS/instance"
    );
    rt.block_on(async {
        for n in sizes {
            let cache = tempfile::tempdir().unwrap();
            let sandbox = Sandbox::new(SandboxConfig {
                cache_dir: Some(cache.path().into()),
                ..Default::default()
            })
            .unwrap();
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir_all(dir.path().join("nodes")).unwrap();
            let paths: Vec<PathBuf> = (0..n)
                .map(|i| {
                    let p = PathBuf::from(format!("nodes/n{i}.ts"));
                    std::fs::write(dir.path().join(&p), node_source(i)).unwrap();
                    p
                })
                .collect();
            let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
            let t = Instant::now();
            let programs: Vec<_> = sandbox
                .load_all(dir.path(), &refs)
                .await
                .into_iter()
                .map(|p| p.unwrap())
                .collect();
            let cold = t.elapsed();
            let caps: Vec<_> = (0..n).map(|i| no_caps(&format!("n{i}"))).collect();
            let limits = Limits::default();
            let input = json!({"n": 1});
            for (p, c) in programs.iter().zip(&caps).cycle().take(500.max(n * 20)) {
                p.invoke(&input, c, &limits).await.result.unwrap();
            }
            let mut rotate = Vec::with_capacity(ITERATIONS);
            for i in 0..ITERATIONS {
                let k = i % n;
                let t = Instant::now();
                let out = programs[k].invoke(&input, &caps[k], &limits).await;
                rotate.push(t.elapsed());
                debug_assert!(out.result.is_ok());
            }
            let mut same = Vec::with_capacity(ITERATIONS);
            for _ in 0..ITERATIONS {
                let t = Instant::now();
                let out = programs[0].invoke(&input, &caps[0], &limits).await;
                same.push(t.elapsed());
                debug_assert!(out.result.is_ok());
            }
            let before = rss_bytes();
            let mut during = 0;
            programs[0]
                .bench_live_instances(&input, &caps[0], 100, || during = rss_bytes())
                .await;
            let per_instance = during.saturating_sub(before) / 100;
            let (r50, r99) = summarize(rotate);
            let (s50, _) = summarize(same);
            println!(
                "{n:>5} {:>8.2}s {:>6.1} MiB {r50:>13.1?} {r99:>13.1?} {s50:>13.1?} {:>9.1} KiB",
                cold.as_secs_f64(),
                programs[0].initial_memory() as f64 / (1024.0 * 1024.0),
                per_instance as f64 / 1024.0
            );
        }
    });
}
