//! The on-disk cache of compiled snapshots: one `<sha256>.cwasm` per distinct workflow
//! version (a few MB each), so that loading a workflow seen before costs a file read instead
//! of a compilation. Every edit of a node makes a new entry, so the cache is kept under a
//! size cap ([`SandboxConfig::cache_max_size`](crate::SandboxConfig::cache_max_size), by
//! default [`DEFAULT_MAX_SIZE`] or `$TENTACULAR_CACHE_MAX_SIZE`): after each store, the
//! entries used least recently are removed first. A hit marks its entry used (its
//! modification time), so what a user keeps running stays.
//!
//! `tntc cache info|prune|clear` is this module on the command line.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Serialize;

/// The cap when nothing else sets one: 512 MiB (about a hundred workflow versions).
pub const DEFAULT_MAX_SIZE: u64 = 512 << 20;
/// The environment variable that sets the cap, e.g. `1GiB` or `200Mi`.
pub const MAX_SIZE_ENV: &str = "TENTACULAR_CACHE_MAX_SIZE";
/// Suffix of a cache entry.
const ENTRY_SUFFIX: &str = ".cwasm";
/// A half-written entry (`.<entry>.<pid>.tmp`) older than this belonged to a process that
/// died while writing it.
const STALE_TEMP: Duration = Duration::from_secs(3600);

/// The cache directory when nothing else sets one: `$TENTACULAR_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/tentacular/sandbox`, else `~/.cache/tentacular/sandbox`.
pub fn default_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("TENTACULAR_CACHE_DIR") {
        return Some(PathBuf::from(d));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("tentacular").join("sandbox"))
}

/// The cap `$TENTACULAR_CACHE_MAX_SIZE` sets, if it is set; an error names the variable
/// when its value is not a size.
pub fn max_size_from_env() -> Result<Option<u64>, String> {
    match std::env::var(MAX_SIZE_ENV) {
        Ok(v) if !v.trim().is_empty() => {
            tentacular_spec::units::parse_size(&v, tentacular_spec::units::SizeUnits::Flag)
                .map(Some)
                .map_err(|_| format!("{MAX_SIZE_ENV}={v:?} is not a size (e.g. 512MiB, 2GiB)"))
        }
        _ => Ok(None),
    }
}

/// One compiled snapshot on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheEntry {
    /// The file.
    pub file: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// When it was last stored or loaded.
    #[serde(serialize_with = "unix_seconds")]
    pub last_used: SystemTime,
}

fn unix_seconds<S: serde::Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(
        t.duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs(),
    )
}

/// What a cache holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheInfo {
    /// The directory.
    pub dir: PathBuf,
    /// How many entries.
    pub entries: usize,
    /// Their total size.
    pub bytes: u64,
}

/// What a prune removed and kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pruned {
    /// Entries removed (least recently used first).
    pub removed: usize,
    /// Bytes they held.
    pub freed_bytes: u64,
    /// Entries kept.
    pub kept: usize,
    /// Bytes they hold.
    pub kept_bytes: u64,
}

/// A snapshot cache directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotCache {
    dir: PathBuf,
}

impl SnapshotCache {
    /// The cache in `dir` (which need not exist yet).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        SnapshotCache { dir: dir.into() }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every entry, least recently used first. A missing directory is an empty cache.
    pub fn entries(&self) -> std::io::Result<Vec<CacheEntry>> {
        let read = match std::fs::read_dir(&self.dir) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut out = Vec::new();
        for e in read {
            let e = e?;
            let name = e.file_name();
            let Some(name) = name.to_str() else { continue };
            if !name.ends_with(ENTRY_SUFFIX) || name.starts_with('.') {
                continue;
            }
            // Gone meanwhile (another process pruned it): not an error.
            let Ok(meta) = e.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            out.push(CacheEntry {
                file: e.path(),
                bytes: meta.len(),
                last_used: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            });
        }
        out.sort_by(|a, b| (a.last_used, &a.file).cmp(&(b.last_used, &b.file)));
        Ok(out)
    }

