//! Service-account token rotation: when Kubernetes replaces the mounted token, the engine
//! loads the workflow again with the new one (its bindings inject and scrub the new token),
//! and nothing happens while the token stays the same.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tentacular_engine::server::{App, Loader, ServerConfig};
use tentacular_engine::token_refresh;
use tentacular_sandbox::fetch::DenyAll;

use crate::support::{sandbox, temp_workflow};

const SPEC: &str = "name: reader\nversion: \"1.0\"\ntriggers: [{type: manual}]\nnodes:\n  read: {path: ./nodes/read.ts, description: d}\n";
const NODE: &str = "export default async function run() { return {}; }\n";
const CA: &str = include_str!("../data/test-ca.pem");

/// Replaces the token the way the kubelet does: a new file renamed over the old one.
fn write_token(dir: &Path, token: &str) {
    let tmp = dir.join(".token.tmp");
    std::fs::write(&tmp, token).unwrap();
    std::fs::rename(&tmp, dir.join("token")).unwrap();
}

fn scrubs(app: &App, token: &str) -> bool {
    let text = format!("Authorization: Bearer {token}");
    !app.served()
        .workload
        .bindings
        .scrubber()
        .redact(&text)
        .contains(token)
}

async fn wait_for_generation(app: &App, want: u64) {
    for _ in 0..200 {
        if app.generation() >= want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("still at generation {}", app.generation());
}

#[tokio::test]
async fn a_rotated_token_is_loaded_and_an_unchanged_one_is_left_alone() {
    let wf = temp_workflow(SPEC, &[("nodes/read.ts", NODE)]);
    let sa = tempfile::tempdir().unwrap();
    std::fs::write(sa.path().join("ca.crt"), CA).unwrap();
    let first = "eyJhbGciOiJSUzI1NiJ9.first-token-value.signature";
    write_token(sa.path(), first);
    let loader = Loader::new(sandbox(), wf.path(), Arc::new(DenyAll))
        .mount_dir(None)
        .service_account_dir(Some(sa.path().to_path_buf()));
    let app = App::new(loader.load().await.unwrap(), ServerConfig::default());
    assert!(scrubs(&app, first));
    let task = token_refresh::spawn(app.clone(), loader.clone(), Duration::from_millis(20))
        .expect("a token is mounted");

    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(app.generation(), 1, "same token: no reload");

    let second = "eyJhbGciOiJSUzI1NiJ9.second-token-value.signature";
    write_token(sa.path(), second);
    wait_for_generation(&app, 2).await;
    assert!(scrubs(&app, second), "the new bindings hold the new token");
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(app.generation(), 2, "one reload per change");
    task.abort();
}

#[tokio::test]
async fn no_token_means_no_task() {
    let wf = temp_workflow(SPEC, &[("nodes/read.ts", NODE)]);
    let sa = tempfile::tempdir().unwrap();
    let loader = Loader::new(sandbox(), wf.path(), Arc::new(DenyAll))
        .mount_dir(None)
        .service_account_dir(Some(sa.path().to_path_buf()));
    let app = App::new(loader.load().await.unwrap(), ServerConfig::default());
    assert!(token_refresh::spawn(app.clone(), loader.clone(), Duration::from_millis(20)).is_none());
    let none = loader.service_account_dir(None);
    assert!(token_refresh::spawn(app, none, Duration::from_millis(20)).is_none());
}
