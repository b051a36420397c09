//! What `cluster check --workflow` adds for one workflow's deploy, beyond the namespace-wide
//! permissions: the rules its `deployment.rbac` grants (Kubernetes lets a deployer create a
//! Role only with rules it holds itself, unless it may `escalate` and `bind` roles), the
//! cluster-scoped objects of `clusterRole: true`, and the read of the API server's addresses a
//! `kubernetes` dependency needs.

use futures::{StreamExt, stream};
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use kube::Api;
use kube::api::PostParams;
use tentacular_spec::Rbac;

use super::Cluster;
use super::api_server::{API_SERVER_NAMESPACE, API_SERVER_OBJECT, api_server_permissions};
use super::check::{CheckResult, CheckStatus};
use super::permissions::Permission;
use crate::error::{Error, Result};

/// One question for a SelfSubjectAccessReview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Access {
    /// API group, `""` for core.
    pub group: String,
    /// `resource` or `resource/subresource`.
    pub resource: String,
    /// Verb (`*` allowed).
    pub verb: String,
    /// `None`: cluster-wide.
    pub namespace: Option<String>,
    /// One object, when the rule names objects.
    pub name: Option<String>,
}

impl Access {
    /// The question for one of tntc's own permissions.
    pub(crate) fn of(p: &Permission, namespace: Option<&str>, name: Option<&str>) -> Self {
        Access {
            group: p.group.into(),
            resource: match p.subresource {
                Some(s) => format!("{}/{s}", p.resource),
                None => p.resource.into(),
            },
            verb: p.verb.into(),
            namespace: namespace.map(str::to_string),
            name: name.map(str::to_string),
        }
    }
}

impl std::fmt::Display for Access {
    /// `get pods/log in namespace ops`, `list nodes (cluster-wide)`, `get configmaps/app in …`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.verb, self.resource)?;
        if !self.group.is_empty() {
            write!(f, ".{}", self.group)?;
        }
        if let Some(n) = &self.name {
            write!(f, " named {n:?}")?;
        }
        match &self.namespace {
            Some(ns) => write!(f, " in namespace {ns}"),
            None => write!(f, " (cluster-wide)"),
        }
    }
}

/// Every (group, resource, verb, name) a set of rules grants, in order.
pub(crate) fn expand(rbac: &Rbac, namespace: Option<&str>) -> Vec<Access> {
    let mut out = Vec::new();
    for rule in &rbac.rules {
        let names: Vec<Option<&String>> = if rule.resource_names.is_empty() {
            vec![None]
        } else {
            rule.resource_names.iter().map(Some).collect()
        };
        for group in &rule.api_groups {
            for resource in &rule.resources {
                for verb in &rule.verbs {
                    for name in &names {
                        out.push(Access {
                            group: group.clone(),
                            resource: resource.clone(),
                            verb: verb.clone(),
                            namespace: namespace.map(str::to_string),
                            name: name.cloned(),
                        });
                    }
                }
            }
        }
    }
    out
}

fn rbac_access(resource: &str, verb: &str, namespace: Option<&str>) -> Access {
    Access {
        group: "rbac.authorization.k8s.io".into(),
        resource: resource.into(),
        verb: verb.into(),
        namespace: namespace.map(str::to_string),
        name: None,
    }
}

impl Cluster {
    /// Whether the current user may do `access`.
    pub(crate) async fn can_i(&self, access: &Access) -> Result<bool> {
        let (resource, subresource) = match access.resource.split_once('/') {
            Some((r, s)) => (r.to_string(), Some(s.to_string())),
            None => (access.resource.clone(), None),
        };
        let review = SelfSubjectAccessReview {
            spec: SelfSubjectAccessReviewSpec {
                resource_attributes: Some(ResourceAttributes {
                    namespace: access.namespace.clone(),
                    group: Some(access.group.clone()),
                    resource: Some(resource),
                    subresource,
                    verb: Some(access.verb.clone()),
                    name: access.name.clone(),
                    ..ResourceAttributes::default()
                }),
                non_resource_attributes: None,
            },
            ..SelfSubjectAccessReview::default()
        };
        let r = Api::<SelfSubjectAccessReview>::all(self.client.clone())
            .create(&PostParams::default(), &review)
            .await
            .map_err(|e| {
                self.err(
                    "create",
                    "selfsubjectaccessreviews.authorization.k8s.io",
                    None,
                    e,
                )
            })?;
        Ok(r.status.is_some_and(|s| s.allowed))
    }

    /// The subset of `wanted` the current user may not do, in order.
    pub(crate) async fn denied(&self, wanted: Vec<Access>) -> Result<Vec<Access>> {
        let answers: Vec<Result<(Access, bool)>> = stream::iter(wanted)
            .map(|a| async move {
                let ok = self.can_i(&a).await?;
                Ok((a, ok))
            })
            .buffered(8)
            .collect()
            .await;
        let mut out = Vec::new();
        for a in answers {
            let (access, allowed) = a?;
            if !allowed {
                out.push(access);
            }
        }
        Ok(out)
    }

