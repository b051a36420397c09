//! `tntc build` end to end: the real tentacular-engine packaged on a tiny glibc base built
//! from this host's libraries, written to layouts and archives, pushed to a real registry on
//! 127.0.0.1, its digest the same from any directory; then read by `tntc deploy`.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::Value;

use crate::support::{command, copy_dir, tempdir, tntc};

#[path = "../../../image/tests/support/tools.rs"]
pub mod tools;

#[path = "../../../image/tests/support/base.rs"]
pub mod base;

use tools::{Registry, have};

/// The engine `tntc build` packages by default: the one next to tntc.
pub fn engine_binary() -> PathBuf {
    let p = Path::new(env!("CARGO_BIN_EXE_tntc")).with_file_name("tentacular-engine");
    assert!(
        p.is_file(),
        "{} is missing: build it first (cargo build -p tentacular-engine; cargo test --workspace does)",
        p.display()
    );
    p
}

/// The engine's platform (the host's).
fn engine_platform() -> tentacular_image::Platform {
    tentacular_image::elf::inspect(&engine_binary())
        .unwrap()
        .platform
}

/// An OCI layout at `dir/base` holding only what the engine needs (the host's loader and
/// libraries). Returns `oci-dir:<path>`.
pub fn tiny_base(dir: &Path) -> String {
    let image = base::glibc_base_for(&engine_binary());
    let path = dir.join("base");
    tentacular_image::layout::write_dir(&path, &image, None).unwrap();
    format!("oci-dir:{}", path.display())
}

/// `word-counter` copied to `dir/word-counter`.
pub fn word_counter(dir: &Path) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../example-workflows/word-counter");
    let dst = dir.join("word-counter");
    copy_dir(&src, &dst);
    dst
}

#[test]
fn two_builds_give_one_digest_from_different_directories() {
    let t = tempdir();
    let base = tiny_base(t.path());
    let a = t.path().join("a");
    let b = t.path().join("elsewhere/b");
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    // Relative paths, different working directories, different relative layouts.
    let r1 = tntc(
        &a,
        &[
            "-o",
            "json",
            "build",
            "--base",
            &base,
            "--dest",
            "oci-archive:out/img.tar",
            "--revision",
            "r1",
        ],
    );
    assert_eq!(r1.code(), 0, "{}", r1.transcript());
    let r2 = tntc(
        &b,
        &[
            "-o",
            "json",
            "build",
            "--base",
            &base,
            "--dest",
            "oci-archive:../img.tar",
            "--revision",
            "r1",
        ],
    );
    assert_eq!(r2.code(), 0, "{}", r2.transcript());
    let (j1, j2) = (r1.json(), r2.json());
    assert_eq!(j1["digest"], j2["digest"], "{j1}\n{j2}");
    assert!(j1["digest"].as_str().unwrap().starts_with("sha256:"));
    assert_eq!(
        std::fs::read(a.join("out/img.tar")).unwrap(),
        std::fs::read(t.path().join("elsewhere/img.tar")).unwrap(),
        "the archives are the same bytes"
    );
    assert_eq!(j1["image"], "tentacular-engine:latest");
    assert_eq!(j1["layers"], 2);
    assert_eq!(j1["engine"]["static"], false);
    assert_eq!(j1["dest"]["kind"], "oci-archive");
    assert_eq!(j1["push"], Value::Null);
    assert_eq!(j1["baseImageFile"], Value::Null);

    // Without --push or --dest: an OCI layout under .tentacular/ of the workflow directory.
    let r3 = tntc(&a, &["build", "--base", &base, "--revision", "r1"]);
    assert_eq!(r3.code(), 0, "{}", r3.transcript());
    assert!(
        r3.stdout().contains(j1["digest"].as_str().unwrap()),
        "{}",
        r3.stdout()
    );
    assert!(a.join(".tentacular/image/index.json").is_file());
    assert!(
        !a.join(".tentacular/base-image.txt").exists(),
        "nothing was pushed"
    );
}

