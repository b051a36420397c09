//! Address classification and CIDR parsing on arbitrary input: an IPv6 address that embeds
//! an IPv4 one (mapped, compatible, NAT64, 6to4, Teredo) is never more reachable than the
//! address it embeds, and a parsed CIDR block contains its own network address.
#![no_main]

use std::net::{IpAddr, Ipv6Addr};

use libfuzzer_sys::fuzz_target;
use tentacular_spec::Cidr;
use tentacular_spec::net::address::{embedded_ipv4, reachable_by_name, reachable_in_blocks};

fuzz_target!(|data: &[u8]| {
    if data.len() >= 16 {
        let bytes: [u8; 16] = data[..16].try_into().expect("16 bytes");
        let v6 = Ipv6Addr::from(bytes);
        if let Some(v4) = embedded_ipv4(v6) {
            if reachable_by_name(IpAddr::V6(v6)) {
                assert!(
                    reachable_by_name(IpAddr::V4(v4)),
                    "{v6} reachable, {v4} not"
                );
            }
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(block) = Cidr::parse(text) {
            assert!(block.contains(block.network()), "{text}");
            if let Some(ip) = data.get(..4) {
                let ip = IpAddr::from([ip[0], ip[1], ip[2], ip[3]]);
                let _ = reachable_in_blocks(ip, &[block]);
            }
        }
    }
});
