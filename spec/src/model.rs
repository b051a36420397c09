//! The workflow model: what `workflow.yaml` holds, as typed values that passed validation.
//!
//! Field names serialize exactly as they are written in YAML, so `serde_json::to_value` of a
//! [`Workflow`] is the spec in JSON form and [`super::json_schema`] describes the file.

use std::time::Duration;

use chrono::{DateTime, Utc};
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::contract::Contract;
use crate::deployment::Deployment;
use crate::ids::{DependencyName, NodeId, TriggerName, WorkflowName};
use crate::text_value::text_value;
use crate::values::{DurationText, Extensions, MemorySize, Runtime, WorkflowVersion};

/// One workflow: the contents of a valid `workflow.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(extend("x-tentacular-extensions" = true))]
pub struct Workflow {
    /// Kebab-case name; it also names the Kubernetes objects of a deployment.
    pub name: WorkflowName,
    /// `MAJOR.MINOR`, e.g. `"1.0"`.
    pub version: WorkflowVersion,
    /// What the workflow does, for people and agents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// How runs start; at least one.
    pub triggers: Vec<Trigger>,
    /// The nodes, by id, in the order written; at least one.
    pub nodes: IndexMap<NodeId, NodeSpec>,
    /// Data flow between nodes. By default, none (every node is a root).
    #[serde(default)]
    pub edges: Vec<Edge>,
    /// Run settings plus free-form values handed to every node as `ctx.config`.
    #[serde(default)]
    pub config: WorkflowConfig,
    /// Where the workflow is deployed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<Deployment>,
    /// What the workflow may reach outside itself, and with which secrets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<Contract>,
    /// `x-*` keys, kept as written.
    #[serde(flatten)]
    pub extensions: Extensions,
}

impl Workflow {
    /// The runtime a node runs in: the node's `runtime`, else `config.runtime`, else wasm.
    pub fn runtime_of(&self, node: &NodeId) -> Runtime {
        self.nodes
            .get(node)
            .and_then(|n| n.runtime)
            .or(self.config.runtime)
            .unwrap_or_default()
    }

    /// The per-attempt timeout of a node: its `limits.timeout`, else `config.timeout`, else 30s.
    pub fn timeout_of(&self, node: &NodeId) -> Duration {
        self.nodes
            .get(node)
            .and_then(|n| n.limits.timeout.as_ref())
            .map_or_else(|| self.config.timeout(), DurationText::duration)
    }

    /// The memory cap of a node in bytes: its `limits.memory`, else 64 MiB.
    pub fn memory_of(&self, node: &NodeId) -> u64 {
        self.nodes
            .get(node)
            .and_then(|n| n.limits.memory.as_ref())
            .map_or(NodeLimits::DEFAULT_MEMORY, MemorySize::bytes)
    }

    /// Host operations a node may have in flight at once: its `limits.maxInFlight`, else 32.
    pub fn max_in_flight_of(&self, node: &NodeId) -> u32 {
        self.nodes
            .get(node)
            .and_then(|n| n.limits.max_in_flight)
            .unwrap_or(NodeLimits::DEFAULT_MAX_IN_FLIGHT)
    }
}

/// A way to start a run.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(extend("x-tentacular-extensions" = true))]
pub struct Trigger {
    /// Optional name, unique among triggers. Named cron triggers post `{"trigger": name}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<TriggerName>,
    /// The trigger's type and its fields.
    #[serde(flatten)]
    pub kind: TriggerKind,
    /// `x-*` keys, kept as written.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// The trigger types, tagged by the YAML key `type`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum TriggerKind {
    /// `POST /run` (and `tntc run`).
    Manual,
    /// On a schedule.
    Cron {
        /// A five-field cron expression (minute hour day month weekday) or `@daily` etc.
        schedule: CronSchedule,
    },
    /// An incoming webhook, served at `/webhook/<provider>`.
    Webhook {
        /// Who sends it. Only `github` is supported (signature checked with HMAC-SHA256).
        provider: WebhookProvider,
        /// Informational path; the engine serves `/webhook/<provider>`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<String>,
        /// Only deliveries of this event (GitHub's `X-GitHub-Event`). By default, any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        event: Option<String>,
        /// Only these `action` values of the payload. By default, any.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        actions: Vec<String>,
    },
    /// A NATS subject (validated; not served yet).
    Queue {
        /// The subject to subscribe to.
        subject: String,
    },
}

