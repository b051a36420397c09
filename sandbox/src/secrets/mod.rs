//! Secrets on the host: the values, the placeholders nodes see instead, and the one rule for
//! where values go in and how they are kept out of everything that comes back.
//!
//! | step | rule |
//! |---|---|
//! | what a node sees | `tntc-secret:<service>.<key>` placeholders, never values ([`SecretRef::placeholder`]) |
//! | substitution | a placeholder is replaced by its value **only in request header values**, only on requests to the dependency that owns the secret (its `auth.secret`, or a secret of the service named like the dependency); for `auth.type: webhook-url` the value *is* the URL, used as the request URL of that dependency |
//! | scrubbing (responses, redirects, host-made messages to the node) | every value, in each of the [`Encoding`]s below, is replaced by its placeholder in response bodies, headers, `response.url` and every error message the host makes |
//! | redaction (logs, load and run errors) | the same patterns, replaced by `[REDACTED]` |
//! | short values | a value shorter than [`MIN_SECRET_LEN`] bytes is refused when secrets are loaded: it could not be scrubbed without mangling unrelated text |
//!
//! What no scrubber can remove (and docs/security.md says so): a dependency that transforms
//! what it reflects in a way not listed here (hashes it, encrypts it, splits it, changes its
//! case) hands the node something derived from the secret.

use std::collections::BTreeMap;
use std::fmt;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use percent_encoding::{AsciiSet, CONTROLS, NON_ALPHANUMERIC, utf8_percent_encode};

/// The prefix of secret placeholders: `tntc-secret:<service>.<key>`.
pub const PLACEHOLDER_PREFIX: &str = "tntc-secret:";

/// Shortest secret value accepted. Real credentials are longer; shorter values would make
/// scrubbing either leaky or destructive.
pub const MIN_SECRET_LEN: usize = 8;

/// What log lines and error messages show in place of a value.
pub const REDACTED: &str = "[REDACTED]";

/// A reference to one secret value: `service.key`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SecretRef {
    /// The service (first part of `auth.secret`).
    pub service: String,
    /// The key within that service.
    pub key: String,
}

impl SecretRef {
    /// Parses `service.key`.
    pub fn parse(s: &str) -> Option<Self> {
        let (service, key) = s.split_once('.')?;
        (!service.is_empty() && !key.is_empty()).then(|| SecretRef {
            service: service.into(),
            key: key.into(),
        })
    }

    /// The opaque string a node sees instead of the value.
    pub fn placeholder(&self) -> String {
        format!("{PLACEHOLDER_PREFIX}{}.{}", self.service, self.key)
    }
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.service, self.key)
    }
}

/// A secret value the sandbox refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// The value is too short to be kept out of responses and logs reliably.
    #[error(
        "secret {secret} is {len} bytes long; secrets shorter than {MIN_SECRET_LEN} bytes are refused because they cannot be scrubbed from responses and logs without mangling other text: provision the real credential"
    )]
    TooShort {
        /// Which secret.
        secret: SecretRef,
        /// Its length in bytes.
        len: usize,
    },
}

/// Secret values by service and key, and the scrubber derived from them. `Debug` never shows
/// values.
#[derive(Clone, Default)]
pub struct SecretValues {
    values: BTreeMap<String, BTreeMap<String, String>>,
    scrubber: Scrubber,
}

impl SecretValues {
    /// Wraps resolved secrets (`service → key → value`); refuses values shorter than
    /// [`MIN_SECRET_LEN`].
    pub fn new(values: BTreeMap<String, BTreeMap<String, String>>) -> Result<Self, SecretError> {
        for (service, keys) in &values {
            for (key, value) in keys {
                if value.len() < MIN_SECRET_LEN {
                    return Err(SecretError::TooShort {
                        secret: SecretRef {
                            service: service.clone(),
                            key: key.clone(),
                        },
                        len: value.len(),
                    });
                }
            }
        }
        let scrubber = Scrubber::new(
            values
                .iter()
                .flat_map(|(s, keys)| keys.iter().map(move |(k, v)| (s, k, v)))
                .map(|(s, k, v)| {
                    (
                        SecretRef {
                            service: s.clone(),
                            key: k.clone(),
                        },
                        v.as_str(),
                    )
                }),
        );
        Ok(SecretValues { values, scrubber })
    }

