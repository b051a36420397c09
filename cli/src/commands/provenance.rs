//! Where a deploy comes from, for the code version's annotations (`tntc versions`): when,
//! who, which commit and which directory.

use std::path::Path;
use std::process::Command;

use tentacular_kube::manifests::Provenance;

/// The provenance of a deploy from `dir`, now.
pub fn of_deploy(dir: &Path) -> Provenance {
    Provenance {
        deployed_at: Some(now()),
        deployed_by: Some(deployer()),
        git_sha: git_sha(dir),
        source: Some(
            std::fs::canonicalize(dir)
                .unwrap_or_else(|_| dir.to_path_buf())
                .display()
                .to_string(),
        ),
    }
}

/// The current time, RFC 3339 in UTC (what the annotations hold).
pub fn now() -> String {
    jiff::Timestamp::now().to_string()
}

/// `user@host`, from the environment and the kernel's host name; `unknown` where missing.
pub fn deployer() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    if host.is_empty() {
        user
    } else {
        format!("{user}@{host}")
    }
}

/// The commit `dir` is at, with `-dirty` when its work tree has changes; `None` outside a
/// git work tree or without git.
fn git_sha(dir: &Path) -> Option<String> {
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let sha = git(&["rev-parse", "HEAD"]).filter(|s| !s.is_empty())?;
    let dirty = git(&["status", "--porcelain", "--", "."]).is_some_and(|s| !s.is_empty());
    Some(if dirty { format!("{sha}-dirty") } else { sha })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_a_repository_there_is_no_commit() {
        let dir = tempfile::tempdir().unwrap();
        let p = of_deploy(dir.path());
        assert_eq!(p.git_sha, None);
        assert!(p.deployed_at.unwrap().ends_with('Z'));
        assert!(p.source.unwrap().starts_with('/'));
    }
}
