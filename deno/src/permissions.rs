//! The Deno permissions of a workflow's child and of each node's Worker, derived from the
//! contract and nothing else.
//!
//! HTTP never needs a Deno net permission: it goes through the host (see the crate docs). So
//! `--allow-net` lists only the non-HTTP dependencies (`host:port`: Postgres, NATS, …) of the
//! Deno nodes, and each node's Worker only its own granted ones. Loopback, link-local and
//! cloud-metadata addresses are denied (`--deny-net`, which Deno 2.9 checks against resolved
//! addresses too) unless a declared dependency lies in that block. Reading is limited to the
//! workflow directory and the Deno cache, writing to the node's own temporary directory;
//! env, subprocesses, FFI and system information are never granted, and nothing prompts.
//!
//! What Deno 2.9 does not allow narrowing per Worker is named in the docs
//! (docs/security.md): the V8 heap cap is a process flag, applied to every isolate alike.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use tentacular_spec::derived::{DependencyTarget, grants_for};
use tentacular_spec::{Cidr, NodeId, Protocol, Workflow};

/// A `host:port` a node may open TCP connections to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct NetTarget {
    /// Host name or IP literal, as declared.
    pub host: String,
    /// Port.
    pub port: u16,
}

impl NetTarget {
    /// The `--allow-net` form: `host:port`, IPv6 literals in brackets.
    pub fn flag(&self) -> String {
        match self.host.parse::<IpAddr>() {
            Ok(IpAddr::V6(_)) => format!("[{}]:{}", self.host, self.port),
            _ => format!("{}:{}", self.host, self.port),
        }
    }
}

/// Whether `protocol` is HTTP (carried by the host) rather than a raw connection.
pub fn is_http(protocol: &Protocol) -> bool {
    protocol.is_http()
}

