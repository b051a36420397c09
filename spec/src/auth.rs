//! Auth kinds (`contract.dependencies.<d>.auth.type`): which credential the host injects into
//! a dependency's requests.
//!
//! | kind | the host adds |
//! |---|---|
//! | `bearer-token`, `bearer`, `api-token`, `oauth2` | `Authorization: Bearer <value>` |
//! | `api-key` | `<x-auth-header, default X-API-Key>: <value>` |
//! | `basic` | `Authorization: Basic base64(<value>)` — the value is `user:password` |
//! | `header` | `<x-auth-header>: <value>` |
//! | `webhook-url` | nothing: the value is the dependency's URL |
//! | `password` | nothing over HTTP: for non-HTTP dependencies (a Postgres driver in Deno mode) |
//! | anything else | nothing (accepted with a warning, as the original accepted any string) |
//!
//! A near miss of a known kind (`bearer_token`, `api_key`, `Basic`) is refused by
//! [`AuthKind::parse`] with the kind it probably means: a typo must not silently turn into
//! "inject nothing".

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Serialize, Serializer};

/// How the host authenticates requests to a dependency.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthKind {
    /// `bearer-token`, `bearer`, `api-token` or `oauth2` (the spelling is kept).
    Bearer(BearerSpelling),
    /// `api-key`.
    ApiKey,
    /// `basic`.
    Basic,
    /// `header`.
    Header,
    /// `webhook-url`.
    WebhookUrl,
    /// `password`.
    Password,
    /// Any other kind: nothing is injected.
    Other(String),
}

/// The spellings of the bearer kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BearerSpelling {
    /// `bearer-token`.
    BearerToken,
    /// `bearer`.
    Bearer,
    /// `api-token`.
    ApiToken,
    /// `oauth2`.
    OAuth2,
}

/// Every known kind, as written in workflow.yaml.
pub const KNOWN: &[&str] = &[
    "bearer-token",
    "bearer",
    "api-token",
    "oauth2",
    "api-key",
    "basic",
    "header",
    "webhook-url",
    "password",
];

/// An auth kind that is probably a typo of a known one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("auth type \"{given}\" is not a known kind; did you mean \"{suggestion}\"? (known: {})", KNOWN.join(", "))]
pub struct NearMiss {
    /// As written.
    pub given: String,
    /// The known kind it is closest to.
    pub suggestion: &'static str,
}

impl AuthKind {
    /// Parses a kind: a known one, a near miss (an error), or another kind.
    pub fn parse(s: &str) -> Result<AuthKind, NearMiss> {
        let kind = match s {
            "bearer-token" => AuthKind::Bearer(BearerSpelling::BearerToken),
            "bearer" => AuthKind::Bearer(BearerSpelling::Bearer),
            "api-token" => AuthKind::Bearer(BearerSpelling::ApiToken),
            "oauth2" => AuthKind::Bearer(BearerSpelling::OAuth2),
            "api-key" => AuthKind::ApiKey,
            "basic" => AuthKind::Basic,
            "header" => AuthKind::Header,
            "webhook-url" => AuthKind::WebhookUrl,
            "password" => AuthKind::Password,
            other => {
                let folded = other.to_ascii_lowercase().replace('_', "-");
                let nearest = KNOWN
                    .iter()
                    .map(|k| (strsim::damerau_levenshtein(&folded, k), *k))
                    .min();
                if let Some((distance, suggestion)) = nearest
                    && distance <= 2
                    && folded.len() > 2
                {
                    return Err(NearMiss {
                        given: other.to_string(),
                        suggestion,
                    });
                }
                AuthKind::Other(other.to_string())
            }
        };
        Ok(kind)
    }

    /// The kind as written in workflow.yaml.
    pub fn as_str(&self) -> &str {
        match self {
            AuthKind::Bearer(BearerSpelling::BearerToken) => "bearer-token",
            AuthKind::Bearer(BearerSpelling::Bearer) => "bearer",
            AuthKind::Bearer(BearerSpelling::ApiToken) => "api-token",
            AuthKind::Bearer(BearerSpelling::OAuth2) => "oauth2",
            AuthKind::ApiKey => "api-key",
            AuthKind::Basic => "basic",
            AuthKind::Header => "header",
            AuthKind::WebhookUrl => "webhook-url",
            AuthKind::Password => "password",
            AuthKind::Other(s) => s,
        }
    }

    /// Whether the host injects anything for this kind into HTTP requests.
    pub fn injects(&self) -> bool {
        matches!(
            self,
            AuthKind::Bearer(_) | AuthKind::ApiKey | AuthKind::Basic | AuthKind::Header
        )
    }
}

impl fmt::Display for AuthKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for AuthKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl JsonSchema for AuthKind {
    fn schema_name() -> Cow<'static, str> {
        "AuthKind".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "bearer-token, bearer, api-token, oauth2, api-key, basic, header, webhook-url, password, or another kind (then nothing is injected)",
            "examples": KNOWN,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_kinds_round_trip_and_near_misses_name_the_kind_they_meant() {
        for k in KNOWN {
            assert_eq!(AuthKind::parse(k).unwrap().as_str(), *k);
        }
        let near = [
            ("bearer_token", "bearer-token"),
            ("Bearer-Token", "bearer-token"),
            ("bearer-tokn", "bearer-token"),
            ("api_key", "api-key"),
            ("apikey", "api-key"),
            ("Basic", "basic"),
            ("webhook_url", "webhook-url"),
            ("webhookurl", "webhook-url"),
            ("pasword", "password"),
        ];
        for (given, meant) in near {
            let err = AuthKind::parse(given).unwrap_err();
            assert_eq!(err.suggestion, meant, "{given}");
            assert!(err.to_string().contains(meant));
        }
        for other in ["sas-token", "hmac-sha256", "aws-sigv4", "none"] {
            assert_eq!(
                AuthKind::parse(other).unwrap(),
                AuthKind::Other(other.to_string()),
                "{other}"
            );
        }
    }

    #[test]
    fn only_the_injecting_kinds_inject() {
        assert!(AuthKind::parse("api-key").unwrap().injects());
        assert!(!AuthKind::parse("webhook-url").unwrap().injects());
        assert!(!AuthKind::parse("sas-token").unwrap().injects());
    }
}
