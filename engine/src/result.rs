//! `ExecutionResult`: the JSON a run returns, exactly as the original's (`success`, `outputs`,
//! `errors`, `timing`) plus per-node resource figures.

use std::time::SystemTime;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The outcome of one workflow run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionResult {
    /// True when no node failed.
    pub success: bool,
    /// Output of every node that succeeded, by node id.
    pub outputs: IndexMap<String, Value>,
    /// Error message of every node that failed, by node id.
    pub errors: IndexMap<String, String>,
    /// When the run and each node started and ended.
    pub timing: Timing,
    /// Per-node resource figures (new in Tentacular: the original had none).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub resources: IndexMap<String, NodeResources>,
}

/// Run and node timings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Timing {
    /// RFC 3339 start time.
    pub started_at: String,
    /// RFC 3339 end time.
    pub completed_at: String,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
    /// The same for each node that ran.
    pub node_timings: IndexMap<String, NodeTiming>,
}

/// One node's timing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeTiming {
    /// RFC 3339 start time.
    pub started_at: String,
    /// RFC 3339 end time.
    pub completed_at: String,
    /// Wall time in milliseconds (all attempts).
    pub duration_ms: u64,
    /// Time spent waiting for a free sandbox instance, in milliseconds (not part of the
    /// node's own timeout). Omitted when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub queued_ms: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What one node used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeResources {
    /// Attempts made (1 + retries used).
    pub attempts: u32,
    /// Peak linear memory of the last attempt, in bytes.
    pub peak_memory: u64,
    /// Requests made by the last attempt.
    pub fetches: u32,
    /// Wall time of the last attempt in microseconds (fresh instance included).
    pub duration_us: u64,
    /// Fuel consumed, when metering is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel_consumed: Option<u64>,
}

/// RFC 3339 with milliseconds, UTC.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}
