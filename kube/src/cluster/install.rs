//! `cluster install`: the RuntimeClass, the namespace and, optionally, a deployer service
//! account with exactly the permissions tntc needs.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::node::v1::RuntimeClass;
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Api;
use kube::api::{Patch, PatchParams};
use serde::Serialize;

use super::Cluster;
use super::apply::FIELD_MANAGER;
use super::permissions::required_permissions;
use crate::error::Result;
use crate::manifests::{DEFAULT_RUNTIME_CLASS, LABEL_MANAGED_BY, MANAGED_BY};

/// Name of the Role holding every permission tntc needs in a namespace.
pub const DEPLOYER_ROLE: &str = "tentacular-deployer";

/// What to install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallOptions {
    /// The namespace to create (idempotent).
    pub namespace: String,
    /// Create the cluster-wide RuntimeClass `gvisor` (handler `runsc`). By default, `true`.
    /// The nodes still need runsc installed (deploy/gvisor/README.md).
    pub runtime_class: bool,
    /// Create this ServiceAccount with the deployer Role bound to it. By default, none.
    pub deployer_service_account: Option<String>,
}

impl InstallOptions {
    /// Defaults for `namespace`.
    pub fn new(namespace: &str) -> Self {
        InstallOptions {
            namespace: namespace.into(),
            runtime_class: true,
            deployer_service_account: None,
        }
    }
}

/// What `install` applied, as `Kind/name` (namespaced ones in [`InstallReport::namespace`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstallReport {
    /// The namespace.
    pub namespace: String,
    /// Every object applied.
    pub applied: Vec<String>,
}

fn managed_meta(name: &str, namespace: Option<&str>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        namespace: namespace.map(str::to_string),
        labels: Some(BTreeMap::from([(
            LABEL_MANAGED_BY.to_string(),
            MANAGED_BY.to_string(),
        )])),
        ..ObjectMeta::default()
    }
}

/// The RuntimeClass `gvisor` → handler `runsc`.
pub fn gvisor_runtime_class() -> RuntimeClass {
    RuntimeClass {
        metadata: managed_meta(DEFAULT_RUNTIME_CLASS, None),
        handler: "runsc".into(),
        overhead: None,
        scheduling: None,
    }
}

/// The deployer Role for `namespace` (every [`required_permissions`] entry, one rule per
/// resource) and, when `subject` is given, a RoleBinding of it to that subject.
pub fn deployer_rbac(namespace: &str, subject: Option<Subject>) -> (Role, Option<RoleBinding>) {
    let mut by_resource: BTreeMap<(&str, String), Vec<&str>> = BTreeMap::new();
    for p in required_permissions() {
        let resource = match p.subresource {
            Some(s) => format!("{}/{s}", p.resource),
            None => p.resource.to_string(),
        };
        by_resource
            .entry((p.group, resource))
            .or_default()
            .push(p.verb);
    }
    let rules = by_resource
        .into_iter()
        .map(|((group, resource), mut verbs)| {
            verbs.sort_unstable();
            verbs.dedup();
            PolicyRule {
                api_groups: Some(vec![group.into()]),
                resources: Some(vec![resource]),
                verbs: verbs.into_iter().map(str::to_string).collect(),
                ..PolicyRule::default()
            }
        })
        .collect();
    let role = Role {
        metadata: managed_meta(DEPLOYER_ROLE, Some(namespace)),
        rules: Some(rules),
    };
    let binding = subject.map(|s| {
        let name = format!("{DEPLOYER_ROLE}-{}", s.name.to_lowercase());
        RoleBinding {
            metadata: managed_meta(&name, Some(namespace)),
            role_ref: RoleRef {
                api_group: "rbac.authorization.k8s.io".into(),
                kind: "Role".into(),
                name: DEPLOYER_ROLE.into(),
            },
            subjects: Some(vec![s]),
        }
    });
    (role, binding)
}

impl Cluster {
    /// Applies the RuntimeClass (optional), the namespace and the deployer RBAC (optional).
    /// Needs cluster-admin-like rights; idempotent.
    pub async fn install(&self, opts: &InstallOptions) -> Result<InstallReport> {
        let ns = opts.namespace.as_str();
        let pp = PatchParams::apply(FIELD_MANAGER).force();
        let mut applied = Vec::new();
        if opts.runtime_class {
            let rc = gvisor_runtime_class();
            Api::<RuntimeClass>::all(self.client.clone())
                .patch(DEFAULT_RUNTIME_CLASS, &pp, &Patch::Apply(&rc))
                .await
                .map_err(|e| self.err("patch", "runtimeclasses.node.k8s.io", None, e))?;
            applied.push(format!("RuntimeClass/{DEFAULT_RUNTIME_CLASS}"));
        }
        self.ensure_namespace(ns).await?;
        applied.push(format!("Namespace/{ns}"));
        if let Some(sa) = &opts.deployer_service_account {
            let account = ServiceAccount {
                metadata: managed_meta(sa, Some(ns)),
                ..ServiceAccount::default()
            };
            Api::<ServiceAccount>::namespaced(self.client.clone(), ns)
                .patch(sa, &pp, &Patch::Apply(&account))
                .await
                .map_err(|e| self.err("patch", "serviceaccounts", Some(ns), e))?;
            applied.push(format!("ServiceAccount/{sa}"));
            let (role, binding) = deployer_rbac(
                ns,
                Some(Subject {
                    kind: "ServiceAccount".into(),
                    name: sa.clone(),
                    namespace: Some(ns.into()),
                    api_group: None,
                }),
            );
            Api::<Role>::namespaced(self.client.clone(), ns)
                .patch(DEPLOYER_ROLE, &pp, &Patch::Apply(&role))
                .await
                .map_err(|e| self.err("patch", "roles.rbac.authorization.k8s.io", Some(ns), e))?;
            applied.push(format!("Role/{DEPLOYER_ROLE}"));
            if let Some(b) = binding {
                let name = b.metadata.name.clone().unwrap_or_default();
                Api::<RoleBinding>::namespaced(self.client.clone(), ns)
                    .patch(&name, &pp, &Patch::Apply(&b))
                    .await
                    .map_err(|e| {
                        self.err(
                            "patch",
                            "rolebindings.rbac.authorization.k8s.io",
                            Some(ns),
                            e,
                        )
                    })?;
                applied.push(format!("RoleBinding/{name}"));
            }
        }
        Ok(InstallReport {
            namespace: ns.into(),
            applied,
        })
    }
}
