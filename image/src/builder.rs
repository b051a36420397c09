//! A new image from a base: the base's layers, then the added ones, with a config that is the
//! base's plus the [`ImageSettings`], serialised canonically.

use std::collections::BTreeMap;

use bytes::Bytes;
use serde_json::{Value, json};

use crate::config::ImageSettings;
use crate::error::{Error, Result};
use crate::image::Image;
use crate::layer::Layer;
use crate::oci::{Descriptor, Manifest, annotation, canonical_json, media_type};
use crate::platform::Platform;

/// Builds an image on top of a base.
///
/// ```
/// use tentacular_image::{Image, ImageBuilder, ImageSettings, Platform, layer::LayerBuilder};
///
/// let mut files = LayerBuilder::new();
/// files.file("/hello.txt", b"hi\n".to_vec(), 0o644)?;
/// let image = ImageBuilder::new(Image::scratch(Platform::Amd64), Platform::Amd64)
///     .layer(files.build("hello.txt")?)
///     .settings(ImageSettings { user: Some("65534:65534".into()), ..Default::default() })
///     .build()?;
/// assert_eq!(image.manifest().layers.len(), 1);
/// # Ok::<(), tentacular_image::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ImageBuilder {
    base: Image,
    base_name: Option<String>,
    platform: Platform,
    layers: Vec<Layer>,
    settings: ImageSettings,
    annotations: BTreeMap<String, String>,
    created: u64,
}

impl ImageBuilder {
    /// A builder on `base` for `platform`.
    pub fn new(base: Image, platform: Platform) -> Self {
        ImageBuilder {
            base,
            base_name: None,
            platform,
            layers: Vec::new(),
            settings: ImageSettings::default(),
            annotations: BTreeMap::new(),
            created: 0,
        }
    }

    /// The base's name for the `org.opencontainers.image.base.name` annotation: give it only
    /// for registry references (a local path would make the digest depend on where the
    /// file is). By default, none.
    pub fn base_name(&mut self, name: Option<String>) -> &mut Self {
        self.base_name = name;
        self
    }

    /// Adds a layer on top of those added so far.
    pub fn layer(&mut self, layer: Layer) -> &mut Self {
        self.layers.push(layer);
        self
    }

    /// The config settings. By default, none (the base's config is kept).
    pub fn settings(&mut self, settings: ImageSettings) -> &mut Self {
        self.settings = settings;
        self
    }

    /// Adds manifest annotations.
    pub fn annotations(&mut self, annotations: BTreeMap<String, String>) -> &mut Self {
        self.annotations.extend(annotations);
        self
    }

    /// The `created` time (seconds since the epoch) of the config and the history entries.
    /// By default, 0.
    pub fn created(&mut self, seconds: u64) -> &mut Self {
        self.created = seconds;
        self
    }

