//! Running the binary and comparing with golden files; what a test does when a component it
//! needs is missing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub use tentacular_test_support::missing;

/// A finished run of `tntc`.
pub struct Run {
    pub args: Vec<String>,
    pub output: Output,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.output.status.code().expect("exited normally")
    }

    pub fn stdout(&self) -> String {
        String::from_utf8(self.output.stdout.clone()).unwrap()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8(self.output.stderr.clone()).unwrap()
    }

    /// Exit code, stdout and stderr in one text, for golden files.
    pub fn transcript(&self) -> String {
        format!(
            "$ tntc {}\nexit: {}\n--- stdout\n{}--- stderr\n{}",
            self.args.join(" "),
            self.code(),
            self.stdout(),
            self.stderr()
        )
    }

    /// The stdout as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.output.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout()))
    }
}

/// The command, with a clean environment for colour.
pub fn command(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tntc"));
    c.args(args)
        .current_dir(dir)
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR")
        .env("NO_COLOR", "1");
    c
}

/// Runs `tntc args…` in `dir`.
pub fn tntc(dir: &Path, args: &[&str]) -> Run {
    let output = command(dir, args).output().expect("tntc runs");
    Run {
        args: args.iter().map(|s| s.to_string()).collect(),
        output,
    }
}

/// Copies the tree `from` into `to` (created): directories recursively, files by content,
/// symbolic links as links (a Deno cache may hold some).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            copy_dir(&entry.path(), &target);
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(entry.path()).unwrap(), &target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A fresh temporary directory.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Writes a file, creating its directory.
pub fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn golden_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// Asserts that `actual` equals the golden file `name`, exactly; `SNAPSHOTS=overwrite` rewrites
/// it.
#[track_caller]
pub fn golden(name: &str, actual: &str) {
    tentacular_test_support::golden(&golden_path(name), actual);
}

/// A workflow with a contract, two nodes, secrets and a webhook, in `dir/name`.
pub fn digest_workflow(dir: &Path, name: &str) -> PathBuf {
    let wf = dir.join(name);
    write(
        &wf.join("workflow.yaml"),
        &format!(
            r#"name: {name}
version: "1.0"
description: Fetches repos and posts a digest.
triggers:
  - type: manual
  - type: cron
    name: daily
    schedule: "0 9 * * *"
  - type: webhook
    provider: github
    event: push
nodes:
  fetch-repos:
    path: ./nodes/fetch-repos.ts
    description: Lists the most starred repos.
    uses: [github]
  notify:
    path: ./nodes/notify.ts
    description: Posts the digest to Slack.
    uses: [slack]
edges:
  - from: fetch-repos
    to: notify
contract:
  version: "1"
  dependencies:
    github:
      protocol: https
      host: api.github.com
      auth: {{type: bearer-token, secret: github.token}}
    slack:
      protocol: https
      host: hooks.slack.com
      auth: {{type: webhook-url, secret: slack.webhook_url}}
"#
        ),
    );
    write(
        &wf.join("nodes/fetch-repos.ts"),
        "export default async function run(ctx, input) {\n  const gh = ctx.dependency(\"github\");\n  return { repos: [] };\n}\n",
    );
    write(
        &wf.join("nodes/notify.ts"),
        "export default async function run(ctx, input) {\n  const legacy = ctx.secrets?.anthropic?.api_key;\n  return { delivered: false };\n}\n",
    );
    wf
}

/// The example workflow `word-counter` (no secrets, no cron).
pub fn word_counter() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../example-workflows/word-counter")
}

/// Runs `tntc args…` in `dir` with a hermetic HOME (`dir`: no user config, the real
/// `~/.tentacular` is never read or written), no `$TENTACULAR_ENV`, and `KUBECONFIG` set to
/// `kubeconfig` (or unset).
pub fn tntc_env(dir: &Path, kubeconfig: Option<&Path>, args: &[&str]) -> Run {
    let mut c = command(dir, args);
    c.env("HOME", dir).env_remove("TENTACULAR_ENV");
    match kubeconfig {
        Some(k) => c.env("KUBECONFIG", k),
        None => c.env_remove("KUBECONFIG"),
    };
    Run {
        args: args.iter().map(|s| s.to_string()).collect(),
        output: c.output().expect("tntc runs"),
    }
}

/// The admin kubeconfig of the running testenv (`TENTACULAR_TEST_KUBECONFIG`), or `None` after
/// a loud SKIP line.
pub fn admin_kubeconfig(test: &str) -> Option<PathBuf> {
    testenv_var(test, "TENTACULAR_TEST_KUBECONFIG")
}

/// The kubeconfig of the `restricted` user (get/list deployments in its namespace only) and
/// that namespace, or `None` after a SKIP line.
pub fn restricted_kubeconfig(test: &str) -> Option<(PathBuf, String)> {
    let kc = testenv_var(test, "TENTACULAR_TEST_KUBECONFIG_RESTRICTED")?;
    let ns = std::env::var("TENTACULAR_TEST_RESTRICTED_NAMESPACE")
        .unwrap_or_else(|_| "restricted-ns".into());
    Some((kc, ns))
}

fn testenv_var(test: &str, var: &str) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(v) if !v.is_empty() => Some(PathBuf::from(v)),
        _ => {
            missing(
                test,
                &format!("the real API server of testenv/ ({var} is not set)"),
                "run testenv/start.sh && source testenv/.state/env",
            );
            None
        }
    }
}

/// A namespace name unique to this test process and call: `tntc-cli-<what>-<pid>-<n>`.
pub fn unique_namespace(what: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        % 100_000;
    format!("tntc-cli-{what}-{}-{stamp}-{n}", std::process::id())
}

/// Creates `ns` (and the RuntimeClass `gvisor`) with `tntc cluster install`.
pub fn install_namespace(dir: &Path, kubeconfig: &Path, ns: &str) {
    let run = tntc_env(dir, Some(kubeconfig), &["cluster", "install", "-n", ns]);
    assert_eq!(run.code(), 0, "{}", run.transcript());
}

/// Replaces every occurrence of each `(from, to)` pair, for golden files of cluster output
/// (server URLs, namespaces and temporary paths vary between runs).
pub fn normalize(text: &str, pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .fold(text.to_string(), |t, (from, to)| t.replace(from, to))
}
