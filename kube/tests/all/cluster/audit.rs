//! audit: passes after deploy, fails when someone deletes or widens the NetworkPolicy or
//! weakens the Deployment.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::networking::v1::NetworkPolicy;
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams};
use serde_json::json;
use tentacular_kube::cluster::{ApplyOptions, AuditCheck, AuditReport, CheckStatus};
use tentacular_kube::manifests;

use super::test_cluster::TestCluster;
use super::word_counter;

#[tokio::test]
async fn audit_detects_tampering() {
    let Some(tc) = TestCluster::admin("audit_detects_tampering").await else {
        return;
    };
    let ns = tc.namespace("audit").await;
    tc.ensure_gvisor(&ns).await;
    let input = word_counter(&ns);
    let c = &tc.cluster;
    c.apply(&manifests::build(&input).unwrap(), &ApplyOptions::default())
        .await
        .unwrap();

    let r = c.audit(&input).await.unwrap();
    assert!(r.passed(), "{r:#?}");
    assert_eq!(r.checks.len(), 5);
    assert!(
        r.checks.iter().all(|c| c.status == CheckStatus::Pass),
        "{r:#?}"
    );

    // The contract now needs a key the Secret lacks.
    let mut more = input.clone();
    more.required_secrets.push("example.other".into());
    more.required_secrets.push("slack.webhook".into());
    let r = c.audit(&more).await.unwrap();
    let s = check(&r, "Secret");
    assert_eq!(s.status, CheckStatus::Fail);
    assert_eq!(s.problems.len(), 2, "{s:?}");

    // Someone widens the egress rules.
    let np: Api<NetworkPolicy> = Api::namespaced(c.client().clone(), &ns);
    let mut live = np.get("word-counter-netpol").await.unwrap();
    live.metadata.managed_fields = None;
    live.spec
        .as_mut()
        .unwrap()
        .egress
        .as_mut()
        .unwrap()
        .push(Default::default()); // allow all
    np.patch(
        "word-counter-netpol",
        &PatchParams::apply("someone-else").force(),
        &Patch::Apply(&live),
    )
    .await
    .unwrap();
    let r = c.audit(&input).await.unwrap();
    assert!(!r.passed());
    let n = check(&r, "NetworkPolicy");
    assert_problem(n, "not derived from the contract");

    // Someone deletes it.
    np.delete("word-counter-netpol", &DeleteParams::default())
        .await
        .unwrap();
    let r = c.audit(&input).await.unwrap();
    assert!(!r.passed());
    let n = check(&r, "NetworkPolicy");
    assert_eq!(n.status, CheckStatus::Fail);
    assert!(n.problems[0].contains("missing"), "{n:?}");

    // A redeploy restores it; then someone weakens the Deployment.
    c.apply(&manifests::build(&input).unwrap(), &ApplyOptions::default())
        .await
        .unwrap();
    assert!(c.audit(&input).await.unwrap().passed());
    let d: Api<Deployment> = Api::namespaced(c.client().clone(), &ns);
    let weaken = json!({"spec": {"template": {"spec": {
        "automountServiceAccountToken": true,
        "containers": [{"name": "engine", "securityContext": {"readOnlyRootFilesystem": false}}]
    }}}});
    d.patch(
        "word-counter",
        &PatchParams::default(),
        &Patch::Strategic(&weaken),
    )
    .await
    .unwrap();
    let r = c.audit(&input).await.unwrap();
    let h = r
        .checks
        .iter()
        .find(|c| c.name.contains("hardening"))
        .unwrap();
    assert_eq!(h.status, CheckStatus::Fail);
    assert_problem(h, "readOnlyRootFilesystem");
    assert_problem(h, "automountServiceAccountToken");

    // And a CronJob of a trigger that no longer exists is reported.
    let mut fewer = input.clone();
    fewer.cron_triggers.truncate(1);
    let r = c.audit(&fewer).await.unwrap();
    let cj = check(&r, "CronJobs");
    assert_problem(cj, "word-counter-cron-nightly has no cron trigger");
}

/// The check whose name starts with `prefix`.
fn check<'a>(r: &'a AuditReport, prefix: &str) -> &'a AuditCheck {
    r.checks
        .iter()
        .find(|c| c.name.starts_with(prefix))
        .unwrap_or_else(|| panic!("no check named {prefix}…: {r:?}"))
}

/// Asserts that one of `c`'s problems mentions `needle`.
#[track_caller]
fn assert_problem(c: &AuditCheck, needle: &str) {
    assert!(
        c.problems.iter().any(|p| p.contains(needle)),
        "{needle:?} not in {c:?}"
    );
}
