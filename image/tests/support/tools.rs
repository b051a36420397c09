//! Test harness shared by the image tests (`image/tests/all`) and tntc's build tests
//! (`cli/tests/all/build.rs`, through `#[path]`): the external tools the tests run for real,
//! and a real OCI registry (Debian's `docker-registry`) on 127.0.0.1.
//!
//! A tool that is not installed fails the test with the command that installs it (`.ci/run`
//! installs them all). Only outside CI, `TENTACULAR_SKIP_MISSING_TOOLS=1` turns that into a
//! loud SKIPPED line instead; with `CI` set, it is ignored.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The Debian package that provides each tool.
fn package_of(tool: &str) -> &str {
    match tool {
        "docker-registry" => "docker-registry",
        "skopeo" => "skopeo",
        "umoci" => "umoci",
        "podman" => "podman",
        "runsc" => "runsc",
        "runc" => "runc",
        other => other,
    }
}

/// The path of `tool` on PATH (or in /usr/sbin, /sbin).
pub fn which(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
}

/// True when every tool is installed. A missing one fails the calling test (the message says
/// how to install it) unless skipping was asked for outside CI, which prints SKIPPED and
/// returns false.
pub fn have(tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|t| which(t).is_none())
        .collect();
    if missing.is_empty() {
        return true;
    }
    let packages: Vec<&str> = missing.iter().map(|t| package_of(t)).collect();
    let message = format!(
        "{} not installed: apt-get install {} (.ci/run does this)",
        missing.join(", "),
        packages.join(" ")
    );
    let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
    if !in_ci && std::env::var_os("TENTACULAR_SKIP_MISSING_TOOLS").is_some_and(|v| v == "1") {
        eprintln!("SKIPPED (TENTACULAR_SKIP_MISSING_TOOLS=1): {message}");
        return false;
    }
    panic!("{message}");
}

/// Runs a command to its end; panics with its output when it fails.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// A real registry (`docker-registry serve`) on 127.0.0.1, storing under a temporary
/// directory; stopped when dropped.
pub struct Registry {
    child: Child,
    /// `127.0.0.1:<port>`.
    pub addr: String,
    dir: tempfile::TempDir,
}

impl Registry {
    /// Starts a registry without authentication.
    pub fn start() -> Registry {
        Registry::start_with(None)
    }

    /// Starts a registry that wants HTTP basic auth from `user` with `password`.
    pub fn start_with_user(user: &str, password: &str) -> Registry {
        let hash = bcrypt::hash(password, 4).unwrap();
        Registry::start_with(Some(format!("{user}:{hash}\n")))
    }

    fn start_with(htpasswd: Option<String>) -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let mut config = format!(
            "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {addr}\n  secret: tentacular-test\n",
            dir.path().join("data").display()
        );
        if let Some(h) = htpasswd {
            let p = dir.path().join("htpasswd");
            std::fs::write(&p, h).unwrap();
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: test\n    path: {}\n",
                p.display()
            ));
        }
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start docker-registry");
        let reg = Registry { child, addr, dir };
        reg.wait_ready();
        reg
    }

    fn wait_ready(&self) {
        let sock: SocketAddr = self.addr.parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(mut s) = TcpStream::connect_timeout(&sock, Duration::from_millis(200)) {
                let _ = write!(s, "GET /v2/ HTTP/1.0\r\nHost: {}\r\n\r\n", self.addr);
                let mut answer = String::new();
                let _ = s.read_to_string(&mut answer);
                if answer.starts_with("HTTP/1.") {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "docker-registry did not answer on {} within 20s; log:\n{}",
            self.addr,
            self.log()
        );
    }

    /// The registry's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// Where it stores blobs and manifests.
    pub fn storage(&self) -> PathBuf {
        self.dir.path().join("data")
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The files under `dir`, relative, sorted (for comparing trees).
pub fn files_under(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, d: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}
