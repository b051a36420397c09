//! `-o json` on every path: every command's success and failure output is one JSON document
//! on stdout, parsed here with `serde_json`; failures without a report of their own are
//! `{"error": {code, message, hint, file, line, column}}` with the documented exit code.
//!
//! The table covers every command of `Cli::command()`, so a new command must be added.

use std::collections::BTreeSet;
use std::path::Path;

use clap::CommandFactory;
use serde_json::Value;

use crate::support::{Run, tempdir, tntc_env, write};

/// The kubeconfig of an API server that is not there.
fn unreachable_kubeconfig(dir: &Path) -> std::path::PathBuf {
    let p = dir.join("kubeconfig");
    write(
        &p,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: nowhere\n  cluster:\n    server: https://127.0.0.1:1\n    insecure-skip-tls-verify: true\nusers:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: nowhere\n  context: {cluster: nowhere, user: u, namespace: demo}\ncurrent-context: nowhere\n",
    );
    p
}

/// Every leaf command, as its words (`["cluster", "check"]`).
fn leaf_commands() -> BTreeSet<String> {
    fn walk(c: &clap::Command, prefix: &str, out: &mut BTreeSet<String>) {
        let subs: Vec<_> = c
            .get_subcommands()
            .filter(|s| s.get_name() != "help")
            .collect();
        if subs.is_empty() {
            out.insert(prefix.trim().to_string());
        }
        for s in subs {
            walk(s, &format!("{prefix} {}", s.get_name()), out);
        }
    }
    let mut out = BTreeSet::new();
    walk(&tntc_cli::cli::Cli::command(), "", &mut out);
    out
}

