//! Where an image comes from (`--base`) and where it goes (`--dest`), written the way skopeo
//! names transports: `oci-dir:PATH` (also `oci:PATH`), `oci-archive:PATH`,
//! `docker-archive:PATH`, `docker://REF` or a bare registry reference, and `scratch`.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A local place an image can be written to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dest {
    /// An OCI layout directory.
    OciDir(PathBuf),
    /// An OCI layout in a tar file.
    OciArchive(PathBuf),
    /// A `docker save`-style tar file (also an OCI layout).
    DockerArchive(PathBuf),
}

/// Where a base image is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The empty image.
    Scratch,
    /// An OCI layout directory.
    OciDir(PathBuf),
    /// An OCI or Docker archive (told apart by their content).
    Archive(PathBuf),
    /// A registry reference such as `gcr.io/distroless/cc-debian12:nonroot`.
    Registry(String),
}

const DEST_FORMS: &str = "use oci-dir:PATH, oci-archive:PATH or docker-archive:PATH";

impl Dest {
    /// Parses a `--dest` value.
    pub fn parse(input: &str) -> Result<Dest> {
        let bad = |message: &str| Error::Location {
            flag: "--dest",
            input: input.into(),
            message: message.into(),
        };
        let (kind, path) = input.split_once(':').ok_or_else(|| bad(DEST_FORMS))?;
        if path.is_empty() {
            return Err(bad(&format!("the path is empty; {DEST_FORMS}")));
        }
        let path = PathBuf::from(path);
        match kind {
            "oci-dir" | "oci" => Ok(Dest::OciDir(path)),
            "oci-archive" => Ok(Dest::OciArchive(path)),
            "docker-archive" => Ok(Dest::DockerArchive(path)),
            _ => Err(bad(&format!("unknown kind {kind:?}; {DEST_FORMS}"))),
        }
    }

    /// The path written to.
    pub fn path(&self) -> &Path {
        match self {
            Dest::OciDir(p) | Dest::OciArchive(p) | Dest::DockerArchive(p) => p,
        }
    }

    /// `oci-dir`, `oci-archive` or `docker-archive`.
    pub fn kind(&self) -> &'static str {
        match self {
            Dest::OciDir(_) => "oci-dir",
            Dest::OciArchive(_) => "oci-archive",
            Dest::DockerArchive(_) => "docker-archive",
        }
    }
}

impl fmt::Display for Dest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind(), self.path().display())
    }
}

impl Source {
    /// Parses a `--base` value: an explicit `kind:PATH`, `scratch`, an existing directory
    /// (an OCI layout) or file (an archive), else a registry reference.
    pub fn parse(input: &str) -> Result<Source> {
        let bad = |message: String| Error::Location {
            flag: "--base",
            input: input.into(),
            message,
        };
        if input == "scratch" {
            return Ok(Source::Scratch);
        }
        if let Some(rest) = input.strip_prefix("docker://") {
            return Ok(Source::Registry(rest.into()));
        }
        for (prefix, dir) in [
            ("oci-dir:", true),
            ("oci:", true),
            ("oci-archive:", false),
            ("docker-archive:", false),
        ] {
            if let Some(path) = input.strip_prefix(prefix) {
                let p = PathBuf::from(path);
                return match (p.is_dir(), p.is_file()) {
                    (true, _) if dir => Ok(Source::OciDir(p)),
                    (_, true) if !dir => Ok(Source::Archive(p)),
                    (false, false) if !p.exists() => {
                        Err(bad(format!("{} does not exist", p.display())))
                    }
                    _ if dir => Err(bad(format!("{} is not a directory", p.display()))),
                    _ => Err(bad(format!("{} is not a file", p.display()))),
                };
            }
        }
        let p = Path::new(input);
        if p.is_dir() {
            return Ok(Source::OciDir(p.into()));
        }
        if p.is_file() {
            return Ok(Source::Archive(p.into()));
        }
        if input.starts_with('/') || input.starts_with('.') {
            return Err(bad(format!("{input} does not exist")));
        }
        Ok(Source::Registry(input.into()))
    }

    /// True for a registry reference.
    pub fn is_registry(&self) -> bool {
        matches!(self, Source::Registry(_))
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Scratch => f.write_str("scratch"),
            Source::OciDir(p) => write!(f, "oci-dir:{}", p.display()),
            Source::Archive(p) => write!(f, "archive:{}", p.display()),
            Source::Registry(r) => f.write_str(r),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dests() {
        assert_eq!(
            Dest::parse("oci-dir:out").unwrap(),
            Dest::OciDir("out".into())
        );
        assert_eq!(Dest::parse("oci:out").unwrap(), Dest::OciDir("out".into()));
        assert_eq!(
            Dest::parse("docker-archive:/tmp/x.tar").unwrap().kind(),
            "docker-archive"
        );
        for bad in ["out", "tar:x", "oci-archive:"] {
            let e = Dest::parse(bad).unwrap_err().to_string();
            assert!(e.starts_with("--dest"), "{e}");
        }
    }

    #[test]
    fn sources() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("base.tar");
        std::fs::write(&file, b"").unwrap();
        let d = dir.path().to_str().unwrap();
        assert_eq!(Source::parse(d).unwrap(), Source::OciDir(d.into()));
        assert_eq!(
            Source::parse(file.to_str().unwrap()).unwrap(),
            Source::Archive(file.clone())
        );
        assert_eq!(
            Source::parse(&format!("oci-dir:{d}")).unwrap(),
            Source::OciDir(d.into())
        );
        assert!(Source::parse(&format!("oci-dir:{}", file.display())).is_err());
        assert_eq!(Source::parse("scratch").unwrap(), Source::Scratch);
        assert_eq!(
            Source::parse("gcr.io/distroless/cc-debian12:nonroot").unwrap(),
            Source::Registry("gcr.io/distroless/cc-debian12:nonroot".into())
        );
        assert_eq!(
            Source::parse("docker://127.0.0.1:5000/b:1").unwrap(),
            Source::Registry("127.0.0.1:5000/b:1".into())
        );
        assert!(
            Source::parse("./missing")
                .unwrap_err()
                .to_string()
                .contains("does not exist")
        );
    }
}
