//! The outbound request policy on arbitrary URLs and dependency paths: whatever the node
//! writes, an allowed request goes to the dependency it was checked against — same scheme,
//! host and port, no userinfo — and a request for an ungranted dependency is never allowed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Map;
use tentacular_sandbox::policy::{GuestRequest, Target, authorize};
use tentacular_sandbox::{Capabilities, Dependency};

fn dep(protocol: &str, host: &str, port: u16, granted: bool) -> Dependency {
    Dependency {
        protocol: protocol.into(),
        host: host.into(),
        port,
        auth: None,
        granted,
        dynamic: None,
        extra: Map::new(),
    }
}

fn caps() -> Capabilities {
    Capabilities::builder("fuzz")
        .dependency("api", dep("https", "api.example.com", 443, true))
        .dependency("local", dep("http", "127.0.0.1", 8080, true))
        .dependency("locked", dep("https", "locked.example.com", 443, false))
        .build()
}

fn request(target: Target) -> GuestRequest {
    GuestRequest {
        target,
        method: "GET".into(),
        headers: Vec::new(),
        body: None,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let caps = caps();
    let expected = [
        ("api", "https", "api.example.com", 443),
        ("local", "http", "127.0.0.1", 8080),
    ];
    for (name, scheme, host, port) in expected {
        let target = Target::Dependency {
            dependency: name.into(),
            path: text.into(),
        };
        if let Ok(out) = authorize(&caps, request(target)) {
            assert_eq!(out.dependency, name);
            assert_eq!(out.url.scheme(), scheme, "{text:?} → {}", out.url);
            assert_eq!(out.url.host_str(), Some(host), "{text:?} → {}", out.url);
            assert_eq!(
                out.url.port_or_known_default(),
                Some(port),
                "{text:?} → {}",
                out.url
            );
            assert!(out.url.username().is_empty() && out.url.password().is_none());
        }
    }
    if let Ok(out) = authorize(&caps, request(Target::Url { url: text.into() })) {
        let (_, scheme, host, port) = expected
            .iter()
            .find(|(n, ..)| *n == out.dependency)
            .unwrap_or_else(|| panic!("{text:?} allowed onto {}", out.dependency));
        assert_eq!(out.url.scheme(), *scheme, "{text:?} → {}", out.url);
        assert_eq!(out.url.host_str(), Some(*host), "{text:?} → {}", out.url);
        assert_eq!(
            out.url.port_or_known_default(),
            Some(*port),
            "{text:?} → {}",
            out.url
        );
        assert!(out.url.username().is_empty() && out.url.password().is_none());
    }
    let locked = Target::Dependency {
        dependency: "locked".into(),
        path: text.into(),
    };
    assert!(authorize(&caps, request(locked)).is_err());
});
