//! `tntc secrets check|init [dir]`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde::Serialize;
use serde_json::json;
use tentacular_engine::secrets::{Secrets, SecretsSource, legacy_references};
use tentacular_spec::LoadedWorkflow;
use tentacular_spec::derived;
use tentacular_spec::plural;

use super::load_workflow;
use crate::output::{Mark, Output, paint, style};
use crate::report::verdict;

/// Local secrets: `.secrets/` (one file per service) and `.secrets.yaml`, both git-ignored.
#[derive(Debug, Subcommand)]
pub enum SecretsCmd {
    /// Check that every secret the workflow needs is provisioned locally. Exits 1 when one
    /// is missing.
    Check(SecretsCheck),
    /// Create .secrets.yaml from .secrets.yaml.example (or from the contract), mode 600.
    Init(SecretsInit),
}

impl SecretsCmd {
    pub fn run(self, out: &Output) -> anyhow::Result<()> {
        match self {
            SecretsCmd::Check(c) => c.run(out),
            SecretsCmd::Init(c) => c.run(out),
        }
    }
}

/// Arguments of `secrets check`.
#[derive(Debug, Args)]
pub struct SecretsCheck {
    /// The workflow directory. By default, the current directory.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}

/// One needed secret and whether it is there.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Needed {
    /// `service.key`, or `service` for legacy `ctx.secrets.<service>` reads.
    secret: String,
    /// Why it is needed: `contract` or the node files reading `ctx.secrets`.
    needed_by: Vec<String>,
    /// `provisioned`, `empty`, `placeholder` (still `replace-me`) or `missing`.
    status: &'static str,
    /// Where it was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<PathBuf>,
}

impl SecretsCheck {
    pub fn run(self, out: &Output) -> anyhow::Result<()> {
        let loaded = load_workflow(&self.dir, out)?;
        let store = SecretsSource::for_workflow(&loaded.dir)
            .with_mount_dir(None)
            .load()?;
        let needed = needed(&loaded, &store)?;
        let ok = needed.iter().all(|n| n.status == "provisioned");
        if out.json() {
            out.json_value(&json!({
                "workflow": loaded.workflow.name,
                "ok": ok,
                "secrets": needed,
            }))?;
            return verdict(ok);
        }
        if needed.is_empty() {
            out.out(format!(
                "{} {} needs no secrets",
                Mark::Ok,
                loaded.workflow.name
            ))?;
            return Ok(());
        }
        let width = needed.iter().map(|n| n.secret.len()).max().unwrap_or(0);
        for n in &needed {
            let (mark, state) = match n.status {
                "provisioned" => (
                    Mark::Ok,
                    format!(
                        "provisioned ({})",
                        n.source
                            .as_deref()
                            .map_or_else(String::new, |p| relative(&loaded.dir, p))
                    ),
                ),
                "empty" => (Mark::Fail, "empty".to_string()),
                "placeholder" => (
                    Mark::Fail,
                    "placeholder (still `replace-me`: put the real value in)".to_string(),
                ),
                _ => (Mark::Fail, "missing".to_string()),
            };
            out.out(format!(
                "  {mark} {:width$}  {state}  {}",
                n.secret,
                paint(style::DIM, format!("needed by {}", n.needed_by.join(", ")))
            ))?;
        }
        let have = needed.iter().filter(|n| n.status == "provisioned").count();
        out.out(format!("{have}/{} provisioned", needed.len()))?;
        if let Some(w) = permissions_warning(&loaded.dir) {
            out.err(format!("{} {w}", paint(style::WARN, "warning:")))?;
        }
        if ok {
            Ok(())
        } else {
            bail!(
                "{} not provisioned; run `tntc secrets init {}`, then fill in .secrets.yaml",
                plural(needed.len() - have, "secret"),
                self.dir.display()
            )
        }
    }
}

/// A value left as the example's `replace-me` (any case, quotes or `<>` around it): not a
/// secret anyone provisioned.
fn is_placeholder(value: &str) -> bool {
    let v = value
        .trim()
        .trim_matches(|c| matches!(c, '"' | '\'' | '<' | '>'))
        .to_ascii_lowercase();
    v.starts_with("replace-me") || v.starts_with("replace_me")
}

fn relative(dir: &Path, p: &Path) -> String {
    p.strip_prefix(dir).unwrap_or(p).display().to_string()
}

