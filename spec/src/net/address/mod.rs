//! Address classes and CIDR blocks: which IP addresses a node's requests may reach.
//!
//! One table ([`SPECIAL`]) lists the IANA special-purpose blocks of IPv4 and IPv6 and the
//! cloud metadata addresses that sit outside them. An address is classified *after*
//! unwrapping the IPv6 forms that carry an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64
//! `64:ff9b::/96`, 6to4 `2002::/16`, Teredo `2001::/32`), so `::ffff:127.0.0.1`,
//! `64:ff9b::7f00:1` and `2002:7f00:1::` are loopback like `127.0.0.1`.
//!
//! | destination | may reach |
//! |---|---|
//! | a declared host name (resolved by the host) | [`AddressClass::Public`] and [`AddressClass::Private`] addresses; never loopback, link-local, metadata, unspecified, multicast, broadcast or reserved ones (DNS rebinding defence) |
//! | a `dynamic-target` block | addresses inside the block; a special-purpose address (private included) only when the block lies entirely **inside** that special range — `0.0.0.0/0` or `0.0.0.0/1` never open loopback, `10.0.0.0/8` opens `10.0.0.0/8` |

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

use ipnet::IpNet;

use super::Cidr;

/// What kind of address an IP is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum AddressClass {
    /// Globally routable.
    Public,
    /// Private networks (RFC 1918, shared address space RFC 6598, unique-local `fc00::/7`):
    /// reachable by declared host names, in-cluster services among them.
    Private,
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// `169.254.0.0/16`, `fe80::/10`.
    LinkLocal,
    /// A cloud provider's instance metadata service.
    Metadata,
    /// `0.0.0.0/8`, `::`.
    Unspecified,
    /// `224.0.0.0/4`, `ff00::/8`.
    Multicast,
    /// `255.255.255.255`.
    Broadcast,
    /// Documentation, benchmarking, protocol assignments and other reserved blocks.
    Reserved,
}

impl AddressClass {
    /// Whether a declared host name may resolve to an address of this class.
    pub fn reachable_by_name(self) -> bool {
        matches!(self, AddressClass::Public | AddressClass::Private)
    }
}

impl fmt::Display for AddressClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AddressClass::Public => "public",
            AddressClass::Private => "private",
            AddressClass::Loopback => "loopback",
            AddressClass::LinkLocal => "link-local",
            AddressClass::Metadata => "cloud metadata",
            AddressClass::Unspecified => "unspecified",
            AddressClass::Multicast => "multicast",
            AddressClass::Broadcast => "broadcast",
            AddressClass::Reserved => "reserved",
        })
    }
}

/// The special-purpose blocks, most specific first (metadata addresses before the blocks
/// that hold them). Sources: the IANA IPv4 and IPv6 Special-Purpose Address Registries, and
/// the metadata endpoints of AWS, GCP, Azure, Oracle and Alibaba clouds.
pub const SPECIAL: &[(&str, AddressClass)] = &[
    // Cloud metadata.
    ("169.254.169.254/32", AddressClass::Metadata),
    ("169.254.170.2/32", AddressClass::Metadata),
    ("169.254.169.123/32", AddressClass::Metadata),
    ("100.100.100.200/32", AddressClass::Metadata),
    ("192.0.0.192/32", AddressClass::Metadata),
    ("168.63.129.16/32", AddressClass::Metadata),
    ("fd00:ec2::254/128", AddressClass::Metadata),
    ("fd00:ec2::23/128", AddressClass::Metadata),
    ("fd20:ce::254/128", AddressClass::Metadata),
    // IPv4.
    ("0.0.0.0/8", AddressClass::Unspecified),
    ("10.0.0.0/8", AddressClass::Private),
    ("100.64.0.0/10", AddressClass::Private),
    ("127.0.0.0/8", AddressClass::Loopback),
    ("169.254.0.0/16", AddressClass::LinkLocal),
    ("172.16.0.0/12", AddressClass::Private),
    ("192.0.0.0/24", AddressClass::Reserved),
    ("192.0.2.0/24", AddressClass::Reserved),
    ("192.31.196.0/24", AddressClass::Reserved),
    ("192.52.193.0/24", AddressClass::Reserved),
    ("192.88.99.0/24", AddressClass::Reserved),
    ("192.168.0.0/16", AddressClass::Private),
    ("192.175.48.0/24", AddressClass::Reserved),
    ("198.18.0.0/15", AddressClass::Reserved),
    ("198.51.100.0/24", AddressClass::Reserved),
    ("203.0.113.0/24", AddressClass::Reserved),
    ("224.0.0.0/4", AddressClass::Multicast),
    ("255.255.255.255/32", AddressClass::Broadcast),
    ("240.0.0.0/4", AddressClass::Reserved),
    // IPv6 (the forms that embed an IPv4 address are unwrapped before this table is used).
    ("::/128", AddressClass::Unspecified),
    ("::1/128", AddressClass::Loopback),
    ("64:ff9b:1::/48", AddressClass::Reserved),
    ("100::/64", AddressClass::Reserved),
    ("2001::/23", AddressClass::Reserved),
    ("2001:db8::/32", AddressClass::Reserved),
    ("3fff::/20", AddressClass::Reserved),
    ("5f00::/16", AddressClass::Reserved),
    ("fc00::/7", AddressClass::Private),
    ("fe80::/10", AddressClass::LinkLocal),
    ("fec0::/10", AddressClass::Reserved),
    ("ff00::/8", AddressClass::Multicast),
    ("::/96", AddressClass::Reserved),
];

