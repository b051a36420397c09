//! What a workflow's contract implies: the secrets it needs, the network rules it needs, and
//! the **grant** of each node (the dependencies it may reach, resolved).
//!
//! Pure data, computed from a validated [`Workflow`]; the sandbox enforces grants, the
//! Kubernetes side turns egress/ingress rules into a NetworkPolicy, `tntc validate -v` shows
//! them all.
//!
//! ```
//! # use tentacular_spec::{Workflow, derived};
//! let yaml = r#"
//! name: digest
//! version: "1.0"
//! triggers: [{type: manual}]
//! nodes:
//!   fetch: {path: ./fetch.ts, description: d, uses: [github]}
//!   notify: {path: ./notify.ts, description: d, uses: []}
//! contract:
//!   version: "1"
//!   dependencies:
//!     github: {protocol: https, host: api.github.com, auth: {type: bearer-token, secret: github.token}}
//! "#;
//! let wf = Workflow::parse(yaml, "workflow.yaml").unwrap().workflow;
//! let d = derived::derive(&wf);
//! assert_eq!(d.secrets[0].as_str(), "github.token");
//! assert_eq!(d.egress[0].to_string(), "api.github.com:443/TCP");
//! let fetch = &d.grants[0];
//! assert_eq!(fetch.grants[0].dependency.as_str(), "github");
//! assert!(d.grants[1].grants.is_empty());
//! ```

use std::fmt;

use indexmap::IndexMap;
use serde::Serialize;

use crate::auth::AuthKind;
use crate::{
    Cidr, Dependency, DependencyName, IpProtocol, NodeId, PortRule, Protocol, SecretRef,
    TriggerKind, Workflow,
};

/// The port the engine serves on inside its pod.
pub const ENGINE_PORT: u16 = 8080;

/// Everything derived from a workflow's contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Derived {
    /// Every secret the contract references, sorted, without duplicates.
    pub secrets: Vec<SecretRef>,
    /// Outbound network rules, sorted, without duplicates.
    pub egress: Vec<EgressRule>,
    /// Inbound network rules.
    pub ingress: Vec<IngressRule>,
    /// Each node's grant, in node order.
    pub grants: Vec<NodeGrants>,
}

/// Computes everything at once.
pub fn derive(workflow: &Workflow) -> Derived {
    Derived {
        secrets: secrets(workflow),
        egress: egress_rules(workflow),
        ingress: ingress_rules(workflow),
        grants: workflow
            .nodes
            .keys()
            .map(|n| NodeGrants {
                node: n.clone(),
                defaulted: workflow.nodes[n].uses.is_none(),
                grants: grants_for(workflow, n),
            })
            .collect(),
    }
}

/// The secrets the workflow needs, sorted, without duplicates: the contract's `auth.secret`s,
/// and `github.webhook_secret` when it has GitHub webhook triggers (the engine refuses every
/// delivery without it).
pub fn secrets(workflow: &Workflow) -> Vec<SecretRef> {
    let mut out: Vec<SecretRef> = dependencies(workflow)
        .filter_map(|(_, d)| d.auth.as_ref().map(|a| a.secret.clone()))
        .collect();
    if workflow.triggers.iter().any(|t| {
        matches!(
            t.kind,
            crate::model::TriggerKind::Webhook {
                provider: crate::model::WebhookProvider::Github,
                ..
            }
        )
    }) {
        out.push(SecretRef::new("github.webhook_secret").expect("a valid secret reference"));
    }
    out.sort();
    out.dedup();
    out
}

/// What an egress rule allows traffic to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EgressKind {
    /// A host name (resolved by whoever enforces the rule).
    Host,
    /// An address range.
    Cidr,
    /// The cluster's own API server (a `kubernetes` dependency that names no other host):
    /// its addresses are known only in the cluster, so whoever enforces the rule looks them
    /// up there (`tntc deploy` reads the `kubernetes` Service and EndpointSlice of `default`).
    ApiServer,
}

/// One outbound rule: `host:port/PROTO`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct EgressRule {
    /// Host or CIDR, see `kind`.
    pub host: String,
    /// The port; `None` means every port (and every protocol).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// The transport; `None` together with `port: None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<IpProtocol>,
    /// Whether `host` is a name or a CIDR.
    pub kind: EgressKind,
    /// The dependency that needs it; `None` for `networkPolicy.additionalEgress`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dependency: Option<DependencyName>,
}

