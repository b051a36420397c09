//! The `tentacular-engine` binary: startup failures, serving, SIGTERM, and the `trigger`
//! subcommand.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;

use crate::support::{engine_binary, run_to_end, temp_workflow};

const BIN: &str = env!("CARGO_BIN_EXE_tentacular-engine");

fn engine() -> Command {
    engine_binary()
}

/// Starts the engine on `workflow` (port 0); it must exit 1. Its stderr.
#[track_caller]
fn fails_to_start(workflow: &Path) -> String {
    let (code, _, err) = run_to_end(
        engine()
            .arg("--workflow")
            .arg(workflow)
            .args(["--port", "0"]),
    );
    assert_eq!(code, 1, "{err}");
    err
}

#[test]
fn startup_failures_print_a_clear_error_and_exit_1() {
    let (code, _, err) =
        run_to_end(engine().args(["--workflow", "/no/such/workflow", "--port", "0"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("engine failed to start"), "{err}");
    assert!(err.contains("/no/such/workflow: does not exist"), "{err}");

    let dir = temp_workflow(
        "name: bad\nversion: \"1.0.0\"\ntriggers:\n  - type: manual\nnodes:\n  a:\n    path: ./a.ts\n",
        &[("a.ts", "export default async () => 1;\n")],
    );
    let err = fails_to_start(dir.path());
    assert!(
        err.contains("workflow.yaml:2:10: version \"1.0.0\" must be MAJOR.MINOR"),
        "{err}"
    );

    let dir = temp_workflow(
        "name: bad\nversion: \"1.0\"\ntriggers:\n  - type: manual\nnodes:\n  a:\n    path: ./a.ts\n",
        &[("a.ts", "export default async function run( {\n")],
    );
    let err = fails_to_start(dir.path());
    assert!(err.contains("node \"a\": a.ts:2:1: syntax error"), "{err}");

    let file = dir.path().join("a.ts");
    let (code, _, err) = run_to_end(engine().arg("--workflow").arg(&file).args(["--port", "0"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("is a file, not a workflow directory"), "{err}");

    let (code, _, err) = run_to_end(&mut engine());
    assert_eq!(code, 2, "a usage error: {err}");
    assert!(err.contains("--workflow"), "{err}");
}

/// A running engine: its process, address and stderr lines.
pub(crate) struct Engine {
    child: std::process::Child,
    addr: String,
    lines: std::sync::mpsc::Receiver<String>,
    pub(crate) seen: Vec<String>,
}

impl Engine {
    pub(crate) fn start(dir: &Path, extra: &[&str]) -> Engine {
        let mut child = engine()
            .arg("--workflow")
            .arg(dir)
            .args(["--port", "0", "--bind", "127.0.0.1"])
            .args(extra)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut e = Engine {
            child,
            addr: String::new(),
            lines,
            seen: Vec::new(),
        };
        let line = e.wait_for("listening", Duration::from_secs(120));
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|err| panic!("{err}: {line}"));
        e.addr = v["address"].as_str().unwrap().to_string();
        e
    }

    pub(crate) fn wait_for(&mut self, needle: &str, within: Duration) -> String {
        let t = Instant::now();
        loop {
            let left = within.saturating_sub(t.elapsed());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    self.seen.push(l.clone());
                    if l.contains(needle) {
                        return l;
                    }
                }
                Err(_) => panic!(
                    "no log line with {needle:?}; saw:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_is_triggered_and_finishes_runs_on_sigterm() {
    let dir = temp_workflow(
        "name: slow\nversion: \"1.0\"\ntriggers:\n  - type: manual\n  - type: queue\n    subject: jobs.new\nnodes:\n  slow:\n    path: ./nodes/slow.ts\n    description: Take a while.\n",
        &[(
            "nodes/slow.ts",
            "export default async function run(_c: unknown, input: any) { const end = Date.now() + 1200; while (Date.now() < end) {} return { slow: true, got: input }; }\n",
        )],
    );
    let mut e = tokio::task::block_in_place(|| Engine::start(dir.path(), &[]));
    assert!(
        e.seen.iter().any(
            |l| l.contains("queue (NATS) triggers are validated but not served")
                && l.contains("jobs.new")
        ),
        "{:?}",
        e.seen
    );

    // `trigger` against the real engine: exit 0, the ExecutionResult on stdout.
    let out = tokio::process::Command::new(BIN)
        .args([
            "trigger",
            &e.url("/run"),
            "--body",
            "{\"a\": 1}",
            "--timeout",
            "60s",
        ])
        .output()
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout.lines().count(),
        1,
        "the result is one line: {stdout}"
    );
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["outputs"]["slow"]["got"], serde_json::json!({"a": 1}));

    // SIGTERM while a run is in flight: the run is answered, then the process exits 0.
    let client = reqwest::Client::new();
    let url = e.url("/run");
    let pending = tokio::spawn({
        let client = client.clone();
        async move { client.post(url).body("{}").send().await }
    });
    let t = Instant::now();
    loop {
        let m = client
            .get(e.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if m.contains("tentacular_runs_in_flight 1\n") {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "the run starts");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let killed = Command::new("kill")
        .args(["-TERM", &e.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let res = pending
        .await
        .unwrap()
        .expect("the in-flight run is answered");
    assert_eq!(res.status(), 200);
    let v: Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    assert_eq!(v["success"], true);
    let status = tokio::task::block_in_place(|| {
        let t = Instant::now();
        loop {
            if let Some(s) = e.child.try_wait().unwrap() {
                return s;
            }
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "the engine exits after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    assert_eq!(status.code(), Some(0));
    tokio::task::block_in_place(|| e.wait_for("shut down", Duration::from_secs(5)));
    assert!(e.seen.iter().any(|l| l.contains("SIGTERM")), "{:?}", e.seen);
}

/// A stand-in server for `trigger`: /ok, /fail (500), /busy (503 then 200) with counters.
async fn stub() -> (String, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let fails = Arc::new(AtomicUsize::new(0));
    let busy = Arc::new(AtomicUsize::new(0));
    let app = Router::new()
        .route(
            "/ok",
            post(|headers: HeaderMap, body: String| async move {
                let ct = headers
                    .get("content-type")
                    .map(|v| v.to_str().unwrap().to_string())
                    .unwrap_or_default();
                (
                    StatusCode::OK,
                    format!("{{\"got\":{body},\"contentType\":\"{ct}\"}}"),
                )
            }),
        )
        .route(
            "/fail",
            post({
                let fails = fails.clone();
                move || async move {
                    fails.fetch_add(1, Ordering::SeqCst);
                    (StatusCode::INTERNAL_SERVER_ERROR, "{\"success\":false}")
                }
            }),
        )
        .route(
            "/busy",
            post({
                let busy = busy.clone();
                move || async move {
                    if busy.fetch_add(1, Ordering::SeqCst) == 0 {
                        (
                            StatusCode::SERVICE_UNAVAILABLE,
                            [("retry-after", "0")],
                            "{}",
                        )
                    } else {
                        (StatusCode::OK, [("retry-after", "0")], "{\"second\":true}")
                    }
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), fails, busy)
}

async fn trigger(args: &[&str]) -> (i32, String, String) {
    let out = tokio::process::Command::new(BIN)
        .arg("trigger")
        .args(args)
        .output()
        .await
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trigger_exits_0_only_on_2xx_and_retries_only_what_started_no_run() {
    let (base, fails, busy) = stub().await;

    let (code, out, err) =
        trigger(&[&format!("{base}/ok"), "--body", "{\"trigger\":\"nightly\"}"]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.trim(),
        "{\"got\":{\"trigger\":\"nightly\"},\"contentType\":\"application/json\"}"
    );
    let (code, out, _) = trigger(&[&format!("{base}/ok")]).await;
    assert_eq!(code, 0);
    assert!(
        out.contains("\"got\":{}"),
        "the default body is {{}}: {out}"
    );

    let (code, out, err) = trigger(&[&format!("{base}/fail")]).await;
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("\"success\":false"),
        "the body is still printed: {out}"
    );
    assert!(err.contains("answered 500 after 1 attempt(s)"), "{err}");
    assert_eq!(
        fails.load(Ordering::SeqCst),
        1,
        "a failed run is not retried"
    );

    let (code, out, err) = trigger(&[&format!("{base}/busy")]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("second"), "{out}");
    assert!(
        err.contains("attempt 1: answered 503 Service Unavailable; retrying in 0s"),
        "{err}"
    );
    assert_eq!(busy.load(Ordering::SeqCst), 2);

    // Nothing listens on this port: connection refused, retried, then exit 1.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let (code, _, err) = trigger(&[&format!("http://{closed}/run"), "--retries", "1"]).await;
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("attempt 1:") && err.contains("retrying in 1s"),
        "{err}"
    );
    assert!(err.contains("(after 2 attempt(s))"), "{err}");

    let (code, _, err) = trigger(&[&format!("{base}/ok"), "--body", "{nope"]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--body is not valid JSON"), "{err}");
    let (code, _, err) = trigger(&["ftp://example.invalid/x"]).await;
    assert_eq!(code, 1);
    assert!(err.contains("the scheme must be http or https"), "{err}");
}
