//! `TestCluster`: the real control plane of `testenv/` (kube-apiserver + etcd, optionally kwok),
//! found through the variables `testenv/start.sh` writes to `testenv/.state/env`.
//!
//! When `TENTACULAR_TEST_KUBECONFIG` is unset, every test prints a loud SKIP line and passes —
//! or fails under `CI=true` ([`crate::support::missing`]).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Namespace;
use kube::Api;
use kube::api::{Patch, PatchParams};
use tentacular_kube::cluster::{Cluster, InstallOptions, Target};

/// One user's connection to the test control plane.
pub struct TestCluster {
    pub cluster: Cluster,
    pub kubeconfig: PathBuf,
    /// Whether pods become Running/Ready (kwok mode).
    pub kwok: bool,
    /// kwok mode: the file kwok serves as every container's log.
    pub pod_log_file: Option<PathBuf>,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn skip(test: &str, var: &str) {
    crate::support::missing(
        test,
        &format!("the real API server of testenv/ ({var} is not set)"),
        "run testenv/start.sh && source testenv/.state/env, then cargo test -p tentacular-kube --test all",
    );
}

/// Whether pods become Running/Ready here (kwok mode); when not, reports `test` as missing
/// them ([`crate::support::missing`]) and returns false.
pub fn pods_run(tc: &TestCluster, test: &str) -> bool {
    if !tc.kwok {
        crate::support::missing(
            test,
            "pods that run (testenv in kwok mode)",
            "run TENTACULAR_TESTENV_KWOK=1 testenv/start.sh && source testenv/.state/env",
        );
    }
    tc.kwok
}

fn kwok() -> bool {
    std::env::var("TENTACULAR_TEST_KWOK").is_ok_and(|v| v == "1")
}

async fn connect(path: PathBuf) -> TestCluster {
    let cluster = Cluster::connect(&Target {
        kubeconfig: Some(path.clone()),
        context: None,
    })
    .await
    .expect("load the testenv kubeconfig");
    TestCluster {
        cluster,
        kubeconfig: path,
        kwok: kwok(),
        pod_log_file: std::env::var_os("TENTACULAR_TEST_POD_LOG_FILE")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from),
    }
}

impl TestCluster {
    /// The cluster-admin user, or `None` (after a SKIP line) when the env is not set.
    pub async fn admin(test: &str) -> Option<TestCluster> {
        match std::env::var_os("TENTACULAR_TEST_KUBECONFIG") {
            Some(p) if !p.is_empty() => Some(connect(PathBuf::from(p)).await),
            _ => {
                skip(test, "TENTACULAR_TEST_KUBECONFIG");
                None
            }
        }
    }

    /// The `restricted` user (get/list deployments in its namespace only) and that namespace.
    pub async fn restricted(test: &str) -> Option<(TestCluster, String)> {
        match std::env::var_os("TENTACULAR_TEST_KUBECONFIG_RESTRICTED") {
            Some(p) if !p.is_empty() => {
                let ns = std::env::var("TENTACULAR_TEST_RESTRICTED_NAMESPACE")
                    .unwrap_or_else(|_| "restricted-ns".into());
                Some((connect(PathBuf::from(p)).await, ns))
            }
            _ => {
                skip(test, "TENTACULAR_TEST_KUBECONFIG_RESTRICTED");
                None
            }
        }
    }

    /// A fresh namespace for one test (`tntc-it-<test>-<pid>-<n>`), created now. Never deleted:
    /// without a namespace controller it would stay Terminating; `stop.sh` discards the cluster.
    pub async fn namespace(&self, test: &str) -> String {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut name = format!("tntc-it-{test}-{}-{n}", std::process::id()).replace('_', "-");
        if name.len() > 63 {
            name = format!(
                "tntc-it-{}-{}-{n}",
                &test.replace('_', "-")[..30],
                std::process::id()
            );
        }
        let api: Api<Namespace> = Api::all(self.cluster.client().clone());
        let ns = serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
        api.patch(&name, &PatchParams::apply("tntc-tests"), &Patch::Apply(&ns))
            .await
            .expect("create the test namespace");
        name
    }

    /// The shared RuntimeClass `gvisor` (created idempotently, never deleted).
    pub async fn ensure_gvisor(&self, ns: &str) {
        let mut opts = InstallOptions::new(ns);
        opts.runtime_class = true;
        self.cluster
            .install(&opts)
            .await
            .expect("install RuntimeClass gvisor");
    }

    /// Without kwok nothing runs the Deployment: report it ready through the status subresource.
    pub async fn mark_ready_if_needed(&self, ns: &str, name: &str) {
        if self.kwok {
            return;
        }
        let api: Api<Deployment> = Api::namespaced(self.cluster.client().clone(), ns);
        let d = api.get(name).await.expect("get deployment");
        let status = serde_json::json!({"status": {
            "observedGeneration": d.metadata.generation,
            "replicas": 1, "updatedReplicas": 1, "readyReplicas": 1, "availableReplicas": 1
        }});
        api.patch_status(name, &PatchParams::default(), &Patch::Merge(&status))
            .await
            .expect("patch deployment status");
    }

    /// Appends a line to the log kwok serves for every container.
    pub fn append_pod_log(&self, text: &str) {
        append_log_line(
            self.pod_log_file
                .as_ref()
                .expect("kwok mode has a pod log file"),
            text,
        );
    }
}

/// Appends a line in CRI log format (what kwok expects) to `path`.
pub fn append_log_line(path: &std::path::Path, text: &str) {
    use std::io::Write;
    let now = jiff::Timestamp::now();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("open pod log");
    writeln!(f, "{now} stdout F {text}").expect("append pod log");
}

/// Serializes the tests that read or write kwok's shared pod log.
pub static POD_LOG: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
