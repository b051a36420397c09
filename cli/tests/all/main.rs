//! End-to-end tests of the `tntc` binary: each spawns the real executable in a temporary
//! directory and checks exit code, stdout and stderr, mostly against golden files in
//! `tests/golden/` (`SNAPSHOTS=overwrite cargo test -p tntc` rewrites them; review the diff).

mod audit_run;
mod build;
mod cache;
mod cluster_cmds;
mod cluster_identity;
mod completions;
mod configure;
mod deno_mode;
mod dev;
mod docs_flags;
mod errors;
mod gvisor;
mod gvisor_deno;
mod help;
mod init;
mod json_everywhere;
mod kube_cmds;
mod postgres_nodes;
mod record;
mod secrets;
mod support;
mod test_cmd;
mod validate;
mod versions;
mod visualize;
