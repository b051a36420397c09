//! `tntc cluster check|install|profile` against the real API server of testenv/ (each test
//! SKIPs without `TENTACULAR_TEST_KUBECONFIG`). Every test uses its own namespace.

use tentacular_kube::cluster::required_permissions;

use crate::support::{
    admin_kubeconfig, digest_workflow, golden, install_namespace, normalize, restricted_kubeconfig,
    tempdir, tntc_env, unique_namespace, write,
};

/// The API server URL of a kubeconfig (for normalizing goldens).
fn server(kubeconfig: &std::path::Path) -> String {
    let text = std::fs::read_to_string(kubeconfig).unwrap();
    let url = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("server: "))
        .expect("a server in the kubeconfig")
        .trim()
        .trim_end_matches('/');
    format!("{url}/")
}

#[test]
fn install_is_idempotent_and_check_then_passes() {
    let Some(kc) = admin_kubeconfig("install_is_idempotent_and_check_then_passes") else {
        return;
    };
    let tmp = tempdir();
    let ns = unique_namespace("install");
    let mut first = None;
    for _ in 0..2 {
        let o = tntc_env(
            tmp.path(),
            Some(&kc),
            &["cluster", "install", "-n", &ns, "-o", "json"],
        );
        assert_eq!(o.code(), 0, "{}", o.transcript());
        let v = o.json();
        assert_eq!(v["namespace"], ns.as_str());
        assert_eq!(
            v["applied"],
            serde_json::json!(["RuntimeClass/gvisor", format!("Namespace/{ns}")])
        );
        // The second install reports exactly what the first did, and succeeds.
        if let Some(f) = &first {
            assert_eq!(f, &v);
        }
        first = Some(v);
    }
    let o = tntc_env(tmp.path(), Some(&kc), &["cluster", "install", "-n", &ns]);
    assert_eq!(o.code(), 0, "{}", o.transcript());
    assert!(o.stdout().contains("  applied RuntimeClass/gvisor\n"));
    assert!(o.stderr().contains("nodes where gVisor is installed"));

    let o = tntc_env(tmp.path(), Some(&kc), &["cluster", "check", "-n", &ns]);
    assert_eq!(o.code(), 0, "{}", o.transcript());
    let out = o.stdout();
    assert!(out.contains("✓ Kubernetes API reachable: v1.34"), "{out}");
    assert!(
        out.contains("✓ RuntimeClass \"gvisor\": handler runsc"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "✓ RBAC permissions: all {} permissions granted in namespace {ns}",
            required_permissions().len()
        )),
        "{out}"
    );
    assert!(!out.contains('✗') && !out.contains('⚠'), "{out}");
    assert!(
        out.contains(&format!(
            "✓ Cluster is ready for deployment to namespace {ns}"
        )),
        "{out}"
    );

    let o = tntc_env(
        tmp.path(),
        Some(&kc),
        &["cluster", "check", "-n", &ns, "-o", "json"],
    );
    assert_eq!(o.code(), 0, "{}", o.transcript());
    let v = o.json();
    assert_eq!(v["passed"], true);
    assert_eq!(v["namespace"], ns.as_str());
    let checks = v["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 5, "{v}");
    assert!(checks.iter().all(|c| c["status"] == "pass"), "{v}");
}

#[test]
fn install_with_a_deployer_service_account() {
    let Some(kc) = admin_kubeconfig("install_with_a_deployer_service_account") else {
        return;
    };
    let tmp = tempdir();
    let ns = unique_namespace("deployer");
    for _ in 0..2 {
        let o = tntc_env(
            tmp.path(),
            Some(&kc),
            &[
                "cluster",
                "install",
                "-n",
                &ns,
                "--deployer-sa",
                "ci",
                "--no-runtime-class",
                "-o",
                "json",
            ],
        );
        assert_eq!(o.code(), 0, "{}", o.transcript());
        assert_eq!(
            o.json()["applied"],
            serde_json::json!([
                format!("Namespace/{ns}"),
                "ServiceAccount/ci",
                "Role/tentacular-deployer",
                "Role/tentacular-deployer-api-server (namespace default)",
                "RoleBinding/tentacular-deployer-ci",
                format!("RoleBinding/tentacular-deployer-api-server-{ns}-ci (namespace default)"),
            ])
        );
    }
}

