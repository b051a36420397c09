//! A `kubernetes` dependency's egress against the real API server: deploy reads where the API
//! server is (its `kubernetes` Service and EndpointSlice, which the API server itself keeps)
//! and the NetworkPolicy lets the engine pods reach exactly those addresses; audit compares
//! against the same; a deployer without the read is told which Role to bind. `cluster check`
//! of what a workflow's `deployment.rbac` grants, as admin and as a restricted user.

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::NetworkPolicy;
use kube::Api;
use kube::api::{Patch, PatchParams};
use tentacular_kube::cluster::{ApplyOptions, CheckOptions, CheckStatus};
use tentacular_kube::manifests::{self, netpol_name};
use tentacular_spec::{PolicyRule, Rbac};

use super::test_cluster::TestCluster;
use super::word_counter;

/// `ip/32` (or `/128`) with its port, for every ipBlock rule of a NetworkPolicy's egress.
fn ip_rules(np: &NetworkPolicy) -> Vec<(String, i32)> {
    let mut out = Vec::new();
    for rule in np.spec.as_ref().unwrap().egress.iter().flatten() {
        for peer in rule.to.iter().flatten() {
            let Some(block) = &peer.ip_block else {
                continue;
            };
            for p in rule.ports.iter().flatten() {
                if let Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(n)) =
                    p.port
                {
                    out.push((block.cidr.clone(), n));
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn deploy_lets_a_kubernetes_dependency_reach_the_api_server_and_nothing_else() {
    let test = "deploy_lets_a_kubernetes_dependency_reach_the_api_server_and_nothing_else";
    let Some(tc) = TestCluster::admin(test).await else {
        return;
    };
    let ns = tc.namespace("apiserver").await;
    tc.ensure_gvisor(&ns).await;
    let client = tc.cluster.client().clone();
    let svc: Service = Api::namespaced(client.clone(), "default")
        .get("kubernetes")
        .await
        .unwrap();
    let cluster_ip = svc.spec.unwrap().cluster_ip.unwrap();
    let slice: EndpointSlice = Api::namespaced(client.clone(), "default")
        .get("kubernetes")
        .await
        .unwrap();
    let endpoint = slice.endpoints[0].addresses[0].clone();
    let endpoint_port = slice.ports.unwrap()[0].port.unwrap();

    let mut input = word_counter(&ns);
    input.needs_api_server = true;
    let offline = manifests::build(&input).unwrap();
    assert!(
        offline
            .warnings
            .iter()
            .any(|w| w.contains("no egress to the API server")),
        "{:?}",
        offline.warnings
    );

    tc.cluster.complete_input(&mut input).await.unwrap();
    tc.cluster
        .apply(&manifests::build(&input).unwrap(), &ApplyOptions::default())
        .await
        .unwrap();
    let live: NetworkPolicy = Api::namespaced(client.clone(), &ns)
        .get(&netpol_name("word-counter"))
        .await
        .unwrap();
    let rules = ip_rules(&live);
    assert!(
        rules.contains(&(format!("{cluster_ip}/32"), 443)),
        "the Service's address: {rules:?}"
    );
    assert!(
        rules.contains(&(format!("{endpoint}/32"), endpoint_port)),
        "the API server's own address: {rules:?}"
    );
    // Besides them, only the external host's "public addresses" rule (0.0.0.0/0, ::/0).
    assert!(
        rules
            .iter()
            .all(|(cidr, _)| cidr.ends_with("/32") || cidr.ends_with("/0")),
        "{rules:?}"
    );

    // audit reads the same addresses: the deployed policy matches; without them it differs.
    let mut fresh = word_counter(&ns);
    fresh.needs_api_server = true;
    assert!(tc.cluster.audit(&fresh).await.unwrap().passed());
    let mut egress = live.spec.clone().unwrap().egress.unwrap();
    egress.retain(|r| {
        !r.to
            .iter()
            .flatten()
            .any(|p| p.ip_block.as_ref().is_some_and(|b| b.cidr.ends_with("/32")))
    });
    // A merge patch replaces the whole list.
    Api::<NetworkPolicy>::namespaced(client.clone(), &ns)
        .patch(
            &netpol_name("word-counter"),
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"spec": {"egress": egress}})),
        )
        .await
        .unwrap();
    let report = tc.cluster.audit(&fresh).await.unwrap();
    assert!(!report.passed(), "{report:#?}");
    let np = &report.checks[0];
    assert!(
        np.problems
            .iter()
            .any(|p| p.contains("egress rule missing") && p.contains(&cluster_ip)),
        "{np:#?}"
    );
}

fn pods_rule(cluster_role: bool, resources: &[&str]) -> Rbac {
    Rbac {
        rules: vec![PolicyRule {
            api_groups: vec!["apps".into()],
            resources: resources.iter().map(|r| r.to_string()).collect(),
            verbs: vec!["get".into(), "list".into()],
            resource_names: Vec::new(),
        }],
        cluster_role,
    }
}

#[tokio::test]
async fn check_names_the_grants_a_deployer_cannot_give_and_the_reads_it_cannot_make() {
    let test = "check_names_the_grants_a_deployer_cannot_give_and_the_reads_it_cannot_make";
    let Some(admin) = TestCluster::admin(test).await else {
        return;
    };
    let ns = admin.namespace("grants").await;
    admin.ensure_gvisor(&ns).await;
    let mut opts = CheckOptions::new(&ns);
    opts.rbac = Some(pods_rule(true, &["deployments", "replicasets"]));
    opts.needs_api_server = true;
    let r = admin.cluster.check(&opts).await.unwrap();
    assert!(r.passed(), "{r:#?}");
    let names: Vec<&str> = r.checks.iter().map(|c| c.name.as_str()).collect();
    assert!(names.contains(&"Workflow RBAC (ClusterRole)"), "{names:?}");
    assert!(names.contains(&"API server addresses"), "{names:?}");

    let Some((restricted, rns)) = TestCluster::restricted(test).await else {
        return;
    };
    // It holds get/list deployments in its namespace: it may grant exactly that.
    let mut opts = CheckOptions::new(&rns);
    opts.rbac = Some(pods_rule(false, &["deployments"]));
    let r = restricted.cluster.check(&opts).await.unwrap();
    let grants = r
        .checks
        .iter()
        .find(|c| c.name == "Workflow RBAC (Role)")
        .unwrap();
    assert_eq!(grants.status, CheckStatus::Pass, "{grants:?}");

    // Not replicasets, not cluster-wide, and not the API server's addresses.
    opts.rbac = Some(pods_rule(true, &["deployments", "replicasets"]));
    opts.needs_api_server = true;
    let r = restricted.cluster.check(&opts).await.unwrap();
    let grants = r
        .checks
        .iter()
        .find(|c| c.name == "Workflow RBAC (ClusterRole)")
        .unwrap();
    assert_eq!(grants.status, CheckStatus::Fail, "{grants:?}");
    for want in [
        "get deployments.apps (cluster-wide)",
        "list replicasets.apps (cluster-wide)",
        "create clusterroles.rbac.authorization.k8s.io (cluster-wide)",
        "delete clusterrolebindings.rbac.authorization.k8s.io (cluster-wide)",
    ] {
        assert!(
            grants.missing.iter().any(|m| m == want),
            "{want} not in {:#?}",
            grants.missing
        );
    }
    let api = r
        .checks
        .iter()
        .find(|c| c.name == "API server addresses")
        .unwrap();
    assert_eq!(api.status, CheckStatus::Fail, "{api:?}");
    assert_eq!(
        api.missing,
        [
            "get services named \"kubernetes\" in namespace default",
            "get endpointslices.discovery.k8s.io named \"kubernetes\" in namespace default",
        ]
    );
    assert!(
        api.remediation
            .as_deref()
            .unwrap()
            .contains("tentacular-deployer-api-server")
    );
    let err = restricted.cluster.api_server_egress().await.unwrap_err();
    assert!(
        matches!(err, tentacular_kube::Error::ApiServerAddresses { .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("get services in namespace \"default\"")
            && text.contains("tentacular-deployer-api-server"),
        "{text}"
    );
}
