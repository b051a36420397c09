//! The wasm tax, in one run: the same node bodies in QuickJS compiled natively for the host
//! (the `rquickjs` crate, the version and features the plugin uses) and inside the sandbox,
//! in one instance called repeatedly (same-instance: the interpreter's cost in wasm plus the
//! invocation's framing) and in a fresh instance per call (what a run does), as ratios to
//! native. Bodies: a `for` loop of 3 million iterations (pure interpreter), word-counter's
//! `tokenize` + `report` (regex, objects, sort) with their JSON round trips, and a trivial
//! node (the per-invocation floor).
//!
//! Native runs each body exactly as the prelude's `invoke` does, minus the sandbox: parse the
//! payload `{"input", "ctx"}`, call `run(ctx, input)`, run the promise jobs, stringify the
//! output. `BENCH_ROUNDS` (default 3) alternates the three sides that many times and prints
//! the range of each figure and ratio.
//!
//! Run: `cargo bench -p tentacular-sandbox --bench tax`

mod common;

use common::{no_caps, summarize};
use std::path::Path;
use std::time::{Duration, Instant};

use rquickjs::{Context, Function, Promise, Runtime};
use serde_json::{Value, json};
use tentacular_sandbox::{Limits, NodeProgram, Sandbox, SandboxConfig};

const LOOP: &str = "export default async function run(ctx, input) {\n  let s = 0;\n  for (let i = 0; i < 3000000; i++) s += i;\n  return { s };\n}\n";
const TRIVIAL: &str =
    "export default async function run(ctx, input) {\n  return { n: input.n + 1 };\n}\n";
// example-workflows/word-counter/nodes/{tokenize,report}.ts without their type annotations.
const TOKENIZE: &str = r#"export default async function run(_ctx, input) {
  const text = String(input?.text ?? "");
  const words = text.toLowerCase().split(/\s+/).filter((w) => w.length > 0);
  const counts = {};
  for (const word of words) counts[word] = (counts[word] ?? 0) + 1;
  return { words, counts };
}
"#;
const REPORT: &str = r#"export default async function run(_ctx, input) {
  const { words = [], counts = {} } = input;
  const topWords = Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([word, count]) => ({ word, count }));
  return { totalWords: words.length, uniqueWords: Object.keys(counts).length, topWords };
}
"#;
const TEXT: &str =
    "the quick brown fox jumps over the lazy dog and the dog sleeps while the fox runs";
/// What `ctx` parses from for a node without grants (the shape the host sends).
const CTX: &str = r#"{"nodeId":"n","config":{},"dependencies":{},"secrets":{}}"#;

/// A body and how many timed calls it gets per round.
struct Body {
    name: &'static str,
    nodes: &'static [(&'static str, &'static str)],
    iterations: usize,
}

const BODIES: &[Body] = &[
    Body {
        name: "for loop, 3M iterations",
        nodes: &[("loop", LOOP)],
        iterations: 5,
    },
    Body {
        name: "tokenize + report",
        nodes: &[("tokenize", TOKENIZE), ("report", REPORT)],
        iterations: 3_000,
    },
    Body {
        name: "trivial node",
        nodes: &[("trivial", TRIVIAL)],
        iterations: 5_000,
    },
];

/// QuickJS on the host: one runtime and context, the node functions evaluated once.
struct Native {
    _runtime: Runtime,
    context: Context,
}

impl Native {
    fn new() -> Self {
        let runtime = Runtime::new().unwrap();
        // As the plugin: no GC during invocations.
        runtime.set_gc_threshold(usize::MAX);
        let context = Context::full(&runtime).unwrap();
        Native {
            _runtime: runtime,
            context,
        }
    }

    /// p50 of `iterations` calls of `source`'s run with `payload`, and its output.
    fn time(&self, source: &str, payload: &str, iterations: usize) -> (Duration, String) {
        let script = format!(
            "((run) => async (payload) => {{ const p = JSON.parse(payload); const out = await run(p.ctx, p.input); return \"O\" + JSON.stringify(out === undefined ? null : out); }})({})",
            source.replacen("export default async function", "async function", 1)
        );
        self.context.with(|ctx| {
            let invoke: Function = ctx.eval(script).unwrap();
            let mut out = String::new();
            let mut times = Vec::with_capacity(iterations);
            for _ in 0..iterations + iterations / 10 + 1 {
                let t = Instant::now();
                let promise: Promise = invoke.call((payload,)).unwrap();
                while ctx.execute_pending_job() {}
                out = promise.result::<String>().unwrap().unwrap();
                times.push(t.elapsed());
            }
            // The first tenth warms up, as the sandbox's side does.
            let times = times.split_off(iterations / 10 + 1);
            (summarize(times).0, out)
        })
    }
}

fn payload(input: &Value) -> String {
    format!("{{\"input\":{input},\"ctx\":{CTX}}}")
}

async fn fresh(program: &NodeProgram, input: &Value, iterations: usize) -> (Duration, Value) {
    let caps = no_caps("n");
    let limits = Limits::default();
    let mut out = Value::Null;
    let mut times = Vec::with_capacity(iterations);
    for i in 0..iterations + iterations / 10 + 1 {
        let t = Instant::now();
        let outcome = program.invoke(input, &caps, &limits).await;
        if i > iterations / 10 {
            times.push(t.elapsed());
        }
        out = outcome.result.expect("the node runs");
    }
    (summarize(times).0, out)
}

async fn same(program: &NodeProgram, input: &Value, iterations: usize) -> Duration {
    let caps = no_caps("n");
    let mut times = program
        .bench_same_instance(input, &caps, iterations + iterations / 10 + 1)
        .await;
    summarize(times.split_off(iterations / 10 + 1)).0
}

