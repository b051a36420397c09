//! `tntc configure`: the user and project files in a temporary HOME (the real ~/.tentacular is
//! never touched), and how other commands resolve what it wrote.

use std::path::Path;

use crate::support::{Run, command, tempdir, word_counter, write};

/// Runs tntc in `cwd` with HOME=`home`, no KUBECONFIG, and `$TENTACULAR_ENV` as given.
fn tntc_at(cwd: &Path, home: &Path, tentacular_env: Option<&str>, args: &[&str]) -> Run {
    let mut c = command(cwd, args);
    c.env("HOME", home).env_remove("KUBECONFIG");
    match tentacular_env {
        Some(e) => c.env("TENTACULAR_ENV", e),
        None => c.env_remove("TENTACULAR_ENV"),
    };
    Run {
        args: args.iter().map(|s| s.to_string()).collect(),
        output: c.output().expect("tntc runs"),
    }
}

/// Namespace, image and runtime class (`-` for none) that `deploy --dry-run` resolves.
fn resolved(cwd: &Path, home: &Path, env: Option<&str>, extra: &[&str]) -> [String; 3] {
    let wc = word_counter();
    let mut args = vec!["deploy", wc.to_str().unwrap(), "--dry-run", "-o", "json"];
    args.extend_from_slice(extra);
    let run = tntc_at(cwd, home, env, &args);
    assert_eq!(run.code(), 0, "{}", run.transcript());
    let v = run.json();
    let d = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "Deployment")
        .unwrap()
        .clone();
    let pod = &d["spec"]["template"]["spec"];
    [
        d["metadata"]["namespace"].as_str().unwrap().to_string(),
        pod["containers"][0]["image"].as_str().unwrap().to_string(),
        pod["runtimeClassName"].as_str().unwrap_or("-").to_string(),
    ]
}

