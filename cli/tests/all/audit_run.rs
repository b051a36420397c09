//! `tntc audit` and `tntc run` against the real API server of testenv/ (each test SKIPs without
//! `TENTACULAR_TEST_KUBECONFIG`). Every test uses its own namespace.
//!
//! testenv has no kubelet (kwok, when it runs, fakes one: pods run but no engine answers), so the
//! service proxy has no endpoint to reach and `run` can only be tested to fail clearly here. A successful run
//! through the proxy is covered by tentacular-kube's mock tests, `run --via pod` end to end by
//! its kwok-mode cluster tests.

use std::path::Path;

use crate::support::{
    admin_kubeconfig, golden, install_namespace, normalize, tempdir, tntc_env, unique_namespace,
    word_counter, write,
};

/// Runs a future on a small runtime with a client for `kubeconfig`.
fn with_client<F, Fut, T>(kubeconfig: &Path, f: F) -> T
where
    F: FnOnce(kube::Client) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    use tentacular_kube::cluster::{Cluster, Target};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = Cluster::connect(&Target {
            kubeconfig: Some(kubeconfig.to_path_buf()),
            context: None,
        })
        .await
        .unwrap();
        f(c.client().clone()).await
    })
}

/// Deletes a NetworkPolicy behind tntc's back.
fn delete_network_policy(kubeconfig: &Path, ns: &str, name: &str) {
    use k8s_openapi::api::networking::v1::NetworkPolicy;
    use kube::api::{Api, DeleteParams};
    with_client(kubeconfig, |client| async move {
        Api::<NetworkPolicy>::namespaced(client, ns)
            .delete(name, &DeleteParams::default())
            .await
            .expect("delete the NetworkPolicy");
    });
}

/// Names of the pods in `ns`.
fn pods(kubeconfig: &Path, ns: &str) -> Vec<String> {
    use k8s_openapi::api::core::v1::Pod;
    use kube::api::{Api, ListParams};
    with_client(kubeconfig, |client| async move {
        Api::<Pod>::namespaced(client, ns)
            .list_metadata(&ListParams::default())
            .await
            .expect("list pods")
            .items
            .into_iter()
            .filter_map(|p| p.metadata.name)
            .collect()
    })
}

#[test]
fn audit_passes_after_deploy_and_fails_once_the_network_policy_is_deleted() {
    let Some(kc) =
        admin_kubeconfig("audit_passes_after_deploy_and_fails_once_the_network_policy_is_deleted")
    else {
        return;
    };
    let tmp = tempdir();
    let ns = unique_namespace("audit");
    install_namespace(tmp.path(), &kc, &ns);
    let wc = word_counter();
    let wcs = wc.to_str().unwrap();
    let tntc = |args: &[&str]| tntc_env(tmp.path(), Some(&kc), args);

    // Not deployed yet: one clear error, not a list of missing objects.
    let o = tntc(&["audit", wcs, "-n", &ns]);
    assert_eq!(o.code(), 1, "{}", o.transcript());
    assert!(
        o.stderr().contains(&format!(
            "workflow \"word-counter\" is not deployed in namespace \"{ns}\""
        )),
        "{}",
        o.stderr()
    );

    let o = tntc(&["deploy", wcs, "-n", &ns]);
    assert_eq!(o.code(), 0, "{}", o.transcript());
    let o = tntc(&["audit", wcs, "-n", &ns]);
    assert_eq!(o.code(), 0, "{}", o.transcript());
    let out = o.stdout();
    assert!(
        out.contains("✓ NetworkPolicy word-counter-netpol: present; rules match the contract"),
        "{out}"
    );
    assert!(out.ends_with("Overall: pass\n"), "{out}");
    let o = tntc(&["audit", wcs, "-n", &ns, "-o", "json"]);
    assert_eq!(o.code(), 0, "{}", o.transcript());
    let v = o.json();
    assert_eq!(v["passed"], true);
    assert_eq!(v["name"], "word-counter");
    assert_eq!(v["namespace"], ns.as_str());
    assert_eq!(v["checks"].as_array().unwrap().len(), 5, "{v}");

    delete_network_policy(&kc, &ns, "word-counter-netpol");
    let o = tntc(&["audit", wcs, "-n", &ns]);
    assert_eq!(o.code(), 1, "{}", o.transcript());
    golden(
        "audit-netpol-deleted.txt",
        &normalize(&o.transcript(), &[(wcs, "<dir>"), (&ns, "<ns>")]),
    );
    let o = tntc(&["audit", wcs, "-n", &ns, "-o", "json"]);
    assert_eq!(o.code(), 1);
    assert!(o.stderr().is_empty(), "{}", o.stderr());
    let v = o.json();
    assert_eq!(v["passed"], false);
    let netpol = &v["checks"][0];
    assert_eq!(netpol["name"], "NetworkPolicy word-counter-netpol");
    assert_eq!(netpol["status"], "fail");
    assert_eq!(
        netpol["problems"][0],
        "missing: the workflow's pods have unrestricted network access"
    );

    // Deploying again restores it.
    assert_eq!(tntc(&["deploy", wcs, "-n", &ns]).code(), 0);
    assert_eq!(tntc(&["audit", wcs, "-n", &ns]).code(), 0);
}

