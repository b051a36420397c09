//! `tntc`, the Tentacular CLI, as a library so that tests can walk the command table
//! ([`cli::Cli`]) for help goldens and the docs check; `src/main.rs` only calls [`main`].
//! Arguments are parsed by [`cli::Cli`], each command lives in `commands/<verb>.rs`, errors
//! are reported by `report`.
//!
//! Exit codes: 0 success, 1 failure, 2 usage error (bad arguments).

pub mod cli;
mod commands;
mod output;
mod report;

use std::process::ExitCode;

use clap::Parser;

/// Runs `tntc` with the process's arguments.
pub fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version exit 0, usage errors 2 (as JSON with `-o json`); printing may
        // hit a closed pipe, which is not worth a second error.
        Err(e) => return report::clap_error(&e, cli::json_requested(std::env::args_os())),
    };
    let json = cli.output == output::Format::Json;
    match cli.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => report::error(&e, json),
    }
}
