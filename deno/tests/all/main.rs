//! Deno compatibility mode through the real Deno binary: one integration test binary.

mod runs;
mod support;