#[test]
fn audit_finds_a_contract_changed_since_the_deploy() {
    let Some(kc) = admin_kubeconfig("audit_finds_a_contract_changed_since_the_deploy") else {
        return;
    };
    let tmp = tempdir();
    let ns = unique_namespace("drift");
    install_namespace(tmp.path(), &kc, &ns);
    assert_eq!(tntc_env(tmp.path(), None, &["init", "nightly"]).code(), 0);
    let wf = tmp.path().join("nightly");
    let spec = wf.join("workflow.yaml");
    let original = std::fs::read_to_string(&spec).unwrap();
    let with_cron = original.replace(
        "  - type: manual\n",
        "  - type: manual\n  - type: cron\n    name: nightly\n    schedule: \"0 3 * * *\"\n",
    );
    assert_ne!(with_cron, original);
    write(&spec, &with_cron);
    let dir = wf.to_str().unwrap();
    let tntc = |args: &[&str]| tntc_env(tmp.path(), Some(&kc), args);
    let o = tntc(&["deploy", dir, "-n", &ns]);
    assert_eq!(o.code(), 0, "{}", o.transcript());
    let o = tntc(&["audit", dir, "-n", &ns]);
    assert_eq!(o.code(), 0, "{}", o.transcript());
    assert!(
        o.stdout()
            .contains("✓ CronJobs (1 expected): one per cron trigger"),
        "{}",
        o.stdout()
    );

    // The contract now reaches GitHub and there is a second cron trigger; nothing redeployed.
    let drifted = with_cron
        .replace(
            "  dependencies: {}",
            "  dependencies:\n    github:\n      protocol: https\n      host: api.github.com\n",
        )
        .replace("    uses: []", "    uses: [github]")
        .replace(
            "    schedule: \"0 3 * * *\"\n",
            "    schedule: \"0 3 * * *\"\n  - type: cron\n    name: weekly\n    schedule: \"0 4 * * 0\"\n",
        );
    write(&spec, &drifted);
    let o = tntc(&["audit", dir, "-n", &ns]);
    assert_eq!(o.code(), 1, "{}", o.transcript());
    let out = o.stdout();
    assert!(
        out.contains("✗ NetworkPolicy nightly-netpol: 1 difference(s)"),
        "{out}"
    );
    assert!(out.contains("- egress rule missing: "), "{out}");
    assert!(out.contains("443"), "{out}");
    assert!(out.contains("✗ CronJobs (2 expected)"), "{out}");
    assert!(out.ends_with("Overall: fail\n"), "{out}");
    let err = o.stderr();
    assert!(
        err.contains(&format!(
            "error: 2 objects of nightly in namespace {ns} drifted from what its contract implies"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("hint: `tntc deploy {dir} -n {ns}`")),
        "{err}"
    );
    // The redeploy the hint suggests makes the audit pass.
    assert_eq!(tntc(&["deploy", dir, "-n", &ns]).code(), 0);
    let o = tntc(&["audit", dir, "-n", &ns]);
    assert_eq!(o.code(), 0, "{}", o.transcript());
}

#[test]
fn run_in_testenv_fails_with_an_actionable_message() {
    let Some(kc) = admin_kubeconfig("run_in_testenv_fails_with_an_actionable_message") else {
        return;
    };
    let tmp = tempdir();
    let ns = unique_namespace("run");
    install_namespace(tmp.path(), &kc, &ns);
    let wc = word_counter();
    let tntc = |args: &[&str]| tntc_env(tmp.path(), Some(&kc), args);
    assert_eq!(tntc(&["deploy", wc.to_str().unwrap(), "-n", &ns]).code(), 0);

    // Through the service proxy: the Service exists but nothing serves it.
    for json in [false, true] {
        let mut args = vec!["run", "word-counter", "-n", &ns, "--timeout", "20s"];
        if json {
            args.extend(["-o", "json"]);
        }
        let o = tntc(&args);
        assert_eq!(o.code(), 1, "{}", o.transcript());
        // Text on stderr; with -o json one error object on stdout, the same words in it.
        let err = if json {
            let v = o.json();
            assert_eq!(v["error"]["code"], "cluster", "{v}");
            format!(
                "error: {}\n  hint: {}",
                v["error"]["message"].as_str().unwrap(),
                v["error"]["hint"].as_str().unwrap()
            )
        } else {
            assert!(o.stdout().is_empty(), "{}", o.transcript());
            o.stderr()
        };
        assert_eq!(err.matches("error:").count(), 1, "{err}");
    }

    // Through a run pod: it never finishes here (without kwok it is not even scheduled; with kwok
    // it runs but nothing answers it); the timeout says so and the pod is gone.
    let o = tntc(&[
        "run",
        "word-counter",
        "-n",
        &ns,
        "--via",
        "pod",
        "--timeout",
        "3s",
    ]);
    assert_eq!(o.code(), 1, "{}", o.transcript());
    let err = o.stderr();
    assert!(
        err.contains("timed out after 3s waiting for run pod tntc-run-word-counter-"),
        "{err}"
    );
    let kwok = std::env::var("TENTACULAR_TEST_KWOK").is_ok_and(|v| v == "1");
    let phase = if kwok {
        "phase Running"
    } else {
        "phase Pending"
    };
    assert!(err.contains(phase), "{err}");
    let left: Vec<String> = pods(&kc, &ns)
        .into_iter()
        .filter(|p| p.starts_with("tntc-run-"))
        .collect();
    assert!(left.is_empty(), "run pods left behind: {left:?}");

    // A workflow that is not deployed.
    let o = tntc(&["run", "nope", "-n", &ns]);
    assert_eq!(o.code(), 1);
    assert!(
        o.stderr().contains(&format!(
            "workflow \"nope\" is not deployed in namespace \"{ns}\""
        )),
        "{}",
        o.stderr()
    );
}
