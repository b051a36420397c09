//! The Postgres node of `cluster-health-collector` in Deno compatibility mode against a real
//! PostgreSQL (test-support's throwaway server on 127.0.0.1): the node writes a snapshot with
//! the locked `npm:postgres` driver, using the password the host gives a non-HTTP dependency,
//! and the row is read back with psql. Nothing is mocked.

use std::path::Path;
use std::sync::Arc;

use serde_json::{Value, json};
use tentacular_engine::executor::{Bindings, LoadOptions, Runner};
use tentacular_engine::secrets::{SecretValue, Secrets};
use tentacular_sandbox::fetch::DenyAll;
use tentacular_sandbox::{Sandbox, SandboxConfig};
use tentacular_spec::Workflow;
use tentacular_test_support::postgres;

use crate::support::{copy_dir, tempdir, write};

fn example() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../example-workflows/cluster-health-collector")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_postgres_node_writes_a_snapshot_that_reads_back() {
    let test = "the_postgres_node_writes_a_snapshot_that_reads_back";
    let Some(pg) = postgres::start(test) else {
        return;
    };
    let cache = example().join(".tentacular/deno");
    if !cache.is_dir() {
        tentacular_test_support::missing(
            test,
            "the example's locked Deno cache",
            "tntc deno-cache example-workflows/cluster-health-collector (.ci/run fills it)",
        );
        return;
    }
    let wf = tempdir();
    write(
        &wf.path().join("workflow.yaml"),
        &format!(
            r#"name: store-snapshot
version: "1.0"
triggers: [{{type: manual}}]
nodes:
  store-health-data:
    path: ./nodes/store-health-data.ts
    description: stores a snapshot
    runtime: deno
    uses: [postgres]
contract:
  version: "1"
  dependencies:
    postgres:
      protocol: postgresql
      host: "{host}"
      port: {port}
      database: {db}
      user: {user}
      auth: {{type: password, secret: postgres.password}}
"#,
            host = pg.host,
            port = pg.port,
            db = pg.database,
            user = pg.user,
        ),
    );
    let node = std::fs::read_to_string(example().join("nodes/store-health-data.ts")).unwrap();
    write(&wf.path().join("nodes/store-health-data.ts"), &node);
    std::fs::copy(example().join("deno.lock"), wf.path().join("deno.lock")).unwrap();
    copy_dir(&cache, &wf.path().join(".tentacular/deno"));

    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(
            example().join("tests/fixtures/store-health-data.no-password.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let input = fixture["input"].clone();

    let loaded = Workflow::load(wf.path()).unwrap();
    let mut secrets = Secrets::new();
    secrets.insert(
        "postgres",
        "password",
        SecretValue::new(pg.password.clone()),
    );
    let bindings = Bindings::new(&loaded, &secrets, Arc::new(DenyAll)).unwrap();
    let sandbox = Sandbox::new(SandboxConfig {
        cache_dir: None,
        ..SandboxConfig::default()
    })
    .unwrap();
    let (runner, failed) = Runner::load_partial(&sandbox, loaded, &LoadOptions::default())
        .await
        .unwrap();
    assert!(
        failed.is_empty(),
        "{:?}",
        failed.iter().map(|f| &f.message).collect::<Vec<_>>()
    );
    for attempt in 1..=2 {
        let report = runner.run(&bindings, input.clone()).await;
        let r = &report.result;
        assert!(r.success, "run {attempt}: {:?}\n{}", r.errors, pg.log());
        let out = &r.outputs["store-health-data"];
        assert_eq!(out["stored"], true, "{out}");
        assert_eq!(out["rowId"], json!(attempt), "{out}");
    }
    let rows = pg
        .psql("SELECT count(*), min(total_nodes), max(snapshot->'summary'->>'readyNodes') FROM cluster_health_snapshots")
        .unwrap();
    assert_eq!(rows.trim(), "2|3|2", "two snapshots, read back as written");
}
