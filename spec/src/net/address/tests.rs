//! Table and property tests for address classification and CIDR blocks.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;

use super::*;
use crate::net::CidrError;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn blocks(list: &[&str]) -> Vec<Cidr> {
    list.iter().map(|b| Cidr::parse(b).unwrap()).collect()
}

#[test]
fn every_spelling_of_an_internal_address_classifies_as_internal() {
    let cases = [
        ("127.0.0.1", AddressClass::Loopback),
        ("127.255.255.254", AddressClass::Loopback),
        ("::1", AddressClass::Loopback),
        ("::ffff:127.0.0.1", AddressClass::Loopback),
        ("::127.0.0.1", AddressClass::Loopback),
        ("64:ff9b::7f00:1", AddressClass::Loopback),
        ("2002:7f00:1::", AddressClass::Loopback),
        (
            "2001:0:4136:e378:8000:63bf:80ff:fffe",
            AddressClass::Loopback,
        ),
        ("169.254.169.254", AddressClass::Metadata),
        ("::ffff:169.254.169.254", AddressClass::Metadata),
        ("64:ff9b::a9fe:a9fe", AddressClass::Metadata),
        ("2002:a9fe:a9fe::1", AddressClass::Metadata),
        ("fd00:ec2::254", AddressClass::Metadata),
        ("100.100.100.200", AddressClass::Metadata),
        ("192.0.0.192", AddressClass::Metadata),
        ("168.63.129.16", AddressClass::Metadata),
        ("169.254.1.1", AddressClass::LinkLocal),
        ("fe80::1", AddressClass::LinkLocal),
        ("0.0.0.0", AddressClass::Unspecified),
        ("0.1.2.3", AddressClass::Unspecified),
        ("::", AddressClass::Unspecified),
        ("::ffff:0.0.0.0", AddressClass::Unspecified),
        ("224.0.0.1", AddressClass::Multicast),
        ("ff02::1", AddressClass::Multicast),
        ("255.255.255.255", AddressClass::Broadcast),
        ("240.0.0.1", AddressClass::Reserved),
        ("192.0.2.10", AddressClass::Reserved),
        ("2001:db8::1", AddressClass::Reserved),
        ("64:ff9b:1::1", AddressClass::Reserved),
        ("10.1.2.3", AddressClass::Private),
        ("172.16.0.1", AddressClass::Private),
        ("192.168.1.1", AddressClass::Private),
        ("100.64.0.1", AddressClass::Private),
        ("fd12:3456::1", AddressClass::Private),
        ("::ffff:10.0.0.1", AddressClass::Private),
        ("8.8.8.8", AddressClass::Public),
        ("2606:4700::1111", AddressClass::Public),
        ("64:ff9b::808:808", AddressClass::Public),
        ("2002:808:808::1", AddressClass::Public),
    ];
    for (addr, class) in cases {
        assert_eq!(classify(ip(addr)).class, class, "{addr}");
        assert_eq!(
            reachable_by_name(ip(addr)),
            matches!(class, AddressClass::Public | AddressClass::Private),
            "{addr}"
        );
    }
}

#[test]
fn a_block_opens_a_special_range_only_when_it_lies_inside_it() {
    let cases: &[(&[&str], &str, bool)] = &[
        (&["0.0.0.0/0"], "8.8.8.8", true),
        (&["0.0.0.0/0"], "127.0.0.1", false),
        (&["0.0.0.0/1"], "127.0.0.1", false),
        (&["0.0.0.0/1"], "10.0.0.1", false),
        (&["128.0.0.0/1"], "169.254.169.254", false),
        (&["128.0.0.0/1"], "192.168.0.1", false),
        (&["::/0"], "::1", false),
        (&["::/0"], "::ffff:127.0.0.1", false),
        (&["::/0"], "64:ff9b::7f00:1", false),
        (&["::/0"], "2606:4700::1111", true),
        (&["10.0.0.0/8"], "10.2.3.4", true),
        (&["10.1.0.0/16"], "10.1.9.9", true),
        (&["10.1.0.0/16"], "10.2.0.1", false),
        (&["127.0.0.0/8"], "127.0.0.1", true),
        (&["127.0.0.1/32"], "::ffff:127.0.0.1", true),
        (&["169.254.0.0/16"], "169.254.169.254", false),
        (&["169.254.169.254/32"], "169.254.169.254", true),
        (&["100.64.0.0/10"], "100.100.100.200", false),
        (&["fc00::/7"], "fd00:ec2::254", false),
        (&["8.8.8.0/24", "10.0.0.0/8"], "10.0.0.1", true),
    ];
    for (list, addr, allowed) in cases {
        assert_eq!(
            reachable_in_blocks(ip(addr), &blocks(list)),
            *allowed,
            "{list:?} → {addr}"
        );
    }
}

