//! How runs start besides `POST /run`.
//!
//! | trigger | served by |
//! | --- | --- |
//! | `manual` | `GET`/`POST /run` ([`crate::server`]) |
//! | `cron` | [`cron`] inside the engine (for `tntc dev`); on a cluster, a CronJob running `tentacular-engine trigger <url>` ([`client`]) |
//! | `webhook` | `POST /webhook/<provider>` ([`crate::server`]; verification and matching in [`crate::webhook`]) |
//! | `queue` (NATS) | validated, **not served yet**: [`announce_unserved`] says so once at start |

pub mod client;
pub mod cron;

use tentacular_spec::{TriggerKind, Workflow};

/// Logs, once, that the workflow's queue (NATS) triggers are not served by this engine, naming
/// their subjects. Returns the subjects (empty when there are none).
pub fn announce_unserved(workflow: &Workflow) -> Vec<String> {
    let subjects: Vec<String> = workflow
        .triggers
        .iter()
        .filter_map(|t| match &t.kind {
            TriggerKind::Queue { subject } => Some(subject.clone()),
            _ => None,
        })
        .collect();
    if !subjects.is_empty() {
        tracing::warn!(
            subjects = %subjects.join(", "),
            "queue (NATS) triggers are validated but not served by this engine yet: no message on {} will start a run; use /run, a webhook or cron meanwhile",
            subjects.join(", ")
        );
    }
    subjects
}
