//! `tntc cluster profile [--save [--force]]`.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::Context;
use clap::Args;
use serde::Serialize;
use tentacular_kube::cluster::ClusterProfile;

use crate::commands::kube_flags::{Extra, KubeFlags, connect};
use crate::commands::runtime;
use crate::output::Output;

/// A saved profile younger than this is kept unless `--force` is given.
const FRESH: Duration = Duration::from_secs(3600);

/// Profiles the cluster and the namespace: Kubernetes version and distribution, nodes,
/// RuntimeClasses (gVisor?), CNI and whether it enforces NetworkPolicies, StorageClasses,
/// extensions (Istio, cert-manager, …), the namespace's Pod Security level, quotas and limit
/// ranges, and guidance derived from them. Parts the user may not read are listed, not fatal.
/// Text output is Markdown.
#[derive(Debug, Args)]
pub struct Profile {
    #[command(flatten)]
    pub kube: KubeFlags,

    /// Also write `.tentacular/envprofiles/<env>.md` and `<env>.json` under the current
    /// directory (`<env>` is the --env/$TENTACULAR_ENV environment, else `default`).
    #[arg(long)]
    pub save: bool,

    /// With --save, rewrite a profile even if it is less than an hour old (by default it is
    /// kept).
    #[arg(long, requires = "save")]
    pub force: bool,
}

/// What `--save` did.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Saved {
    markdown: PathBuf,
    json: PathBuf,
    /// False when a fresh profile was kept.
    written: bool,
}

/// `-o json`: the profile, plus `saved` with --save.
#[derive(Serialize)]
struct Json<'a> {
    #[serde(flatten)]
    profile: &'a ClusterProfile,
    #[serde(skip_serializing_if = "Option::is_none")]
    saved: Option<Saved>,
}

impl Profile {
    pub fn run(self, out: &Output) -> anyhow::Result<()> {
        let resolved = self.kube.resolve(Extra::default(), out)?;
        let profile = runtime()?.block_on(async {
            let cluster = connect(&resolved).await?;
            anyhow::Ok(cluster.profile(&resolved.namespace).await?)
        })?;
        let saved = if self.save {
            let env = resolved.environment.as_deref().unwrap_or("default");
            let dir = std::env::current_dir()?
                .join(".tentacular")
                .join("envprofiles");
            Some(save(&dir, env, &profile, self.force)?)
        } else {
            None
        };
        if out.json() {
            return out.json_value(&Json {
                profile: &profile,
                saved,
            });
        }
        out.out(profile.to_markdown().trim_end())?;
        if let Some(s) = saved {
            if s.written {
                out.err(format!(
                    "Saved {} and {}",
                    s.markdown.display(),
                    s.json.display()
                ))?;
            } else {
                out.err(format!(
                    "Kept {} (less than an hour old; --force rewrites it)",
                    s.json.display()
                ))?;
            }
        }
        Ok(())
    }
}

/// Writes `<dir>/<env>.md` and `<dir>/<env>.json` unless the JSON is fresh and `force` is off.
fn save(dir: &Path, env: &str, profile: &ClusterProfile, force: bool) -> anyhow::Result<Saved> {
    let markdown = dir.join(format!("{env}.md"));
    let json = dir.join(format!("{env}.json"));
    let fresh = std::fs::metadata(&json)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .is_some_and(|age| age < FRESH);
    if fresh && !force {
        return Ok(Saved {
            markdown,
            json,
            written: false,
        });
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(&markdown, profile.to_markdown())
        .with_context(|| format!("writing {}", markdown.display()))?;
    let mut text = serde_json::to_string_pretty(profile)?;
    text.push('\n');
    std::fs::write(&json, text).with_context(|| format!("writing {}", json.display()))?;
    Ok(Saved {
        markdown,
        json,
        written: true,
    })
}