#[test]
fn configure_round_trip_in_a_temporary_home() {
    let (home, project) = (tempdir(), tempdir());
    let (h, p) = (home.path(), project.path());
    let ok = |args: &[&str]| {
        let r = tntc_at(p, h, None, args);
        assert_eq!(r.code(), 0, "{}", r.transcript());
        r
    };
    let user_file = h.join(".tentacular/config.yaml");
    let project_file = p.join(".tentacular/config.yaml");
    // A key this version does not know survives rewrites.
    write(&user_file, "future_key: keep me\n");

    let o = ok(&["configure", "-n", "team", "--registry", "reg.example"]);
    assert_eq!(
        o.stdout(),
        format!(
            "✓ Configuration saved to {}\nregistry: reg.example\nnamespace: team\nfuture_key: keep me\n",
            user_file.display()
        )
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&user_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // An environment; a relative kubeconfig is stored absolute (against the current dir).
    write(&p.join("dev.kubeconfig"), "apiVersion: v1\nkind: Config\n");
    let o = ok(&[
        "configure",
        "--env",
        "dev",
        "--kubeconfig",
        "dev.kubeconfig",
        "--context",
        "dev-admin",
        "-n",
        "wf-dev",
        "--image",
        "reg.example/tentacular-engine:0.1.0",
        "--runtime-class",
        "none",
        "-o",
        "json",
    ]);
    assert!(o.stderr().is_empty(), "{}", o.stderr());
    let v = o.json();
    assert_eq!(v["path"], user_file.to_str().unwrap());
    let cfg = &v["config"];
    assert_eq!(cfg["future_key"], "keep me");
    assert_eq!(cfg["namespace"], "team");
    let dev = &cfg["environments"]["dev"];
    assert_eq!(
        dev["kubeconfig"],
        p.join("dev.kubeconfig").to_str().unwrap()
    );
    assert_eq!(dev["context"], "dev-admin");
    assert_eq!(dev["namespace"], "wf-dev");
    assert_eq!(dev["image"], "reg.example/tentacular-engine:0.1.0");
    assert_eq!(dev["runtime_class"], "none");
    assert!(!project_file.exists());

    // A kubeconfig that does not exist is stored, with a warning.
    let o = ok(&["configure", "--env", "stage", "--kubeconfig", "~/nope.yaml"]);
    assert!(
        o.stderr().contains("warning: kubeconfig ")
            && o.stderr().contains("nope.yaml does not exist"),
        "{}",
        o.stderr()
    );

    // --project writes ./.tentacular/config.yaml with only what was set.
    ok(&["configure", "--project", "--env", "dev", "-n", "wf-proj"]);
    assert_eq!(
        std::fs::read_to_string(&project_file).unwrap(),
        "environments:\n  dev:\n    namespace: wf-proj\n"
    );

    // Without flags: both files and the merge, the project winning field by field.
    let v = ok(&["configure", "-o", "json"]).json();
    assert_eq!(v["user"]["path"], user_file.to_str().unwrap());
    assert_eq!(v["user"]["exists"], true);
    assert_eq!(v["project"]["exists"], true);
    let dev = &v["config"]["environments"]["dev"];
    assert_eq!(dev["namespace"], "wf-proj");
    assert_eq!(dev["context"], "dev-admin");
    let text = ok(&["configure"]).stdout();
    assert!(text.contains("merged (project wins):"), "{text}");
    assert!(text.contains("    namespace: wf-proj\n"), "{text}");
}

#[test]
fn commands_resolve_what_configure_wrote() {
    let (home, project, elsewhere) = (tempdir(), tempdir(), tempdir());
    let (h, p, e) = (home.path(), project.path(), elsewhere.path());
    for args in [
        &["configure", "-n", "team", "--runtime-class", "none"][..],
        &[
            "configure",
            "--env",
            "dev",
            "-n",
            "wf-dev",
            "--image",
            "reg.example/engine:1",
            "--runtime-class",
            "gvisor",
        ],
        &["configure", "--project", "--env", "dev", "-n", "wf-proj"],
    ] {
        let r = tntc_at(p, h, None, args);
        assert_eq!(r.code(), 0, "{}", r.transcript());
    }
    let s = |v: [&str; 3]| v.map(str::to_string);
    // Outside the project: the user file only.
    assert_eq!(
        resolved(e, h, None, &[]),
        s(["team", "tentacular-engine:latest", "-"])
    );
    assert_eq!(
        resolved(e, h, None, &["--env", "dev"]),
        s(["wf-dev", "reg.example/engine:1", "gvisor"])
    );
    assert_eq!(
        resolved(e, h, Some("dev"), &[]),
        s(["wf-dev", "reg.example/engine:1", "gvisor"])
    );
    // -n beats the environment; --runtime-class beats both files.
    assert_eq!(
        resolved(
            e,
            h,
            Some("dev"),
            &["-n", "flag", "--runtime-class", "none"]
        ),
        s(["flag", "reg.example/engine:1", "-"])
    );
    // In the project: its namespace for `dev` wins, the rest comes from the user file.
    assert_eq!(
        resolved(p, h, Some("dev"), &[]),
        s(["wf-proj", "reg.example/engine:1", "gvisor"])
    );
    // An unknown environment is an error naming the defined ones.
    let wc = word_counter();
    let r = tntc_at(
        e,
        h,
        Some("prod"),
        &["deploy", wc.to_str().unwrap(), "--dry-run"],
    );
    assert_eq!(r.code(), 1, "{}", r.transcript());
    assert!(
        r.stderr().contains("\"prod\" is not defined"),
        "{}",
        r.stderr()
    );
    assert!(r.stderr().contains("defined: dev"), "{}", r.stderr());
}

#[test]
fn configure_usage_errors() {
    let home = tempdir();
    let h = home.path();
    // Environment-only flags need --env (usage error, exit 2).
    for flag in ["--kubeconfig", "--context", "--image"] {
        let o = tntc_at(h, h, None, &["configure", flag, "x"]);
        assert_eq!(o.code(), 2, "{}", o.transcript());
        assert!(o.stderr().contains("--env <NAME>"), "{}", o.stderr());
    }
    // --env alone sets nothing.
    let o = tntc_at(h, h, None, &["configure", "--env", "dev"]);
    assert_eq!(o.code(), 1, "{}", o.transcript());
    assert!(o.stderr().contains("nothing to set"), "{}", o.stderr());
    // An empty runtime class is rejected; `none` is the way to disable gVisor.
    let o = tntc_at(h, h, None, &["configure", "--runtime-class", ""]);
    assert_eq!(o.code(), 1, "{}", o.transcript());
    assert!(o.stderr().contains("use `none`"), "{}", o.stderr());
    assert!(!h.join(".tentacular/config.yaml").exists());
    // Without flags and files: both locations, "not present".
    let o = tntc_at(h, h, None, &["configure"]);
    assert_eq!(o.code(), 0, "{}", o.transcript());
    assert!(o.stdout().contains("(not present)"), "{}", o.stdout());
    assert!(o.stdout().contains("no configuration"), "{}", o.stdout());
}
