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
#![deny(missing_docs)]

pub mod cluster;
pub mod config;
pub mod error;
pub mod manifests;

pub use error::{Error, Result};
