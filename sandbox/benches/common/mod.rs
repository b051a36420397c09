//! What the sandbox benchmarks share: latency percentiles, a node's empty grants and the
//! process's RSS. Each bench compiles this module on its own and uses part of it.

use std::sync::Arc;
use std::time::Duration;

use tentacular_sandbox::Capabilities;

/// p50 and p99 of `d`.
pub fn summarize(mut d: Vec<Duration>) -> (Duration, Duration) {
    d.sort();
    let at = |p: f64| d[((d.len() as f64 - 1.0) * p).round() as usize];
    (at(0.5), at(0.99))
}

/// Capabilities of `node`: no config, no dependencies, no network.
pub fn no_caps(node: &str) -> Arc<Capabilities> {
    Arc::new(Capabilities::builder(node).build())
}

/// The resident set size of this process, in bytes (0 where `/proc` is missing).
#[allow(dead_code)] // only the benches that measure memory call it
pub fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse::<u64>().ok())
        .unwrap_or(0)
        * 4096
}
