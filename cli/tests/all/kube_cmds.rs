//! The Kubernetes commands: `deploy --dry-run` (no cluster), error messages when no cluster
//! is reachable, and — with `TENTACULAR_TEST_KUBECONFIG` (testenv/start.sh) — deploy, list,
//! status and undeploy against a real API server.

use std::path::{Path, PathBuf};

use crate::support::{command, tempdir, write};

fn word_counter() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../example-workflows/word-counter")
}

/// Runs tntc with a hermetic HOME (no user config) and the given kubeconfig.
fn tntc_env(dir: &Path, kubeconfig: Option<&Path>, args: &[&str]) -> std::process::Output {
    let mut c = command(dir, args);
    c.env("HOME", dir).env_remove("TENTACULAR_ENV");
    match kubeconfig {
        Some(k) => c.env("KUBECONFIG", k),
        None => c.env_remove("KUBECONFIG"),
    };
    c.output().expect("tntc runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn deploy_dry_run_json_has_labels_and_hardening() {
    let tmp = tempdir();
    let wc = word_counter();
    let o = tntc_env(
        tmp.path(),
        None,
        &[
            "deploy",
            wc.to_str().unwrap(),
            "--dry-run",
            "-n",
            "demo",
            "-o",
            "json",
        ],
    );
    assert!(o.status.success(), "stderr: {}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let items = v["items"].as_array().unwrap();
    assert!(items.len() >= 4);
    let mut kinds = Vec::new();
    for item in items {
        assert_eq!(
            item["metadata"]["labels"]["app.kubernetes.io/managed-by"], "tentacular",
            "{item}"
        );
        assert_eq!(item["metadata"]["namespace"], "demo");
        kinds.push(item["kind"].as_str().unwrap().to_string());
    }
    for k in ["ConfigMap", "Service", "NetworkPolicy", "Deployment"] {
        assert!(kinds.iter().any(|x| x == k), "no {k} in {kinds:?}");
    }
    let code = items.iter().find(|i| i["kind"] == "ConfigMap").unwrap();
    let data = code["data"].as_object().unwrap();
    assert!(data.keys().any(|k| k.contains("workflow.yaml")), "{data:?}");
    assert!(data.keys().any(|k| k.contains("tokenize.ts")), "{data:?}");
    let d = items.iter().find(|i| i["kind"] == "Deployment").unwrap();
    let pod = &d["spec"]["template"]["spec"];
    assert_eq!(pod["runtimeClassName"], "gvisor");
    assert_eq!(pod["automountServiceAccountToken"], false);
    let c = &pod["containers"][0];
    let sc = &c["securityContext"];
    assert_eq!(sc["readOnlyRootFilesystem"], true);
    assert_eq!(sc["allowPrivilegeEscalation"], false);
    assert_eq!(sc["capabilities"]["drop"][0], "ALL");
}

#[test]
fn deploy_dry_run_yaml_and_runtime_class_none_warns() {
    let tmp = tempdir();
    let wc = word_counter();
    let o = tntc_env(
        tmp.path(),
        None,
        &[
            "deploy",
            wc.to_str().unwrap(),
            "--dry-run",
            "--runtime-class",
            "none",
        ],
    );
    assert!(o.status.success(), "stderr: {}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.starts_with("---\n"), "{out}");
    assert!(out.contains("kind: Deployment"));
    assert!(!out.contains("runtimeClassName"), "{out}");
    assert!(text(&o.stderr).contains("warning:"), "{}", text(&o.stderr));
}

fn unreachable_kubeconfig(dir: &Path) -> PathBuf {
    let p = dir.join("kubeconfig");
    write(
        &p,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: nowhere\n  cluster:\n    server: https://127.0.0.1:1\n    insecure-skip-tls-verify: true\nusers:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: nowhere\n  context: {cluster: nowhere, user: u, namespace: demo}\ncurrent-context: nowhere\n",
    );
    p
}

#[test]
fn commands_say_when_the_api_is_unreachable() {
    let tmp = tempdir();
    let kc = unreachable_kubeconfig(tmp.path());
    let wc = word_counter();
    for args in [
        vec!["deploy", wc.to_str().unwrap()],
        vec!["list"],
        vec!["status", "word-counter"],
        vec!["undeploy", "word-counter", "-y"],
    ] {
        let o = tntc_env(tmp.path(), Some(&kc), &args);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("cannot reach the Kubernetes API server at https://127.0.0.1:1"),
            "{args:?}: {err}"
        );
        assert!(err.contains("hint:"), "{args:?}: {err}");
    }
    // --kubeconfig works like KUBECONFIG.
    let o = tntc_env(
        tmp.path(),
        None,
        &["list", "--kubeconfig", kc.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("cannot reach the Kubernetes API server"));
}

#[test]
fn undeploy_without_tty_or_yes_refuses() {
    let tmp = tempdir();
    let kc = unreachable_kubeconfig(tmp.path());
    let o = tntc_env(tmp.path(), Some(&kc), &["undeploy", "word-counter"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("pass -y"), "{}", text(&o.stderr));
}

#[test]
fn real_cluster_deploy_list_status_undeploy() {
    let Some(kc) = std::env::var_os("TENTACULAR_TEST_KUBECONFIG") else {
        eprintln!(
            "SKIP real_cluster_deploy_list_status_undeploy: TENTACULAR_TEST_KUBECONFIG is not set \
             (testenv/start.sh && source testenv/.state/env)"
        );
        return;
    };
    let kc = PathBuf::from(kc);
    let tmp = tempdir();
    let ns = format!(
        "tntc-cli-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
            % 100_000
    );
    let wc = word_counter();
    let wcs = wc.to_str().unwrap();
    let run = |args: &[&str]| {
        let o = tntc_env(tmp.path(), Some(&kc), args);
        assert!(
            o.status.success(),
            "{args:?}\nstdout: {}\nstderr: {}",
            text(&o.stdout),
            text(&o.stderr)
        );
        o
    };
    create_namespace(&kc, &ns);
    let o = run(&["deploy", wcs, "-n", &ns, "-o", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["objects"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["action"] == "created"),
        "{v}"
    );
    let o = run(&["deploy", wcs, "-n", &ns, "-o", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["changed"], false, "{v}");
    let o = run(&["list", "-n", &ns, "-o", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["name"], "word-counter", "{v}");
    let o = run(&[
        "status",
        "word-counter",
        "-n",
        &ns,
        "--detail",
        "-o",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["name"], "word-counter", "{v}");
    let o = run(&["undeploy", "word-counter", "-n", &ns, "-y", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(!v["deleted"].as_array().unwrap().is_empty(), "{v}");
    let o = run(&["list", "-n", &ns]);
    assert!(text(&o.stdout).contains("No workflows found"));
    let o = tntc_env(
        tmp.path(),
        Some(&kc),
        &["status", "word-counter", "-n", &ns],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("is not deployed in namespace"));
}

/// Creates the namespace with the kube crate's `cluster check` fix.
fn create_namespace(kc: &Path, ns: &str) {
    use tentacular_kube::cluster::{CheckOptions, Cluster, Target};
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let c = Cluster::connect(&Target {
            kubeconfig: Some(kc.to_path_buf()),
            context: None,
        })
        .await
        .unwrap();
        let mut opts = CheckOptions::new(ns);
        opts.fix = true;
        c.check(&opts).await.unwrap();
    });
}
