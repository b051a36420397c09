//! The `contract` block: the dependencies a workflow declares and its extra network rules.
//! What follows from a contract (secrets, egress, grants) is in [`crate::derived`]; the network
//! values it uses (CIDRs, port rules) are in `net`.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Serialize;

use crate::auth::AuthKind;
use crate::ids::{DependencyName, SecretRef};
use crate::net::{Cidr, PortRule};
use crate::text_value::text_value;
use crate::values::Extensions;

/// The `contract` block.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(extend("x-tentacular-extensions" = true))]
pub struct Contract {
    /// Contract format version; must be `"1"`.
    pub version: String,
    /// Everything outside the workflow that nodes may reach, by name, in the order written.
    #[serde(default)]
    pub dependencies: IndexMap<DependencyName, Dependency>,
    /// Extra network rules.
    #[serde(
        default,
        rename = "networkPolicy",
        skip_serializing_if = "Option::is_none"
    )]
    pub network_policy: Option<NetworkPolicy>,
    /// `x-*` keys, kept as written.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// One declared dependency.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(extend("x-tentacular-extensions" = true))]
pub struct Dependency {
    /// How it is spoken to.
    pub protocol: Protocol,
    /// Host name (or, for jsr/npm, the package, e.g. `@db/postgres`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Port. By default, the protocol's ([`Protocol::default_port`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Database name (postgresql).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// User name (postgresql).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Subject (nats).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Container (blob).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// Package version or range (jsr/npm).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `dynamic-target`: any address in `cidr` on `dynPorts`, for hosts known only at run time.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<DependencyKind>,
    /// The address range of a dynamic target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr: Option<Cidr>,
    /// The ports of a dynamic target, e.g. `["443/TCP"]`.
    #[serde(default, rename = "dynPorts", skip_serializing_if = "Vec::is_empty")]
    pub dyn_ports: Vec<PortRule>,
    /// How requests authenticate, and which secret they use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<Auth>,
    /// Other keys, kept as written (`x-*`, and unknown keys, which `validate` warns about).
    #[serde(flatten)]
    pub extensions: Extensions,
}

impl Dependency {
    /// The declared port, else the protocol's default.
    pub fn effective_port(&self) -> Option<u16> {
        self.port.or_else(|| self.protocol.default_port())
    }

    /// The declared host; for `kubernetes`, by default [`Protocol::KUBERNETES_HOST`].
    pub fn effective_host(&self) -> Option<&str> {
        match (&self.host, &self.protocol) {
            (Some(h), _) => Some(h),
            (None, Protocol::Kubernetes) => Some(Protocol::KUBERNETES_HOST),
            (None, _) => None,
        }
    }

    /// True for `type: dynamic-target`.
    pub fn is_dynamic_target(&self) -> bool {
        self.kind == Some(DependencyKind::DynamicTarget)
    }
}

/// A dependency's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, JsonSchema)]
pub enum DependencyKind {
    /// Hosts known only at run time, limited to a CIDR and ports.
    #[serde(rename = "dynamic-target")]
    DynamicTarget,
}

/// A dependency's protocol.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// HTTPS (default port 443).
    Https,
    /// Plain HTTP (default port 80).
    Http,
    /// PostgreSQL (default port 5432).
    Postgresql,
    /// NATS (default port 4222).
    Nats,
    /// Azure Blob storage (default port 443).
    Blob,
    /// S3-compatible object storage (default port 443).
    S3,
    /// A JSR package, fetched at module-load time (no port).
    Jsr,
    /// An npm package, fetched at module-load time (no port).
    Npm,
    /// The cluster's own API server, reached over HTTPS as the workflow's service account: the
    /// host injects the account's token and trusts only the account's `ca.crt` for it (the node
    /// never sees the token). Host by default [`Protocol::KUBERNETES_HOST`], port 443.
    Kubernetes,
    /// Anything else, kept as written; `validate` warns about it.
    Other(String),
}

impl Protocol {
    /// The protocols this version knows.
    pub const KNOWN: [&'static str; 9] = [
        "https",
        "http",
        "postgresql",
        "nats",
        "blob",
        "s3",
        "jsr",
        "npm",
        "kubernetes",
    ];

