//! `tntc status <name> [--detail]`.

use clap::Args;

use super::kube_flags::{Extra, KubeFlags, connect};
use super::runtime;
use crate::output::{Output, paint, style};

/// Shows whether a deployed workflow is ready; --detail adds image, runtime class, resources,
/// endpoint, pods, cron jobs and recent events.
#[derive(Debug, Args)]
pub struct Status {
    /// The workflow name.
    pub name: String,

    #[command(flatten)]
    pub kube: KubeFlags,

    /// Also show image, runtime class, resources, service endpoint, pods, cron jobs, events.
    #[arg(long)]
    pub detail: bool,
}

impl Status {
    pub fn run(self, out: &Output) -> anyhow::Result<()> {
        let resolved = self.kube.resolve(Extra::default(), out)?;
        runtime()?.block_on(async {
            let cluster = connect(&resolved).await?;
            let s = cluster
                .status(&resolved.namespace, &self.name, self.detail)
                .await?;
            if out.json() {
                return out.json_value(&s);
            }
            let h = |t: &str| paint(style::HEAD, t);
            let state = if s.ready {
                paint(style::OK, "ready")
            } else {
                paint(style::WARN, "not ready")
            };
            let mut text = format!(
                "{} {}\n{} {}\n{} {}\n{} {state}\n{} {}/{} ready, {} available\n",
                h("Workflow: "),
                s.name,
                h("Namespace:"),
                s.namespace,
                h("Version:  "),
                s.version,
                h("Status:   "),
                h("Replicas: "),
                s.readiness.ready,
                s.replicas,
                s.available
            );
            if let Some(a) = &s.autoscale {
                text.push_str(&format!("{} {a}\n", h("Autoscale:")));
            }
            if !s.readiness.done {
                text.push_str(&format!("{} {}\n", h("Rollout:  "), s.readiness));
            }
            if let Some(d) = &s.detail {
                text.push_str(&format!("{} {}\n", h("Image:    "), d.image));
                text.push_str(&format!(
                    "{} {}\n",
                    h("Runtime:  "),
                    d.runtime_class.as_deref().unwrap_or("(none: no gVisor)")
                ));
                let kv = |m: &std::collections::BTreeMap<String, String>| {
                    m.iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                text.push_str(&format!(
                    "{} requests {}; limits {}\n",
                    h("Resources:"),
                    kv(&d.requests),
                    kv(&d.limits)
                ));
                if let Some(e) = &d.service_endpoint {
                    text.push_str(&format!("{} {e}\n", h("Endpoint: ")));
                }
                text.push_str(&format!("{}\n", h("Pods:")));
                if d.pods.is_empty() {
                    text.push_str("  (none)\n");
                }
                for p in &d.pods {
                    text.push_str(&format!(
                        "  {} [{}] {} ready={} restarts={}{}\n",
                        p.name,
                        p.role,
                        p.phase,
                        p.ready,
                        p.restarts,
                        p.ip.as_ref()
                            .map(|ip| format!(" ip={ip}"))
                            .unwrap_or_default()
                    ));
                }
                if !d.cron_jobs.is_empty() {
                    text.push_str(&format!("{}\n", h("Cron jobs:")));
                    for c in &d.cron_jobs {
                        text.push_str(&format!(
                            "  {} \"{}\" last run {}\n",
                            c.name,
                            c.schedule,
                            c.last_schedule.as_deref().unwrap_or("never")
                        ));
                    }
                }
                text.push_str(&format!("{}\n", h("Events:")));
                if d.events.is_empty() {
                    text.push_str("  (none)\n");
                }
                for e in &d.events {
                    text.push_str(&format!(
                        "  {} [{}] {} {}: {}{}\n",
                        e.time.as_deref().unwrap_or("-"),
                        e.type_,
                        e.object,
                        e.reason,
                        e.message,
                        if e.count > 1 {
                            format!(" (x{})", e.count)
                        } else {
                            String::new()
                        }
                    ));
                }
            }
            out.out(text.trim_end())?;
            Ok(())
        })
    }
}