#[test]
fn check_fails_on_a_missing_namespace_and_fix_creates_it() {
    let Some(kc) = admin_kubeconfig("check_fails_on_a_missing_namespace_and_fix_creates_it") else {
        return;
    };
    let tmp = tempdir();
    let ns = unique_namespace("fix");
    let o = tntc_env(tmp.path(), Some(&kc), &["cluster", "check", "-n", &ns]);
    assert_eq!(o.code(), 1, "{}", o.transcript());
    let out = o.stdout();
    assert!(
        out.contains(&format!("✗ Namespace \"{ns}\": does not exist")),
        "{out}"
    );
    assert!(
        out.contains(&format!("→ `tntc cluster check --fix -n {ns}` creates it")),
        "{out}"
    );
    assert!(
        o.stderr().contains("cluster check failed:"),
        "{}",
        o.stderr()
    );
    assert!(
        o.stderr().contains(&format!("Namespace \"{ns}\"")),
        "{}",
        o.stderr()
    );

    let o = tntc_env(
        tmp.path(),
        Some(&kc),
        &["cluster", "check", "-n", &ns, "--fix"],
    );
    assert_eq!(o.code(), 0, "{}", o.transcript());
    assert!(
        o.stdout()
            .contains(&format!("✓ Namespace \"{ns}\": created (--fix)")),
        "{}",
        o.stdout()
    );
    let o = tntc_env(tmp.path(), Some(&kc), &["cluster", "check", "-n", &ns]);
    assert_eq!(o.code(), 0, "{}", o.transcript());
}

#[test]
fn a_missing_runtime_class_is_a_failure_with_the_fix_named() {
    let Some(kc) = admin_kubeconfig("a_missing_runtime_class_is_a_failure_with_the_fix_named")
    else {
        return;
    };
    let tmp = tempdir();
    let ns = unique_namespace("rc");
    install_namespace(tmp.path(), &kc, &ns);
    // A class nobody creates (the shared `gvisor` one is created by other tests).
    let class = "tntc-test-no-such-class";
    for fix in [false, true] {
        let mut args = vec!["cluster", "check", "-n", &ns, "--runtime-class", class];
        if fix {
            args.push("--fix");
        }
        let o = tntc_env(tmp.path(), Some(&kc), &args);
        assert_eq!(o.code(), 1, "{}", o.transcript());
        let out = o.stdout();
        assert!(
            out.contains(&format!(
                "✗ RuntimeClass \"{class}\": missing: the API server rejects pods that ask for it"
            )),
            "{out}"
        );
        assert!(
            out.contains("→ create the RuntimeClass (--fix creates only `gvisor`"),
            "{out}"
        );
        let err = o.stderr();
        assert!(
            err.contains(&format!(
                "cluster check failed: 1 failed check (RuntimeClass \"{class}\")"
            )),
            "{err}"
        );
        assert_eq!(err.contains("--fix created what it could"), fix, "{err}");
    }
    // `none` turns the check into a warning: the check passes.
    let o = tntc_env(
        tmp.path(),
        Some(&kc),
        &["cluster", "check", "-n", &ns, "--runtime-class", "none"],
    );
    assert_eq!(o.code(), 0, "{}", o.transcript());
    assert!(
        o.stdout()
            .contains("⚠ Runtime class: disabled: workflows run on the node's default runtime"),
        "{}",
        o.stdout()
    );
}

#[test]
fn check_with_a_workflow_expects_its_secret_unless_deploy_brings_it() {
    let Some(kc) =
        admin_kubeconfig("check_with_a_workflow_expects_its_secret_unless_deploy_brings_it")
    else {
        return;
    };
    let tmp = tempdir();
    let ns = unique_namespace("secret");
    install_namespace(tmp.path(), &kc, &ns);
    let wf = digest_workflow(tmp.path(), "digest");
    let args = [
        "cluster",
        "check",
        "-n",
        &ns,
        "--workflow",
        wf.to_str().unwrap(),
    ];
    let o = tntc_env(tmp.path(), Some(&kc), &args);
    assert_eq!(o.code(), 1, "{}", o.transcript());
    assert!(
        o.stdout().contains("✗ Secret \"digest-secrets\": missing"),
        "{}",
        o.stdout()
    );
    // With local secrets, deploy creates the Secret: nothing is expected in the cluster.
    write(
        &wf.join(".secrets.yaml"),
        "github:\n  token: t\nslack:\n  webhook_url: u\n",
    );
    let o = tntc_env(tmp.path(), Some(&kc), &args);
    assert_eq!(o.code(), 0, "{}", o.transcript());
}

