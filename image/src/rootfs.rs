//! The file tree an image's layers add up to (names and kinds only), to answer "does the base
//! have `/lib64/ld-linux-x86-64.so.2`?" the way the kernel would: following symlinks, after
//! whiteouts.

use std::collections::BTreeMap;
use std::io::Read;

use flate2::read::GzDecoder;

use crate::error::{Error, Result};
use crate::image::Image;
use crate::oci::media_type;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    File,
    Dir,
    Symlink(String),
}

/// Paths (without the leading `/`) and what they are.
#[derive(Debug, Clone, Default)]
pub struct FileTree {
    nodes: BTreeMap<String, Node>,
    /// Layers whose compression this crate cannot read (zstd): the tree may miss their files.
    pub unreadable_layers: usize,
}

impl FileTree {
    /// The tree of `image`'s layers, bottom to top, with OCI whiteouts applied.
    pub fn of(image: &Image) -> Result<FileTree> {
        let mut tree = FileTree::default();
        for (d, blob) in image.layers() {
            let reader: Box<dyn Read + '_> = match media_type::to_oci(&d.media_type) {
                media_type::OCI_LAYER_GZIP => Box::new(GzDecoder::new(blob.as_ref())),
                media_type::OCI_LAYER_TAR => Box::new(blob.as_ref()),
                _ => {
                    tree.unreadable_layers += 1;
                    continue;
                }
            };
            tree.add_layer(reader).map_err(|e| {
                Error::malformed(
                    d.digest.as_str(),
                    format!("the layer is not a readable tar: {e}"),
                )
            })?;
        }
        Ok(tree)
    }

    fn add_layer(&mut self, reader: impl Read) -> std::io::Result<()> {
        let mut archive = tar::Archive::new(reader);
        for entry in archive.entries()? {
            let entry = entry?;
            let raw = entry.path()?.to_string_lossy().into_owned();
            let path = normalise(&raw);
            if path.is_empty() {
                continue;
            }
            let (dir, name) = path.rsplit_once('/').unwrap_or(("", path.as_str()));
            if name == ".wh..wh..opq" {
                let prefix = format!("{dir}/");
                self.nodes.retain(|k, _| !k.starts_with(&prefix));
                continue;
            }
            if let Some(hidden) = name.strip_prefix(".wh.") {
                let gone = if dir.is_empty() {
                    hidden.to_string()
                } else {
                    format!("{dir}/{hidden}")
                };
                let prefix = format!("{gone}/");
                self.nodes
                    .retain(|k, _| k != &gone && !k.starts_with(&prefix));
                continue;
            }
            let node = match entry.header().entry_type() {
                tar::EntryType::Directory => Node::Dir,
                tar::EntryType::Symlink => Node::Symlink(
                    entry
                        .link_name()?
                        .map(|l| l.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                ),
                _ => Node::File,
            };
            self.nodes.insert(path, node);
        }
        Ok(())
    }

    /// True when `path` (absolute) names a file, directory or a symlink that resolves to one.
    pub fn exists(&self, path: &str) -> bool {
        self.resolve(path, 0).is_some()
    }

    fn resolve(&self, path: &str, depth: u32) -> Option<String> {
        if depth > 40 {
            return None;
        }
        let mut at = String::new();
        let norm = normalise(path);
        let parts: Vec<&str> = norm.split('/').filter(|p| !p.is_empty()).collect();
        for (i, part) in parts.iter().enumerate() {
            let next = match *part {
                ".." => {
                    at = at
                        .rsplit_once('/')
                        .map(|(p, _)| p.to_string())
                        .unwrap_or_default();
                    continue;
                }
                p if at.is_empty() => p.to_string(),
                p => format!("{at}/{p}"),
            };
            match self.nodes.get(&next) {
                None => return None,
                Some(Node::Symlink(target)) => {
                    let rest = parts[i + 1..].join("/");
                    let joined = if target.starts_with('/') {
                        format!("{target}/{rest}")
                    } else {
                        format!("/{at}/{target}/{rest}")
                    };
                    return self.resolve(&joined, depth + 1);
                }
                Some(_) => at = next,
            }
        }
        Some(at)
    }
}

/// `./usr/lib/` → `usr/lib`.
fn normalise(path: &str) -> String {
    path.split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(entries: &[(&str, Node)]) -> FileTree {
        FileTree {
            nodes: entries
                .iter()
                .map(|(p, n)| (p.to_string(), n.clone()))
                .collect(),
            unreadable_layers: 0,
        }
    }

    #[test]
    fn symlinked_directories_and_files_resolve() {
        // Debian with merged /usr: /lib64 -> usr/lib64, the loader a symlink into the triplet dir.
        let t = tree(&[
            ("lib64", Node::Symlink("usr/lib64".into())),
            ("usr", Node::Dir),
            ("usr/lib64", Node::Dir),
            (
                "usr/lib64/ld-linux-x86-64.so.2",
                Node::Symlink("../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2".into()),
            ),
            ("usr/lib", Node::Dir),
            ("usr/lib/x86_64-linux-gnu", Node::Dir),
            ("usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", Node::File),
            ("loop", Node::Symlink("/loop".into())),
        ]);
        assert!(t.exists("/lib64/ld-linux-x86-64.so.2"));
        assert!(t.exists("/usr/lib/x86_64-linux-gnu"));
        assert!(!t.exists("/lib/ld-musl-x86_64.so.1"));
        assert!(!t.exists("/loop/x"), "a symlink loop ends");
    }
}