impl TriggerKind {
    /// `"manual"`, `"cron"`, `"webhook"` or `"queue"`.
    pub fn type_name(&self) -> &'static str {
        match self {
            TriggerKind::Manual => "manual",
            TriggerKind::Cron { .. } => "cron",
            TriggerKind::Webhook { .. } => "webhook",
            TriggerKind::Queue { .. } => "queue",
        }
    }
}

/// A webhook sender the engine knows how to verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WebhookProvider {
    /// GitHub: `X-Hub-Signature-256`, `X-GitHub-Event`, `payload.action`.
    Github,
}

impl WebhookProvider {
    /// The provider as written in YAML and in the URL path.
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookProvider::Github => "github",
        }
    }
}

/// A cron schedule that parsed: five fields, or a macro such as `@daily`.
#[derive(Debug, Clone)]
pub struct CronSchedule {
    text: String,
    cron: Box<croner::Cron>,
}

impl CronSchedule {
    /// Parses a schedule the way Kubernetes CronJobs read it: five fields (no seconds), or
    /// `@yearly`, `@monthly`, `@weekly`, `@daily`, `@hourly`; no `L`, `W` or `#`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if !t.starts_with('@') && uses_quartz_extensions(t) {
            return Err(format!(
                "cron schedule \"{text}\" uses L, W or #, which Kubernetes CronJobs do not support"
            ));
        }
        if !t.starts_with('@') && t.split_whitespace().count() != 5 {
            return Err(format!(
                "cron schedule \"{text}\" must have five fields (minute hour day-of-month month day-of-week), e.g. \"0 9 * * *\""
            ));
        }
        let parser = croner::parser::CronParser::builder()
            .seconds(croner::parser::Seconds::Disallowed)
            .build();
        match parser.parse(t) {
            Ok(cron) => Ok(Self {
                text: t.to_string(),
                cron: Box::new(cron),
            }),
            Err(e) => Err(format!("cron schedule \"{text}\" is not valid: {e}")),
        }
    }

    /// The schedule as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The parsed schedule, for computing run times.
    pub fn cron(&self) -> &croner::Cron {
        &self.cron
    }

    /// In words, e.g. "At 09:00".
    pub fn describe(&self) -> String {
        self.cron.describe().trim_end_matches('.').to_string()
    }
}

impl PartialEq for CronSchedule {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

text_value!(
    CronSchedule,
    schema = "CronSchedule",
    {
        "type": "string",
        "description": "five cron fields (minute hour day-of-month month day-of-week) or @daily etc., e.g. \"0 9 * * *\"",
    },
);

/// One cron trigger of a workflow: what the engine schedules under `tntc dev`, and what a
/// CronJob is made from on a cluster.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CronTrigger {
    /// The trigger's name, if it has one.
    pub name: Option<String>,
    /// Its schedule.
    pub schedule: CronSchedule,
}

impl CronTrigger {
    /// A trigger named `name` (if any) on `schedule`, parsed as [`CronSchedule::parse`] does.
    pub fn parse(name: Option<&str>, schedule: &str) -> Result<Self, String> {
        Ok(CronTrigger {
            name: name.map(str::to_string),
            schedule: CronSchedule::parse(schedule)?,
        })
    }

    /// The run's input: `{"trigger": name}`, or `{}` without a name.
    pub fn input(&self) -> Value {
        match &self.name {
            Some(n) => serde_json::json!({ "trigger": n }),
            None => serde_json::json!({}),
        }
    }

    /// The next time strictly after `after`, if the schedule has one.
    pub fn next_after(&self, after: &DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.schedule.cron().find_next_occurrence(after, false).ok()
    }
}

impl Workflow {
    /// The cron triggers, in the order written.
    pub fn cron_triggers(&self) -> Vec<CronTrigger> {
        self.triggers
            .iter()
            .filter_map(|t| match &t.kind {
                TriggerKind::Cron { schedule } => Some(CronTrigger {
                    name: t.name.as_ref().map(ToString::to_string),
                    schedule: schedule.clone(),
                }),
                _ => None,
            })
            .collect()
    }
}

/// True when a schedule uses `L`, `W` or `#` (outside month and weekday names).
fn uses_quartz_extensions(schedule: &str) -> bool {
    const NAMES: [&str; 19] = [
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", "SUN",
        "MON", "TUE", "WED", "THU", "FRI", "SAT",
    ];
    let mut s = schedule.to_ascii_uppercase();
    for name in NAMES {
        s = s.replace(name, "");
    }
    s.contains(['L', 'W', '#'])
}

