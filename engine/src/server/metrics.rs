//! Counters and histograms behind `GET /metrics`, rendered in the Prometheus text format
//! (version 0.0.4).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::result::ExecutionResult;

/// Histogram bucket bounds in seconds, for runs and nodes alike: from sub-millisecond nodes up
/// to the longest timeouts people set.
const BUCKETS: [f64; 16] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0,
];

/// The trigger kinds that always appear in the run counters, even at zero.
const TRIGGERS: [&str; 3] = ["manual", "webhook", "cron"];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        for (bound, c) in BUCKETS.iter().zip(self.counts.iter_mut()) {
            if seconds <= *bound {
                *c += 1;
            }
        }
        self.count += 1;
        self.sum += seconds;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (bound, c) in BUCKETS.iter().zip(self.counts.iter()) {
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {c}");
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

#[derive(Debug, Default)]
struct Inner {
    runs: BTreeMap<&'static str, u64>,
    failures: BTreeMap<&'static str, u64>,
    run_duration: Histogram,
    nodes: BTreeMap<String, Histogram>,
    node_failures: BTreeMap<String, u64>,
    webhooks: BTreeMap<(String, &'static str), u64>,
    reloads: BTreeMap<&'static str, u64>,
}

/// The engine's metrics. Updated once per run (one lock), rendered on demand.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    inner: Mutex<Inner>,
    rejected: AtomicU64,
}

impl Metrics {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the counters inconsistent enough to
        // matter; keep serving them.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn rejected(&self) {
        self.rejected.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn reloaded(&self, ok: bool) {
        *self
            .lock()
            .reloads
            .entry(if ok { "ok" } else { "error" })
            .or_default() += 1;
    }

    pub(crate) fn webhook(&self, provider: &str, result: &'static str) {
        *self
            .lock()
            .webhooks
            .entry((provider.to_string(), result))
            .or_default() += 1;
    }

    pub(crate) fn record_run(&self, trigger: &'static str, elapsed: Duration, r: &ExecutionResult) {
        let mut m = self.lock();
        *m.runs.entry(trigger).or_default() += 1;
        if !r.success {
            *m.failures.entry(trigger).or_default() += 1;
        }
        m.run_duration.observe(elapsed.as_secs_f64());
        for (node, t) in &r.timing.node_timings {
            // nodeTimings covers every attempt but in whole milliseconds; the resource
            // figure has microseconds for the last attempt. The larger is the better figure.
            let us = r
                .resources
                .get(node)
                .map_or(0, |res| res.duration_us)
                .max(t.duration_ms.saturating_mul(1000));
            let seconds = us as f64 / 1e6;
            match m.nodes.get_mut(node) {
                Some(h) => h.observe(seconds),
                None => {
                    let mut h = Histogram::default();
                    h.observe(seconds);
                    m.nodes.insert(node.clone(), h);
                }
            }
        }
        for node in r.errors.keys() {
            match m.node_failures.get_mut(node) {
                Some(n) => *n += 1,
                None => {
                    m.node_failures.insert(node.clone(), 1);
                }
            }
        }
    }

    /// The Prometheus text exposition.
    pub(crate) fn render(
        &self,
        in_flight: usize,
        max_in_flight: usize,
        info: (&str, &str, u64),
    ) -> String {
        let m = self.lock();
        let mut out = String::with_capacity(4096);
        let (workflow, version, generation) = info;
        header(
            &mut out,
            "tentacular_workflow_info",
            "gauge",
            "The workflow being served; the value is always 1.",
        );
        let _ = writeln!(
            out,
            "tentacular_workflow_info{{workflow=\"{}\",version=\"{}\",generation=\"{generation}\"}} 1",
            escape(workflow),
            escape(version)
        );

        header(
            &mut out,
            "tentacular_runs_total",
            "counter",
            "Workflow runs finished, by what started them (manual is /run).",
        );
        for t in TRIGGERS {
            let _ = writeln!(
                out,
                "tentacular_runs_total{{trigger=\"{t}\"}} {}",
                m.runs.get(t).copied().unwrap_or(0)
            );
        }
        header(
            &mut out,
            "tentacular_run_failures_total",
            "counter",
            "Finished runs with success=false, by what started them.",
        );
        for t in TRIGGERS {
            let _ = writeln!(
                out,
                "tentacular_run_failures_total{{trigger=\"{t}\"}} {}",
                m.failures.get(t).copied().unwrap_or(0)
            );
        }
        header(
            &mut out,
            "tentacular_runs_in_flight",
            "gauge",
            "Runs executing now.",
        );
        let _ = writeln!(out, "tentacular_runs_in_flight {in_flight}");
        header(
            &mut out,
            "tentacular_runs_max_in_flight",
            "gauge",
            "The most runs allowed at once (--max-in-flight).",
        );
        let _ = writeln!(out, "tentacular_runs_max_in_flight {max_in_flight}");
        header(
            &mut out,
            "tentacular_runs_rejected_total",
            "counter",
            "Runs refused with 429 Too Many Requests (or skipped, for cron) because max-in-flight runs were executing.",
        );
        let _ = writeln!(
            out,
            "tentacular_runs_rejected_total {}",
            self.rejected.load(Ordering::Relaxed)
        );
        header(
            &mut out,
            "tentacular_run_duration_seconds",
            "histogram",
            "Wall time of whole runs.",
        );
        m.run_duration
            .render(&mut out, "tentacular_run_duration_seconds", "");

        header(
            &mut out,
            "tentacular_node_duration_seconds",
            "histogram",
            "Wall time of each node, all attempts included, by node.",
        );
        for (node, h) in &m.nodes {
            h.render(
                &mut out,
                "tentacular_node_duration_seconds",
                &format!("node=\"{}\"", escape(node)),
            );
        }
        header(
            &mut out,
            "tentacular_node_failures_total",
            "counter",
            "Runs in which the node failed (after its retries), by node.",
        );
        for (node, n) in &m.node_failures {
            let _ = writeln!(
                out,
                "tentacular_node_failures_total{{node=\"{}\"}} {n}",
                escape(node)
            );
        }

        header(
            &mut out,
            "tentacular_webhook_deliveries_total",
            "counter",
            "Webhook deliveries by provider and result (matched, unmatched, invalid_signature, invalid_json, rejected).",
        );
        for ((provider, result), n) in &m.webhooks {
            let _ = writeln!(
                out,
                "tentacular_webhook_deliveries_total{{provider=\"{}\",result=\"{result}\"}} {n}",
                escape(provider)
            );
        }
        header(
            &mut out,
            "tentacular_reloads_total",
            "counter",
            "Hot reloads (--watch), by result; on error the last good version keeps serving.",
        );
        for r in ["ok", "error"] {
            let _ = writeln!(
                out,
                "tentacular_reloads_total{{result=\"{r}\"}} {}",
                m.reloads.get(r).copied().unwrap_or(0)
            );
        }
        out
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Escapes a label value: backslash, double quote and newline.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let mut h = Histogram::default();
        h.observe(0.0007);
        h.observe(0.02);
        h.observe(100.0);
        let mut out = String::new();
        h.render(&mut out, "x", "node=\"a\"");
        assert!(
            out.contains("x_bucket{node=\"a\",le=\"0.0005\"} 0\n"),
            "{out}"
        );
        assert!(
            out.contains("x_bucket{node=\"a\",le=\"0.001\"} 1\n"),
            "{out}"
        );
        assert!(
            out.contains("x_bucket{node=\"a\",le=\"0.025\"} 2\n"),
            "{out}"
        );
        assert!(out.contains("x_bucket{node=\"a\",le=\"60\"} 2\n"), "{out}");
        assert!(
            out.contains("x_bucket{node=\"a\",le=\"+Inf\"} 3\n"),
            "{out}"
        );
        assert!(out.contains("x_count{node=\"a\"} 3\n"), "{out}");
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