    /// Assembles the image. Fails when the base is for another platform.
    pub fn build(&self) -> Result<Image> {
        let base_cfg = self.base.config()?;
        let mut cfg = match base_cfg {
            Value::Object(m) => m,
            _ => {
                return Err(Error::malformed(
                    self.source_name(),
                    "the base's image config is not a JSON object",
                ));
            }
        };
        let os = cfg
            .get("os")
            .and_then(Value::as_str)
            .unwrap_or(self.platform.os());
        let arch = cfg
            .get("architecture")
            .and_then(Value::as_str)
            .unwrap_or(self.platform.architecture());
        if !self.platform.matches(os, arch) {
            return Err(Error::BasePlatform {
                base: self.source_name(),
                base_platform: format!("{os}/{arch}"),
                platform: self.platform,
            });
        }
        let created = rfc3339(self.created);
        cfg.insert("architecture".into(), json!(self.platform.architecture()));
        cfg.insert("os".into(), json!(self.platform.os()));
        match self.platform.variant() {
            Some(v) => cfg.insert("variant".into(), json!(v)),
            None => cfg.remove("variant"),
        };
        cfg.insert("created".into(), json!(created));
        self.settings.apply(&mut cfg);

        let mut diff_ids: Vec<Value> = cfg
            .get("rootfs")
            .and_then(|r| r.get("diff_ids"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if diff_ids.len() != self.base.manifest().layers.len() {
            return Err(Error::malformed(
                self.source_name(),
                format!(
                    "the base's config lists {} diff_ids for {} layers",
                    diff_ids.len(),
                    self.base.manifest().layers.len()
                ),
            ));
        }
        let mut history: Vec<Value> = cfg
            .get("history")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for l in &self.layers {
            diff_ids.push(json!(l.diff_id));
            history.push(json!({"created": created, "created_by": l.created_by}));
        }
        cfg.insert(
            "rootfs".into(),
            json!({"type": "layers", "diff_ids": diff_ids}),
        );
        cfg.insert("history".into(), json!(history));

        let config = Bytes::from(canonical_json(&Value::Object(cfg)));
        let mut layers: Vec<Descriptor> = Vec::new();
        let mut blobs: Vec<Bytes> = Vec::new();
        for (d, blob) in self.base.layers() {
            let mut d = d.clone();
            d.media_type = media_type::to_oci(&d.media_type).to_string();
            d.annotations.clear();
            d.platform = None;
            layers.push(d);
            blobs.push(blob.clone());
        }
        for l in &self.layers {
            layers.push(l.descriptor());
            blobs.push(l.blob.clone());
        }
        let mut annotations = self.annotations.clone();
        annotations.insert(
            annotation::BASE_DIGEST.into(),
            self.base.digest().to_string(),
        );
        if let Some(name) = &self.base_name {
            annotations.insert(annotation::BASE_NAME.into(), name.clone());
        }
        let manifest = Manifest {
            schema_version: 2,
            media_type: Some(media_type::OCI_MANIFEST.into()),
            config: Descriptor::of(media_type::OCI_CONFIG, &config),
            layers,
            annotations,
        };
        Ok(Image::assemble(manifest, config, blobs))
    }

    fn source_name(&self) -> String {
        self.base_name
            .clone()
            .unwrap_or_else(|| format!("base image {}", self.base.digest()))
    }
}

/// `1970-01-01T00:00:00Z` for 0.
fn rfc3339(seconds: u64) -> String {
    let secs = i64::try_from(seconds).unwrap_or(i64::MAX);
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer::LayerBuilder;

    fn layer(text: &str) -> Layer {
        let mut b = LayerBuilder::new();
        b.file("/f", text.as_bytes().to_vec(), 0o644).unwrap();
        b.build(text).unwrap()
    }

    #[test]
    fn layers_stack_on_the_base_and_the_config_lists_them() {
        let base = ImageBuilder::new(Image::scratch(Platform::Amd64), Platform::Amd64)
            .layer(layer("base"))
            .build()
            .unwrap();
        let img = ImageBuilder::new(base.clone(), Platform::Amd64)
            .layer(layer("top"))
            .created(86400)
            .build()
            .unwrap();
        assert_eq!(img.manifest().layers.len(), 2);
        assert_eq!(img.manifest().layers[0], base.manifest().layers[0]);
        let cfg = img.config().unwrap();
        assert_eq!(cfg["rootfs"]["diff_ids"].as_array().unwrap().len(), 2);
        assert_eq!(cfg["history"][1]["created_by"], "top");
        assert_eq!(cfg["created"], "1970-01-02T00:00:00Z");
        assert_eq!(
            img.manifest().annotations[annotation::BASE_DIGEST],
            base.digest().to_string()
        );
    }

    #[test]
    fn a_base_for_another_platform_is_refused() {
        let e = ImageBuilder::new(Image::scratch(Platform::Arm64), Platform::Amd64)
            .build()
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("is linux/arm64, but the image is built for linux/amd64"),
            "{e}"
        );
    }
}