impl fmt::Display for EgressRule {
    /// `api.github.com:443/TCP`, `10.0.0.0/8:443/TCP`, `10.0.0.0/8 (all ports)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.port, self.protocol) {
            (Some(p), Some(t)) => write!(f, "{}:{p}/{t}", self.host),
            (Some(p), None) => write!(f, "{}:{p}", self.host),
            _ => write!(f, "{} (all ports)", self.host),
        }
    }
}

/// The outbound rules: one per dependency endpoint (default ports applied), one per
/// dynamic-target port, and the `additionalEgress` entries. Packages (jsr/npm) need none at run
/// time. DNS is not listed: whoever enforces these rules adds it.
pub fn egress_rules(workflow: &Workflow) -> Vec<EgressRule> {
    let mut out = Vec::new();
    for (name, dep) in dependencies(workflow) {
        match target_of(dep) {
            Some(DependencyTarget::Host { host, port }) => out.push(EgressRule {
                kind: if dep.protocol == Protocol::Kubernetes && host == Protocol::KUBERNETES_HOST {
                    EgressKind::ApiServer
                } else {
                    EgressKind::Host
                },
                host,
                port: Some(port),
                protocol: Some(IpProtocol::Tcp),
                dependency: Some(name.clone()),
            }),
            Some(DependencyTarget::Cidr { cidr, ports }) => {
                out.extend(ports.iter().map(|p| EgressRule {
                    host: cidr.to_string(),
                    port: Some(p.port),
                    protocol: Some(p.protocol),
                    kind: EgressKind::Cidr,
                    dependency: Some(name.clone()),
                }));
            }
            Some(DependencyTarget::Package { .. }) | None => {}
        }
    }
    if let Some(np) = workflow
        .contract
        .as_ref()
        .and_then(|c| c.network_policy.as_ref())
    {
        for e in &np.additional_egress {
            if e.ports.is_empty() {
                out.push(EgressRule {
                    host: e.to_cidr.to_string(),
                    port: None,
                    protocol: None,
                    kind: EgressKind::Cidr,
                    dependency: None,
                });
            }
            out.extend(e.ports.iter().map(|p| EgressRule {
                host: e.to_cidr.to_string(),
                port: Some(p.port),
                protocol: Some(p.protocol),
                kind: EgressKind::Cidr,
                dependency: None,
            }));
        }
    }
    out.sort_by(|a, b| {
        (a.kind, &a.host, a.port, a.protocol).cmp(&(b.kind, &b.host, b.port, b.protocol))
    });
    out.dedup_by(|a, b| {
        (a.kind, &a.host, a.port, a.protocol) == (b.kind, &b.host, b.port, b.protocol)
    });
    out
}

/// One inbound rule to the engine's port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressRule {
    /// The engine's port.
    pub port: u16,
    /// The transport.
    pub protocol: IpProtocol,
    /// Only pods with these labels; `None` means any pod.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_labels: Option<IndexMap<String, String>>,
    /// Only from this namespace; `None` means the workflow's own namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_namespace: Option<String>,
    /// Why the rule exists.
    pub reason: &'static str,
}

impl fmt::Display for IngressRule {
    /// `8080/TCP (from: tentacular.dev/role=trigger)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.port, self.protocol)?;
        let mut from = Vec::new();
        if let Some(ns) = &self.from_namespace {
            from.push(format!("namespace {ns}"));
        }
        match &self.from_labels {
            Some(l) => from.extend(l.iter().map(|(k, v)| format!("{k}={v}"))),
            None if self.from_namespace.is_none() => from.push("any pod in the namespace".into()),
            None => {}
        }
        write!(f, " (from: {})", from.join(", "))
    }
}

/// The inbound rules: trigger pods (cron jobs, run pods, labelled
/// `tentacular.dev/role=trigger`) always; with a webhook trigger, also any pod of the namespace
/// and the `istio-system` namespace (ingress gateways).
pub fn ingress_rules(workflow: &Workflow) -> Vec<IngressRule> {
    let mut out = vec![IngressRule {
        port: ENGINE_PORT,
        protocol: IpProtocol::Tcp,
        from_labels: Some(IndexMap::from([(
            "tentacular.dev/role".to_string(),
            "trigger".to_string(),
        )])),
        from_namespace: None,
        reason: "cron jobs and run pods",
    }];
    let webhook = workflow
        .triggers
        .iter()
        .any(|t| matches!(t.kind, TriggerKind::Webhook { .. }));
    if webhook {
        out.push(IngressRule {
            port: ENGINE_PORT,
            protocol: IpProtocol::Tcp,
            from_labels: None,
            from_namespace: None,
            reason: "webhook deliveries from inside the namespace",
        });
        out.push(IngressRule {
            port: ENGINE_PORT,
            protocol: IpProtocol::Tcp,
            from_labels: None,
            from_namespace: Some("istio-system".into()),
            reason: "webhook deliveries through the ingress gateway",
        });
    }
    out
}

