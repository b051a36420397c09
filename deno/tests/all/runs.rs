//! Runs of Deno nodes: npm imports offline, Deno APIs within the permissions, HTTP through
//! the host, timeouts, broken nodes.

use std::time::Duration;

use serde_json::json;
use tentacular_sandbox::{Limits, NodeError};

use crate::support::{caps, deno, server, start, workflow};

fn limits(timeout_ms: u64) -> Limits {
    Limits {
        timeout: Duration::from_millis(timeout_ms),
        ..Limits::default()
    }
}

#[tokio::test]
async fn an_npm_import_and_deno_apis_run_offline_from_the_locked_cache() {
    let Some(deno) = deno("an_npm_import_and_deno_apis_run_offline_from_the_locked_cache") else {
        return;
    };
    let dir =
        std::fs::canonicalize(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/workflows/npm")).unwrap();
    if !tentacular_deno::cache::cache_dir(&dir).join("npm").exists() {
        tentacular_test_support::missing(
            "an_npm_import_and_deno_apis_run_offline_from_the_locked_cache",
            "the filled Deno cache of deno/tests/workflows/npm",
            "run `tntc deno-cache deno/tests/workflows/npm` (.ci/run does)",
        );
        return;
    }
    let loaded = tentacular_spec::Workflow::load(&dir).unwrap();
    let (sup, loads) = tentacular_deno::Supervisor::start_workflow(&loaded, &deno)
        .await
        .unwrap();
    assert!(loads.iter().all(|(_, r)| r.is_ok()), "{loads:?}");
    assert!(
        sup.flags().iter().any(|f| f == "--cached-only"),
        "{:?}",
        sup.flags()
    );
    assert!(
        sup.flags().iter().any(|f| f == "--frozen"),
        "{:?}",
        sup.flags()
    );
    let out = sup
        .run(
            "span",
            &json!({"span": "1m"}),
            &caps("span", None, ""),
            &limits(10_000),
        )
        .await;
    assert_eq!(
        out.result.unwrap(),
        json!({"ms": 60000, "back": "written", "deno": "string"})
    );
}

#[tokio::test]
async fn what_the_permissions_do_not_grant_fails_with_a_permission_error() {
    let Some(deno) = deno("what_the_permissions_do_not_grant_fails_with_a_permission_error") else {
        return;
    };
    let src = r#"
export default async function run(ctx) {
  const out = {};
  const tryIt = async (k, f) => { try { await f(); out[k] = "allowed"; } catch (e) { out[k] = e.name; } };
  out.env = `${Deno.env.get("HOME")}`; // --ignore-env: every variable reads as undefined
  await tryIt("read", () => Deno.readTextFile("/etc/hostname"));
  await tryIt("write", () => Deno.writeTextFile("/tmp/tntc-deno-escape.txt", "x"));
  await tryIt("run", () => new Deno.Command("true").output());
  await tryIt("connect", () => Deno.connect({ hostname: "127.0.0.1", port: 9 }));
  await tryIt("fetch", () => fetch("http://127.0.0.1:9/"));
  return out;
}
"#;
    let dir = workflow(&[("p.ts", src)]);
    let (sup, _) = start(&deno, dir.path(), &[("p", "p.ts")]).await;
    let out = sup
        .run("p", &json!({}), &caps("p", None, ""), &limits(10_000))
        .await;
    assert_eq!(
        out.result.unwrap(),
        json!({"env": "undefined", "read": "NotCapable", "write": "NotCapable", "run": "NotCapable", "connect": "NotCapable", "fetch": "NotPermitted"})
    );
    assert!(
        out.events.iter().any(|e| e.reason != "scrubbed"),
        "the host refused the fetch: {:?}",
        out.events
    );
}

#[tokio::test]
async fn global_fetch_to_a_declared_dependency_goes_through_the_host_with_injected_auth() {
    let Some(deno) =
        deno("global_fetch_to_a_declared_dependency_goes_through_the_host_with_injected_auth")
    else {
        return;
    };
    let (port, seen) = server("hello from the dependency");
    let src = r#"
export default async function run(ctx, input) {
  const r = await fetch(`http://127.0.0.1:${input.port}/a?x=1`);
  const d = await ctx.dependency("api").fetch("/b");
  return { status: r.status, text: await r.text(), dep: await d.text(), secret: ctx.dependency("api").secret };
}
"#;
    let dir = workflow(&[("f.ts", src)]);
    let (sup, _) = start(&deno, dir.path(), &[("f", "f.ts")]).await;
    let secret = "s3cr3t-token-value-1234";
    let out = sup
        .run(
            "f",
            &json!({"port": port}),
            &caps("f", Some(port), secret),
            &limits(10_000),
        )
        .await;
    let v = out.result.unwrap();
    assert_eq!(v["status"], 200);
    assert_eq!(v["text"], "hello from the dependency");
    assert_eq!(v["dep"], "hello from the dependency");
    assert_eq!(
        v["secret"], "tntc-secret:api.token",
        "an HTTP secret stays a placeholder"
    );
    assert!(!v.to_string().contains(secret));
    let seen = seen.0.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    for req in &seen {
        assert!(
            req.to_ascii_lowercase()
                .contains(&format!("authorization: bearer {secret}")),
            "{req}"
        );
    }
    assert!(seen[0].starts_with("GET /a?x=1 "), "{}", seen[0]);
    assert_eq!(out.stats.fetches, 2);
}

#[tokio::test]
async fn a_node_that_loops_forever_is_stopped_at_its_timeout_and_the_next_run_works() {
    let Some(deno) =
        deno("a_node_that_loops_forever_is_stopped_at_its_timeout_and_the_next_run_works")
    else {
        return;
    };
    let src = r#"
let runs = 0;
export default async function run(ctx, input) {
  runs++;
  if (input.spin) { for (;;) {} }
  return { runs };
}
"#;
    let dir = workflow(&[("l.ts", src)]);
    let (sup, _) = start(&deno, dir.path(), &[("l", "l.ts")]).await;
    let c = caps("l", None, "");
    let started = std::time::Instant::now();
    let out = sup.run("l", &json!({"spin": true}), &c, &limits(300)).await;
    assert_eq!(out.result.unwrap_err(), NodeError::Timeout { ms: 300 });
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let next = sup.run("l", &json!({}), &c, &limits(10_000)).await;
    assert_eq!(
        next.result.unwrap(),
        json!({"runs": 1}),
        "a fresh Worker: the stopped one's state is gone"
    );
}

#[tokio::test]
async fn a_broken_node_fails_alone_and_logs_and_errors_come_back() {
    let Some(deno) = deno("a_broken_node_fails_alone_and_logs_and_errors_come_back") else {
        return;
    };
    let dir = workflow(&[
        ("bad.ts", "export default ( => 1\n"),
        (
            "gone.ts",
            "import x from \"./missing.ts\";\nexport default () => x;\n",
        ),
        (
            "good.ts",
            "export default async (ctx, input) => { console.log(\"hi\", {a: 1}); ctx.log.warn(\"careful\"); if (input.fail) throw new TypeError(\"boom\"); return input; };\n",
        ),
    ]);
    let (sup, loads) = start(
        &deno,
        dir.path(),
        &[("bad", "bad.ts"), ("gone", "gone.ts"), ("good", "good.ts")],
    )
    .await;
    let by: std::collections::HashMap<_, _> = loads.into_iter().collect();
    assert!(
        by["bad"]
            .as_ref()
            .unwrap_err()
            .message
            .contains("Expression expected"),
        "{:?}",
        by["bad"]
    );
    assert!(
        by["gone"]
            .as_ref()
            .unwrap_err()
            .message
            .contains("missing.ts"),
        "{:?}",
        by["gone"]
    );
    assert!(by["good"].is_ok());
    let c = caps("good", None, "");
    let out = sup.run("good", &json!({"n": 1}), &c, &limits(10_000)).await;
    assert_eq!(out.result.unwrap(), json!({"n": 1}));
    let logs: Vec<String> = out
        .logs
        .iter()
        .map(|l| format!("{} {}", l.level.as_str(), l.message))
        .collect();
    assert_eq!(logs, ["INFO hi { a: 1 }", "WARN careful"]);
    let out = sup
        .run("good", &json!({"fail": true}), &c, &limits(10_000))
        .await;
    assert!(
        matches!(out.result, Err(NodeError::JsError { ref name, ref message, .. }) if name == "TypeError" && message == "boom"),
        "{:?}",
        out.result
    );
    let out = sup
        .run("bad", &json!({}), &caps("bad", None, ""), &limits(10_000))
        .await;
    assert!(out.result.is_err());
}

/// A loopback server that accepts one request and never answers; the receiver gets how long
/// after the request the client closed the connection (or nothing within 5 s).
fn silent_server() -> (u16, std::sync::mpsc::Receiver<Duration>) {
    use std::io::Read;
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let Ok((mut c, _)) = l.accept() else { return };
        c.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
        let start = std::time::Instant::now();
        let mut buf = [0u8; 4096];
        while start.elapsed() < Duration::from_secs(5) {
            // 0 bytes: the client closed; anything else (data, a read timeout): go on.
            if let Ok(0) = c.read(&mut buf) {
                let _ = tx.send(start.elapsed());
                return;
            }
        }
    });
    (port, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aborted_fetch_drops_the_hosts_request_at_once() {
    let Some(deno) = deno("an_aborted_fetch_drops_the_hosts_request_at_once") else {
        return;
    };
    let (port, closed) = silent_server();
    // The node goes on for 1.5 s after giving up on the request: the connection must close
    // when the signal fires, not when the run ends.
    let src = r#"
export default async function run(ctx, input) {
  const t0 = Date.now();
  let name = "none";
  try {
    await fetch(`http://127.0.0.1:${input.port}/slow`, { signal: AbortSignal.timeout(100) });
  } catch (e) {
    name = e.name;
  }
  const ms = Date.now() - t0;
  await new Promise((r) => setTimeout(r, 1500));
  return { name, ms };
}
"#;
    let dir = workflow(&[("f.ts", src)]);
    let (sup, _) = start(&deno, dir.path(), &[("f", "f.ts")]).await;
    let out = sup
        .run(
            "f",
            &json!({"port": port}),
            &caps("f", Some(port), "s3cr3t-token-value-1234"),
            &limits(10_000),
        )
        .await;
    let v = out.result.unwrap();
    assert_eq!(v["name"], "TimeoutError", "{v}");
    assert!(v["ms"].as_u64().unwrap() < 1000, "{v}");
    // Waited for off the runtime, which must keep running the host's connection tasks.
    let after = tokio::task::spawn_blocking(move || closed.recv_timeout(Duration::from_secs(5)))
        .await
        .unwrap()
        .expect("the host never closed the connection");
    assert!(
        after < Duration::from_millis(1000),
        "the request was dropped only after {after:?} (at the run's end, not at the abort)"
    );
}
