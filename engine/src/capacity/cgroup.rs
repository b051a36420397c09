//! The memory limit of the cgroup this process runs in: cgroup v2 `memory.max`, or on a
//! cgroup v1 host `memory.limit_in_bytes`, found through `/proc/self/cgroup` and
//! `/proc/self/mountinfo` and taken as the smallest limit on the way from this process's
//! cgroup up to the hierarchy's root (a parent's limit applies to its children).
//!
//! Parsing is pure (table-tested below); [`memory_limit`] reads the real files.

use std::path::{Path, PathBuf};

/// A memory limit found in a cgroup file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupLimit {
    /// The limit in bytes.
    pub bytes: u64,
    /// The file that set it (the tightest on the way up).
    pub file: PathBuf,
}

/// Limits at or above this are "no limit": cgroup v1 writes `PAGE_COUNTER_MAX` pages
/// (9223372036854771712 on 4 KiB pages) when none is set.
const UNLIMITED_FROM: u64 = 1 << 60;

/// The memory limit of this process's cgroup, if one is set (v2 first, then v1).
pub fn memory_limit() -> Option<CgroupLimit> {
    let cgroup = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    memory_limit_in(&cgroup, &mountinfo, Path::new("/"))
}

/// The memory limit for a process whose `/proc/self/cgroup` is `cgroup` and whose
/// `/proc/self/mountinfo` is `mountinfo`, reading the cgroup files below `fs_root` (`/`, or a
/// directory laid out like it in tests).
pub fn memory_limit_in(cgroup: &str, mountinfo: &str, fs_root: &Path) -> Option<CgroupLimit> {
    let memberships = parse_proc_cgroup(cgroup);
    let mounts = parse_mountinfo(mountinfo);
    for version in [Version::V2, Version::V1] {
        let Some(member) = memberships.iter().find(|m| m.version() == Some(version)) else {
            continue;
        };
        let Some(mount) = mounts.iter().find(|m| m.version == version) else {
            continue;
        };
        let dir = cgroup_dir(mount, &member.path);
        let top = rooted(fs_root, &mount.mount_point);
        let found = tightest(&rooted(fs_root, &dir), &top, version.limit_file());
        if found.is_some() {
            return found;
        }
    }
    None
}

/// The two cgroup hierarchies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    /// The unified hierarchy.
    V2,
    /// The legacy memory controller.
    V1,
}

impl Version {
    fn limit_file(self) -> &'static str {
        match self {
            Version::V2 => "memory.max",
            Version::V1 => "memory.limit_in_bytes",
        }
    }
}

/// One line of `/proc/self/cgroup`: `hierarchy-id:controllers:path`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Membership {
    id: String,
    controllers: Vec<String>,
    path: String,
}

impl Membership {
    fn version(&self) -> Option<Version> {
        if self.id == "0" && self.controllers.is_empty() {
            Some(Version::V2)
        } else if self.controllers.iter().any(|c| c == "memory") {
            Some(Version::V1)
        } else {
            None
        }
    }
}

fn parse_proc_cgroup(text: &str) -> Vec<Membership> {
    text.lines()
        .filter_map(|line| {
            let mut parts = line.splitn(3, ':');
            let id = parts.next()?.trim().to_string();
            let controllers = parts.next()?;
            let path = parts.next()?.trim().to_string();
            Some(Membership {
                id,
                controllers: controllers
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .map(str::to_string)
                    .collect(),
                path,
            })
        })
        .collect()
}

/// A cgroup mount from `/proc/self/mountinfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mount {
    version: Version,
    /// The cgroup path that is this mount's root (`/` unless the mount is of a sub-tree).
    root: String,
    mount_point: String,
}

/// The cgroup2 mounts and the cgroup v1 mounts of the memory controller. A line is
/// `id parent major:minor root mount-point options [optional fields…] - fstype source super-options`.
fn parse_mountinfo(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|line| {
            let (before, after) = line.split_once(" - ")?;
            let fields: Vec<&str> = before.split_whitespace().collect();
            let (root, mount_point) = (fields.get(3)?, fields.get(4)?);
            let mut after = after.split_whitespace();
            let fstype = after.next()?;
            let _source = after.next();
            let super_options = after.next().unwrap_or("");
            let version = match fstype {
                "cgroup2" => Version::V2,
                "cgroup" if super_options.split(',').any(|o| o == "memory") => Version::V1,
                _ => return None,
            };
            Some(Mount {
                version,
                root: unescape(root),
                mount_point: unescape(mount_point),
            })
        })
        .collect()
}

