//! The HTTP server, cron, hot reload and graceful shutdown, against the real sandbox and real
//! workflows: `router.oneshot(request)` for each answer, plus end-to-end tests through a
//! socket on 127.0.0.1.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};
use tentacular_engine::server::{self, App, Loader, RunSource, ServerConfig, Workload};
use tentacular_engine::triggers;
use tentacular_engine::webhook;
use tentacular_engine::{triggers::cron, watch};
use tentacular_sandbox::fetch::DenyAll;
use tower::ServiceExt;

use crate::support::{example, sandbox, temp_workflow};

const ECHO_SPEC: &str = "name: echo\nversion: \"1.0\"\ntriggers:\n  - type: manual\nnodes:\n  echo:\n    path: ./nodes/echo.ts\n    description: Return the input.\n";
const ECHO_NODE: &str =
    "export default async function run(_ctx: unknown, input: unknown) { return input; }\n";

fn echo_workflow(triggers_yaml: &str) -> tempfile::TempDir {
    let spec = ECHO_SPEC.replace(
        "  - type: manual\n",
        &format!("  - type: manual\n{triggers_yaml}"),
    );
    temp_workflow(&spec, &[("nodes/echo.ts", ECHO_NODE)])
}

/// A workflow whose one node busy-waits `ms` milliseconds.
fn slow_workflow(ms: u64) -> tempfile::TempDir {
    temp_workflow(
        "name: slow\nversion: \"1.0\"\ntriggers:\n  - type: manual\nnodes:\n  slow:\n    path: ./nodes/slow.ts\n    description: Take a while.\n",
        &[(
            "nodes/slow.ts",
            &format!(
                "export default async function run() {{ const end = Date.now() + {ms}; while (Date.now() < end) {{}} return {{ slow: true }}; }}\n"
            ),
        )],
    )
}

fn loader(dir: &Path) -> Loader {
    Loader::new(sandbox(), dir, Arc::new(DenyAll)).mount_dir(None)
}

async fn workload(dir: &Path) -> Workload {
    loader(dir).load().await.unwrap_or_else(|e| panic!("{e}"))
}

async fn app_for(dir: &Path) -> App {
    App::new(workload(dir).await, ServerConfig::default())
}

async fn send(app: &App, req: Request<Body>) -> Response {
    server::router(app.clone()).oneshot(req).await.unwrap()
}

async fn body_json(res: Response) -> Value {
    let bytes = to_bytes(res.into_body(), usize::MAX).await.unwrap();
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes)))
}

async fn body_text(res: Response) -> String {
    String::from_utf8(
        to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec(),
    )
    .unwrap()
}

async fn json_of(res: reqwest::Response) -> Value {
    serde_json::from_str(&res.text().await.unwrap()).unwrap()
}

