//! Tests against a real kube-apiserver (testenv/), a module per topic; [`test_cluster`] connects
//! to it.

mod api_server;
mod audit;
mod check;
mod deploy;
mod install_profile;
mod run_logs;
mod test_cluster;

use std::collections::BTreeMap;

use serde_json::json;
use tentacular_kube::manifests::{DeployInput, HostEgress};
use tentacular_spec::{CronTrigger, IpProtocol};

/// A word-counter-like workflow: two nodes and a helper, two cron triggers, one external API,
/// local secrets, the default runtime class (tests create the RuntimeClass `gvisor` first:
/// admission rejects pods naming a missing one).
pub fn word_counter(ns: &str) -> DeployInput {
    let mut i = DeployInput::new("word-counter", "1.0", ns, "tentacular-engine:test");
    i.files = BTreeMap::from([
        ("workflow.yaml".into(), "name: word-counter\nversion: \"1.0\"\n".into()),
        ("nodes/count.ts".into(), "import { split } from \"./lib/text.ts\";\nexport default async (_c, i) => ({ n: split(i.text).length });\n".into()),
        ("nodes/lib/text.ts".into(), "export const split = (s: string) => s.split(/\\s+/);\n".into()),
        ("nodes/report.ts".into(), "export default async (_c, i) => i;\n".into()),
    ]);
    i.cron_triggers = vec![
        CronTrigger::parse(None, "*/5 * * * *").unwrap(),
        CronTrigger::parse(Some("nightly"), "0 3 * * *").unwrap(),
    ];
    i.egress = vec![HostEgress {
        host: "api.example.com".into(),
        port: 443,
        protocol: IpProtocol::Tcp,
    }];
    i.secrets = Some(BTreeMap::from([(
        "example".into(),
        json!({"token": "t0k3n"}),
    )]));
    i.required_secrets = vec!["example.token".into()];
    i
}
