//! The Deno layer of an engine image (`tntc build --with-deno`): the pinned Deno CLI that
//! Deno compatibility mode runs and, for one workflow, its locked npm packages, read-only.
//!
//! Where things go, and why:
//!
//! | path / variable | what |
//! |---|---|
//! | [`DENO_PATH`] (`TENTACULAR_DENO`) | the Deno binary, mode 0755 |
//! | [`CACHE_DIR`] (`TENTACULAR_DENO_DIR`) | the workflow's Deno cache: the npm packages its `deno.lock` pins, read-only |
//! | [`RUNTIME_DIR`] (`DENO_DIR`) | under the writable `/tmp` (the root filesystem is read-only): anything Deno writes at run time |
//!
//! Deno runs with `--cached-only --frozen` against the lock file, so at run time it only
//! reads the cache. Measured with Deno 2.9.6: a `DENO_DIR` that is read-only (owned by
//! root, the engine running as 65534) works: the npm packages load, and the caches Deno
//! would write (transpiled sources, V8 code cache, analysis databases) are skipped without
//! an error.
//!
//! **Deterministic**: only the package trees go in (`npm/<registry>/<name>/<version>/…`),
//! not the registry metadata next to them (`registry.json`, the package's whole version list
//! at the time of the download, which changes whenever the package publishes), nor the
//! sqlite databases and transpiled sources (`gen/`, `*_cache_v2`, which hold host paths).
//! With the lock file, Deno needs nothing else (measured: a cache without any
//! `registry.json` runs the same nodes). The same packages give the same layer on any
//! machine, whenever they were downloaded.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::elf::{self, ElfInfo};
use crate::error::{Error, Result};
use crate::layer::{Layer, LayerBuilder};

/// Where the Deno binary goes.
pub const DENO_PATH: &str = "/usr/local/bin/deno";
/// Where the workflow's locked Deno cache goes (read-only at run time).
pub const CACHE_DIR: &str = "/opt/tentacular/deno";
/// `DENO_DIR` at run time: under the writable `/tmp`, for anything Deno writes.
pub const RUNTIME_DIR: &str = "/tmp/deno";

/// What a Deno layer holds, for the build's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DenoContents {
    /// The Deno binary's ELF facts (its interpreter and libraries must be in the base).
    pub binary: ElfInfo,
    /// The npm packages in the cache, as `name@version`, sorted.
    pub packages: Vec<String>,
}

/// The npm packages a lock file pins, found in a Deno cache: what goes under [`CACHE_DIR`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedCache {
    /// `(path under the cache, host directory, name@version)`, sorted by path.
    pub packages: Vec<(String, PathBuf, String)>,
}

impl LockedCache {
    /// The packages `lock` (a `deno.lock`) pins, each looked up in the Deno cache `cache`
    /// (`npm/<registry>/[@scope/]<name>/<version>/`). Only these go into the image, so a
    /// cache shared with other workflows adds nothing of theirs. A package the cache lacks is
    /// an error that says how to fill it.
    pub fn read(lock: &Path, cache: &Path) -> Result<LockedCache> {
        let text = std::fs::read_to_string(lock).map_err(|e| Error::io("read", lock, e))?;
        let wanted = lock_packages(&text).map_err(|reason| Error::DenoCache {
            path: lock.to_path_buf(),
            reason,
        })?;
        let npm = cache.join("npm");
        let registries = if npm.is_dir() {
            dirs(&npm)?
        } else {
            Vec::new()
        };
        let mut packages = Vec::new();
        let mut missing = Vec::new();
        for (name, version) in wanted {
            let found = registries
                .iter()
                .map(|r| (r, r.join(&name).join(&version)))
                .find(|(_, d)| d.join("package.json").is_file());
            match found {
                Some((registry, dir)) => packages.push((
                    format!("npm/{}/{name}/{version}", file_name(registry)?),
                    dir,
                    format!("{name}@{version}"),
                )),
                None => missing.push(format!("{name}@{version}")),
            }
        }
        if !missing.is_empty() {
            return Err(Error::DenoCache {
                path: cache.to_path_buf(),
                reason: format!(
                    "it lacks {} that {} pins; fill it with `tntc deno-cache <workflow>`",
                    missing.join(", "),
                    lock.display()
                ),
            });
        }
        packages.sort();
        packages.dedup();
        Ok(LockedCache { packages })
    }
}

