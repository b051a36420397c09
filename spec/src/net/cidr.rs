//! CIDR blocks as the contract writes them (`cidr`, `networkPolicy.additionalEgress[].toCIDR`).

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::{IpNet, Ipv4Net};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Serialize, Serializer};

/// A CIDR block, e.g. `10.0.0.0/8`: an address with no host bits set, and a prefix length.
/// IPv4-mapped IPv6 blocks (`::ffff:10.0.0.0/104`) are kept in their IPv4 form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr(IpNet);

/// Why a CIDR block does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CidrError {
    /// Not `address/prefix`, or the prefix is too long for the address family.
    #[error("\"{given}\" is not a CIDR block (write it as address/prefix, e.g. 10.0.0.0/8)")]
    Malformed {
        /// The text as written.
        given: String,
    },
    /// Bits after the prefix are set, so the block is not what it seems to say.
    #[error(
        "\"{given}\" has host bits set after the /{prefix} prefix; the block it means is {corrected}"
    )]
    HostBits {
        /// The text as written.
        given: String,
        /// The prefix length.
        prefix: u8,
        /// The block with the host bits cleared.
        corrected: Cidr,
    },
}

impl Cidr {
    /// Parses `a.b.c.d/n` or `x::y/n`, refusing host bits.
    pub fn parse(s: &str) -> Result<Self, CidrError> {
        let malformed = || CidrError::Malformed {
            given: s.to_string(),
        };
        if !s.contains('/') {
            return Err(malformed());
        }
        let net = IpNet::from_str(s.trim()).map_err(|_| malformed())?;
        let net = match net {
            IpNet::V6(v6) if v6.prefix_len() >= 96 && v6.addr().to_ipv4_mapped().is_some() => {
                let v4 = v6.addr().to_ipv4_mapped().expect("checked");
                IpNet::V4(Ipv4Net::new(v4, v6.prefix_len() - 96).map_err(|_| malformed())?)
            }
            other => other,
        };
        if net.addr() != net.network() {
            return Err(CidrError::HostBits {
                given: s.to_string(),
                prefix: net.prefix_len(),
                corrected: Cidr(net.trunc()),
            });
        }
        Ok(Cidr(net))
    }

    /// The network address.
    pub fn network(&self) -> IpAddr {
        self.0.network()
    }

    /// The block as an [`IpNet`].
    pub fn net(&self) -> &IpNet {
        &self.0
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.0.prefix_len()
    }

    /// Whether `ip` lies inside this block (IPv4-mapped addresses compare as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        self.0.contains(&ip)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for Cidr {
    type Err = CidrError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cidr::parse(s)
    }
}

impl Serialize for Cidr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl JsonSchema for Cidr {
    fn schema_name() -> Cow<'static, str> {
        "Cidr".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "description": "CIDR block with no host bits set, e.g. \"10.0.0.0/8\""})
    }
}
