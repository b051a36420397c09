//! Image archives: `oci-archive` (an OCI layout in a tar) and `docker-archive` (what `docker
//! save` writes and `docker load` / `podman load` read).
//!
//! The docker archive this crate writes is also an OCI layout (the format `docker save`
//! writes since Docker 25): `blobs/sha256/…`, `index.json` and `oci-layout`, plus Docker's
//! `manifest.json` naming the config, the layers and the repository tag. Archives are
//! deterministic like layers (sorted entries, mtime 0, root-owned).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::image::Image;
use crate::layout::{self, Files, OCI_LAYOUT};
use crate::oci::{Descriptor, Index, Manifest, media_type};
use crate::platform::Platform;

/// One image of Docker's `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

/// Writes `image` as an OCI archive at `path`, its index entry named `name`.
pub fn write_oci_archive(path: &Path, image: &Image, name: Option<&str>) -> Result<()> {
    let mut files = layout_files(image, name);
    files.remove("manifest.json");
    write_tar(path, &files)
}

/// Writes `image` as a Docker archive at `path`, tagged `repo_tag` (e.g.
/// `localhost/tentacular-engine:dev`; a name without a tag gets `:latest`).
pub fn write_docker_archive(path: &Path, image: &Image, repo_tag: &str) -> Result<()> {
    let tag = if has_tag(repo_tag) {
        repo_tag.to_string()
    } else {
        format!("{repo_tag}:latest")
    };
    let mut files = layout_files(image, Some(&tag));
    let entry = DockerEntry {
        config: blob_path(&image.manifest().config.digest),
        repo_tags: Some(vec![tag]),
        layers: image
            .manifest()
            .layers
            .iter()
            .map(|l| blob_path(&l.digest))
            .collect(),
    };
    files.insert(
        "manifest.json".into(),
        serde_json::to_vec(&[entry]).expect("serialises").into(),
    );
    write_tar(path, &files)
}

/// True when the last path component of `reference` carries a `:tag` (or it has a digest).
fn has_tag(reference: &str) -> bool {
    let last = reference.rsplit('/').next().unwrap_or(reference);
    last.contains(':') || reference.contains('@')
}

fn blob_path(d: &Digest) -> String {
    format!("blobs/sha256/{}", d.hex())
}

fn layout_files(image: &Image, name: Option<&str>) -> BTreeMap<String, Bytes> {
    let mut files = BTreeMap::new();
    for (d, bytes) in image.blobs() {
        files.insert(blob_path(&d.digest), bytes.clone());
    }
    files.insert(blob_path(&image.digest()), image.manifest_bytes().clone());
    let mut index = Index::new();
    layout::index_entry(&mut index, image, name);
    files.insert("index.json".into(), layout::index_bytes(&index).into());
    files.insert("oci-layout".into(), Bytes::from_static(OCI_LAYOUT));
    files
}

fn write_tar(path: &Path, files: &BTreeMap<String, Bytes>) -> Result<()> {
    let io = |e| Error::io("write", path, e);
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| Error::io("create", parent, e))?;
    }
    let file = std::fs::File::create(path).map_err(io)?;
    let mut tar = tar::Builder::new(std::io::BufWriter::new(file));
    let mut dirs = std::collections::BTreeSet::new();
    for name in files.keys() {
        let parts: Vec<&str> = name.split('/').collect();
        for depth in 1..parts.len() {
            dirs.insert(format!("{}/", parts[..depth].join("/")));
        }
    }
    let mut entries: Vec<(&str, Option<&Bytes>)> =
        dirs.iter().map(|d| (d.as_str(), None)).collect();
    entries.extend(files.iter().map(|(k, v)| (k.as_str(), Some(v))));
    entries.sort_by(|a, b| a.0.cmp(b.0));
    for (name, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(0);
        match data {
            None => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                h.set_size(0);
                tar.append_data(&mut h, name, std::io::empty())
                    .map_err(io)?;
            }
            Some(bytes) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(0o644);
                h.set_size(bytes.len() as u64);
                tar.append_data(&mut h, name, bytes.as_ref()).map_err(io)?;
            }
        }
    }
    tar.into_inner()
        .map_err(io)?
        .into_inner()
        .map_err(|e| io(e.into_error()))?;
    Ok(())
}

