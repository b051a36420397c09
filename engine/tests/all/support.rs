//! What the engine's integration tests share: one sandbox with a temporary snapshot cache,
//! workflows written to temporary directories, the bundled examples.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use tentacular_sandbox::{Sandbox, SandboxConfig};

/// The snapshot cache of this test process (a temporary directory, removed at exit); the
/// in-process sandbox and the `tentacular-engine` binaries the tests start share it.
pub fn cache_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap()).path()
}

/// One sandbox for the whole test binary, caching snapshots in [`cache_dir`].
pub fn sandbox() -> Sandbox {
    static SANDBOX: OnceLock<Sandbox> = OnceLock::new();
    SANDBOX
        .get_or_init(|| {
            Sandbox::new(SandboxConfig {
                cache_dir: Some(cache_dir().into()),
                ..Default::default()
            })
            .unwrap()
        })
        .clone()
}

/// A bundled example workflow, `example-workflows/<name>`.
pub fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../example-workflows")
        .join(name)
}

/// A workflow in a temp dir: `workflow.yaml` and the given files.
pub fn temp_workflow(spec: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("workflow.yaml"), spec).unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

/// The built `tentacular-engine`, with this process's snapshot cache and no `RUST_LOG` or
/// `WEBHOOK_SECRET` from the environment.
pub fn engine_binary() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tentacular-engine"));
    c.env("TENTACULAR_CACHE_DIR", cache_dir())
        .env_remove("WEBHOOK_SECRET")
        .env_remove("RUST_LOG");
    c
}

/// Runs `cmd` to the end: exit code (-1 for a signal), stdout, stderr.
pub fn run_to_end(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
