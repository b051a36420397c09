//! The hostile-node suite: one node file per attack in `tests/hostile/`. Each must fail with
//! the *right* error, and a normal node run right after must still succeed.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tentacular_sandbox::fetch::net::NetTransport;
use tentacular_sandbox::{Capabilities, Dependency, Limits, NodeError, NodeOutcome, NodeProgram};

use crate::server::TestServer;
use crate::support::sandbox;

fn hostile_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/hostile"))
}

async fn program(name: &str) -> NodeProgram {
    sandbox()
        .load(hostile_dir(), Path::new(&format!("{name}.ts")))
        .await
        .unwrap_or_else(|e| panic!("{name}: load failed: {e}"))
}

/// Capabilities with one dependency `api` = http://localhost:<port>, over the real network.
fn api_caps(port: u16) -> Arc<Capabilities> {
    let mut deps = BTreeMap::new();
    deps.insert(
        "api".to_string(),
        Dependency {
            protocol: "http".into(),
            host: "localhost".into(),
            port,
            auth: None,
            granted: true,
            dynamic: None,
            extra: Default::default(),
        },
    );
    Arc::new(
        Capabilities::builder("attacker")
            .dependencies(deps)
            .transport(Arc::new(NetTransport::new().unwrap()))
            .build(),
    )
}

async fn attack(
    name: &str,
    input: Value,
    caps: &Arc<Capabilities>,
    limits: &Limits,
) -> NodeOutcome {
    let outcome = program(name).await.invoke(&input, caps, limits).await;
    // Whatever the attack did, the next well-behaved node runs normally and sees nothing of it.
    let normal = program("normal")
        .await
        .invoke(&json!({"n": 7}), caps, &Limits::default())
        .await;
    assert_eq!(
        normal
            .result
            .as_ref()
            .unwrap_or_else(|e| panic!("normal node after {name} failed: {e}")),
        &json!({"ok": true, "polluted": null, "n": 7, "json": "{\"a\":1}"}),
        "after {name}"
    );
    outcome
}

fn expect_js(outcome: &NodeOutcome, name: &str, contains: &str) {
    match &outcome.result {
        Err(NodeError::JsError {
            name: n, message, ..
        }) => {
            assert_eq!(n, name, "{message}");
            assert!(message.contains(contains), "{message}");
        }
        other => panic!("expected {name} containing {contains:?}, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_env_and_sockets_are_not_there() {
    let caps = api_caps(9);
    let limits = Limits::default();
    expect_js(
        &attack("read-passwd", json!({}), &caps, &limits).await,
        "NotPermitted",
        "only http and https",
    );
    expect_js(
        &attack("read-env", json!({}), &caps, &limits).await,
        "PermissionDenied",
        "runtime: deno",
    );
    expect_js(
        &attack("deno-read-file", json!({}), &caps, &limits).await,
        "PermissionDenied",
        "Deno.readTextFile",
    );
    expect_js(
        &attack("open-socket", json!({}), &caps, &limits).await,
        "PermissionDenied",
        "Deno.connect",
    );
    let process = attack("process-env", json!({}), &caps, &limits).await;
    assert!(
        matches!(&process.result, Err(NodeError::JsError { name, .. }) if name == "TypeError"),
        "{:?}",
        process.result
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_escapes_are_refused_before_any_io() {
    let server = TestServer::start().await;
    let caps = api_caps(server.port);
    let limits = Limits::default();
    let input = json!({"port": server.port});
    expect_js(
        &attack("fetch-undeclared", input.clone(), &caps, &limits).await,
        "NotPermitted",
        "no dependency",
    );
    let trick = attack("userinfo-trick", input.clone(), &caps, &limits).await;
    expect_js(&trick, "NotPermitted", "credentials");
    expect_js(
        &attack("ip-literal", input.clone(), &caps, &limits).await,
        "NotPermitted",
        "127.0.0.1",
    );
    for (name, target) in [
        ("redirect-metadata", "169.254.169.254"),
        ("redirect-loopback", "127.0.0.1"),
        ("redirect-other-host", "other.example.com"),
    ] {
        expect_js(
            &attack(name, input.clone(), &caps, &limits).await,
            "NotPermitted",
            target,
        );
    }
    // Only the redirecting requests reached the server; nothing reached any other address.
    let paths: Vec<String> = server.seen().into_iter().map(|s| s.path).collect();
    assert!(
        paths
            .iter()
            .all(|p| p.starts_with("/redirect") || p.starts_with("/json")),
        "{paths:?}"
    );
    assert!(
        !paths.iter().any(|p| p.starts_with("/json")),
        "the IP-literal request must not be sent: {paths:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_loop_is_stopped_at_its_deadline() {
    let limits = Limits {
        timeout: Duration::from_millis(200),
        ..Limits::default()
    };
    let program = program("busy-loop").await;
    let started = Instant::now();
    let outcome = program.invoke(&json!({}), &api_caps(9), &limits).await;
    let took = started.elapsed();
    assert_eq!(outcome.result, Err(NodeError::Timeout { ms: 200 }));
    // Stopped, not abandoned: the call returned right after the deadline.
    assert!(took < Duration::from_millis(1500), "took {took:?}");
    let outcome = attack("busy-loop", json!({}), &api_caps(9), &limits).await;
    assert_eq!(outcome.result, Err(NodeError::Timeout { ms: 200 }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_recursion_and_output_bombs_are_contained() {
    let caps = api_caps(9);
    let limits = Limits::default();
    let oom = attack("memory-bomb", json!({}), &caps, &limits).await;
    assert_eq!(
        oom.result,
        Err(NodeError::OutOfMemory {
            limit: limits.memory as u64
        })
    );
    assert!(oom.stats.peak_memory <= limits.memory as u64);

    let deep = attack("deep-recursion", json!({}), &caps, &limits).await;
    assert_eq!(deep.result, Err(NodeError::StackOverflow));

    let huge = attack("huge-output", json!({}), &caps, &limits).await;
    assert_eq!(
        huge.result,
        Err(NodeError::OutOfMemory {
            limit: limits.memory as u64
        })
    );
    // With room to build it, the output limit still applies.
    let roomy = Limits {
        memory: 512 << 20,
        ..Limits::default()
    };
    let huge = attack("huge-output", json!({}), &caps, &roomy).await;
    assert!(
        matches!(huge.result, Err(NodeError::OutputTooLarge { .. })),
        "{:?}",
        huge.result
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_survives_between_runs_or_nodes() {
    let caps = api_caps(9);
    let limits = Limits::default();
    for _ in 0..3 {
        let out = attack("global-state", json!({}), &caps, &limits).await;
        assert_eq!(
            out.result.unwrap(),
            json!({"counter": 1, "moduleCounter": 1, "seenLeak": null})
        );
    }
    for _ in 0..2 {
        let out = attack("prototype-pollution", json!({}), &caps, &limits).await;
        assert_eq!(out.result.unwrap(), json!({"seen": null}));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eval_and_function_cannot_reach_host_internals() {
    let out = attack(
        "reach-internals",
        json!({}),
        &api_caps(9),
        &Limits::default(),
    )
    .await;
    let all_undefined: Vec<&str> = vec!["undefined"; 10];
    let v = out.result.unwrap();
    assert_eq!(v["viaEval"], json!(all_undefined));
    assert_eq!(v["viaFunction"], json!(all_undefined));
}