    /// The value behind `r`, if provisioned.
    pub fn get(&self, r: &SecretRef) -> Option<&str> {
        self.values.get(&r.service)?.get(&r.key).map(String::as_str)
    }

    /// Every `(ref, value)`.
    pub fn iter(&self) -> impl Iterator<Item = (SecretRef, &str)> {
        self.values.iter().flat_map(|(s, keys)| {
            keys.iter().map(move |(k, v)| {
                (
                    SecretRef {
                        service: s.clone(),
                        key: k.clone(),
                    },
                    v.as_str(),
                )
            })
        })
    }

    /// The keys of one service.
    pub fn service(&self, service: &str) -> Option<&BTreeMap<String, String>> {
        self.values.get(service)
    }

    /// The scrubber for these values.
    pub fn scrubber(&self) -> &Scrubber {
        &self.scrubber
    }
}

impl fmt::Debug for SecretValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self.iter().map(|(r, _)| r.to_string()).collect();
        f.debug_tuple("SecretValues").field(&names).finish()
    }
}

/// The forms of a value that are scrubbed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// The bytes as they are.
    Raw,
    /// Base64, standard and URL-safe alphabets, with and without padding — the whole value
    /// (e.g. the `Basic` header the host builds from `user:pass`) and the part of it that
    /// stays the same wherever it sits inside a longer base64 text.
    Base64,
    /// Percent-encoding: every reserved byte, the URL path/query/userinfo sets, and form
    /// encoding (`+` for space), with upper- and lower-case hex digits.
    Percent,
    /// Inside a JSON string: escaped quotes, backslashes and control characters, `\/`, and
    /// non-ASCII as `\uXXXX` (upper- and lower-case hex).
    JsonString,
}

/// Every [`Encoding`].
pub const ENCODINGS: [Encoding; 4] = [
    Encoding::Raw,
    Encoding::Base64,
    Encoding::Percent,
    Encoding::JsonString,
];

/// Replaces every known secret value, in every [`Encoding`], in text that leaves the host.
#[derive(Clone, Default)]
pub struct Scrubber {
    matcher: Option<AhoCorasick>,
    /// Per pattern: the placeholder of the secret it came from.
    placeholders: Vec<String>,
}

impl fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scrubber")
            .field("patterns", &self.placeholders.len())
            .finish()
    }
}

impl Scrubber {
    /// A scrubber for `secrets`. A value that looks like a URL also has its path and query
    /// scrubbed on their own (for `webhook-url` secrets, the path *is* the credential).
    pub fn new<'v>(secrets: impl IntoIterator<Item = (SecretRef, &'v str)>) -> Self {
        let mut patterns: Vec<(Vec<u8>, String)> = Vec::new();
        for (r, value) in secrets {
            let placeholder = r.placeholder();
            let mut forms = vec![value.to_string()];
            if let Some(tail) = url_credential_part(value) {
                forms.push(tail);
            }
            for form in forms {
                for encoding in ENCODINGS {
                    for p in encoded_forms(&form, encoding) {
                        if p.len() >= MIN_SECRET_LEN && !patterns.iter().any(|(q, _)| *q == p) {
                            patterns.push((p, placeholder.clone()));
                        }
                    }
                }
            }
        }
        if patterns.is_empty() {
            return Scrubber::default();
        }
        let matcher = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(patterns.iter().map(|(p, _)| p))
            .expect("secret patterns are small literal strings");
        Scrubber {
            matcher: Some(matcher),
            placeholders: patterns.into_iter().map(|(_, r)| r).collect(),
        }
    }

    /// Whether there is anything to scrub.
    pub fn is_empty(&self) -> bool {
        self.matcher.is_none()
    }

    /// `bytes` with every value replaced by its placeholder; `None` when nothing matched.
    pub fn to_placeholders(&self, bytes: &[u8]) -> Option<Vec<u8>> {
        let m = self.matcher.as_ref()?;
        m.find(bytes)?;
        Some(m.replace_all_bytes(bytes, &self.placeholders))
    }

    /// `text` with every value replaced by its placeholder.
    pub fn placeholders_in(&self, text: &str) -> String {
        match self.to_placeholders(text.as_bytes()) {
            Some(out) => String::from_utf8_lossy(&out).into_owned(),
            None => text.to_string(),
        }
    }

    /// `text` with every value replaced by `[REDACTED]` (for logs and error messages).
    pub fn redact(&self, text: &str) -> String {
        let Some(m) = &self.matcher else {
            return text.to_string();
        };
        if m.find(text).is_none() {
            return text.to_string();
        }
        let with: Vec<&str> = vec![REDACTED; self.placeholders.len()];
        String::from_utf8_lossy(&m.replace_all_bytes(text.as_bytes(), &with)).into_owned()
    }

    /// Whether `bytes` contain a value in any form.
    pub fn finds(&self, bytes: &[u8]) -> bool {
        self.matcher
            .as_ref()
            .is_some_and(|m| m.find(bytes).is_some())
    }
}

