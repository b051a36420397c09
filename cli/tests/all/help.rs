//! `--help` of every command, against golden files, so that changes to the interface show up
//! in review.

use clap::CommandFactory;

use crate::support::{golden, tempdir, tntc};

/// Every command's path (`["cluster", "check"]`), walked from `Cli::command()` so that a new
/// command gets its golden file without a list to keep up to date.
fn command_paths() -> Vec<Vec<String>> {
    fn walk(c: &clap::Command, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
        out.push(prefix.clone());
        for s in c.get_subcommands().filter(|s| s.get_name() != "help") {
            let mut p = prefix.clone();
            p.push(s.get_name().to_string());
            walk(s, p, out);
        }
    }
    let mut out = Vec::new();
    walk(&tntc_cli::cli::Cli::command(), Vec::new(), &mut out);
    out
}

#[test]
fn help_texts() {
    let t = tempdir();
    let paths = command_paths();
    assert!(paths.len() > 20, "{paths:?}");
    for path in paths {
        let name = match path.is_empty() {
            true => "help.txt".to_string(),
            false => format!("help-{}.txt", path.join("-")),
        };
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let run = tntc(t.path(), &args);
        assert_eq!(run.code(), 0, "{}", run.transcript());
        assert!(run.stderr().is_empty());
        golden(&name, &run.stdout());
    }
}

#[test]
fn version_text_and_json() {
    let t = tempdir();
    let run = tntc(t.path(), &["version"]);
    assert_eq!(run.code(), 0);
    let v = env!("CARGO_PKG_VERSION");
    assert!(
        run.stdout().starts_with(&format!("tntc {v} (commit ")),
        "{}",
        run.stdout()
    );
    let run = tntc(t.path(), &["-o", "json", "version"]);
    assert_eq!(run.json()["version"], v);
    let run = tntc(t.path(), &["--version"]);
    assert_eq!(run.stdout(), format!("tntc {v}\n"));
}
