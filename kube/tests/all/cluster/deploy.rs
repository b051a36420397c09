//! deploy (apply + prune + restart), status, list, undeploy.

use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Secret, Service};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use kube::{Api, Resource};
use serde_json::json;
use tentacular_kube::Error;
use tentacular_kube::cluster::{Action, ApplyOptions, ApplyReport, CheckStatus};
use tentacular_kube::manifests::{self, workload};

use super::test_cluster::{TestCluster, pods_run};
use super::word_counter;

fn actions(r: &ApplyReport) -> Vec<(String, String, Action)> {
    r.objects
        .iter()
        .map(|o| (o.kind.clone(), o.name.clone(), o.action))
        .collect()
}

fn action_of(r: &ApplyReport, kind: &str, name: &str) -> Action {
    r.objects
        .iter()
        .find(|o| o.kind == kind && o.name == name)
        .unwrap_or_else(|| panic!("{kind}/{name} not in {:?}", actions(r)))
        .action
}

async fn labelled<K>(tc: &TestCluster, ns: &str, wf: &str) -> Vec<String>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    let api: Api<K> = Api::namespaced(tc.cluster.client().clone(), ns);
    api.list_metadata(&ListParams::default().labels(&manifests::selector(wf)))
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|o| o.metadata.deletion_timestamp.is_none())
        .filter_map(|o| o.metadata.name)
        .collect()
}

