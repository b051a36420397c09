//! A `kubernetes` dependency against the real API server of `testenv/`: a node reads pods as
//! the workflow's service account (a real ServiceAccount, Role and TokenRequest), the token
//! never reaches the node, RBAC is the service account's (not the admin's), and the mounted
//! CA is trusted for that dependency only; and, through the `tntc` binary, the deploy of
//! `example-workflows/cluster-health-collector`: `cluster check --workflow` covers its
//! ClusterRole and the read of the API server's addresses, and its NetworkPolicy lets the
//! engine reach the API server's Service and endpoint addresses.

use std::path::Path;
use std::sync::Arc;

use k8s_openapi::api::authentication::v1::TokenRequest;
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use kube::api::{ObjectMeta, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};
use serde_json::json;
use tentacular_engine::executor::{Bindings, Runner};
use tentacular_engine::secrets::SecretsSource;
use tentacular_sandbox::fetch::net::NetTransport;
use tentacular_sandbox::{Sandbox, SandboxConfig};
use tentacular_spec::Workflow;

use crate::support::{
    admin_kubeconfig, install_namespace, tempdir, tntc_env, unique_namespace, write,
};

const NODE: &str = r#"
export default async function run(ctx) {
  const ns = ctx.config.ns;
  const own = await ctx.dependency("cluster").fetch(`/api/v1/namespaces/${ns}/pods`);
  const other = await ctx.dependency("cluster").fetch("/api/v1/namespaces/kube-system/pods");
  let publicRoots = "connected";
  try {
    await ctx.dependency("same-server-public-roots").fetch("/version");
  } catch (e) {
    publicRoots = `${e.name}: ${e.message}`;
  }
  return {
    own: own.status,
    kind: (await own.json()).kind,
    other: other.status,
    publicRoots,
    sawAuth: JSON.stringify(ctx).includes("Bearer"),
    ctx: JSON.stringify(ctx),
  };
}
"#;

async fn admin(kubeconfig: &Path) -> (Client, String, Vec<u8>) {
    let kc = Kubeconfig::read_from(kubeconfig).unwrap();
    let cluster = kc.clusters[0].cluster.clone().unwrap();
    let server = cluster.server.clone().unwrap();
    let ca = cluster.certificate_authority_data.clone().unwrap();
    use base64::Engine as _;
    let ca = base64::engine::general_purpose::STANDARD
        .decode(ca)
        .unwrap();
    let config = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .unwrap();
    (Client::try_from(config).unwrap(), server, ca)
}

