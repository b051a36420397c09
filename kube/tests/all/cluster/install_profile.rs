//! cluster install (RuntimeClass, namespace, deployer RBAC) and cluster profile.

use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::node::v1::RuntimeClass;
use kube::Api;
use kube::api::PostParams;
use serde_json::json;
use tentacular_kube::cluster::{
    Action, ApplyOptions, CheckOptions, Cluster, InstallOptions, RunOptions, Target,
};
use tentacular_kube::manifests;

use super::test_cluster::{TestCluster, pods_run};
use super::word_counter;

/// A kubeconfig for `system:serviceaccount:<ns>:<sa>` (a bound token from the TokenRequest API).
async fn service_account_kubeconfig(
    tc: &TestCluster,
    ns: &str,
    sa: &str,
    dir: &std::path::Path,
) -> std::path::PathBuf {
    let api: Api<ServiceAccount> = Api::namespaced(tc.cluster.client().clone(), ns);
    let req = json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                     "spec": {"audiences": ["https://kubernetes.default.svc"], "expirationSeconds": 600}});
    let tr: serde_json::Value = api
        .create_subresource("token", sa, &PostParams::default(), &req)
        .await
        .unwrap();
    let token = tr["status"]["token"].as_str().unwrap().to_string();
    let text = std::fs::read_to_string(&tc.kubeconfig).unwrap();
    let mut kc: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    kc["users"] = json!([{"name": "sa", "user": {"token": token}}]);
    let ctx = kc["contexts"][0]["name"].clone();
    kc["contexts"][0]["context"]["user"] = json!("sa");
    kc["current-context"] = ctx;
    let path = dir.join("sa.kubeconfig");
    std::fs::write(&path, serde_json::to_string(&kc).unwrap()).unwrap(); // JSON is YAML
    path
}

#[tokio::test]
async fn install_gives_a_deployer_exactly_what_it_needs() {
    let Some(tc) = TestCluster::admin("install_gives_a_deployer_exactly_what_it_needs").await
    else {
        return;
    };
    let ns = format!("{}-inst", tc.namespace("install").await);
    let mut opts = InstallOptions::new(&ns);
    opts.deployer_service_account = Some("ci-deployer".into());
    let r = tc.cluster.install(&opts).await.unwrap();
    assert_eq!(
        r.applied,
        [
            "RuntimeClass/gvisor".to_string(),
            format!("Namespace/{ns}"),
            "ServiceAccount/ci-deployer".into(),
            "Role/tentacular-deployer".into(),
            "Role/tentacular-deployer-api-server (namespace default)".into(),
            "RoleBinding/tentacular-deployer-ci-deployer".into(),
            format!(
                "RoleBinding/tentacular-deployer-api-server-{ns}-ci-deployer (namespace default)"
            ),
        ]
    );
    let rc: RuntimeClass = Api::all(tc.cluster.client().clone())
        .get("gvisor")
        .await
        .unwrap();
    assert_eq!(rc.handler, "runsc");
    // Idempotent.
    tc.cluster.install(&opts).await.unwrap();

    // As the service account: check passes (namespace/runtime class reads are cluster-scoped
    // and only warn), deploy, status, run's RBAC, undeploy all work.
    let dir = tempfile::tempdir().unwrap();
    let path = service_account_kubeconfig(&tc, &ns, "ci-deployer", dir.path()).await;
    let sa = Cluster::connect(&Target {
        kubeconfig: Some(path),
        context: None,
    })
    .await
    .unwrap();
    let report = sa.check(&CheckOptions::new(&ns)).await.unwrap();
    assert!(report.passed(), "{report:#?}");
    let rbac = report
        .checks
        .iter()
        .find(|c| c.name == "RBAC permissions")
        .unwrap();
    assert!(rbac.missing.is_empty(), "{rbac:?}");
    // The second Role lets it read where the API server is (a `kubernetes` dependency).
    assert!(!sa.api_server_egress().await.unwrap().is_empty());
    let input = word_counter(&ns);
    let a = sa
        .apply(&manifests::build(&input).unwrap(), &ApplyOptions::default())
        .await
        .unwrap();
    assert!(a.objects.iter().all(|o| o.action == Action::Created));
    sa.status(&ns, "word-counter", true).await.unwrap();
    // The proxy request is authorized (no Forbidden), whatever the proxy then answers.
    let run = sa.run(&ns, "word-counter", &RunOptions::default()).await;
    assert!(
        !matches!(run, Err(tentacular_kube::Error::Forbidden { .. })),
        "{run:?}"
    );
    assert!(sa.audit(&input).await.unwrap().passed());
    assert!(
        !sa.undeploy(&ns, "word-counter")
            .await
            .unwrap()
            .deleted
            .is_empty()
    );
}

#[tokio::test]
async fn profile_reports_the_cluster() {
    let Some(tc) = TestCluster::admin("profile_reports_the_cluster").await else {
        return;
    };
    let ns = tc.namespace("profile").await;
    tc.ensure_gvisor(&ns).await;
    let p = tc.cluster.profile(&ns).await.unwrap();
    assert!(p.k8s_version.starts_with("v1.34"), "{p:?}");
    assert_eq!(p.distribution, "vanilla");
    assert!(p.gvisor);
    assert!(
        p.runtime_classes
            .iter()
            .any(|r| r.name == "gvisor" && r.handler == "runsc")
    );
    assert_eq!(p.namespace.exists, Some(true));
    assert!(p.unknown.is_empty(), "{:?}", p.unknown);
    if pods_run(&tc, "profile_reports_the_cluster (a Ready node)") {
        assert!(
            p.nodes.iter().any(|n| n.name == "kwok-node-0" && n.ready),
            "{:?}",
            p.nodes
        );
    }
    let md = p.to_markdown();
    assert!(
        md.contains("# Cluster profile") && md.contains("gVisor RuntimeClass: yes"),
        "{md}"
    );
    assert!(serde_json::to_value(&p).unwrap()["k8sVersion"].is_string());

    // A user who may read almost nothing still gets a profile, with the gaps listed.
    if let Some((r, rns)) =
        TestCluster::restricted("profile_reports_the_cluster (restricted)").await
    {
        let p = r.cluster.profile(&rns).await.unwrap();
        assert!(
            p.unknown.iter().any(|u| u.starts_with("nodes:")),
            "{:?}",
            p.unknown
        );
        assert!(
            p.unknown.iter().any(|u| u.contains("list nodes")),
            "{:?}",
            p.unknown
        );
    }
}
