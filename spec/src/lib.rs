//! Tentacular's workflow model, shared by the engine, the Kubernetes side and the CLI.
//!
//! [`Workflow::load`] reads a workflow directory (or a spec file), checks every field, the
//! node files on disk and the cross-references, and returns either the typed [`Workflow`]
//! with its warnings, or [`SpecErrors`] holding *every* error found, each with file, line,
//! column and a hint:
//!
//! ```text
//! workflow.yaml:2:10: version "1.0.0" must be MAJOR.MINOR, e.g. "1.0"
//!   |
//! 2 | version: "1.0.0"
//!   |          ^^^^^^^
//!   = hint: only two numbers are allowed (no patch number, no "v"): write "1.0"
//! ```
//!
//! The format is the original Tentacular's (see `docs/workflow-spec.md`), plus per-node
//! `runtime`, `uses` and `limits`, and `config.runtime`.
//!
//! Nothing here touches the sandbox, a network or a server; the only I/O is reading the
//! workflow's files and fixtures.
//!
//! ```no_run
//! use tentacular_spec::{Workflow, dag};
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
//! | (the crate root) | the `workflow.yaml` model ([`Workflow`] and its parts), its parser (all errors at once, with spans) and loader |
//! | [`net`] | network values of a contract: [`Cidr`] (no host bits), [`net::address`] (the special-purpose address table the sandbox's egress policy applies), [`PortRule`], [`IpProtocol`] |
//! | [`auth`] | auth kinds ([`AuthKind`]): which credential the host injects; near misses of a known kind are errors |
//! | [`derived`] | what a contract implies: secrets, egress/ingress rules, per-node grants |
//! | [`dag`] | the DAG compiler: deterministic stages, each node's input, cycle detection |
//! | [`fixtures`] | the test fixture format, fixture discovery and structural comparison |
//! | [`units`] | the one parser of durations (`30s`) and the one of byte sizes (`64Mi`, `10MiB`) |
#![deny(missing_docs)]

pub mod auth;
mod contract;
pub mod dag;
mod deployment;
pub mod derived;
mod diagnostic;
pub mod fixtures;
mod ids;
mod load;
mod model;
pub mod net;
mod parse;
mod parse_access;
mod parse_contract;
mod parse_deployment;
mod parse_nodes;
mod parse_triggers;
mod schema;
mod text_value;
pub mod units;
mod validate;
mod values;
mod yaml;
mod yaml_values;

pub use auth::AuthKind;
pub use contract::{
    AdditionalEgress, Auth, Contract, Dependency, DependencyKind, NetworkPolicy, Protocol,
};
pub use deployment::{
    Amounts, Autoscale, CpuAmount, Deployment, PodMemory, PolicyRule, Rbac, Resources,
    ServiceAccount,
};
pub use diagnostic::{Diagnostic, Severity, SpecErrors, plural};
pub use ids::{DependencyName, InvalidId, NodeId, SecretRef, TriggerName, WorkflowName};
pub use load::{LoadedWorkflow, Parsed};
pub use model::{
    CronSchedule, CronTrigger, Edge, NodeLimits, NodeSpec, Trigger, TriggerKind, WebhookProvider,
    Workflow, WorkflowConfig,
};
pub use net::{AddressClass, Cidr, CidrError, IpProtocol, PortRule};
pub use parse::TOP_LEVEL_KEYS;
pub use schema::json_schema;
pub use validate::deno_only_imports;
pub use values::{DurationText, Extensions, MemorySize, Runtime, WorkflowVersion};
