//! The OCI documents this crate reads and writes: descriptors, image manifests and image
//! indexes, with the media types they use. Maps are `BTreeMap`s, so that a document
//! serialises to the same bytes every time (the manifest's digest *is* the image's digest).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::platform::Platform;

/// Media types.
pub mod media_type {
    /// An OCI image manifest.
    pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    /// An OCI image index.
    pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
    /// An OCI image config.
    pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
    /// An OCI layer, gzip-compressed tar.
    pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
    /// An OCI layer, uncompressed tar.
    pub const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
    /// An OCI layer, zstd-compressed tar.
    pub const OCI_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
    /// A Docker image manifest (schema 2).
    pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
    /// A Docker manifest list.
    pub const DOCKER_MANIFEST_LIST: &str =
        "application/vnd.docker.distribution.manifest.list.v2+json";
    /// A Docker image config.
    pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
    /// A Docker layer, gzip-compressed tar.
    pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    /// A Docker layer, uncompressed tar.
    pub const DOCKER_LAYER_TAR: &str = "application/vnd.docker.image.rootfs.diff.tar";

    /// The media types of manifests a single image can be read from.
    pub const MANIFESTS: &[&str] = &[OCI_MANIFEST, DOCKER_MANIFEST];
    /// The media types of indexes that list one manifest per platform.
    pub const INDEXES: &[&str] = &[OCI_INDEX, DOCKER_MANIFEST_LIST];

    /// The OCI equivalent of a Docker layer or config media type (the bytes are the same);
    /// other types are returned as they are.
    pub fn to_oci(media_type: &str) -> &str {
        match media_type {
            DOCKER_LAYER_GZIP => OCI_LAYER_GZIP,
            DOCKER_LAYER_TAR => OCI_LAYER_TAR,
            DOCKER_CONFIG => OCI_CONFIG,
            DOCKER_MANIFEST => OCI_MANIFEST,
            DOCKER_MANIFEST_LIST => OCI_INDEX,
            other => other,
        }
    }
}

/// Annotation keys.
pub mod annotation {
    /// The name of a manifest in an OCI layout's `index.json` (a tag, or a full reference).
    pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
    /// The version of the packaged software.
    pub const VERSION: &str = "org.opencontainers.image.version";
    /// The source revision (a commit) of the packaged software.
    pub const REVISION: &str = "org.opencontainers.image.revision";
    /// The image's title.
    pub const TITLE: &str = "org.opencontainers.image.title";
    /// The image's base, as given to the build.
    pub const BASE_NAME: &str = "org.opencontainers.image.base.name";
    /// The digest of the base's manifest.
    pub const BASE_DIGEST: &str = "org.opencontainers.image.base.digest";
}

/// A reference to a blob: what it is, its digest and size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// The media type.
    pub media_type: String,
    /// The digest.
    pub digest: Digest,
    /// The size in bytes.
    pub size: u64,
    /// For entries of an index: the platform of the manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<PlatformSpec>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl Descriptor {
    /// A descriptor of `bytes` with `media_type`.
    pub fn of(media_type: &str, bytes: &[u8]) -> Descriptor {
        Descriptor {
            media_type: media_type.into(),
            digest: Digest::of(bytes),
            size: bytes.len() as u64,
            platform: None,
            annotations: BTreeMap::new(),
        }
    }
}

/// The platform of an index entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformSpec {
    /// CPU architecture (`amd64`, `arm64`, …).
    pub architecture: String,
    /// Operating system (`linux`, …).
    pub os: String,
    /// CPU variant (`v8`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl From<Platform> for PlatformSpec {
    fn from(p: Platform) -> Self {
        PlatformSpec {
            architecture: p.architecture().into(),
            os: p.os().into(),
            variant: p.variant().map(str::to_string),
        }
    }
}

/// An image manifest: a config and layers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Always 2.
    pub schema_version: u32,
    /// [`media_type::OCI_MANIFEST`] (or Docker's, in a base read from elsewhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The image config.
    pub config: Descriptor,
    /// The layers, bottom first.
    pub layers: Vec<Descriptor>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// An image index: manifests, usually one per platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Index {
    /// Always 2.
    pub schema_version: u32,
    /// [`media_type::OCI_INDEX`] (or Docker's manifest list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The manifests.
    pub manifests: Vec<Descriptor>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl Index {
    /// An empty OCI index.
    pub fn new() -> Index {
        Index {
            schema_version: 2,
            media_type: Some(media_type::OCI_INDEX.into()),
            manifests: Vec::new(),
            annotations: BTreeMap::new(),
        }
    }

    /// The entry for `platform`, if the index has one.
    pub fn for_platform(&self, platform: Platform) -> Option<&Descriptor> {
        self.manifests.iter().find(|d| {
            d.platform
                .as_ref()
                .is_some_and(|p| platform.matches(&p.os, &p.architecture))
        })
    }

    /// The platforms the index lists, as `os/arch`, for error messages.
    pub fn platforms(&self) -> Vec<String> {
        self.manifests
            .iter()
            .filter_map(|d| d.platform.as_ref())
            .map(|p| format!("{}/{}", p.os, p.architecture))
            .collect()
    }
}

impl Default for Index {
    fn default() -> Self {
        Index::new()
    }
}

/// Just the `mediaType` of a manifest or index, to tell which one a document is.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Sniff {
    #[serde(default)]
    pub media_type: Option<String>,
    #[serde(default)]
    pub manifests: Option<serde_json::Value>,
}

impl Sniff {
    /// True when the document is an index (by media type, or by having `manifests`).
    pub fn is_index(&self) -> bool {
        match &self.media_type {
            Some(m) => media_type::INDEXES.contains(&m.as_str()),
            None => self.manifests.is_some(),
        }
    }
}

/// `value` serialised as compact JSON with every object's keys sorted: the canonical bytes of
/// an image config, the same whatever order the input had.
pub fn canonical_json(value: &serde_json::Value) -> Vec<u8> {
    fn sorted(v: &serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                let mut out = serde_json::Map::new();
                for k in keys {
                    out.insert(k.clone(), sorted(&map[k]));
                }
                serde_json::Value::Object(out)
            }
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.iter().map(sorted).collect())
            }
            other => other.clone(),
        }
    }
    serde_json::to_vec(&sorted(value)).expect("a JSON value always serialises")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let a: serde_json::Value =
            serde_json::from_str(r#"{"b":1,"a":{"z":[{"y":1,"x":2}],"c":null}}"#).unwrap();
        let b: serde_json::Value =
            serde_json::from_str(r#"{"a":{"c":null,"z":[{"x":2,"y":1}]},"b":1}"#).unwrap();
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(
            String::from_utf8(canonical_json(&a)).unwrap(),
            r#"{"a":{"c":null,"z":[{"x":2,"y":1}]},"b":1}"#
        );
    }

    #[test]
    fn index_finds_a_platform_and_sniff_tells_index_from_manifest() {
        let idx: Index = serde_json::from_str(
            r#"{"schemaVersion":2,"manifests":[
              {"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1,
               "digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               "platform":{"architecture":"arm64","os":"linux","variant":"v8"}}]}"#,
        )
        .unwrap();
        assert!(idx.for_platform(Platform::Arm64).is_some());
        assert!(idx.for_platform(Platform::Amd64).is_none());
        assert_eq!(idx.platforms(), ["linux/arm64"]);
        let s: Sniff = serde_json::from_str(r#"{"schemaVersion":2,"manifests":[]}"#).unwrap();
        assert!(s.is_index());
        let s: Sniff =
            serde_json::from_str(r#"{"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#)
                .unwrap();
        assert!(!s.is_index());
    }
}
