//! `tntc cache info|prune|clear`: the snapshot cache of compiled workflows
//! (`tentacular_sandbox::cache`). It is pruned to its cap after every store; these commands
//! show it, prune it to another size, or empty it.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::json;
use tentacular_sandbox::cache::{self, SnapshotCache};

use crate::output::{Mark, Output, mebibytes};

/// The snapshot cache: compiled workflows, one entry per version of a workflow's code.
#[derive(Debug, Subcommand)]
pub enum CacheCmd {
    /// Show where the cache is, how much it holds and its cap.
    Info(CacheArgs),
    /// Remove the least recently used entries until the cache is under its cap (or --max-size).
    Prune(PruneArgs),
    /// Remove every entry (the next load of each workflow compiles it again).
    Clear(CacheArgs),
}

/// Where the cache is.
#[derive(Debug, Args)]
pub struct CacheArgs {
    /// The cache directory. By default, `$TENTACULAR_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/tentacular/sandbox`, else `~/.cache/tentacular/sandbox`.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Arguments of `cache prune`.
#[derive(Debug, Args)]
pub struct PruneArgs {
    #[command(flatten)]
    pub cache: CacheArgs,
    /// Keep at most this much, e.g. `200MiB`. By default, the cap: `$TENTACULAR_CACHE_MAX_SIZE`,
    /// else 512 MiB.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_size: Option<u64>,
}

fn parse_size(text: &str) -> Result<u64, String> {
    tentacular_spec::units::parse_size(text, tentacular_spec::units::SizeUnits::Flag)
        .map_err(|_| format!("{:?} is not a size (e.g. 200MiB, 1GiB)", text.trim()))
}

impl CacheArgs {
    fn cache(&self) -> anyhow::Result<SnapshotCache> {
        let dir = match &self.dir {
            Some(d) => d.clone(),
            None => cache::default_dir().context(
                "no cache directory: set TENTACULAR_CACHE_DIR, XDG_CACHE_HOME or HOME, or pass --dir",
            )?,
        };
        Ok(SnapshotCache::new(dir))
    }
}

/// The configured cap; a value of `$TENTACULAR_CACHE_MAX_SIZE` that is not a size is an error
/// here (the sandbox only warns about it).
fn cap() -> anyhow::Result<u64> {
    Ok(cache::max_size_from_env()
        .map_err(anyhow::Error::msg)?
        .unwrap_or(cache::DEFAULT_MAX_SIZE))
}

impl CacheCmd {
    pub fn run(self, out: &Output) -> anyhow::Result<()> {
        match self {
            CacheCmd::Info(a) => info(&a, out),
            CacheCmd::Prune(a) => {
                let max = match a.max_size {
                    Some(m) => m,
                    None => cap()?,
                };
                prune(&a.cache, max, "prune", out)
            }
            CacheCmd::Clear(a) => prune(&a, 0, "clear", out),
        }
    }
}

fn info(args: &CacheArgs, out: &Output) -> anyhow::Result<()> {
    let cache = args.cache()?;
    let info = cache
        .info()
        .with_context(|| format!("reading {}", cache.dir().display()))?;
    let max = cap()?;
    if out.json() {
        return out.json_value(&json!({
            "command": "cache info",
            "dir": info.dir,
            "entries": info.entries,
            "bytes": info.bytes,
            "maxBytes": max,
        }));
    }
    out.out(format!(
        "Snapshot cache {}: {} in {} (cap {}, least recently used pruned first)",
        info.dir.display(),
        mebibytes(info.bytes),
        tentacular_spec::plural(info.entries, "snapshot"),
        mebibytes(max)
    ))?;
    Ok(())
}

fn prune(args: &CacheArgs, max: u64, command: &str, out: &Output) -> anyhow::Result<()> {
    let cache = args.cache()?;
    let r = cache
        .prune_to(max)
        .with_context(|| format!("pruning {}", cache.dir().display()))?;
    if out.json() {
        return out.json_value(&json!({
            "command": format!("cache {command}"),
            "dir": cache.dir(),
            "maxBytes": max,
            "removed": r.removed,
            "freedBytes": r.freed_bytes,
            "kept": r.kept,
            "keptBytes": r.kept_bytes,
        }));
    }
    out.out(format!(
        "{} removed {} ({}); {} kept ({})",
        Mark::Ok,
        tentacular_spec::plural(r.removed, "snapshot"),
        mebibytes(r.freed_bytes),
        r.kept,
        mebibytes(r.kept_bytes)
    ))?;
    Ok(())
}
