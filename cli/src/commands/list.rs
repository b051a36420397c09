//! `tntc list [-A]`.

use clap::Args;

use super::kube_flags::{Extra, KubeFlags, connect};
use super::runtime;
use crate::output::Output;

/// Lists the workflows deployed in a namespace (or all of them with -A).
#[derive(Debug, Args)]
pub struct List {
    #[command(flatten)]
    pub kube: KubeFlags,

    /// Every namespace.
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
}

/// `45s`, `3m`, `2h`, `4d`.
fn age(secs: Option<i64>) -> String {
    match secs {
        None => "-".into(),
        Some(s) if s < 120 => format!("{s}s"),
        Some(s) if s < 7200 => format!("{}m", s / 60),
        Some(s) if s < 172_800 => format!("{}h", s / 3600),
        Some(s) => format!("{}d", s / 86400),
    }
}

impl List {
    pub fn run(self, out: &Output) -> anyhow::Result<()> {
        let resolved = self.kube.resolve(Extra::default(), out)?;
        runtime()?.block_on(async {
            let cluster = connect(&resolved).await?;
            let ns = (!self.all_namespaces).then_some(resolved.namespace.as_str());
            let items = cluster.list(ns).await?;
            if out.json() {
                return out.json_value(&items);
            }
            if items.is_empty() {
                out.out(match ns {
                    Some(ns) => format!("No workflows found in namespace {ns}"),
                    None => "No workflows found in any namespace".to_string(),
                })?;
                return Ok(());
            }
            let mut rows = vec![[
                "NAME".to_string(),
                "VERSION".into(),
                "NAMESPACE".into(),
                "STATUS".into(),
                "REPLICAS".into(),
                "AGE".into(),
            ]];
            for w in &items {
                rows.push([
                    w.name.clone(),
                    w.version.clone(),
                    w.namespace.clone(),
                    if w.ready { "ready" } else { "not ready" }.into(),
                    format!("{}/{}", w.available, w.replicas),
                    age(w.age_seconds),
                ]);
            }
            let widths: Vec<usize> = (0..6)
                .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
                .collect();
            for r in rows {
                let line: Vec<String> = r
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| format!("{c:<w$}"))
                    .collect();
                out.out(line.join("  ").trim_end())?;
            }
            Ok(())
        })
    }
}
