//! `tntc configure`: write `~/.tentacular/config.yaml` (or the project's) from flags, or show
//! the effective configuration.

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use clap::Args;
use serde_json::json;
use tentacular_kube::config::{Config, ConfigPaths, ConfigUpdate, expand_home};

use crate::output::warn;
use crate::output::{Mark, Output, paint, style};

/// Sets values in the user config file (`~/.tentacular/config.yaml`) or, with --project, in
/// `./.tentacular/config.yaml`, which wins field by field. Only the flags given change
/// anything; other keys (unknown ones included) are kept. Without flags, prints the merged
/// configuration that commands in this directory use.
#[derive(Debug, Args)]
pub struct Configure {
    /// Write `./.tentacular/config.yaml` (this project) instead of the user file.
    #[arg(long)]
    pub project: bool,

    /// Edit this environment (created when missing) instead of the top level; select it later
    /// with `--env NAME` or $TENTACULAR_ENV.
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,

    /// Registry that `tntc build` prepends to image tags without one (top level).
    #[arg(long, value_name = "HOST[/PATH]")]
    pub registry: Option<String>,

    /// Namespace (of the environment with --env, else the top-level default).
    #[arg(short = 'n', long, value_name = "NS")]
    pub namespace: Option<String>,

    /// Runtime class: `gvisor`, another RuntimeClass, or `none` to disable gVisor.
    #[arg(long, value_name = "CLASS")]
    pub runtime_class: Option<String>,

    /// Kubeconfig file of the environment (needs --env). A relative path is made absolute;
    /// `~/` is kept and expanded when used.
    #[arg(long, value_name = "FILE", requires = "env")]
    pub kubeconfig: Option<String>,

    /// Kubeconfig context of the environment (needs --env).
    #[arg(long, value_name = "NAME", requires = "env")]
    pub context: Option<String>,

    /// Engine image of the environment (needs --env).
    #[arg(long, value_name = "REF", requires = "env")]
    pub image: Option<String>,
}

impl Configure {
    pub fn run(self, out: &Output) -> anyhow::Result<()> {
        let paths = ConfigPaths::from_env();
        let update = ConfigUpdate {
            environment: self.env.clone(),
            registry: self.registry.clone(),
            namespace: self.namespace.clone(),
            runtime_class: self.runtime_class.clone(),
            kubeconfig: self.kubeconfig.as_deref().map(absolute).transpose()?,
            context: self.context.clone(),
            image: self.image.clone(),
        };
        let changes = ConfigUpdate {
            environment: None,
            ..update.clone()
        } != ConfigUpdate::default();
        if !changes {
            if self.env.is_some() {
                return Err(anyhow!(
                    "--env names the environment to edit, but nothing to set was given\n  hint: \
                     add --namespace, --kubeconfig, --context, --image or --runtime-class"
                ));
            }
            return show(&paths, out);
        }

        let path = if self.project {
            paths.project.clone()
        } else {
            paths.user.clone().ok_or_else(|| {
                anyhow!(
                    "no home directory for ~/.tentacular/config.yaml\n  hint: set HOME, or \
                     write the project file with --project"
                )
            })?
        };
        let mut cfg = Config::read(&path)?;
        cfg.update(&update)?;
        cfg.write(&path)?;
        if let Some(k) = &update.kubeconfig {
            let home = std::env::home_dir();
            let expanded = expand_home(k, home.as_deref());
            if !expanded.exists() {
                warn(
                    out,
                    format!(
                        "kubeconfig {} does not exist (yet); commands using this environment will \
                         fail until it does",
                        expanded.display()
                    ),
                )?;
            }
        }
        let text = Config::read(&path)?;
        if out.json() {
            return out.json_value(&json!({"path": path, "config": text}));
        }
        out.out(format!(
            "{} Configuration saved to {}",
            Mark::Ok,
            path.display()
        ))?;
        out.out(yaml(&text)?.trim_end())?;
        Ok(())
    }
}

/// A relative kubeconfig path, made absolute against the current directory (`~/…` is kept).
fn absolute(path: &str) -> anyhow::Result<String> {
    let p = Path::new(path);
    if path.starts_with('~') || p.is_absolute() {
        return Ok(path.to_string());
    }
    let cwd = std::env::current_dir().context("reading the current directory")?;
    Ok(cwd.join(p).to_string_lossy().into_owned())
}

fn yaml(cfg: &Config) -> anyhow::Result<String> {
    Ok(tentacular_kube::manifests::to_yaml(cfg)?)
}

/// Prints both file locations and the merged configuration.
fn show(paths: &ConfigPaths, out: &Output) -> anyhow::Result<()> {
    let merged = Config::load(paths)?;
    let file = |p: &PathBuf| json!({"path": p, "exists": p.is_file()});
    if out.json() {
        return out.json_value(&json!({
            "user": paths.user.as_ref().map(file),
            "project": file(&paths.project),
            "config": merged,
        }));
    }
    let describe = |p: &PathBuf| {
        format!(
            "{}{}",
            p.display(),
            if p.is_file() { "" } else { " (not present)" }
        )
    };
    if let Some(u) = &paths.user {
        out.out(format!(
            "{} {}",
            paint(style::HEAD, "user:   "),
            describe(u)
        ))?;
    }
    out.out(format!(
        "{} {}",
        paint(style::HEAD, "project:"),
        describe(&paths.project)
    ))?;
    let text = yaml(&merged)?;
    if merged == Config::default() {
        out.out("(no configuration; `tntc configure --namespace NS` or `--env NAME …` sets some)")?;
    } else {
        out.out(format!(
            "{}\n{}",
            paint(style::HEAD, "merged (project wins):"),
            text.trim_end()
        ))?;
    }
    Ok(())
}
