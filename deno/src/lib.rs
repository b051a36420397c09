//! Deno compatibility mode: the nodes of a workflow that need full Deno semantics (`npm:` /
//! `jsr:` imports, `Deno` APIs, V8 speed) run under the real, pinned Deno CLI instead of the
//! wasm sandbox, under the same contract.
//!
//! - [`locate`] finds the Deno binary (`--deno`, `$TENTACULAR_DENO`, `PATH`, the project-local
//!   install of `tools/deno/install.sh`).
//! - [`Supervisor`] keeps one long-lived Deno child per workflow. The child runs an embedded
//!   host script ([`HOST_SCRIPT`]) that gives every node a Worker of its own, whose
//!   `deno.permissions` are that node's grants ([`permissions`]). Host and child speak the
//!   JSON-lines [`protocol`].
//! - Every HTTP request of a Deno node (`ctx.dependency(..).fetch`, `ctx.fetch`,
//!   `globalThis.fetch`) comes back to the host and is performed by
//!   [`tentacular_sandbox::outbound::perform`], the wasm mode's own code: capability check,
//!   resolved-address checks, redirect re-checks, placeholders, auth injection, scrubbing.
//! - [`cache`] fills the workflow's locked dependency cache (`deno.lock` plus a `DENO_DIR`);
//!   at run time the child runs `--cached-only --frozen`, offline.
//!
//! # Security model
//!
//! | what a node does | what limits it |
//! | --- | --- |
//! | HTTP (`fetch`, `ctx.fetch`, `ctx.dependency(d).fetch`) | the host, as in wasm mode |
//! | TCP to a non-HTTP dependency (Postgres, NATS, …) | `--allow-net=host:port` of the declared ones, per node in its Worker; loopback, link-local and metadata addresses denied unless declared |
//! | reading files | the workflow directory and the Deno cache |
//! | writing files | its own temporary directory |
//! | env, subprocesses, FFI, system info | denied (`--no-prompt`, no `--allow-env/run/ffi/sys`) |
//! | memory | a V8 heap cap per isolate (`--max-old-space-size`), not a hard per-node cap |
//! | state | a node's module state lives as long as its Worker (across runs) |
#![deny(missing_docs)]

pub mod cache;
mod child;
mod error;
pub mod locate;
pub mod permissions;
pub mod protocol;
pub mod runtime;
mod supervisor;

pub use error::DenoError;
pub use locate::{Located, Source, locate};
pub use supervisor::{DenoNode, NodeLoad, Supervisor, SupervisorConfig, deno_nodes};

/// The host script the child runs (main thread): it reads the protocol from the host and
/// starts a Worker per node.
pub const HOST_SCRIPT: &str = include_str!("../js/host.js");
/// The script each node's Worker runs before importing the node: `ctx`, the host-backed
/// `fetch`, console capture.
pub const WORKER_SCRIPT: &str = include_str!("../js/worker.js");
