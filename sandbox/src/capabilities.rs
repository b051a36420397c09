//! What one node may do: its dependencies (granted or not), its secrets, its config, and the
//! transport its requests go through.
//!
//! Built once per node per workflow version with [`Capabilities::builder`] (validate once,
//! then per-node state, as Spin's factors do) and shared by every invocation of that node.
//! The fields are private and the guest-visible `ctx` description is derived once, in
//! [`CapabilitiesBuilder::build`], so what the node is told can never drift from what the
//! host enforces.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::fetch::{DenyAll, RootCa, Transport, Trust};
use crate::secrets::{Scrubber, SecretRef, SecretValues};
use tentacular_spec::AuthKind;
use tentacular_spec::Cidr;

/// How the host authenticates requests to a dependency (`contract.dependencies.<d>.auth`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Auth {
    /// The kind (`auth.type`).
    pub kind: AuthKind,
    /// The secret that authenticates.
    pub secret: SecretRef,
    /// Header name for `api-key` (default `X-API-Key`) and `header` (`x-auth-header`).
    pub header: Option<String>,
}

/// A `type: dynamic-target` dependency: any host whose addresses fall in `cidrs`, on `ports`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DynamicTarget {
    /// Allowed address blocks.
    pub cidrs: Vec<Cidr>,
    /// Allowed ports.
    pub ports: Vec<u16>,
}

/// One declared dependency, as the sandbox sees it.
#[derive(Debug, Clone)]
pub struct Dependency {
    /// `https`, `http`, `postgresql`, `nats`, …
    pub protocol: String,
    /// The exact host requests must go to (ignored for dynamic targets).
    pub host: String,
    /// The port (defaults already applied).
    pub port: u16,
    /// How the host authenticates, if at all.
    pub auth: Option<Auth>,
    /// Whether this node may use it (`nodes.<id>.uses`).
    pub granted: bool,
    /// Set for `type: dynamic-target`.
    pub dynamic: Option<DynamicTarget>,
    /// Other guest-visible fields (`database`, `user`, `subject`, `container`, …).
    pub extra: Map<String, Value>,
}

/// Everything one node may use. Built once per node; cheap to share (`Arc`).
#[derive(Debug)]
pub struct Capabilities {
    node_id: String,
    config: Value,
    dependencies: BTreeMap<String, Dependency>,
    secrets: SecretValues,
    transport: Arc<dyn Transport>,
    max_response_body: usize,
    max_in_flight: usize,
    trust: BTreeMap<String, RootCa>,
    ctx_json: String,
}

/// Builds [`Capabilities`]; see each setter for its default.
#[derive(Debug)]
pub struct CapabilitiesBuilder {
    node_id: String,
    config: Value,
    dependencies: BTreeMap<String, Dependency>,
    secrets: SecretValues,
    transport: Arc<dyn Transport>,
    max_response_body: usize,
    max_in_flight: usize,
    trust: BTreeMap<String, RootCa>,
}

/// Largest response body by default: 10 MiB.
pub const DEFAULT_MAX_RESPONSE_BODY: usize = 10 * 1024 * 1024;
/// Requests one invocation may have in flight by default (`nodes.<id>.limits.maxInFlight`).
pub const DEFAULT_MAX_IN_FLIGHT: usize = 32;

impl Capabilities {
    /// Starts the capabilities of node `node_id`: by default no config, no dependencies, no
    /// secrets and no network.
    pub fn builder(node_id: impl Into<String>) -> CapabilitiesBuilder {
        CapabilitiesBuilder {
            node_id: node_id.into(),
            config: Value::Object(Map::new()),
            dependencies: BTreeMap::new(),
            secrets: SecretValues::default(),
            transport: Arc::new(DenyAll),
            max_response_body: DEFAULT_MAX_RESPONSE_BODY,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            trust: BTreeMap::new(),
        }
    }

    /// The node's id (for messages).
    pub fn node_id(&self) -> &str {
        &self.node_id
    }

    /// `ctx.config`.
    pub fn config(&self) -> &Value {
        &self.config
    }

    /// Every declared dependency, granted to this node or not.
    pub fn dependencies(&self) -> &BTreeMap<String, Dependency> {
        &self.dependencies
    }

    /// One declared dependency.
    pub fn dependency(&self, name: &str) -> Option<&Dependency> {
        self.dependencies.get(name)
    }

    /// The secret values (the node only ever sees placeholders).
    pub fn secrets(&self) -> &SecretValues {
        &self.secrets
    }

    /// Scrubs the secret values out of what goes back to the node or into logs.
    pub fn scrubber(&self) -> &Scrubber {
        self.secrets.scrubber()
    }

    /// Where checked requests go.
    pub fn transport(&self) -> &Arc<dyn Transport> {
        &self.transport
    }

    /// Largest response body the node may receive, in bytes.
    pub fn max_response_body(&self) -> usize {
        self.max_response_body
    }

