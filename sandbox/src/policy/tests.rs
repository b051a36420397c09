//! Table tests for the request policy: no wasm instance, no network — each rule checked on
//! the parsed request, as Spin's allowed-hosts tests do.

use std::collections::BTreeMap;

use serde_json::Map;

use super::*;
use crate::capabilities::{Auth, DynamicTarget};
use crate::secrets::{SecretRef, SecretValues};
use tentacular_spec::Cidr;

const TOKEN: &str = "tok-1234567890";
const HOOK: &str = "https://hooks.example.com/services/T/B/secretpath";

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

fn with_auth(mut d: Dependency, kind: &str, secret: &str, header: Option<&str>) -> Dependency {
    d.auth = Some(Auth {
        kind: AuthKind::parse(kind).unwrap(),
        secret: SecretRef::parse(secret).unwrap(),
        header: header.map(str::to_string),
    });
    d
}

fn caps() -> Capabilities {
    let secrets = SecretValues::new(BTreeMap::from([
        (
            "github".to_string(),
            BTreeMap::from([("token".to_string(), TOKEN.to_string())]),
        ),
        (
            "slack".to_string(),
            BTreeMap::from([("webhook_url".to_string(), HOOK.to_string())]),
        ),
        (
            "db".to_string(),
            BTreeMap::from([("login".to_string(), "alice:pw-123456".to_string())]),
        ),
        (
            "legacy".to_string(),
            BTreeMap::from([("token".to_string(), "legacy-token-1".to_string())]),
        ),
    ]))
    .unwrap();
    let mut dynamic = dep("https", "", 443, true);
    dynamic.dynamic = Some(DynamicTarget {
        cidrs: vec![
            Cidr::parse("0.0.0.0/1").unwrap(),
            Cidr::parse("10.0.0.0/8").unwrap(),
        ],
        ports: vec![8443],
    });
    Capabilities::builder("n")
        .secrets(secrets)
        .dependency(
            "github",
            with_auth(
                dep("https", "api.github.com", 443, true),
                "bearer-token",
                "github.token",
                None,
            ),
        )
        .dependency(
            "slack",
            with_auth(
                dep("https", "hooks.example.com", 443, true),
                "webhook-url",
                "slack.webhook_url",
                None,
            ),
        )
        .dependency(
            "db",
            with_auth(
                dep("https", "db.example.com", 443, true),
                "basic",
                "db.login",
                None,
            ),
        )
        .dependency("legacy", dep("https", "legacy.example.com", 443, true))
        .dependency("locked", dep("https", "locked.example.com", 443, false))
        .dependency("pg", dep("postgresql", "pg.example.com", 5432, true))
        .dependency("local", dep("http", "127.0.0.1", 8080, true))
        .dependency("v6", dep("http", "::1", 8080, true))
        .dependency("scan", dynamic)
        .build()
}

fn req(target: Target) -> GuestRequest {
    GuestRequest {
        target,
        method: "GET".into(),
        headers: Vec::new(),
        body: None,
    }
}

fn dependency(name: &str, path: &str) -> GuestRequest {
    req(Target::Dependency {
        dependency: name.into(),
        path: path.into(),
    })
}

fn url(u: &str) -> GuestRequest {
    req(Target::Url { url: u.into() })
}

fn legacy(service: &str, path: &str) -> GuestRequest {
    req(Target::Legacy {
        service: service.into(),
        path: path.into(),
    })
}

/// `Ok(final url)` or `Err(reason)`.
fn check(r: GuestRequest) -> Result<String, &'static str> {
    authorize(&caps(), r)
        .map(|o| o.url.to_string())
        .map_err(|d| d.reason)
}

