//! `tntc completions <shell>` and `tntc man`: shell completion scripts (clap_complete) and
//! manual pages (clap_mangen), both generated from the same `Cli::command()` that parses the
//! command line, so they cannot drift from it.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, CommandFactory};
use clap_complete::Shell;
use serde_json::json;

use crate::cli::Cli;
use crate::output::{Mark, Output};

/// Arguments of `completions`.
#[derive(Debug, Args)]
pub struct Completions {
    /// The shell: bash, zsh, fish, elvish or powershell.
    pub shell: Shell,
}

impl Completions {
    pub fn run(self, out: &Output) -> anyhow::Result<()> {
        let mut cmd = Cli::command();
        let mut script = Vec::new();
        clap_complete::generate(self.shell, &mut cmd, "tntc", &mut script);
        let script = String::from_utf8(script).context("the completion script is not UTF-8")?;
        if out.json() {
            return out.json_value(&json!({
                "command": "completions",
                "shell": self.shell.to_string(),
                "script": script,
            }));
        }
        Ok(out.out(script.trim_end())?)
    }
}

/// Arguments of `man`.
#[derive(Debug, Args)]
pub struct Man {
    /// Write `tntc.1` and one page per subcommand (`tntc-deploy.1`, `tntc-cluster-check.1`, …)
    /// into this directory instead of printing `tntc.1`.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

impl Man {
    pub fn run(self, out: &Output) -> anyhow::Result<()> {
        let cmd = Cli::command();
        let Some(dir) = self.dir else {
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut page)
                .context("rendering the manual page")?;
            let page = String::from_utf8(page).context("the manual page is not UTF-8")?;
            if out.json() {
                return out.json_value(&json!({"command": "man", "page": page}));
            }
            return Ok(out.out(page.trim_end())?);
        };
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        clap_mangen::generate_to(cmd, &dir)
            .with_context(|| format!("writing the manual pages into {}", dir.display()))?;
        let mut pages: Vec<String> = std::fs::read_dir(&dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("tntc") && n.ends_with(".1"))
            .collect();
        pages.sort();
        if out.json() {
            return out.json_value(&json!({"command": "man", "dir": dir, "pages": pages}));
        }
        out.out(format!(
            "{} wrote {} manual pages into {} (e.g. `man -l {}`)",
            Mark::Ok,
            pages.len(),
            dir.display(),
            dir.join("tntc.1").display()
        ))?;
        Ok(())
    }
}