    /// Requests one invocation may have in flight; more wait for a slot.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight
    }

    /// Which authorities requests to `dependency` trust: its own CA when one was set with
    /// [`CapabilitiesBuilder::trust_only`], else the public roots.
    pub fn trust_for(&self, dependency: &str) -> Trust {
        self.trust
            .get(dependency)
            .map_or(Trust::PublicRoots, |ca| Trust::Only(ca.clone()))
    }

    /// The JSON the guest turns into `ctx` (placeholders only, never values): `{nodeId,
    /// config, dependencies: {name: {protocol, host, port, authType, secret, …}}, secrets}`.
    /// Deno compatibility mode builds its nodes' `ctx` from it too.
    pub fn ctx_json(&self) -> &str {
        &self.ctx_json
    }
}

impl CapabilitiesBuilder {
    /// `ctx.config`. By default, `{}`.
    pub fn config(mut self, config: Value) -> Self {
        self.config = config;
        self
    }

    /// Declares a dependency (granted to this node or not, per [`Dependency::granted`]).
    pub fn dependency(mut self, name: impl Into<String>, dependency: Dependency) -> Self {
        self.dependencies.insert(name.into(), dependency);
        self
    }

    /// Declares every dependency of `deps`.
    pub fn dependencies(mut self, deps: BTreeMap<String, Dependency>) -> Self {
        self.dependencies.extend(deps);
        self
    }

    /// The secret values. By default, none.
    pub fn secrets(mut self, secrets: SecretValues) -> Self {
        self.secrets = secrets;
        self
    }

    /// Where checked requests go. By default, [`DenyAll`] (no network).
    pub fn transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = transport;
        self
    }

    /// Largest response body. By default, [`DEFAULT_MAX_RESPONSE_BODY`].
    pub fn max_response_body(mut self, bytes: usize) -> Self {
        self.max_response_body = bytes;
        self
    }

    /// Requests in flight per invocation. By default, [`DEFAULT_MAX_IN_FLIGHT`].
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = n.max(1);
        self
    }

    /// Requests to `dependency` trust `ca` and no other authority. By default, every
    /// dependency trusts the public roots.
    pub fn trust_only(mut self, dependency: impl Into<String>, ca: RootCa) -> Self {
        self.trust.insert(dependency.into(), ca);
        self
    }

    /// The capabilities, with the guest-visible `ctx` description derived from them.
    pub fn build(self) -> Capabilities {
        let ctx_json = ctx_json(&self);
        Capabilities {
            node_id: self.node_id,
            config: self.config,
            dependencies: self.dependencies,
            secrets: self.secrets,
            transport: self.transport,
            max_response_body: self.max_response_body,
            max_in_flight: self.max_in_flight,
            trust: self.trust,
            ctx_json,
        }
    }
}

/// `{nodeId, config, dependencies: {name: {protocol, host, port, authType, secret, …}},
/// secrets: {service: {key: placeholder}}}`.
fn ctx_json(b: &CapabilitiesBuilder) -> String {
    let mut deps = Map::new();
    for (name, d) in &b.dependencies {
        let secret = d
            .auth
            .as_ref()
            .and_then(|a| b.secrets.get(&a.secret).map(|_| a.secret.placeholder()));
        let mut obj = Map::new();
        obj.insert("protocol".into(), json!(d.protocol));
        obj.insert("host".into(), json!(d.host));
        obj.insert("port".into(), json!(d.port));
        obj.insert(
            "authType".into(),
            json!(d.auth.as_ref().map(|a| a.kind.as_str())),
        );
        obj.insert("secret".into(), json!(secret));
        for (k, v) in &d.extra {
            obj.entry(k.clone()).or_insert_with(|| v.clone());
        }
        deps.insert(name.clone(), Value::Object(obj));
    }
    let mut legacy = Map::new();
    for (r, _) in b.secrets.iter() {
        let svc = legacy.entry(r.service.clone()).or_insert_with(|| json!({}));
        svc[&r.key] = json!(r.placeholder());
    }
    json!({
        "nodeId": b.node_id,
        "config": b.config,
        "dependencies": deps,
        "secrets": legacy,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctx_shows_placeholders_and_never_values() {
        let secrets = SecretValues::new(BTreeMap::from([(
            "api".to_string(),
            BTreeMap::from([("token".to_string(), "very-secret-value".to_string())]),
        )]))
        .unwrap();
        let caps = Capabilities::builder("n")
            .secrets(secrets)
            .dependency(
                "api",
                Dependency {
                    protocol: "https".into(),
                    host: "api.example.com".into(),
                    port: 443,
                    auth: Some(Auth {
                        kind: AuthKind::parse("bearer-token").unwrap(),
                        secret: SecretRef::parse("api.token").unwrap(),
                        header: None,
                    }),
                    granted: true,
                    dynamic: None,
                    extra: Map::new(),
                },
            )
            .build();
        let ctx: Value = serde_json::from_str(caps.ctx_json()).unwrap();
        assert_eq!(
            ctx["dependencies"]["api"]["secret"],
            "tntc-secret:api.token"
        );
        assert_eq!(ctx["dependencies"]["api"]["authType"], "bearer-token");
        assert_eq!(ctx["secrets"]["api"]["token"], "tntc-secret:api.token");
        assert!(!caps.ctx_json().contains("very-secret-value"));
    }
}