#[test]
fn requests_are_allowed_only_onto_granted_dependencies() {
    let cases: Vec<(&str, GuestRequest, Result<&str, &str>)> = vec![
        (
            "dependency path",
            dependency("github", "/repos"),
            Ok("https://api.github.com/repos"),
        ),
        (
            "dependency empty path",
            dependency("github", ""),
            Ok("https://api.github.com/"),
        ),
        (
            "dependency query only",
            dependency("github", "?q=1"),
            Ok("https://api.github.com/?q=1"),
        ),
        ("undeclared", dependency("nope", "/"), Err("not-declared")),
        ("not granted", dependency("locked", "/"), Err("not-granted")),
        ("not http", dependency("pg", "/"), Err("not-http")),
        (
            "absolute url as path",
            dependency("github", "https://evil.example/"),
            Err("url"),
        ),
        (
            "protocol-relative path stays on the host",
            dependency("github", "//evil.example/"),
            Ok("https://api.github.com//evil.example/"),
        ),
        (
            "path with @ stays on host",
            dependency("github", "/@evil.example"),
            Ok("https://api.github.com/@evil.example"),
        ),
        (
            "global fetch to a dependency",
            url("https://api.github.com/x"),
            Ok("https://api.github.com/x"),
        ),
        (
            "global fetch, host case",
            url("https://API.GitHub.com/x"),
            Ok("https://api.github.com/x"),
        ),
        (
            "global fetch, explicit default port",
            url("https://api.github.com:443/x"),
            Ok("https://api.github.com/x"),
        ),
        (
            "global fetch, other port",
            url("https://api.github.com:9443/x"),
            Err("not-declared"),
        ),
        (
            "any name on a dynamic target's port",
            url("https://api.github.com:8443/x"),
            Ok("https://api.github.com:8443/x"),
        ),
        (
            "global fetch, other scheme",
            url("http://api.github.com/x"),
            Err("not-declared"),
        ),
        (
            "global fetch, subdomain",
            url("https://evil.api.github.com/x"),
            Err("not-declared"),
        ),
        (
            "global fetch, suffix trick",
            url("https://api.github.com.evil.example/x"),
            Err("not-declared"),
        ),
        (
            "global fetch, trailing dot",
            url("https://api.github.com./x"),
            Err("not-declared"),
        ),
        (
            "global fetch, ungranted",
            url("https://locked.example.com/"),
            Err("not-granted"),
        ),
        (
            "userinfo",
            url("https://user@api.github.com/"),
            Err("credentials"),
        ),
        (
            "userinfo with password",
            url("https://u:p@api.github.com/"),
            Err("credentials"),
        ),
        (
            "userinfo hiding a host",
            url("https://api.github.com@evil.example/"),
            Err("credentials"),
        ),
        ("file url", url("file:///etc/passwd"), Err("url")),
        ("data url", url("data:text/plain,hi"), Err("url")),
        ("ftp url", url("ftp://api.github.com/"), Err("url")),
        ("not a url", url("not a url"), Err("url")),
        (
            "ip literal declared",
            url("http://127.0.0.1:8080/x"),
            Ok("http://127.0.0.1:8080/x"),
        ),
        (
            "ip literal, other spelling",
            url("http://2130706433:8080/x"),
            Ok("http://127.0.0.1:8080/x"),
        ),
        (
            "ip literal, hex spelling",
            url("http://0x7f.0.0.1:8080/"),
            Ok("http://127.0.0.1:8080/"),
        ),
        (
            "ip literal undeclared port",
            url("http://127.0.0.1:9090/"),
            Err("not-declared"),
        ),
        (
            "v6 literal declared",
            url("http://[::1]:8080/"),
            Ok("http://[::1]:8080/"),
        ),
        (
            "v6 mapped spelling of a v4 literal",
            url("http://[::ffff:127.0.0.1]:8080/"),
            Err("not-declared"),
        ),
        (
            "legacy path",
            legacy("github", "/repos"),
            Ok("https://api.github.com/repos"),
        ),
        (
            "legacy full url",
            legacy("legacy", "https://legacy.example.com/a"),
            Ok("https://legacy.example.com/a"),
        ),
        (
            "legacy full url elsewhere",
            legacy("legacy", "https://evil.example/a"),
            Err("not-declared"),
        ),
        (
            "legacy unknown service",
            legacy("unknown", "/x"),
            Err("not-declared"),
        ),
        (
            "webhook placeholder",
            url("tntc-secret:slack.webhook_url"),
            Ok(HOOK),
        ),
        (
            "webhook placeholder + suffix",
            url("tntc-secret:slack.webhook_url?x=1"),
            Ok("https://hooks.example.com/services/T/B/secretpath?x=1"),
        ),
        (
            "placeholder of a non-webhook",
            url("tntc-secret:github.token"),
            Err("not-declared"),
        ),
        ("webhook via dependency", dependency("slack", ""), Ok(HOOK)),
        (
            "dynamic public",
            dependency("scan", "https://8.8.8.8:8443/"),
            Ok("https://8.8.8.8:8443/"),
        ),
        (
            "dynamic private inside a private block",
            dependency("scan", "https://10.1.2.3:8443/"),
            Ok("https://10.1.2.3:8443/"),
        ),
        (
            "dynamic 0.0.0.0/1 never opens loopback",
            dependency("scan", "https://127.0.0.1:8443/"),
            Err("url"),
        ),
        (
            "dynamic mapped loopback",
            dependency("scan", "https://[::ffff:127.0.0.1]:8443/"),
            Err("url"),
        ),
        (
            "dynamic undeclared port",
            dependency("scan", "https://8.8.8.8:22/"),
            Err("url"),
        ),
        (
            "dynamic localhost name",
            dependency("scan", "https://localhost:8443/"),
            Err("url"),
        ),
        (
            "dynamic name (checked when resolved)",
            dependency("scan", "https://example.org:8443/"),
            Ok("https://example.org:8443/"),
        ),
    ];
    for (name, r, want) in cases {
        assert_eq!(check(r), want.map(str::to_string), "{name}");
    }
}

fn headers_of(r: GuestRequest) -> Vec<(String, String)> {
    authorize(&caps(), r).unwrap().headers
}

fn header<'h>(h: &'h [(String, String)], name: &str) -> Option<&'h str> {
    h.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[test]
