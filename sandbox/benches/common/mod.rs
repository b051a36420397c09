//! What the sandbox benchmarks share: latency percentiles and a node's empty grants.

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
