//! `--help` of every command, against golden files, so that changes to the interface show up
//! in review.

use crate::support::{golden, tempdir, tntc};

#[test]
fn help_texts() {
    let t = tempdir();
    for (args, name) in [
        (vec!["--help"], "help.txt"),
        (vec!["init", "--help"], "help-init.txt"),
        (vec!["validate", "--help"], "help-validate.txt"),
        (vec!["visualize", "--help"], "help-visualize.txt"),
        (vec!["secrets", "--help"], "help-secrets.txt"),
        (vec!["secrets", "check", "--help"], "help-secrets-check.txt"),
        (vec!["secrets", "init", "--help"], "help-secrets-init.txt"),
        (vec!["version", "--help"], "help-version.txt"),
        (vec!["build", "--help"], "help-build.txt"),
        (vec!["audit", "--help"], "help-audit.txt"),
        (vec!["cluster", "--help"], "help-cluster.txt"),
        (vec!["cluster", "check", "--help"], "help-cluster-check.txt"),
        (
            vec!["cluster", "install", "--help"],
            "help-cluster-install.txt",
        ),
        (
            vec!["cluster", "profile", "--help"],
            "help-cluster-profile.txt",
        ),
        (vec!["configure", "--help"], "help-configure.txt"),
    ] {
        let run = tntc(t.path(), &args);
        assert_eq!(run.code(), 0, "{}", run.transcript());
        assert!(run.stderr().is_empty());
        golden(name, &run.stdout());
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
