//! Request-verifying tests against a mocked API server (`tower_test::mock`): the answers the
//! test control plane cannot produce (a live engine behind the service proxy, 502/503 from the
//! proxy, a hanging backend), and a cluster without the shared `gvisor` RuntimeClass (which the
//! cluster tests create and never delete).

use std::time::Duration;

use http::{Method, Request, Response, StatusCode};
use kube::client::Body;
use serde_json::json;
use tentacular_kube::cluster::{Cluster, RunOptions, RunOutcome, RunVia};
use tentacular_kube::{Error, Result};
use tower_test::mock::{self, Handle};

type H = Handle<Request<Body>, Response<Body>>;

fn cluster() -> (Cluster, H) {
    let (svc, handle) = mock::pair::<Request<Body>, Response<Body>>();
    (
        Cluster::from_client(kube::Client::new(svc, "default"), "https://mock.invalid"),
        handle,
    )
}

/// A `metav1.Status` as the API server sends it.
fn status(code: u16, message: &str) -> Vec<u8> {
    let reason = match code {
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        503 => "ServiceUnavailable",
        _ => "InternalError",
    };
    serde_json::to_vec(
        &json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
        "message": message, "reason": reason, "code": code}),
    )
    .unwrap()
}

/// Expects the proxy POST for `wf` in `ns` with `input`, answers `code` + `body`.
async fn answer_run(handle: &mut H, code: u16, body: Vec<u8>) {
    let (req, send) = handle.next_request().await.expect("a request");
    assert_eq!(req.method(), Method::POST);
    assert_eq!(
        req.uri().path(),
        "/api/v1/namespaces/ns/services/wf:8080/proxy/run"
    );
    assert_eq!(req.headers()["content-type"], "application/json");
    let sent = req.into_body().collect_bytes().await.unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&sent).unwrap(),
        json!({"text": "a b"})
    );
    send.send_response(
        Response::builder()
            .status(code)
            .body(Body::from(body))
            .unwrap(),
    );
}

async fn run_with(code: u16, body: Vec<u8>) -> Result<RunOutcome> {
    let (c, mut handle) = cluster();
    let server = tokio::spawn(async move { answer_run(&mut handle, code, body).await });
    let opts = RunOptions {
        input: json!({"text": "a b"}),
        timeout: Duration::from_secs(5),
        via: RunVia::Proxy,
    };
    let out = c.run("ns", "wf", &opts).await;
    server.await.unwrap();
    out
}

#[tokio::test]
async fn proxy_returns_the_engine_result() {
    let body = br#"{"success": true, "outputs": {"count": {"words": 2}}, "errors": {}}"#.to_vec();
    let out = run_with(200, body).await.unwrap();
    assert_eq!(out.http_status, Some(200));
    assert_eq!(out.success, Some(true));
    assert_eq!(out.body["outputs"]["count"]["words"], 2);
    assert_eq!(out.via, RunVia::Proxy);
}

#[tokio::test]
async fn a_failed_workflow_is_an_outcome_not_an_error() {
    let body = br#"{"success": false, "outputs": {}, "errors": {"count": "boom"}}"#.to_vec();
    let out = run_with(500, body).await.unwrap();
    assert_eq!((out.http_status, out.success), (Some(500), Some(false)));
}

#[tokio::test]
async fn no_endpoints_points_at_status_and_via_pod() {
    let err = run_with(
        503,
        status(503, "no endpoints available for service \"wf\""),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, Error::ProxyUnavailable { status: 503, .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("tntc status --detail") && msg.contains("--via pod"),
        "{msg}"
    );
}

#[tokio::test]
async fn blocked_proxy_suggests_the_network_policy() {
    let err = run_with(
        502,
        status(
            502,
            "error trying to reach service: dial tcp 10.0.0.7:8080: i/o timeout",
        ),
    )
    .await
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("NetworkPolicy") && msg.contains("--via pod"),
        "{msg}"
    );
}

