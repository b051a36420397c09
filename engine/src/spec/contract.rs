//! The `contract` block: the dependencies a workflow declares and its extra network rules.
//! What follows from a contract (secrets, egress, grants) is in [`crate::contract`].

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

use indexmap::IndexMap;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Serialize, Serializer};

use super::ids::{DependencyName, SecretRef};
use super::model::Extensions;

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
    /// Anything else, kept as written; `validate` warns about it.
    Other(String),
}

impl Protocol {
    /// The protocols this version knows.
    pub const KNOWN: [&'static str; 8] = [
        "https",
        "http",
        "postgresql",
        "nats",
        "blob",
        "s3",
        "jsr",
        "npm",
    ];

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
            Self::Other(s) => s,
        }
    }

    /// The port used when a dependency declares none: https 443, http 80, postgresql 5432,
    /// nats 4222, blob 443, s3 443. Packages (jsr/npm) and unknown protocols have none.
    pub fn default_port(&self) -> Option<u16> {
        match self {
            Self::Https | Self::Blob | Self::S3 => Some(443),
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

    /// True for http/https: nodes reach it with `fetch`.
    pub fn is_http(&self) -> bool {
        matches!(self, Self::Https | Self::Http)
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Protocol {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl JsonSchema for Protocol {
    fn schema_name() -> Cow<'static, str> {
        "Protocol".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "examples": Protocol::KNOWN,
            "description": "https, http, postgresql, nats, blob, s3, jsr or npm",
        })
    }
}

/// How requests to a dependency authenticate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Auth {
    /// The scheme, e.g. `bearer-token`, `api-key`, `webhook-url`, `password`. Any non-empty
    /// string is accepted; the host injects the ones it knows.
    #[serde(rename = "type")]
    pub kind: String,
    /// The secret that holds the credential, `"<service>.<key>"`.
    pub secret: SecretRef,
}

/// An IPv4 or IPv6 network in CIDR notation, e.g. `10.0.0.0/8`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cidr {
    text: String,
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `addr/prefix`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "\"{text}\" is not a valid CIDR: write an address and a prefix length, e.g. \"10.0.0.0/8\""
            )
        };
        let (a, p) = text.trim().split_once('/').ok_or_else(bad)?;
        let addr: IpAddr = a.parse().map_err(|_| bad())?;
        let prefix: u8 = p.parse().map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return Err(bad());
        }
        Ok(Self {
            text: text.trim().to_string(),
            addr,
            prefix,
        })
    }

    /// The network address as written.
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// True when `ip` is inside this network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(i)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(i) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(i)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(i) & mask
            }
            _ => false,
        }
    }

    /// The CIDR as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Cidr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl JsonSchema for Cidr {
    fn schema_name() -> Cow<'static, str> {
        "Cidr".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "description": "CIDR, e.g. \"10.0.0.0/8\""})
    }
}

/// A transport protocol in a port rule.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, JsonSchema,
)]
pub enum Transport {
    /// TCP (the default).
    #[default]
    #[serde(rename = "TCP")]
    Tcp,
    /// UDP.
    #[serde(rename = "UDP")]
    Udp,
    /// SCTP.
    #[serde(rename = "SCTP")]
    Sctp,
}

impl Transport {
    /// `"TCP"`, `"UDP"` or `"SCTP"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Tcp => "TCP",
            Transport::Udp => "UDP",
            Transport::Sctp => "SCTP",
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A port and transport, written `"443/TCP"` (the transport defaults to TCP: `"443"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PortRule {
    /// The port, 1–65535.
    pub port: u16,
    /// The transport.
    pub protocol: Transport,
}

impl PortRule {
    /// Parses `"443/TCP"`, `"53/UDP"` or `"8080"`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "port \"{text}\" is not valid: write a port and optionally a protocol, e.g. \"443/TCP\""
            )
        };
        let t = text.trim();
        let (p, proto) = t.split_once('/').unwrap_or((t, "TCP"));
        let port: u16 = p.parse().map_err(|_| bad())?;
        if port == 0 {
            return Err(bad());
        }
        let protocol = match proto.to_ascii_uppercase().as_str() {
            "TCP" => Transport::Tcp,
            "UDP" => Transport::Udp,
            "SCTP" => Transport::Sctp,
            _ => return Err(bad()),
        };
        Ok(Self { port, protocol })
    }
}

impl fmt::Display for PortRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.port, self.protocol)
    }
}

impl Serialize for PortRule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl JsonSchema for PortRule {
    fn schema_name() -> Cow<'static, str> {
        "PortRule".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": ["string", "integer"],
            "pattern": "^[0-9]+(/(TCP|UDP|SCTP))?$",
            "description": "a port and optionally a protocol, e.g. \"443/TCP\"",
        })
    }
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
    pub additional_egress: Vec<CidrEgress>,
}

/// One `additionalEgress` entry.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CidrEgress {
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

    #[test]
    fn cidrs() {
        let c = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(c.contains("10.1.2.3".parse().unwrap()));
        assert!(!c.contains("11.1.2.3".parse().unwrap()));
        assert!(
            Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        assert!(
            Cidr::parse("fd00::/8")
                .unwrap()
                .contains("fd12::1".parse().unwrap())
        );
        for bad in ["10.0.0.0", "10.0.0.0/33", "x/8", "::/129", ""] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn port_rules() {
        assert_eq!(PortRule::parse("443/TCP").unwrap().to_string(), "443/TCP");
        assert_eq!(PortRule::parse("53/udp").unwrap().to_string(), "53/UDP");
        assert_eq!(PortRule::parse("8080").unwrap().to_string(), "8080/TCP");
        for bad in ["0", "70000", "443/ICMP", "abc", ""] {
            assert!(PortRule::parse(bad).is_err(), "{bad}");
        }
    }
}
