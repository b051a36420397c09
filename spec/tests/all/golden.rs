//! Comparing output with golden files, through `snapbox`: `SNAPSHOTS=overwrite` rewrites them
//! from the current output (review the diff before committing).

use std::path::Path;

/// Asserts that `actual` equals the contents of `path`, exactly (text, no wildcards).
pub fn check(path: &Path, actual: &str) {
    snapbox::Assert::new().action_env("SNAPSHOTS").eq(
        actual,
        snapbox::Data::read_from(path, Some(snapbox::data::DataFormat::Text)).raw(),
    );
}