#[tokio::test]
async fn forbidden_proxy_names_the_permission() {
    let err = run_with(403, status(403, "services \"wf\" is forbidden"))
        .await
        .unwrap_err();
    match err {
        Error::Forbidden {
            permission,
            namespace,
            ..
        } => {
            assert_eq!(permission, "create services/proxy");
            assert_eq!(namespace.as_deref(), Some("ns"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn missing_service_is_workflow_not_found() {
    let (c, mut handle) = cluster();
    let server = tokio::spawn(async move {
        answer_run(&mut handle, 404, status(404, "services \"wf\" not found")).await;
        let (req, send) = handle.next_request().await.unwrap();
        assert_eq!(req.method(), Method::GET);
        assert_eq!(req.uri().path(), "/api/v1/namespaces/ns/services/wf");
        send.send_response(
            Response::builder()
                .status(404)
                .body(Body::from(status(404, "not found")))
                .unwrap(),
        );
    });
    let opts = RunOptions {
        input: json!({"text": "a b"}),
        ..RunOptions::default()
    };
    let err = c.run("ns", "wf", &opts).await.unwrap_err();
    server.await.unwrap();
    assert!(matches!(err, Error::WorkflowNotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn a_silent_backend_times_out_with_advice() {
    let (c, mut handle) = cluster();
    let server = tokio::spawn(async move {
        let (_req, send) = handle.next_request().await.unwrap();
        tokio::time::sleep(Duration::from_secs(2)).await;
        drop(send);
    });
    let opts = RunOptions {
        input: json!({}),
        timeout: Duration::from_millis(200),
        via: RunVia::Proxy,
    };
    let err = c.run("ns", "wf", &opts).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.to_string().contains("--via pod"), "{err}");
    server.abort();
}

#[tokio::test]
async fn unauthorized_says_so() {
    let (c, mut handle) = cluster();
    let server = tokio::spawn(async move {
        let (_req, send) = handle.next_request().await.unwrap();
        send.send_response(
            Response::builder()
                .status(StatusCode::UNAUTHORIZED)
                .body(Body::from(status(401, "Unauthorized")))
                .unwrap(),
        );
    });
    let err = c.list(Some("ns")).await.unwrap_err();
    server.await.unwrap();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
    assert!(
        err.to_string().contains("rejected the credentials"),
        "{err}"
    );
}

/// A minimal API server for `cluster check`: version, the RuntimeClass `gvisor` (missing until
/// it is applied), namespace `ns`, and every SelfSubjectAccessReview allowed. Returns the
/// methods and paths it saw once the client is gone.
async fn check_server(mut handle: H) -> Vec<String> {
    let mut seen = Vec::new();
    let mut runtime_class_exists = false;
    let rc = json!({"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass",
        "metadata": {"name": "gvisor"}, "handler": "runsc"});
    while let Some((req, send)) = handle.next_request().await {
        let (method, path) = (req.method().clone(), req.uri().path().to_string());
        seen.push(format!(
            "{method} {path}{}",
            match req.uri().query() {
                Some(q) if method == Method::PATCH => format!("?{q}"),
                _ => String::new(),
            }
        ));
        let ok = |v: serde_json::Value| (200, serde_json::to_vec(&v).unwrap());
        let (code, body) = match (method, path.as_str()) {
            (Method::GET, "/version") => ok(json!({"major": "1", "minor": "34",
                "gitVersion": "v1.34.4", "gitCommit": "x", "gitTreeState": "clean",
                "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.24", "compiler": "gc",
                "platform": "linux/amd64"})),
            (Method::GET, "/apis/node.k8s.io/v1/runtimeclasses/gvisor") if runtime_class_exists => {
                ok(rc.clone())
            }
            (Method::GET, "/apis/node.k8s.io/v1/runtimeclasses/gvisor") => (
                404,
                status(404, "runtimeclasses.node.k8s.io \"gvisor\" not found"),
            ),
            (Method::PATCH, "/apis/node.k8s.io/v1/runtimeclasses/gvisor") => {
                runtime_class_exists = true;
                ok(rc.clone())
            }
            (Method::GET, "/api/v1/namespaces/ns") => ok(json!({"apiVersion": "v1",
                "kind": "Namespace", "metadata": {"name": "ns"}})),
            (Method::POST, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews") => {
                ok(json!({"apiVersion": "authorization.k8s.io/v1",
                    "kind": "SelfSubjectAccessReview", "spec": {}, "status": {"allowed": true}}))
            }
            (m, p) => panic!("unexpected request {m} {p}"),
        };
        send.send_response(
            Response::builder()
                .status(code)
                .body(Body::from(body))
                .unwrap(),
        );
    }
    seen
}

#[tokio::test]
async fn a_missing_gvisor_runtime_class_fails_the_check_and_fix_creates_it() {
    use tentacular_kube::cluster::{CheckOptions, CheckStatus};
    let (c, handle) = cluster();
    let server = tokio::spawn(check_server(handle));

    let report = c.check(&CheckOptions::new("ns")).await.unwrap();
    let rc = &report.checks[1];
    assert_eq!(rc.name, "RuntimeClass \"gvisor\"");
    assert_eq!(rc.status, CheckStatus::Fail, "{rc:?}");
    assert!(
        rc.message
            .starts_with("missing: the API server rejects pods"),
        "{rc:?}"
    );
    let fix = rc.remediation.as_deref().unwrap();
    assert!(fix.contains("`tntc cluster check --fix`") && fix.contains("--runtime-class none"));
    assert!(!report.passed());

    let mut opts = CheckOptions::new("ns");
    opts.fix = true;
    let report = c.check(&opts).await.unwrap();
    let rc = &report.checks[1];
    assert_eq!(rc.status, CheckStatus::Pass, "{rc:?}");
    assert_eq!(rc.message, "created (--fix), handler runsc");
    assert!(rc.remediation.as_deref().unwrap().contains("runsc"));
    assert!(report.passed(), "{report:#?}");

    drop(c);
    let seen = server.await.unwrap();
    let patches: Vec<_> = seen.iter().filter(|s| s.starts_with("PATCH")).collect();
    assert_eq!(patches.len(), 1, "{seen:#?}");
    assert!(patches[0].contains("fieldManager=tntc"), "{patches:?}");
}
