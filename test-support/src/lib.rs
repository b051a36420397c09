//! What the workspace's tests share, as a dev-dependency of the crates that test against golden
//! files or outside components (spec, kube, cli):
//!
//! - [`golden`]: output compared exactly with a committed file (`snapbox`, no wildcards);
//!   `SNAPSHOTS=overwrite cargo test -p <crate>` rewrites the files from the current output.
//! - [`missing`]: what a test does when a component it needs (the Kubernetes control plane of
//!   `testenv/`, pods that run, `kubernetes-validate`) is not there — a loud SKIP line locally,
//!   a failure under CI ([`in_ci`]).
//! - [`postgres`]: a throwaway PostgreSQL server (Debian's `postgresql`) on 127.0.0.1 with a
//!   password, for tests of nodes that speak the Postgres protocol.
#![deny(missing_docs)]

pub mod postgres;

use std::path::Path;

/// Asserts that `actual` equals the contents of `path`, exactly (text; no wildcards, no path
/// or newline rewriting beyond `\r\n`). With `SNAPSHOTS=overwrite` the file is rewritten.
#[track_caller]
pub fn golden(path: &Path, actual: &str) {
    snapbox::Assert::new().action_env("SNAPSHOTS").eq(
        actual,
        snapbox::Data::read_from(path, Some(snapbox::data::DataFormat::Text)).raw(),
    );
}

/// True under CI (`CI` set to anything but empty, `0` or `false`, as CI systems set it): there a
/// missing component is a failure, not a skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false" | "FALSE" | "False"))
}

/// Reports that `test` cannot run here for want of `component`; `how` says how to provide it.
/// Under CI this panics, so the test fails; elsewhere it prints a loud SKIP line and the caller
/// returns, so the test passes without having checked anything.
#[track_caller]
pub fn missing(test: &str, component: &str, how: &str) {
    assert!(
        !in_ci(),
        "{test} needs {component}, which CI (CI=true) must provide: {how}"
    );
    eprintln!("\n*** SKIP {test}: {component} is missing. {how}\n");
}