/// What the workflow needs: contract secrets (`service.key`) and services read through the
/// legacy `ctx.secrets` in node files.
fn needed(loaded: &LoadedWorkflow, store: &Secrets) -> anyhow::Result<Vec<Needed>> {
    let mut by_secret: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for s in derived::secrets(&loaded.workflow) {
        by_secret
            .entry(s.to_string())
            .or_default()
            .push("contract".into());
    }
    for (id, spec) in &loaded.workflow.nodes {
        let path = loaded.dir.join(&spec.path);
        let source = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read node {id} at {}", path.display()))?;
        for svc in legacy_references(&source) {
            // A contract secret of that service already covers it.
            if by_secret
                .keys()
                .any(|k| k.split('.').next() == Some(svc.as_str()))
            {
                continue;
            }
            by_secret
                .entry(svc)
                .or_default()
                .push(format!("{} (ctx.secrets)", spec.path));
        }
    }
    Ok(by_secret
        .into_iter()
        .map(|(secret, needed_by)| {
            let (svc, key) = secret
                .split_once('.')
                .map_or((secret.as_str(), None), |(s, k)| (s, Some(k)));
            let status = match key {
                Some(k) => match store.get(svc, k) {
                    Some(v) if v.expose().trim().is_empty() => "empty",
                    Some(v) if is_placeholder(v.expose()) => "placeholder",
                    Some(_) => "provisioned",
                    None => "missing",
                },
                None => {
                    let keys: Vec<_> = store.keys(svc).collect();
                    let real = keys.iter().any(|k| {
                        store.get(svc, k).is_some_and(|v| {
                            !v.expose().trim().is_empty() && !is_placeholder(v.expose())
                        })
                    });
                    match (keys.is_empty(), real) {
                        (true, _) => "missing",
                        (false, true) => "provisioned",
                        (false, false) => "placeholder",
                    }
                }
            };
            let source = (status != "missing")
                .then(|| store.source_of(svc).map(Path::to_path_buf))
                .flatten();
            Needed {
                secret,
                needed_by,
                status,
                source,
            }
        })
        .collect())
}

#[cfg(unix)]
fn permissions_warning(dir: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let f = dir.join(".secrets.yaml");
    let mode = std::fs::metadata(&f).ok()?.permissions().mode();
    (mode & 0o077 != 0).then(|| {
        format!(
            "{} can be read by other users (mode {:o}); run chmod 600 {}",
            f.display(),
            mode & 0o777,
            f.display()
        )
    })
}

#[cfg(not(unix))]
fn permissions_warning(_: &Path) -> Option<String> {
    None
}

/// Arguments of `secrets init`.
#[derive(Debug, Args)]
pub struct SecretsInit {
    /// The workflow directory. By default, the current directory.
    #[arg(default_value = ".")]
    pub dir: PathBuf,

    /// Overwrite an existing .secrets.yaml. By default, an existing file is an error.
    #[arg(long)]
    pub force: bool,
}

impl SecretsInit {
    pub fn run(self, out: &Output) -> anyhow::Result<()> {
        let loaded = load_workflow(&self.dir, out)?;
        let target = loaded.dir.join(".secrets.yaml");
        if target.exists() && !self.force {
            bail!(
                "{} already exists; use --force to overwrite it",
                target.display()
            );
        }
        let example = loaded.dir.join(".secrets.yaml.example");
        let (text, from) = if example.is_file() {
            let t = std::fs::read_to_string(&example)
                .with_context(|| format!("cannot read {}", example.display()))?;
            (uncomment(&t), ".secrets.yaml.example")
        } else {
            (from_contract(&loaded), "the contract")
        };
        write_private(&target, &text)?;
        let needed: Vec<String> = derived::secrets(&loaded.workflow)
            .iter()
            .map(ToString::to_string)
            .collect();
        if out.json() {
            return out.json_value(&json!({"written": target, "from": from, "secrets": needed}));
        }
        out.out(format!(
            "{} wrote {} from {from} (mode 600)",
            Mark::Ok,
            target.display()
        ))?;
        if !needed.is_empty() {
            out.out(format!("Fill in: {}", needed.join(", ")))?;
        }
        if !ignored(&loaded.dir) {
            out.err(format!(
                "{} .secrets.yaml is not in {}; add it so secrets are never committed",
                paint(style::WARN, "warning:"),
                loaded.dir.join(".gitignore").display()
            ))?;
        }
        Ok(())
    }
}

/// Drops a leading `# ` from every line (the example's commented-out entries).
fn uncomment(text: &str) -> String {
    let mut s: String = text
        .lines()
        .map(|l| l.strip_prefix("# ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    s.push('\n');
    s
}

/// A skeleton with an empty value for every secret the contract references.
fn from_contract(loaded: &LoadedWorkflow) -> String {
    let mut by_service: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for s in derived::secrets(&loaded.workflow) {
        by_service
            .entry(s.service().to_string())
            .or_default()
            .push(s.key().to_string());
    }
    let mut text = String::from("# Local secrets (git-ignored). One top-level key per service.\n");
    for (svc, keys) in by_service {
        text.push_str(&format!("{svc}:\n"));
        for k in keys {
            text.push_str(&format!("  {k}: \"\"\n"));
        }
    }
    text
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        // An existing file keeps its mode on open: set it.
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        f.write_all(text.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(())
    }
    #[cfg(not(unix))]
    {
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
    }
}

/// True when a .gitignore in the directory or above it lists .secrets.yaml.
fn ignored(dir: &Path) -> bool {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    dir.ancestors().any(|d| {
        std::fs::read_to_string(d.join(".gitignore")).is_ok_and(|t| {
            t.lines().map(str::trim).any(|l| {
                matches!(
                    l,
                    ".secrets.yaml" | "/.secrets.yaml" | "**/.secrets.yaml" | ".secrets*"
                )
            })
        })
    })
}
