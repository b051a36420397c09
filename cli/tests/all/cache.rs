//! `tntc cache` and the snapshot cache's cap, through the built binary: `tntc test` stores a
//! compiled snapshot per version of the code, an edit adds one, the cap removes the least
//! recently used; `info`, `prune` and `clear` report in text and JSON; a cap that is not a
//! size is an error naming the variable.

use std::path::Path;

use crate::support::{Run, command, tempdir, write};

const SPEC: &str = "name: hello\nversion: \"1.0\"\ntriggers: [{type: manual}]\nnodes:\n  hello: {path: ./nodes/hello.ts, description: d}\n";

fn node(n: u32) -> String {
    format!("export default async function run() {{ return {{ n: {n} }}; }}\n")
}

/// `tntc args…` in `dir` with the cache in `cache` and, if given, `TENTACULAR_CACHE_MAX_SIZE`.
fn tntc(dir: &Path, cache: &Path, max: Option<&str>, args: &[&str]) -> Run {
    let mut c = command(dir, args);
    c.env("HOME", dir).env("TENTACULAR_CACHE_DIR", cache);
    match max {
        Some(m) => c.env("TENTACULAR_CACHE_MAX_SIZE", m),
        None => c.env_remove("TENTACULAR_CACHE_MAX_SIZE"),
    };
    Run {
        args: args.iter().map(|s| s.to_string()).collect(),
        output: c.output().expect("tntc runs"),
    }
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".cwasm"))
        .collect();
    v.sort();
    v
}

#[test]
fn the_cap_removes_the_least_recently_used_snapshot_and_cache_commands_report() {
    let tmp = tempdir();
    let (wf, cache) = (tmp.path().join("hello"), tmp.path().join("cache"));
    write(&wf.join("workflow.yaml"), SPEC);
    write(&wf.join("nodes/hello.ts"), &node(1));
    let wfs = wf.to_str().unwrap();

    let o = tntc(tmp.path(), &cache, None, &["test", wfs, "--pipeline"]);
    assert_eq!(o.code(), 0, "{}", o.transcript());
    let first = files(&cache);
    let o = tntc(tmp.path(), &cache, None, &["cache", "info", "-o", "json"]);
    assert_eq!(o.code(), 0, "{}", o.transcript());
    let info = o.json();
    assert_eq!(info["entries"], first.len(), "{info}");
    assert_eq!(info["maxBytes"], 512u64 << 20, "{info}");
    let bytes = info["bytes"].as_u64().unwrap();

    // Room for what is there plus a little: the edit's snapshot pushes out the oldest one.
    let cap = (bytes + bytes / 10).to_string();
    write(&wf.join("nodes/hello.ts"), &node(2));
    let o = tntc(tmp.path(), &cache, Some(&cap), &["test", wfs, "--pipeline"]);
    assert_eq!(o.code(), 0, "{}", o.transcript());
    let second = files(&cache);
    assert_eq!(second.len(), first.len(), "{first:?} → {second:?}");
    let kept: Vec<&String> = first.iter().filter(|f| second.contains(f)).collect();
    assert_eq!(
        kept.len(),
        first.len() - 1,
        "exactly the old snapshot went; what the new load used stayed: {first:?} → {second:?}"
    );
    let o = tntc(
        tmp.path(),
        &cache,
        Some(&cap),
        &["cache", "info", "-o", "json"],
    );
    assert!(o.json()["bytes"].as_u64().unwrap() <= cap.parse::<u64>().unwrap());

    let o = tntc(tmp.path(), &cache, None, &["cache", "info"]);
    assert!(
        o.stdout()
            .starts_with(&format!("Snapshot cache {}: ", cache.display()))
            && o.stdout().contains("(cap 512.0 MiB"),
        "{}",
        o.transcript()
    );
    let o = tntc(
        tmp.path(),
        &cache,
        None,
        &["cache", "prune", "--max-size", "1GiB", "-o", "json"],
    );
    assert_eq!(o.json()["removed"], 0, "{}", o.transcript());
    let o = tntc(tmp.path(), &cache, None, &["cache", "clear"]);
    assert_eq!(o.code(), 0, "{}", o.transcript());
    assert!(
        o.stdout()
            .starts_with(&format!("✓ removed {} snapshots", second.len())),
        "{}",
        o.transcript()
    );
    assert!(files(&cache).is_empty());
}

#[test]
fn a_cap_that_is_not_a_size_names_the_variable() {
    let tmp = tempdir();
    let cache = tmp.path().join("cache");
    let o = tntc(
        tmp.path(),
        &cache,
        Some("lots"),
        &["cache", "info", "-o", "json"],
    );
    assert_eq!(o.code(), 1, "{}", o.transcript());
    let msg = o.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(msg.contains("TENTACULAR_CACHE_MAX_SIZE=\"lots\""), "{msg}");
    let o = tntc(
        tmp.path(),
        &cache,
        None,
        &["cache", "prune", "--max-size", "big"],
    );
    assert_eq!(o.code(), 2, "{}", o.transcript());
    assert!(o.stderr().contains("is not a size"), "{}", o.stderr());
}
