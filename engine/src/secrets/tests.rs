use std::fs;

use super::*;

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn no_mount(dir: &Path) -> SecretsSource {
    SecretsSource::for_workflow(dir).with_mount_dir(None)
}

#[test]
fn directory_format() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join(".secrets");
    write(&d.join("github"), "{\"token\": \"ghp_x\", \"n\": 5}");
    write(&d.join("slack"), "  https://hooks.example/abc \n");
    write(&d.join("list"), "[1, 2]");
    write(&d.join(".hidden"), "{\"x\": \"y\"}");
    fs::create_dir_all(d.join("subdir")).unwrap();
    let s = no_mount(t.path()).load().unwrap();
    assert_eq!(s.get("github", "token").unwrap().expose(), "ghp_x");
    assert_eq!(s.get("github", "n").unwrap().expose(), "5");
    assert_eq!(
        s.get("slack", "value").unwrap().expose(),
        "https://hooks.example/abc"
    );
    assert_eq!(s.get("list", "value").unwrap().expose(), "[1, 2]");
    assert_eq!(
        s.services().collect::<Vec<_>>(),
        ["github", "list", "slack"]
    );
}

#[cfg(unix)]
#[test]
fn kubernetes_symlinked_volume() {
    // Secret volumes look like: github -> ..data/github, ..data -> ..2024_01_01/
    let t = tempfile::tempdir().unwrap();
    let m = t.path().join("mount");
    write(
        &m.join("..2024_01_01").join("github"),
        "{\"token\": \"from-k8s\"}",
    );
    std::os::unix::fs::symlink("..2024_01_01", m.join("..data")).unwrap();
    std::os::unix::fs::symlink("..data/github", m.join("github")).unwrap();
    let s = SecretsSource {
        explicit: None,
        workflow_dir: None,
        mount_dir: Some(m),
        service_account_dir: None,
    }
    .load()
    .unwrap();
    assert_eq!(s.services().collect::<Vec<_>>(), ["github"]);
    assert_eq!(s.get("github", "token").unwrap().expose(), "from-k8s");
}

#[cfg(unix)]
#[test]
fn links_that_leave_the_secrets_directory_are_refused() {
    let t = tempfile::tempdir().unwrap();
    let outside = t.path().join("outside.txt");
    write(&outside, "not a secret of this workflow");
    type Target<'a> = &'a dyn Fn(&Path) -> std::path::PathBuf;
    let cases: [(&str, Target); 3] = [
        ("absolute link", &|_| "/etc/passwd".into()),
        ("relative link up", &|_| "../../outside.txt".into()),
        ("link through a link dir", &|d: &Path| {
            std::os::unix::fs::symlink(t.path(), d.join("..escape")).unwrap();
            "..escape/outside.txt".into()
        }),
    ];
    for (name, target) in cases {
        let wf = tempfile::tempdir_in(t.path()).unwrap();
        let dir = wf.path().join(".secrets");
        std::fs::create_dir_all(&dir).unwrap();
        let to = target(&dir);
        std::os::unix::fs::symlink(&to, dir.join("stolen")).unwrap();
        let err = no_mount(wf.path()).load().unwrap_err().to_string();
        assert!(
            err.contains("outside the secrets directory"),
            "{name}: {err}"
        );
        assert!(err.contains("stolen"), "{name}: {err}");
        assert!(
            !err.contains("not a secret of this workflow"),
            "{name}: {err}"
        );
    }
}

#[test]
fn cascade_yaml_over_dir_and_mount_over_all_shallow_per_service() {
    let t = tempfile::tempdir().unwrap();
    let wf = t.path().join("wf");
    write(
        &wf.join(".secrets/github"),
        "{\"token\": \"dir\", \"extra\": \"dir-only\"}",
    );
    write(&wf.join(".secrets/slack"), "{\"webhook_url\": \"dir\"}");
    write(
        &wf.join(".secrets.yaml"),
        "github:\n  token: yaml\nanthropic:\n  api_key: yaml\n  n: 3\n  nested: {a: 1}\n",
    );
    let mount = t.path().join("mount");
    write(&mount.join("anthropic"), "{\"api_key\": \"mount\"}");
    let s = SecretsSource::for_workflow(&wf)
        .with_mount_dir(Some(mount.clone()))
        .load()
        .unwrap();
    // Shallow: yaml's github replaces the directory's github whole.
    assert_eq!(s.get("github", "token").unwrap().expose(), "yaml");
    assert!(s.get("github", "extra").is_none());
    assert_eq!(s.get("slack", "webhook_url").unwrap().expose(), "dir");
    assert_eq!(s.get("anthropic", "api_key").unwrap().expose(), "mount");
    assert!(s.get("anthropic", "n").is_none());
    assert_eq!(
        s.source_of("anthropic"),
        Some(mount.join("anthropic").as_path())
    );
    assert_eq!(
        s.source_of("github"),
        Some(wf.join(".secrets.yaml").as_path())
    );

    let only_yaml = no_mount(&wf);
    let s = only_yaml.load().unwrap();
    assert_eq!(s.get("anthropic", "n").unwrap().expose(), "3");
    assert_eq!(
        s.get("anthropic", "nested").unwrap().expose(),
        "{\"a\":\"1\"}"
    );
}