/// Where a granted dependency lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum DependencyTarget {
    /// A fixed host and port (default port applied).
    Host {
        /// The host name or address.
        host: String,
        /// The port.
        port: u16,
    },
    /// Any address in a range, on the listed ports (`type: dynamic-target`).
    Cidr {
        /// The range.
        cidr: Cidr,
        /// The ports.
        ports: Vec<PortRule>,
    },
    /// A module package (jsr/npm), loaded at compile time, not reached at run time.
    Package {
        /// The package, e.g. `@db/postgres`.
        name: String,
        /// The version or range, if declared.
        #[serde(skip_serializing_if = "Option::is_none")]
        version: Option<String>,
    },
}

/// One dependency a node may use, resolved: where it is and how it authenticates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    /// The dependency's name in the contract.
    pub dependency: DependencyName,
    /// Its protocol.
    pub protocol: Protocol,
    /// Where it is.
    #[serde(flatten)]
    pub target: DependencyTarget,
    /// `auth.type`, e.g. `bearer-token`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_type: Option<AuthKind>,
    /// `auth.secret`: the secret the host injects (the value never enters the node).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<SecretRef>,
    /// Database (postgresql).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// User (postgresql).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Subject (nats).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Container (blob).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
}

/// One node's grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeGrants {
    /// The node.
    pub node: NodeId,
    /// True when the node has no `uses` and so got every dependency.
    pub defaulted: bool,
    /// What it may use, in `uses` order (or contract order when defaulted).
    pub grants: Vec<Grant>,
}

/// The dependencies `node` may use: its `uses`, or every declared dependency when it has
/// none. Names the contract does not declare are skipped (validation rejects them). Empty
/// for an unknown node.
pub fn grants_for(workflow: &Workflow, node: &NodeId) -> Vec<Grant> {
    let Some(spec) = workflow.nodes.get(node) else {
        return Vec::new();
    };
    let Some(contract) = &workflow.contract else {
        return Vec::new();
    };
    let names: Vec<&DependencyName> = match &spec.uses {
        Some(uses) => uses.iter().collect(),
        None => contract.dependencies.keys().collect(),
    };
    names
        .into_iter()
        .filter_map(|name| {
            let dep = contract.dependencies.get(name)?;
            Some(Grant {
                dependency: name.clone(),
                protocol: dep.protocol.clone(),
                target: target_of(dep)?,
                auth_type: dep.auth.as_ref().map(|a| a.kind.clone()),
                secret: dep.auth.as_ref().map(|a| a.secret.clone()),
                database: dep.database.clone(),
                user: dep.user.clone(),
                subject: dep.subject.clone(),
                container: dep.container.clone(),
            })
        })
        .collect()
}

/// Where a dependency lives; `None` when it is incomplete (validation rejects that).
pub fn target_of(dep: &Dependency) -> Option<DependencyTarget> {
    if dep.is_dynamic_target() {
        return Some(DependencyTarget::Cidr {
            cidr: dep.cidr?,
            ports: dep.dyn_ports.clone(),
        });
    }
    if dep.protocol.is_package() {
        return Some(DependencyTarget::Package {
            name: dep.host.clone()?,
            version: dep.version.clone(),
        });
    }
    Some(DependencyTarget::Host {
        host: dep.effective_host()?.to_string(),
        port: dep.effective_port()?,
    })
}

