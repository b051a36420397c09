//! Layers made of files, deterministically: the same entries give the same bytes, and so the
//! same digest, on any machine and from any directory.
//!
//! What makes it so: entries are written in path order whatever order they were added in;
//! every entry has the same mtime (by default 0, the Unix epoch), uid and gid 0 and no user
//! or group names; modes are the ones given (never the host file's owner or umask); the
//! gzip stream has no name, mtime 0, "unknown" OS, and a fixed compression level, from
//! flate2's pure-Rust backend.
//!
//! ```
//! use tentacular_image::layer::LayerBuilder;
//!
//! let mut b = LayerBuilder::new();
//! b.file("/usr/local/bin/hello", b"#!/bin/sh\necho hi\n".to_vec(), 0o755)?;
//! b.dir("/app", 0o755)?;
//! let layer = b.build("hello")?;
//! let again = { let mut b = LayerBuilder::new(); b.dir("/app", 0o755)?;
//!     b.file("/usr/local/bin/hello", b"#!/bin/sh\necho hi\n".to_vec(), 0o755)?; b.build("hello")? };
//! assert_eq!(layer.digest, again.digest);   // order of adding does not matter
//! # Ok::<(), tentacular_image::Error>(())
//! ```

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest as _, Sha256};

use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::oci::{Descriptor, media_type};

/// The gzip level of every layer this crate writes (flate2's default, 6). Part of what makes
/// a digest reproducible: changing it changes every digest.
pub const GZIP_LEVEL: u32 = 6;

/// A finished layer: the gzip-compressed tar, its digest and its `diff_id` (the digest of
/// the uncompressed tar, which the image config lists).
#[derive(Clone)]
pub struct Layer {
    /// The compressed bytes (the blob).
    pub blob: Bytes,
    /// The blob's digest.
    pub digest: Digest,
    /// The digest of the uncompressed tar.
    pub diff_id: Digest,
    /// What the layer holds, for the image's history (`created_by`).
    pub created_by: String,
}

impl Layer {
    /// The layer's descriptor in a manifest.
    pub fn descriptor(&self) -> Descriptor {
        Descriptor {
            media_type: media_type::OCI_LAYER_GZIP.into(),
            digest: self.digest.clone(),
            size: self.blob.len() as u64,
            platform: None,
            annotations: BTreeMap::new(),
        }
    }
}

impl std::fmt::Debug for Layer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Layer")
            .field("digest", &self.digest)
            .field("diff_id", &self.diff_id)
            .field("size", &self.blob.len())
            .field("created_by", &self.created_by)
            .finish()
    }
}

#[derive(Debug, Clone)]
enum Kind {
    File(Bytes),
    Dir,
    Symlink(String),
}

#[derive(Debug, Clone)]
struct Entry {
    kind: Kind,
    mode: u32,
}

/// Collects files, directories and symlinks for one layer; [`LayerBuilder::build`] writes
/// them. Paths are absolute image paths (`/usr/local/bin/x`); missing parent directories
/// are added with mode 0755.
#[derive(Debug, Clone, Default)]
pub struct LayerBuilder {
    entries: BTreeMap<String, Entry>,
    mtime: u64,
}

impl LayerBuilder {
    /// An empty layer whose entries have mtime 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// The mtime (seconds since the epoch) of every entry. By default, 0. Callers that honour
    /// `SOURCE_DATE_EPOCH` pass it here.
    pub fn mtime(&mut self, seconds: u64) -> &mut Self {
        self.mtime = seconds;
        self
    }

    /// Adds a regular file holding `data` with permission bits `mode` (e.g. 0o755).
    pub fn file(&mut self, path: &str, data: impl Into<Bytes>, mode: u32) -> Result<&mut Self> {
        self.insert(path, Kind::File(data.into()), mode)
    }

    /// Adds the host file `source` at `path`: its bytes, and mode 0755 if any execute bit is
    /// set on the host, else 0644 (the host's owner, times and other bits are not kept).
    pub fn file_from(&mut self, path: &str, source: &Path) -> Result<&mut Self> {
        let data = std::fs::read(source).map_err(|e| Error::io("read", source, e))?;
        let mode = host_mode(source)?;
        self.file(path, data, mode)
    }

    /// Adds a directory.
    pub fn dir(&mut self, path: &str, mode: u32) -> Result<&mut Self> {
        self.insert(path, Kind::Dir, mode)
    }

    /// Adds a symbolic link at `path` pointing to `target` (kept as written).
    pub fn symlink(&mut self, path: &str, target: &str) -> Result<&mut Self> {
        if target.is_empty() || target.contains('\0') {
            return Err(Error::InvalidPath {
                path: target.into(),
                reason: "a symlink target must be non-empty and hold no NUL",
            });
        }
        self.insert(path, Kind::Symlink(target.into()), 0o777)
    }

