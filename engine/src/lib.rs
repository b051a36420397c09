//! The Tentacular workflow engine, as a library: a workflow (the model is `tentacular_spec`'s)
//! loaded into the sandbox and run stage by stage, its secrets, the HTTP server, the triggers,
//! hot reload and the fixture test runner behind `tntc test`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use tentacular_engine::server::{Loader, ServerConfig};
//! use tentacular_engine::serve::{self, ServeOptions};
//! use tentacular_sandbox::{Sandbox, SandboxConfig, fetch::net::NetTransport};
//!
//! let sandbox = Sandbox::new(SandboxConfig::default())?;
//! let loader = Loader::new(sandbox, "example-workflows/word-counter", Arc::new(NetTransport::new()?));
//! let started = serve::start(ServeOptions {
//!     loader,
//!     addr: "127.0.0.1:8080".parse()?,
//!     config: ServerConfig::default(),
//!     watch: false,
//!     cron: true,
//!     local_only: false,
//! })
//! .await?;
//! started.serve(tentacular_engine::server::shutdown_signal()).await?;
//! # Ok(()) }
//! ```
//!
//! # Modules
//!
//! | module | holds |
//! | --- | --- |
//! | [`capacity`] | the memory budget (cgroup limit, `--memory-budget`) → runs in flight, admission queue, instance pool |
//! | [`secrets`] | the secrets cascade (`.secrets/`, `.secrets.yaml`, `/app/secrets`) |
//! | [`node_capabilities`] | spec → the sandbox's per-node capabilities and limits |
//! | [`executor`] | nodes loaded into the sandbox, run stage by stage ([`executor::Runner`]) |
//! | [`result`] | `ExecutionResult`, the JSON a run returns |
//! | [`webhook`] | webhook signature verification and trigger matching (pure functions) |
//! | [`server`] | the HTTP server (`/health`, `/run`, `/webhook/<provider>`, `/metrics`), concurrency cap, graceful shutdown |
//! | [`triggers`] | cron inside the engine, the `trigger` client |
//! | [`watch`] | hot reload of `workflow.yaml` and node files |
//! | [`serve`] | the startup sequence: load, bind, then start the server, cron and the watcher |
//! | [`test_runner`] | the fixture test runner behind `tntc test` (hermetic transports, drift report) |
#![deny(missing_docs)]

pub mod capacity;
mod deno_slots;
mod error;
pub mod executor;
pub mod node_capabilities;
pub mod result;
pub mod secrets;
pub mod serve;
pub mod server;
pub mod test_runner;
pub mod token_refresh;
pub mod triggers;
pub mod watch;
pub mod webhook;

pub use error::Error;
