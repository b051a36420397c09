//! Talking to a cluster: one [`Cluster`] (a kube client plus the server it points at) and one
//! submodule per command.
//!
//! ```no_run
//! # async fn demo() -> tentacular_kube::Result<()> {
//! use std::time::Duration;
//! use tentacular_kube::cluster::{ApplyOptions, Cluster, Target};
//! use tentacular_kube::manifests::{self, DeployInput};
//!
//! let cluster = Cluster::connect(&Target::default()).await?;
//! let mut input = DeployInput::new("hello", "1.0", "demo", "tentacular-engine:0.1.0");
//! input.files.insert("workflow.yaml".into(), "name: hello\n".into());
//! let report = cluster.apply(&manifests::build(&input)?, &ApplyOptions::default()).await?;
//! for change in &report.objects {
//!     println!("{} {}/{}", change.action, change.kind, change.name);
//! }
//! cluster.wait_ready("demo", "hello", Duration::from_secs(120), |r| eprintln!("{r}")).await?;
//! # Ok(()) }
//! ```

mod api_server;
mod apply;
mod audit;
mod audit_access;
mod check;
mod grant_check;
mod install;
mod logs;
mod permissions;
mod profile;
mod run;
mod status;
mod undeploy;
mod versions;

use std::path::PathBuf;

use kube::Client;
use kube::config::{KubeConfigOptions, Kubeconfig};

use crate::error::{Attempt, Error, Result, classify};

pub use api_server::{API_SERVER_NAMESPACE, API_SERVER_OBJECT, api_server_permissions};
pub use apply::{Action, ApplyOptions, ApplyReport, FIELD_MANAGER, ObjectChange};
pub use audit::{AuditCheck, AuditReport};
pub use check::{CheckOptions, CheckReport, CheckResult, CheckStatus};
pub use install::{
    DEPLOYER_API_SERVER_ROLE, DEPLOYER_ROLE, DeployerRbac, InstallOptions, InstallReport,
    deployer_rbac, gvisor_runtime_class,
};
pub use logs::{LogOptions, LogStream};
pub use permissions::{Permission, required_permissions};
pub use profile::{
    ClusterExtensions, ClusterProfile, NamespaceProfile, NodeProfile, RuntimeClassProfile,
    StorageClassProfile,
};
pub use run::{RunOptions, RunOutcome, RunVia};
pub use status::{
    AutoscaleStatus, CronJobInfo, EventInfo, PodInfo, Readiness, StatusDetail, WorkflowStatus,
    WorkflowSummary,
};
pub use undeploy::UndeployReport;
pub use versions::{CodeVersion, to_keep};

/// A Kubernetes object type a [`kube::Api`] can list (what the query helpers take).
pub(crate) trait Object:
    kube::Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug
{
}

impl<K> Object for K where
    K: kube::Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug
{
}

/// Which cluster to talk to. By default, what kubectl would use: `$KUBECONFIG` (or
/// `~/.kube/config`) and its current context, else the in-cluster service account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    /// An explicit kubeconfig file (`--kubeconfig`, or the environment's `kubeconfig`).
    pub kubeconfig: Option<PathBuf>,
    /// An explicit context (`--context`, or the environment's `context`).
    pub context: Option<String>,
}

/// A connection to one cluster.
#[derive(Clone)]
pub struct Cluster {
    client: Client,
    server: String,
    default_namespace: String,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("server", &self.server)
            .field("default_namespace", &self.default_namespace)
            .finish_non_exhaustive()
    }
}

impl Cluster {
    /// Loads the kubeconfig and builds a client. Does not contact the server (use
    /// [`Cluster::check`] or any call for that).
    pub async fn connect(target: &Target) -> Result<Cluster> {
        let kc_err = |message: String| Error::Kubeconfig {
            path: target.kubeconfig.clone(),
            context: target.context.clone(),
            message,
        };
        let options = KubeConfigOptions {
            context: target.context.clone(),
            ..KubeConfigOptions::default()
        };
        let config = match &target.kubeconfig {
            Some(path) => {
                let kc = Kubeconfig::read_from(path).map_err(|e| kc_err(e.to_string()))?;
                kube::Config::from_custom_kubeconfig(kc, &options)
                    .await
                    .map_err(|e| kc_err(e.to_string()))?
            }
            None => match kube::Config::from_kubeconfig(&options).await {
                Ok(c) => c,
                Err(e) if target.context.is_none() => kube::Config::incluster()
                    .map_err(|ie| kc_err(format!("{e}; not running in a cluster either ({ie})")))?,
                Err(e) => return Err(kc_err(e.to_string())),
            },
        };
        let server = config.cluster_url.to_string();
        let default_namespace = config.default_namespace.clone();
        let client = Client::try_from(config).map_err(|e| kc_err(e.to_string()))?;
        Ok(Cluster {
            client,
            server,
            default_namespace,
        })
    }

    /// Wraps an existing client (tests use a mocked service).
    pub fn from_client(client: Client, server: impl Into<String>) -> Cluster {
        let default_namespace = client.default_namespace().to_string();
        Cluster {
            client,
            server: server.into(),
            default_namespace,
        }
    }

    /// The API server URL.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The namespace of the kubeconfig context (`default` when it names none).
    pub fn default_namespace(&self) -> &str {
        &self.default_namespace
    }

    /// The underlying kube client, for what this crate does not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Maps a client error, naming the attempted `verb` on `resource` in `namespace`.
    pub(crate) fn err(
        &self,
        verb: &str,
        resource: &str,
        namespace: Option<&str>,
        err: kube::Error,
    ) -> Error {
        let action = match namespace {
            Some(ns) => format!("{verb} {resource} in namespace {ns}"),
            None => format!("{verb} {resource}"),
        };
        classify(
            &self.server,
            Attempt {
                verb,
                resource,
                namespace,
                action,
            },
            err,
        )
    }
}
