//! Exit codes, error reporting, colour and broken pipes.

use std::process::Stdio;

use crate::support::{command, golden, tempdir, tntc, write};

#[test]
fn usage_errors_exit_2() {
    let t = tempdir();
    for args in [
        vec!["frobnicate"],
        vec!["validate", "--no-such-flag"],
        vec!["-o", "yaml", "version"],
        vec!["init"],
        vec!["init", "Bad_Name"],
    ] {
        let run = tntc(t.path(), &args);
        assert_eq!(run.code(), 2, "{}", run.transcript());
        assert!(run.stdout().is_empty());
    }
    golden(
        "usage-bad-name.txt",
        &tntc(t.path(), &["init", "Bad_Name"]).transcript(),
    );
}

#[test]
fn runtime_errors_exit_1_printed_once_without_usage() {
    let t = tempdir();
    let run = tntc(t.path(), &["validate", "missing-dir"]);
    assert_eq!(run.code(), 1);
    let err = run.stderr();
    assert_eq!(err.matches("error:").count(), 1, "{err}");
    assert!(!err.contains("Usage:"), "{err}");
    golden("error-missing-dir.txt", &run.transcript());

    // A directory that is a file.
    write(&t.path().join("file.txt"), "x");
    let run = tntc(t.path(), &["validate", "file.txt"]);
    assert_eq!(run.code(), 1);
    golden("error-dir-is-file.txt", &run.transcript());
}

#[test]
fn errors_show_their_causes() {
    let t = tempdir();
    // The .secrets.yaml path is a directory: reading it fails with an OS error as the cause.
    crate::support::digest_workflow(t.path(), "wf");
    std::fs::create_dir_all(t.path().join("wf/.secrets.yaml")).unwrap();
    let run = tntc(t.path(), &["secrets", "check", "wf"]);
    assert_eq!(run.code(), 1, "{}", run.transcript());
    let err = run.stderr();
    assert!(
        err.starts_with("error: cannot read wf/.secrets.yaml\n  caused by: "),
        "{err}"
    );
    assert_eq!(err.matches("error:").count(), 1, "{err}");
}

#[test]
fn no_colour_when_not_a_terminal_or_with_no_color() {
    let t = tempdir();
    // Not a terminal, and even forced colour loses to NO_COLOR.
    let out = command(t.path(), &["validate", "nope"])
        .env("CLICOLOR_FORCE", "1")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains('\x1b'));
    // Not a terminal, no NO_COLOR: still plain.
    let out = command(t.path(), &["validate", "nope"])
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains('\x1b'));
    // Forced colour without NO_COLOR: colour (shows that the switch is real).
    let out = command(t.path(), &["validate", "nope"])
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains('\x1b'));
}

#[test]
fn broken_pipe_exits_cleanly() {
    let t = tempdir();
    tntc(t.path(), &["init", "wf"]);
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader); // every write now fails with EPIPE
    for args in [
        vec!["-o", "json", "validate", "wf"],
        vec!["visualize", "wf"],
        vec!["--help"],
    ] {
        let (r2, w2) = std::io::pipe().unwrap();
        drop(r2);
        let out = command(t.path(), &args)
            .stdout(Stdio::from(w2))
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(
            out.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    drop(writer);
}