    /// Where a `kubernetes` dependency goes when it names no host: the API server's in-cluster
    /// service name (which its serving certificate covers).
    pub const KUBERNETES_HOST: &'static str = "kubernetes.default.svc";

    /// Reads a protocol name; unknown names become [`Protocol::Other`].
    pub fn from_name(name: &str) -> Self {
        match name {
            "https" => Self::Https,
            "http" => Self::Http,
            "postgresql" => Self::Postgresql,
            "nats" => Self::Nats,
            "blob" => Self::Blob,
            "s3" => Self::S3,
            "jsr" => Self::Jsr,
            "npm" => Self::Npm,
            "kubernetes" => Self::Kubernetes,
            other => Self::Other(other.to_string()),
        }
    }

    /// The name as written in YAML.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Https => "https",
            Self::Http => "http",
            Self::Postgresql => "postgresql",
            Self::Nats => "nats",
            Self::Blob => "blob",
            Self::S3 => "s3",
            Self::Jsr => "jsr",
            Self::Npm => "npm",
            Self::Kubernetes => "kubernetes",
            Self::Other(s) => s,
        }
    }

    /// The port used when a dependency declares none: https 443, http 80, postgresql 5432,
    /// nats 4222, blob 443, s3 443, kubernetes 443. Packages (jsr/npm) and unknown protocols have none.
    pub fn default_port(&self) -> Option<u16> {
        match self {
            Self::Https | Self::Blob | Self::S3 | Self::Kubernetes => Some(443),
            Self::Http => Some(80),
            Self::Postgresql => Some(5432),
            Self::Nats => Some(4222),
            Self::Jsr | Self::Npm | Self::Other(_) => None,
        }
    }

    /// True for jsr/npm: a package, not a network endpoint a node talks to.
    pub fn is_package(&self) -> bool {
        matches!(self, Self::Jsr | Self::Npm)
    }

    /// True for http/https (and kubernetes, which is HTTPS): nodes reach it with `fetch`.
    pub fn is_http(&self) -> bool {
        matches!(self, Self::Https | Self::Http | Self::Kubernetes)
    }
}

text_value!(
    Protocol,
    schema = "Protocol",
    {
        "type": "string",
        "examples": Protocol::KNOWN,
        "description": "https, http, postgresql, nats, blob, s3, jsr, npm or kubernetes",
    },
);

/// How requests to a dependency authenticate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Auth {
    /// The scheme, e.g. `bearer-token`, `api-key`, `webhook-url`, `password`. Another
    /// non-empty kind is accepted with a warning (nothing is injected for it); a near miss of
    /// a known kind is an error.
    #[serde(rename = "type")]
    pub kind: AuthKind,
    /// The secret that holds the credential, `"<service>.<key>"`.
    pub secret: SecretRef,
}

/// The `contract.networkPolicy` block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkPolicy {
    /// Extra egress to address ranges.
    #[serde(
        default,
        rename = "additionalEgress",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub additional_egress: Vec<AdditionalEgress>,
}

/// One `additionalEgress` entry.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "CidrEgress")]
pub struct AdditionalEgress {
    /// The address range.
    #[serde(rename = "toCIDR")]
    pub to_cidr: Cidr,
    /// Ports, e.g. `["443/TCP"]`. By default (empty), all ports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<PortRule>,
    /// Why it is needed, for reviewers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_ports_include_http_and_blob() {
        assert_eq!(Protocol::from_name("http").default_port(), Some(80));
        assert_eq!(Protocol::from_name("blob").default_port(), Some(443));
        assert_eq!(Protocol::from_name("s3").default_port(), Some(443));
        assert_eq!(Protocol::from_name("https").default_port(), Some(443));
        assert_eq!(Protocol::from_name("postgresql").default_port(), Some(5432));
        assert_eq!(Protocol::from_name("nats").default_port(), Some(4222));
        assert_eq!(Protocol::from_name("npm").default_port(), None);
        assert_eq!(Protocol::from_name("ftp"), Protocol::Other("ftp".into()));
    }
}