#[tokio::test]
async fn deploy_update_prune_status_list_undeploy() {
    let Some(tc) = TestCluster::admin("deploy_update_prune_status_list_undeploy").await else {
        return;
    };
    let ns = tc.namespace("deploy").await;
    tc.ensure_gvisor(&ns).await;
    let c = &tc.cluster;
    let input = word_counter(&ns);
    let m = manifests::build(&input).unwrap();

    // First deploy: everything created.
    let r = c.apply(&m, &ApplyOptions::default()).await.unwrap();
    assert!(
        r.objects.iter().all(|o| o.action == Action::Created),
        "{:?}",
        actions(&r)
    );
    assert_eq!(r.objects.len(), 7, "{:?}", actions(&r));
    assert!(!r.restarted);

    // Every object exists, labelled, with the hardening fields as generated.
    let client = c.client().clone();
    let d: Deployment = Api::namespaced(client.clone(), &ns)
        .get("word-counter")
        .await
        .unwrap();
    let pod = d.spec.as_ref().unwrap().template.spec.clone().unwrap();
    assert_eq!(pod.runtime_class_name.as_deref(), Some("gvisor"));
    assert_eq!(pod.automount_service_account_token, Some(false));
    let psc = pod.security_context.clone().unwrap();
    assert_eq!(psc.run_as_non_root, Some(true));
    assert_eq!(psc.run_as_user, Some(65534));
    assert_eq!(psc.seccomp_profile.unwrap().type_, "RuntimeDefault");
    let engine = &pod.containers[0];
    let sc = engine.security_context.clone().unwrap();
    assert_eq!(sc.read_only_root_filesystem, Some(true));
    assert_eq!(sc.allow_privilege_escalation, Some(false));
    assert_eq!(sc.capabilities.unwrap().drop.unwrap(), ["ALL"]);
    assert!(
        engine.env.iter().flatten().all(|e| e.value_from.is_none()),
        "no secret env vars"
    );
    let secrets_mount = engine
        .volume_mounts
        .iter()
        .flatten()
        .find(|m| m.mount_path == "/app/secrets")
        .unwrap();
    assert_eq!(secrets_mount.read_only, Some(true));
    assert_eq!(engine.command.as_deref().unwrap(), ["tentacular-engine"]);
    let v1_code = manifests::build(&input)
        .unwrap()
        .code
        .metadata
        .name
        .unwrap();
    assert!(v1_code.starts_with("word-counter-code-"), "{v1_code}");
    let v1_cm: ConfigMap = Api::namespaced(client.clone(), &ns)
        .get(&v1_code)
        .await
        .unwrap();
    assert_eq!(v1_cm.immutable, Some(true));
    assert!(
        v1_cm
            .data
            .as_ref()
            .unwrap()
            .contains_key("nodes__lib__text.ts")
    );
    let s: Secret = Api::namespaced(client.clone(), &ns)
        .get("word-counter-secrets")
        .await
        .unwrap();
    assert_eq!(
        s.metadata.labels.unwrap()["app.kubernetes.io/managed-by"],
        "tentacular"
    );
    let np: NetworkPolicy = Api::namespaced(client.clone(), &ns)
        .get("word-counter-netpol")
        .await
        .unwrap();
    assert_eq!(
        np.spec.unwrap().egress.unwrap().len(),
        2,
        "DNS + api.example.com:443"
    );
    let _svc: Service = Api::namespaced(client.clone(), &ns)
        .get("word-counter")
        .await
        .unwrap();
    let mut crons = labelled::<CronJob>(&tc, &ns, "word-counter").await;
    crons.sort();
    assert_eq!(crons, ["word-counter-cron", "word-counter-cron-nightly"]);

    // Ready, then status and list report it.
    tc.mark_ready_if_needed(&ns, "word-counter").await;
    let mut seen = Vec::new();
    let ready = c
        .wait_ready(&ns, "word-counter", Duration::from_secs(90), |r| {
            seen.push(r.to_string())
        })
        .await
        .unwrap_or_else(|e| panic!("{e}; progress: {seen:?}"));
    assert!(ready.done && !seen.is_empty());
    let st = c.status(&ns, "word-counter", true).await.unwrap();
    assert!(st.ready, "{st:?}");
    assert_eq!(st.version, "1.0");
    let detail = st.detail.unwrap();
    assert_eq!(detail.image, "tentacular-engine:test");
    assert_eq!(detail.runtime_class.as_deref(), Some("gvisor"));
    assert_eq!(detail.limits["memory"], "256Mi");
    assert!(detail.service_endpoint.unwrap().ends_with(":8080"));
    assert_eq!(detail.cron_jobs.len(), 2);
    if pods_run(
        &tc,
        "deploy_update_prune_status_list_undeploy (running pods)",
    ) {
        assert!(
            detail
                .pods
                .iter()
                .any(|p| p.role == "engine" && p.phase == "Running"),
            "{:?}",
            detail.pods
        );
        assert!(!detail.events.is_empty(), "the controllers reported events");
    }
    let here = c.list(Some(&ns)).await.unwrap();
    assert_eq!(here.len(), 1);
    assert_eq!(
        (
            here[0].name.as_str(),
            here[0].version.as_str(),
            here[0].ready
        ),
        ("word-counter", "1.0", true)
    );
    let all = c.list(None).await.unwrap();
    assert!(
        all.iter()
            .any(|w| w.namespace == ns && w.name == "word-counter")
    );

    // Same input again: nothing changes.
    let r = c.apply(&m, &ApplyOptions::default()).await.unwrap();
    assert!(
        r.objects.iter().all(|o| o.action == Action::Unchanged),
        "{:?}",
        actions(&r)
    );
    assert!(!r.changed());

    // New version: a node changed, the named cron trigger removed → updated + pruned.
    let mut v2 = word_counter(&ns);
    v2.version = "1.1".into();
    v2.files.insert(
        "nodes/report.ts".into(),
        "export default async () => ({ v: 2 });\n".into(),
    );
    v2.cron_triggers.retain(|t| t.name.is_none());
    let r = c
        .apply(&manifests::build(&v2).unwrap(), &ApplyOptions::default())
        .await
        .unwrap();
    // New code is a new ConfigMap; v1's stays, untouched, for rollback.
    let v2_code = manifests::build(&v2).unwrap().code.metadata.name.unwrap();
    assert_ne!(v1_code, v2_code);
    assert_eq!(action_of(&r, "ConfigMap", &v2_code), Action::Created);
    assert!(
        r.objects.iter().all(|o| o.name != v1_code),
        "v1 is neither touched nor pruned: {:?}",
        actions(&r)
    );
    assert_eq!(action_of(&r, "Deployment", "word-counter"), Action::Updated);
    let versions = c.versions(&ns, "word-counter").await.unwrap();
    let listed: Vec<(&str, bool)> = versions
        .iter()
        .map(|v| (v.config_map.as_str(), v.current))
        .collect();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed.contains(&(v1_code.as_str(), false)), "{listed:?}");
    assert!(listed.contains(&(v2_code.as_str(), true)), "{listed:?}");
    let (v1_listed, files) = c
        .version_files(
            &ns,
            "word-counter",
            v1_code.trim_start_matches("word-counter-code-"),
        )
        .await
        .unwrap();
    assert_eq!(v1_listed.workflow_version.as_deref(), Some("1.0"));
    assert_eq!(
        files, input.files,
        "v1's files come back as they were deployed"
    );
    assert_eq!(
        Api::<ConfigMap>::namespaced(client.clone(), &ns)
            .get(&v1_code)
            .await
            .unwrap()
            .data,
        v1_cm.data,
        "v1's ConfigMap was never modified"
    );
    assert_eq!(
        action_of(&r, "CronJob", "word-counter-cron-nightly"),
        Action::Pruned
    );
    assert!(!r.restarted, "the code hash rolls the pods by itself");
    assert_eq!(
        labelled::<CronJob>(&tc, &ns, "word-counter").await,
        ["word-counter-cron"]
    );
    let d: Deployment = Api::namespaced(client.clone(), &ns)
        .get("word-counter")
        .await
        .unwrap();
    assert_eq!(
        d.metadata.labels.unwrap()["app.kubernetes.io/version"],
        "1.1"
    );

    // Only a secret changed → rollout restart through the pod template annotation.
    let mut v3 = v2.clone();
    v3.secrets = Some([("example".to_string(), json!({"token": "rotated"}))].into());
    let r = c
        .apply(&manifests::build(&v3).unwrap(), &ApplyOptions::default())
        .await
        .unwrap();
    assert_eq!(
        action_of(&r, "Secret", "word-counter-secrets"),
        Action::Updated
    );
    assert_eq!(
        action_of(&r, "Deployment", "word-counter"),
        Action::Unchanged
    );
    assert!(r.restarted);
    let d: Deployment = Api::namespaced(client.clone(), &ns)
        .get("word-counter")
        .await
        .unwrap();
    let ann = d
        .spec
        .unwrap()
        .template
        .metadata
        .unwrap()
        .annotations
        .unwrap();
    assert!(
        ann.contains_key("kubectl.kubernetes.io/restartedAt"),
        "{ann:?}"
    );
    // The restart annotation belongs to another field manager: the next apply keeps it and
    // changes nothing.
    let r = c
        .apply(&manifests::build(&v3).unwrap(), &ApplyOptions::default())
        .await
        .unwrap();
    assert!(!r.changed(), "{:?}", actions(&r));

    // Without local secrets, the Secret is neither applied nor pruned.
    let mut v4 = v3.clone();
    v4.secrets = None;
    let r = c
        .apply(&manifests::build(&v4).unwrap(), &ApplyOptions::default())
        .await
        .unwrap();
    assert!(
        r.objects.iter().all(|o| o.kind != "Secret"),
        "{:?}",
        actions(&r)
    );
    assert_eq!(
        labelled::<Secret>(&tc, &ns, "word-counter").await,
        ["word-counter-secrets"]
    );

    // Rollback = v1's objects applied again: the Deployment mounts v1's ConfigMap, unchanged.
    let mut back = input.clone();
    back.secrets = None;
    c.apply(&manifests::build(&back).unwrap(), &ApplyOptions::default())
        .await
        .unwrap();
    assert_eq!(
        c.current_code(&ns, "word-counter")
            .await
            .unwrap()
            .as_deref(),
        Some(v1_code.as_str())
    );
    assert_eq!(
        Api::<ConfigMap>::namespaced(client.clone(), &ns)
            .get(&v1_code)
            .await
            .unwrap()
            .data,
        v1_cm.data
    );
    // Keeping one version prunes every code ConfigMap but the running one.
    let r = c
        .apply(
            &manifests::build(&back).unwrap(),
            &ApplyOptions {
                keep_versions: 1,
                ..ApplyOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(action_of(&r, "ConfigMap", &v2_code), Action::Pruned);
    assert_eq!(
        labelled::<ConfigMap>(&tc, &ns, "word-counter").await,
        std::slice::from_ref(&v1_code)
    );

    // A run pod left behind by an interrupted `run --via pod` is a trigger pod with our labels.
    let leftover = workload::run_pod(&workload::RunPodSpec {
        workflow: "word-counter",
        version: "1.1",
        namespace: &ns,
        pod_name: "tntc-run-word-counter-leftover",
        image: "tentacular-engine:test",
        runtime_class: Some("gvisor"),
        body: "{}",
    });
    Api::<Pod>::namespaced(client.clone(), &ns)
        .create(&PostParams::default(), &leftover)
        .await
        .unwrap();

    // Undeploy: nothing with the workflow's labels remains, NetworkPolicy and Secret included.
    let u = c.undeploy(&ns, "word-counter").await.unwrap();
    let kinds: std::collections::BTreeSet<&str> =
        u.deleted.iter().map(|(k, _)| k.as_str()).collect();
    for k in [
        "CronJob",
        "Deployment",
        "Service",
        "NetworkPolicy",
        "ConfigMap",
        "Secret",
        "Pod",
    ] {
        assert!(kinds.contains(k), "{k} not deleted: {:?}", u.deleted);
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let mut left = Vec::new();
        left.extend(labelled::<Deployment>(&tc, &ns, "word-counter").await);
        left.extend(labelled::<ReplicaSet>(&tc, &ns, "word-counter").await);
        left.extend(labelled::<Pod>(&tc, &ns, "word-counter").await);
        left.extend(labelled::<Job>(&tc, &ns, "word-counter").await);
        left.extend(labelled::<CronJob>(&tc, &ns, "word-counter").await);
        left.extend(labelled::<Service>(&tc, &ns, "word-counter").await);
        left.extend(labelled::<NetworkPolicy>(&tc, &ns, "word-counter").await);
        left.extend(labelled::<ConfigMap>(&tc, &ns, "word-counter").await);
        left.extend(labelled::<Secret>(&tc, &ns, "word-counter").await);
        if left.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still present after undeploy: {left:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(c.list(Some(&ns)).await.unwrap().is_empty());
    assert!(matches!(
        c.status(&ns, "word-counter", false).await,
        Err(Error::WorkflowNotFound { .. })
    ));
    let again = c.undeploy(&ns, "word-counter").await.unwrap();
    assert!(again.deleted.is_empty(), "{:?}", again.deleted);
}

#[tokio::test]
async fn generated_pods_pass_pod_security_restricted() {
    let Some(tc) = TestCluster::admin("generated_pods_pass_pod_security_restricted").await else {
        return;
    };
    let ns = tc.namespace("psa").await;
    tc.ensure_gvisor(&ns).await;
    let api: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(tc.cluster.client().clone());
    let label =
        json!({"metadata": {"labels": {"pod-security.kubernetes.io/enforce": "restricted"}}});
    api.patch(
        &ns,
        &PatchParams::default(),
        &kube::api::Patch::Merge(&label),
    )
    .await
    .unwrap();
    let m = manifests::build(&word_counter(&ns)).unwrap();
    // Create (dry run) a Pod from each generated template: PodSecurity admission judges it.
    let pods: Api<Pod> = Api::namespaced(tc.cluster.client().clone(), &ns);
    let dry = PostParams {
        dry_run: true,
        ..PostParams::default()
    };
    let mut specs = vec![m.deployment.spec.clone().unwrap().template];
    for cj in &m.cron_jobs {
        specs.push(cj.spec.clone().unwrap().job_template.spec.unwrap().template);
    }
    for (i, t) in specs.into_iter().enumerate() {
        let pod = Pod {
            metadata: kube::api::ObjectMeta {
                name: Some(format!("psa-{i}")),
                labels: t.metadata.and_then(|m| m.labels),
                ..Default::default()
            },
            spec: t.spec,
            status: None,
        };
        pods.create(&dry, &pod)
            .await
            .unwrap_or_else(|e| panic!("template {i} rejected: {e}"));
    }
    let run = workload::run_pod(&workload::RunPodSpec {
        workflow: "word-counter",
        version: "1.0",
        namespace: &ns,
        pod_name: "psa-run",
        image: "tentacular-engine:test",
        runtime_class: Some("gvisor"),
        body: "{}",
    });
    pods.create(&dry, &run).await.expect("run pod admitted");
    // And a deliberately weaker pod is rejected, so the check above means something.
    let mut weak = run.clone();
    weak.metadata.name = Some("psa-weak".into());
    weak.spec.as_mut().unwrap().containers[0]
        .security_context
        .as_mut()
        .unwrap()
        .allow_privilege_escalation = Some(true);
    assert!(pods.create(&dry, &weak).await.is_err());
}

#[tokio::test]
async fn missing_namespace_is_actionable() {
    let Some(tc) = TestCluster::admin("missing_namespace_is_actionable").await else {
        return;
    };
    let m = manifests::build(&word_counter("tntc-it-does-not-exist")).unwrap();
    let err = tc
        .cluster
        .apply(&m, &ApplyOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NamespaceNotFound { .. }), "{err:?}");
    assert!(
        err.to_string().contains("tntc cluster check --fix"),
        "{err}"
    );
}

#[tokio::test]
async fn server_dry_run_persists_nothing() {
    let Some(tc) = TestCluster::admin("server_dry_run_persists_nothing").await else {
        return;
    };
    let ns = tc.namespace("dryrun").await;
    let m = manifests::build(&word_counter(&ns)).unwrap();
    let opts = ApplyOptions {
        server_dry_run: true,
        ..ApplyOptions::default()
    };
    let r = tc.cluster.apply(&m, &opts).await.unwrap();
    assert!(
        r.dry_run && r.objects.iter().all(|o| o.action == Action::Created),
        "{:?}",
        actions(&r)
    );
    assert!(
        labelled::<ConfigMap>(&tc, &ns, "word-counter")
            .await
            .is_empty()
    );
    assert!(tc.cluster.list(Some(&ns)).await.unwrap().is_empty());
}

#[tokio::test]
async fn forbidden_names_the_missing_permission() {
    let Some((tc, ns)) = TestCluster::restricted("forbidden_names_the_missing_permission").await
    else {
        return;
    };
    let m = manifests::build(&word_counter(&ns)).unwrap();
    let err = tc
        .cluster
        .apply(&m, &ApplyOptions::default())
        .await
        .unwrap_err();
    match &err {
        Error::Forbidden {
            permission,
            namespace,
            ..
        } => {
            assert_eq!(permission, "get configmaps");
            assert_eq!(namespace.as_deref(), Some(ns.as_str()));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("may not get configmaps"), "{err}");
    // What it may do works: list deployments in its namespace.
    assert!(tc.cluster.list(Some(&ns)).await.unwrap().is_empty());
}

#[tokio::test]
async fn unreachable_server_is_actionable() {
    let Some(tc) = TestCluster::admin("unreachable_server_is_actionable").await else {
        return;
    };
    // Same credentials, a port nothing listens on.
    let text = std::fs::read_to_string(&tc.kubeconfig).unwrap();
    let port = tc
        .cluster
        .server()
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dead.kubeconfig");
    std::fs::write(
        &path,
        text.replace(&format!("127.0.0.1:{port}"), &format!("127.0.0.1:{dead}")),
    )
    .unwrap();
    let c = tentacular_kube::cluster::Cluster::connect(&tentacular_kube::cluster::Target {
        kubeconfig: Some(path),
        context: None,
    })
    .await
    .unwrap();
    let err = c.list(Some("default")).await.unwrap_err();
    assert!(matches!(err, Error::Unreachable { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("cannot reach the Kubernetes API server"),
        "{err}"
    );
}

#[tokio::test]
async fn autoscale_makes_an_hpa_and_a_pdb_that_the_api_server_admits() {
    let Some(tc) =
        TestCluster::admin("autoscale_makes_an_hpa_and_a_pdb_that_the_api_server_admits").await
    else {
        return;
    };
    let ns = tc.namespace("scale").await;
    tc.ensure_gvisor(&ns).await;
    let c = &tc.cluster;
    let mut input = word_counter(&ns);
    input.autoscale = Some(tentacular_spec::Autoscale {
        min: 2,
        max: 5,
        cpu: 70,
    });
    let r = c
        .apply(&manifests::build(&input).unwrap(), &ApplyOptions::default())
        .await
        .unwrap();
    assert_eq!(
        action_of(&r, "HorizontalPodAutoscaler", "word-counter"),
        Action::Created
    );
    assert_eq!(
        action_of(&r, "PodDisruptionBudget", "word-counter"),
        Action::Created
    );
    let client = tc.cluster.client().clone();
    let d: Deployment = Api::namespaced(client.clone(), &ns)
        .get("word-counter")
        .await
        .unwrap();
    let replicas = d.spec.unwrap().replicas;
    assert!(
        matches!(replicas, Some(1..=5)),
        "the server defaults what the apply leaves out, the HPA owns it then: {replicas:?}"
    );
    // `status` reports the autoscaler: its bounds and target before any metric arrives, then
    // what it reports (testenv runs no HPA controller: its status is written here, as the
    // controller would).
    let st = c.status(&ns, "word-counter", false).await.unwrap();
    let a = st
        .autoscale
        .expect("status of an autoscaled workflow shows its HPA");
    assert_eq!((a.min, a.max, a.cpu_target_percent), (2, 5, Some(70)));
    assert_eq!(a.cpu_current_percent, None);
    let hpa: Api<HorizontalPodAutoscaler> = Api::namespaced(client.clone(), &ns);
    let reported = json!({"status": {
        "currentReplicas": 3, "desiredReplicas": 4,
        "currentMetrics": [{"type": "Resource", "resource": {
            "name": "cpu", "current": {"averageUtilization": 91, "averageValue": "455m"}}}]
    }});
    hpa.patch_status(
        "word-counter",
        &PatchParams::default(),
        &Patch::Merge(&reported),
    )
    .await
    .expect("patch HPA status");
    let a = c
        .status(&ns, "word-counter", false)
        .await
        .unwrap()
        .autoscale
        .unwrap();
    assert_eq!(
        a.to_string(),
        "3 current, 4 desired (min 2, max 5); CPU 91% of 70% target"
    );
    // Back to a fixed single pod: both scaling objects are pruned.
    input.autoscale = None;
    let r = c
        .apply(&manifests::build(&input).unwrap(), &ApplyOptions::default())
        .await
        .unwrap();
    assert_eq!(
        action_of(&r, "HorizontalPodAutoscaler", "word-counter"),
        Action::Pruned
    );
    assert_eq!(
        action_of(&r, "PodDisruptionBudget", "word-counter"),
        Action::Pruned
    );
    let st = c.status(&ns, "word-counter", false).await.unwrap();
    assert_eq!(
        st.autoscale, None,
        "a fixed-size workflow has no autoscaler to show"
    );
    input.replicas = Some(2);
    c.apply(&manifests::build(&input).unwrap(), &ApplyOptions::default())
        .await
        .unwrap();
    let u = c.undeploy(&ns, "word-counter").await.unwrap();
    assert!(
        u.deleted.iter().any(|(k, _)| k == "PodDisruptionBudget"),
        "{:?}",
        u.deleted
    );
}

#[tokio::test]
async fn a_service_account_with_rules_is_applied_pruned_and_undeployed_with_the_workflow() {
    let test = "a_service_account_with_rules_is_applied_pruned_and_undeployed_with_the_workflow";
    let Some(tc) = TestCluster::admin(test).await else {
        return;
    };
    let ns = tc.namespace("identity").await;
    tc.ensure_gvisor(&ns).await;
    let c = &tc.cluster;
    let mut input = word_counter(&ns);
    input.service_account = Some("word-counter".into());
    input.create_service_account = true;
    let rule = |cluster_role| tentacular_spec::Rbac {
        rules: vec![tentacular_spec::PolicyRule {
            api_groups: vec![String::new()],
            resources: vec!["pods".into()],
            verbs: vec!["get".into(), "list".into()],
            resource_names: Vec::new(),
        }],
        cluster_role,
    };
    input.rbac = Some(rule(false));
    let r = c
        .apply(&manifests::build(&input).unwrap(), &ApplyOptions::default())
        .await
        .unwrap();
    for kind in ["ServiceAccount", "Role", "RoleBinding"] {
        assert_eq!(
            action_of(&r, kind, "word-counter"),
            Action::Created,
            "{kind}"
        );
    }
    let client = tc.cluster.client().clone();
    let d: Deployment = Api::namespaced(client.clone(), &ns)
        .get("word-counter")
        .await
        .unwrap();
    let pod = d.spec.unwrap().template.spec.unwrap();
    assert_eq!(pod.service_account_name.as_deref(), Some("word-counter"));
    assert_eq!(pod.automount_service_account_token, Some(true));

    // audit: exactly the declared grants pass; a rule added by hand to the live Role fails.
    assert!(c.audit(&input).await.unwrap().passed());
    Api::<k8s_openapi::api::rbac::v1::Role>::namespaced(client.clone(), &ns)
        .patch(
            "word-counter",
            &PatchParams::default(),
            &Patch::Merge(json!({"rules": [
                {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]},
                {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]},
            ]})),
        )
        .await
        .unwrap();
    let audit = c.audit(&input).await.unwrap();
    let access = audit.checks.last().unwrap();
    assert_eq!(access.status, CheckStatus::Fail, "{audit:#?}");
    assert!(
        access
            .problems
            .iter()
            .any(|p| p.starts_with("Role word-counter rule not derived") && p.contains("secrets")),
        "{access:#?}"
    );

    // The same rules cluster-wide: the Role and its binding are pruned, the cluster-scoped
    // pair is created under a name that carries the namespace.
    input.rbac = Some(rule(true));
    let r = c
        .apply(&manifests::build(&input).unwrap(), &ApplyOptions::default())
        .await
        .unwrap();
    let cluster_name = format!("tentacular:{ns}:word-counter");
    assert_eq!(action_of(&r, "Role", "word-counter"), Action::Pruned);
    assert_eq!(action_of(&r, "RoleBinding", "word-counter"), Action::Pruned);
    assert_eq!(action_of(&r, "ClusterRole", &cluster_name), Action::Created);
    assert_eq!(
        action_of(&r, "ClusterRoleBinding", &cluster_name),
        Action::Created
    );
    let u = c.undeploy(&ns, "word-counter").await.unwrap();
    for (kind, name) in [
        ("ServiceAccount", "word-counter"),
        ("ClusterRole", cluster_name.as_str()),
        ("ClusterRoleBinding", cluster_name.as_str()),
    ] {
        assert!(
            u.deleted.iter().any(|(k, n)| k == kind && n == name),
            "{kind}/{name} not deleted: {:?}",
            u.deleted
        );
    }
}
