//! Per-invocation limits.

use std::time::Duration;

pub use crate::host::Clock;

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
    /// How long an invocation may wait for a free instance when the engine is at
    /// [`crate::SandboxConfig::max_instances`]; the wait does not count against `timeout`. By
    /// default, 30 s (the executor uses the workflow's `config.timeout`).
    pub queue_timeout: Duration,
    /// How timers measure time. By default, [`Clock::Real`]; `tntc test` uses
    /// [`Clock::Virtual`] so that backoff code runs without waiting.
    pub clock: Clock,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory: 64 * 1024 * 1024,
            timeout: Duration::from_secs(30),
            fuel: None,
            max_output: 16 * 1024 * 1024,
            queue_timeout: Duration::from_secs(30),
            clock: Clock::Real,
        }
    }
}
