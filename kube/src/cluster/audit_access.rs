//! `audit` of a workflow's Kubernetes identity: the ServiceAccount, the Role or ClusterRole
//! and their bindings against what `deployment.serviceAccount` and `deployment.rbac` derive.
//! A grant wider than the workflow declares is the finding that matters most here: rules
//! added by hand to the live Role, a binding to another subject, a Role the workflow no
//! longer asks for.

use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use kube::Api;

use super::Cluster;
use super::audit::{AuditCheck, check, diff_rules};
use super::check::CheckStatus;
use crate::error::{Result, status_code};
use crate::manifests::{LABEL_MANAGED_BY, MANAGED_BY, Manifests, cluster_role_name};

/// Whether an object carries tentacular's managed-by label (only those are ours to judge).
fn managed(labels: Option<&std::collections::BTreeMap<String, String>>) -> bool {
    labels
        .and_then(|l| l.get(LABEL_MANAGED_BY))
        .map(String::as_str)
        == Some(MANAGED_BY)
}

/// What a binding grants, comparable across live and wanted: its role and its subjects.
fn binding_value(role_ref: &impl serde::Serialize, subjects: &impl serde::Serialize) -> String {
    format!(
        "roleRef {} subjects {}",
        serde_json::to_string(role_ref).unwrap_or_default(),
        serde_json::to_string(subjects).unwrap_or_default()
    )
}

/// Compares a wanted object's value with the live one; `what` names it in problems.
fn compare(what: &str, want: Option<String>, live: Option<String>, out: &mut Vec<String>) {
    match (want, live) {
        (Some(w), Some(l)) if w != l => out.push(format!("{what} differs: live {l}, expected {w}")),
        (Some(_), None) => out.push(format!("{what} missing")),
        (None, Some(_)) => out.push(format!(
            "{what} exists, but the workflow declares no such grant (deploy prunes it)"
        )),
        _ => {}
    }
}

impl Cluster {
    /// The ServiceAccount (when created by the workflow), the Role, RoleBinding, ClusterRole
    /// and ClusterRoleBinding against `want`.
    pub(super) async fn audit_access(&self, ns: &str, want: &Manifests) -> Result<AuditCheck> {
        let name = want.name.as_str();
        let label = format!("Service account and RBAC of {name}");
        let mut problems = Vec::new();

        if let Some(sa) = &want.service_account {
            let sa_name = sa.metadata.name.as_deref().unwrap_or(name);
            let live = Api::<ServiceAccount>::namespaced(self.client.clone(), ns)
                .get_opt(sa_name)
                .await
                .map_err(|e| self.err("get", "serviceaccounts", Some(ns), e))?;
            if live.is_none() {
                problems.push(format!("ServiceAccount {sa_name} missing"));
            }
        }

        let role = Api::<Role>::namespaced(self.client.clone(), ns)
            .get_opt(name)
            .await
            .map_err(|e| self.err("get", "roles.rbac.authorization.k8s.io", Some(ns), e))?
            .filter(|r| managed(r.metadata.labels.as_ref()));
        match (&want.role, &role) {
            (Some(w), Some(l)) => diff_rules(
                &format!("Role {name}"),
                w.rules.as_deref().unwrap_or_default(),
                l.rules.as_deref().unwrap_or_default(),
                &mut problems,
            ),
            (w, l) => compare(
                &format!("Role {name}"),
                w.as_ref().map(|_| String::new()),
                l.as_ref().map(|_| String::new()),
                &mut problems,
            ),
        }
        let binding = Api::<RoleBinding>::namespaced(self.client.clone(), ns)
            .get_opt(name)
            .await
            .map_err(|e| self.err("get", "rolebindings.rbac.authorization.k8s.io", Some(ns), e))?
            .filter(|b| managed(b.metadata.labels.as_ref()));
        compare(
            &format!("RoleBinding {name}"),
            want.role_binding
                .as_ref()
                .map(|b| binding_value(&b.role_ref, &b.subjects)),
            binding.map(|b| binding_value(&b.role_ref, &b.subjects)),
            &mut problems,
        );

        match self.audit_cluster_grants(ns, want, &mut problems).await {
            Ok(()) => {}
            // A namespaced deployer may not read cluster-scoped objects: say so when the
            // workflow has some, stay quiet when it has none.
            Err(e) if want.cluster_role.is_none() && status_code(&e) == Some(403) => {}
            Err(e) => {
                return Ok(AuditCheck {
                    name: label,
                    status: CheckStatus::Warn,
                    message: format!(
                        "cannot verify the ClusterRole: {}",
                        e.to_string().lines().next().unwrap_or_default()
                    ),
                    problems,
                });
            }
        }
        let declared =
            want.service_account.is_some() || want.role.is_some() || want.cluster_role.is_some();
        Ok(check(
            label,
            problems,
            if declared {
                "the grants are exactly the declared ones"
            } else {
                "none declared, none present"
            },
        ))
    }

    async fn audit_cluster_grants(
        &self,
        ns: &str,
        want: &Manifests,
        problems: &mut Vec<String>,
    ) -> std::result::Result<(), kube::Error> {
        let cname = cluster_role_name(ns, &want.name);
        let role = Api::<ClusterRole>::all(self.client.clone())
            .get_opt(&cname)
            .await?
            .filter(|r| managed(r.metadata.labels.as_ref()));
        match (&want.cluster_role, &role) {
            (Some(w), Some(l)) => diff_rules(
                &format!("ClusterRole {cname}"),
                w.rules.as_deref().unwrap_or_default(),
                l.rules.as_deref().unwrap_or_default(),
                problems,
            ),
            (w, l) => compare(
                &format!("ClusterRole {cname}"),
                w.as_ref().map(|_| String::new()),
                l.as_ref().map(|_| String::new()),
                problems,
            ),
        }
        let binding = Api::<ClusterRoleBinding>::all(self.client.clone())
            .get_opt(&cname)
            .await?
            .filter(|b| managed(b.metadata.labels.as_ref()));
        compare(
            &format!("ClusterRoleBinding {cname}"),
            want.cluster_role_binding
                .as_ref()
                .map(|b| binding_value(&b.role_ref, &b.subjects)),
            binding.map(|b| binding_value(&b.role_ref, &b.subjects)),
            problems,
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_reports_missing_extra_and_different() {
        let mut p = Vec::new();
        compare("Role a", Some("x".into()), Some("x".into()), &mut p);
        compare("Role b", None, None, &mut p);
        assert!(p.is_empty());
        compare("Role c", Some("x".into()), None, &mut p);
        compare("Role d", None, Some("y".into()), &mut p);
        compare("RoleBinding e", Some("x".into()), Some("y".into()), &mut p);
        assert_eq!(p.len(), 3);
        assert!(p[0].ends_with("missing"));
        assert!(p[1].contains("declares no such grant"));
        assert!(p[2].contains("live y, expected x"));
    }
}
