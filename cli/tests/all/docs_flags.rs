//! docs/cli.md cannot drift from clap: every flag its tables list under a command's heading
//! exists on that command (or globally), checked against `Cli::command()`.

use clap::CommandFactory;

/// `(command words, flags of the table rows)` per heading of docs/cli.md.
fn documented() -> Vec<(Vec<String>, Vec<String>)> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/cli.md")).unwrap();
    let mut out: Vec<(Vec<String>, Vec<String>)> = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') {
            let words: Vec<String> = line
                .split_once("`tntc ")
                .map(|(_, rest)| {
                    rest.split(['`', ' '])
                        .take_while(|w| {
                            w.chars().all(|c| c.is_ascii_lowercase() || c == '-') && !w.is_empty()
                        })
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default();
            out.push((words, Vec::new()));
        } else if let Some(cell) = line.strip_prefix("| `-")
            && let Some(last) = out.last_mut()
        {
            let cell = cell.split(" |").next().unwrap_or_default();
            let cell = format!("-{cell}");
            for token in cell.split(['`', ' ', ',', '=']) {
                if token.starts_with('-') && token.len() > 1 && !token.starts_with("-\\") {
                    last.1.push(token.to_string());
                }
            }
        }
    }
    out
}

#[test]
fn every_documented_flag_exists() {
    let root = tntc_cli::cli::Cli::command();
    let mut checked = 0;
    for (words, flags) in documented() {
        let mut cmd = &root;
        for w in &words {
            cmd = cmd.find_subcommand(w).unwrap_or_else(|| {
                panic!(
                    "docs/cli.md documents `tntc {}`, which does not exist",
                    words.join(" ")
                )
            });
        }
        for flag in flags {
            let known = cmd.get_arguments().chain(root.get_arguments()).any(|a| {
                match flag.strip_prefix("--") {
                    Some(long) => a.get_long() == Some(long),
                    None => flag
                        .chars()
                        .nth(1)
                        .is_some_and(|s| a.get_short() == Some(s)),
                }
            });
            assert!(
                known,
                "docs/cli.md lists {flag} for `tntc {}`, which clap does not know",
                words.join(" ")
            );
            checked += 1;
        }
    }
    assert!(checked > 30, "only {checked} flags found in docs/cli.md");
}
