//! The Kubernetes commands: `deploy --dry-run` (no cluster), error messages when no cluster
//! is reachable, and — with `TENTACULAR_TEST_KUBECONFIG` (testenv/start.sh) — deploy, list,
//! status and undeploy against a real API server. `cluster`, `audit`, `run` and `configure`
//! have their own modules.

use std::path::{Path, PathBuf};

use crate::support::{
    admin_kubeconfig, install_namespace, tempdir, tntc_env, unique_namespace, word_counter, write,
};

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
    assert!((o.code() == 0), "stderr: {}", o.stderr());
    let v = o.json();
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
    assert!((o.code() == 0), "stderr: {}", o.stderr());
    let out = o.stdout();
    assert!(out.starts_with("---\n"), "{out}");
    assert!(out.contains("kind: Deployment"));
    assert!(!out.contains("runtimeClassName"), "{out}");
    assert!(o.stderr().contains("warning:"), "{}", o.stderr());
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
        vec!["audit", wc.to_str().unwrap()],
        vec!["cluster", "install"],
        vec!["cluster", "profile"],
    ] {
        let o = tntc_env(tmp.path(), Some(&kc), &args);
        let err = o.stderr();
        assert_eq!(o.code(), 1, "{args:?}: {err}");
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
    assert_eq!(o.code(), 1);
    assert!(
        o.stderr()
            .contains("cannot reach the Kubernetes API server")
    );
}

#[test]
fn cluster_check_reports_an_unreachable_api_as_a_failed_check() {
    let tmp = tempdir();
    let kc = unreachable_kubeconfig(tmp.path());
    let o = tntc_env(tmp.path(), Some(&kc), &["cluster", "check"]);
    assert_eq!(o.code(), 1, "{}", o.transcript());
    let out = o.stdout();
    assert!(
        out.contains("✗ Kubernetes API reachable: cannot reach"),
        "{out}"
    );
    assert!(out.contains("→ check the kubeconfig/context"), "{out}");
    assert!(
        o.stderr()
            .contains("cluster check failed: 1 failed check (Kubernetes API reachable)"),
        "{}",
        o.stderr()
    );
    // -o json: the report on stdout, nothing on stderr, exit 1; the other checks are skipped.
    let o = tntc_env(tmp.path(), Some(&kc), &["cluster", "check", "-o", "json"]);
    assert_eq!(o.code(), 1);
    assert!(o.stderr().is_empty(), "{}", o.stderr());
    let v = o.json();
    assert_eq!(v["passed"], false);
    assert_eq!(v["checks"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["checks"][0]["status"], "fail");
}

#[test]
fn undeploy_without_tty_or_yes_refuses() {
    let tmp = tempdir();
    let kc = unreachable_kubeconfig(tmp.path());
    let o = tntc_env(tmp.path(), Some(&kc), &["undeploy", "word-counter"]);
    assert_eq!(o.code(), 1);
    assert!(o.stderr().contains("pass -y"), "{}", o.stderr());
}

#[test]
fn real_cluster_deploy_list_status_undeploy() {
    let Some(kc) = admin_kubeconfig("real_cluster_deploy_list_status_undeploy") else {
        return;
    };
    let tmp = tempdir();
    let ns = unique_namespace("deploy");
    let wc = word_counter();
    let wcs = wc.to_str().unwrap();
    let run = |args: &[&str]| {
        let o = tntc_env(tmp.path(), Some(&kc), args);
        assert!(
            o.code() == 0,
            "{args:?}\nstdout: {}\nstderr: {}",
            o.stdout(),
            o.stderr()
        );
        o
    };
    install_namespace(tmp.path(), &kc, &ns);
    let o = run(&["deploy", wcs, "-n", &ns, "-o", "json"]);
    let v = o.json();
    assert!(
        v["objects"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["action"] == "created"),
        "{v}"
    );
    let o = run(&["deploy", wcs, "-n", &ns, "-o", "json"]);
    let v = o.json();
    assert_eq!(v["changed"], false, "{v}");
    let o = run(&["list", "-n", &ns, "-o", "json"]);
    let v = o.json();
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
    let v = o.json();
    assert_eq!(v["name"], "word-counter", "{v}");
    let o = run(&["undeploy", "word-counter", "-n", &ns, "-y", "-o", "json"]);
    let v = o.json();
    assert!(!v["deleted"].as_array().unwrap().is_empty(), "{v}");
    let o = run(&["list", "-n", &ns]);
    assert!(o.stdout().contains("No workflows found"));
    let o = tntc_env(
        tmp.path(),
        Some(&kc),
        &["status", "word-counter", "-n", &ns],
    );
    assert_eq!(o.code(), 1);
    assert!(o.stderr().contains("is not deployed in namespace"));
}
