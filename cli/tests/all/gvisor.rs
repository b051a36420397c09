//! The image `tntc build` makes really runs, under gVisor: pushed to a real registry on
//! 127.0.0.1 and pulled back by digest with podman (and, separately, loaded from an archive),
//! then started with `--runtime runsc` and no network, as uid 65534 on a read-only root
//! filesystem, running word-counter from a mounted directory in one-shot mode.
//!
//! Podman gets a storage of its own under a temporary directory, so tests never touch the
//! machine's images. On hosts with cgroup v1 (this machine kind has the hybrid layout) the
//! container needs explicit `--ulimit`s: runc cannot set RLIMIT_NOFILE/NPROC above what the
//! host hands down; runsc is given them too, so both runtimes see the same limits.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::build::tools::{Registry, have, run_ok};
use super::build::{tiny_base, word_counter};
use crate::support::{tempdir, tntc};

/// `podman` with its own storage, cgroupfs and file events (no systemd here).
pub struct Podman {
    dir: tempfile::TempDir,
}

impl Podman {
    pub fn new() -> Podman {
        Podman {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn cmd(&self) -> Command {
        let d = self.dir.path();
        let mut c = Command::new("podman");
        c.arg("--root")
            .arg(d.join("root"))
            .arg("--runroot")
            .arg(d.join("run"))
            .arg("--tmpdir")
            .arg(d.join("tmp"))
            .args([
                "--storage-driver",
                "overlay",
                "--cgroup-manager",
                "cgroupfs",
                "--events-backend",
                "file",
            ]);
        c
    }

    /// `podman run` of `image` under runsc, no network, uid 65534, read-only root, the
    /// workflow mounted read-only; returns (exit code, stdout, stderr).
    fn run_word_counter(&self, image: &str, workflow: &Path) -> (i32, String, String) {
        self.run_sandboxed(
            &["-v", &format!("{}:/app/workflow:ro", workflow.display())],
            image,
            &["run", "--workflow", "/app/workflow", "--log-format", "text"],
        )
    }

    /// `podman run --rm` of `image` under runsc with no network, as uid 65534 on a read-only
    /// root without capabilities, with `options` before the image and `args` after it;
    /// returns (exit code, stdout, stderr).
    pub fn run_sandboxed(
        &self,
        options: &[&str],
        image: &str,
        args: &[&str],
    ) -> (i32, String, String) {
        let out = self
            .cmd()
            .args(["--runtime", "runsc", "--runtime-flag", "network=none"])
            .arg("--runtime-flag")
            .arg(format!("debug-log={}/", self.runsc_log().display()))
            .args([
                "--runtime-flag",
                "debug",
                "run",
                "--rm",
                "--network",
                "none",
            ])
            .args([
                "--read-only",
                "--user",
                "65534:65534",
                "--cap-drop",
                "ALL",
                "--security-opt",
                "no-new-privileges",
            ])
            .args([
                "--ulimit",
                "nofile=20000:20000",
                "--ulimit",
                "nproc=4096:4096",
            ])
            .args(options)
            .arg(image)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

impl Podman {
    /// Where runsc writes its debug logs (one file per runsc command).
    fn runsc_log(&self) -> std::path::PathBuf {
        self.dir.path().join("runsc-log")
    }

    /// Asserts that the container ran in gVisor's sandbox: runsc's boot log is there.
    pub fn assert_ran_in_gvisor(&self) {
        let mut boot = String::new();
        for e in std::fs::read_dir(self.runsc_log()).expect("runsc wrote debug logs") {
            let p = e.unwrap().path();
            if p.to_string_lossy().contains("boot") {
                boot.push_str(&std::fs::read_to_string(&p).unwrap_or_default());
            }
        }
        assert!(
            // The sandbox's boot log: the sentry (gVisor's kernel) started for this container.
            boot.contains("runsc-sandbox") && boot.contains("Platform:"),
            "no gVisor boot log under {}",
            self.runsc_log().display()
        );
    }
}

fn assert_word_counter_result(code: i32, out: &str, err: &str) {
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    let result: Value = serde_json::from_str(out)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}\nstderr:\n{err}"));
    assert_eq!(result["success"], true, "{result}");
    assert_eq!(result["outputs"]["report"]["totalWords"], 17, "{result}");
    assert_eq!(result["outputs"]["report"]["uniqueWords"], 12, "{result}");
}

#[test]
fn the_pushed_image_runs_word_counter_under_gvisor() {
    if !have(&["docker-registry", "podman", "runsc"]) {
        return;
    }
    let reg = Registry::start();
    let t = tempdir();
    let base = tiny_base(t.path());
    let wf = word_counter(t.path());
    let run = tntc(
        t.path(),
        &[
            "-o",
            "json",
            "build",
            wf.to_str().unwrap(),
            "--base",
            &base,
            "--push",
            "-t",
            &format!("{}/engine:gvisor", reg.addr),
            "--insecure-registry",
        ],
    );
    assert_eq!(run.code(), 0, "{}", run.transcript());
    let pinned = run.json()["push"]["pinned"].as_str().unwrap().to_string();

    let podman = Podman::new();
    run_ok(
        podman
            .cmd()
            .args(["pull", "--quiet", "--tls-verify=false", &pinned]),
    );
    let (code, out, err) = podman.run_word_counter(&pinned, &wf);
    assert_word_counter_result(code, &out, &err);
    podman.assert_ran_in_gvisor();
}

#[test]
fn the_archived_image_loads_into_podman_and_runs_under_gvisor() {
    if !have(&["podman", "runsc"]) {
        return;
    }
    let t = tempdir();
    let base = tiny_base(t.path());
    let wf = word_counter(t.path());
    let archive = t.path().join("engine.tar");
    let run = tntc(
        t.path(),
        &[
            "build",
            "--base",
            &base,
            "-t",
            "localhost/tentacular-engine:loaded",
            "--dest",
            &format!("docker-archive:{}", archive.display()),
        ],
    );
    assert_eq!(run.code(), 0, "{}", run.transcript());
    let podman = Podman::new();
    let loaded = run_ok(podman.cmd().args(["load", "-i"]).arg(&archive));
    assert!(
        loaded.contains("localhost/tentacular-engine:loaded"),
        "{loaded}"
    );
    let (code, out, err) = podman.run_word_counter("localhost/tentacular-engine:loaded", &wf);
    assert_word_counter_result(code, &out, &err);
    podman.assert_ran_in_gvisor();
}

/// `deploy/gvisor/install.sh` against a directory standing in for a node's `/`: each
/// containerd flavor gets the `runsc` handler in the place and format it reads, once; and
/// real containerd (Debian's) loads the result with the handler registered.
#[test]
fn install_script_registers_the_runsc_handler_once_per_flavor() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/gvisor/install.sh");
    let node = |setup: &[(&str, &str)]| {
        let root = tempdir();
        for (path, text) in setup {
            let p = root.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        root
    };
    let install = |root: &Path| {
        run_ok(
            Command::new("bash")
                .arg(&script)
                .arg("--root")
                .arg(root)
                .args(["--install", "skip", "--no-restart"]),
        )
    };
    // (files the node has, the file that gets the handler, what it must say)
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: &[Case] = &[
        (
            &[("etc/containerd/config.toml", "version = 2\n")],
            "etc/containerd/config.toml",
            r#"[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc]"#,
        ),
        (
            &[("etc/containerd/config.toml", "version = 3\n")],
            "etc/containerd/config.toml",
            r#"[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runsc]"#,
        ),
        (
            &[(
                "var/lib/rancher/k3s/agent/etc/containerd/config.toml",
                "version = 3\n",
            )],
            "var/lib/rancher/k3s/agent/etc/containerd/config.toml.tmpl",
            r#"[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runsc]"#,
        ),
        (
            &[("var/lib/rancher/rke2/.keep", "")],
            "var/lib/rancher/rke2/agent/etc/containerd/config.toml.tmpl",
            "{{ template \"base\" . }}",
        ),
        (
            &[("etc/k0s/k0s.yaml", "")],
            "etc/k0s/containerd.d/gvisor.toml",
            r#"[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc]"#,
        ),
    ];
    for (setup, file, want) in cases {
        let root = node(setup);
        let said = install(root.path());
        assert!(said.contains("added the runsc handler"), "{said}");
        let text = std::fs::read_to_string(root.path().join(file))
            .unwrap_or_else(|e| panic!("{file}: {e}\n{said}"));
        assert!(
            text.contains(want) && text.contains(r#"runtime_type = "io.containerd.runsc.v1""#),
            "{file}:\n{text}"
        );
        let again = install(root.path());
        assert!(again.contains("already has the runsc handler"), "{again}");
        assert_eq!(
            std::fs::read_to_string(root.path().join(file)).unwrap(),
            text,
            "idempotent"
        );
    }

    if !have(&["containerd"]) {
        return;
    }
    let root = tempdir();
    let cfg = root.path().join("etc/containerd/config.toml");
    std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    let default = run_ok(Command::new("containerd").args(["config", "default"]));
    std::fs::write(&cfg, default).unwrap();
    install(root.path());
    let dump = run_ok(
        Command::new("containerd")
            .arg("--config")
            .arg(&cfg)
            .args(["config", "dump"]),
    );
    let runsc = dump
        .split("containerd.runtimes.runsc]")
        .nth(1)
        .unwrap_or_else(|| panic!("no runsc runtime:\n{dump}"));
    assert!(
        runsc.contains(r#"runtime_type = "io.containerd.runsc.v1""#),
        "{runsc}"
    );
}
