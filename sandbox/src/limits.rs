//! Per-invocation limits.

use std::time::Duration;

/// Limits for one node invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Linear memory cap in bytes. By default, 64 MiB. Must be at least the node snapshot's
    /// initial memory (a few MiB), or instantiation is refused with `OutOfMemory`.
    pub memory: usize,
    /// Wall-clock deadline; the node is stopped (not merely abandoned) when it passes. By
    /// default, 30 s.
    pub timeout: Duration,
    /// Optional fuel budget (deterministic instruction metering). Needs
    /// [`crate::SandboxConfig::fuel`]. By default, none.
    pub fuel: Option<u64>,
    /// Largest output, as JSON text, in bytes. By default, 16 MiB.
    pub max_output: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory: 64 * 1024 * 1024,
            timeout: Duration::from_secs(30),
            fuel: None,
            max_output: 16 * 1024 * 1024,
        }
    }
}
