//! From the spec to what the sandbox enforces: each node's [`Capabilities`](sandbox::Capabilities) (its granted
//! dependencies, secret values, `ctx.config`, transport) and [`Limits`](sandbox::Limits).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value, json};
use tentacular_sandbox as sandbox;
use tentacular_sandbox::fetch::Transport;

use crate::secrets::service_account::{TOKEN_SECRET_KEY, TOKEN_SECRET_SERVICE};
use crate::secrets::{Secrets, ServiceAccountIdentity};
use tentacular_spec::derived::grants_for;
use tentacular_spec::{AuthKind, Dependency, NodeId, Protocol, Workflow};

/// Converts resolved secrets into the sandbox's value store (values never leave the host);
/// refuses values too short to be scrubbed (see [`sandbox::secrets`]).
pub fn secret_values(secrets: &Secrets) -> Result<sandbox::SecretValues, sandbox::SecretError> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for service in secrets.services() {
        for key in secrets.keys(service) {
            if let Some(v) = secrets.get(service, key) {
                out.entry(service.to_string())
                    .or_default()
                    .insert(key.to_string(), v.expose().to_string());
            }
        }
    }
    if let Some(sa) = secrets.service_account() {
        out.entry(TOKEN_SECRET_SERVICE.to_string())
            .or_default()
            .insert(
                TOKEN_SECRET_KEY.to_string(),
                sa.token().expose().to_string(),
            );
    }
    sandbox::SecretValues::new(out)
}

/// The capabilities of `node`: every declared dependency (granted or not, so that messages
/// can say which), the secrets, `config` (`ctx.config`), where requests go, and how many of
/// them may be in flight at once (`limits.maxInFlight`). A `kubernetes` dependency is HTTPS
/// to the API server, authenticated with the service account's token and trusting only its
/// CA (`service_account`; without one, its requests go unauthenticated and the API server's
/// certificate is checked against the public roots, so they fail).
pub fn capabilities(
    workflow: &Workflow,
    node: &NodeId,
    config: Value,
    secrets: sandbox::SecretValues,
    transport: Arc<dyn Transport>,
    service_account: Option<&ServiceAccountIdentity>,
) -> sandbox::Capabilities {
    let granted: Vec<String> = grants_for(workflow, node)
        .into_iter()
        .map(|g| g.dependency.to_string())
        .collect();
    let mut deps = BTreeMap::new();
    let mut cluster_deps = Vec::new();
    if let Some(contract) = &workflow.contract {
        for (name, dep) in &contract.dependencies {
            let name = name.to_string();
            let is_granted = granted.contains(&name);
            if dep.protocol == Protocol::Kubernetes {
                cluster_deps.push(name.clone());
            }
            deps.insert(name, dependency(dep, is_granted));
        }
    }
    let mut builder = sandbox::Capabilities::builder(node.to_string());
    if let Some(sa) = service_account {
        for name in cluster_deps {
            builder = builder.trust_only(name, sa.ca().clone());
        }
    }
    builder
        .config(config)
        .dependencies(deps)
        .secrets(secrets)
        .transport(transport)
        .max_in_flight(workflow.max_in_flight_of(node) as usize)
        .build()
}

/// `ctx.config` for every node: the workflow's `config` map.
pub fn ctx_config(workflow: &Workflow) -> Value {
    Value::Object(workflow.config.to_ctx_config())
}

fn dependency(dep: &Dependency, granted: bool) -> sandbox::Dependency {
    if dep.protocol == Protocol::Kubernetes {
        return cluster_api(dep, granted);
    }
    let auth = dep.auth.as_ref().map(|a| sandbox::Auth {
        kind: a.kind.clone(),
        secret: sandbox::SecretRef {
            service: a.secret.service().to_string(),
            key: a.secret.key().to_string(),
        },
        header: dep
            .extensions
            .get("x-auth-header")
            .and_then(Value::as_str)
            .map(str::to_string),
    });
    let dynamic = dep.is_dynamic_target().then(|| sandbox::DynamicTarget {
        cidrs: dep.cidr.iter().cloned().collect(),
        ports: dep.dyn_ports.iter().map(|p| p.port).collect(),
    });
    let mut extra = Map::new();
    for (k, v) in [
        ("database", &dep.database),
        ("user", &dep.user),
        ("subject", &dep.subject),
        ("container", &dep.container),
    ] {
        if let Some(v) = v {
            extra.insert(k.to_string(), json!(v));
        }
    }
    sandbox::Dependency {
        protocol: dep.protocol.as_str().to_string(),
        host: dep.host.clone().unwrap_or_default(),
        port: dep.effective_port().unwrap_or(443),
        auth,
        granted,
        dynamic,
        extra,
    }
}

