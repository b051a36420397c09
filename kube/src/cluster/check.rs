//! `cluster check`: is this cluster/namespace ready for `tntc deploy`, and may the current
//! user do everything deploy/undeploy/run/logs/status/audit need?

use k8s_openapi::api::core::v1::{Namespace, Secret};
use k8s_openapi::api::node::v1::RuntimeClass;
use kube::Api;
use kube::api::{Patch, PatchParams};
use serde::Serialize;

use super::Cluster;
use super::apply::FIELD_MANAGER;
use super::grant_check::Access;
use super::install::gvisor_runtime_class;
use super::permissions::{Permission, required_permissions};
use crate::error::{Error, Result, status_code};
use crate::manifests::{LABEL_MANAGED_BY, MANAGED_BY, RuntimeClassChoice};

/// The first line of an error (the rest is a hint meant for a whole-command failure).
fn first_line(e: &Error) -> String {
    e.to_string().lines().next().unwrap_or_default().to_string()
}

/// What to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOptions {
    /// The namespace deploys go to.
    pub namespace: String,
    /// The runtime class deploys will ask for. By default, gVisor.
    pub runtime_class: RuntimeClassChoice,
    /// Secrets that must exist (e.g. `<wf>-secrets` when there are no local secrets).
    /// By default, none.
    pub secret_names: Vec<String>,
    /// Create what is missing and can be created without guessing: the namespace, and the
    /// RuntimeClass `gvisor` (handler `runsc`) when that is the class deploys ask for.
    /// Permissions, secrets and other runtime classes are never created. By default, `false`.
    pub fix: bool,
    /// The rules a workflow's `deployment.rbac` grants: the deployer must hold each (or may
    /// escalate and bind roles), and with `clusterRole: true` manage the cluster-scoped
    /// objects. By default, none (not checked).
    pub rbac: Option<tentacular_spec::Rbac>,
    /// Whether a workflow has a `kubernetes` dependency: deploy then reads the API server's
    /// addresses, which the deployer must be allowed to. By default, `false` (not checked).
    pub needs_api_server: bool,
}

impl CheckOptions {
    /// Defaults for `namespace`.
    pub fn new(namespace: &str) -> Self {
        CheckOptions {
            namespace: namespace.into(),
            runtime_class: RuntimeClassChoice::default(),
            secret_names: Vec::new(),
            fix: false,
            rbac: None,
            needs_api_server: false,
        }
    }
}

/// Outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// Fine.
    Pass,
    /// Works, but worth knowing (e.g. no gVisor).
    Warn,
    /// Deploys will fail until fixed.
    Fail,
}

/// One check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckResult {
    /// What was checked, e.g. `RBAC permissions`.
    pub name: String,
    /// Outcome.
    pub status: CheckStatus,
    /// What was found.
    pub message: String,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
    /// For the RBAC check: each missing permission with the commands that need it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
}

impl CheckResult {
    pub(super) fn new(
        name: impl Into<String>,
        status: CheckStatus,
        message: impl Into<String>,
    ) -> Self {
        CheckResult {
            name: name.into(),
            status,
            message: message.into(),
            remediation: None,
            missing: Vec::new(),
        }
    }
    pub(super) fn fix(mut self, remediation: impl Into<String>) -> Self {
        self.remediation = Some(remediation.into());
        self
    }
}

/// All checks, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// The API server.
    pub server: String,
    /// The namespace checked.
    pub namespace: String,
    /// The checks.
    pub checks: Vec<CheckResult>,
}

impl CheckReport {
    /// Whether no check failed (warnings allowed).
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.status != CheckStatus::Fail)
    }
}

