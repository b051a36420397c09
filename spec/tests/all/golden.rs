//! Comparing output with golden files: `tentacular_test_support::golden` (exact text;
//! `SNAPSHOTS=overwrite` rewrites them from the current output — review the diff).

pub use tentacular_test_support::golden as check;