/// What an `-o json` run must look like: one JSON document on stdout, exit `code`; a failure
/// is a command's own report (with `passed`/`valid`/`success` false) or an `error` object whose
/// code fits the exit code.
#[track_caller]
fn check(run: &Run, code: i32) -> Value {
    assert_eq!(run.code(), code, "{}", run.transcript());
    let v: Value = serde_json::from_str(&run.stdout())
        .unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{}", run.transcript()));
    if code == 0 {
        assert!(v.get("error").is_none(), "{}", run.transcript());
        return v;
    }
    if let Some(e) = v.get("error") {
        let c = e["code"].as_str().unwrap_or_default();
        assert!(
            ["usage", "load", "io", "cluster", "internal"].contains(&c),
            "{}",
            run.transcript()
        );
        assert_eq!(c == "usage", code == 2, "{}", run.transcript());
        assert!(
            e["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{}",
            run.transcript()
        );
        for key in ["hint", "file", "line", "column"] {
            assert!(e.get(key).is_some(), "{key}: {}", run.transcript());
        }
        assert!(run.stderr().is_empty(), "{}", run.transcript());
    } else {
        let verdict = ["passed", "valid", "success", "ok"]
            .iter()
            .find_map(|k| v.get(k));
        assert_eq!(verdict, Some(&Value::Bool(false)), "{}", run.transcript());
    }
    v
}

#[test]
fn every_command_speaks_json_on_success_and_failure() {
    let t = tempdir();
    let dir = t.path();
    let kc = unreachable_kubeconfig(dir);
    let run = |args: &[&str]| {
        let mut all = vec!["-o", "json"];
        all.extend_from_slice(args);
        tntc_env(dir, Some(&kc), &all)
    };
    let mut covered = BTreeSet::new();
    let mut case = |cmd: &str, args: &[&str], code: i32| -> Value {
        covered.insert(cmd.to_string());
        check(&run(args), code)
    };

    // Usage errors, before any command runs.
    case("", &["frobnicate"], 2);
    case("", &["validate", "--no-such-flag"], 2);

    case("init", &["init", "wf"], 0);
    case("init", &["init", "wf"], 1);
    case("init", &["init", "Bad_Name"], 2);
    case("init", &["init"], 2);
    case("validate", &["validate", "wf"], 0);
    case("validate", &["validate", "nope"], 1);
    case("deno-cache", &["deno-cache", "nope"], 1);
    case("visualize", &["visualize", "wf"], 0);
    case(
        "visualize",
        &["visualize", "wf", "--format", "dot", "--rich"],
        0,
    );
    case("visualize", &["visualize", "nope"], 1);
    case("secrets check", &["secrets", "check", "wf"], 0);
    case("secrets check", &["secrets", "check", "nope"], 1);
    case("secrets init", &["secrets", "init", "wf"], 0);
    case("secrets init", &["secrets", "init", "wf"], 1);
    case("test", &["test", "wf"], 0);
    case("test", &["test", "wf", "--pipeline"], 0);
    let e = case("test", &["test", "nope"], 1);
    assert_eq!(e["error"]["code"], "load");
    case("test", &["test", "wf/no-such-node"], 1);
    // A node that does not parse: a load error placed at the file.
    write(
        &dir.join("broken/workflow.yaml"),
        "name: broken\nversion: \"1.0\"\ntriggers:\n  - type: manual\nnodes:\n  a:\n    path: ./nodes/a.ts\n",
    );
    write(
        &dir.join("broken/nodes/a.ts"),
        "export default async function run() {\n  return {;\n}\n",
    );
    // A broken node fails its own tests: a report whose failed case names the file and line.
    let e = case("test", &["test", "broken"], 1);
    let text = e.to_string();
    assert!(
        text.contains("did not load") && text.contains("nodes/a.ts:2"),
        "{e}"
    );
    // A spec error: every diagnostic, the first one's place.
    write(
        &dir.join("bad-spec/workflow.yaml"),
        "name: bad-spec\nversion: \"1.0.0\"\ntriggers:\n  - type: manual\nnodes: {}\n",
    );
    let e = case("test", &["test", "bad-spec"], 1);
    assert_eq!(e["error"]["code"], "load");
    assert_eq!(e["error"]["line"], 2, "{e}");
    assert!(
        e["error"]["diagnostics"]
            .as_array()
            .is_some_and(|d| !d.is_empty())
    );
    case("dev", &["dev", "nope"], 1);
    case("dev", &["dev", "wf", "-p", "not-a-port"], 2);
    case("build", &["build", "wf", "--engine", "/no/such/engine"], 1);
    case("deploy", &["deploy", "wf", "--dry-run"], 0);
    for (cmd, args) in [
        ("deploy", vec!["deploy", "wf"]),
        ("status", vec!["status", "wf"]),
        ("list", vec!["list"]),
        ("run", vec!["run", "wf"]),
        ("logs", vec!["logs", "wf"]),
        ("undeploy", vec!["undeploy", "wf", "-y"]),
        ("audit", vec!["audit", "wf"]),
        ("versions", vec!["versions", "wf"]),
        ("rollback", vec!["rollback", "wf"]),
        ("cluster check", vec!["cluster", "check"]),
        ("cluster install", vec!["cluster", "install"]),
        ("cluster profile", vec!["cluster", "profile"]),
    ] {
        case(cmd, &args, 1);
    }
    case("configure", &["configure"], 0);
    case(
        "configure",
        &["configure", "--registry", "127.0.0.1:5000"],
        0,
    );
    case("configure", &["configure", "--runtime-class="], 1);
    case("cache info", &["cache", "info", "--dir", "cache"], 0);
    case(
        "cache prune",
        &["cache", "prune", "--dir", "cache", "--max-size", "lots"],
        2,
    );
    case("cache prune", &["cache", "prune", "--dir", "cache"], 0);
    case("cache clear", &["cache", "clear", "--dir", "cache"], 0);
    case("completions", &["completions", "bash"], 0);
    case("completions", &["completions", "tcsh"], 2);
    case("man", &["man"], 0);
    case("man", &["man", "--dir", "wf/workflow.yaml/x"], 1);
    case("version", &["version"], 0);
    case("version", &["version", "--bogus"], 2);

    covered.remove("");
    let missing: Vec<_> = leaf_commands().difference(&covered).cloned().collect();
    assert!(
        missing.is_empty(),
        "commands without a JSON case: {missing:?}"
    );
}
