//! Inputs for the tests: a small real ELF executable and a tiny glibc base built from the
//! host's own libraries (never downloaded).

#[path = "../support/tools.rs"]
pub mod tools;

#[path = "../support/base.rs"]
mod base;
pub use base::glibc_base_for;

use std::path::PathBuf;

use tentacular_image::{Platform, elf};

/// A small dynamically linked executable of the host (`true`), standing in for the engine
/// where only its bytes and ELF facts matter.
pub fn host_binary() -> PathBuf {
    ["/usr/bin/true", "/bin/true"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .expect("/usr/bin/true")
}

/// The host's platform.
pub fn host_platform() -> Platform {
    elf::inspect(&host_binary()).unwrap().platform
}
