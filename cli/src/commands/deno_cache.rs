//! `tntc deno-cache [dir]`: fills the locked dependency cache of a workflow's Deno-mode nodes.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use crate::output::{Output, paint, style};

/// Resolves and downloads every npm:, jsr: and remote module the workflow's Deno-mode nodes
/// import into the workflow's Deno cache, and writes `deno.lock` beside workflow.yaml (or
/// checks the packages against it when it exists). Needs the package registry; `tntc test`,
/// `tntc dev` and the engine then run those nodes offline (`--cached-only --frozen`).
///
/// The cache is `$TENTACULAR_DENO_DIR` if set, else `<dir>/.tentacular/deno/`.
#[derive(Debug, Args)]
pub struct DenoCache {
    /// The workflow directory. By default, the current directory.
    #[arg(default_value = ".")]
    pub dir: PathBuf,

    /// The Deno binary. By default, $TENTACULAR_DENO, then `deno` on PATH, then the
    /// project-local install of tools/deno/install.sh.
    #[arg(long, value_name = "PATH")]
    pub deno: Option<PathBuf>,
}

impl DenoCache {
    pub fn run(self, out: &Output) -> anyhow::Result<()> {
        let deno = tentacular_deno::locate(self.deno.as_deref())?;
        let cache = tentacular_deno::cache::cache_dir(&self.dir);
        let filled = tentacular_deno::cache::fill(&self.dir, &cache, &deno.path)?;
        if out.json() {
            return out.json_value(&json!({
                "nodes": filled.nodes.iter().map(|n| n.as_str()).collect::<Vec<_>>(),
                "lock": filled.lock,
                "cacheDir": filled.cache_dir,
            }));
        }
        if filled.nodes.is_empty() {
            out.out("no Deno-mode nodes: nothing to cache".to_string())?;
        } else {
            out.out(format!(
                "{} the imports of {} into {}{}",
                paint(style::OK, "cached"),
                filled
                    .nodes
                    .iter()
                    .map(|n| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                filled.cache_dir.display(),
                filled
                    .lock
                    .map(|l| format!(" (lock: {})", l.display()))
                    .unwrap_or_default(),
            ))?;
        }
        Ok(())
    }
}
