//! Integration tests of `tentacular-image` through its public API, against real tools:
//! Debian's `docker-registry` on 127.0.0.1, `skopeo` and `umoci` checking what this crate
//! writes without using its code.

mod support;

mod archives;
mod determinism;
mod engine_checks;
mod multi_platform;
mod push_pull;
mod third_party;