#[test]
fn explicit_path_is_the_only_local_source() {
    let t = tempfile::tempdir().unwrap();
    write(
        &t.path().join(".secrets.yaml"),
        "github: {token: ignored}\n",
    );
    let f = t.path().join("other.yaml");
    write(&f, "github: {token: explicit}\n");
    let s = SecretsSource::explicit(&f)
        .with_mount_dir(None)
        .load()
        .unwrap();
    assert_eq!(s.get("github", "token").unwrap().expose(), "explicit");

    let dir = t.path().join("dir");
    write(&dir.join("github"), "{\"token\": \"from-dir\"}");
    let s = SecretsSource::explicit(&dir)
        .with_mount_dir(None)
        .load()
        .unwrap();
    assert_eq!(s.get("github", "token").unwrap().expose(), "from-dir");

    let missing = SecretsSource::explicit(t.path().join("nope")).with_mount_dir(None);
    assert!(matches!(
        missing.load(),
        Err(Error::SecretsPathMissing { .. })
    ));
}

#[test]
fn missing_sources_are_empty() {
    let t = tempfile::tempdir().unwrap();
    let s = SecretsSource::for_workflow(t.path())
        .with_mount_dir(Some(t.path().join("no-such-mount")))
        .load()
        .unwrap();
    assert!(s.is_empty());
    write(&t.path().join(".secrets.yaml"), "# nothing yet\n");
    assert!(no_mount(t.path()).load().unwrap().is_empty());
}

#[test]
fn bad_yaml_reports_position_without_values() {
    let t = tempfile::tempdir().unwrap();
    write(
        &t.path().join(".secrets.yaml"),
        "github:\n  token: s3cr3t-value\n bad: [\n",
    );
    let err = no_mount(t.path()).load().unwrap_err();
    let shown = err.to_string();
    assert!(shown.contains(".secrets.yaml:3:"), "{shown}");
    assert!(!shown.contains("s3cr3t"), "{shown}");

    write(&t.path().join(".secrets.yaml"), "- a\n- b\n");
    let shown = no_mount(t.path()).load().unwrap_err().to_string();
    assert!(shown.contains("must be a mapping of services"), "{shown}");
}

#[test]
fn debug_and_display_never_show_values() {
    let mut s = Secrets::new();
    s.insert("github", "token", SecretValue::new("ghp_supersecret"));
    let shown = format!(
        "{s:?} {s} {:?} {}",
        s.get("github", "token").unwrap(),
        s.get("github", "token").unwrap()
    );
    assert!(!shown.contains("supersecret"), "{shown}");
    assert!(shown.contains("github"), "{shown}");
    assert_eq!(s.to_string(), "github.token");
    let r = SecretRef::new("github.token").unwrap();
    assert_eq!(s.resolve(&r).unwrap().expose(), "ghp_supersecret");
}

#[test]
fn from_fixture_json() {
    let s =
        Secrets::from_json(&serde_json::json!({"github": {"token": "t", "n": 1}, "slack": "url"}))
            .unwrap();
    assert_eq!(s.get("github", "n").unwrap().expose(), "1");
    assert_eq!(s.get("slack", "value").unwrap().expose(), "url");
    assert_eq!(
        s.to_exposed_json(),
        serde_json::json!({"github": {"n": "1", "token": "t"}, "slack": {"value": "url"}})
    );
    assert!(Secrets::from_json(&serde_json::json!([1])).is_err());
}

#[test]
fn legacy_reference_scan() {
    let src = r#"
const token = ctx.secrets?.github?.token;
const k = ctx.secrets.anthropic.api_key;
const u = ctx.secrets["slack"].webhook_url;
const all = ctx.secrets;
"#;
    let found: Vec<String> = legacy_references(src).into_iter().collect();
    assert_eq!(found, ["anthropic", "github", "slack"]);
}
