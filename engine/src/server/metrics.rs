//! Counters and histograms behind `GET /metrics`, rendered in the Prometheus text format
//! (version 0.0.4).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::executor::RunReport;

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

    /// `<family>_bucket{…,le="…"}` for every bound and `+Inf`, then `_sum` and `_count`.
    fn render(&self, t: &mut Text, labels: &[(&str, &str)]) {
        let name = t.family;
        for (bound, c) in BUCKETS.iter().zip(self.counts.iter()) {
            let le = bound.to_string();
            t.line(&format!("{name}_bucket"), &with(labels, ("le", &le)), c);
        }
        t.line(
            &format!("{name}_bucket"),
            &with(labels, ("le", "+Inf")),
            self.count,
        );
        t.line(&format!("{name}_sum"), labels, self.sum);
        t.line(&format!("{name}_count"), labels, self.count);
    }
}

/// `labels` with one more at the end.
fn with<'a>(labels: &[(&'a str, &'a str)], last: (&'a str, &'a str)) -> Vec<(&'a str, &'a str)> {
    let mut v = labels.to_vec();
    v.push(last);
    v
}

/// The text exposition being written: a family's `# HELP`/`# TYPE` header, then its samples.
#[derive(Debug, Default)]
struct Text {
    out: String,
    /// The family being written.
    family: &'static str,
}

impl Text {
    /// Starts a family.
    fn family(&mut self, name: &'static str, kind: &str, help: &str) -> &mut Self {
        let _ = writeln!(self.out, "# HELP {name} {help}");
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
        self.family = name;
        self
    }

    /// One sample of the current family.
    fn sample(&mut self, labels: &[(&str, &str)], value: impl std::fmt::Display) -> &mut Self {
        let name = self.family;
        self.line(name, labels, value);
        self
    }

    /// `name{k="v",…} value`, label values escaped; no braces without labels.
    fn line(&mut self, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        let _ = write!(self.out, "{name}");
        if !labels.is_empty() {
            let set: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                .collect();
            let _ = write!(self.out, "{{{}}}", set.join(","));
        }
        let _ = writeln!(self.out, " {value}");
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
    /// `(node, dependency, reason)` → count.
    denied: BTreeMap<(String, String, String), u64>,
}

/// The figures of the moment that `/metrics` shows beside the counters.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Gauges {
    /// Runs executing.
    pub in_flight: usize,
    /// Their limit.
    pub max_in_flight: usize,
    /// Requests waiting for admission.
    pub queued: usize,
    /// The admission queue's limit.
    pub max_queued: usize,
    /// The sandbox's instance pool.
    pub pool: tentacular_sandbox::PoolStats,
    /// The memory budget capacity was derived from, if it was.
    pub memory_budget: Option<u64>,
    /// The process's resident memory now, if known.
    pub resident: Option<u64>,
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

