//! The locked dependency cache of a workflow's Deno nodes: `deno.lock` in the workflow
//! directory and a `DENO_DIR` ([`cache_dir`]). [`fill`] resolves and downloads the packages
//! (it needs the registry; `tntc deno-cache` and `tntc build --with-deno` call it); at run time
//! the child only reads them (`--cached-only --frozen`), offline.

use std::path::{Path, PathBuf};
use std::process::Command;

use tentacular_spec::{NodeId, Workflow};

use crate::{DenoError, runtime};

/// The lock file's name, in the workflow directory.
pub const LOCK_FILE: &str = "deno.lock";

/// The lock file of the workflow in `workflow_dir`.
pub fn lock_path(workflow_dir: &Path) -> PathBuf {
    workflow_dir.join(LOCK_FILE)
}

/// The Deno cache of the workflow in `workflow_dir`: `$TENTACULAR_DENO_DIR` if set, else
/// `<workflow dir>/.tentacular/deno/`.
pub fn cache_dir(workflow_dir: &Path) -> PathBuf {
    match std::env::var_os("TENTACULAR_DENO_DIR").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => workflow_dir.join(".tentacular").join("deno"),
    }
}

/// What [`fill`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filled {
    /// The Deno nodes whose imports were cached (empty: nothing to do, no lock written).
    pub nodes: Vec<NodeId>,
    /// The lock file written or verified (`None` when there were no Deno nodes).
    pub lock: Option<PathBuf>,
    /// The cache directory.
    pub cache_dir: PathBuf,
}

/// The environment every Deno command of this crate runs with (on a cleared environment):
/// the cache, no colours, no update check, no `package.json` discovery.
pub(crate) fn base_env(cmd: &mut Command, cache_dir: &Path) {
    cmd.env_clear()
        .env("DENO_DIR", cache_dir)
        .env("NO_COLOR", "1")
        .env("DENO_NO_UPDATE_CHECK", "1")
        .env("DENO_NO_PACKAGE_JSON", "1");
    for keep in [
        "HOME",
        "PATH",
        "NPM_CONFIG_REGISTRY",
        "HTTPS_PROXY",
        "HTTP_PROXY",
        "NO_PROXY",
        // The machine's CA store (a registry behind a TLS-inspecting proxy needs it).
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "DENO_CERT",
        "DENO_TLS_CA_STORE",
    ] {
        if let Some(v) = std::env::var_os(keep) {
            cmd.env(keep, v);
        }
    }
}

/// Fills `cache_dir` with every module the Deno nodes of the workflow in `workflow_dir`
/// import (npm, jsr, remote), and writes `deno.lock` beside `workflow.yaml` (or verifies
/// the packages against it when it exists: a mismatch fails). Needs the package registry.
pub fn fill(workflow_dir: &Path, cache_dir: &Path, deno: &Path) -> Result<Filled, DenoError> {
    let loaded = Workflow::load(workflow_dir).map_err(|e| DenoError::Workflow(e.to_string()))?;
    let dir = std::path::absolute(&loaded.dir).map_err(DenoError::io(&loaded.dir))?;
    let nodes = runtime::deno_nodes(&loaded);
    let cache_dir = std::path::absolute(cache_dir).map_err(DenoError::io(cache_dir))?;
    if nodes.is_empty() {
        return Ok(Filled {
            nodes,
            lock: None,
            cache_dir,
        });
    }
    std::fs::create_dir_all(&cache_dir).map_err(DenoError::io(&cache_dir))?;
    let lock = lock_path(&dir);
    let mut cmd = Command::new(deno);
    base_env(&mut cmd, &cache_dir);
    cmd.current_dir(&dir)
        .arg("cache")
        .arg("--no-config")
        .arg(format!("--lock={}", lock.display()));
    for n in &nodes {
        cmd.arg(dir.join(loaded.workflow.nodes[n].path.as_str()));
    }
    let out = cmd.output().map_err(|source| DenoError::Spawn {
        deno: deno.to_path_buf(),
        source,
    })?;
    if !out.status.success() {
        return Err(DenoError::Cache {
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(Filled {
        nodes,
        lock: lock.exists().then_some(lock),
        cache_dir,
    })
}
