//! The platforms an engine image is built for: `linux/amd64` and `linux/arm64`.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// An image platform. The OS is always Linux.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Platform {
    /// `linux/amd64` (x86-64).
    Amd64,
    /// `linux/arm64` (AArch64).
    Arm64,
}

impl Platform {
    /// The OCI `architecture` value: `amd64` or `arm64`.
    pub fn architecture(self) -> &'static str {
        match self {
            Platform::Amd64 => "amd64",
            Platform::Arm64 => "arm64",
        }
    }

    /// The OCI `os` value: always `linux`.
    pub fn os(self) -> &'static str {
        "linux"
    }

    /// The OCI `variant`, where there is a customary one (`v8` for arm64).
    pub fn variant(self) -> Option<&'static str> {
        match self {
            Platform::Amd64 => None,
            Platform::Arm64 => Some("v8"),
        }
    }

    /// True when an image-index entry or image config with these `os`/`architecture` values
    /// is for this platform (a variant, if any, is not compared: arm64 has only v8).
    pub fn matches(self, os: &str, architecture: &str) -> bool {
        os == self.os() && architecture == self.architecture()
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os(), self.architecture())
    }
}

impl FromStr for Platform {
    type Err = Error;

    /// Parses `linux/amd64`, `linux/arm64` and `linux/arm64/v8`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "linux/amd64" => Ok(Platform::Amd64),
            "linux/arm64" | "linux/arm64/v8" => Ok(Platform::Arm64),
            _ => Err(Error::UnknownPlatform { input: s.into() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_print() {
        assert_eq!("linux/amd64".parse::<Platform>().unwrap(), Platform::Amd64);
        assert_eq!(
            "linux/arm64/v8".parse::<Platform>().unwrap(),
            Platform::Arm64
        );
        assert_eq!(Platform::Arm64.to_string(), "linux/arm64");
        let e = "windows/amd64".parse::<Platform>().unwrap_err().to_string();
        assert!(e.contains("linux/amd64 or linux/arm64"), "{e}");
        assert!(Platform::Amd64.matches("linux", "amd64"));
        assert!(!Platform::Amd64.matches("linux", "arm64"));
    }
}
