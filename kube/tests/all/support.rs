//! What the kube crate's integration tests share: golden files, and the one place that decides
//! what a test does when a component it needs is missing.

use std::path::Path;

/// True under CI (`CI` set to anything but empty, `0` or `false`, as CI systems set it): there a
/// missing component is a failure, not a skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false" | "FALSE" | "False"))
}

/// Reports that `test` cannot run here for want of `component`; `how` says how to provide it.
/// Under CI this panics, so the test fails; elsewhere it prints a loud SKIP line and the caller
/// returns, so the test passes without having checked anything.
pub fn missing(test: &str, component: &str, how: &str) {
    assert!(
        !in_ci(),
        "{test} needs {component}, which CI (CI=true) must provide: {how}"
    );
    eprintln!("\n*** SKIP {test}: {component} is missing. {how}\n");
}

/// Asserts that `actual` equals the file at `path` (relative to the repository root), exactly
/// (text, no wildcards); `SNAPSHOTS=overwrite` rewrites it (`snapbox`).
pub fn golden(path: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path);
    snapbox::Assert::new().action_env("SNAPSHOTS").eq(
        actual,
        snapbox::Data::read_from(&path, Some(snapbox::data::DataFormat::Text)).raw(),
    );
}