fn post(uri: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(uri).body(body.into()).unwrap()
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_answers_ok() {
    let app = app_for(&example("word-counter")).await;
    let res = send(&app, get("/health")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body_json(res).await, json!({"status": "ok"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_word_counter_returns_the_pretty_printed_result() {
    let app = app_for(&example("word-counter")).await;
    let res = send(&app, post("/run", "{}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "application/json");
    let text = body_text(res).await;
    assert!(
        text.starts_with("{\n  \"success\": true,\n  \"outputs\": {\n    \"source\""),
        "{text}"
    );
    let v: Value = serde_json::from_str(&text).unwrap();
    assert!(
        v["outputs"]["report"]["totalWords"].as_u64().unwrap() > 0,
        "{v}"
    );
    assert_eq!(v["errors"], json!({}));
    assert!(v["timing"]["nodeTimings"]["tokenize"]["durationMs"].is_u64());

    let res = send(&app, get("/run")).await;
    assert_eq!(res.status(), StatusCode::OK, "GET /run runs too");
    assert_eq!(body_json(res).await["success"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_input_is_the_json_body_or_an_empty_object() {
    let dir = echo_workflow("");
    let app = app_for(dir.path()).await;
    for (body, expected) in [
        (r#"{"x": [1, 2]}"#.to_string(), json!({"x": [1, 2]})),
        ("".to_string(), json!({})),
        ("  \n".to_string(), json!({})),
        ("this is not json".to_string(), json!({})),
        ("{\"truncated\": ".to_string(), json!({})),
        ("[1,2]".to_string(), json!([1, 2])),
    ] {
        let res = send(&app, post("/run", body.clone())).await;
        assert_eq!(res.status(), StatusCode::OK, "{body:?}");
        assert_eq!(
            body_json(res).await["outputs"]["echo"],
            expected,
            "{body:?}"
        );
    }
    let res = send(
        &app,
        Request::get("/run")
            .body(Body::from("{\"ignored\": true}"))
            .unwrap(),
    )
    .await;
    assert_eq!(
        body_json(res).await["outputs"]["echo"],
        json!({}),
        "GET ignores the body"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_run_answers_500_with_the_result() {
    let dir = temp_workflow(
        "name: broken\nversion: \"1.0\"\ntriggers:\n  - type: manual\nnodes:\n  boom:\n    path: ./nodes/boom.ts\n    description: Fail.\n",
        &[(
            "nodes/boom.ts",
            "export default async function run() { throw new Error(\"kaboom\"); }\n",
        )],
    );
    let app = app_for(dir.path()).await;
    let res = send(&app, post("/run", "{}")).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let v = body_json(res).await;
    assert_eq!(v["success"], false);
    assert!(
        v["errors"]["boom"].as_str().unwrap().contains("kaboom"),
        "{v}"
    );
    let metrics = body_text(send(&app, get("/metrics")).await).await;
    assert!(
        metrics.contains("tentacular_run_failures_total{trigger=\"manual\"} 1\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("tentacular_node_failures_total{node=\"boom\"} 1\n"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_50_mb_body_gets_413_as_json() {
    let dir = echo_workflow("");
    let app = app_for(dir.path()).await;
    let big = vec![b' '; 50 << 20];
    let res = send(&app, post("/run", big)).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let v = body_json(res).await;
    assert_eq!(
        v["error"],
        "request body is larger than the limit of 10485760 bytes"
    );
    // The same through a declared Content-Length (rejected before reading).
    let req = Request::post("/run")
        .header(header::CONTENT_LENGTH, 50u64 << 20)
        .body(Body::from(vec![b'{'; 16]))
        .unwrap();
    assert_eq!(
        send(&app, req).await.status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
    let small = App::new(
        workload(dir.path()).await,
        ServerConfig {
            body_limit: 10,
            ..ServerConfig::default()
        },
    );
    let res = send(&small, post("/run", "{\"x\": \"more than ten bytes\"}")).await;
    assert_eq!(
        res.status(),
        StatusCode::PAYLOAD_TOO_LARGE,
        "the limit is configurable"
    );
    let res = send(
        &small,
        post("/webhook/github", "{\"x\": \"more than ten bytes\"}"),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "no webhook triggers comes first"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_and_methods_get_json_errors() {
    let app = app_for(&example("word-counter")).await;
    let res = send(&app, get("/nope")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(body_json(res).await, json!({"error": "Not Found"}));
    let res = send(&app, Request::delete("/run").body(Body::empty()).unwrap()).await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.headers()[header::ALLOW], "GET,HEAD,POST");
    assert_eq!(body_json(res).await, json!({"error": "Method Not Allowed"}));
    let res = send(&app, get("/webhook/github")).await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_without_triggers_or_with_unknown_providers() {
    let app = app_for(&example("word-counter")).await;
    let res = send(&app, post("/webhook/github", "{}")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        body_json(res).await,
        json!({"error": "No webhook triggers configured"})
    );

    let dir = echo_workflow("  - type: webhook\n    provider: github\n");
    let app = app_for(dir.path()).await;
    let res = send(&app, post("/webhook/gitlab", "{}")).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        body_json(res).await,
        json!({"error": "Unknown webhook provider: gitlab"})
    );
    for bad in ["/webhook/GitHub", "/webhook/9lives", "/webhook/a_b"] {
        let res = send(&app, post(bad, "{}")).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{bad}");
    }
}

fn github(body: &str, event: &str, sig: Option<String>) -> Request<Body> {
    let mut b = Request::post("/webhook/github")
        .header("content-type", "application/json")
        .header("X-GitHub-Event", event)
        .header("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958");
    if let Some(s) = sig {
        b = b.header("X-Hub-Signature-256", s);
    }
    b.body(Body::from(body.to_string())).unwrap()
}

async fn next_event(
    rx: &mut tokio::sync::broadcast::Receiver<Arc<server::RunEvent>>,
) -> Arc<server::RunEvent> {
    tokio::time::timeout(Duration::from_secs(60), rx.recv())
        .await
        .expect("a run finishes")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_webhook_signature_matching_and_run() {
    let dir = echo_workflow(
        "  - type: webhook\n    name: pr-opened\n    provider: github\n    event: pull_request\n    actions: [opened]\n",
    );
    let mut w = workload(dir.path()).await;
    w.webhook_secret = Some(tentacular_engine::secrets::SecretValue::new("s3cret"));
    let app = App::new(w, ServerConfig::default());
    let mut events = app.subscribe();
    let payload = r#"{"action":"opened","number":42}"#;
    let sign = |b: &str| Some(webhook::github_signature(b"s3cret", b.as_bytes()));

    let res = send(&app, github(payload, "pull_request", None)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "no signature");
    assert_eq!(body_json(res).await, json!({"error": "Invalid signature"}));
    let wrong = Some(webhook::github_signature(b"other", payload.as_bytes()));
    let res = send(&app, github(payload, "pull_request", wrong)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "wrong secret");
    let res = send(&app, github(payload, "pull_request", sign("{}"))).await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "signature of another body"
    );

    let res = send(&app, github("not json", "pull_request", sign("not json"))).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(
        body_json(res).await["error"]
            .as_str()
            .unwrap()
            .starts_with("Invalid JSON payload")
    );

    let closed = r#"{"action":"closed"}"#;
    let res = send(&app, github(closed, "pull_request", sign(closed))).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body_json(res).await, json!({"ok": true, "matched": false}));
    let res = send(&app, github(payload, "push", sign(payload))).await;
    assert_eq!(body_json(res).await, json!({"ok": true, "matched": false}));

    let res = send(&app, github(payload, "pull_request", sign(payload))).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        body_json(res).await,
        json!({"ok": true, "matched": true, "delivery_id": "72d3162e-cc78-11e3-81ab-4c9367dc0958", "trigger": "pr-opened"})
    );
    let ev = next_event(&mut events).await;
    assert_eq!(
        ev.source,
        RunSource::Webhook {
            trigger: "pr-opened".into(),
            delivery_id: Some("72d3162e-cc78-11e3-81ab-4c9367dc0958".into())
        }
    );
    assert_eq!(
        ev.result.outputs["echo"],
        json!({"action": "opened", "number": 42, "_webhook": {"provider": "github", "event": "pull_request", "action": "opened", "delivery_id": "72d3162e-cc78-11e3-81ab-4c9367dc0958", "trigger": "pr-opened"}})
    );
    let metrics = body_text(send(&app, get("/metrics")).await).await;
    for line in [
        "tentacular_runs_total{trigger=\"webhook\"} 1\n",
        "tentacular_webhook_deliveries_total{provider=\"github\",result=\"invalid_signature\"} 3\n",
        "tentacular_webhook_deliveries_total{provider=\"github\",result=\"invalid_json\"} 1\n",
        "tentacular_webhook_deliveries_total{provider=\"github\",result=\"unmatched\"} 2\n",
        "tentacular_webhook_deliveries_total{provider=\"github\",result=\"matched\"} 1\n",
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_webhooks_without_a_secret_are_refused() {
    let dir = echo_workflow("  - type: webhook\n    provider: github\n");
    for secret in [None, Some("")] {
        let mut w = workload(dir.path()).await;
        w.webhook_secret = secret.map(tentacular_engine::secrets::SecretValue::new);
        let app = App::new(w, ServerConfig::default());
        // Unsigned, and "signed" with the empty key an unset secret would give.
        let empty_key = tentacular_engine::webhook::github_signature(b"", br#"{"ref":"main"}"#);
        for sig in [None, Some(empty_key)] {
            let res = send(&app, github(r#"{"ref":"main"}"#, "push", sig)).await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{secret:?}");
            let v = body_json(res).await;
            assert_eq!(v["error"], json!("No webhook secret configured"), "{v}");
        }
        assert_eq!(app.in_flight(), 0, "nothing ran");
        let metrics =
            body_text(send(&app, Request::get("/metrics").body(Body::empty()).unwrap()).await)
                .await;
        assert!(
            metrics.contains(
                "tentacular_webhook_deliveries_total{provider=\"github\",result=\"no_secret\"} 2"
            ),
            "{metrics}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_secret_comes_from_the_secrets() {
    let dir = echo_workflow("  - type: webhook\n    provider: github\n");
    std::fs::write(
        dir.path().join(".secrets.yaml"),
        "github:\n  webhook_secret: from-file\n",
    )
    .unwrap();
    let w = workload(dir.path()).await;
    assert_eq!(
        w.webhook_secret.as_ref().map(|s| s.expose()),
        Some("from-file")
    );
    let app = App::new(w, ServerConfig::default());
    let res = send(&app, github("{}", "push", None)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = send(
        &app,
        github(
            "{}",
            "push",
            Some(webhook::github_signature(b"from-file", b"{}")),
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_runs_and_time_nodes() {
    let app = app_for(&example("word-counter")).await;
    for _ in 0..3 {
        assert_eq!(
            send(&app, post("/run", "{}")).await.status(),
            StatusCode::OK
        );
    }
    let res = send(&app, get("/metrics")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()[header::CONTENT_TYPE],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = body_text(res).await;
    for line in [
        "tentacular_workflow_info{workflow=\"word-counter\",version=\"1.0\",generation=\"1\"} 1\n",
        "tentacular_runs_total{trigger=\"manual\"} 3\n",
        "tentacular_runs_total{trigger=\"cron\"} 0\n",
        "tentacular_run_failures_total{trigger=\"manual\"} 0\n",
        "tentacular_runs_in_flight 0\n",
        "tentacular_runs_max_in_flight 64\n",
        "tentacular_runs_rejected_total 0\n",
        "tentacular_run_duration_seconds_count 3\n",
        "tentacular_node_duration_seconds_bucket{node=\"tokenize\",le=\"+Inf\"} 3\n",
        "tentacular_node_duration_seconds_count{node=\"report\"} 3\n",
        "# TYPE tentacular_node_duration_seconds histogram\n",
        "tentacular_reloads_total{result=\"ok\"} 0\n",
    ] {
        assert!(text.contains(line), "{line} missing from:\n{text}");
    }
    // Every sample line is `name{labels} value` or `name value`.
    for l in text.lines().filter(|l| !l.starts_with('#')) {
        let (_, value) = l.rsplit_once(' ').unwrap();
        value
            .parse::<f64>()
            .unwrap_or_else(|_| panic!("bad sample {l}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_max_in_flight_runs_get_429_with_retry_after() {
    let dir = slow_workflow(1500);
    let app = App::new(
        workload(dir.path()).await,
        ServerConfig {
            max_in_flight: 1,
            queue_wait: Duration::ZERO,
            ..ServerConfig::default()
        },
    );
    let first = tokio::spawn({
        let app = app.clone();
        async move { send(&app, post("/run", "{}")).await }
    });
    let t = Instant::now();
    while app.in_flight() == 0 {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the first run starts"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let res = send(&app, post("/run", "{}")).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.headers()[header::RETRY_AFTER], "1");
    assert_eq!(
        body_json(res).await,
        json!({"error": "too many runs in flight (limit 1); retry later"})
    );
    let text = body_text(send(&app, get("/metrics")).await).await;
    assert!(text.contains("tentacular_runs_in_flight 1\n"), "{text}");
    assert!(
        text.contains("tentacular_runs_rejected_total 1\n"),
        "{text}"
    );
    let res = first.await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the admitted run is not disturbed"
    );
    assert_eq!(
        body_json(res).await["outputs"]["slow"],
        json!({"slow": true})
    );
    assert_eq!(
        send(&app, post("/run", "{}")).await.status(),
        StatusCode::OK,
        "room again"
    );
}

/// Starts `app` on 127.0.0.1:0; returns its address, a shutdown trigger and the server task.
async fn start(
    app: App,
) -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server::serve(listener, app, async move {
        let _ = rx.await;
    }));
    (addr, tx, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn end_to_end_through_a_socket() {
    let (addr, stop, task) = start(app_for(&example("word-counter")).await).await;
    let client = reqwest::Client::new();
    let base = format!("http://{addr}");
    let res = client.get(format!("{base}/health")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(json_of(res).await, json!({"status": "ok"}));
    let res = client
        .post(format!("{base}/run"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let v = json_of(res).await;
    assert_eq!(v["success"], true);
    assert_eq!(v["outputs"]["report"]["totalWords"], json!(17));
    let res = client
        .post(format!("{base}/run"))
        .body("definitely not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "non-JSON bodies run with {{}}");
    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("tentacular_runs_total{trigger=\"manual\"} 2\n"),
        "{metrics}"
    );
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "the listener is closed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn end_to_end_a_declared_50_mb_body_is_refused_before_it_is_sent() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = echo_workflow("");
    let (addr, stop, task) = start(app_for(dir.path()).await).await;
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"POST /run HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 52428800\r\n\r\n{")
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(
        text.contains("{\"error\":\"request body is larger than the limit of 10485760 bytes\"}"),
        "{text}"
    );
    drop(s);
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_runs_in_flight() {
    let dir = slow_workflow(1500);
    let app_http = App::new(workload(dir.path()).await, ServerConfig::default());
    let (addr, stop, task) = start(app_http.clone()).await;
    let client = reqwest::Client::new();
    let run = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .post(format!("http://{addr}/run"))
                .body("{}")
                .send()
                .await
        }
    });
    let t = Instant::now();
    while app_http.in_flight() == 0 {
        assert!(t.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.send(()).unwrap();
    let res = run
        .await
        .unwrap()
        .expect("the in-flight request is answered");
    assert_eq!(res.status(), 200);
    assert_eq!(json_of(res).await["outputs"]["slow"], json!({"slow": true}));
    task.await.unwrap().unwrap();
    assert_eq!(app_http.in_flight(), 0);
    let res = send(&app_http, post("/run", "{}")).await;
    assert_eq!(
        res.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "after shutdown no run starts"
    );
    assert_eq!(res.headers()[header::RETRY_AFTER], "1");

    // Background (webhook) runs are waited for by drain.
    let slow_wh = temp_workflow(
        "name: slowhook\nversion: \"1.0\"\ntriggers:\n  - type: webhook\n    provider: github\nnodes:\n  slow:\n    path: ./nodes/slow.ts\n    description: Take a while.\n",
        &[(
            "nodes/slow.ts",
            "export default async function run() { const end = Date.now() + 1000; while (Date.now() < end) {} return { slow: true }; }\n",
        )],
    );
    let mut w = workload(slow_wh.path()).await;
    w.webhook_secret = Some(tentacular_engine::secrets::SecretValue::new("s3cret-hook"));
    let app = App::new(w, ServerConfig::default());
    let mut events = app.subscribe();
    let sig = tentacular_engine::webhook::github_signature(b"s3cret-hook", b"{}");
    let res = send(&app, github("{}", "push", Some(sig))).await;
    assert_eq!(body_json(res).await["matched"], true);
    assert_eq!(app.in_flight(), 1, "answered before the run ends");
    let t = Instant::now();
    app.drain().await;
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "drain waited for the run"
    );
    let ev = events
        .try_recv()
        .expect("the run finished before drain returned");
    assert_eq!(ev.result.outputs["slow"], json!({"slow": true}));
    tokio::time::timeout(Duration::from_secs(5), app.drain())
        .await
        .expect("a second drain returns at once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cron_triggers_post_their_name() {
    let dir = echo_workflow(
        "  - type: cron\n    name: tick\n    schedule: \"* * * * *\"\n  - type: cron\n    schedule: \"0 0 1 1 *\"\n",
    );
    let app = app_for(dir.path()).await;
    let mut events = app.subscribe();
    // A clock that reads hh:mm:59.5 now, so the every-minute trigger fires in half a second.
    let start = chrono::Utc::now();
    let shifted = {
        use chrono::Timelike;
        let target = start
            .with_second(59)
            .unwrap()
            .with_nanosecond(500_000_000)
            .unwrap();
        target - start
    };
    let handle =
        cron::spawn_with_clock(app.clone(), Arc::new(move || chrono::Utc::now() + shifted));
    let ev = next_event(&mut events).await;
    assert_eq!(
        ev.source,
        RunSource::Cron {
            trigger: Some("tick".into()),
            schedule: "* * * * *".into()
        }
    );
    assert_eq!(ev.result.outputs["echo"], json!({"trigger": "tick"}));
    let metrics = body_text(send(&app, get("/metrics")).await).await;
    assert!(
        metrics.contains("tentacular_runs_total{trigger=\"cron\"} 1\n"),
        "{metrics}"
    );
    app.begin_shutdown();
    tokio::time::timeout(Duration::from_secs(5), handle)
        .await
        .expect("cron stops on shutdown")
        .unwrap();
}

#[test]
fn queue_triggers_are_announced_as_not_served() {
    let spec = ECHO_SPEC.replace(
        "  - type: manual\n",
        "  - type: manual\n  - type: queue\n    subject: jobs.new\n",
    );
    let wf = tentacular_spec::Workflow::parse(&spec, "workflow.yaml")
        .unwrap()
        .workflow;
    assert_eq!(
        triggers::announce_unserved(&wf),
        vec!["jobs.new".to_string()]
    );
}

async fn wait_metric(app: &App, line: &str) {
    let t = Instant::now();
    loop {
        let m = body_text(send(app, get("/metrics")).await).await;
        if m.contains(line) {
            return;
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "{line} never appeared in:\n{m}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_for(app: &App, what: &str, mut ok: impl FnMut(&Value) -> bool) -> Value {
    let t = Instant::now();
    loop {
        let v = body_json(send(app, post("/run", "{}")).await).await;
        if ok(&v) {
            return v;
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}; last: {v}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_reloads_nodes_and_spec_and_keeps_the_last_good_version() {
    let dir = temp_workflow(
        "name: hot\nversion: \"1.0\"\ntriggers:\n  - type: manual\nnodes:\n  greet:\n    path: ./nodes/greet.ts\n    description: Greet.\n",
        &[(
            "nodes/greet.ts",
            "export default async function run() { return { says: \"v1\" }; }\n",
        )],
    );
    let loader = loader(dir.path());
    let app = App::new(loader.load().await.unwrap(), ServerConfig::default());
    let handle =
        watch::spawn_with_debounce(app.clone(), loader, Duration::from_millis(100)).unwrap();
    let v = body_json(send(&app, post("/run", "{}")).await).await;
    assert_eq!(v["outputs"]["greet"], json!({"says": "v1"}));

    // Edit a node: the new output is served.
    std::fs::write(
        dir.path().join("nodes/greet.ts"),
        "export default async function run() { return { says: \"v2\" }; }\n",
    )
    .unwrap();
    wait_for(&app, "the edited node", |v| {
        v["outputs"]["greet"] == json!({"says": "v2"})
    })
    .await;
    assert_eq!(app.generation(), 2);

    // Break workflow.yaml: the last good version keeps serving.
    std::fs::write(
        dir.path().join("workflow.yaml"),
        "name: hot\nversion: \"1.0.0\"\ntriggers: [\n",
    )
    .unwrap();
    wait_metric(&app, "tentacular_reloads_total{result=\"error\"} 1\n").await;
    let v = body_json(send(&app, post("/run", "{}")).await).await;
    assert_eq!(
        v["outputs"]["greet"],
        json!({"says": "v2"}),
        "still the last good version"
    );
    assert_eq!(app.generation(), 2);

    // A syntax error in a node: also kept.
    std::fs::write(dir.path().join("workflow.yaml"), "name: hot\nversion: \"1.0\"\ntriggers:\n  - type: manual\nnodes:\n  greet:\n    path: ./nodes/greet.ts\n    description: Greet.\n").unwrap();
    std::fs::write(
        dir.path().join("nodes/greet.ts"),
        "export default async function run( { return 1 }\n",
    )
    .unwrap();
    wait_metric(&app, "tentacular_reloads_total{result=\"error\"} 2\n").await;
    let v = body_json(send(&app, post("/run", "{}")).await).await;
    assert_eq!(v["outputs"]["greet"], json!({"says": "v2"}));
    assert_eq!(app.generation(), 2);

    // Fix it and grow the DAG from workflow.yaml: a new node and an edge are picked up.
    std::fs::write(
        dir.path().join("nodes/greet.ts"),
        "export default async function run() { return { says: \"v3\" }; }\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("nodes/shout.ts"), "export default async function run(_c: unknown, i: any) { return { loud: String(i.says).toUpperCase() }; }\n").unwrap();
    std::fs::write(dir.path().join("workflow.yaml"), "name: hot\nversion: \"1.0\"\ntriggers:\n  - type: manual\nnodes:\n  greet:\n    path: ./nodes/greet.ts\n    description: Greet.\n  shout:\n    path: ./nodes/shout.ts\n    description: Shout.\nedges:\n  - from: greet\n    to: shout\n").unwrap();
    let v = wait_for(&app, "the new node", |v| v["outputs"]["shout"].is_object()).await;
    assert_eq!(v["outputs"]["shout"], json!({"loud": "V3"}));
    app.begin_shutdown();
    tokio::time::timeout(Duration::from_secs(5), handle)
        .await
        .expect("watch stops on shutdown")
        .unwrap();
}
