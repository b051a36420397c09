//! cluster check: as admin it passes; as the restricted user it names every missing verb.

use tentacular_kube::cluster::{CheckOptions, CheckStatus, required_permissions};

use super::test_cluster::TestCluster;

#[tokio::test]
async fn admin_passes_and_fix_creates_the_namespace() {
    let Some(tc) = TestCluster::admin("admin_passes_and_fix_creates_the_namespace").await else {
        return;
    };
    let ns = tc.namespace("check").await;
    tc.ensure_gvisor(&ns).await;
    let report = tc.cluster.check(&CheckOptions::new(&ns)).await.unwrap();
    assert!(report.passed(), "{report:#?}");
    let names: Vec<_> = report.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names[0], "Kubernetes API reachable");
    assert!(
        report.checks[0].message.starts_with("v1.34"),
        "{:?}",
        report.checks[0]
    );
    assert!(
        report.checks.iter().all(|c| c.status == CheckStatus::Pass),
        "{report:#?}"
    );
    let rbac = report
        .checks
        .iter()
        .find(|c| c.name == "RBAC permissions")
        .unwrap();
    assert!(
        rbac.message
            .contains(&format!("all {} permissions", required_permissions().len()))
    );

    // A missing namespace fails, --fix creates it.
    let fresh = format!("{ns}-fix");
    let r = tc.cluster.check(&CheckOptions::new(&fresh)).await.unwrap();
    let nsc = r
        .checks
        .iter()
        .find(|c| c.name.starts_with("Namespace"))
        .unwrap();
    assert_eq!(nsc.status, CheckStatus::Fail);
    assert!(nsc.remediation.as_deref().unwrap().contains("--fix"));
    assert!(!r.passed());
    let mut fix = CheckOptions::new(&fresh);
    fix.fix = true;
    let r = tc.cluster.check(&fix).await.unwrap();
    assert!(r.passed(), "{r:#?}");
    assert!(r.checks.iter().any(|c| c.message == "created (--fix)"));

    // An expected secret that is missing fails.
    let mut with_secret = CheckOptions::new(&ns);
    with_secret.secret_names = vec!["nope-secrets".into()];
    let r = tc.cluster.check(&with_secret).await.unwrap();
    assert!(!r.passed());
    assert!(
        r.checks
            .iter()
            .any(|c| c.name == "Secret \"nope-secrets\"" && c.status == CheckStatus::Fail)
    );
}

#[tokio::test]
async fn restricted_user_is_told_every_missing_verb() {
    let Some((tc, ns)) =
        TestCluster::restricted("restricted_user_is_told_every_missing_verb").await
    else {
        return;
    };
    let report = tc.cluster.check(&CheckOptions::new(&ns)).await.unwrap();
    assert!(!report.passed());
    let rbac = report
        .checks
        .iter()
        .find(|c| c.name == "RBAC permissions")
        .unwrap();
    assert_eq!(rbac.status, CheckStatus::Fail);
    let missing = &rbac.missing;
    // It may get and list deployments, nothing else.
    assert_eq!(
        missing.len(),
        required_permissions().len() - 2,
        "{missing:#?}"
    );
    assert!(
        !missing
            .iter()
            .any(|m| m.starts_with("get deployments.apps "))
    );
    assert!(
        !missing
            .iter()
            .any(|m| m.starts_with("list deployments.apps "))
    );
    for want in [
        "create deployments.apps (needed by deploy)",
        "patch deployments.apps (needed by deploy)",
        "create networkpolicies.networking.k8s.io (needed by deploy)",
        "delete networkpolicies.networking.k8s.io (needed by deploy, undeploy)",
        "create cronjobs.batch (needed by deploy)",
        "create services/proxy (needed by run)",
        "get pods/log (needed by logs, run --via pod)",
        "create secrets (needed by deploy)",
        "delete jobs.batch (needed by undeploy)",
    ] {
        assert!(
            missing.iter().any(|m| m == want),
            "{want} not in {missing:#?}"
        );
    }
    assert!(
        rbac.remediation
            .as_deref()
            .unwrap()
            .contains("tentacular-deployer")
    );
    // It may not read namespaces or runtime classes: those checks say so instead of failing.
    let nsc = report
        .checks
        .iter()
        .find(|c| c.name.starts_with("Namespace"))
        .unwrap();
    assert_eq!(nsc.status, CheckStatus::Warn, "{nsc:?}");

    // In any other namespace, everything is missing.
    let other = tc
        .cluster
        .check(&CheckOptions::new("default"))
        .await
        .unwrap();
    let rbac = other
        .checks
        .iter()
        .find(|c| c.name == "RBAC permissions")
        .unwrap();
    assert_eq!(rbac.missing.len(), required_permissions().len());
}
