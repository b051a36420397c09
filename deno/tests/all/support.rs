//! What the tests share: the real Deno (skip locally, fail under CI=true when missing), a
//! loopback HTTP server that records what it received, and capabilities for a node.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tentacular_deno::{DenoNode, Supervisor, SupervisorConfig};
use tentacular_sandbox::{Auth, AuthKind, Capabilities, Dependency, SecretRef, SecretValues};

/// The Deno binary, or `None` (after a SKIP line; a failure under CI).
pub fn deno(test: &str) -> Option<PathBuf> {
    match tentacular_deno::locate(None) {
        Ok(l) => Some(l.path),
        Err(e) => {
            tentacular_test_support::missing(test, "the Deno CLI", &format!("{e}"));
            None
        }
    }
}

/// A workflow directory with these `(file, source)` nodes.
pub fn workflow(nodes: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("nodes")).unwrap();
    for (file, src) in nodes {
        std::fs::write(dir.path().join("nodes").join(file), src).unwrap();
    }
    dir
}

/// A supervisor for `nodes` (`(id, file)`) in `dir`.
pub async fn start(
    deno: &Path,
    dir: &Path,
    nodes: &[(&str, &str)],
) -> (Supervisor, Vec<(String, tentacular_deno::NodeLoad)>) {
    let dir = std::fs::canonicalize(dir).unwrap();
    let config = SupervisorConfig {
        deno: deno.to_path_buf(),
        cache_dir: tentacular_deno::cache::cache_dir(&dir),
        workflow_dir: dir.clone(),
        heap_mib: 64,
        load_timeout: std::time::Duration::from_secs(60),
        stop_grace: std::time::Duration::from_secs(2),
    };
    let nodes = nodes
        .iter()
        .map(|(id, file)| DenoNode {
            id: id.to_string(),
            module: dir.join("nodes").join(file),
            targets: Vec::new(),
        })
        .collect();
    Supervisor::start(config, nodes).await.unwrap()
}

/// What the loopback server saw: one request line plus headers per request.
#[derive(Clone, Default)]
pub struct Seen(pub Arc<Mutex<Vec<String>>>);

/// A loopback HTTP server answering `body` to every request; returns its port.
pub fn server(body: &'static str) -> (u16, Seen) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = Seen::default();
    let s = seen.clone();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut c) = conn else { continue };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match c.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            s.0.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf).into_owned());
            let _ = write!(
                c,
                "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (port, seen)
}

/// Capabilities of node `node`: dependency `api` (http on 127.0.0.1:`port`, bearer token
/// `api.token` = `secret`) when `port` is given.
pub fn caps(node: &str, port: Option<u16>, secret: &str) -> Arc<Capabilities> {
    let mut b = Capabilities::builder(node).transport(Arc::new(
        tentacular_sandbox::fetch::net::NetTransport::new().unwrap(),
    ));
    if let Some(port) = port {
        let values = SecretValues::new(
            [(
                "api".to_string(),
                [("token".to_string(), secret.to_string())].into(),
            )]
            .into(),
        )
        .unwrap();
        b = b.secrets(values).dependency(
            "api",
            Dependency {
                protocol: "http".into(),
                host: "127.0.0.1".into(),
                port,
                auth: Some(Auth {
                    kind: AuthKind::parse("bearer-token").unwrap(),
                    secret: SecretRef::parse("api.token").unwrap(),
                    header: None,
                }),
                granted: true,
                dynamic: None,
                extra: Default::default(),
            },
        );
    }
    Arc::new(b.build())
}
