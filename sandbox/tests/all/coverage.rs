//! The API-coverage workflow (`sandbox/tests/api-coverage`): one node per Web API family,
//! each returning `{api: "ok"}` or the error it met, run through the real sandbox against a
//! loopback server.

use std::path::Path;
use std::sync::Arc;

use serde_json::json;
use tentacular_sandbox::fetch::net::NetTransport;
use tentacular_sandbox::{Capabilities, Dependency, Limits};

use crate::server::TestServer;
use crate::support::sandbox;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_family_reports_ok() {
    let server = TestServer::start().await;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api-coverage");
    let workflow = tentacular_spec::Workflow::load(&dir).unwrap().workflow;
    let mut failures = Vec::new();
    for (id, node) in &workflow.nodes {
        let program = sandbox()
            .load(&dir, Path::new(&node.path))
            .await
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        let caps = Arc::new(
            Capabilities::builder(id.to_string())
                .dependency(
                    "api",
                    Dependency {
                        protocol: "http".into(),
                        host: "localhost".into(),
                        port: server.port,
                        auth: None,
                        granted: true,
                        dynamic: None,
                        extra: Default::default(),
                    },
                )
                .transport(Arc::new(NetTransport::new().unwrap()))
                .build(),
        );
        let out = program.invoke(&json!({}), &caps, &Limits::default()).await;
        match out.result {
            Ok(v) if v == json!({"api": "ok"}) => {}
            other => failures.push(format!("{id}: {other:?}")),
        }
    }
    assert_eq!(workflow.nodes.len(), 9);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