/// One node: a TypeScript (or JavaScript) module with a default `async run(ctx, input)`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(extend("x-tentacular-extensions" = true))]
pub struct NodeSpec {
    /// The module, relative to the workflow directory, e.g. `./nodes/fetch.ts`. It must stay
    /// inside the workflow directory.
    pub path: String,
    /// What the node does. Optional, but `validate` warns when it is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Free-form labels, kept for compatibility; nothing enforces them.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub capabilities: IndexMap<String, String>,
    /// Where the node runs. By default, `config.runtime`, else `wasm`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<Runtime>,
    /// The contract dependencies this node may use (its grant). By default, all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uses: Option<Vec<DependencyName>>,
    /// Resource limits for one invocation.
    #[serde(default, skip_serializing_if = "NodeLimits::is_empty")]
    pub limits: NodeLimits,
    /// `x-*` keys, kept as written.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// Per-node resource limits.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Limits")]
pub struct NodeLimits {
    /// Linear memory cap of the node's sandbox instance. By default, 64Mi.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<MemorySize>,
    /// Wall-clock limit per attempt. By default, `config.timeout` (itself 30s by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<DurationText>,
    /// Host operations (requests) one invocation may have in flight at once; more wait for a
    /// slot and never fail for it. By default, 32 (at least 1, at most 1024).
    #[serde(
        default,
        rename = "maxInFlight",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(range(min = 1, max = 1024))]
    pub max_in_flight: Option<u32>,
}

impl NodeLimits {
    /// The memory cap when none is set: 64 MiB.
    pub const DEFAULT_MEMORY: u64 = 64 << 20;

    /// Requests in flight per invocation when none is set: 32.
    pub const DEFAULT_MAX_IN_FLIGHT: u32 = 32;
    /// The largest `maxInFlight` accepted.
    pub const MAX_MAX_IN_FLIGHT: u32 = 1024;

    /// True when no limit is set.
    pub fn is_empty(&self) -> bool {
        self.memory.is_none() && self.timeout.is_none() && self.max_in_flight.is_none()
    }
}

/// Data flows from `from` to `to`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Edge {
    /// The upstream node.
    pub from: NodeId,
    /// The downstream node.
    pub to: NodeId,
}

/// The `config` block: typed run settings plus anything else, all of it handed to nodes as
/// `ctx.config`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "Config")]
pub struct WorkflowConfig {
    /// Per-node, per-attempt timeout. By default, 30s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<DurationText>,
    /// Extra attempts after a failure, with backoff 100ms·2^n. By default, 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    /// Default runtime for every node. By default, wasm; `wasm` also forbids the automatic
    /// switch to Deno for nodes with npm:/jsr:/remote imports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<Runtime>,
    /// Every other key, as written.
    #[serde(flatten)]
    pub extras: Map<String, Value>,
}

impl WorkflowConfig {
    /// The timeout when none is set.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
    /// The most retries accepted.
    pub const MAX_RETRIES: u32 = 10;

    /// The per-attempt node timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
            .as_ref()
            .map_or(Self::DEFAULT_TIMEOUT, DurationText::duration)
    }

    /// Extra attempts after a failure.
    pub fn retries(&self) -> u32 {
        self.retries.unwrap_or(0)
    }

    /// The whole block as nodes see it in `ctx.config`: the typed keys that were written,
    /// then the extras.
    pub fn to_ctx_config(&self) -> Map<String, Value> {
        let mut out = Map::new();
        if let Some(t) = &self.timeout {
            out.insert("timeout".into(), Value::String(t.to_string()));
        }
        if let Some(r) = self.retries {
            out.insert("retries".into(), Value::from(r));
        }
        if let Some(r) = self.runtime {
            out.insert("runtime".into(), Value::String(r.to_string()));
        }
        out.extend(self.extras.iter().map(|(k, v)| (k.clone(), v.clone())));
        out
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn input_names_the_trigger() {
        assert_eq!(
            CronTrigger::parse(Some("nightly"), "@daily")
                .unwrap()
                .input(),
            json!({"trigger": "nightly"})
        );
        assert_eq!(
            CronTrigger::parse(None, "@daily").unwrap().input(),
            json!({})
        );
    }
}
