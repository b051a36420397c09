//! Table tests for the secrets rule: every encoding a reflecting dependency might hand back
//! is scrubbed, short values are refused, and text without secrets passes unchanged.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use super::*;

const TOKEN: &str = "s3cr3t/t0ken+with \"odd\" chars:é";
const WEBHOOK: &str = "https://hooks.example.com/services/T000/B000/XXXXXXXXXXXX";

fn values() -> SecretValues {
    let mut v = BTreeMap::new();
    v.insert(
        "api".to_string(),
        BTreeMap::from([("token".to_string(), TOKEN.to_string())]),
    );
    v.insert(
        "slack".to_string(),
        BTreeMap::from([("webhook_url".to_string(), WEBHOOK.to_string())]),
    );
    v.insert(
        "basic".to_string(),
        BTreeMap::from([("login".to_string(), "alice:correct-horse".to_string())]),
    );
    SecretValues::new(v).unwrap()
}

fn json_inner(s: &str) -> String {
    let j = serde_json::to_string(s).unwrap();
    j[1..j.len() - 1].to_string()
}

#[test]
fn every_listed_encoding_of_a_reflected_secret_is_scrubbed() {
    let s = values();
    let scrub = s.scrubber();
    let b64_embedded = |offset: usize| {
        let mut data = b"xy".repeat(5)[..offset].to_vec();
        data.extend_from_slice(TOKEN.as_bytes());
        data.extend_from_slice(b" and more reflected text");
        STANDARD.encode(data)
    };
    let cases: Vec<(&str, String)> = vec![
        ("raw", format!("Bearer {TOKEN}")),
        (
            "json string",
            format!("{{\"authorization\":\"Bearer {}\"}}", json_inner(TOKEN)),
        ),
        ("json \\/ escapes", json_inner(TOKEN).replace('/', "\\/")),
        (
            "json ascii escapes",
            "s3cr3t\\/t0ken+with \\\"odd\\\" chars:\\u00e9".to_string(),
        ),
        (
            "json ascii escapes upper",
            "s3cr3t/t0ken+with \\\"odd\\\" chars:\\u00E9".to_string(),
        ),
        ("base64 whole", STANDARD.encode(TOKEN)),
        ("base64url no pad", URL_SAFE_NO_PAD.encode(TOKEN)),
        ("base64 inside a blob, offset 0", b64_embedded(0)),
        ("base64 inside a blob, offset 1", b64_embedded(1)),
        ("base64 inside a blob, offset 2", b64_embedded(2)),
        (
            "basic auth header",
            format!("Basic {}", STANDARD.encode("alice:correct-horse")),
        ),
        (
            "percent-encoded query",
            format!(
                "https://x.example/?t={}",
                percent_encoding::utf8_percent_encode(TOKEN, percent_encoding::NON_ALPHANUMERIC)
            ),
        ),
        (
            "form-encoded",
            url::form_urlencoded::byte_serialize(TOKEN.as_bytes()).collect::<String>(),
        ),
        (
            "url path encoding",
            url::Url::parse(&format!("https://x.example/{TOKEN}"))
                .unwrap()
                .path()[1..]
                .to_string(),
        ),
        (
            "lower-case hex escapes",
            percent_encoding::utf8_percent_encode(TOKEN, percent_encoding::NON_ALPHANUMERIC)
                .to_string()
                .to_lowercase(),
        ),
        ("webhook url", format!("posted to {WEBHOOK}")),
        (
            "webhook path only",
            "{\"path\":\"/services/T000/B000/XXXXXXXXXXXX\"}".to_string(),
        ),
    ];
    for (name, text) in cases {
        assert!(scrub.finds(text.as_bytes()), "{name}: not found in {text}");
        let out = scrub.placeholders_in(&text);
        assert!(
            out.contains(PLACEHOLDER_PREFIX),
            "{name}: no placeholder in {out}"
        );
        for (_, value) in s.iter() {
            assert!(!out.contains(value), "{name}: value left in {out}");
        }
        let redacted = scrub.redact(&text);
        assert!(redacted.contains(REDACTED), "{name}: {redacted}");
    }
}

#[test]
fn text_without_secrets_is_left_alone() {
    let s = values();
    for text in [
        "",
        "hello world",
        "Bearer not-the-token",
        "aGVsbG8gd29ybGQ=",
    ] {
        assert!(!s.scrubber().finds(text.as_bytes()), "{text}");
        assert_eq!(s.scrubber().placeholders_in(text), text);
        assert_eq!(s.scrubber().redact(text), text);
    }
    assert_eq!(s.scrubber().to_placeholders(b"\x00\xff binary"), None);
}

#[test]
fn binary_bodies_are_scrubbed_as_bytes() {
    let s = values();
    let mut body = vec![0u8, 0xff, 0x89, b'P', b'N', b'G'];
    body.extend_from_slice(TOKEN.as_bytes());
    body.push(0xfe);
    let out = s.scrubber().to_placeholders(&body).unwrap();
    assert!(out.starts_with(&[0u8, 0xff, 0x89, b'P', b'N', b'G']));
    assert!(out.ends_with(b"tntc-secret:api.token\xfe"));
}

#[test]
fn short_secrets_are_refused_with_their_name() {
    let cases = [("", 0usize), ("abc", 3), ("1234567", 7)];
    for (value, len) in cases {
        let map = BTreeMap::from([(
            "svc".to_string(),
            BTreeMap::from([("key".to_string(), value.to_string())]),
        )]);
        let err = SecretValues::new(map).unwrap_err();
        assert_eq!(
            err,
            SecretError::TooShort {
                secret: SecretRef::parse("svc.key").unwrap(),
                len
            }
        );
        assert!(err.to_string().contains("svc.key"));
    }
    let ok = BTreeMap::from([(
        "svc".to_string(),
        BTreeMap::from([("key".to_string(), "12345678".to_string())]),
    )]);
    assert!(SecretValues::new(ok).is_ok());
}

#[test]
fn debug_output_never_shows_values() {
    let s = values();
    let shown = format!("{s:?} {:?}", s.scrubber());
    for (_, value) in s.iter() {
        assert!(!shown.contains(value), "{shown}");
    }
}
