//! Newtype identifiers: a value of one of these types has already passed its naming rule.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize};

/// Why a string is not a valid identifier of some kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidId {
    /// What kind of identifier it was meant to be, e.g. "node id".
    pub kind: &'static str,
    /// The rejected value.
    pub value: String,
    /// The rule it breaks, in words.
    pub rule: &'static str,
    /// A corrected value, when one can be guessed.
    pub suggestion: Option<String>,
}

impl fmt::Display for InvalidId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} \"{}\" is invalid: {}",
            self.kind, self.value, self.rule
        )
    }
}

impl std::error::Error for InvalidId {}

/// `^[a-z][a-z0-9_-]*$`: the rule for node ids, dependency names, trigger names and the two
/// halves of a secret reference.
fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_' | '-'))
}

/// `^[a-z][a-z0-9]*(-[a-z0-9]+)*$`: kebab-case, the rule for workflow names.
fn is_kebab(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with('-')
        && !s.contains("--")
        && s.chars().all(|c| matches!(c, 'a'..='z' | '0'..='9' | '-'))
}

/// Lower-cases and replaces everything else with `-`, to suggest a valid name.
fn suggest(s: &str, allow_underscore: bool) -> Option<String> {
    let mut out = String::new();
    for c in s.trim().chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() || (allow_underscore && c == '_') {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').to_string();
    let out = out.trim_start_matches(|c: char| c.is_ascii_digit() || c == '_' || c == '-');
    (!out.is_empty() && out != s).then(|| out.to_string())
}

macro_rules! ident_type {
    (
        $(#[$meta:meta])*
        $name:ident, $kind:literal, $pattern:literal, $rule:literal, $check:expr, $underscore:literal
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// What this kind of identifier is called in messages.
            pub const KIND: &'static str = $kind;
            /// The naming rule as a regular expression.
            pub const PATTERN: &'static str = $pattern;

            /// Checks `value` against the naming rule.
            pub fn new(value: impl Into<String>) -> Result<Self, InvalidId> {
                let value = value.into();
                let check: fn(&str) -> bool = $check;
                if check(&value) {
                    Ok(Self(value))
                } else {
                    Err(InvalidId {
                        kind: $kind,
                        suggestion: suggest(&value, $underscore),
                        value,
                        rule: $rule,
                    })
                }
            }

            /// The identifier as a string.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                Self::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = InvalidId;
            fn try_from(s: &str) -> Result<Self, InvalidId> {
                Self::new(s)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::new(s).map_err(serde::de::Error::custom)
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({
                    "type": "string",
                    "pattern": $pattern,
                    "description": $rule,
                })
            }
        }
    };
}

ident_type!(
    /// A node id: the key of an entry in `nodes`, e.g. `fetch-stories`.
    NodeId, "node id", "^[a-z][a-z0-9_-]*$",
    "it must start with a lowercase letter and contain only lowercase letters, digits, '-' and '_'",
    is_ident, true
);

ident_type!(
    /// A dependency name: the key of an entry in `contract.dependencies`, e.g. `github`.
    DependencyName, "dependency name", "^[a-z][a-z0-9_-]*$",
    "it must start with a lowercase letter and contain only lowercase letters, digits, '-' and '_'",
    is_ident, true
);

ident_type!(
    /// A trigger name, e.g. `daily-report`. Named cron triggers post `{"trigger": "<name>"}`.
    TriggerName, "trigger name", "^[a-z][a-z0-9_-]*$",
    "it must start with a lowercase letter and contain only lowercase letters, digits, '-' and '_'",
    is_ident, true
);

ident_type!(
    /// A workflow name: kebab-case, at most 52 characters (it names Kubernetes objects, and
    /// CronJob names are limited to 52), e.g. `hn-digest`.
    WorkflowName, "workflow name", "^[a-z][a-z0-9]*(-[a-z0-9]+)*$",
    "it must be kebab-case: lowercase letters and digits in words joined by single '-', starting with a letter, at most 52 characters",
    |s| is_kebab(s) && s.len() <= 52, false
);

ident_type!(
    /// A reference to one secret value, `"<service>.<key>"`, e.g. `github.token`.
    SecretRef, "secret reference", "^[a-z][a-z0-9_-]*\\.[a-z][a-z0-9_-]*$",
    "it must be \"<service>.<key>\", both parts starting with a lowercase letter and containing only lowercase letters, digits, '-' and '_'",
    |s| s.split_once('.').is_some_and(|(a, b)| is_ident(a) && is_ident(b)), true
);

impl SecretRef {
    /// The service part: `github` in `github.token`.
    pub fn service(&self) -> &str {
        self.0.split_once('.').map_or("", |(s, _)| s)
    }

    /// The key part: `token` in `github.token`.
    pub fn key(&self) -> &str {
        self.0.split_once('.').map_or("", |(_, k)| k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_ids() {
        assert!(NodeId::new("fetch-stories").is_ok());
        assert!(NodeId::new("a_b-1").is_ok());
        let err = NodeId::new("Fetch Stories").unwrap_err();
        assert_eq!(err.suggestion.as_deref(), Some("fetch-stories"));
        assert!(NodeId::new("1abc").is_err());
        assert!(NodeId::new("").is_err());
    }

    #[test]
    fn workflow_names() {
        assert!(WorkflowName::new("hn-digest").is_ok());
        assert!(WorkflowName::new("a1-b2").is_ok());
        for bad in ["hn_digest", "hn--digest", "-hn", "hn-", "Hn", "1hn", ""] {
            assert!(WorkflowName::new(bad).is_err(), "{bad}");
        }
        assert_eq!(
            WorkflowName::new("hn_digest")
                .unwrap_err()
                .suggestion
                .as_deref(),
            Some("hn-digest")
        );
        assert!(WorkflowName::new("a".repeat(52)).is_ok());
        assert!(WorkflowName::new("a".repeat(53)).is_err());
    }

    #[test]
    fn secret_refs() {
        let r = SecretRef::new("github.token").unwrap();
        assert_eq!((r.service(), r.key()), ("github", "token"));
        for bad in ["github", "github.", ".token", "GitHub.token", "a.b.c"] {
            assert!(SecretRef::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn serde_round_trip_validates() {
        let id: NodeId = serde_json::from_str("\"ok\"").unwrap();
        assert_eq!(id, "ok");
        assert!(serde_json::from_str::<NodeId>("\"Not OK\"").is_err());
    }
}
