//! Integration tests of the spec crate through its public API, one module per topic.
//!
//! Golden files: `SNAPSHOTS=overwrite cargo test -p tentacular-spec --test all` rewrites them
//! from the current output; review the diff before committing.

mod golden;
mod load;
mod schema;
mod specs;