#[test]
fn check_names_every_missing_verb_for_the_restricted_user() {
    let Some((kc, ns)) =
        restricted_kubeconfig("check_names_every_missing_verb_for_the_restricted_user")
    else {
        return;
    };
    let tmp = tempdir();
    let o = tntc_env(tmp.path(), Some(&kc), &["cluster", "check", "-n", &ns]);
    assert_eq!(o.code(), 1, "{}", o.transcript());
    let out = o.stdout();
    for want in [
        format!(
            "missing: create networkpolicies.networking.k8s.io in namespace {ns} (needed by deploy)"
        ),
        format!(
            "missing: delete networkpolicies.networking.k8s.io in namespace {ns} (needed by deploy, undeploy)"
        ),
        format!("missing: create cronjobs.batch in namespace {ns} (needed by deploy)"),
        format!("missing: create services/proxy in namespace {ns} (needed by run)"),
        format!("missing: get pods/log in namespace {ns} (needed by logs, run --via pod)"),
        format!("missing: create deployments.apps in namespace {ns} (needed by deploy)"),
    ] {
        assert!(out.contains(&want), "{want:?} not in\n{out}");
    }
    // It may get and list deployments: those are not reported.
    assert!(!out.contains("missing: get deployments.apps"), "{out}");
    assert!(!out.contains("missing: list deployments.apps"), "{out}");
    assert!(
        o.stderr()
            .contains("cluster check failed: 1 failed check (RBAC permissions)"),
        "{}",
        o.stderr()
    );
    golden(
        "cluster-check-restricted.txt",
        &normalize(&o.transcript(), &[(&server(&kc), "<server>/")]),
    );

    let o = tntc_env(
        tmp.path(),
        Some(&kc),
        &["cluster", "check", "-n", &ns, "-o", "json"],
    );
    assert_eq!(o.code(), 1);
    let v = o.json();
    assert_eq!(v["passed"], false);
    let rbac = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "RBAC permissions")
        .unwrap();
    assert_eq!(rbac["status"], "fail");
    assert_eq!(
        rbac["missing"].as_array().unwrap().len(),
        required_permissions().len() - 2,
        "{rbac}"
    );
}

#[test]
fn profile_json_shape_and_save() {
    let Some(kc) = admin_kubeconfig("profile_json_shape_and_save") else {
        return;
    };
    let tmp = tempdir();
    let ns = unique_namespace("profile");
    install_namespace(tmp.path(), &kc, &ns);
    let o = tntc_env(
        tmp.path(),
        Some(&kc),
        &["cluster", "profile", "-n", &ns, "-o", "json"],
    );
    assert_eq!(o.code(), 0, "{}", o.transcript());
    let v = o.json();
    golden("cluster-profile-shape.json", &shape(&v));
    assert!(
        v["k8sVersion"].as_str().unwrap().starts_with("v1.34"),
        "{v}"
    );
    assert_eq!(v["server"], server(&kc));
    assert_eq!(v["gvisor"], true);
    assert!(
        v["runtimeClasses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "gvisor" && r["handler"] == "runsc"),
        "{v}"
    );
    assert_eq!(v["namespace"]["name"], ns.as_str());
    assert_eq!(v["namespace"]["exists"], true);
    assert!(v.get("saved").is_none());

    let o = tntc_env(tmp.path(), Some(&kc), &["cluster", "profile", "-n", &ns]);
    assert_eq!(o.code(), 0, "{}", o.transcript());
    assert!(
        o.stdout().starts_with("# Cluster profile\n"),
        "{}",
        o.stdout()
    );
    assert!(o.stdout().contains("- gVisor RuntimeClass: yes"));

    // --save writes .tentacular/envprofiles/default.{md,json}; a fresh one is kept.
    let dir = tmp.path().join(".tentacular/envprofiles");
    let save = |extra: &[&str]| {
        let mut args = vec!["cluster", "profile", "-n", &ns, "--save", "-o", "json"];
        args.extend_from_slice(extra);
        let o = tntc_env(tmp.path(), Some(&kc), &args);
        assert_eq!(o.code(), 0, "{}", o.transcript());
        o.json()
    };
    let v = save(&[]);
    assert_eq!(v["saved"]["written"], true, "{v}");
    assert_eq!(
        v["saved"]["json"],
        dir.join("default.json").to_str().unwrap()
    );
    let md = std::fs::read_to_string(dir.join("default.md")).unwrap();
    assert!(md.starts_with("# Cluster profile"), "{md}");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("default.json")).unwrap()).unwrap();
    assert_eq!(saved["namespace"]["name"], ns.as_str());
    assert_eq!(save(&[])["saved"]["written"], false);
    assert_eq!(save(&["--force"])["saved"]["written"], true);
}

/// The value with every leaf and array replaced by its JSON type: what a golden file can pin
/// while versions, names, timestamps and the cluster's contents vary. The keys that are only
/// present when known (`cni`, `networkPolicyEnforced`) are checked here and left out.
fn shape(v: &serde_json::Value) -> String {
    fn walk(v: &serde_json::Value) -> serde_json::Value {
        use serde_json::Value as V;
        match v {
            V::Null => "null".into(),
            V::Bool(_) => "bool".into(),
            V::Number(_) => "number".into(),
            V::String(_) => "string".into(),
            V::Array(_) => "array".into(),
            V::Object(o) => V::Object(o.iter().map(|(k, v)| (k.clone(), walk(v))).collect()),
        }
    }
    let mut v = v.clone();
    let o = v.as_object_mut().unwrap();
    if let Some(cni) = o.remove("cni") {
        assert!(cni.is_string(), "{cni}");
    }
    if let Some(np) = o.remove("networkPolicyEnforced") {
        assert!(np.is_boolean(), "{np}");
    }
    let mut text = serde_json::to_string_pretty(&walk(&v)).unwrap();
    text.push('\n');
    text
}
