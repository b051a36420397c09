//! Pushing and pulling images with `oci-client`: credentials from the docker config (or
//! given), plain HTTP only to loopback, blobs the registry already has not sent again.

use std::net::IpAddr;
use std::path::PathBuf;

use bytes::Bytes;
use http::HeaderValue;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference, RegistryOperation};

use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::image::Image;
use crate::oci::{Index, Sniff, media_type};
use crate::platform::Platform;
use crate::progress::{BlobOutcome, Progress};

/// How to log in.
#[derive(Clone, Default)]
pub enum Credentials {
    /// From `$DOCKER_CONFIG/config.json` or `~/.docker/config.json` (`auths` entries and
    /// credential helpers), anonymous when it has none for the registry. The default.
    #[default]
    DockerConfig,
    /// From this docker config file.
    DockerConfigFile(PathBuf),
    /// HTTP basic credentials (`--username`, `--password-stdin`).
    Basic {
        /// The user name.
        username: String,
        /// The password or token.
        password: String,
    },
    /// No credentials.
    Anonymous,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::DockerConfig => f.write_str("DockerConfig"),
            Credentials::DockerConfigFile(p) => write!(f, "DockerConfigFile({})", p.display()),
            Credentials::Basic { username, .. } => write!(f, "Basic({username}, ***)"),
            Credentials::Anonymous => f.write_str("Anonymous"),
        }
    }
}

/// How to reach registries.
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    /// Speak plain HTTP to the registry, which must be on loopback. By default, HTTPS.
    pub insecure: bool,
    /// Credentials. By default, the docker config's.
    pub credentials: Credentials,
}

/// One repository of one registry, ready to push to or pull from.
pub struct Remote {
    client: Client,
    reference: Reference,
    auth: RegistryAuth,
    input: String,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("reference", &self.input)
            .finish()
    }
}

/// One blob of a push and whether it was sent.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PushedBlob {
    /// The blob's digest.
    pub digest: Digest,
    /// Its size in bytes.
    pub size: u64,
    /// Uploaded, or already there.
    pub outcome: BlobOutcome,
}

/// What a push did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PushReport {
    /// The reference pushed to, as given.
    pub reference: String,
    /// `registry/repository@sha256:…`: the image pinned by digest.
    pub pinned: String,
    /// The manifest's digest.
    pub digest: Digest,
    /// Every blob, config first.
    pub blobs: Vec<PushedBlob>,
}

impl PushReport {
    /// Bytes actually sent (blobs the registry did not have).
    pub fn uploaded_bytes(&self) -> u64 {
        self.blobs
            .iter()
            .filter(|b| b.outcome == BlobOutcome::Uploaded)
            .map(|b| b.size)
            .sum()
    }
}

/// The piece size of a blob upload (one progress step, one PATCH request).
const CHUNK: usize = 1 << 20;

impl Remote {
    /// A client for `reference` (e.g. `127.0.0.1:5000/tentacular-engine:dev`).
    pub fn new(reference: &str, options: &RegistryOptions) -> Result<Remote> {
        let parsed: Reference = reference.parse().map_err(|source| Error::Reference {
            input: reference.into(),
            source,
        })?;
        let registry = parsed.resolve_registry().to_string();
        let protocol = if options.insecure {
            if !is_loopback(&registry) {
                return Err(Error::InsecureNotLoopback { registry });
            }
            ClientProtocol::HttpsExcept(vec![registry.clone()])
        } else {
            ClientProtocol::Https
        };
        install_crypto_provider();
        let client = Client::try_from(ClientConfig {
            protocol,
            ..ClientConfig::default()
        })
        .map_err(|e| Error::Client {
            source: Box::new(e),
        })?;
        let auth = match &options.credentials {
            Credentials::Anonymous => RegistryAuth::Anonymous,
            Credentials::Basic { username, password } => {
                RegistryAuth::Basic(username.clone(), password.clone())
            }
            Credentials::DockerConfig => match docker_config_path().filter(|p| p.is_file()) {
                Some(path) => docker_config_auth(&path, parsed.registry())?,
                None => RegistryAuth::Anonymous,
            },
            Credentials::DockerConfigFile(path) => docker_config_auth(path, parsed.registry())?,
        };
        Ok(Remote {
            client,
            reference: parsed,
            auth,
            input: reference.into(),
        })
    }

    /// The parsed reference.
    pub fn reference(&self) -> &Reference {
        &self.reference
    }

    /// `registry/repository@digest`.
    pub fn pinned(&self, digest: &Digest) -> String {
        format!(
            "{}/{}@{digest}",
            self.reference.registry(),
            self.reference.repository()
        )
    }

