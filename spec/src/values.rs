//! Small value types with their own syntax: versions, durations, memory sizes, runtimes, and
//! the `x-*` extension keys every spec object may carry.

use std::fmt;
use std::time::Duration;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::text_value::text_value;
use crate::units::{Unitless, parse_duration, quantity_in};

/// Keys starting with `x-` that a spec object carries for other tools; kept and passed on
/// untouched, in the order written.
pub type Extensions = IndexMap<String, Value>;

/// A workflow version, `MAJOR.MINOR` such as `"1.0"` or `"2.13"`.
///
/// Only two numbers: the original Tentacular requires exactly this form and deployments label
/// objects with it, so `"1.0.0"` is rejected (with a message that says so).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WorkflowVersion(String);

impl WorkflowVersion {
    /// Checks the `MAJOR.MINOR` form.
    pub fn new(value: impl Into<String>) -> Result<Self, String> {
        let value = value.into();
        let ok = value.split_once('.').is_some_and(|(a, b)| {
            !a.is_empty()
                && !b.is_empty()
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
        });
        if ok {
            Ok(Self(value))
        } else {
            Err(format!(
                "version \"{value}\" must be MAJOR.MINOR, e.g. \"1.0\""
            ))
        }
    }

    /// The version as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

text_value!(
    WorkflowVersion,
    schema = "WorkflowVersion",
    {
        "type": "string",
        "pattern": "^[0-9]+\\.[0-9]+$",
        "description": "MAJOR.MINOR, e.g. \"1.0\" (quote it: an unquoted 1.0 is a number)",
    },
    parse = |s| WorkflowVersion::new(s),
);

/// A duration written as `<integer><unit>`, unit one of `ms`, `s`, `m`, `h`: `"500ms"`,
/// `"30s"`, `"5m"`, `"1h"`. Keeps the text it was written as.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DurationText {
    text: String,
    duration: Duration,
}

impl DurationText {
    /// Parses `"30s"` and the like. Zero is rejected.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let duration = parse_duration(t, Unitless::Reject).map_err(|_| {
            format!(
                "duration \"{text}\" is not valid: write an integer and a unit (ms, s, m or h), e.g. \"30s\", \"5m\" or \"500ms\""
            )
        })?;
        if duration.is_zero() {
            return Err(format!("duration \"{text}\" must be greater than zero"));
        }
        Ok(Self {
            text: t.to_string(),
            duration,
        })
    }

    /// The duration.
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// The text as written, e.g. `"30s"`.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

text_value!(
    DurationText,
    schema = "Duration",
    {
        "type": "string",
        "pattern": "^[0-9]+(ms|s|m|h)$",
        "description": "an integer and a unit: ms, s, m or h, e.g. \"30s\"",
    },
    parse = DurationText::parse,
);

/// A memory size in Kubernetes quantity style: `"64Mi"`, `"1Gi"`, `"512Ki"`, `"100M"`, or a
/// plain number of bytes. Between 1 MiB and 4 GiB (a wasm32 memory's ceiling).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MemorySize {
    text: String,
    bytes: u64,
}

impl MemorySize {
    /// The smallest size accepted: 1 MiB.
    pub const MIN: u64 = 1 << 20;
    /// The largest size accepted: 4 GiB.
    pub const MAX: u64 = 4 << 30;

    /// Parses `"64Mi"` and the like.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let bytes = quantity_in(
            text,
            "memory size",
            "64Mi",
            Self::MIN..=Self::MAX,
            "1Mi and 4Gi",
        )?;
        Ok(Self {
            text: t.to_string(),
            bytes,
        })
    }

    /// The size in bytes.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The text as written, e.g. `"64Mi"`.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

text_value!(
    MemorySize,
    schema = "MemorySize",
    {
        "type": "string",
        "pattern": "^[0-9]+(Ki|Mi|Gi|k|K|M|G)?$",
        "description": "a Kubernetes-style quantity between 1Mi and 4Gi, e.g. \"64Mi\"",
    },
    parse = MemorySize::parse,
);

/// Where a node runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Runtime {
    /// In the wasm sandbox (QuickJS under wasmtime), one fresh instance per invocation.
    #[default]
    Wasm,
    /// Under the Deno CLI (compatibility mode), for npm:/jsr:/remote imports and Deno APIs.
    Deno,
}

impl Runtime {
    /// `"wasm"` or `"deno"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Runtime::Wasm => "wasm",
            Runtime::Deno => "deno",
        }
    }
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(WorkflowVersion::new("1.0").is_ok());
        assert!(WorkflowVersion::new("10.23").is_ok());
        for bad in ["1", "1.0.0", "v1.0", "1.", ".1", "1.a", ""] {
            let err = WorkflowVersion::new(bad).unwrap_err();
            assert!(err.contains("MAJOR.MINOR, e.g. \"1.0\""), "{err}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(
            DurationText::parse("30s").unwrap().duration(),
            Duration::from_secs(30)
        );
        assert_eq!(
            DurationText::parse("5m").unwrap().duration(),
            Duration::from_secs(300)
        );
        assert_eq!(
            DurationText::parse("500ms").unwrap().duration(),
            Duration::from_millis(500)
        );
        assert_eq!(
            DurationText::parse("2h").unwrap().duration(),
            Duration::from_secs(7200)
        );
        for bad in ["30", "s", "1.5s", "-1s", "30 s", "30sec", "", "0s"] {
            assert!(DurationText::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn memory_sizes() {
        assert_eq!(MemorySize::parse("64Mi").unwrap().bytes(), 64 << 20);
        assert_eq!(MemorySize::parse("1Gi").unwrap().bytes(), 1 << 30);
        assert_eq!(MemorySize::parse("2000000").unwrap().bytes(), 2_000_000);
        assert_eq!(MemorySize::parse("100M").unwrap().bytes(), 100_000_000);
        for bad in [
            "64MB",
            "Mi",
            "64 Mi",
            "1Ki",
            "5Gi",
            "-1Mi",
            "99999999999999999999Gi",
        ] {
            assert!(MemorySize::parse(bad).is_err(), "{bad}");
        }
    }
}