#[test]
fn push_writes_base_image_txt_which_deploy_uses_and_a_second_push_sends_nothing() {
    if !have(&["docker-registry"]) {
        return;
    }
    let reg = Registry::start();
    let t = tempdir();
    let base = tiny_base(t.path());
    let wf = word_counter(t.path());
    let args = [
        "-o",
        "json",
        "build",
        wf.to_str().unwrap(),
        "--base",
        &base,
        "--push",
        "-r",
        &reg.addr,
        "-t",
        "tentacular-engine:ci",
        "--insecure-registry",
    ];
    let run = tntc(t.path(), &args);
    assert_eq!(
        run.code(),
        0,
        "{}\nregistry log:\n{}",
        run.transcript(),
        reg.log()
    );
    let j = run.json();
    let pinned = j["push"]["pinned"].as_str().unwrap().to_string();
    assert_eq!(
        pinned,
        format!(
            "{}/tentacular-engine@{}",
            reg.addr,
            j["digest"].as_str().unwrap()
        )
    );
    assert_eq!(j["image"], format!("{}/tentacular-engine:ci", reg.addr));
    assert!(
        j["push"]["uploadedBytes"].as_u64().unwrap() > 1_000_000,
        "{j}"
    );
    let file = wf.join(".tentacular/base-image.txt");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        format!("{pinned}\n")
    );

    let again = tntc(t.path(), &args);
    assert_eq!(again.code(), 0, "{}", again.transcript());
    let j2 = again.json();
    assert_eq!(j2["digest"], j["digest"]);
    assert_eq!(j2["push"]["uploadedBytes"], 0, "{j2}");
    assert!(
        j2["push"]["blobs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["outcome"] == "existed"),
        "{j2}"
    );

    // The base itself from the registry: named in the manifest's annotations.
    let base_ref = format!("{}/base:tiny", reg.addr);
    let opts = tentacular_image::registry::RegistryOptions {
        insecure: true,
        credentials: tentacular_image::registry::Credentials::Anonymous,
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(
        tentacular_image::registry::Remote::new(&base_ref, &opts)
            .unwrap()
            .push(
                &base::glibc_base_for(&engine_binary()),
                &tentacular_image::progress::Silent,
            ),
    )
    .unwrap();
    let lay = t.path().join("from-registry");
    let run = tntc(
        t.path(),
        &[
            "-o",
            "json",
            "build",
            "--base",
            &base_ref,
            "--insecure-registry",
            "--dest",
            &format!("oci-dir:{}", lay.display()),
        ],
    );
    assert_eq!(run.code(), 0, "{}", run.transcript());
    let from_reg = tentacular_image::layout::read_dir(&lay, None, engine_platform()).unwrap();
    let notes = &from_reg.manifest().annotations;
    assert_eq!(
        notes.get("org.opencontainers.image.base.name"),
        Some(&base_ref),
        "{notes:?}"
    );

    // `tntc deploy` picks the pushed image from base-image.txt.
    let deploy = tntc(
        t.path(),
        &[
            "-o",
            "json",
            "deploy",
            wf.to_str().unwrap(),
            "--dry-run",
            "-n",
            "wf",
        ],
    );
    assert_eq!(deploy.code(), 0, "{}", deploy.transcript());
    let text = deploy.stdout();
    assert!(text.contains(&format!("\"image\": \"{pinned}\"")), "{text}");
}

#[test]
fn credentials_come_from_the_docker_config_or_the_password_on_stdin() {
    if !have(&["docker-registry"]) {
        return;
    }
    let reg = Registry::start_with_user("ci", "s3cret");
    let t = tempdir();
    let base = tiny_base(t.path());
    let args = |tag: &str| {
        vec![
            "-o".to_string(),
            "json".into(),
            "build".into(),
            "--base".into(),
            base.clone(),
            "--push".into(),
            "-t".into(),
            format!("{}/e:{tag}", reg.addr),
            "--insecure-registry".into(),
        ]
    };

    let empty = tempdir();
    let denied = command(
        t.path(),
        &args("a").iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .env("DOCKER_CONFIG", empty.path())
    .output()
    .unwrap();
    assert_eq!(denied.status.code(), Some(1));
    // With -o json the error is a JSON object on stdout.
    let err: serde_json::Value = serde_json::from_slice(&denied.stdout).unwrap();
    let message = err["error"]["message"].as_str().unwrap();
    assert!(message.contains(&format!("{}/e:a", reg.addr)), "{err}");

    let cfg = tempdir();
    std::fs::write(
        cfg.path().join("config.json"),
        format!(
            r#"{{"auths":{{"{}":{{"auth":"Y2k6czNjcmV0"}}}}}}"#,
            reg.addr
        ),
    )
    .unwrap();
    let ok = command(
        t.path(),
        &args("b").iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .env("DOCKER_CONFIG", cfg.path())
    .output()
    .unwrap();
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );

    let mut with_user = args("c");
    with_user.extend([
        "--username".to_string(),
        "ci".into(),
        "--password-stdin".into(),
    ]);
    let mut child = command(
        t.path(),
        &with_user.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .env("DOCKER_CONFIG", empty.path())
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"s3cret\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn mistakes_are_explained() {
    let t = tempdir();
    let base = tiny_base(t.path());
    let cases: &[(&[&str], &str)] = &[
        (
            &["build", "--push", "--base", "scratch"],
            "--push needs a registry",
        ),
        (
            &["build", "--dest", "tarball:x"],
            "unknown kind \"tarball\"",
        ),
        (
            &["build", "--engine", "/no/such/engine"],
            "cannot read /no/such/engine",
        ),
        (&["build", "--base", "scratch"], "is dynamically linked"),
        (&["build", "--base", "./missing-layout"], "does not exist"),
        (
            &[
                "build",
                "--base",
                &base,
                "--push",
                "-t",
                "registry.example.com/e:1",
                "--insecure-registry",
            ],
            "only to a registry on loopback",
        ),
    ];
    let other = if cfg!(target_arch = "x86_64") {
        "linux/arm64"
    } else {
        "linux/amd64"
    };
    let mismatch = ["build", "--platform", other, "--base", base.as_str()];
    for (args, want) in cases
        .iter()
        .copied()
        .chain([(&mismatch[..], "does not match the engine binary")])
    {
        let run = tntc(t.path(), args);
        assert_eq!(run.code(), 1, "{}", run.transcript());
        assert!(
            run.stderr().contains(want),
            "{}\nwanted: {want}",
            run.transcript()
        );
    }
    let run = tntc(t.path(), &["build", "--platform", "linux/s390x"]);
    assert_eq!(run.code(), 2, "a usage error: {}", run.transcript());
    assert!(
        run.stderr().contains("use linux/amd64 or linux/arm64"),
        "{}",
        run.transcript()
    );
}
