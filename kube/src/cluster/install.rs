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
use super::api_server::{API_SERVER_NAMESPACE, API_SERVER_OBJECT, api_server_permissions};
use super::apply::FIELD_MANAGER;
use super::permissions::{Permission, required_permissions};
use crate::error::Result;
use crate::manifests::{DEFAULT_RUNTIME_CLASS, LABEL_MANAGED_BY, MANAGED_BY};

/// Name of the Role holding every permission tntc needs in a namespace.
pub const DEPLOYER_ROLE: &str = "tentacular-deployer";
/// Name of the Role, in [`API_SERVER_NAMESPACE`], that lets the deployer read where the API
/// server is (for the egress rule of a `kubernetes` dependency).
pub const DEPLOYER_API_SERVER_ROLE: &str = "tentacular-deployer-api-server";

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

/// The deployer's grants: every [`required_permissions`] entry in the workflows' namespace,
/// and, in [`API_SERVER_NAMESPACE`], `get` on the API server's own Service and EndpointSlice
/// only ([`api_server_permissions`], for `kubernetes` dependencies).
#[derive(Debug, Clone, PartialEq)]
pub struct DeployerRbac {
    /// [`DEPLOYER_ROLE`] in the workflows' namespace.
    pub role: Role,
    /// The binding of [`DeployerRbac::role`] to the subject, when one was given.
    pub binding: Option<RoleBinding>,
    /// [`DEPLOYER_API_SERVER_ROLE`] in [`API_SERVER_NAMESPACE`].
    pub api_server_role: Role,
    /// The binding of [`DeployerRbac::api_server_role`] to the subject, when one was given.
    pub api_server_binding: Option<RoleBinding>,
}

impl DeployerRbac {
    /// The objects, in apply order, as `(namespace, Role or RoleBinding)` JSON.
    pub fn objects(&self) -> Vec<serde_json::Value> {
        let mut out = vec![serde_json::to_value(&self.role)];
        out.extend(self.binding.iter().map(serde_json::to_value));
        out.push(serde_json::to_value(&self.api_server_role));
        out.extend(self.api_server_binding.iter().map(serde_json::to_value));
        out.into_iter()
            .filter_map(std::result::Result::ok)
            .collect()
    }
}

/// One rule per resource, verbs sorted.
fn rules_by_resource(
    perms: impl IntoIterator<Item = Permission>,
    resource_names: Option<Vec<String>>,
) -> Vec<PolicyRule> {
    let mut by_resource: BTreeMap<(&str, String), Vec<&str>> = BTreeMap::new();
    for p in perms {
        let resource = match p.subresource {
            Some(s) => format!("{}/{s}", p.resource),
            None => p.resource.to_string(),
        };
        by_resource
            .entry((p.group, resource))
            .or_default()
            .push(p.verb);
    }
    by_resource
        .into_iter()
        .map(|((group, resource), mut verbs)| {
            verbs.sort_unstable();
            verbs.dedup();
            PolicyRule {
                api_groups: Some(vec![group.into()]),
                resources: Some(vec![resource]),
                verbs: verbs.into_iter().map(str::to_string).collect(),
                resource_names: resource_names.clone(),
                ..PolicyRule::default()
            }
        })
        .collect()
}

fn binding(name: String, namespace: &str, role: &str, subject: Subject) -> RoleBinding {
    RoleBinding {
        metadata: managed_meta(&name, Some(namespace)),
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "Role".into(),
            name: role.into(),
        },
        subjects: Some(vec![subject]),
    }
}

/// The deployer's Roles for `namespace` and, when `subject` is given, their bindings to it.
pub fn deployer_rbac(namespace: &str, subject: Option<Subject>) -> DeployerRbac {
    let role = Role {
        metadata: managed_meta(DEPLOYER_ROLE, Some(namespace)),
        rules: Some(rules_by_resource(required_permissions(), None)),
    };
    let api_server_role = Role {
        metadata: managed_meta(DEPLOYER_API_SERVER_ROLE, Some(API_SERVER_NAMESPACE)),
        rules: Some(rules_by_resource(
            api_server_permissions(),
            Some(vec![API_SERVER_OBJECT.into()]),
        )),
    };
    let subject_name = subject.as_ref().map(|s| s.name.to_lowercase());
    DeployerRbac {
        role,
        binding: subject.clone().map(|s| {
            let name = format!(
                "{DEPLOYER_ROLE}-{}",
                subject_name.clone().unwrap_or_default()
            );
            binding(name, namespace, DEPLOYER_ROLE, s)
        }),
        api_server_role,
        api_server_binding: subject.map(|s| {
            // One namespace holds the bindings of every deployer: the name carries theirs.
            let name = format!(
                "{DEPLOYER_API_SERVER_ROLE}-{namespace}-{}",
                subject_name.unwrap_or_default()
            );
            binding(name, API_SERVER_NAMESPACE, DEPLOYER_API_SERVER_ROLE, s)
        }),
    }
}

/// `Kind/name`, plus ` (namespace <ns>)` outside the report's namespace.
fn applied_name(kind: &str, name: &str, ns: &str, home: &str) -> String {
    if ns == home {
        format!("{kind}/{name}")
    } else {
        format!("{kind}/{name} (namespace {ns})")
    }
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
            let rbac = deployer_rbac(
                ns,
                Some(Subject {
                    kind: "ServiceAccount".into(),
                    name: sa.clone(),
                    namespace: Some(ns.into()),
                    api_group: None,
                }),
            );
            applied.push(self.apply_role(&rbac.role, ns).await?);
            applied.push(self.apply_role(&rbac.api_server_role, ns).await?);
            for b in rbac.binding.iter().chain(&rbac.api_server_binding) {
                applied.push(self.apply_role_binding(b, ns).await?);
            }
        }
        Ok(InstallReport {
            namespace: ns.into(),
            applied,
        })
    }

    /// Applies a Role; returns `Role/<name>`, with its namespace when that is not `home`.
    async fn apply_role(&self, role: &Role, home: &str) -> Result<String> {
        let ns = role.metadata.namespace.as_deref().unwrap_or_default();
        let name = role.metadata.name.as_deref().unwrap_or_default();
        Api::<Role>::namespaced(self.client.clone(), ns)
            .patch(
                name,
                &PatchParams::apply(FIELD_MANAGER).force(),
                &Patch::Apply(role),
            )
            .await
            .map_err(|e| self.err("patch", "roles.rbac.authorization.k8s.io", Some(ns), e))?;
        Ok(applied_name("Role", name, ns, home))
    }

    /// Applies a RoleBinding; returns what [`Cluster::apply_role`] returns.
    async fn apply_role_binding(&self, b: &RoleBinding, home: &str) -> Result<String> {
        let ns = b.metadata.namespace.as_deref().unwrap_or_default();
        let name = b.metadata.name.as_deref().unwrap_or_default();
        Api::<RoleBinding>::namespaced(self.client.clone(), ns)
            .patch(
                name,
                &PatchParams::apply(FIELD_MANAGER).force(),
                &Patch::Apply(b),
            )
            .await
            .map_err(|e| {
                self.err(
                    "patch",
                    "rolebindings.rbac.authorization.k8s.io",
                    Some(ns),
                    e,
                )
            })?;
        Ok(applied_name("RoleBinding", name, ns, home))
    }
}
