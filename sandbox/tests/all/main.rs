//! Integration tests of the sandbox, all against the real wasmtime sandbox (and, for fetch,
//! real HTTP servers on 127.0.0.1). One binary, a module per topic.

mod abort;
mod basics;
mod concurrency;
mod coverage;
mod fetch;
mod hostile;
mod isolation;
mod server;
mod support;
mod web_apis;
mod web_crypto;
mod workflow_snapshot;