/// The `(name, version)` of every npm package in a `deno.lock` (its `npm` map: keys such as
/// `postgres@3.4.9`, `@scope/pkg@1.0.0`, or with peer dependencies `a@1.0.0_b@2.0.0`).
pub fn lock_packages(lock: &str) -> std::result::Result<Vec<(String, String)>, String> {
    let v: serde_json::Value =
        serde_json::from_str(lock).map_err(|e| format!("it is not JSON: {e}"))?;
    let Some(npm) = v.get("npm") else {
        return Ok(Vec::new());
    };
    let npm = npm
        .as_object()
        .ok_or("its \"npm\" entry is not an object")?;
    let mut out = Vec::new();
    for key in npm.keys() {
        let base = key.split('_').next().unwrap_or(key);
        let at = base[1..].find('@').map(|i| i + 1);
        match at {
            Some(i) if i + 1 < base.len() => {
                out.push((base[..i].to_string(), base[i + 1..].to_string()));
            }
            _ => return Err(format!("npm entry {key:?} is not name@version")),
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The Deno layer: `binary` at [`DENO_PATH`] and, when given, the locked npm packages under
/// [`CACHE_DIR`]; every entry with mtime `epoch`.
pub fn layer(
    binary: &Path,
    cache: Option<&LockedCache>,
    epoch: u64,
) -> Result<(Layer, DenoContents)> {
    let info = elf::inspect(binary)?;
    let mut b = LayerBuilder::new();
    b.mtime(epoch);
    let data = std::fs::read(binary).map_err(|e| Error::io("read", binary, e))?;
    b.file(DENO_PATH, data, 0o755)?;
    let mut packages = Vec::new();
    if let Some(cache) = cache {
        b.dir(CACHE_DIR, 0o755)?;
        for (image_path, host, name) in &cache.packages {
            b.tree(&format!("{CACHE_DIR}/{image_path}"), host)?;
            packages.push(name.clone());
        }
    }
    packages.sort();
    let what = match cache {
        Some(_) => format!(
            "tntc build --with-deno: {DENO_PATH} and {} npm package(s) in {CACHE_DIR}",
            packages.len()
        ),
        None => format!("tntc build --with-deno: {DENO_PATH}"),
    };
    Ok((
        b.build(&what)?,
        DenoContents {
            binary: info,
            packages,
        },
    ))
}

/// The environment of an image with the Deno layer: where tntc's engine finds Deno and the
/// cache, `DENO_DIR` under `/tmp`, and no update check (no network, nothing to write).
pub fn env(with_cache: bool) -> BTreeMap<String, String> {
    let mut env = BTreeMap::from([
        ("TENTACULAR_DENO".to_string(), DENO_PATH.to_string()),
        ("DENO_DIR".to_string(), RUNTIME_DIR.to_string()),
        ("DENO_NO_UPDATE_CHECK".to_string(), "1".to_string()),
        ("NO_COLOR".to_string(), "1".to_string()),
    ]);
    if with_cache {
        env.insert("TENTACULAR_DENO_DIR".into(), CACHE_DIR.into());
    }
    env
}

/// The subdirectories of `dir`, sorted (files and symlinks are skipped).
fn dirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| Error::io("read the directory", dir, e))? {
        let e = e.map_err(|e| Error::io("read the directory", dir, e))?;
        let t = e
            .file_type()
            .map_err(|err| Error::io("read", e.path(), err))?;
        if t.is_dir() {
            out.push(e.path());
        }
    }
    out.sort();
    Ok(out)
}

fn file_name(p: &Path) -> Result<String> {
    p.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
        .ok_or_else(|| Error::InvalidPath {
            path: p.display().to_string(),
            reason: "file names in an image must be UTF-8",
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(p: &Path, text: &str) {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// A cache as Deno leaves it after `deno install`: packages, their registry metadata,
    /// databases and transpiled sources.
    fn cache(root: &Path, registry_json: &str, db: &str) {
        let npm = root.join("npm/registry.npmjs.org");
        write(
            &npm.join("postgres/3.4.9/package.json"),
            r#"{"name":"postgres"}"#,
        );
        write(
            &npm.join("postgres/3.4.9/src/index.js"),
            "export default 1;\n",
        );
        write(&npm.join("postgres/registry.json"), registry_json);
        write(&npm.join("@scope/pkg/1.0.0/index.js"), "1\n");
        write(&npm.join("@scope/pkg/1.0.0/package.json"), "{}");
        write(&npm.join("@scope/pkg/registry.json"), registry_json);
        write(&root.join("dep_analysis_cache_v2"), db);
        write(&root.join("gen/file/home/someone/wf/nodes/a.ts.js"), db);
    }

    const LOCK: &str = r#"{"version":"5","specifiers":{"npm:postgres@3.4.9":"3.4.9"},
        "npm":{"postgres@3.4.9":{"integrity":"sha512-x"},"@scope/pkg@1.0.0_postgres@3.4.9":{}}}"#;

    #[test]
    fn lock_entries_name_packages_with_scopes_and_peer_suffixes() {
        assert_eq!(
            lock_packages(LOCK).unwrap(),
            [
                ("@scope/pkg".to_string(), "1.0.0".to_string()),
                ("postgres".to_string(), "3.4.9".to_string())
            ]
        );
        assert_eq!(lock_packages(r#"{"version":"5"}"#).unwrap(), []);
        assert!(lock_packages("{").unwrap_err().contains("not JSON"));
        assert!(lock_packages(r#"{"npm":{"nover":{}}}"#).is_err());
    }

    #[test]
    fn only_locked_package_trees_go_in_so_the_layer_does_not_depend_on_when_or_where() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        cache(a.path(), r#"{"versions":{"3.4.9":{}}}"#, "one machine");
        cache(
            b.path(),
            r#"{"versions":{"3.4.9":{},"3.5.0":{}}}"#,
            "another",
        );
        // The second cache is shared with another workflow: its package stays out.
        write(
            &b.path()
                .join("npm/registry.npmjs.org/left-pad/1.3.0/package.json"),
            "{}",
        );
        let lock = a.path().join("deno.lock");
        write(&lock, LOCK);
        let ca = LockedCache::read(&lock, a.path()).unwrap();
        let cb = LockedCache::read(&lock, b.path()).unwrap();
        let paths: Vec<&str> = ca.packages.iter().map(|p| p.0.as_str()).collect();
        assert_eq!(
            paths,
            [
                "npm/registry.npmjs.org/@scope/pkg/1.0.0",
                "npm/registry.npmjs.org/postgres/3.4.9"
            ]
        );
        let deno = Path::new("/usr/bin/true");
        let (la, contents) = layer(deno, Some(&ca), 0).unwrap();
        let (lb, _) = layer(deno, Some(&cb), 0).unwrap();
        assert_eq!(la.digest, lb.digest);
        assert_eq!(contents.packages, ["@scope/pkg@1.0.0", "postgres@3.4.9"]);
        let (bare, none) = layer(deno, None, 0).unwrap();
        assert_ne!(bare.digest, la.digest);
        assert!(none.packages.is_empty());
    }

    #[test]
    fn a_cache_without_the_locked_packages_is_explained() {
        let d = tempfile::tempdir().unwrap();
        let lock = d.path().join("deno.lock");
        write(&lock, LOCK);
        let e = LockedCache::read(&lock, &d.path().join("cache"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("@scope/pkg@1.0.0, postgres@3.4.9"), "{e}");
        assert!(e.contains("tntc deno-cache"), "{e}");
    }

    #[test]
    fn the_environment_points_at_the_layer_and_keeps_writes_under_tmp() {
        let e = env(true);
        assert_eq!(e["TENTACULAR_DENO"], DENO_PATH);
        assert_eq!(e["TENTACULAR_DENO_DIR"], CACHE_DIR);
        assert!(e["DENO_DIR"].starts_with("/tmp/"));
        assert!(!env(false).contains_key("TENTACULAR_DENO_DIR"));
    }
}
