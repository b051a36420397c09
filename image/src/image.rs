//! A single-platform image held in memory: manifest, config and layer blobs, each checked
//! against the digest that names it.

use bytes::Bytes;
use serde_json::{Value, json};

use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::oci::{Descriptor, Manifest, canonical_json, media_type};
use crate::platform::Platform;

/// An image: its manifest (whose digest is the image's), its config and its layers.
#[derive(Clone)]
pub struct Image {
    manifest: Manifest,
    manifest_bytes: Bytes,
    config: Bytes,
    layers: Vec<Bytes>,
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Image")
            .field("digest", &self.digest())
            .field("layers", &self.manifest.layers.len())
            .field("size", &self.size())
            .finish()
    }
}

impl Image {
    /// An image from its parts, as read from a layout, an archive or a registry. Checks that
    /// the manifest parses and that the config and every layer match their descriptors.
    /// `source_name` (a path or a reference) goes into the error messages.
    pub fn from_parts(
        source_name: &str,
        manifest_bytes: Bytes,
        config: Bytes,
        layers: Vec<Bytes>,
    ) -> Result<Image> {
        let manifest: Manifest = serde_json::from_slice(&manifest_bytes).map_err(|e| {
            Error::malformed(
                source_name,
                format!("the image manifest does not parse: {e}"),
            )
        })?;
        if manifest.layers.len() != layers.len() {
            return Err(Error::malformed(
                source_name,
                format!(
                    "the manifest lists {} layers, {} were given",
                    manifest.layers.len(),
                    layers.len()
                ),
            ));
        }
        check_blob(source_name, &manifest.config, &config)?;
        for (d, bytes) in manifest.layers.iter().zip(&layers) {
            check_blob(source_name, d, bytes)?;
        }
        Ok(Image {
            manifest,
            manifest_bytes,
            config,
            layers,
        })
    }

    /// An image from a manifest this crate made (already canonical) and its blobs.
    pub(crate) fn assemble(manifest: Manifest, config: Bytes, layers: Vec<Bytes>) -> Image {
        let manifest_bytes = serde_json::to_vec(&manifest)
            .expect("a manifest always serialises")
            .into();
        Image {
            manifest,
            manifest_bytes,
            config,
            layers,
        }
    }

    /// The empty image (no layers) for `platform`: the base for a fully static engine.
    pub fn scratch(platform: Platform) -> Image {
        let mut config = json!({
            "architecture": platform.architecture(),
            "os": platform.os(),
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": []},
        });
        if let Some(v) = platform.variant() {
            config["variant"] = json!(v);
        }
        let config = Bytes::from(canonical_json(&config));
        let manifest = Manifest {
            schema_version: 2,
            media_type: Some(media_type::OCI_MANIFEST.into()),
            config: Descriptor::of(media_type::OCI_CONFIG, &config),
            layers: Vec::new(),
            annotations: Default::default(),
        };
        Image::assemble(manifest, config, Vec::new())
    }

    /// The image's digest: the digest of its manifest's bytes.
    pub fn digest(&self) -> Digest {
        Digest::of(&self.manifest_bytes)
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The manifest's bytes, exactly as they are pushed and written.
    pub fn manifest_bytes(&self) -> &Bytes {
        &self.manifest_bytes
    }

    /// The manifest's media type (OCI unless read from a Docker-format base).
    pub fn manifest_media_type(&self) -> &str {
        self.manifest
            .media_type
            .as_deref()
            .unwrap_or(media_type::OCI_MANIFEST)
    }

    /// The config's bytes.
    pub fn config_bytes(&self) -> &Bytes {
        &self.config
    }

    /// The config, parsed.
    pub fn config(&self) -> Result<Value> {
        serde_json::from_slice(&self.config).map_err(|e| {
            Error::malformed(
                self.digest().as_str(),
                format!("the image config does not parse: {e}"),
            )
        })
    }

    /// `os/architecture` from the config (`?` where a field is missing).
    pub fn platform_text(&self) -> String {
        let c = self.config().unwrap_or(Value::Null);
        let field = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("?").to_string();
        format!("{}/{}", field("os"), field("architecture"))
    }

    /// The layers with their descriptors, bottom first.
    pub fn layers(&self) -> impl Iterator<Item = (&Descriptor, &Bytes)> {
        self.manifest.layers.iter().zip(&self.layers)
    }

    /// Every blob (config first, then the layers) with its descriptor.
    pub fn blobs(&self) -> Vec<(&Descriptor, &Bytes)> {
        std::iter::once((&self.manifest.config, &self.config))
            .chain(self.layers())
            .collect()
    }

    /// Bytes of the manifest, the config and every layer (compressed, as stored and pushed).
    pub fn size(&self) -> u64 {
        self.manifest_bytes.len() as u64
            + self.config.len() as u64
            + self.layers.iter().map(|l| l.len() as u64).sum::<u64>()
    }
}

fn check_blob(source_name: &str, d: &Descriptor, bytes: &[u8]) -> Result<()> {
    let actual = Digest::of(bytes);
    if actual != d.digest {
        return Err(Error::DigestMismatch {
            source_name: source_name.into(),
            expected: d.digest.to_string(),
            actual: actual.to_string(),
        });
    }
    if d.size != bytes.len() as u64 {
        return Err(Error::malformed(
            source_name,
            format!(
                "blob {} is {} bytes, its descriptor says {}",
                d.digest,
                bytes.len(),
                d.size
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_is_deterministic_and_round_trips_through_from_parts() {
        let a = Image::scratch(Platform::Amd64);
        assert_eq!(a.digest(), Image::scratch(Platform::Amd64).digest());
        assert_ne!(a.digest(), Image::scratch(Platform::Arm64).digest());
        assert_eq!(a.platform_text(), "linux/amd64");
        let b = Image::from_parts(
            "t",
            a.manifest_bytes().clone(),
            a.config_bytes().clone(),
            vec![],
        )
        .unwrap();
        assert_eq!(b.digest(), a.digest());
        let e = Image::from_parts(
            "t",
            a.manifest_bytes().clone(),
            Bytes::from_static(b"{}"),
            vec![],
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("corrupt"), "{e}");
    }
}