/// The non-HTTP dependencies granted to `node`, as `host:port` (dynamic targets and packages
/// are not connection targets and are left out).
pub fn net_targets(workflow: &Workflow, node: &NodeId) -> Vec<NetTarget> {
    let mut out: Vec<NetTarget> = grants_for(workflow, node)
        .into_iter()
        .filter(|g| !is_http(&g.protocol) && !g.protocol.is_package())
        .filter_map(|g| match g.target {
            DependencyTarget::Host { host, port } => Some(NetTarget { host, port }),
            _ => None,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The blocks `--deny-net` covers by default: loopback, unspecified, link-local (which holds
/// the cloud metadata address 169.254.169.254) and the other metadata addresses.
pub const DENIED_BLOCKS: [&str; 7] = [
    "127.0.0.0/8",
    "::1/128",
    "0.0.0.0/8",
    "169.254.0.0/16",
    "fe80::/10",
    "fd00:ec2::254/128",
    "100.100.100.200/32",
];

/// The blocks to deny given the declared targets: every default block, except one that a
/// declared IP literal lies in (or the loopback blocks when `localhost` is declared).
pub fn deny_blocks(targets: &[NetTarget]) -> Vec<&'static str> {
    DENIED_BLOCKS
        .iter()
        .copied()
        .filter(|block| {
            let cidr = Cidr::parse(block).expect("the default blocks parse");
            !targets.iter().any(|t| match t.host.parse::<IpAddr>() {
                Ok(ip) => cidr.contains(ip),
                Err(_) => {
                    t.host.eq_ignore_ascii_case("localhost")
                        && (block.starts_with("127.") || *block == "::1/128")
                }
            })
        })
        .collect()
}

/// How Deno 2.9's `--deny-net` takes a block: IPv4 CIDRs as written, a single IPv6 address
/// in brackets (`[::1]`). It takes no IPv6 block with a shorter prefix (`fe80::/10` is refused
/// at start), so those are left out of the flag — docs/security.md lists that limit.
pub fn deno_deny_form(block: &str) -> Option<String> {
    match block.split_once('/') {
        Some((addr, "128")) if addr.contains(':') => Some(format!("[{addr}]")),
        Some((addr, _)) if addr.contains(':') => None,
        _ => Some(block.to_string()),
    }
}

/// Where the child reads and writes.
#[derive(Debug, Clone)]
pub struct Paths {
    /// The workflow directory (absolute).
    pub workflow_dir: PathBuf,
    /// The Deno cache (`DENO_DIR`, absolute).
    pub cache_dir: PathBuf,
    /// The child's private directory: the host scripts, the protocol socket, and a temporary
    /// directory per node under `tmp/`.
    pub private_dir: PathBuf,
}

impl Paths {
    /// The protocol socket (inside the private directory).
    pub fn socket(&self) -> PathBuf {
        self.private_dir.join("protocol.sock")
    }

    /// The node's own temporary directory (its only writable place).
    pub fn node_tmp(&self, node: &str) -> PathBuf {
        self.private_dir.join("tmp").join(node)
    }
}

fn joined(paths: &[&Path]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// The permission flags of the child process: the union of what its Workers get, plus the
/// private directory (scripts and socket) for the host script itself. `targets` are the
/// non-HTTP targets of all Deno nodes.
pub fn process_flags(paths: &Paths, targets: &[NetTarget]) -> Vec<String> {
    let mut flags = vec![
        "--no-prompt".to_string(),
        // Environment reads answer `undefined` instead of throwing: drivers (postgres.js, pg)
        // probe variables such as PGAPPNAME, and no node may see the environment anyway.
        "--ignore-env".to_string(),
        "--unstable-worker-options".to_string(),
        format!(
            "--allow-read={}",
            joined(&[&paths.workflow_dir, &paths.cache_dir, &paths.private_dir])
        ),
        format!("--allow-write={}", joined(&[&paths.private_dir])),
        // Remote modules load only from the locked cache (`--cached-only`), so allowing their
        // import fetches nothing.
        "--allow-import".to_string(),
    ];
    // The host script's own channel: Deno 2.9 counts a Unix socket as net access. Workers'
    // net permissions never include it.
    let mut net = vec![format!("unix:{}", paths.socket().display())];
    net.extend(targets.iter().map(NetTarget::flag));
    flags.push(format!("--allow-net={}", net.join(",")));
    if !targets.is_empty() {
        let deny: Vec<String> = deny_blocks(targets)
            .into_iter()
            .filter_map(deno_deny_form)
            .collect();
        flags.push(format!("--deny-net={}", deny.join(",")));
    }
    flags
}

/// The `deno.permissions` of one node's Worker: read the workflow, the cache and its own
/// temporary directory, write only that directory, connect to its own non-HTTP dependencies; nothing else.
pub fn worker_permissions(paths: &Paths, node: &str, targets: &[NetTarget]) -> Value {
    let net: Value = if targets.is_empty() {
        json!(false)
    } else {
        json!(targets.iter().map(NetTarget::flag).collect::<Vec<_>>())
    };
    json!({
        "read": [paths.workflow_dir, paths.cache_dir, paths.node_tmp(node)],
        "write": [paths.node_tmp(node)],
        "net": net,
        "env": false,
        "run": false,
        "ffi": false,
        "sys": false,
        "import": true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(host: &str, port: u16) -> NetTarget {
        NetTarget {
            host: host.into(),
            port,
        }
    }

    #[test]
    fn deny_blocks_are_written_as_deno_takes_them() {
        let table = [
            ("127.0.0.0/8", Some("127.0.0.0/8")),
            ("::1/128", Some("[::1]")),
            ("fd00:ec2::254/128", Some("[fd00:ec2::254]")),
            ("fe80::/10", None),
        ];
        for (block, want) in table {
            assert_eq!(deno_deny_form(block).as_deref(), want, "{block}");
        }
    }

    #[test]
    fn deny_blocks_drop_only_the_block_a_declared_target_lies_in() {
        let all: Vec<&str> = DENIED_BLOCKS.to_vec();
        let without = |skip: &[&str]| {
            all.iter()
                .copied()
                .filter(|b| !skip.contains(b))
                .collect::<Vec<_>>()
        };
        let cases: Vec<(Vec<NetTarget>, Vec<&str>)> = vec![
            (vec![], all.clone()),
            (vec![t("db.example.com", 5432)], all.clone()),
            (vec![t("10.1.2.3", 5432)], all.clone()),
            (vec![t("127.0.0.1", 5432)], without(&["127.0.0.0/8"])),
            (
                vec![t("localhost", 5432)],
                without(&["127.0.0.0/8", "::1/128"]),
            ),
            (vec![t("::1", 5432)], without(&["::1/128"])),
            (vec![t("169.254.169.254", 80)], without(&["169.254.0.0/16"])),
        ];
        for (targets, want) in cases {
            assert_eq!(deny_blocks(&targets), want, "{targets:?}");
        }
    }

    #[test]
    fn targets_print_as_deno_wants_them() {
        let cases = [
            (t("db", 5432), "db:5432"),
            (t("127.0.0.1", 1), "127.0.0.1:1"),
            (t("::1", 5432), "[::1]:5432"),
        ];
        for (target, flag) in cases {
            assert_eq!(target.flag(), flag);
        }
    }

    fn paths() -> Paths {
        Paths {
            workflow_dir: "/wf".into(),
            cache_dir: "/wf/.tentacular/deno".into(),
            private_dir: "/tmp/p".into(),
        }
    }

    #[test]
    fn process_flags_by_contract() {
        let cases: Vec<(Vec<NetTarget>, Vec<&str>)> = vec![
            (
                vec![],
                vec![
                    "--no-prompt",
                    "--ignore-env",
                    "--unstable-worker-options",
                    "--allow-read=/wf,/wf/.tentacular/deno,/tmp/p",
                    "--allow-write=/tmp/p",
                    "--allow-import",
                    "--allow-net=unix:/tmp/p/protocol.sock",
                ],
            ),
            (
                vec![t("127.0.0.1", 5432), t("nats.internal", 4222)],
                vec![
                    "--no-prompt",
                    "--ignore-env",
                    "--unstable-worker-options",
                    "--allow-read=/wf,/wf/.tentacular/deno,/tmp/p",
                    "--allow-write=/tmp/p",
                    "--allow-import",
                    "--allow-net=unix:/tmp/p/protocol.sock,127.0.0.1:5432,nats.internal:4222",
                    "--deny-net=[::1],0.0.0.0/8,169.254.0.0/16,[fd00:ec2::254],100.100.100.200/32",
                ],
            ),
        ];
        for (targets, want) in cases {
            let flags = process_flags(&paths(), &targets);
            assert_eq!(flags, want);
            for f in &flags {
                for never in [
                    "--allow-env",
                    "--allow-run",
                    "--allow-ffi",
                    "--allow-sys",
                    "--allow-all",
                    "-A",
                ] {
                    assert!(!f.starts_with(never), "{f}");
                }
            }
        }
    }

    #[test]
    fn worker_permissions_by_node() {
        let none = worker_permissions(&paths(), "a", &[]);
        assert_eq!(none["net"], json!(false));
        assert_eq!(none["write"], json!(["/tmp/p/tmp/a"]));
        assert_eq!(
            none["read"],
            json!(["/wf", "/wf/.tentacular/deno", "/tmp/p/tmp/a"])
        );
        assert_eq!(
            none["import"],
            json!(true),
            "remote modules come from the locked cache only"
        );
        for k in ["env", "run", "ffi", "sys"] {
            assert_eq!(none[k], json!(false), "{k}");
        }
        let db = worker_permissions(&paths(), "b", &[t("db", 5432)]);
        assert_eq!(db["net"], json!(["db:5432"]));
    }

    #[test]
    fn net_targets_are_the_granted_non_http_dependencies() {
        let wf = Workflow::parse(
            r#"
name: demo
version: "1.0"
triggers: [{type: manual}]
contract:
  version: "1"
  dependencies:
    api: {protocol: https, host: api.example.com}
    db: {protocol: postgresql, host: db.internal, database: x, user: u}
    bus: {protocol: nats, host: nats.internal, subject: s}
nodes:
  a: {path: ./nodes/a.ts, uses: [api, db]}
  b: {path: ./nodes/b.ts, uses: [api]}
  c: {path: ./nodes/c.ts}
"#,
            "workflow.yaml",
        )
        .unwrap()
        .workflow;
        let id = |s: &str| NodeId::new(s).unwrap();
        assert_eq!(net_targets(&wf, &id("a")), vec![t("db.internal", 5432)]);
        assert_eq!(net_targets(&wf, &id("b")), vec![]);
        assert_eq!(
            net_targets(&wf, &id("c")),
            vec![t("db.internal", 5432), t("nats.internal", 4222)]
        );
    }
}
