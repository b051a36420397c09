//! The RBAC permissions tntc needs in a workflow's namespace: what `cluster check` asks the API
//! server about and what the deployer Role of `cluster install` grants.

use std::fmt;

use serde::Serialize;

/// One RBAC permission tntc needs in the workflow's namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Permission {
    /// API group (`""` for the core group).
    pub group: &'static str,
    /// Resource (plural).
    pub resource: &'static str,
    /// Subresource, e.g. `log`, `proxy`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subresource: Option<&'static str>,
    /// Verb.
    pub verb: &'static str,
    /// The commands that need it.
    pub needed_by: &'static [&'static str],
}

impl fmt::Display for Permission {
    /// `create networkpolicies.networking.k8s.io`, `get pods/log`, `create services/proxy`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.verb, self.resource)?;
        if let Some(s) = self.subresource {
            write!(f, "/{s}")?;
        }
        if !self.group.is_empty() {
            write!(f, ".{}", self.group)?;
        }
        Ok(())
    }
}

const APPLY: &[&str] = &["deploy"];
const PRUNE: &[&str] = &["deploy", "undeploy"];
const READ: &[&str] = &["deploy", "status", "audit"];

/// Every permission, in the workflow's namespace, that deploy (apply, prune), undeploy, run
/// (proxy or pod), logs, status and audit use. `docs/kubernetes.md` and
/// [`crate::cluster::deployer_rbac`] are generated from the same list.
pub fn required_permissions() -> Vec<Permission> {
    let mut out = Vec::new();
    let managed: [(&'static str, &'static str); 11] = [
        ("", "configmaps"),
        ("", "secrets"),
        ("", "services"),
        ("networking.k8s.io", "networkpolicies"),
        ("apps", "deployments"),
        ("autoscaling", "horizontalpodautoscalers"),
        ("policy", "poddisruptionbudgets"),
        ("batch", "cronjobs"),
        // `deployment.serviceAccount` / `deployment.rbac`. Kubernetes lets a deployer grant
        // only rules it holds itself (or `escalate`/`bind` on roles): see docs/kubernetes.md.
        ("", "serviceaccounts"),
        ("rbac.authorization.k8s.io", "roles"),
        ("rbac.authorization.k8s.io", "rolebindings"),
    ];
    for (group, resource) in managed {
        for (verb, needed_by) in [
            ("get", READ),
            ("list", PRUNE),
            ("create", APPLY),
            ("patch", APPLY),
            ("delete", PRUNE),
        ] {
            out.push(Permission {
                group,
                resource,
                subresource: None,
                verb,
                needed_by,
            });
        }
    }
    let p = |group, resource, subresource, verb, needed_by| Permission {
        group,
        resource,
        subresource,
        verb,
        needed_by,
    };
    out.extend([
        p("batch", "jobs", None, "list", &["undeploy", "status"][..]),
        p("batch", "jobs", None, "delete", &["undeploy"][..]),
        p(
            "apps",
            "replicasets",
            None,
            "list",
            &["undeploy", "status"][..],
        ),
        p("apps", "replicasets", None, "delete", &["undeploy"][..]),
        p(
            "",
            "pods",
            None,
            "list",
            &["logs", "status", "undeploy"][..],
        ),
        p("", "pods", None, "get", &["logs", "run"][..]),
        p("", "pods", None, "create", &["run --via pod"][..]),
        p(
            "",
            "pods",
            None,
            "delete",
            &["run --via pod", "undeploy"][..],
        ),
        p(
            "",
            "pods",
            Some("log"),
            "get",
            &["logs", "run --via pod"][..],
        ),
        p("", "services", Some("proxy"), "create", &["run"][..]),
        p("", "events", None, "list", &["status --detail"][..]),
    ]);
    out
}
