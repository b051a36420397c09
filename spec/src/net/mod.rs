//! Network values of a contract, shared by the spec, the NetworkPolicy builder and the
//! sandbox's egress policy: address blocks ([`Cidr`]), which addresses are special
//! ([`address`]: one table of the IANA special-purpose blocks and cloud metadata addresses),
//! and ports with their IP protocol ([`PortRule`], [`IpProtocol`]).

pub mod address;
mod cidr;

pub use address::AddressClass;
pub use cidr::{Cidr, CidrError};

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Serialize, Serializer};

/// The IP protocol of a port rule: TCP, UDP or SCTP (Kubernetes' spelling).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, JsonSchema,
)]
pub enum IpProtocol {
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

impl IpProtocol {
    /// `"TCP"`, `"UDP"` or `"SCTP"`.
    pub fn as_str(self) -> &'static str {
        match self {
            IpProtocol::Tcp => "TCP",
            IpProtocol::Udp => "UDP",
            IpProtocol::Sctp => "SCTP",
        }
    }
}

impl fmt::Display for IpProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A port and IP protocol, written `"443/TCP"` (the transport defaults to TCP: `"443"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortRule {
    /// The port, 1–65535.
    pub port: u16,
    /// The IP protocol.
    pub protocol: IpProtocol,
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
            "TCP" => IpProtocol::Tcp,
            "UDP" => IpProtocol::Udp,
            "SCTP" => IpProtocol::Sctp,
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

#[cfg(test)]
mod tests {
    use super::*;

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