    /// Adds the host directory `source` and everything under it at `path`: directories 0755,
    /// files as [`LayerBuilder::file_from`], symlinks as they are. For trees such as a Deno
    /// cache.
    pub fn tree(&mut self, path: &str, source: &Path) -> Result<&mut Self> {
        self.dir(path, 0o755)?;
        let mut entries: Vec<_> = std::fs::read_dir(source)
            .map_err(|e| Error::io("read the directory", source, e))?
            .collect::<std::io::Result<_>>()
            .map_err(|e| Error::io("read the directory", source, e))?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                return Err(Error::InvalidPath {
                    path: entry.path().display().to_string(),
                    reason: "file names in an image must be UTF-8",
                });
            };
            let inner = format!("{}/{name}", path.trim_end_matches('/'));
            let host = entry.path();
            let meta = std::fs::symlink_metadata(&host).map_err(|e| Error::io("read", &host, e))?;
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&host).map_err(|e| Error::io("read", &host, e))?;
                self.symlink(&inner, &target.to_string_lossy())?;
            } else if meta.is_dir() {
                self.tree(&inner, &host)?;
            } else if meta.is_file() {
                self.file_from(&inner, &host)?;
            } else {
                return Err(Error::InvalidPath {
                    path: host.display().to_string(),
                    reason: "only files, directories and symlinks can go into a layer",
                });
            }
        }
        Ok(self)
    }

    /// True when nothing has been added.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn insert(&mut self, path: &str, kind: Kind, mode: u32) -> Result<&mut Self> {
        let rel = clean(path)?;
        let parts: Vec<&str> = rel.split('/').collect();
        for depth in 1..parts.len() {
            let parent = parts[..depth].join("/");
            match self.entries.get(&parent) {
                Some(Entry {
                    kind: Kind::Dir, ..
                }) => {}
                Some(_) => {
                    return Err(Error::InvalidPath {
                        path: path.into(),
                        reason: "a parent of this path is already a file or symlink in the layer",
                    });
                }
                None => {
                    self.entries.insert(
                        parent,
                        Entry {
                            kind: Kind::Dir,
                            mode: 0o755,
                        },
                    );
                }
            }
        }
        if !matches!(kind, Kind::Dir) {
            let prefix = format!("{rel}/");
            if self
                .entries
                .range(prefix.clone()..)
                .next()
                .is_some_and(|(k, _)| k.starts_with(&prefix))
            {
                return Err(Error::InvalidPath {
                    path: path.into(),
                    reason: "this path is already a directory with entries in the layer",
                });
            }
        }
        self.entries.insert(
            rel,
            Entry {
                kind,
                mode: mode & 0o7777,
            },
        );
        Ok(self)
    }

    /// Writes the tar, compresses it and names both.
    pub fn build(&self, created_by: &str) -> Result<Layer> {
        let gz = GzEncoder::new(Vec::new(), Compression::new(GZIP_LEVEL));
        let mut hashing = HashingWriter {
            inner: gz,
            hasher: Sha256::new(),
        };
        {
            let mut tar = tar::Builder::new(&mut hashing);
            for (path, entry) in &self.entries {
                let mut h = tar::Header::new_gnu();
                h.set_mode(entry.mode);
                h.set_uid(0);
                h.set_gid(0);
                h.set_mtime(self.mtime);
                let io = |e| Error::io("write", "an in-memory layer", e);
                match &entry.kind {
                    Kind::File(data) => {
                        h.set_entry_type(tar::EntryType::Regular);
                        h.set_size(data.len() as u64);
                        tar.append_data(&mut h, path, data.as_ref()).map_err(io)?;
                    }
                    Kind::Dir => {
                        h.set_entry_type(tar::EntryType::Directory);
                        h.set_size(0);
                        tar.append_data(&mut h, format!("{path}/"), std::io::empty())
                            .map_err(io)?;
                    }
                    Kind::Symlink(target) => {
                        h.set_entry_type(tar::EntryType::Symlink);
                        h.set_size(0);
                        tar.append_link(&mut h, path, target).map_err(io)?;
                    }
                }
            }
            tar.finish()
                .map_err(|e| Error::io("write", "an in-memory layer", e))?;
        }
        let diff_id = Digest::from_hasher(hashing.hasher);
        let blob = hashing
            .inner
            .finish()
            .map_err(|e| Error::io("compress", "an in-memory layer", e))?;
        Ok(Layer {
            digest: Digest::of(&blob),
            blob: blob.into(),
            diff_id,
            created_by: created_by.into(),
        })
    }
}

/// 0755 when the host file has an execute bit, else 0644.
fn host_mode(path: &Path) -> Result<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path).map_err(|e| Error::io("read", path, e))?;
        Ok(if meta.permissions().mode() & 0o111 != 0 {
            0o755
        } else {
            0o644
        })
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(0o644)
    }
}