    pub(crate) fn record_run(&self, trigger: &'static str, elapsed: Duration, report: &RunReport) {
        let r = &report.result;
        let mut m = self.lock();
        for (node, e) in &report.security {
            let key = (
                node.clone(),
                e.dependency.clone().unwrap_or_default(),
                e.reason.clone(),
            );
            *m.denied.entry(key).or_default() += 1;
        }
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
    pub(crate) fn render(&self, g: Gauges, info: (&str, &str, u64)) -> String {
        let m = self.lock();
        let mut t = Text::default();
        let (workflow, version, generation) = info;
        let generation = generation.to_string();
        t.family(
            "tentacular_workflow_info",
            "gauge",
            "The workflow being served; the value is always 1.",
        )
        .sample(
            &[
                ("workflow", workflow),
                ("version", version),
                ("generation", &generation),
            ],
            1,
        );
        m.render_runs(&mut t);
        t.family("tentacular_runs_in_flight", "gauge", "Runs executing now.")
            .sample(&[], g.in_flight);
        t.family(
            "tentacular_runs_max_in_flight",
            "gauge",
            "The most runs allowed at once (from the memory budget, or --max-in-flight).",
        )
        .sample(&[], g.max_in_flight);
        t.family(
            "tentacular_runs_waiting",
            "gauge",
            "Requests waiting in the admission queue for a run slot now.",
        )
        .sample(&[], g.queued);
        t.family(
            "tentacular_runs_max_waiting",
            "gauge",
            "The most requests the admission queue holds; beyond it requests get 429 at once.",
        )
        .sample(&[], g.max_queued);
        t.family(
            "tentacular_runs_rejected_total",
            "counter",
            "Runs refused with 429 Too Many Requests (or skipped, for cron): every run slot taken and the admission queue full or its wait over.",
        )
        .sample(&[], self.rejected.load(Ordering::Relaxed));
        render_pool(&mut t, &g);
        t.family(
            "tentacular_run_duration_seconds",
            "histogram",
            "Wall time of whole runs.",
        );
        m.run_duration.render(&mut t, &[]);
        m.render_nodes(&mut t);
        m.render_webhooks_and_reloads(&mut t);
        t.out
    }
}

/// The sandbox's instance pool and the memory figures.
fn render_pool(t: &mut Text, g: &Gauges) {
    t.family(
        "tentacular_instances_in_use",
        "gauge",
        "Sandbox instances alive now (one per node invocation running).",
    )
    .sample(&[], g.pool.in_use);
    t.family(
        "tentacular_instances_max",
        "gauge",
        "The most sandbox instances alive at once (the pool's size, from the memory budget).",
    )
    .sample(&[], g.pool.max);
    t.family(
        "tentacular_instances_waiting",
        "gauge",
        "Node invocations waiting for a free sandbox instance now.",
    )
    .sample(&[], g.pool.waiting);
    if let Some(b) = g.memory_budget {
        t.family(
            "tentacular_memory_budget_bytes",
            "gauge",
            "The memory budget the run and instance limits were derived from.",
        )
        .sample(&[], b);
    }
    if let Some(r) = g.resident {
        t.family(
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory size in bytes.",
        )
        .sample(&[], r);
    }
}

/// This process's resident memory in bytes, from `/proc/self/statm` (`None` elsewhere).
pub(crate) fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

impl Inner {
    /// Runs and failed runs by trigger (every trigger kind, even at zero).
    fn render_runs(&self, t: &mut Text) {
        t.family(
            "tentacular_runs_total",
            "counter",
            "Workflow runs finished, by what started them (manual is /run).",
        );
        for tr in TRIGGERS {
            t.sample(&[("trigger", tr)], self.runs.get(tr).copied().unwrap_or(0));
        }
        t.family(
            "tentacular_run_failures_total",
            "counter",
            "Finished runs with success=false, by what started them.",
        );
        for tr in TRIGGERS {
            t.sample(
                &[("trigger", tr)],
                self.failures.get(tr).copied().unwrap_or(0),
            );
        }
    }

    /// Per-node durations and failures.
    fn render_nodes(&self, t: &mut Text) {
        t.family(
            "tentacular_node_duration_seconds",
            "histogram",
            "Wall time of each node, all attempts included, by node.",
        );
        for (node, h) in &self.nodes {
            h.render(t, &[("node", node)]);
        }
        t.family(
            "tentacular_node_failures_total",
            "counter",
            "Runs in which the node failed (after its retries), by node.",
        );
        for (node, n) in &self.node_failures {
            t.sample(&[("node", node)], n);
        }
        t.family(
            "tentacular_denied_total",
            "counter",
            "Requests the host refused for a node, and responses it scrubbed of secret values (reason=scrubbed), by node, dependency and reason.",
        );
        for ((node, dependency, reason), n) in &self.denied {
            t.sample(
                &[
                    ("node", node),
                    ("dependency", dependency),
                    ("reason", reason),
                ],
                n,
            );
        }
    }

    /// Webhook deliveries by provider and result, hot reloads by result.
    fn render_webhooks_and_reloads(&self, t: &mut Text) {
        t.family(
            "tentacular_webhook_deliveries_total",
            "counter",
            "Webhook deliveries by provider and result (matched, unmatched, invalid_signature, invalid_json, rejected).",
        );
        for ((provider, result), n) in &self.webhooks {
            t.sample(&[("provider", provider), ("result", result)], n);
        }
        t.family(
            "tentacular_reloads_total",
            "counter",
            "Hot reloads (--watch), by result; on error the last good version keeps serving.",
        );
        for r in ["ok", "error"] {
            t.sample(&[("result", r)], self.reloads.get(r).copied().unwrap_or(0));
        }
    }
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
        let mut t = Text::default();
        t.family("x", "histogram", "a test histogram");
        h.render(&mut t, &[("node", "a")]);
        let out = t.out;
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
