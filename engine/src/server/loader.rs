//! Where a workflow lives and how a [`Workload`] is built from it: at start, on each hot
//! reload ([`crate::watch`]) and when the service-account token rotates
//! ([`crate::token_refresh`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tentacular_sandbox::Sandbox;
use tentacular_sandbox::fetch::Transport;

use super::app::{WEBHOOK_SECRET_ENV, Workload};
use crate::executor::{Bindings, LoadFailure, Runner};
use crate::secrets::{SecretValue, SecretsSource};
use tentacular_spec::{SpecErrors, Workflow};

/// Why a workflow could not be (re)loaded. Each variant's text names files, lines and nodes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkloadError {
    /// `workflow.yaml` is invalid (or missing).
    #[error(transparent)]
    Spec(#[from] SpecErrors),
    /// The secrets could not be read.
    #[error(transparent)]
    Secrets(crate::Error),
    /// One or more nodes did not load.
    #[error(transparent)]
    Nodes(#[from] LoadFailure),
    /// A secret value is refused (too short to be kept out of responses and logs).
    #[error(transparent)]
    SecretValue(#[from] tentacular_sandbox::SecretError),
}

impl WorkloadError {
    /// One line per problem, each starting with `file:line:col` where there is one.
    pub fn lines(&self) -> Vec<String> {
        match self {
            WorkloadError::Spec(e) => e.errors.iter().map(|d| d.headline()).collect(),
            WorkloadError::Secrets(e) => {
                let mut s = e.to_string();
                let mut src = std::error::Error::source(e);
                while let Some(inner) = src {
                    s.push_str(": ");
                    s.push_str(&inner.to_string());
                    src = inner.source();
                }
                vec![s]
            }
            WorkloadError::Nodes(LoadFailure::Nodes { nodes }) => nodes
                .iter()
                .map(|n| format!("node \"{}\": {}", n.node, n.message))
                .collect(),
            WorkloadError::Nodes(other) => vec![other.to_string()],
            WorkloadError::SecretValue(e) => vec![e.to_string()],
        }
    }
}

/// Knows where a workflow lives and builds a [`Workload`] from it, at start and on each
/// reload.
#[derive(Debug, Clone)]
pub struct Loader {
    sandbox: Sandbox,
    workflow: PathBuf,
    secrets: Option<PathBuf>,
    mount_dir: Option<PathBuf>,
    service_account_dir: Option<PathBuf>,
    transport: Arc<dyn Transport>,
}

impl Loader {
    /// A loader for the workflow at `workflow` (a directory holding `workflow.yaml`, or the
    /// spec file), whose nodes reach the network through `transport`. Secrets come from the
    /// usual cascade with `/app/secrets` on top; see [`Loader::secrets`] and
    /// [`Loader::mount_dir`].
    pub fn new(
        sandbox: Sandbox,
        workflow: impl Into<PathBuf>,
        transport: Arc<dyn Transport>,
    ) -> Self {
        Loader {
            sandbox,
            workflow: workflow.into(),
            secrets: None,
            mount_dir: Some(PathBuf::from(crate::secrets::MOUNT_DIR)),
            service_account_dir: Some(PathBuf::from(crate::secrets::SERVICE_ACCOUNT_DIR)),
            transport,
        }
    }

    /// Reads secrets only from `path` (a YAML file or a directory), as `--secrets` does. By
    /// default, `None`: `.secrets/` then `.secrets.yaml` in the workflow directory.
    pub fn secrets(mut self, path: Option<PathBuf>) -> Self {
        self.secrets = path;
        self
    }

    /// The directory merged on top of all secrets. By default `/app/secrets`; `None` skips it.
    pub fn mount_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.mount_dir = dir;
        self
    }

    /// Where the pod's service-account token and CA are mounted. By default
    /// [`crate::secrets::SERVICE_ACCOUNT_DIR`]; `None` skips it.
    pub fn service_account_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.service_account_dir = dir;
        self
    }

    /// The service-account directory read at each load, if any.
    pub fn service_account_path(&self) -> Option<&Path> {
        self.service_account_dir.as_deref()
    }

    /// The workflow path as given.
    pub fn workflow_path(&self) -> &Path {
        &self.workflow
    }

    /// The explicit secrets path, if any.
    pub fn secrets_path(&self) -> Option<&Path> {
        self.secrets.as_deref()
    }

    /// The workflow directory: the path itself, or the directory of a spec file.
    pub fn workflow_dir(&self) -> PathBuf {
        if self.workflow.is_file() {
            match self.workflow.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            }
        } else {
            self.workflow.clone()
        }
    }

    /// Reads the spec and the secrets and loads every node into the sandbox.
    pub async fn load(&self) -> Result<Workload, WorkloadError> {
        let loaded = Workflow::load(&self.workflow)?;
        for w in &loaded.warnings {
            tracing::warn!(file = %w.file.display(), line = w.line, column = w.column, "{}", w.headline());
        }
        let source = match &self.secrets {
            Some(p) => SecretsSource::explicit(p.clone()),
            None => SecretsSource::for_workflow(loaded.dir.clone()),
        }
        .with_mount_dir(self.mount_dir.clone())
        .with_service_account_dir(self.service_account_dir.clone());
        let secrets = source.load().map_err(WorkloadError::Secrets)?;
        let webhook_secret = secrets
            .get("github", "webhook_secret")
            .filter(|s| !s.expose().is_empty())
            .cloned()
            .or_else(|| {
                std::env::var(WEBHOOK_SECRET_ENV)
                    .ok()
                    .filter(|s| !s.is_empty())
                    .map(SecretValue::new)
            });
        let bindings = Bindings::new(&loaded, &secrets, self.transport.clone())?;
        let runner = Runner::load(&self.sandbox, loaded)
            .await
            .map_err(|f| f.redact(bindings.scrubber()))?;
        Ok(Workload::new(runner, bindings, webhook_secret))
    }
}