/// `/usr/local/bin/x` → `usr/local/bin/x`, refusing anything but a clean absolute path.
fn clean(path: &str) -> Result<String> {
    let bad = |reason| Error::InvalidPath {
        path: path.into(),
        reason,
    };
    let Some(rel) = path.strip_prefix('/') else {
        return Err(bad("image paths are absolute (start with /)"));
    };
    if rel.is_empty() {
        return Err(bad("the root directory cannot be an entry"));
    }
    if rel.contains('\0') {
        return Err(bad("a path cannot hold NUL"));
    }
    for part in rel.split('/') {
        match part {
            "" => return Err(bad("empty path component (// or a trailing /)")),
            "." | ".." => return Err(bad(". and .. are not allowed")),
            _ if part.starts_with(".wh.") => {
                return Err(bad("names starting with .wh. are OCI whiteouts"));
            }
            _ => {}
        }
    }
    Ok(rel.to_string())
}

struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::GzDecoder;
    use std::io::Read;

    fn entries(layer: &Layer) -> Vec<(String, u32, u64, u64, u64, Option<String>)> {
        let mut tar = tar::Archive::new(GzDecoder::new(layer.blob.as_ref()));
        tar.entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let h = e.header();
                (
                    e.path().unwrap().display().to_string(),
                    h.mode().unwrap(),
                    h.uid().unwrap(),
                    h.gid().unwrap(),
                    h.mtime().unwrap(),
                    h.username()
                        .unwrap()
                        .map(str::to_string)
                        .filter(|s| !s.is_empty()),
                )
            })
            .collect()
    }

    #[test]
    fn entries_are_sorted_with_parents_owned_by_root_at_a_fixed_time() {
        let mut b = LayerBuilder::new();
        b.file("/usr/local/bin/engine", b"\x7fELF".to_vec(), 0o755)
            .unwrap();
        b.symlink("/usr/bin/e", "../local/bin/engine").unwrap();
        b.dir("/app/workflow", 0o755).unwrap();
        let layer = b.build("test").unwrap();
        let got: Vec<_> = entries(&layer)
            .into_iter()
            .map(|e| (e.0, e.1, e.2, e.3, e.4, e.5))
            .collect();
        let names: Vec<&str> = got.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(
            names,
            [
                "app/",
                "app/workflow/",
                "usr/",
                "usr/bin/",
                "usr/bin/e",
                "usr/local/",
                "usr/local/bin/",
                "usr/local/bin/engine"
            ]
        );
        assert!(
            got.iter()
                .all(|e| e.2 == 0 && e.3 == 0 && e.4 == 0 && e.5.is_none()),
            "{got:?}"
        );
        assert_eq!(got[7].1, 0o755);
    }

    #[test]
    fn same_entries_same_digest_and_diff_id_is_the_uncompressed_tar() {
        let build = |order: &[usize]| {
            let mut b = LayerBuilder::new();
            for &i in order {
                b.file(&format!("/f{i}"), vec![i as u8; 1000], 0o644)
                    .unwrap();
            }
            b.build("x").unwrap()
        };
        let a = build(&[1, 2, 3]);
        let b = build(&[3, 1, 2]);
        assert_eq!((a.digest.clone(), a.diff_id.clone()), (b.digest, b.diff_id));
        let mut raw = Vec::new();
        GzDecoder::new(a.blob.as_ref())
            .read_to_end(&mut raw)
            .unwrap();
        assert_eq!(Digest::of(&raw), a.diff_id);
        assert_eq!(Digest::of(&a.blob), a.digest);
        let mut other = LayerBuilder::new();
        other
            .mtime(1_700_000_000)
            .file("/f1", vec![1u8; 1000], 0o644)
            .unwrap();
        assert_ne!(
            other.build("x").unwrap().digest,
            build(&[1]).digest,
            "the mtime is part of the bytes"
        );
    }

    #[test]
    fn long_paths_and_host_trees() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a".repeat(60)).join("b".repeat(60));
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(deep.join("data.json"), b"{}").unwrap();
        std::fs::write(dir.path().join("run.sh"), b"#!/bin/sh\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(
                dir.path().join("run.sh"),
                std::fs::Permissions::from_mode(0o700),
            )
            .unwrap();
            std::os::unix::fs::symlink("run.sh", dir.path().join("link")).unwrap();
        }
        let mut b = LayerBuilder::new();
        b.tree("/opt/cache", dir.path()).unwrap();
        let got = entries(&b.build("tree").unwrap());
        let long = format!("opt/cache/{}/{}/data.json", "a".repeat(60), "b".repeat(60));
        assert!(got.iter().any(|e| e.0 == long && e.1 == 0o644), "{got:?}");
        #[cfg(unix)]
        assert!(
            got.iter()
                .any(|e| e.0 == "opt/cache/run.sh" && e.1 == 0o755),
            "{got:?}"
        );
    }

    #[test]
    fn unclean_paths_are_refused() {
        let mut b = LayerBuilder::new();
        for p in ["relative", "/", "/a//b", "/a/../b", "/a/", "/x/.wh.y"] {
            assert!(b.file(p, Vec::new(), 0o644).is_err(), "{p}");
        }
        b.file("/a", Vec::new(), 0o644).unwrap();
        let e = b.file("/a/b", Vec::new(), 0o644).unwrap_err().to_string();
        assert!(e.contains("already a file"), "{e}");
    }
}