    fn failed(
        &self,
        operation: impl Into<String>,
    ) -> impl FnOnce(oci_client::errors::OciDistributionError) -> Error + '_ {
        let operation = operation.into();
        move |source| Error::Registry {
            operation,
            reference: self.input.clone(),
            source,
        }
    }

    /// Pulls the image for `platform` (resolving a multi-platform index), every blob checked
    /// against its digest.
    pub async fn pull(&self, platform: Platform, progress: &dyn Progress) -> Result<Image> {
        self.client
            .auth(&self.reference, &self.auth, RegistryOperation::Pull)
            .await
            .map_err(self.failed("log in to pull"))?;
        let accept: Vec<&str> = media_type::MANIFESTS
            .iter()
            .chain(media_type::INDEXES)
            .copied()
            .collect();
        let (bytes, _) = self
            .client
            .pull_manifest_raw(&self.reference, &self.auth, &accept)
            .await
            .map_err(self.failed("pull the manifest of"))?;
        let mut manifest_bytes = bytes;
        let sniff: Sniff = serde_json::from_slice(&manifest_bytes).map_err(|e| {
            Error::malformed(&self.input, format!("the manifest does not parse: {e}"))
        })?;
        if sniff.is_index() {
            let index: Index = serde_json::from_slice(&manifest_bytes).map_err(|e| {
                Error::malformed(&self.input, format!("the index does not parse: {e}"))
            })?;
            let entry = index.for_platform(platform).ok_or_else(|| {
                Error::malformed(
                    &self.input,
                    format!(
                        "no {platform} image (platforms: {})",
                        index.platforms().join(", ")
                    ),
                )
            })?;
            let by_digest = self.reference.clone_with_digest(entry.digest.to_string());
            manifest_bytes = self
                .client
                .pull_manifest_raw(&by_digest, &self.auth, media_type::MANIFESTS)
                .await
                .map_err(self.failed("pull the platform manifest of"))?
                .0;
        }
        let manifest: crate::oci::Manifest =
            serde_json::from_slice(&manifest_bytes).map_err(|e| {
                Error::malformed(&self.input, format!("the manifest does not parse: {e}"))
            })?;
        let config = self
            .pull_blob(
                &manifest.config.digest,
                manifest.config.size,
                "config",
                progress,
            )
            .await?;
        let mut layers = Vec::new();
        let n = manifest.layers.len();
        for (i, l) in manifest.layers.iter().enumerate() {
            layers.push(
                self.pull_blob(&l.digest, l.size, &format!("layer {}/{n}", i + 1), progress)
                    .await?,
            );
        }
        Image::from_parts(&self.input, manifest_bytes, config, layers)
    }

    async fn pull_blob(
        &self,
        digest: &Digest,
        size: u64,
        what: &str,
        progress: &dyn Progress,
    ) -> Result<Bytes> {
        progress.start(digest, size, what);
        let mut out: Vec<u8> = Vec::with_capacity(size as usize);
        self.client
            .pull_blob(&self.reference, digest.as_str(), &mut out)
            .await
            .map_err(self.failed(format!("pull blob {digest} of")))?;
        progress.advance(digest, out.len() as u64);
        progress.finish(digest, BlobOutcome::Downloaded);
        Ok(out.into())
    }

    /// Pushes `image`: each blob the registry lacks (config and layers), then the manifest
    /// under the reference's tag (or digest).
    pub async fn push(&self, image: &Image, progress: &dyn Progress) -> Result<PushReport> {
        self.client
            .auth(&self.reference, &self.auth, RegistryOperation::Push)
            .await
            .map_err(self.failed("log in to push"))?;
        let mut blobs = Vec::new();
        let all = image.blobs();
        let n = all.len() - 1;
        for (i, (d, bytes)) in all.into_iter().enumerate() {
            let what = if i == 0 {
                "config".to_string()
            } else {
                format!("layer {i}/{n}")
            };
            progress.start(&d.digest, d.size, &what);
            let exists = self
                .client
                .blob_exists(&self.reference, d.digest.as_str())
                .await
                .map_err(self.failed(format!("check blob {} in", d.digest)))?;
            let outcome = if exists {
                BlobOutcome::Existed
            } else {
                self.push_blob(&d.digest, bytes.clone(), progress).await?;
                BlobOutcome::Uploaded
            };
            progress.finish(&d.digest, outcome);
            blobs.push(PushedBlob {
                digest: d.digest.clone(),
                size: d.size,
                outcome,
            });
        }
        let content_type = HeaderValue::from_str(image.manifest_media_type())
            .unwrap_or(HeaderValue::from_static(media_type::OCI_MANIFEST));
        self.client
            .push_manifest_raw(
                &self.reference,
                image.manifest_bytes().clone(),
                content_type,
            )
            .await
            .map_err(self.failed("push the manifest to"))?;
        let digest = image.digest();
        Ok(PushReport {
            reference: self.input.clone(),
            pinned: self.pinned(&digest),
            digest,
            blobs,
        })
    }

    async fn push_blob(
        &self,
        digest: &Digest,
        bytes: Bytes,
        progress: &dyn Progress,
    ) -> Result<()> {
        // Chunks go out one PATCH at a time; each is counted when the stream hands it over,
        // i.e. once the previous one has been sent.
        let size = bytes.len() as u64;
        let chunks: Vec<Bytes> = (0..bytes.len())
            .step_by(CHUNK)
            .map(|start| bytes.slice(start..(start + CHUNK).min(bytes.len())))
            .collect();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<u64>();
        let stream = futures_util::stream::iter(chunks.into_iter().map(move |c| {
            let _ = tx.send(c.len() as u64);
            Ok(c)
        }));
        let push =
            self.client
                .push_blob_stream(&self.reference, stream, digest.as_str(), Some(size));
        tokio::pin!(push);
        loop {
            tokio::select! {
                done = &mut push => {
                    while let Ok(n) = rx.try_recv() {
                        progress.advance(digest, n);
                    }
                    done.map_err(self.failed(format!("push blob {digest} to")))?;
                    return Ok(());
                }
                Some(n) = rx.recv() => progress.advance(digest, n),
            }
        }
    }
}

