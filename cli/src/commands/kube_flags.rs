//! Where a Kubernetes command connects: the flags deploy, status, list, logs, run, undeploy,
//! cluster and audit share, their resolution against the config files, and the connection.

use std::path::PathBuf;

use clap::Args;
use tentacular_kube::cluster::Cluster;
use tentacular_kube::config::{self, Config, ConfigPaths, Overrides, Resolved};

use crate::output::{Output, warn};

/// Where a Kubernetes command connects.
#[derive(Debug, Clone, Default, Args)]
pub struct KubeFlags {
    /// Namespace. By default: the environment's, then workflow.yaml `deployment.namespace`
    /// (deploy), then the config file's, then `default`.
    #[arg(short = 'n', long, value_name = "NS")]
    pub namespace: Option<String>,

    /// Kubeconfig context. By default, the environment's or the kubeconfig's current one.
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,

    /// Kubeconfig file. By default, the environment's, else $KUBECONFIG, else ~/.kube/config.
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// Environment from .tentacular/config.yaml (kubeconfig, context, namespace, image,
    /// runtime class). By default, $TENTACULAR_ENV.
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
}

/// What a command adds to the resolution besides the flags.
#[derive(Debug, Default, Clone, Copy)]
pub struct Extra<'a> {
    pub workflow_namespace: Option<&'a str>,
    pub image: Option<&'a str>,
    pub runtime_class: Option<&'a str>,
    pub built_image: Option<&'a str>,
}

impl KubeFlags {
    /// Reads the config files and resolves namespace, cluster, image and runtime class.
    /// Prints the resolution's warnings to stderr.
    pub fn resolve(&self, extra: Extra<'_>, out: &Output) -> anyhow::Result<Resolved> {
        let cfg = Config::load(&ConfigPaths::from_env())?;
        let env_var = std::env::var(config::ENV_VAR).ok();
        let resolved = cfg.resolve(&Overrides {
            namespace: self.namespace.as_deref(),
            env: self.env.as_deref(),
            env_var: env_var.as_deref(),
            kubeconfig: self.kubeconfig.as_deref(),
            context: self.context.as_deref(),
            image: extra.image,
            runtime_class: extra.runtime_class,
            workflow_namespace: extra.workflow_namespace,
            built_image: extra.built_image,
            home: None,
        })?;
        for w in &resolved.warnings {
            warn(out, w)?;
        }
        Ok(resolved)
    }
}

/// Connects to the cluster the resolution names (no request is made yet).
pub async fn connect(resolved: &Resolved) -> anyhow::Result<Cluster> {
    Ok(Cluster::connect(&resolved.target()).await?)
}