/// A ServiceAccount `reader` in `ns` that may list pods there, and a token for it.
async fn service_account_token(client: &Client, ns: &str) -> String {
    let pp = PostParams::default();
    let meta = |name: &str| ObjectMeta {
        name: Some(name.into()),
        namespace: Some(ns.into()),
        ..ObjectMeta::default()
    };
    Api::<Namespace>::all(client.clone())
        .create(
            &pp,
            &Namespace {
                metadata: ObjectMeta {
                    name: Some(ns.into()),
                    ..ObjectMeta::default()
                },
                ..Namespace::default()
            },
        )
        .await
        .unwrap();
    let sas: Api<ServiceAccount> = Api::namespaced(client.clone(), ns);
    sas.create(
        &pp,
        &ServiceAccount {
            metadata: meta("reader"),
            ..ServiceAccount::default()
        },
    )
    .await
    .unwrap();
    Api::<Role>::namespaced(client.clone(), ns)
        .create(
            &pp,
            &Role {
                metadata: meta("reader"),
                rules: Some(vec![PolicyRule {
                    api_groups: Some(vec![String::new()]),
                    resources: Some(vec!["pods".into()]),
                    verbs: vec!["list".into()],
                    ..PolicyRule::default()
                }]),
            },
        )
        .await
        .unwrap();
    Api::<RoleBinding>::namespaced(client.clone(), ns)
        .create(
            &pp,
            &RoleBinding {
                metadata: meta("reader"),
                role_ref: RoleRef {
                    api_group: "rbac.authorization.k8s.io".into(),
                    kind: "Role".into(),
                    name: "reader".into(),
                },
                subjects: Some(vec![Subject {
                    kind: "ServiceAccount".into(),
                    name: "reader".into(),
                    namespace: Some(ns.into()),
                    api_group: None,
                }]),
            },
        )
        .await
        .unwrap();
    let token = sas
        .create_token_request("reader", &pp, &TokenRequest::default())
        .await
        .unwrap();
    token.status.unwrap().token
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kubernetes_dependency_reads_the_cluster_as_the_service_account_and_never_sees_its_token()
{
    let test =
        "a_kubernetes_dependency_reads_the_cluster_as_the_service_account_and_never_sees_its_token";
    let Some(kubeconfig) = admin_kubeconfig(test) else {
        return;
    };
    let (client, server, ca) = admin(&kubeconfig).await;
    let ns = unique_namespace("identity");
    let token = service_account_token(&client, &ns).await;
    let url = url::Url::parse(&server).unwrap();
    let (host, port) = (url.host_str().unwrap().to_string(), url.port().unwrap());

    let sa_dir = tempdir();
    write(&sa_dir.path().join("token"), &token);
    std::fs::write(sa_dir.path().join("ca.crt"), &ca).unwrap();
    let wf = tempdir();
    write(
        &wf.path().join("workflow.yaml"),
        &format!(
            r#"name: reader
version: "1.0"
triggers: [{{type: manual}}]
nodes:
  read: {{path: ./nodes/read.ts, description: reads pods, uses: [cluster, same-server-public-roots]}}
config:
  ns: {ns}
deployment:
  serviceAccount: {{name: reader}}
contract:
  version: "1"
  dependencies:
    cluster: {{protocol: kubernetes, host: "{host}", port: {port}}}
    same-server-public-roots: {{protocol: https, host: "{host}", port: {port}}}
"#
        ),
    );
    write(&wf.path().join("nodes/read.ts"), NODE);

    let loaded = Workflow::load(wf.path()).unwrap();
    let secrets = SecretsSource::for_workflow(wf.path())
        .with_mount_dir(None)
        .with_service_account_dir(Some(sa_dir.path().to_path_buf()))
        .load()
        .unwrap();
    assert!(secrets.service_account().is_some());
    let transport = Arc::new(NetTransport::new().unwrap());
    let bindings = Bindings::new(&loaded, &secrets, transport).unwrap();
    let sandbox = Sandbox::new(SandboxConfig {
        cache_dir: None,
        ..SandboxConfig::default()
    })
    .unwrap();
    let runner = Runner::load(&sandbox, loaded).await.unwrap();
    let report = runner.run(&bindings, json!({})).await;
    let r = &report.result;
    assert!(r.success, "{:?}", r.errors);
    let out = &r.outputs["read"];
    assert_eq!(out["own"], 200, "{out}");
    assert_eq!(out["kind"], "PodList", "{out}");
    assert_eq!(
        out["other"], 403,
        "RBAC is the service account's, not the admin's: {out}"
    );
    let public = out["publicRoots"].as_str().unwrap();
    assert!(
        public.starts_with("NetworkError") && public.contains("certificate"),
        "the cluster CA is trusted for the kubernetes dependency only: {public}"
    );
    assert_eq!(out["sawAuth"], false, "{out}");
    let seen = serde_json::to_string(out).unwrap();
    assert!(!seen.contains(&token), "the node saw the token");

    Api::<Namespace>::all(client)
        .delete(&ns, &Default::default())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_health_collector_deploys_with_egress_to_the_api_server() {
    let test = "cluster_health_collector_deploys_with_egress_to_the_api_server";
    let Some(kubeconfig) = admin_kubeconfig(test) else {
        return;
    };
    let (client, _, _) = admin(&kubeconfig).await;
    let chc = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../example-workflows/cluster-health-collector");
    let chc = chc.to_str().unwrap();
    let tmp = tempdir();
    let ns = unique_namespace("chc");
    let tntc = |args: &[&str]| tntc_env(tmp.path(), Some(&kubeconfig), args);

    // Offline, the rule cannot be written: said, not silently left out.
    let o = tntc(&["deploy", chc, "-n", &ns, "--dry-run"]);
    assert_eq!(o.code(), 0, "{}", o.transcript());
    assert!(
        o.stderr().contains("no egress to the API server"),
        "{}",
        o.transcript()
    );

    install_namespace(tmp.path(), &kubeconfig, &ns);
    let o = tntc(&[
        "cluster",
        "check",
        "--workflow",
        chc,
        "-n",
        &ns,
        "-o",
        "json",
    ]);
    let v = o.json();
    let status = |name: &str| {
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .map(|c| c["status"].clone())
    };
    assert_eq!(
        status("Workflow RBAC (ClusterRole)"),
        Some(json!("pass")),
        "{v}"
    );
    assert_eq!(status("API server addresses"), Some(json!("pass")), "{v}");

    let o = tntc(&[
        "deploy",
        chc,
        "-n",
        &ns,
        "--image",
        "tentacular-engine:test",
        "-o",
        "json",
    ]);
    assert_eq!(o.code(), 0, "{}", o.transcript());
    let svc: k8s_openapi::api::core::v1::Service = Api::namespaced(client.clone(), "default")
        .get("kubernetes")
        .await
        .unwrap();
    let cluster_ip = svc.spec.unwrap().cluster_ip.unwrap();
    let np: k8s_openapi::api::networking::v1::NetworkPolicy = Api::namespaced(client.clone(), &ns)
        .get("cluster-health-collector-netpol")
        .await
        .unwrap();
    let egress = serde_json::to_value(np.spec.unwrap().egress.unwrap()).unwrap();
    let has = |cidr: String, port: u16| {
        egress.as_array().unwrap().iter().any(|r| {
            r["to"][0]["ipBlock"]["cidr"] == json!(cidr)
                && r["ports"][0]["port"] == json!(port)
                && r["to"][0]["ipBlock"].get("except").is_none()
        })
    };
    assert!(has(format!("{cluster_ip}/32"), 443), "{egress:#}");
    let api_port: u16 = url::Url::parse(&admin(&kubeconfig).await.1)
        .unwrap()
        .port()
        .unwrap();
    // testenv's stand-in EndpointSlice: the real port, a documentation address (testenv/start.sh).
    assert!(has("192.0.2.1/32".into(), api_port), "{egress:#}");

    let o = tntc(&["audit", chc, "-n", &ns, "-o", "json"]);
    let v = o.json();
    let netpol = &v["checks"][0];
    assert_eq!(netpol["status"], "pass", "{v}");

    let o = tntc(&["undeploy", "cluster-health-collector", "-n", &ns, "-y"]);
    assert_eq!(o.code(), 0, "{}", o.transcript());
}