#[test]
fn cidr_blocks_with_host_bits_are_refused_with_the_block_they_mean() {
    let cases = [
        ("127.0.0.1/1", "0.0.0.0/1"),
        ("169.254.0.0/1", "128.0.0.0/1"),
        ("10.0.0.1/8", "10.0.0.0/8"),
        ("fd00::1/8", "fd00::/8"),
    ];
    for (given, corrected) in cases {
        match Cidr::parse(given) {
            Err(CidrError::HostBits { corrected: c, .. }) => {
                assert_eq!(c.to_string(), corrected, "{given}")
            }
            other => panic!("{given}: {other:?}"),
        }
    }
    for bad in [
        "10.0.0.0",
        "10.0.0.0/33",
        "::/129",
        "x/8",
        "10.0.0.0/-1",
        "",
    ] {
        assert!(
            matches!(Cidr::parse(bad), Err(CidrError::Malformed { .. })),
            "{bad}"
        );
    }
    assert_eq!(
        Cidr::parse("::ffff:10.0.0.0/104").unwrap().to_string(),
        "10.0.0.0/8"
    );
    assert_eq!(Cidr::parse(" 10.0.0.0/8").unwrap().prefix(), 8);
}

fn v4_forms(v4: Ipv4Addr) -> Vec<IpAddr> {
    let o = v4.octets();
    let n = u32::from(v4);
    vec![
        IpAddr::V4(v4),
        IpAddr::V6(v4.to_ipv6_mapped()),
        IpAddr::V6(Ipv6Addr::new(0, 0, 0, 0, 0, 0, (n >> 16) as u16, n as u16)),
        IpAddr::V6(Ipv6Addr::new(
            0x64,
            0xff9b,
            0,
            0,
            0,
            0,
            (n >> 16) as u16,
            n as u16,
        )),
        IpAddr::V6(Ipv6Addr::new(
            0x2002,
            u16::from_be_bytes([o[0], o[1]]),
            u16::from_be_bytes([o[2], o[3]]),
            0,
            0,
            0,
            0,
            1,
        )),
        IpAddr::V6(Ipv6Addr::new(
            0x2001,
            0,
            0x4136,
            0xe378,
            0x8000,
            0x63bf,
            !((n >> 16) as u16),
            !(n as u16),
        )),
    ]
}

proptest! {
    #[test]
    fn no_spelling_of_loopback_link_local_or_metadata_is_reachable(
        host in any::<u32>(),
        pick in 0u8..3,
        prefix in 0u8..=8,
    ) {
        let v4 = match pick {
            0 => Ipv4Addr::from(0x7f00_0000 | (host & 0x00ff_ffff)),
            1 => Ipv4Addr::from(0xa9fe_0000 | (host & 0x0000_ffff)),
            _ => Ipv4Addr::new(169, 254, 169, 254),
        };
        // Any block that does not lie inside the special range (here: any /0../8 that
        // contains it) must not open it, whatever the spelling.
        let block = Cidr::parse(&format!(
            "{}/{prefix}",
            Ipv4Addr::from(u32::from(v4) & u32::MAX.checked_shl(32 - prefix as u32).unwrap_or(0))
        )).unwrap();
        for form in v4_forms(v4) {
            prop_assert!(!reachable_by_name(form), "{form}");
            if prefix < 8 || pick != 0 {
                prop_assert!(!reachable_in_blocks(form, &[block]), "{form} via {block}");
            }
            prop_assert!(!reachable_in_blocks(form, &blocks(&["0.0.0.0/0", "::/0"])), "{form}");
        }
    }

    #[test]
    fn embedded_forms_classify_like_their_ipv4_address(raw in any::<u32>()) {
        let v4 = Ipv4Addr::from(raw);
        let want = classify(IpAddr::V4(v4)).class;
        for form in v4_forms(v4) {
            let got = classify(form).class;
            // Embedding never makes an address *more* reachable than its IPv4 form.
            if !want.reachable_by_name() {
                prop_assert!(!got.reachable_by_name(), "{form}: {got} vs {v4}: {want}");
            }
        }
    }
}
