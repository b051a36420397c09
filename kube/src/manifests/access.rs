//! The workflow's Kubernetes identity: a ServiceAccount (when `deployment.serviceAccount`
//! says `create: true`) and the `deployment.rbac` rules granted to it — a namespaced Role and
//! RoleBinding, or, with `clusterRole: true`, a ClusterRole and ClusterRoleBinding named
//! `tentacular:<namespace>:<workflow>` (cluster-scoped, so the name carries the namespace, and
//! so does the [`LABEL_NAMESPACE`] label that prune and undeploy select on).

use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{DeployInput, LABEL_NAMESPACE, labels, meta};

/// The ServiceAccount to create, with `deployment.serviceAccount: {create: true}`. Its token
/// is mounted only into the engine pods, which ask for it explicitly.
pub(super) fn service_account(input: &DeployInput) -> Option<ServiceAccount> {
    let name = input.service_account.as_ref()?;
    input.create_service_account.then(|| ServiceAccount {
        metadata: meta(input, name.clone()),
        automount_service_account_token: Some(false),
        ..ServiceAccount::default()
    })
}

/// Name of the ClusterRole and ClusterRoleBinding of a workflow.
pub fn cluster_role_name(namespace: &str, workflow: &str) -> String {
    format!("tentacular:{namespace}:{workflow}")
}

fn rules(input: &DeployInput, cluster: bool) -> Option<Vec<PolicyRule>> {
    let rbac = input.rbac.as_ref().filter(|r| r.cluster_role == cluster)?;
    input.service_account.as_ref()?;
    Some(
        rbac.rules
            .iter()
            .map(|r| PolicyRule {
                api_groups: Some(r.api_groups.clone()),
                resources: Some(r.resources.clone()),
                verbs: r.verbs.clone(),
                resource_names: (!r.resource_names.is_empty()).then(|| r.resource_names.clone()),
                non_resource_urls: None,
            })
            .collect(),
    )
}

fn subject(input: &DeployInput) -> Vec<Subject> {
    vec![Subject {
        kind: "ServiceAccount".into(),
        name: input.service_account.clone().unwrap_or_default(),
        namespace: Some(input.namespace.clone()),
        api_group: None,
    }]
}

fn cluster_meta(input: &DeployInput) -> ObjectMeta {
    let mut l = labels(&input.name, &input.version);
    l.insert(LABEL_NAMESPACE.to_string(), input.namespace.clone());
    ObjectMeta {
        name: Some(cluster_role_name(&input.namespace, &input.name)),
        labels: Some(l),
        ..ObjectMeta::default()
    }
}

/// The namespaced Role of `deployment.rbac` (without `clusterRole`).
pub(super) fn role(input: &DeployInput) -> Option<Role> {
    Some(Role {
        metadata: meta(input, input.name.clone()),
        rules: Some(rules(input, false)?),
    })
}

/// Binds [`role`] to the workflow's service account.
pub(super) fn role_binding(input: &DeployInput) -> Option<RoleBinding> {
    rules(input, false)?;
    Some(RoleBinding {
        metadata: meta(input, input.name.clone()),
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "Role".into(),
            name: input.name.clone(),
        },
        subjects: Some(subject(input)),
    })
}

/// The ClusterRole of `deployment.rbac` with `clusterRole: true`.
pub(super) fn cluster_role(input: &DeployInput) -> Option<ClusterRole> {
    Some(ClusterRole {
        metadata: cluster_meta(input),
        rules: Some(rules(input, true)?),
        aggregation_rule: None,
    })
}

/// Binds [`cluster_role`] to the workflow's service account.
pub(super) fn cluster_role_binding(input: &DeployInput) -> Option<ClusterRoleBinding> {
    rules(input, true)?;
    Some(ClusterRoleBinding {
        metadata: cluster_meta(input),
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "ClusterRole".into(),
            name: cluster_role_name(&input.namespace, &input.name),
        },
        subjects: Some(subject(input)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tentacular_spec::{PolicyRule as Rule, Rbac};

    fn input(create: bool, cluster: bool) -> DeployInput {
        let mut i = DeployInput::new("reader", "1.0", "ops", "img:1");
        i.service_account = Some(if create { "reader" } else { "existing" }.into());
        i.create_service_account = create;
        i.rbac = Some(Rbac {
            rules: vec![Rule {
                api_groups: vec![String::new()],
                resources: vec!["pods".into()],
                verbs: vec!["get".into(), "list".into()],
                resource_names: Vec::new(),
            }],
            cluster_role: cluster,
        });
        i
    }

    #[test]
    fn a_created_account_gets_a_role_and_a_binding_in_its_namespace() {
        let i = input(true, false);
        let sa = service_account(&i).unwrap();
        assert_eq!(sa.metadata.name.as_deref(), Some("reader"));
        assert_eq!(sa.automount_service_account_token, Some(false));
        let role = role(&i).unwrap();
        assert_eq!(role.rules.unwrap()[0].verbs, ["get", "list"]);
        let binding = role_binding(&i).unwrap();
        assert_eq!(binding.role_ref.kind, "Role");
        let s = &binding.subjects.unwrap()[0];
        assert_eq!(
            (s.name.as_str(), s.namespace.as_deref()),
            ("reader", Some("ops"))
        );
        assert!(cluster_role(&i).is_none() && cluster_role_binding(&i).is_none());
    }

    #[test]
    fn an_existing_account_is_bound_not_created_and_cluster_rules_go_cluster_wide() {
        let i = input(false, true);
        assert!(service_account(&i).is_none());
        assert!(role(&i).is_none() && role_binding(&i).is_none());
        let cr = cluster_role(&i).unwrap();
        assert_eq!(cr.metadata.name.as_deref(), Some("tentacular:ops:reader"));
        assert_eq!(
            cr.metadata
                .labels
                .unwrap()
                .get(LABEL_NAMESPACE)
                .map(String::as_str),
            Some("ops")
        );
        let b = cluster_role_binding(&i).unwrap();
        assert_eq!(b.subjects.unwrap()[0].name, "existing");
    }

    #[test]
    fn no_rules_no_grants() {
        let mut i = input(true, false);
        i.rbac = None;
        assert!(service_account(&i).is_some());
        assert!(role(&i).is_none() && role_binding(&i).is_none());
    }
}