fn auth_is_injected_and_placeholders_are_substituted_only_for_their_owner() {
    let h = headers_of(dependency("github", "/"));
    assert_eq!(
        header(&h, "authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );

    let mut own = dependency("github", "/");
    own.headers = vec![(
        "Authorization".into(),
        "token tntc-secret:github.token".into(),
    )];
    assert_eq!(
        header(&headers_of(own), "authorization"),
        Some(format!("token {TOKEN}").as_str())
    );

    let mut foreign = dependency("legacy", "/");
    foreign.headers = vec![("X-Leak".into(), "tntc-secret:github.token".into())];
    let h = headers_of(foreign);
    assert_eq!(header(&h, "x-leak"), Some("tntc-secret:github.token"));

    let h = headers_of(dependency("db", "/"));
    assert_eq!(
        header(&h, "authorization"),
        Some("Basic YWxpY2U6cHctMTIzNDU2")
    );

    let mut body = dependency("legacy", "/");
    body.body = Some(b"tntc-secret:github.token".to_vec());
    let out = authorize(&caps(), body).unwrap();
    assert_eq!(
        out.body.as_deref(),
        Some(&b"tntc-secret:github.token"[..]),
        "bodies are never substituted"
    );
    assert!(out.url.as_str().contains("legacy.example.com"));
}

#[test]
fn forbidden_and_malformed_headers_are_dropped() {
    let mut r = dependency("local", "/");
    r.headers = vec![
        ("Host".into(), "evil.example".into()),
        ("Content-Length".into(), "5".into()),
        ("X-Split".into(), "a\r\nInjected: yes".into()),
        ("Bad Name".into(), "x".into()),
        ("X-Ok".into(), "fine".into()),
    ];
    let h = headers_of(r);
    assert_eq!(h, vec![("X-Ok".to_string(), "fine".to_string())]);
}

#[test]
fn methods_outside_the_http_set_are_refused() {
    for (m, ok) in [
        ("get", true),
        ("PATCH", true),
        ("CONNECT", false),
        ("TRACE", false),
        ("X", false),
    ] {
        let mut r = dependency("github", "/");
        r.method = m.into();
        assert_eq!(authorize(&caps(), r).is_ok(), ok, "{m}");
    }
}

#[test]
fn redirects_are_followed_only_while_they_stay_on_the_dependency() {
    let caps = caps();
    let cases = [
        ("https://api.github.com/next", Ok(())),
        ("https://api.github.com:8443/next", Err("redirect")),
        ("http://api.github.com/next", Err("redirect")),
        ("https://evil.example/", Err("redirect")),
        ("https://user@api.github.com/", Err("credentials")),
        ("http://169.254.169.254/latest/meta-data", Err("redirect")),
    ];
    for (to, want) in cases {
        let mut out = authorize(&caps, dependency("github", "/")).unwrap();
        let got = redirect(&caps, &mut out, Url::parse(to).unwrap(), 302).map_err(|d| d.reason);
        assert_eq!(got, want, "{to}");
    }
    let mut post = dependency("github", "/");
    post.method = "POST".into();
    post.body = Some(b"x".to_vec());
    let mut out = authorize(&caps, post).unwrap();
    redirect(
        &caps,
        &mut out,
        Url::parse("https://api.github.com/b").unwrap(),
        303,
    )
    .unwrap();
    assert_eq!((out.method.as_str(), out.body), ("GET", None));
}

#[test]
fn refusal_messages_name_the_fix_and_never_the_path() {
    let d = authorize(&caps(), dependency("locked", "/")).unwrap_err();
    assert!(d.message.contains("nodes.n.uses"), "{}", d.message);
    let mut out = authorize(&caps(), dependency("slack", "")).unwrap();
    let d = redirect(
        &caps(),
        &mut out,
        Url::parse("https://evil.example/services/T/B/secretpath").unwrap(),
        302,
    )
    .unwrap_err();
    assert!(!d.message.contains("secretpath"), "{}", d.message);
}

#[test]
fn a_dependency_with_its_own_ca_trusts_only_it_and_the_others_keep_the_public_roots() {
    let ca = crate::fetch::RootCa::from_pem(
        b"-----BEGIN CERTIFICATE-----\nMIIBkDCCATegAwIBAgIUabgw03ZxpHkCibB7OdmJuTfUVNowCgYIKoZIzj0EAwIw\n-----END CERTIFICATE-----\n",
    );
    // A truncated certificate is still PEM; what matters here is where the trust goes.
    let Ok(ca) = ca else {
        panic!("PEM framing is accepted: {ca:?}")
    };
    let caps = Capabilities::builder("n")
        .dependency("cluster", dep("https", "kubernetes.default.svc", 443, true))
        .dependency("web", dep("https", "api.example.com", 443, true))
        .trust_only("cluster", ca.clone())
        .build();
    let trust = |name: &str| {
        authorize(&caps, dependency(name, "/api"))
            .map(|r| r.trust)
            .unwrap()
    };
    assert_eq!(trust("cluster"), crate::fetch::Trust::Only(ca));
    assert_eq!(trust("web"), crate::fetch::Trust::PublicRoots);
    assert!(crate::fetch::RootCa::from_pem(b"not a certificate").is_err());
}
