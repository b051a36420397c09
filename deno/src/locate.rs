//! Finding the Deno binary: `--deno PATH`, then `$TENTACULAR_DENO`, then `deno` on `PATH`, then
//! the project-local install (`tools/deno/node_modules/@deno/linux-x64-glibc/deno`, which
//! `tools/deno/install.sh` creates) in the current directory or any of its parents.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::DenoError;

/// Where the project-local install lives, relative to the workspace root.
pub const PROJECT_LOCAL: &str = "tools/deno/node_modules/@deno/linux-x64-glibc/deno";

/// Where a Deno binary was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The `--deno` flag.
    Flag,
    /// `$TENTACULAR_DENO`.
    Env,
    /// `deno` on `PATH`.
    Path,
    /// The project-local install.
    ProjectLocal,
}

/// A Deno binary and where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The binary.
    pub path: PathBuf,
    /// How it was found.
    pub source: Source,
}

/// Finds Deno: `flag` (from `--deno`) first, then `$TENTACULAR_DENO`, `PATH`, and the
/// project-local install above the current directory. A path given by flag or variable must
/// be an executable file (no fallback past a wrong explicit path).
pub fn locate(flag: Option<&Path>) -> Result<Located, DenoError> {
    let env = std::env::var_os("TENTACULAR_DENO").filter(|v| !v.is_empty());
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    locate_in(
        flag,
        env.as_deref().map(Path::new),
        std::env::var_os("PATH").as_deref(),
        &cwd,
    )
}

/// [`locate`] with its inputs explicit (for tests).
pub fn locate_in(
    flag: Option<&Path>,
    env: Option<&Path>,
    path_var: Option<&std::ffi::OsStr>,
    cwd: &Path,
) -> Result<Located, DenoError> {
    for (given, source, from) in [
        (flag, Source::Flag, "--deno"),
        (env, Source::Env, "$TENTACULAR_DENO"),
    ] {
        if let Some(p) = given {
            if is_executable(p) {
                return Ok(Located {
                    path: p.to_path_buf(),
                    source,
                });
            }
            return Err(DenoError::NotExecutable {
                path: p.to_path_buf(),
                from,
            });
        }
    }
    if let Some(var) = path_var {
        for dir in std::env::split_paths(var) {
            let candidate = dir.join("deno");
            if is_executable(&candidate) {
                return Ok(Located {
                    path: candidate,
                    source: Source::Path,
                });
            }
        }
    }
    for dir in cwd.ancestors() {
        let candidate = dir.join(PROJECT_LOCAL);
        if is_executable(&candidate) {
            return Ok(Located {
                path: candidate,
                source: Source::ProjectLocal,
            });
        }
    }
    Err(DenoError::NotFound {
        project_local: cwd.join(PROJECT_LOCAL),
    })
}

fn is_executable(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exe(dir: &Path, rel: &str) -> PathBuf {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    #[test]
    fn order_is_flag_env_path_project_local() {
        let t = tempfile::tempdir().unwrap();
        let flag = exe(t.path(), "flag/deno");
        let env = exe(t.path(), "env/deno");
        let on_path = exe(t.path(), "bin/deno");
        let local = exe(t.path(), &format!("ws/{PROJECT_LOCAL}"));
        let cwd = t.path().join("ws/example/wf");
        std::fs::create_dir_all(&cwd).unwrap();
        let path_var = std::env::join_paths([t.path().join("bin")]).unwrap();
        let found = |f: Option<&Path>, e: Option<&Path>, p: Option<&std::ffi::OsStr>| {
            locate_in(f, e, p, &cwd).unwrap()
        };
        assert_eq!(found(Some(&flag), Some(&env), Some(&path_var)).path, flag);
        assert_eq!(found(None, Some(&env), Some(&path_var)).source, Source::Env);
        assert_eq!(found(None, None, Some(&path_var)).path, on_path);
        let l = found(None, None, None);
        assert_eq!((l.path, l.source), (local, Source::ProjectLocal));
    }

    #[test]
    fn a_wrong_explicit_path_is_an_error_and_nothing_found_names_the_install_command() {
        let t = tempfile::tempdir().unwrap();
        let e = locate_in(Some(&t.path().join("nope")), None, None, t.path()).unwrap_err();
        assert!(e.to_string().contains("--deno"), "{e}");
        let e = locate_in(None, None, None, t.path()).unwrap_err();
        assert!(e.to_string().contains("tools/deno/install.sh"), "{e}");
    }
}