impl Cluster {
    /// Runs every check. Never fails on a check's account: an unreachable API server is a
    /// failed first check (and the rest are skipped).
    pub async fn check(&self, opts: &CheckOptions) -> Result<CheckReport> {
        let ns = opts.namespace.as_str();
        let mut checks = Vec::new();
        let report = |checks| CheckReport {
            server: self.server.clone(),
            namespace: ns.into(),
            checks,
        };

        // 1. API reachable.
        match self.client.apiserver_version().await {
            Ok(v) => checks.push(CheckResult::new(
                "Kubernetes API reachable",
                CheckStatus::Pass,
                format!("{} at {}", v.git_version, self.server),
            )),
            Err(e) => {
                let err = self.err("get", "version", None, e);
                checks.push(
                    CheckResult::new("Kubernetes API reachable", CheckStatus::Fail, err.to_string())
                        .fix("check the kubeconfig/context (--kubeconfig, --context, KUBECONFIG) and that the cluster is up"),
                );
                return Ok(report(checks));
            }
        }

        // 2. Runtime class.
        checks.push(
            self.check_runtime_class(&opts.runtime_class, opts.fix)
                .await,
        );

        // 3. Namespace.
        checks.push(self.check_namespace(ns, opts.fix).await?);

        // 4. RBAC.
        checks.push(self.check_rbac(ns).await?);

        // 5. What this workflow grants or reads beyond the namespace.
        if let Some(rbac) = &opts.rbac {
            checks.push(self.check_granted_rules(ns, rbac).await?);
        }
        if opts.needs_api_server {
            checks.push(self.check_api_server_read().await?);
        }

        // 6. Secrets.
        let secrets: Api<Secret> = Api::namespaced(self.client.clone(), ns);
        if opts.secret_names.is_empty() {
            checks.push(CheckResult::new(
                "Secret references",
                CheckStatus::Pass,
                "skipped: no secrets expected in the cluster",
            ));
        }
        for name in &opts.secret_names {
            let label = format!("Secret {name:?}");
            checks.push(match secrets.get_metadata_opt(name).await {
                Ok(Some(_)) => CheckResult::new(label, CheckStatus::Pass, "exists"),
                Ok(None) => CheckResult::new(label, CheckStatus::Fail, "missing").fix(format!(
                    "create it (e.g. deploy from a directory with .secrets.yaml, or \
                     `kubectl create secret generic {name} -n {ns} --from-file=<service>=<file>`)"
                )),
                Err(e) => CheckResult::new(
                    label,
                    CheckStatus::Warn,
                    format!(
                        "cannot verify: {}",
                        first_line(&self.err("get", "secrets", Some(ns), e))
                    ),
                ),
            });
        }
        Ok(report(checks))
    }

    async fn check_runtime_class(&self, choice: &RuntimeClassChoice, fix: bool) -> CheckResult {
        let Some(class) = choice.class_name() else {
            return CheckResult::new(
                "Runtime class",
                CheckStatus::Warn,
                "disabled: workflows run on the node's default runtime, without gVisor",
            )
            .fix("drop `--runtime-class none` / `runtime_class: none` to sandbox workflows with gVisor");
        };
        let label = format!("RuntimeClass {class:?}");
        let api: Api<RuntimeClass> = Api::all(self.client.clone());
        let missing = "missing: the API server rejects pods that ask for it, so deployed workflows \
                       never start";
        match api.get_opt(class).await {
            Ok(Some(rc)) => {
                CheckResult::new(label, CheckStatus::Pass, format!("handler {}", rc.handler))
            }
            Ok(None) if *choice == RuntimeClassChoice::Gvisor && fix => {
                let rc = gvisor_runtime_class();
                match api
                    .patch(class, &PatchParams::apply(FIELD_MANAGER), &Patch::Apply(&rc))
                    .await
                {
                    Ok(_) => CheckResult::new(
                        label,
                        CheckStatus::Pass,
                        format!("created (--fix), handler {}", rc.handler),
                    )
                    .fix(
                        "the nodes must run gVisor (runsc) for pods of this class to start \
                         (deploy/gvisor/README.md); `tntc cluster profile` shows the nodes' runtimes",
                    ),
                    Err(e) => CheckResult::new(
                        label,
                        CheckStatus::Fail,
                        format!(
                            "missing, and --fix could not create it: {}",
                            first_line(&self.err("create", "runtimeclasses.node.k8s.io", None, e))
                        ),
                    )
                    .fix("ask a cluster administrator to run `tntc cluster install`, or deploy with \
                          `--runtime-class none` (no sandbox)"),
                }
            }
            Ok(None) if *choice == RuntimeClassChoice::Gvisor => CheckResult::new(
                label,
                CheckStatus::Fail,
                missing,
            )
            .fix(
                "install gVisor (runsc) on the nodes (deploy/gvisor/README.md), then `tntc cluster \
                 install` or `tntc cluster check --fix` creates the RuntimeClass; or deploy with \
                 `--runtime-class none` (no sandbox)",
            ),
            Ok(None) => CheckResult::new(label, CheckStatus::Fail, missing).fix(
                "create the RuntimeClass (--fix creates only `gvisor`: tntc cannot know another \
                 class's handler), or choose another with --runtime-class",
            ),
            Err(e) if status_code(&e) == Some(403) => CheckResult::new(
                label,
                CheckStatus::Warn,
                "cannot verify: the current user may not get runtimeclasses.node.k8s.io \
                 (cluster-scoped); `tntc cluster profile` as an administrator shows them",
            ),
            Err(e) => CheckResult::new(
                label,
                CheckStatus::Warn,
                format!(
                    "cannot verify: {}",
                    first_line(&self.err("get", "runtimeclasses.node.k8s.io", None, e))
                ),
            ),
        }
    }

