//! What one node may do: its dependencies (granted or not), its secrets, its config, and the
//! transport its requests go through.
//!
//! Built once per node per workflow version (validate once, then per-node state, as Spin's
//! factors do) and shared by every invocation of that node.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::fetch::Transport;

/// The prefix of secret placeholders: `tntc-secret:<service>.<key>`.
pub const PLACEHOLDER_PREFIX: &str = "tntc-secret:";

/// A reference to one secret value: `service.key`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SecretRef {
    /// The service (first part of `auth.secret`).
    pub service: String,
    /// The key within that service.
    pub key: String,
}

impl SecretRef {
    /// Parses `service.key`.
    pub fn parse(s: &str) -> Option<Self> {
        let (service, key) = s.split_once('.')?;
        (!service.is_empty() && !key.is_empty()).then(|| SecretRef {
            service: service.into(),
            key: key.into(),
        })
    }

    /// The opaque string a node sees instead of the value.
    pub fn placeholder(&self) -> String {
        format!("{PLACEHOLDER_PREFIX}{}.{}", self.service, self.key)
    }
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.service, self.key)
    }
}

/// How the host authenticates requests to a dependency (`contract.dependencies.<d>.auth`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Auth {
    /// `bearer-token`, `bearer`, `api-token`, `api-key`, `basic`, `webhook-url`, `header`, or
    /// another value (then nothing is injected; placeholders are still substituted).
    pub kind: String,
    /// The secret that authenticates.
    pub secret: SecretRef,
    /// Header name for `api-key` (default `X-API-Key`) and `header`.
    pub header: Option<String>,
}

/// A CIDR block, e.g. `10.0.0.0/8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n` or `x::y/n`.
    pub fn parse(s: &str) -> Option<Self> {
        let (addr, prefix) = s.split_once('/')?;
        let addr: IpAddr = addr.parse().ok()?;
        let prefix: u8 = prefix.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        (prefix <= max).then_some(Cidr { addr, prefix })
    }

    /// The network address.
    pub fn network(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether `ip` lies inside this block.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, crate::fetch::canonical_ip(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - self.prefix as u32).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - self.prefix as u32).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
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

/// Secret values by service and key. `Debug` never shows values.
#[derive(Clone, Default)]
pub struct SecretValues(BTreeMap<String, BTreeMap<String, String>>);

impl SecretValues {
    /// Wraps resolved secrets (`service → key → value`).
    pub fn new(values: BTreeMap<String, BTreeMap<String, String>>) -> Self {
        SecretValues(values)
    }

    /// The value behind `r`, if provisioned.
    pub fn get(&self, r: &SecretRef) -> Option<&str> {
        self.0.get(&r.service)?.get(&r.key).map(String::as_str)
    }

    /// Every `(ref, value)`.
    pub fn iter(&self) -> impl Iterator<Item = (SecretRef, &str)> {
        self.0.iter().flat_map(|(s, keys)| {
            keys.iter().map(move |(k, v)| {
                (
                    SecretRef {
                        service: s.clone(),
                        key: k.clone(),
                    },
                    v.as_str(),
                )
            })
        })
    }

    /// The keys of one service.
    pub fn service(&self, service: &str) -> Option<&BTreeMap<String, String>> {
        self.0.get(service)
    }
}

impl fmt::Debug for SecretValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self.iter().map(|(r, _)| r.to_string()).collect();
        f.debug_tuple("SecretValues").field(&names).finish()
    }
}

/// Everything one node may use. Built once per node; cheap to share (`Arc`).
#[derive(Debug)]
pub struct Capabilities {
    /// The node's id (for messages).
    pub node_id: String,
    /// `ctx.config`.
    pub config: Value,
    /// Every declared dependency, granted to this node or not.
    pub dependencies: BTreeMap<String, Dependency>,
    /// Secret values; nodes only ever see placeholders.
    pub secrets: SecretValues,
    /// Where checked requests go (the network, or fixtures in tests).
    pub transport: Arc<dyn Transport>,
    /// Largest response body a node may receive, in bytes. By default, 10 MiB.
    pub max_response_body: usize,
    ctx_json: String,
}

impl Capabilities {
    /// Builds a node's capabilities and precomputes the guest-visible `ctx` description.
    pub fn new(
        node_id: impl Into<String>,
        config: Value,
        dependencies: BTreeMap<String, Dependency>,
        secrets: SecretValues,
        transport: Arc<dyn Transport>,
    ) -> Self {
        let node_id = node_id.into();
        let mut deps = Map::new();
        for (name, d) in &dependencies {
            let secret = d
                .auth
                .as_ref()
                .and_then(|a| secrets.get(&a.secret).map(|_| a.secret.placeholder()));
            let mut obj = Map::new();
            obj.insert("protocol".into(), json!(d.protocol));
            obj.insert("host".into(), json!(d.host));
            obj.insert("port".into(), json!(d.port));
            obj.insert(
                "authType".into(),
                json!(d.auth.as_ref().map(|a| a.kind.clone())),
            );
            obj.insert("secret".into(), json!(secret));
            for (k, v) in &d.extra {
                obj.entry(k.clone()).or_insert_with(|| v.clone());
            }
            deps.insert(name.clone(), Value::Object(obj));
        }
        let mut legacy = Map::new();
        for (r, _) in secrets.iter() {
            let svc = legacy.entry(r.service.clone()).or_insert_with(|| json!({}));
            svc[&r.key] = json!(r.placeholder());
        }
        let ctx_json = json!({
            "nodeId": node_id,
            "config": config,
            "dependencies": deps,
            "secrets": legacy,
        })
        .to_string();
        Capabilities {
            node_id,
            config,
            dependencies,
            secrets,
            transport,
            max_response_body: 10 * 1024 * 1024,
            ctx_json,
        }
    }

    /// The JSON the guest turns into `ctx` (placeholders only, never values).
    pub(crate) fn ctx_json(&self) -> &str {
        &self.ctx_json
    }
}
