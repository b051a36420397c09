//! `tntc secrets check|init`.

use crate::support::{digest_workflow, golden, tempdir, tntc, write};

#[test]
fn check_reports_missing_then_provisioned() {
    let t = tempdir();
    let wf = digest_workflow(t.path(), "wf");
    let run = tntc(t.path(), &["secrets", "check", "wf"]);
    assert_eq!(run.code(), 1);
    golden("secrets-check-missing.txt", &run.transcript());

    write(
        &wf.join(".secrets.yaml"),
        "github:\n  token: ghp_x\n  webhook_secret: hook-signing-key\nslack:\n  webhook_url: \"\"\n",
    );
    write(&wf.join(".secrets/anthropic"), "{\"api_key\": \"sk-x\"}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            wf.join(".secrets.yaml"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
    }
    let run = tntc(t.path(), &["-o", "json", "secrets", "check", "wf"]);
    assert_eq!(run.code(), 1, "slack.webhook_url is empty");
    let v = run.json();
    let status: Vec<(&str, &str)> = v["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["secret"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        status,
        [
            ("anthropic", "provisioned"),
            ("github.token", "provisioned"),
            ("github.webhook_secret", "provisioned"),
            ("slack.webhook_url", "empty")
        ]
    );
    assert!(
        !run.stdout().contains("ghp_x") && !run.stdout().contains("sk-x"),
        "values never shown"
    );

    // A value left as the example's `replace-me` is not provisioned.
    write(
        &wf.join(".secrets.yaml"),
        "github:\n  token: \"replace-me\"\n  webhook_secret: hook-signing-key\nslack:\n  webhook_url: https://hooks.example/x\n",
    );
    let run = tntc(t.path(), &["-o", "json", "secrets", "check", "wf"]);
    assert_eq!(run.code(), 1, "{}", run.transcript());
    assert_eq!(run.json()["secrets"][1]["status"], "placeholder");
    let run = tntc(t.path(), &["secrets", "check", "wf"]);
    assert!(
        run.stdout().contains("github.token           placeholder"),
        "{}",
        run.stdout()
    );
    assert!(
        run.stderr().contains("1 secret not provisioned"),
        "{}",
        run.stderr()
    );

    write(
        &wf.join(".secrets.yaml"),
        "github:\n  token: ghp_x\n  webhook_secret: hook-signing-key\nslack:\n  webhook_url: https://hooks.example/x\n",
    );
    let run = tntc(t.path(), &["secrets", "check", "wf"]);
    assert_eq!(run.code(), 0, "{}", run.transcript());
    assert!(!run.stdout().contains("ghp_x"));
}

#[test]
fn init_copies_the_example_uncommented_with_mode_600() {
    let t = tempdir();
    assert_eq!(tntc(t.path(), &["init", "wf"]).code(), 0);
    let run = tntc(t.path(), &["secrets", "init", "wf"]);
    assert_eq!(run.code(), 0, "{}", run.transcript());
    let text = std::fs::read_to_string(t.path().join("wf/.secrets.yaml")).unwrap();
    // The scaffold uses no secrets, so its example provisions none (only `##` comments).
    assert!(
        text.lines().all(|l| l.is_empty() || l.starts_with("##")),
        "{text}"
    );
    assert!(text.starts_with("## Secrets"), "{text}");
    let run = tntc(t.path(), &["secrets", "check", "wf"]);
    assert_eq!(run.code(), 0, "{}", run.transcript());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(t.path().join("wf/.secrets.yaml"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Refuses to overwrite, unless --force.
    let run = tntc(t.path(), &["secrets", "init", "wf"]);
    assert_eq!(run.code(), 1);
    assert!(run.stderr().contains("already exists; use --force"));
    assert_eq!(
        tntc(t.path(), &["secrets", "init", "wf", "--force"]).code(),
        0
    );
}

#[test]
fn init_without_example_uses_the_contract() {
    let t = tempdir();
    let wf = digest_workflow(t.path(), "wf");
    let run = tntc(t.path(), &["secrets", "init", "wf"]);
    assert_eq!(run.code(), 0, "{}", run.transcript());
    golden("secrets-init-contract.txt", &run.transcript());
    let text = std::fs::read_to_string(wf.join(".secrets.yaml")).unwrap();
    assert!(
        text.contains(
            "github:\n  token: \"\"\n  webhook_secret: \"\"\nslack:\n  webhook_url: \"\"\n"
        ),
        "{text}"
    );
}