    /// May the current user read where the API server is? A failure when a workflow with a
    /// `kubernetes` dependency is to be deployed.
    pub(super) async fn check_api_server_read(&self) -> Result<CheckResult> {
        let label = "API server addresses";
        let wanted = api_server_permissions()
            .iter()
            .map(|p| Access::of(p, Some(API_SERVER_NAMESPACE), Some(API_SERVER_OBJECT)))
            .collect();
        let denied = self.denied(wanted).await?;
        if denied.is_empty() {
            return Ok(CheckResult::new(
                label,
                CheckStatus::Pass,
                "readable: the `kubernetes` dependency's egress rule can list them",
            ));
        }
        let mut r = CheckResult::new(
            label,
            CheckStatus::Fail,
            "not readable: deploy cannot write the egress rule of the `kubernetes` dependency",
        )
        .fix(
            "bind the deployer to the `tentacular-deployer-api-server` Role in namespace default \
             (deploy/rbac/deployer-role.yaml; `tntc cluster install --deployer-sa` does it for a \
             service account)",
        );
        r.missing = denied.iter().map(ToString::to_string).collect();
        Ok(r)
    }

    /// May the current user grant `rbac` to a workflow in `ns`: create the Role (or
    /// ClusterRole) and its binding with those rules?
    pub(super) async fn check_granted_rules(&self, ns: &str, rbac: &Rbac) -> Result<CheckResult> {
        let scope = (!rbac.cluster_role).then_some(ns);
        let (roles, bindings) = if rbac.cluster_role {
            ("clusterroles", "clusterrolebindings")
        } else {
            ("roles", "rolebindings")
        };
        let label = if rbac.cluster_role {
            "Workflow RBAC (ClusterRole)"
        } else {
            "Workflow RBAC (Role)"
        };
        let mut r = self
            .check_rule_grants(ns, rbac, scope, roles, bindings, label)
            .await?;
        if rbac.cluster_role {
            // The namespaced deployer Role does not cover the cluster-scoped objects.
            let objects: Vec<Access> = [roles, bindings]
                .iter()
                .flat_map(|res| {
                    ["get", "list", "create", "patch", "delete"]
                        .map(|verb| rbac_access(res, verb, None))
                })
                .collect();
            let denied = self.denied(objects).await?;
            if !denied.is_empty() {
                r.status = CheckStatus::Fail;
                r.message = format!(
                    "{}; deploy and undeploy also need {} cluster-scoped permission(s)",
                    r.message,
                    denied.len()
                );
                r.missing.extend(denied.iter().map(ToString::to_string));
                r.remediation = Some(
                    "a cluster administrator grants the deployer `get, list, create, patch, \
                     delete` on clusterroles and clusterrolebindings, plus every rule the \
                     workflow grants (or `escalate` and `bind` on clusterroles); or drop \
                     `clusterRole: true` and grant the rules in the namespace"
                        .into(),
                );
            }
        }
        Ok(r)
    }

    async fn check_rule_grants(
        &self,
        ns: &str,
        rbac: &Rbac,
        scope: Option<&str>,
        roles: &str,
        bindings: &str,
        label: &str,
    ) -> Result<CheckResult> {
        let wanted = expand(rbac, scope);
        let total = wanted.len();
        let denied = match self.denied(wanted).await {
            Ok(d) => d,
            Err(e @ Error::Forbidden { .. }) => {
                let line = e.to_string().lines().next().unwrap_or_default().to_string();
                return Ok(CheckResult::new(
                    label,
                    CheckStatus::Warn,
                    format!("cannot verify: {line}"),
                ));
            }
            Err(e) => return Err(e),
        };
        if denied.is_empty() {
            return Ok(CheckResult::new(
                label,
                CheckStatus::Pass,
                format!("the deployer holds all {total} grant(s) it gives the workflow"),
            ));
        }
        let escalate = self.can_i(&rbac_access(roles, "escalate", scope)).await?;
        let bind = self.can_i(&rbac_access(roles, "bind", scope)).await?;
        if escalate && bind {
            return Ok(CheckResult::new(
                label,
                CheckStatus::Pass,
                format!(
                    "the deployer lacks {} of {total} grant(s) but may escalate and bind {roles}",
                    denied.len()
                ),
            ));
        }
        let mut r = CheckResult::new(
            label,
            CheckStatus::Fail,
            format!(
                "the deployer lacks {} of the {total} grant(s) it would give the workflow: \
                 Kubernetes refuses to create the {} with them",
                denied.len(),
                if scope.is_some() {
                    "Role"
                } else {
                    "ClusterRole"
                },
            ),
        )
        .fix(format!(
            "grant the deployer those permissions{} (or `escalate` and `bind` on {roles}), or \
             narrow `deployment.rbac.rules`; the {bindings} needs them too",
            scope.map(|_| format!(" in {ns}")).unwrap_or_default()
        ));
        r.missing = denied.iter().map(ToString::to_string).collect();
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tentacular_spec::PolicyRule;

    fn rule(groups: &[&str], resources: &[&str], verbs: &[&str], names: &[&str]) -> PolicyRule {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect();
        PolicyRule {
            api_groups: v(groups),
            resources: v(resources),
            verbs: v(verbs),
            resource_names: v(names),
        }
    }

    #[test]
    fn expand_is_the_cross_product_of_a_rule() {
        let rbac = Rbac {
            rules: vec![
                rule(
                    &["", "apps"],
                    &["pods", "deployments"],
                    &["get", "list"],
                    &[],
                ),
                rule(&[""], &["configmaps"], &["get"], &["a", "b"]),
            ],
            cluster_role: false,
        };
        let all: Vec<String> = expand(&rbac, Some("ops"))
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(all.len(), 2 * 2 * 2 + 2);
        assert_eq!(all[0], "get pods in namespace ops");
        assert!(all.contains(&"list deployments.apps in namespace ops".to_string()));
        assert_eq!(all[9], "get configmaps named \"b\" in namespace ops");
        let cluster: Vec<String> = expand(&rbac, None)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(cluster[0], "get pods (cluster-wide)");
    }
}
