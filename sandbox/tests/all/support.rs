//! Shared helpers: a sandbox per test binary, workflow directories, capabilities.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use serde_json::{Value, json};
use tentacular_sandbox::fetch::{DenyAll, Transport};
use tentacular_sandbox::{
    Capabilities, Dependency, Limits, NodeOutcome, NodeProgram, Sandbox, SandboxConfig,
    SecretValues,
};

/// One sandbox for the whole test binary (as in a real engine process), with a private cache.
pub fn sandbox() -> &'static Sandbox {
    static S: OnceLock<(Sandbox, tempfile::TempDir)> = OnceLock::new();
    &S.get_or_init(|| {
        let cache = tempfile::tempdir().unwrap();
        let config = SandboxConfig {
            cache_dir: Some(cache.path().to_path_buf()),
            ..SandboxConfig::default()
        };
        (Sandbox::new(config).expect("sandbox"), cache)
    })
    .0
}

/// A workflow directory holding `files`.
pub fn workflow(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, body) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
    dir
}

/// Loads a single-file node.
pub async fn load(source: &str) -> NodeProgram {
    let dir = workflow(&[("nodes/n.ts", source)]);
    sandbox()
        .load(dir.path(), Path::new("nodes/n.ts"))
        .await
        .unwrap_or_else(|e| panic!("load failed: {e}"))
}

/// Capabilities with no dependencies and no network.
pub fn no_caps() -> Arc<Capabilities> {
    caps(BTreeMap::new(), SecretValues::default(), Arc::new(DenyAll))
}

/// Capabilities for node `n`.
pub fn caps(
    deps: BTreeMap<String, Dependency>,
    secrets: SecretValues,
    transport: Arc<dyn Transport>,
) -> Arc<Capabilities> {
    Arc::new(
        Capabilities::builder("n")
            .config(json!({"greeting": "hi"}))
            .dependencies(deps)
            .secrets(secrets)
            .transport(transport)
            .build(),
    )
}

/// Invokes with default limits.
pub async fn run(program: &NodeProgram, input: Value) -> NodeOutcome {
    program.invoke(&input, &no_caps(), &Limits::default()).await
}

/// Grants of node `n`: one granted plain-HTTP dependency named `dependency` on
/// `localhost:port` (the tests' loopback server), at most `max_in_flight` requests at once, over
/// the real network transport.
pub fn loopback_caps(dependency: &str, port: u16, max_in_flight: usize) -> Arc<Capabilities> {
    let dep = tentacular_sandbox::Dependency {
        protocol: "http".into(),
        host: "localhost".into(),
        port,
        auth: None,
        granted: true,
        dynamic: None,
        extra: Default::default(),
    };
    Arc::new(
        Capabilities::builder("n")
            .dependency(dependency, dep)
            .max_in_flight(max_in_flight)
            .transport(Arc::new(
                tentacular_sandbox::fetch::net::NetTransport::new().unwrap(),
            ))
            .build(),
    )
}
