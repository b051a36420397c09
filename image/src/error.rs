//! The one error type of this crate. Every message names the file, image or registry involved
//! and, where there is one, what to do.

use std::path::PathBuf;

use crate::platform::Platform;

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong building, reading, writing, pushing or pulling an image.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or directory could not be read or written.
    #[error("cannot {action} {}", path.display())]
    Io {
        /// `read`, `write`, `create`, …
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },

    /// The binary to package is not an ELF executable this crate understands.
    #[error(
        "{} is not a Linux executable for amd64 or arm64: {reason}\n  hint: pass the \
         tentacular-engine binary built for Linux (cargo build --release -p tentacular-engine)",
        path.display()
    )]
    NotAnEngine {
        /// The file.
        path: PathBuf,
        /// What was found instead.
        reason: String,
    },

    /// `--platform` says one architecture, the engine binary is built for another.
    #[error(
        "--platform {requested} does not match the engine binary {}, which is built for \
         {actual}\n  hint: drop --platform (it defaults to the engine's), or pass an engine \
         built for {requested} with --engine",
        path.display()
    )]
    PlatformMismatch {
        /// The engine binary.
        path: PathBuf,
        /// The platform asked for.
        requested: Platform,
        /// The engine's.
        actual: Platform,
    },

    /// A platform string is not one this crate builds for.
    #[error("unsupported platform {input:?}: use linux/amd64 or linux/arm64")]
    UnknownPlatform {
        /// What was given.
        input: String,
    },

    /// The base image is for another platform than the image being built.
    #[error(
        "the base image {base} is {base_platform}, but the image is built for {platform}\n  \
         hint: pick the base's {platform} variant (a multi-platform reference resolves to it by \
         itself)"
    )]
    BasePlatform {
        /// The base as given.
        base: String,
        /// The base's `os/architecture`.
        base_platform: String,
        /// The platform of the image.
        platform: Platform,
    },

    /// The engine is dynamically linked and the base lacks its program interpreter.
    #[error(
        "the engine {} is dynamically linked (interpreter {interpreter}), and the base image \
         {base} has no {interpreter}: the container would fail with \"no such file or \
         directory\"\n  hint: use a glibc base such as gcr.io/distroless/cc-debian12:nonroot, \
         or a static engine (cargo build --release --target x86_64-unknown-linux-musl) on \
         distroless/static or scratch",
        engine.display()
    )]
    MissingInterpreter {
        /// The engine binary.
        engine: PathBuf,
        /// Its `PT_INTERP`, e.g. `/lib64/ld-linux-x86-64.so.2`.
        interpreter: String,
        /// The base as given.
        base: String,
    },

    /// The Deno binary is dynamically linked and the base lacks its program interpreter.
    #[error(
        "Deno ({}) needs its program interpreter {interpreter}, and the base image {base} has \
         none: Deno nodes would fail to start\n  hint: --with-deno needs a glibc base such as \
         gcr.io/distroless/cc-debian12:nonroot (the Deno CLI is built against glibc)",
        deno.display()
    )]
    DenoInterpreter {
        /// The Deno binary.
        deno: PathBuf,
        /// Its `PT_INTERP`.
        interpreter: String,
        /// The base as given.
        base: String,
    },

    /// The Deno binary is built for another platform than the image.
    #[error(
        "Deno ({}) is built for {actual}, but the image is built for {platform}\n  hint: pass \
         the Deno CLI for {platform} (npm package @deno/linux-{arch}-glibc) with --deno",
        deno.display(),
        arch = if *platform == Platform::Arm64 { "arm64" } else { "x64" }
    )]
    DenoPlatform {
        /// The Deno binary.
        deno: PathBuf,
        /// The image's platform.
        platform: Platform,
        /// Deno's.
        actual: Platform,
    },

    /// A path given for a layer entry is not a clean absolute path.
    #[error("invalid path {path:?} in an image layer: {reason}")]
    InvalidPath {
        /// The path.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// The Deno cache to put into an image is not one.
    #[error("the Deno cache {} cannot go into the image: {reason}", path.display())]
    DenoCache {
        /// The cache directory.
        path: PathBuf,
        /// What is wrong and what to do.
        reason: String,
    },

    /// A `--base` or `--dest` value cannot be understood.
    #[error("{flag} {input:?}: {message}")]
    Location {
        /// `--base` or `--dest`.
        flag: &'static str,
        /// What was given.
        input: String,
        /// What is wrong and what is accepted.
        message: String,
    },

    /// An OCI layout, archive or registry answer does not hold a usable image.
    #[error("{source_name}: {message}")]
    Malformed {
        /// The layout, archive or reference.
        source_name: String,
        /// What is missing or wrong.
        message: String,
    },

    /// A blob's bytes do not match the digest that names them.
    #[error("{source_name}: blob {expected} has digest {actual}: the image is corrupt")]
    DigestMismatch {
        /// The layout, archive or reference.
        source_name: String,
        /// The digest it should have.
        expected: String,
        /// The digest it has.
        actual: String,
    },

    /// An image reference does not parse.
    #[error("{input:?} is not an image reference (e.g. registry.example.com/team/engine:1.0)")]
    Reference {
        /// What was given.
        input: String,
        /// The parser's complaint.
        #[source]
        source: oci_client::ParseError,
    },

    /// Plain HTTP was asked for a registry that is not on this machine.
    #[error(
        "--insecure-registry allows plain HTTP only to a registry on loopback (127.0.0.1, ::1, \
         localhost), not {registry}\n  hint: serve the registry over HTTPS"
    )]
    InsecureNotLoopback {
        /// The registry host.
        registry: String,
    },

    /// The credentials for a registry could not be read.
    #[error(
        "cannot read the credentials for {registry} from the docker config ({message})\n  hint: \
         run `docker login {registry}`, fix $DOCKER_CONFIG/config.json, or pass --username and \
         --password-stdin"
    )]
    Credentials {
        /// The registry host.
        registry: String,
        /// What went wrong.
        message: String,
    },

    /// A registry operation failed.
    #[error("{operation} {reference} failed")]
    Registry {
        /// `push blob sha256:…`, `pull manifest`, …
        operation: String,
        /// The reference.
        reference: String,
        /// The client's error.
        #[source]
        source: oci_client::errors::OciDistributionError,
    },

    /// The registry client could not be set up.
    #[error("cannot set up the registry client")]
    Client {
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl Error {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn malformed(source_name: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Malformed {
            source_name: source_name.into(),
            message: message.into(),
        }
    }
}
