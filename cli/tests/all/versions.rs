//! `tntc versions` and `tntc rollback` against the real API server of `testenv/`: two
//! deploys leave two immutable code versions; rollback moves the Deployment back to the first
//! one without touching its ConfigMap; undeploy removes them all.

use crate::support::{
    admin_kubeconfig, copy_dir, install_namespace, tempdir, tntc_env, unique_namespace,
};

#[test]
fn deploy_twice_list_versions_roll_back_and_undeploy() {
    let Some(kc) = admin_kubeconfig("deploy_twice_list_versions_roll_back_and_undeploy") else {
        return;
    };
    let tmp = tempdir();
    let ns = unique_namespace("versions");
    let wf = tmp.path().join("word-counter");
    copy_dir(&crate::support::word_counter(), &wf);
    let wfs = wf.to_str().unwrap().to_string();
    let run = |args: &[&str]| {
        let o = tntc_env(tmp.path(), Some(&kc), args);
        assert_eq!(o.code(), 0, "{}", o.transcript());
        o
    };
    install_namespace(tmp.path(), &kc, &ns);
    run(&["deploy", &wfs, "-n", &ns]);
    let v1 = run(&["versions", "word-counter", "-n", &ns, "-o", "json"]).json();
    let v1_id = v1["versions"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(v1["versions"][0]["current"], true, "{v1}");
    assert!(v1["versions"][0]["deployedAt"].is_string(), "{v1}");
    assert!(
        v1["versions"][0]["source"]
            .as_str()
            .unwrap()
            .ends_with("word-counter")
    );

    // The same directory again changes nothing, not even the first deploy's time.
    let again = run(&["deploy", &wfs, "-n", &ns, "-o", "json"]).json();
    assert_eq!(again["changed"], false, "{again}");

    // New code: a second version; the first stays.
    let report = wf.join("nodes/report.ts");
    let text = std::fs::read_to_string(&report).unwrap();
    std::fs::write(&report, format!("{text}\n// v2\n")).unwrap();
    run(&["deploy", &wfs, "-n", &ns]);
    let both = run(&["versions", &wfs, "-n", &ns, "-o", "json"]).json();
    let listed = both["versions"].as_array().unwrap();
    assert_eq!(listed.len(), 2, "{both}");
    let current: Vec<&str> = listed
        .iter()
        .filter(|v| v["current"] == true)
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(current.len(), 1);
    assert_ne!(current[0], v1_id);
    let text = run(&["versions", "word-counter", "-n", &ns]).stdout();
    assert!(text.starts_with("  VERSION"), "{text}");
    assert!(text.contains(&format!("  {v1_id}")), "{text}");

    // Rollback (to the newest version not running: v1).
    let back = run(&["rollback", "word-counter", "-n", &ns, "-o", "json"]).json();
    assert_eq!(back["version"]["id"], v1_id.as_str(), "{back}");
    let after = run(&["versions", "word-counter", "-n", &ns, "-o", "json"]).json();
    let now: Vec<&str> = after["versions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["current"] == true)
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(now, [v1_id.as_str()], "{after}");

    // Rolling back to what runs is refused, naming the version.
    let same = tntc_env(
        tmp.path(),
        Some(&kc),
        &["rollback", "word-counter", "-n", &ns, "--to", &v1_id],
    );
    assert_eq!(same.code(), 1, "{}", same.transcript());
    assert!(
        same.stderr().contains("already running"),
        "{}",
        same.stderr()
    );

    let gone = run(&["undeploy", "word-counter", "-n", &ns, "-y", "-o", "json"]).json();
    let cms: Vec<&str> = gone["deleted"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kind"] == "ConfigMap")
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(cms.len(), 2, "every code version goes: {gone}");
}
