//! `tntc version`.

use clap::Args;
use serde_json::json;

use crate::output::Output;

/// The version of this build, and the commit and date it was built from (set at build time
/// through `TNTC_COMMIT` and `TNTC_BUILD_DATE`; `none`/`unknown` otherwise).
#[derive(Debug, Args)]
pub struct Version {}

const VERSION: &str = env!("CARGO_PKG_VERSION");
const COMMIT: &str = match option_env!("TNTC_COMMIT") {
    Some(c) => c,
    None => "none",
};
const BUILT: &str = match option_env!("TNTC_BUILD_DATE") {
    Some(d) => d,
    None => "unknown",
};

impl Version {
    pub fn run(self, out: &Output) -> anyhow::Result<()> {
        if out.json() {
            out.json_value(&json!({"version": VERSION, "commit": COMMIT, "built": BUILT}))
        } else {
            out.out(format!("tntc {VERSION} (commit {COMMIT}, built {BUILT})"))?;
            Ok(())
        }
    }
}
