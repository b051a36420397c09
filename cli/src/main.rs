//! `tntc`, the Tentacular CLI: everything is in the library (`src/lib.rs`).

fn main() -> std::process::ExitCode {
    tntc_cli::main()
}
