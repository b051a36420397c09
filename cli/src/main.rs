//! `tntc`, the Tentacular CLI. This file only wires things up: arguments are parsed by
//! [`cli::Cli`], each command lives in `commands/<verb>.rs`, errors are reported by
//! [`report`].
//!
//! Exit codes: 0 success, 1 failure, 2 usage error (bad arguments; clap reports those).

mod cli;
mod commands;
mod output;
mod report;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version exit 0, usage errors 2; printing may hit a closed pipe,
        // which is not worth a second error.
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    match cli.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => report::error(&e),
    }
}