/// mountinfo escapes space, tab, newline and backslash as `\ooo`.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let code = rest
            .get(i + 1..i + 4)
            .and_then(|o| u8::from_str_radix(o, 8).ok());
        match code {
            Some(c) => {
                out.push(c as char);
                rest = &rest[i + 4..];
            }
            None => {
                out.push('\\');
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The directory of cgroup `path` under `mount`: the path relative to the mount's root, below
/// the mount point. A path outside the mount's root (seen in some container setups, where
/// `/proc/self/cgroup` shows the host's path) falls back to the mount point itself.
fn cgroup_dir(mount: &Mount, path: &str) -> String {
    let root = mount.root.trim_end_matches('/');
    let relative = match path.strip_prefix(root) {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
        _ if root.is_empty() => path,
        _ => "",
    };
    format!(
        "{}/{}",
        mount.mount_point.trim_end_matches('/'),
        relative.trim_start_matches('/')
    )
    .trim_end_matches('/')
    .to_string()
}

fn rooted(fs_root: &Path, absolute: &str) -> PathBuf {
    fs_root.join(absolute.trim_start_matches('/'))
}

/// The smallest limit set in `file` in `dir` or any of its parents up to `top`.
fn tightest(dir: &Path, top: &Path, file: &str) -> Option<CgroupLimit> {
    let mut best: Option<CgroupLimit> = None;
    let mut at = Some(dir);
    while let Some(d) = at {
        let path = d.join(file);
        if let Some(bytes) = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| parse_limit(&t))
            && best.as_ref().is_none_or(|b| bytes < b.bytes)
        {
            best = Some(CgroupLimit { bytes, file: path });
        }
        if d == top {
            break;
        }
        at = d.parent().filter(|p| p.starts_with(top));
    }
    best
}

/// A limit file's value: `None` for `max` (v2) or a v1 "unlimited" figure, or text that is not
/// a number.
fn parse_limit(text: &str) -> Option<u64> {
    let t = text.trim();
    if t == "max" {
        return None;
    }
    t.parse::<u64>().ok().filter(|&b| b < UNLIMITED_FROM)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_values() {
        let cases: &[(&str, Option<u64>)] = &[
            ("max\n", None),
            ("536870912\n", Some(512 << 20)),
            ("9223372036854771712\n", None), // v1: no limit
            ("", None),
            ("lots", None),
            ("  1048576  ", Some(1 << 20)),
        ];
        for (text, want) in cases {
            assert_eq!(parse_limit(text), *want, "{text:?}");
        }
    }

    #[test]
    fn proc_cgroup_lines() {
        let cases: &[(&str, Option<Version>, &str)] = &[
            (
                "0::/kubepods/pod1/abc\n",
                Some(Version::V2),
                "/kubepods/pod1/abc",
            ),
            ("0::/\n", Some(Version::V2), "/"),
            (
                "4:memory:/process_api/8b92\n",
                Some(Version::V1),
                "/process_api/8b92",
            ),
            ("7:cpu,cpuacct:/x\n", None, "/x"),
            ("12:memory,hugetlb:/a:b\n", Some(Version::V1), "/a:b"), // ':' inside the path
            ("1:name=systemd:/\n", None, "/"),
        ];
        for (text, version, path) in cases {
            let m = parse_proc_cgroup(text);
            assert_eq!(m.len(), 1, "{text:?}");
            assert_eq!(m[0].version(), *version, "{text:?}");
            assert_eq!(m[0].path, *path, "{text:?}");
        }
        assert!(parse_proc_cgroup("garbage\n\n").is_empty());
    }

    #[test]
    fn mountinfo_lines() {
        let text = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime shared:5 - cgroup cgroup rw,memory
41 31 0:38 /kubepods/pod1 /sys/fs/cgroup\\040x rw,nosuid master:1 - cgroup2 cgroup2 rw,nsdelegate
";
        let mounts = parse_mountinfo(text);
        assert_eq!(
            mounts,
            vec![
                Mount {
                    version: Version::V1,
                    root: "/".into(),
                    mount_point: "/sys/fs/cgroup/memory".into()
                },
                Mount {
                    version: Version::V2,
                    root: "/kubepods/pod1".into(),
                    mount_point: "/sys/fs/cgroup x".into()
                },
            ]
        );
    }

    #[test]
    fn cgroup_directories() {
        let m = |root: &str, mp: &str| Mount {
            version: Version::V2,
            root: root.into(),
            mount_point: mp.into(),
        };
        let cases = [
            (m("/", "/sys/fs/cgroup"), "/", "/sys/fs/cgroup"),
            (m("/", "/sys/fs/cgroup"), "/a/b", "/sys/fs/cgroup/a/b"),
            (m("/a", "/sys/fs/cgroup"), "/a/b", "/sys/fs/cgroup/b"),
            (m("/a", "/sys/fs/cgroup"), "/a", "/sys/fs/cgroup"),
            // A cgroup namespace shows "/" while the mount's root is the container's cgroup.
            (m("/kubepods/pod1", "/sys/fs/cgroup"), "/", "/sys/fs/cgroup"),
            // Not below the root (a prefix of a name is not a parent).
            (m("/a", "/sys/fs/cgroup"), "/ab/c", "/sys/fs/cgroup"),
        ];
        for (mount, path, want) in cases {
            assert_eq!(cgroup_dir(&mount, path), want, "{mount:?} {path}");
        }
    }

    /// Lays out a cgroup tree under a temporary root and reads it as the engine would.
    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        dir
    }

    const V2_MOUNT: &str = "41 31 0:38 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
    const V1_MOUNT: &str = "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n";

    #[test]
    fn the_tightest_limit_on_the_way_up_wins() {
        // (files laid out, /proc/self/cgroup, mountinfo, the limit and the file that sets it)
        type Case<'a> = (
            &'a [(&'a str, &'a str)],
            &'a str,
            &'a str,
            Option<(u64, &'a str)>,
        );
        let cases: &[Case] = &[
            // A pod: the container's own cgroup has the limit.
            (
                &[("sys/fs/cgroup/pod/c1/memory.max", "536870912\n")],
                "0::/pod/c1\n",
                V2_MOUNT,
                Some((512 << 20, "sys/fs/cgroup/pod/c1/memory.max")),
            ),
            // The leaf says max, the parent is tighter.
            (
                &[
                    ("sys/fs/cgroup/pod/c1/memory.max", "max\n"),
                    ("sys/fs/cgroup/pod/memory.max", "268435456\n"),
                ],
                "0::/pod/c1\n",
                V2_MOUNT,
                Some((256 << 20, "sys/fs/cgroup/pod/memory.max")),
            ),
            // The leaf is tighter than the parent.
            (
                &[
                    ("sys/fs/cgroup/pod/c1/memory.max", "134217728\n"),
                    ("sys/fs/cgroup/pod/memory.max", "268435456\n"),
                ],
                "0::/pod/c1\n",
                V2_MOUNT,
                Some((128 << 20, "sys/fs/cgroup/pod/c1/memory.max")),
            ),
            // No limit anywhere.
            (
                &[("sys/fs/cgroup/memory.max", "max\n")],
                "0::/\n",
                V2_MOUNT,
                None,
            ),
            // cgroup v1 (this machine's kind): unlimited.
            (
                &[(
                    "sys/fs/cgroup/memory/job/memory.limit_in_bytes",
                    "9223372036854771712\n",
                )],
                "4:memory:/job\n0::/\n",
                V1_MOUNT,
                None,
            ),
            // cgroup v1 with a limit.
            (
                &[(
                    "sys/fs/cgroup/memory/job/memory.limit_in_bytes",
                    "1073741824\n",
                )],
                "4:memory:/job\n0::/\n",
                V1_MOUNT,
                Some((1 << 30, "sys/fs/cgroup/memory/job/memory.limit_in_bytes")),
            ),
            // No cgroup file system at all.
            (&[], "0::/\n", "", None),
        ];
        for (files, cgroup, mountinfo, want) in cases {
            let root = tree(files);
            let got = memory_limit_in(cgroup, mountinfo, root.path());
            let want = want.map(|(bytes, file)| CgroupLimit {
                bytes,
                file: root.path().join(file),
            });
            assert_eq!(got, want, "{cgroup:?} {files:?}");
        }
    }

    #[test]
    fn this_process_can_be_asked() {
        // Whatever this machine has: the call must not fail or panic.
        let _ = memory_limit();
    }
}
