//! Tentacular's Kubernetes side, without kubectl.
//!
//! - [`manifests`]: the typed objects a workflow becomes (no I/O; golden-tested).
//! - [`cluster`]: a kube client that applies them with server-side apply (field manager
//!   `tntc`), prunes what a new version no longer produces, waits for readiness, reports
//!   status, streams logs, runs a workflow through the API server's service proxy (or a run
//!   pod), undeploys everything carrying the workflow's labels, checks, installs, profiles and
//!   audits a cluster.
//! - [`config`]: `~/.tentacular/config.yaml` merged with `./.tentacular/config.yaml`, and the
//!   resolution of namespace, context, image and runtime class.
//!
//! Errors are one enum, [`Error`], whose messages say what to do.
//!
//! ```no_run
//! # async fn deploy() -> tentacular_kube::Result<()> {
//! use std::time::Duration;
//! use tentacular_kube::cluster::{ApplyOptions, Cluster};
//! use tentacular_kube::config::{Config, ConfigPaths, Overrides};
//! use tentacular_kube::manifests::{self, DeployInput};
//!
//! // Where: config files + flags.
//! let cfg = Config::load(&ConfigPaths::from_env())?;
//! let r = cfg.resolve(&Overrides { workflow_namespace: Some("demo"), ..Overrides::default() })?;
//!
//! // What: the workflow's files and contract, as the CLI gathered them.
//! let mut input = DeployInput::new("hello", "1.0", &r.namespace, &r.image);
//! input.runtime_class = r.runtime_class.clone();
//! input.files.insert("workflow.yaml".into(), std::fs::read_to_string("hello/workflow.yaml").unwrap());
//! let m = manifests::build(&input)?;
//! print!("{}", m.to_yaml()?); // --dry-run
//!
//! // Apply, prune, wait.
//! let cluster = Cluster::connect(&r.target()).await?;
//! let report = cluster.apply(&m, &ApplyOptions::default()).await?;
//! cluster.wait_ready(&r.namespace, "hello", Duration::from_secs(120), |p| eprintln!("{p}")).await?;
//! # let _ = report; Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod cluster;
pub mod config;
pub mod error;
pub mod manifests;

pub use error::{Error, Result};
