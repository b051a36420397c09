//! Integration tests of the engine, one binary, one module per topic; the helpers they share
//! (the temp-cache sandbox, temporary workflows, the examples) are in `support`.
//!
//! | module | what | against |
//! | --- | --- | --- |
//! | `capacity` | a small memory budget: 2xx or 429, never 5xx; nodes wait for instances | the built binary, real sandbox, a slow loopback dependency |
//! | `run_examples` | the executor on the bundled examples | real sandbox |
//! | `run_binary` | `tentacular-engine run`: one run, the ExecutionResult on stdout | the built binary |
//! | `server` | the HTTP server, cron, hot reload, graceful shutdown | real sandbox, real sockets on 127.0.0.1 |
//! | `server_binary` | the `tentacular-engine` binary: startup, serving, SIGTERM, `trigger` | the built binary, a real HTTP server on 127.0.0.1 |

mod capacity;
mod run_binary;
mod run_examples;
mod server;
mod server_binary;
mod support;
mod token_refresh;
