//! OCI image layouts (a directory with `oci-layout`, `index.json` and `blobs/sha256/`), the
//! format `skopeo`, `podman`, `umoci` and `buildah` read as `oci:DIR`.

use std::collections::BTreeMap;
use std::path::Path;

use bytes::Bytes;

use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::image::Image;
use crate::oci::{Descriptor, Index, Manifest, Sniff, annotation, media_type};
use crate::platform::Platform;

/// The content of the `oci-layout` file.
pub const OCI_LAYOUT: &[u8] = br#"{"imageLayoutVersion":"1.0.0"}"#;

/// Reads files of a layout by their relative path (`index.json`, `blobs/sha256/…`):
/// a directory on disk or the entries of an archive.
pub(crate) trait Files {
    /// The file's bytes, `None` when it does not exist.
    fn get(&self, path: &str) -> Result<Option<Bytes>>;
    /// What to call the source in messages.
    fn name(&self) -> String;
}

struct Dir<'a>(&'a Path);

impl Files for Dir<'_> {
    fn get(&self, path: &str) -> Result<Option<Bytes>> {
        let p = self.0.join(path);
        match std::fs::read(&p) {
            Ok(b) => Ok(Some(b.into())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("read", p, e)),
        }
    }

    fn name(&self) -> String {
        self.0.display().to_string()
    }
}

/// Reads the image for `platform` from the layout directory `dir`. With `name`, the
/// `index.json` entry whose `org.opencontainers.image.ref.name` is `name` (or ends in
/// `:name`); without, the only entry.
pub fn read_dir(dir: &Path, name: Option<&str>, platform: Platform) -> Result<Image> {
    read(&Dir(dir), name, platform)
}

/// Writes `image` into the layout directory `dir` (created if missing), its `index.json`
/// entry named `name`. Blobs already there are kept; an entry with the same name is replaced.
pub fn write_dir(dir: &Path, image: &Image, name: Option<&str>) -> Result<()> {
    let blobs = dir.join("blobs").join("sha256");
    std::fs::create_dir_all(&blobs).map_err(|e| Error::io("create", &blobs, e))?;
    let write = |path: &Path, bytes: &[u8]| {
        std::fs::write(path, bytes).map_err(|e| Error::io("write", path, e))
    };
    for (d, bytes) in image.blobs() {
        // Content-addressed: a blob of the right size is the right blob (a damaged one is
        // rewritten; reading checks every digest anyway).
        let p = blobs.join(d.digest.hex());
        if std::fs::metadata(&p).map(|m| m.len()).ok() != Some(d.size) {
            write(&p, bytes)?;
        }
    }
    write(&blobs.join(image.digest().hex()), image.manifest_bytes())?;
    write(&dir.join("oci-layout"), OCI_LAYOUT)?;
    let index_path = dir.join("index.json");
    let mut index = match Dir(dir).get("index.json")? {
        Some(b) => serde_json::from_slice(&b).map_err(|e| {
            Error::malformed(
                index_path.display().to_string(),
                format!("not an OCI index: {e}"),
            )
        })?,
        None => Index::new(),
    };
    index_entry(&mut index, image, name);
    write(&index_path, &index_bytes(&index))
}

/// Adds `image` to `index` as `name`, dropping an entry of the same name.
pub(crate) fn index_entry(index: &mut Index, image: &Image, name: Option<&str>) {
    if let Some(n) = name {
        index
            .manifests
            .retain(|d| d.annotations.get(annotation::REF_NAME).map(String::as_str) != Some(n));
    }
    let mut d = Descriptor::of(image.manifest_media_type(), image.manifest_bytes());
    if let Some(n) = name {
        d.annotations = BTreeMap::from([(annotation::REF_NAME.to_string(), n.to_string())]);
    }
    index.manifests.push(d);
}

pub(crate) fn index_bytes(index: &Index) -> Vec<u8> {
    serde_json::to_vec(index).expect("an index always serialises")
}

/// Reads an image out of a layout (a directory or an archive's entries).
pub(crate) fn read(files: &dyn Files, name: Option<&str>, platform: Platform) -> Result<Image> {
    let src = files.name();
    if files.get("oci-layout")?.is_none() {
        return Err(Error::malformed(
            &src,
            "not an OCI image layout (no oci-layout file)",
        ));
    }
    let index_bytes = files
        .get("index.json")?
        .ok_or_else(|| Error::malformed(&src, "the OCI layout has no index.json"))?;
    let index: Index = serde_json::from_slice(&index_bytes)
        .map_err(|e| Error::malformed(&src, format!("index.json does not parse: {e}")))?;
    let entry = pick(&src, &index, name)?;
    resolve(files, &entry, platform, 0)
}

fn pick(src: &str, index: &Index, name: Option<&str>) -> Result<Descriptor> {
    let names: Vec<&str> = index
        .manifests
        .iter()
        .filter_map(|d| d.annotations.get(annotation::REF_NAME).map(String::as_str))
        .collect();
    match name {
        Some(n) => index
            .manifests
            .iter()
            .find(|d| {
                d.annotations
                    .get(annotation::REF_NAME)
                    .is_some_and(|r| r == n || r.ends_with(&format!(":{n}")))
            })
            .cloned()
            .ok_or_else(|| {
                Error::malformed(
                    src,
                    format!(
                        "no image named {n:?} in index.json (names: {})",
                        list(&names)
                    ),
                )
            }),
        None => match index.manifests.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(Error::malformed(src, "index.json lists no image")),
            _ => Err(Error::malformed(
                src,
                format!(
                    "index.json lists {} images; say which by name (names: {})",
                    index.manifests.len(),
                    list(&names)
                ),
            )),
        },
    }
}

fn list(names: &[&str]) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

fn blob(files: &dyn Files, digest: &Digest) -> Result<Bytes> {
    files
        .get(&format!("blobs/sha256/{}", digest.hex()))?
        .ok_or_else(|| Error::malformed(files.name(), format!("blob {digest} is missing")))
}

fn resolve(files: &dyn Files, d: &Descriptor, platform: Platform, depth: u32) -> Result<Image> {
    let src = files.name();
    let bytes = blob(files, &d.digest)?;
    if Digest::of(&bytes) != d.digest {
        return Err(Error::DigestMismatch {
            source_name: src,
            expected: d.digest.to_string(),
            actual: Digest::of(&bytes).to_string(),
        });
    }
    let sniff: Sniff = serde_json::from_slice(&bytes).map_err(|e| {
        Error::malformed(&src, format!("manifest {} does not parse: {e}", d.digest))
    })?;
    if sniff.is_index() || media_type::INDEXES.contains(&d.media_type.as_str()) {
        if depth > 2 {
            return Err(Error::malformed(&src, "indexes nested too deeply"));
        }
        let index: Index = serde_json::from_slice(&bytes).map_err(|e| {
            Error::malformed(&src, format!("index {} does not parse: {e}", d.digest))
        })?;
        let entry = index.for_platform(platform).cloned().ok_or_else(|| {
            Error::malformed(
                &src,
                format!(
                    "no {platform} image (platforms: {})",
                    index.platforms().join(", ")
                ),
            )
        })?;
        return resolve(files, &entry, platform, depth + 1);
    }
    let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
        Error::malformed(&src, format!("manifest {} does not parse: {e}", d.digest))
    })?;
    let config = blob(files, &manifest.config.digest)?;
    let layers = manifest
        .layers
        .iter()
        .map(|l| blob(files, &l.digest))
        .collect::<Result<Vec<_>>>()?;
    Image::from_parts(&src, bytes, config, layers)
}