    /// How many entries and bytes the cache holds.
    pub fn info(&self) -> std::io::Result<CacheInfo> {
        let entries = self.entries()?;
        Ok(CacheInfo {
            dir: self.dir.clone(),
            entries: entries.len(),
            bytes: entries.iter().map(|e| e.bytes).sum(),
        })
    }

    /// Removes entries, least recently used first, until the rest hold at most `max_bytes`;
    /// also removes half-written files a crashed process left behind.
    pub fn prune_to(&self, max_bytes: u64) -> std::io::Result<Pruned> {
        self.remove_stale_temps();
        let entries = self.entries()?;
        let mut total: u64 = entries.iter().map(|e| e.bytes).sum();
        let mut report = Pruned::default();
        for e in &entries {
            if total <= max_bytes {
                report.kept += 1;
                report.kept_bytes += e.bytes;
                continue;
            }
            match std::fs::remove_file(&e.file) {
                Ok(()) => {}
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                Err(err) => return Err(err),
            }
            total -= e.bytes;
            report.removed += 1;
            report.freed_bytes += e.bytes;
        }
        Ok(report)
    }

    /// Removes every entry.
    pub fn clear(&self) -> std::io::Result<Pruned> {
        self.prune_to(0)
    }

    fn remove_stale_temps(&self) {
        let Ok(read) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let now = SystemTime::now();
        for e in read.flatten() {
            let name = e.file_name();
            let Some(name) = name.to_str() else { continue };
            let old = e
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| now.duration_since(t).unwrap_or_default() > STALE_TEMP);
            if name.starts_with('.') && name.ends_with(".tmp") && old {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// Marks `file` as just used (its modification time), for the least-recently-used order.
/// Failures only make the order less exact.
pub(crate) fn mark_used(file: &Path) {
    if let Ok(f) = std::fs::OpenOptions::new().write(true).open(file) {
        let _ = f.set_modified(SystemTime::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(dir: &Path, name: &str, bytes: usize, age_secs: u64) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, vec![0u8; bytes]).unwrap();
        let t = SystemTime::now() - Duration::from_secs(age_secs);
        std::fs::File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_modified(t)
            .unwrap();
        p
    }

    #[test]
    fn prune_removes_the_least_recently_used_until_under_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let oldest = entry(dir.path(), "a.cwasm", 100, 300);
        let middle = entry(dir.path(), "b.cwasm", 100, 200);
        let newest = entry(dir.path(), "c.cwasm", 100, 100);
        let other = entry(dir.path(), "notes.txt", 1000, 900);
        let cache = SnapshotCache::new(dir.path());
        assert_eq!(cache.info().unwrap().bytes, 300, "only entries count");

        mark_used(&oldest);
        let r = cache.prune_to(250).unwrap();
        assert_eq!(
            (r.removed, r.freed_bytes, r.kept, r.kept_bytes),
            (1, 100, 2, 200)
        );
        assert!(!middle.exists(), "the least recently used goes first");
        assert!(oldest.exists(), "a hit makes an old entry recent");
        assert!(newest.exists() && other.exists());

        assert_eq!(cache.prune_to(1000).unwrap().removed, 0);
        let r = cache.clear().unwrap();
        assert_eq!((r.removed, r.kept), (2, 0));
        assert!(other.exists(), "clear removes entries only");
    }

    #[test]
    fn stale_temporary_files_go_fresh_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let stale = entry(dir.path(), ".x.cwasm.42.tmp", 10, 7200);
        let writing = entry(dir.path(), ".y.cwasm.43.tmp", 10, 1);
        SnapshotCache::new(dir.path()).prune_to(u64::MAX).unwrap();
        assert!(!stale.exists());
        assert!(writing.exists(), "another process may be writing it");
    }

    #[test]
    fn a_missing_directory_is_an_empty_cache() {
        let dir = tempfile::tempdir().unwrap();
        let cache = SnapshotCache::new(dir.path().join("nope"));
        assert_eq!(cache.info().unwrap().entries, 0);
        assert_eq!(cache.clear().unwrap(), Pruned::default());
    }
}