/// True for `127.x.x.x`, `::1` and `localhost`, with or without a port.
pub fn is_loopback(registry: &str) -> bool {
    let host = match registry.strip_prefix('[') {
        Some(rest) => rest.split_once(']').map_or(rest, |(h, _)| h),
        None => registry.rsplit_once(':').map_or(registry, |(h, p)| {
            if p.chars().all(|c| c.is_ascii_digit()) {
                h
            } else {
                registry
            }
        }),
    };
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// reqwest is built without a TLS provider of its own (see Cargo.toml): ring's, as the
/// process default. Installing it twice is harmless.
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The docker config file: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
pub fn docker_config_path() -> Option<PathBuf> {
    match std::env::var_os("DOCKER_CONFIG") {
        Some(d) => Some(PathBuf::from(d).join("config.json")),
        None => std::env::home_dir().map(|h| h.join(".docker").join("config.json")),
    }
}

fn docker_config_auth(path: &std::path::Path, registry: &str) -> Result<RegistryAuth> {
    let text = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
    let keys: Vec<String> = if matches!(
        registry,
        "docker.io" | "index.docker.io" | "registry-1.docker.io"
    ) {
        vec![
            "https://index.docker.io/v1/".into(),
            "index.docker.io".into(),
            "docker.io".into(),
        ]
    } else {
        vec![
            registry.into(),
            format!("https://{registry}"),
            format!("http://{registry}"),
        ]
    };
    use docker_credential::{CredentialRetrievalError as E, DockerCredential};
    for key in keys {
        match docker_credential::get_credential_from_reader(text.as_slice(), &key) {
            Ok(DockerCredential::UsernamePassword(u, p)) => return Ok(RegistryAuth::Basic(u, p)),
            Ok(DockerCredential::IdentityToken(_)) => {
                return Err(Error::Credentials {
                    registry: registry.into(),
                    message: format!(
                        "{} holds an identity token, which tntc cannot use",
                        path.display()
                    ),
                });
            }
            Err(E::NoCredentialConfigured) => continue,
            Err(e) => {
                return Err(Error::Credentials {
                    registry: registry.into(),
                    message: format!("{}: {e}", path.display()),
                });
            }
        }
    }
    Ok(RegistryAuth::Anonymous)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_registries() {
        for r in [
            "127.0.0.1:5000",
            "localhost:5000",
            "localhost",
            "[::1]:5000",
            "127.1.2.3",
        ] {
            assert!(is_loopback(r), "{r}");
        }
        for r in [
            "10.0.0.1:5000",
            "registry.example.com",
            "gcr.io",
            "[fe80::1]:5000",
        ] {
            assert!(!is_loopback(r), "{r}");
        }
    }

    #[test]
    fn insecure_is_refused_off_loopback() {
        let opts = RegistryOptions {
            insecure: true,
            credentials: Credentials::Anonymous,
        };
        let e = Remote::new("registry.example.com/x:1", &opts)
            .unwrap_err()
            .to_string();
        assert!(e.contains("only to a registry on loopback"), "{e}");
        assert!(Remote::new("127.0.0.1:5000/x:1", &opts).is_ok());
        let e = Remote::new("no spaces/x:1", &opts).unwrap_err().to_string();
        assert!(e.contains("is not an image reference"), "{e}");
    }
}
