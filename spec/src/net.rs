//! Network values of a contract, shared by the spec, the NetworkPolicy builder and (later)
//! the sandbox's egress policy: address ranges ([`Cidr`]), ports with their IP protocol
//! ([`PortRule`], [`IpProtocol`]). Address classes and other types the sandbox's policy shares
//! with the spec belong here too.

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Serialize, Serializer};

use crate::text_value::text_value;

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

text_value!(
    Cidr,
    schema = "Cidr",
    {"type": "string", "description": "CIDR, e.g. \"10.0.0.0/8\""},
);

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
