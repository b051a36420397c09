//! run (service proxy, run pod) and logs (tail, follow).

use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{ListParams, Patch, PatchParams};
use serde_json::json;
use tentacular_kube::cluster::{ApplyOptions, LogOptions, RunOptions, RunVia};
use tentacular_kube::{Error, manifests};

use super::test_cluster::{POD_LOG, TestCluster, pods_run};
use super::word_counter;

async fn deployed(tc: &TestCluster, test: &str) -> String {
    let ns = tc.namespace(test).await;
    tc.ensure_gvisor(&ns).await;
    tc.cluster
        .apply(
            &manifests::build(&word_counter(&ns)).unwrap(),
            &ApplyOptions::default(),
        )
        .await
        .unwrap();
    tc.mark_ready_if_needed(&ns, "word-counter").await;
    tc.cluster
        .wait_ready(&ns, "word-counter", Duration::from_secs(90), |_| {})
        .await
        .unwrap();
    ns
}

#[tokio::test]
async fn run_through_the_proxy_maps_the_api_servers_answer() {
    let Some(tc) = TestCluster::admin("run_through_the_proxy_maps_the_api_servers_answer").await
    else {
        return;
    };
    let ns = deployed(&tc, "proxy").await;
    let opts = RunOptions {
        input: json!({"text": "a b c"}),
        timeout: Duration::from_secs(20),
        via: RunVia::Proxy,
    };
    // testenv has no endpoints controller, so the proxy finds no backend: the error must say
    // so and point at `--via pod` (a real cluster would return the engine's answer).
    let err = tc
        .cluster
        .run(&ns, "word-counter", &opts)
        .await
        .unwrap_err();
    match &err {
        Error::ProxyUnavailable { status, .. } => assert!([404, 503].contains(status), "{err}"),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("--via pod"), "{err}");
    // A workflow that is not deployed.
    let err = tc.cluster.run(&ns, "nope", &opts).await.unwrap_err();
    assert!(matches!(err, Error::WorkflowNotFound { .. }), "{err:?}");
    // The restricted user lacks services/proxy.
    if let Some((r, rns)) = TestCluster::restricted("run (restricted)").await {
        let err = r
            .cluster
            .run(&rns, "word-counter", &opts)
            .await
            .unwrap_err();
        match &err {
            Error::Forbidden { permission, .. } => assert_eq!(permission, "create services/proxy"),
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn run_via_pod_and_logs() {
    let Some(tc) = TestCluster::admin("run_via_pod_and_logs").await else {
        return;
    };
    if !pods_run(&tc, "run_via_pod_and_logs") {
        return;
    }
    let _guard = POD_LOG.lock().await;
    let ns = deployed(&tc, "runpod").await;

    // logs: kwok serves the shared log file as every container's log.
    let marker = format!("marker-{}", std::process::id());
    tc.append_pod_log(&format!("{marker} one"));
    let mut s = tc
        .cluster
        .logs(
            &ns,
            "word-counter",
            &LogOptions {
                tail: Some(5),
                ..LogOptions::default()
            },
        )
        .await
        .unwrap();
    assert!(s.pod.starts_with("word-counter-"), "{}", s.pod);
    let mut lines = Vec::new();
    while let Some(l) = s.lines.next().await {
        lines.push(l.unwrap());
    }
    assert!(
        lines.iter().any(|l| l == &format!("{marker} one")),
        "{lines:?}"
    );
    assert!(lines.len() <= 5);

    // follow: a line appended later arrives on the open stream. (With `tail: 0` the API
    // server answers only once there is a first line, so append from another task.)
    let log_file = tc.pod_log_file.clone().unwrap();
    let later = format!("{marker} two");
    let writer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        super::test_cluster::append_log_line(&log_file, &later);
    });
    let got = tokio::time::timeout(Duration::from_secs(20), async {
        let opts = LogOptions {
            tail: Some(0),
            follow: true,
            ..LogOptions::default()
        };
        let mut f = tc.cluster.logs(&ns, "word-counter", &opts).await.unwrap();
        while let Some(l) = f.lines.next().await {
            let l = l.unwrap();
            if l.contains(&format!("{marker} two")) {
                return l;
            }
        }
        String::new()
    })
    .await
    .expect("followed line within 20s");
    assert_eq!(got, format!("{marker} two"));
    writer.await.unwrap();

    // run --via pod: the run pod's "output" is the shared log; its last line is the result.
    // kwok completes only Job-owned pods, so a helper plays the kubelet's "container exited 0".
    tc.append_pod_log(r#"{"success":true,"outputs":{"count":{"n":3}},"errors":{}}"#);
    let opts = RunOptions {
        input: json!({"text": "a b c"}),
        timeout: Duration::from_secs(60),
        via: RunVia::Pod,
    };
    let finisher = tokio::spawn(complete_run_pods(tc.cluster.client().clone(), ns.clone()));
    let out = tc.cluster.run(&ns, "word-counter", &opts).await.unwrap();
    assert_eq!(out.via, RunVia::Pod);
    assert_eq!(out.success, Some(true), "{out:?}");
    assert_eq!(out.body["outputs"]["count"]["n"], 3);
    let pod = out.pod.unwrap();
    assert!(pod.starts_with("tntc-run-word-counter-"), "{pod}");
    // The pod is always deleted.
    let pods: Api<Pod> = Api::namespaced(tc.cluster.client().clone(), &ns);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while pods.get_opt(&pod).await.unwrap().is_some() {
        assert!(
            std::time::Instant::now() < deadline,
            "run pod {pod} not deleted"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let left = pods
        .list(&ListParams::default().labels("tentacular.dev/role=trigger"))
        .await
        .unwrap();
    assert!(
        left.items
            .iter()
            .all(|p| p.metadata.deletion_timestamp.is_some()),
        "{:?}",
        left.items.len()
    );

    // A failed run (success=false) is an outcome, not an error.
    tc.append_pod_log(r#"{"success":false,"outputs":{},"errors":{"count":"boom"}}"#);
    let out = tc.cluster.run(&ns, "word-counter", &opts).await.unwrap();
    assert_eq!(out.success, Some(false), "{out:?}");
    finisher.abort();
}

/// Marks every running run pod of `ns` Succeeded (what the kubelet reports when
/// `tentacular-engine trigger` exits 0), until aborted.
async fn complete_run_pods(client: kube::Client, ns: String) {
    let pods: Api<Pod> = Api::namespaced(client, &ns);
    loop {
        let list = pods
            .list(&ListParams::default().labels("tentacular.dev/role=trigger"))
            .await
            .unwrap();
        for p in list.items {
            let running = p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running");
            if running && p.metadata.deletion_timestamp.is_none() {
                let now = jiff::Timestamp::now().to_string();
                let status = json!({"status": {"phase": "Succeeded", "containerStatuses": [{
                    "name": "trigger", "image": "tentacular-engine:test", "imageID": "", "ready": false,
                    "restartCount": 0, "state": {"terminated": {"exitCode": 0, "reason": "Completed",
                    "startedAt": now, "finishedAt": now}}}]}});
                let name = p.metadata.name.unwrap();
                let _ = pods
                    .patch_status(&name, &PatchParams::default(), &Patch::Merge(&status))
                    .await;
            }
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test]
async fn logs_of_an_undeployed_workflow() {
    let Some(tc) = TestCluster::admin("logs_of_an_undeployed_workflow").await else {
        return;
    };
    let ns = tc.namespace("nologs").await;
    let err = tc
        .cluster
        .logs(&ns, "nope", &LogOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::WorkflowNotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn a_missing_runtime_class_is_explained() {
    let Some(tc) = TestCluster::admin("a_missing_runtime_class_is_explained").await else {
        return;
    };
    let ns = tc.namespace("norc").await;
    let mut input = word_counter(&ns);
    input.runtime_class =
        tentacular_kube::manifests::RuntimeClassChoice::Named("no-such-class".into());
    tc.cluster
        .apply(&manifests::build(&input).unwrap(), &ApplyOptions::default())
        .await
        .unwrap();
    // No pod can be created: logs say so instead of failing obscurely.
    let err = tc
        .cluster
        .logs(&ns, "word-counter", &LogOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NoPods { .. }), "{err:?}");
    assert!(err.to_string().contains("--detail"), "{err}");
    // Without controllers nothing reports why.
    if !pods_run(
        &tc,
        "a_missing_runtime_class_is_explained (the admission error)",
    ) {
        return;
    }
    // Waiting times out naming the admission error; status --detail shows the event.
    let err = tc
        .cluster
        .wait_ready(&ns, "word-counter", Duration::from_secs(10), |_| {})
        .await
        .unwrap_err();
    match &err {
        Error::Timeout { last_state, .. } => assert!(last_state.contains("no-such-class"), "{err}"),
        other => panic!("{other:?}"),
    }
    let detail = tc
        .cluster
        .status(&ns, "word-counter", true)
        .await
        .unwrap()
        .detail
        .unwrap();
    assert!(
        detail
            .events
            .iter()
            .any(|e| e.reason == "FailedCreate" && e.message.contains("no-such-class")),
        "{:#?}",
        detail.events
    );
}