fn dependencies(workflow: &Workflow) -> impl Iterator<Item = (&DependencyName, &Dependency)> {
    workflow.contract.iter().flat_map(|c| c.dependencies.iter())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(y: &str) -> Workflow {
        match Workflow::parse(y, "workflow.yaml") {
            Ok(p) => p.workflow,
            Err(e) => panic!("{e}"),
        }
    }

    const WF: &str = r#"
name: t
version: "1.0"
triggers: [{type: manual}, {type: webhook, provider: github}]
nodes:
  a: {path: ./a.ts, description: a, uses: [api, db]}
  b: {path: ./b.ts, description: b}
  c: {path: ./c.ts, description: c, uses: []}
contract:
  version: "1"
  dependencies:
    api: {protocol: https, host: api.example.com, auth: {type: bearer-token, secret: api.token}}
    plain: {protocol: http, host: status.example.com}
    db: {protocol: postgresql, host: pg.svc, database: appdb, user: app, auth: {type: password, secret: db.password}}
    store: {protocol: blob, host: acct.blob.core.windows.net, container: reports, auth: {type: sas-token, secret: api.token}}
    probe: {protocol: https, type: dynamic-target, cidr: 0.0.0.0/0, dynPorts: ["443/TCP", 80]}
    pg-lib: {protocol: jsr, host: "@db/postgres", version: "0.19.5"}
  networkPolicy:
    additionalEgress:
      - {toCIDR: 10.1.0.0/16, reason: internal}
      - {toCIDR: 10.2.0.0/16, ports: ["5432/TCP"]}
"#;

    #[test]
    fn secrets_sorted_and_deduplicated() {
        let s: Vec<String> = secrets(&parse(WF)).iter().map(|s| s.to_string()).collect();
        // The webhook trigger needs its signing secret too.
        assert_eq!(s, ["api.token", "db.password", "github.webhook_secret"]);
    }

    #[test]
    fn egress_applies_default_ports_including_http_and_blob() {
        let e: Vec<String> = egress_rules(&parse(WF))
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            e,
            [
                "acct.blob.core.windows.net:443/TCP",
                "api.example.com:443/TCP",
                "pg.svc:5432/TCP",
                "status.example.com:80/TCP",
                "0.0.0.0/0:80/TCP",
                "0.0.0.0/0:443/TCP",
                "10.1.0.0/16 (all ports)",
                "10.2.0.0/16:5432/TCP",
            ]
        );
    }

    #[test]
    fn kubernetes_dependency_is_the_api_server_unless_it_names_another_host() {
        let wf = parse(
            r#"
name: t
version: "1.0"
triggers: [{type: manual}]
nodes: {a: {path: ./a.ts, description: a, uses: [cluster, other]}}
deployment: {serviceAccount: {create: true}}
contract:
  version: "1"
  dependencies:
    cluster: {protocol: kubernetes}
    other: {protocol: kubernetes, host: api.other-cluster.example.com, port: 6443}
"#,
        );
        let kinds: Vec<(EgressKind, String)> = egress_rules(&wf)
            .into_iter()
            .map(|r| (r.kind, r.to_string()))
            .collect();
        assert_eq!(
            kinds,
            [
                (
                    EgressKind::Host,
                    "api.other-cluster.example.com:6443/TCP".to_string()
                ),
                (
                    EgressKind::ApiServer,
                    "kubernetes.default.svc:443/TCP".to_string()
                ),
            ]
        );
    }

    #[test]
    fn ingress_depends_on_webhooks() {
        let wf = parse(WF);
        let rules: Vec<String> = ingress_rules(&wf).iter().map(ToString::to_string).collect();
        assert_eq!(
            rules,
            [
                "8080/TCP (from: tentacular.dev/role=trigger)",
                "8080/TCP (from: any pod in the namespace)",
                "8080/TCP (from: namespace istio-system)",
            ]
        );
        let mut manual = wf.clone();
        manual.triggers.truncate(1);
        assert_eq!(ingress_rules(&manual).len(), 1);
    }

    #[test]
    fn grants_follow_uses() {
        let wf = parse(WF);
        let d = derive(&wf);
        let a = &d.grants[0];
        assert!(!a.defaulted);
        assert_eq!(
            serde_json::to_value(&a.grants).unwrap(),
            json!([
                {"dependency": "api", "protocol": "https", "kind": "host", "host": "api.example.com",
                 "port": 443, "authType": "bearer-token", "secret": "api.token"},
                {"dependency": "db", "protocol": "postgresql", "kind": "host", "host": "pg.svc",
                 "port": 5432, "authType": "password", "secret": "db.password",
                 "database": "appdb", "user": "app"}
            ])
        );
        // No uses: everything, in contract order.
        let b = &d.grants[1];
        assert!(b.defaulted);
        let names: Vec<&str> = b.grants.iter().map(|g| g.dependency.as_str()).collect();
        assert_eq!(names, ["api", "plain", "db", "store", "probe", "pg-lib"]);
        assert!(
            matches!(&b.grants[4].target, DependencyTarget::Cidr { ports, .. } if ports.len() == 2)
        );
        assert!(
            matches!(&b.grants[5].target, DependencyTarget::Package { name, .. } if name == "@db/postgres")
        );
        // uses: [] means nothing.
        assert!(d.grants[2].grants.is_empty());
    }

    #[test]
    fn no_contract_no_grants() {
        let wf = parse(
            "name: t\nversion: \"1.0\"\ntriggers: [{type: manual}]\nnodes: {a: {path: ./a.ts, description: a}}\n",
        );
        let d = derive(&wf);
        assert!(d.secrets.is_empty() && d.egress.is_empty());
        assert!(d.grants[0].grants.is_empty());
    }
}