/// The path and query of a URL-shaped value (`https://hooks.example/services/T/B/X` →
/// `/services/T/B/X`), when that part is long enough to be a credential on its own.
fn url_credential_part(value: &str) -> Option<String> {
    let url = url::Url::parse(value).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let mut tail = url.path().to_string();
    if let Some(q) = url.query() {
        tail.push('?');
        tail.push_str(q);
    }
    (tail.len() >= MIN_SECRET_LEN).then_some(tail)
}

/// The byte patterns of `value` in `encoding`.
pub fn encoded_forms(value: &str, encoding: Encoding) -> Vec<Vec<u8>> {
    let bytes = value.as_bytes();
    let mut out: Vec<String> = match encoding {
        Encoding::Raw => vec![value.to_string()],
        Encoding::Base64 => base64_forms(bytes),
        Encoding::Percent => percent_forms(value),
        Encoding::JsonString => json_forms(value),
    };
    out.retain(|p| !p.is_empty());
    out.sort();
    out.dedup();
    out.into_iter().map(String::into_bytes).collect()
}

fn base64_forms(bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    for engine in [&STANDARD, &URL_SAFE] {
        out.push(engine.encode(bytes));
    }
    for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
        out.push(engine.encode(bytes));
        // Inside a longer base64 text the value starts at byte offset 0, 1 or 2 of a group:
        // keep the characters that depend on the value's bits only.
        for offset in 1..3usize {
            let mut padded = vec![0u8; offset];
            padded.extend_from_slice(bytes);
            let text = engine.encode(&padded);
            let first = (8 * offset).div_ceil(6);
            let last = (8 * (offset + bytes.len())) / 6;
            if last > first + 4 {
                out.push(text[first..last].to_string());
            }
        }
        // At offset 0 the trailing partial character depends on what follows.
        let full = (8 * bytes.len()) / 6;
        let text = engine.encode(bytes);
        if full > 4 {
            out.push(text[..full].to_string());
        }
    }
    out
}

/// The URL crate's path set, query set and userinfo set (WHATWG), and form encoding.
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');
const QUERY: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'#').add(b'<').add(b'>');
const USERINFO: &AsciiSet = &PATH
    .add(b'/')
    .add(b':')
    .add(b';')
    .add(b'=')
    .add(b'@')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'|');
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn percent_forms(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    for set in [UNRESERVED, PATH, QUERY, USERINFO] {
        let upper = utf8_percent_encode(value, set).to_string();
        out.push(lower_hex_escapes(&upper, '%'));
        out.push(upper);
    }
    let form: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
    out.push(lower_hex_escapes(&form, '%'));
    out.push(form);
    out
}

fn json_forms(value: &str) -> Vec<String> {
    let plain = serde_json::to_string(value).expect("strings serialise");
    let plain = &plain[1..plain.len() - 1];
    let mut out = Vec::new();
    for text in [plain.to_string(), plain.replace('/', "\\/")] {
        let ascii = ascii_json(&text);
        out.push(upper_unicode_escapes(&ascii));
        out.push(ascii);
        out.push(text);
    }
    out
}

/// Non-ASCII characters of JSON text as `\uXXXX` escapes (as `ensure_ascii` serialisers do).
fn ascii_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out
}

/// `%2F` → `%2f` for every escape introduced by `marker`.
fn lower_hex_escapes(text: &str, marker: char) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == marker {
            for _ in 0..2 {
                if let Some(h) = chars.next() {
                    out.push(h.to_ascii_lowercase());
                }
            }
        }
    }
    out
}

fn upper_unicode_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("\\u") {
        out.push_str(&rest[..i + 2]);
        let hex = &rest[i + 2..(i + 6).min(rest.len())];
        out.push_str(&hex.to_ascii_uppercase());
        rest = &rest[(i + 6).min(rest.len())..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests;
