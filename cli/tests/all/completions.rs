//! `tntc completions` and `tntc man`, through the built binary: the bash script is valid bash
//! that completes every command (checked by bash itself), and the manual pages render with
//! groff, one per command.

use std::process::Command;

use crate::support::{tempdir, tntc};

#[test]
fn bash_completion_is_valid_bash_and_knows_every_command() {
    let tmp = tempdir();
    let o = tntc(tmp.path(), &["completions", "bash"]);
    assert_eq!(o.code(), 0, "{}", o.transcript());
    let script = tmp.path().join("tntc.bash");
    std::fs::write(&script, o.stdout()).unwrap();
    let check = Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    // Sourced, it completes `tntc ca` to the cache command and `tntc cache p` to prune.
    let complete = |words: &str, cword: usize| {
        let probe = format!(
            "source {}; COMP_WORDS=({words}); COMP_CWORD={cword}; COMP_LINE='{words}'; \
             COMP_POINT=${{#COMP_LINE}}; _tntc tntc; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display()
        );
        let o = Command::new("bash").arg("-c").arg(&probe).output().unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let top = complete("tntc ca", 1);
    assert!(top.lines().any(|l| l == "cache"), "{top}");
    let sub = complete("tntc cache p", 2);
    assert!(sub.lines().any(|l| l == "prune"), "{sub}");

    for (shell, marker) in [("zsh", "#compdef tntc"), ("fish", "complete -c tntc")] {
        let o = tntc(tmp.path(), &["completions", shell]);
        assert_eq!(o.code(), 0, "{}", o.transcript());
        assert!(o.stdout().contains(marker), "{shell}: {}", o.stdout());
    }
    let o = tntc(tmp.path(), &["completions", "tcsh"]);
    assert_eq!(o.code(), 2, "{}", o.transcript());
    let o = tntc(tmp.path(), &["completions", "bash", "-o", "json"]);
    assert!(o.json()["script"].as_str().unwrap().contains("_tntc"));
}

#[test]
fn man_pages_render_one_per_command() {
    let tmp = tempdir();
    let o = tntc(tmp.path(), &["man"]);
    assert_eq!(o.code(), 0, "{}", o.transcript());
    let page = tmp.path().join("tntc.1");
    std::fs::write(&page, o.stdout()).unwrap();
    let text = Command::new("groff")
        .args(["-man", "-Tutf8", "-P-cbou"])
        .arg(&page)
        .env("LC_ALL", "C.UTF-8")
        .output()
        .unwrap();
    assert!(text.status.success());
    let text = String::from_utf8_lossy(&text.stdout);
    for want in ["NAME", "SYNOPSIS", "deploy", "cache"] {
        assert!(text.contains(want), "no {want} in\n{text}");
    }

    let dir = tmp.path().join("man");
    let o = tntc(
        tmp.path(),
        &["man", "--dir", dir.to_str().unwrap(), "-o", "json"],
    );
    assert_eq!(o.code(), 0, "{}", o.transcript());
    let pages: Vec<String> = o.json()["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    for want in [
        "tntc.1",
        "tntc-deploy.1",
        "tntc-cluster-check.1",
        "tntc-cache-prune.1",
    ] {
        assert!(pages.iter().any(|p| p == want), "no {want} in {pages:?}");
        assert!(dir.join(want).is_file());
    }
}
