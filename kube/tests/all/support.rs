//! What the kube crate's integration tests share: golden files relative to the repository, and
//! the missing-component policy (skip locally, fail under `CI=true`) of `test-support/`.

use std::path::Path;

pub use tentacular_test_support::missing;

/// Asserts that `actual` equals the file at `path` (relative to the repository root), exactly;
/// `SNAPSHOTS=overwrite` rewrites it.
#[track_caller]
pub fn golden(path: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path);
    tentacular_test_support::golden(&path, actual);
}
