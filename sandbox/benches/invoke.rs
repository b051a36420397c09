//! Isolation cost, measured side by side in one run (issue: "isolation is only a selling
//! point if it costs almost nothing").
//!
//! Prints p50/p99 of a trivial node invocation in a **fresh instance** (what every node run
//! does), the same node called repeatedly in **one** instance (the in-process baseline), and
//! — when a `deno` binary is found (`$TENTACULAR_DENO` or `PATH`) — a **Deno process per
//! node** running the same code; plus RSS per live instance.
//!
//! Run: `cargo bench -p tentacular-sandbox --bench invoke`

mod common;

use common::{no_caps, rss_bytes, summarize};
use std::path::Path;
use std::time::Instant;

use serde_json::json;
use tentacular_sandbox::{Limits, Sandbox, SandboxConfig};

const NODE: &str = "export default async function run(ctx: unknown, input: { n: number }) { return { n: input.n + 1 }; }\n";
const ITERATIONS: usize = 5_000;

fn find_deno() -> Option<std::path::PathBuf> {
    if let Some(p) = std::env::var_os("TENTACULAR_DENO") {
        return Some(p.into());
    }
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join("deno"))
        .find(|p| p.is_file())
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let cache = tempfile::tempdir().unwrap();
        let sandbox = Sandbox::new(SandboxConfig { cache_dir: Some(cache.path().into()), ..Default::default() }).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("nodes")).unwrap();
        std::fs::write(dir.path().join("nodes/trivial.ts"), NODE).unwrap();
        let t = Instant::now();
        let program = sandbox.load(dir.path(), Path::new("nodes/trivial.ts")).await.unwrap();
        let load = t.elapsed();
        let caps = no_caps("trivial");
        let limits = Limits::default();
        let input = json!({"n": 41});

        for _ in 0..500 {
            let out = program.invoke(&input, &caps, &limits).await;
            assert_eq!(out.result.unwrap(), json!({"n": 42}));
        }
        let mut fresh = Vec::with_capacity(ITERATIONS);
        for _ in 0..ITERATIONS {
            let t = Instant::now();
            let out = program.invoke(&input, &caps, &limits).await;
            fresh.push(t.elapsed());
            debug_assert!(out.result.is_ok());
        }
        let same = program.bench_same_instance(&input, &caps, ITERATIONS).await;

        // Throughput with both cores: two tasks invoking concurrently.
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..2 {
            let (p, c, l, i) = (program.clone(), caps.clone(), limits.clone(), input.clone());
            tasks.push(tokio::spawn(async move {
                for _ in 0..ITERATIONS {
                    p.invoke(&i, &c, &l).await.result.unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let per_sec = (2 * ITERATIONS) as f64 / started.elapsed().as_secs_f64();

        let before = rss_bytes();
        let mut during = 0;
        program.bench_live_instances(&input, &caps, 100, || during = rss_bytes()).await;
        let per_instance = during.saturating_sub(before) / 100;

        let (fp50, fp99) = summarize(fresh);
        let (sp50, sp99) = summarize(same);
        println!("machine: {} cores, {}", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0), std::env::consts::ARCH);
        println!("node snapshot build + compile (cold, once per node version): {:.2?}", load);
        println!("{:<44} {:>10} {:>10}", "trivial node", "p50", "p99");
        println!("{:<44} {:>10.1?} {:>10.1?}", "isolated: fresh instance + invoke", fp50, fp99);
        println!("{:<44} {:>10.1?} {:>10.1?}", "in-process: same instance, no isolation", sp50, sp99);
        println!("isolation overhead (p50 fresh / p50 same instance): {:.2}x", fp50.as_secs_f64() / sp50.as_secs_f64());
        println!("fresh isolated invocations per second, 2 tasks: {per_sec:.0}");
        println!("RSS per live instance (100 live): {:.1} KiB", per_instance as f64 / 1024.0);

        match find_deno() {
            Some(deno) => {
                let js = dir.path().join("deno-node.ts");
                std::fs::write(&js, format!("{NODE}\nconst out = await run({{}}, {{ n: 41 }});\nconsole.log(JSON.stringify(out));\n")).unwrap();
                let mut runs = Vec::new();
                for _ in 0..20 {
                    let t = Instant::now();
                    let o = std::process::Command::new(&deno).args(["run", "--quiet", "--no-config", "--no-lock"]).arg(&js).output().unwrap();
                    runs.push(t.elapsed());
                    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
                }
                let (dp50, dp99) = summarize(runs);
                println!("{:<44} {:>10.1?} {:>10.1?}", format!("Deno process per node ({})", deno.display()), dp50, dp99);
                println!("isolated sandbox vs Deno process per node (p50): {:.0}x faster", dp50.as_secs_f64() / fp50.as_secs_f64());
            }
            None => println!("Deno process per node: skipped (no deno on PATH; set TENTACULAR_DENO)"),
        }
    });
}