fn range(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)))
}

/// The sandboxes to compare: the committed plugin with the sandbox's settings, then one per
/// `BENCH_PLUGINS=label=path.wasm,…` (other builds of the plugin) and per
/// `BENCH_TUNES=no-epoch,…` (wasmtime settings changed; `no-epoch` turns the deadline off and
/// exists only to measure what epoch checks cost). `BENCH_ONLY=label,…` drops the committed plugin's column unless listed.
fn variants(cache: &Path) -> Vec<(String, Sandbox)> {
    let config = || SandboxConfig {
        cache_dir: Some(cache.into()),
        ..Default::default()
    };
    let mut out = vec![("committed".to_string(), Sandbox::new(config()).unwrap())];
    for spec in std::env::var("BENCH_PLUGINS")
        .unwrap_or_default()
        .split(',')
    {
        if let Some((label, path)) = spec.split_once('=') {
            let wasm = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
            out.push((
                label.into(),
                Sandbox::bench_variant(config(), Some(wasm), |_| {}).unwrap(),
            ));
        }
    }
    for tune in std::env::var("BENCH_TUNES").unwrap_or_default().split(',') {
        let sandbox = match tune {
            "" => continue,
            "no-epoch" => Sandbox::bench_variant(config(), None, |c| {
                c.epoch_interruption(false);
            }),
            other => panic!("unknown BENCH_TUNES entry {other:?} (known: no-epoch)"),
        };
        out.push((tune.into(), sandbox.unwrap()));
    }
    if let Ok(only) = std::env::var("BENCH_ONLY") {
        out.retain(|(label, _)| only.split(',').any(|o| o == label));
    }
    out
}

fn main() {
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let cache = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("nodes")).unwrap();
        let mut paths: Vec<Vec<String>> = Vec::new();
        for body in BODIES {
            paths.push(
                body.nodes
                    .iter()
                    .map(|(name, source)| {
                        let p = format!("nodes/{name}.ts");
                        std::fs::write(dir.path().join(&p), source).unwrap();
                        p
                    })
                    .collect(),
            );
        }
        // Per variant, per body: its nodes, in one snapshot (the engine loads one per workflow).
        let mut sides: Vec<(String, Vec<Vec<NodeProgram>>)> = Vec::new();
        for (label, sandbox) in variants(cache.path()) {
            let mut programs = Vec::new();
            for body_paths in &paths {
                let refs: Vec<&Path> = body_paths.iter().map(Path::new).collect();
                let loaded = sandbox.load_all(dir.path(), &refs).await;
                programs.push(loaded.into_iter().map(|p| p.unwrap()).collect());
            }
            sides.push((label, programs));
        }
        let native = Native::new();
        // figures[body][0] native; then same, fresh per variant: per-round p50 in µs.
        let columns = 1 + 2 * sides.len();
        let mut figures = vec![vec![Vec::new(); columns]; BODIES.len()];
        for _ in 0..rounds {
            for (b, body) in BODIES.iter().enumerate() {
                let first = if body.nodes[0].0 == "trivial" {
                    json!({"n": 41})
                } else {
                    json!({"text": TEXT})
                };
                let mut input = first.clone();
                let mut sum = Duration::ZERO;
                let mut expected = Vec::new();
                for (_, source) in body.nodes {
                    let (n, out) = native.time(source, &payload(&input), body.iterations);
                    sum += n;
                    input = serde_json::from_str::<Value>(&out[1..]).unwrap();
                    expected.push(input.clone());
                }
                figures[b][0].push(sum.as_secs_f64() * 1e6);
                for (v, (label, programs)) in sides.iter().enumerate() {
                    let mut input = first.clone();
                    let (mut s_sum, mut f_sum) = (Duration::ZERO, Duration::ZERO);
                    for (program, want) in programs[b].iter().zip(&expected) {
                        s_sum += same(program, &input, body.iterations).await;
                        let (f, out) = fresh(program, &input, body.iterations).await;
                        f_sum += f;
                        assert_eq!(&out, want, "native and {label} disagree on {}", body.name);
                        input = out;
                    }
                    figures[b][1 + 2 * v].push(s_sum.as_secs_f64() * 1e6);
                    figures[b][2 + 2 * v].push(f_sum.as_secs_f64() * 1e6);
                }
            }
        }
        println!(
            "machine: {} cores, {}; {rounds} rounds; p50 per call, range over rounds; ratios to native QuickJS in the same round",
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(0),
            std::env::consts::ARCH
        );
        let us = |v: &[f64]| {
            let (lo, hi) = range(v);
            if hi >= 10_000.0 {
                format!("{:.1}-{:.1} ms", lo / 1e3, hi / 1e3)
            } else {
                format!("{lo:.1}-{hi:.1} µs")
            }
        };
        for (b, body) in BODIES.iter().enumerate() {
            let n = &figures[b][0];
            println!("{}: native {}", body.name, us(n));
            let ratio = |x: &[f64]| {
                let r: Vec<f64> = x.iter().zip(n).map(|(a, b)| a / b).collect();
                let (lo, hi) = range(&r);
                format!("{lo:.2}-{hi:.2}x")
            };
            for (v, (label, _)) in sides.iter().enumerate() {
                let (s, f) = (&figures[b][1 + 2 * v], &figures[b][2 + 2 * v]);
                println!(
                    "  {label:<14} same-instance {:>19} ({:>11})   fresh instance {:>19} ({:>11})",
                    us(s),
                    ratio(s),
                    us(f),
                    ratio(f)
                );
            }
        }
    });
}
