//! The Tentacular workflow engine, as a library.
//!
//! This crate holds everything about a workflow that does not need the sandbox: the
//! `workflow.yaml` model and its validation, what a contract implies (secrets, network rules,
//! per-node grants), the DAG compiler, the secrets cascade and the fixture format used by
//! `tntc test`. The executor, HTTP server and triggers are built on top of these types.
//!
//! ```no_run
//! use tentacular_engine::{dag, spec::Workflow};
//!
//! let loaded = Workflow::load("example-workflows/word-counter").unwrap_or_else(|errors| {
//!     // Every problem at once, each with file:line:column and a hint.
//!     eprintln!("{errors}");
//!     std::process::exit(1);
//! });
//! for warning in &loaded.warnings {
//!     eprintln!("{warning}");
//! }
//! let plan = dag::compile(&loaded.workflow).expect("validated workflows have no cycles");
//! for (i, stage) in plan.stages().iter().enumerate() {
//!     println!("stage {i}: {stage:?}");
//! }
//! ```
//!
//! # Modules
//!
//! | module | holds |
//! | --- | --- |
//! | [`spec`] | the `workflow.yaml` model, its parser (all errors at once, with spans) and loader |
//! | [`contract`] | derivations from the contract: secrets, egress/ingress rules, per-node grants |
//! | [`dag`] | the DAG compiler: deterministic stages and each node's input |
//! | [`secrets`] | the secrets cascade (`.secrets/`, `.secrets.yaml`, `/app/secrets`) |
//! | [`fixtures`] | the test fixture format, fixture discovery and structural comparison |
//! | [`grants`] | spec → the sandbox's per-node capabilities and limits |
//! | [`executor`] | nodes loaded into the sandbox, run stage by stage ([`executor::Runner`]) |
//! | [`result`] | `ExecutionResult`, the JSON a run returns |
//! | [`server`] | the HTTP server (`/health`, `/run`, `/webhook/<provider>`, `/metrics`), concurrency cap, graceful shutdown |
//! | [`triggers`] | cron inside the engine, webhook verification and matching, the `trigger` client |
//! | [`watch`] | hot reload of `workflow.yaml` and node files |
//! | [`testing`] | the fixture test runner behind `tntc test` (hermetic transports, drift report) |
#![deny(missing_docs)]

pub mod contract;
pub mod dag;
mod error;
pub mod executor;
pub mod fixtures;
pub mod grants;
pub mod result;
pub mod secrets;
pub mod server;
pub mod spec;
pub mod testing;
pub mod triggers;
pub mod watch;

pub use error::Error;