/// How an address classifies: its class and the special-purpose block it falls in (`None`
/// for public addresses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classified {
    /// The class.
    pub class: AddressClass,
    /// The special-purpose block that decided it, in the family it was found in.
    pub range: Option<IpNet>,
}

/// Classifies `ip`, after unwrapping any IPv4 address an IPv6 form carries. When an IPv6
/// address embeds an IPv4 one, the more restrictive of the two classifications wins.
pub fn classify(ip: IpAddr) -> Classified {
    match ip {
        IpAddr::V4(v4) => lookup(IpAddr::V4(v4)),
        IpAddr::V6(v6) => {
            let own = lookup(IpAddr::V6(v6));
            let embedded = embedded_ipv4(v6).map(|v4| lookup(IpAddr::V4(v4)));
            match embedded {
                Some(e) if e.class != AddressClass::Public => e,
                // `::/96` (IPv4-compatible) and `2001::/23` only read as special because of
                // their v6 block; what they carry is what they reach.
                Some(e) if is_wrapper(v6) => e,
                _ => own,
            }
        }
    }
}

/// [`SPECIAL`], parsed once.
static TABLE: LazyLock<Vec<(IpNet, AddressClass)>> = LazyLock::new(|| {
    SPECIAL
        .iter()
        .map(|(block, class)| {
            (
                block.parse().expect("the special-purpose table parses"),
                *class,
            )
        })
        .collect()
});

fn lookup(ip: IpAddr) -> Classified {
    for (net, class) in TABLE.iter() {
        if net.contains(&ip) {
            return Classified {
                class: *class,
                range: Some(*net),
            };
        }
    }
    Classified {
        class: AddressClass::Public,
        range: None,
    }
}

/// Whether `v6` is one of the forms whose meaning is the IPv4 address inside.
fn is_wrapper(v6: Ipv6Addr) -> bool {
    let s = v6.segments();
    v6.to_ipv4_mapped().is_some()
        || (s[..6] == [0; 6] && v6 != Ipv6Addr::UNSPECIFIED && v6 != Ipv6Addr::LOCALHOST)
        || (s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0; 4])
        || s[0] == 0x2002
        || (s[0] == 0x2001 && s[1] == 0)
}

/// The IPv4 address an IPv6 address carries: IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible
/// `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`, 6to4 `2002:AABB:CCDD::/48`, or the client address
/// of Teredo `2001:0::/32` (stored inverted in the last 32 bits).
pub fn embedded_ipv4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    if s[..6] == [0; 6] && v6 != Ipv6Addr::UNSPECIFIED && v6 != Ipv6Addr::LOCALHOST {
        return Some(tail);
    }
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0; 4] {
        return Some(tail);
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ));
    }
    if s[0] == 0x2001 && s[1] == 0 {
        let t = u32::from(tail) ^ 0xffff_ffff;
        return Some(Ipv4Addr::from(t));
    }
    None
}

/// Whether a declared host name may connect to `ip` once resolved.
pub fn reachable_by_name(ip: IpAddr) -> bool {
    classify(ip).class.reachable_by_name()
}

/// Whether a `dynamic-target` with `blocks` may connect to `ip`: inside a block, and, for a
/// special-purpose address, inside a block that itself lies inside that special range.
pub fn reachable_in_blocks(ip: IpAddr, blocks: &[Cidr]) -> bool {
    let c = classify(ip);
    blocks.iter().any(|b| {
        b.contains(ip)
            && match c.range {
                None => true,
                Some(range) => range.contains(b.net()),
            }
    })
}

#[cfg(test)]
mod tests;