/// A `kubernetes` dependency as the sandbox sees it: HTTPS to the API server, with the
/// service account's token as bearer auth.
fn cluster_api(dep: &Dependency, granted: bool) -> sandbox::Dependency {
    sandbox::Dependency {
        protocol: "https".to_string(),
        host: dep.effective_host().unwrap_or_default().to_string(),
        port: dep.effective_port().unwrap_or(443),
        auth: Some(sandbox::Auth {
            kind: AuthKind::Bearer(tentacular_spec::auth::BearerSpelling::BearerToken),
            secret: sandbox::SecretRef {
                service: TOKEN_SECRET_SERVICE.to_string(),
                key: TOKEN_SECRET_KEY.to_string(),
            },
            header: None,
        }),
        granted,
        dynamic: None,
        extra: Map::new(),
    }
}

/// The sandbox limits of `node` (per-node `limits`, else the workflow's `config.timeout`).
pub fn limits(workflow: &Workflow, node: &NodeId) -> sandbox::Limits {
    sandbox::Limits {
        memory: workflow.memory_of(node) as usize,
        timeout: workflow.timeout_of(node),
        // A node waiting for an instance waits at most as long as a run may take.
        queue_timeout: workflow.config.timeout(),
        ..sandbox::Limits::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"
name: demo
version: "1.0"
triggers: [{type: manual}]
nodes:
  wide: {path: ./nodes/wide.ts, limits: {maxInFlight: 4}}
  plain: {path: ./nodes/plain.ts}
"#;

    #[test]
    fn max_in_flight_comes_from_the_nodes_limits_else_the_default() {
        let wf = Workflow::parse(SPEC, "workflow.yaml").unwrap().workflow;
        let caps = |node: &str| {
            capabilities(
                &wf,
                &NodeId::new(node).unwrap(),
                json!({}),
                sandbox::SecretValues::default(),
                Arc::new(sandbox::fetch::DenyAll),
                None,
            )
        };
        assert_eq!(caps("wide").max_in_flight(), 4);
        assert_eq!(
            caps("plain").max_in_flight(),
            sandbox::DEFAULT_MAX_IN_FLIGHT
        );
    }

    const CLUSTER_SPEC: &str = r#"
name: reader
version: "1.0"
triggers: [{type: manual}]
nodes:
  read: {path: ./nodes/read.ts, description: reads pods, uses: [cluster]}
deployment:
  serviceAccount: {create: true}
contract:
  version: "1"
  dependencies:
    cluster: {protocol: kubernetes}
    web: {protocol: https, host: example.com}
"#;

    #[test]
    fn a_kubernetes_dependency_is_https_to_the_api_server_as_the_service_account() {
        let wf = Workflow::parse(CLUSTER_SPEC, "workflow.yaml")
            .unwrap()
            .workflow;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token"), "eyJhbGciOi.the-token").unwrap();
        std::fs::write(
            dir.path().join("ca.crt"),
            include_str!("../tests/data/test-ca.pem"),
        )
        .unwrap();
        let mut secrets = Secrets::new();
        secrets.set_service_account(ServiceAccountIdentity::load(dir.path()).unwrap());
        let values = secret_values(&secrets).unwrap();
        let node = NodeId::new("read").unwrap();
        let with = |sa| {
            capabilities(
                &wf,
                &node,
                json!({}),
                values.clone(),
                Arc::new(sandbox::fetch::DenyAll),
                sa,
            )
        };
        let caps = with(secrets.service_account());
        let dep = caps.dependency("cluster").unwrap();
        assert_eq!(
            (dep.protocol.as_str(), dep.host.as_str(), dep.port),
            ("https", "kubernetes.default.svc", 443)
        );
        let auth = dep.auth.as_ref().unwrap();
        assert_eq!(auth.kind.as_str(), "bearer-token");
        assert_eq!(
            caps.secrets().get(&auth.secret).map(|v| v.to_string()),
            Some("eyJhbGciOi.the-token".to_string())
        );
        let ca = secrets.service_account().unwrap().ca().clone();
        assert_eq!(caps.trust_for("cluster"), sandbox::fetch::Trust::Only(ca));
        assert_eq!(caps.trust_for("web"), sandbox::fetch::Trust::PublicRoots);
        let outside_a_pod = with(None);
        assert_eq!(
            outside_a_pod.trust_for("cluster"),
            sandbox::fetch::Trust::PublicRoots
        );
    }
}