    async fn check_namespace(&self, ns: &str, fix: bool) -> Result<CheckResult> {
        let label = format!("Namespace {ns:?}");
        let api: Api<Namespace> = Api::all(self.client.clone());
        Ok(match api.get_opt(ns).await {
            Ok(Some(n))
                if n.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Terminating") =>
            {
                CheckResult::new(label, CheckStatus::Fail, "being deleted")
                    .fix("wait for the deletion to finish, or choose another namespace")
            }
            Ok(Some(_)) => CheckResult::new(label, CheckStatus::Pass, "exists"),
            Ok(None) if fix => match self.ensure_namespace(ns).await {
                Ok(()) => CheckResult::new(label, CheckStatus::Pass, "created (--fix)"),
                Err(e) => CheckResult::new(
                    label,
                    CheckStatus::Fail,
                    format!(
                        "does not exist, and --fix could not create it: {}",
                        first_line(&e)
                    ),
                )
                .fix(format!(
                    "ask a cluster administrator to create it (`tntc cluster install -n {ns}`), \
                     or choose another namespace with -n"
                )),
            },
            Ok(None) => CheckResult::new(label, CheckStatus::Fail, "does not exist")
                .fix(format!("`tntc cluster check --fix -n {ns}` creates it")),
            Err(e) if status_code(&e) == Some(403) => CheckResult::new(
                label,
                CheckStatus::Warn,
                "cannot verify: the current user may not get namespaces (cluster-scoped); deploys \
                 will tell",
            ),
            Err(e) => return Err(self.err("get", "namespaces", None, e)),
        })
    }

    /// Creates (or labels) a namespace, idempotently.
    pub(crate) async fn ensure_namespace(&self, ns: &str) -> Result<()> {
        let api: Api<Namespace> = Api::all(self.client.clone());
        let obj = serde_json::json!({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": ns, "labels": {LABEL_MANAGED_BY: MANAGED_BY}},
        });
        api.patch(ns, &PatchParams::apply(FIELD_MANAGER), &Patch::Apply(&obj))
            .await
            .map_err(|e| self.err("create", "namespaces", None, e))?;
        Ok(())
    }

    /// Asks the API server, one SelfSubjectAccessReview per [`required_permissions`] entry,
    /// which of them the current user lacks in `namespace`.
    pub async fn missing_permissions(&self, namespace: &str) -> Result<Vec<Permission>> {
        let perms = required_permissions();
        let wanted = perms
            .iter()
            .map(|p| Access::of(p, Some(namespace), None))
            .collect();
        let denied = self.denied(wanted).await?;
        Ok(perms
            .into_iter()
            .filter(|p| denied.contains(&Access::of(p, Some(namespace), None)))
            .collect())
    }

    async fn check_rbac(&self, ns: &str) -> Result<CheckResult> {
        let missing = match self.missing_permissions(ns).await {
            Ok(m) => m,
            Err(e @ Error::Forbidden { .. }) => {
                return Ok(CheckResult::new(
                    "RBAC permissions",
                    CheckStatus::Warn,
                    format!("cannot verify: {}", first_line(&e)),
                ));
            }
            Err(e) => return Err(e),
        };
        let total = required_permissions().len();
        if missing.is_empty() {
            return Ok(CheckResult::new(
                "RBAC permissions",
                CheckStatus::Pass,
                format!("all {total} permissions granted in namespace {ns}"),
            ));
        }
        let mut r = CheckResult::new(
            "RBAC permissions",
            CheckStatus::Fail,
            format!(
                "{} of {total} permissions missing in namespace {ns}",
                missing.len()
            ),
        )
        .fix(format!(
            "ask a cluster administrator to bind the `tentacular-deployer` Role in {ns} to you \
             (deploy/rbac/deployer-role.yaml; `tntc cluster install --deployer-sa <name> -n {ns}` \
             does it for a service account)"
        ));
        r.missing = missing
            .iter()
            .map(|p| format!("{p} (needed by {})", p.needed_by.join(", ")))
            .collect();
        Ok(r)
    }
}