/// The regular files of a tar archive, by normalised path (no leading `./`).
struct TarFiles {
    name: String,
    files: BTreeMap<String, Bytes>,
}

impl Files for TarFiles {
    fn get(&self, path: &str) -> Result<Option<Bytes>> {
        Ok(self.files.get(path).cloned())
    }

    fn name(&self) -> String {
        self.name.clone()
    }
}

fn read_tar(path: &Path) -> Result<TarFiles> {
    let io = |e| Error::io("read", path, e);
    let file = std::fs::File::open(path).map_err(io)?;
    let mut archive = tar::Archive::new(std::io::BufReader::new(file));
    let mut files = BTreeMap::new();
    for entry in archive.entries().map_err(io)? {
        let mut entry = entry.map_err(io)?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let name = entry
            .path()
            .map_err(io)?
            .to_string_lossy()
            .trim_start_matches("./")
            .to_string();
        let mut data = Vec::with_capacity(entry.size() as usize);
        entry.read_to_end(&mut data).map_err(io)?;
        files.insert(name, Bytes::from(data));
    }
    Ok(TarFiles {
        name: path.display().to_string(),
        files,
    })
}

/// Reads the image for `platform` from an archive at `path`: an OCI archive, or a Docker
/// archive (classic `docker save` output with `<id>/layer.tar` entries included).
pub fn read_archive(path: &Path, name: Option<&str>, platform: Platform) -> Result<Image> {
    let files = read_tar(path)?;
    match files.files.get("manifest.json") {
        // Docker 25+ archives (and ours) are OCI layouts too: read the manifest as it is.
        Some(m) if !files.files.contains_key("oci-layout") => read_docker(&files, m, name),
        _ => layout::read(&files, name, platform),
    }
}

fn read_docker(files: &TarFiles, manifest_json: &[u8], name: Option<&str>) -> Result<Image> {
    let src = files.name();
    let entries: Vec<DockerEntry> = serde_json::from_slice(manifest_json)
        .map_err(|e| Error::malformed(&src, format!("manifest.json does not parse: {e}")))?;
    let entry = match name {
        Some(n) => entries.iter().find(|e| {
            e.repo_tags
                .iter()
                .flatten()
                .any(|t| t == n || t.ends_with(&format!(":{n}")) || t.ends_with(&format!("/{n}")))
        }),
        None if entries.len() == 1 => entries.first(),
        None => None,
    }
    .ok_or_else(|| {
        Error::malformed(
            &src,
            format!(
                "manifest.json lists {} images; say which by tag",
                entries.len()
            ),
        )
    })?;
    let get = |p: &str| {
        files.files.get(p).cloned().ok_or_else(|| {
            Error::malformed(&src, format!("{p} is listed in manifest.json but missing"))
        })
    };
    let config = get(&entry.config)?;
    let mut layers = Vec::new();
    let mut descriptors = Vec::new();
    for p in &entry.layers {
        let blob = get(p)?;
        let kind = if blob.starts_with(&[0x1f, 0x8b]) {
            media_type::OCI_LAYER_GZIP
        } else {
            media_type::OCI_LAYER_TAR
        };
        descriptors.push(Descriptor::of(kind, &blob));
        layers.push(blob);
    }
    let manifest = Manifest {
        schema_version: 2,
        media_type: Some(media_type::OCI_MANIFEST.into()),
        config: Descriptor::of(media_type::OCI_CONFIG, &config),
        layers: descriptors,
        annotations: BTreeMap::new(),
    };
    Ok(Image::assemble(manifest, config, layers))
}
