//! Golden tests for the generated manifests: `kube/tests/golden/<case>.yaml` is exactly what
//! `Manifests::to_yaml` prints for a representative input. Regenerate with
//! `SNAPSHOTS=overwrite cargo test -p tentacular-kube --test all manifests`, then review the diff.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::json;
use tentacular_kube::manifests::{self, CidrEgress, DeployInput, HostEgress, RuntimeClassChoice};
use tentacular_spec::{CronSchedule, CronTrigger, IpProtocol, PortRule};

/// The word-counter example with one helper, two cron triggers (one named), a public API
/// dependency and local secrets.
pub fn word_counter() -> DeployInput {
    let mut i = DeployInput::new(
        "word-counter",
        "1.2",
        "tntc-demo",
        "registry.example/tentacular-engine:0.1.0",
    );
    i.files = BTreeMap::from([
        ("workflow.yaml".into(), "name: word-counter\nversion: \"1.2\"\n".into()),
        ("nodes/count.ts".into(), "import { split } from \"./lib/text.ts\";\nexport default async (_ctx, input) => ({ words: split(input.text).length });\n".into()),
        ("nodes/lib/text.ts".into(), "export const split = (s: string) => s.split(/\\s+/);\n".into()),
        ("nodes/report.ts".into(), "export default async (_ctx, input) => input;\n".into()),
    ]);
    i.cron_triggers = vec![
        CronTrigger::parse(None, "*/5 * * * *").unwrap(),
        CronTrigger::parse(Some("nightly_report"), "0 3 * * *").unwrap(),
    ];
    i.egress = vec![HostEgress {
        host: "api.example.com".into(),
        port: 443,
        protocol: IpProtocol::Tcp,
    }];
    i.secrets = Some(BTreeMap::from([
        ("example".into(), json!({"token": "s3cr3t"})),
        ("webhook".into(), json!("https://hooks.example.com/x")),
    ]));
    i.required_secrets = vec!["example.token".into()];
    i
}

/// Everything else: a webhook, in-cluster and CIDR egress, a service account, another runtime
/// class, custom resources and pull policy, no local secrets.
fn everything() -> DeployInput {
    let mut i = DeployInput::new("pr-review", "2.0", "team-a", "tentacular-engine:latest");
    i.files = BTreeMap::from([
        ("workflow.yaml".into(), "name: pr-review\n".into()),
        (
            "nodes/review.ts".into(),
            "export default async () => ({})\n".into(),
        ),
    ]);
    i.cron_triggers = vec![CronTrigger::parse(Some("weekly"), "0 9 * * 1").unwrap()];
    i.has_webhook = true;
    i.webhook_namespaces = vec!["istio-system".into()];
    i.egress = vec![
        HostEgress {
            host: "api.github.com".into(),
            port: 443,
            protocol: IpProtocol::Tcp,
        },
        HostEgress {
            host: "postgres.data.svc.cluster.local".into(),
            port: 5432,
            protocol: IpProtocol::Tcp,
        },
        HostEgress {
            host: "nats.msg.svc.cluster.local".into(),
            port: 4222,
            protocol: IpProtocol::Tcp,
        },
        HostEgress {
            host: "hooks.slack.com".into(),
            port: 443,
            protocol: IpProtocol::Tcp,
        },
    ];
    i.cidr_egress = vec![
        CidrEgress {
            cidr: "10.20.0.0/16".into(),
            ports: vec![PortRule {
                port: 8443,
                protocol: IpProtocol::Tcp,
            }],
        },
        CidrEgress {
            cidr: "192.0.2.0/24".into(),
            ports: vec![],
        },
    ];
    i.proxy_ingress_cidrs = vec!["172.18.0.2/32".into()];
    i.required_secrets = vec!["github.token".into(), "slack.webhook_url".into()];
    i.runtime_class = RuntimeClassChoice::Named("kata".into());
    i.service_account = Some("pr-review-reader".into());
    i.resources.memory_limit = "512Mi".into();
    i.tmp_size_limit = "1Gi".into();
    i.image_pull_policy = Some("IfNotPresent".into());
    i.autoscale = Some(tentacular_spec::Autoscale {
        min: 2,
        max: 10,
        cpu: 60,
    });
    i.termination_grace_seconds = 95;
    i
}

#[test]
fn scaling_objects_follow_the_pod_count() {
    let build = |i: &DeployInput| manifests::build(i).unwrap();
    let replicas = |m: &manifests::Manifests| m.deployment.spec.as_ref().unwrap().replicas;
    let one = build(&word_counter());
    assert_eq!(replicas(&one), Some(1));
    assert!(one.autoscaler.is_none() && one.disruption_budget.is_none());
    let mut three = word_counter();
    three.replicas = Some(3);
    let m = build(&three);
    assert_eq!(replicas(&m), Some(3));
    assert!(m.autoscaler.is_none() && m.disruption_budget.is_some());
    let m = build(&everything());
    assert_eq!(replicas(&m), None, "the autoscaler owns the count");
    let hpa = m.autoscaler.as_ref().unwrap().spec.as_ref().unwrap();
    assert_eq!((hpa.min_replicas, hpa.max_replicas), (Some(2), 10));
    assert!(m.disruption_budget.is_some());
    let mut single = everything();
    single.autoscale = Some(tentacular_spec::Autoscale {
        min: 1,
        max: 4,
        cpu: 70,
    });
    let m = build(&single);
    assert!(m.autoscaler.is_some() && m.disruption_budget.is_none());
}

fn check(case: &str, input: &DeployInput) {
    let yaml = manifests::build(input).unwrap().to_yaml().unwrap();
    crate::support::golden(&format!("kube/tests/golden/{case}.yaml"), &yaml);
}

#[test]
fn golden_word_counter() {
    check("word-counter", &word_counter());
}

#[test]
fn golden_everything() {
    check("everything", &everything());
}

#[test]
fn every_object_has_the_labels() {
    for input in [word_counter(), everything()] {
        let v = manifests::build(&input).unwrap().to_json().unwrap();
        for item in v["items"].as_array().unwrap() {
            let labels = &item["metadata"]["labels"];
            assert_eq!(
                labels["app.kubernetes.io/name"],
                input.name.as_str(),
                "{item}"
            );
            assert_eq!(
                labels["app.kubernetes.io/version"],
                input.version.as_str(),
                "{item}"
            );
            assert_eq!(
                labels["app.kubernetes.io/managed-by"], "tentacular",
                "{item}"
            );
        }
    }
}

#[test]
fn gvisor_unless_explicitly_disabled() {
    let mut i = word_counter();
    let m = manifests::build(&i).unwrap();
    assert!(m.warnings.is_empty());
    let rc = |m: &manifests::Manifests| {
        m.deployment
            .spec
            .as_ref()
            .unwrap()
            .template
            .spec
            .as_ref()
            .unwrap()
            .runtime_class_name
            .clone()
    };
    assert_eq!(rc(&m).as_deref(), Some("gvisor"));
    assert_eq!(
        RuntimeClassChoice::parse(""),
        None,
        "empty is 'not set', not 'disabled'"
    );
    i.runtime_class = RuntimeClassChoice::parse("none").unwrap();
    let m = manifests::build(&i).unwrap();
    assert_eq!(rc(&m), None);
    assert!(
        m.warnings[0].contains("gVisor is disabled"),
        "{:?}",
        m.warnings
    );
    for cj in &m.cron_jobs {
        let spec = cj
            .spec
            .as_ref()
            .unwrap()
            .job_template
            .spec
            .as_ref()
            .unwrap();
        assert_eq!(
            spec.template.spec.as_ref().unwrap().runtime_class_name,
            None
        );
    }
}

#[test]
fn cron_jobs_run_the_engine_image() {
    let m = manifests::build(&word_counter()).unwrap();
    let names: Vec<_> = m
        .cron_jobs
        .iter()
        .map(|c| c.metadata.name.clone().unwrap())
        .collect();
    assert_eq!(
        names,
        ["word-counter-cron", "word-counter-cron-nightly-report"]
    );
    let pod = m.cron_jobs[1]
        .spec
        .as_ref()
        .unwrap()
        .job_template
        .spec
        .as_ref()
        .unwrap()
        .template
        .clone();
    assert_eq!(
        pod.metadata.unwrap().labels.unwrap()["tentacular.dev/role"],
        "trigger"
    );
    let c = &pod.spec.unwrap().containers[0];
    assert_eq!(
        c.image.as_deref(),
        Some("registry.example/tentacular-engine:0.1.0")
    );
    assert_eq!(c.command.as_deref().unwrap(), ["tentacular-engine"]);
    assert_eq!(
        c.args.as_deref().unwrap(),
        [
            "trigger",
            "http://word-counter.tntc-demo.svc.cluster.local:8080/run",
            "--body",
            r#"{"trigger":"nightly_report"}"#
        ]
    );
}

#[test]
fn helpers_are_mounted_at_their_path() {
    let m = manifests::build(&word_counter()).unwrap();
    let pod = m.deployment.spec.unwrap().template.spec.unwrap();
    let code = pod
        .volumes
        .unwrap()
        .into_iter()
        .find(|v| v.name == "code")
        .unwrap();
    let items = code.config_map.unwrap().items.unwrap();
    assert!(
        items
            .iter()
            .any(|i| i.key == "nodes__lib__text.ts" && i.path == "nodes/lib/text.ts")
    );
    assert_eq!(items.len(), 4);
}

#[test]
fn code_change_changes_the_pod_template() {
    let a = manifests::build(&word_counter()).unwrap();
    let mut i = word_counter();
    i.files.insert(
        "nodes/report.ts".into(),
        "export default async () => 1;\n".into(),
    );
    let b = manifests::build(&i).unwrap();
    let hash = |m: &manifests::Manifests| {
        m.deployment
            .spec
            .as_ref()
            .unwrap()
            .template
            .metadata
            .as_ref()
            .unwrap()
            .annotations
            .as_ref()
            .unwrap()[manifests::ANNOTATION_CODE_HASH]
            .clone()
    };
    assert_ne!(hash(&a), hash(&b));
}

#[test]
fn rejects_names_kubernetes_would_reject() {
    for name in ["Word", "1wc", "wc-", "a_b", &"x".repeat(48)] {
        let mut i = word_counter();
        i.name = name.into();
        let err = manifests::build(&i).unwrap_err();
        assert!(err.to_string().contains("workflow name"), "{name}: {err}");
    }
    let mut i = word_counter();
    i.version = "1.0+dirty".into();
    assert!(
        manifests::build(&i)
            .unwrap_err()
            .to_string()
            .contains("version")
    );
    // A cron trigger's schedule is a `CronSchedule`, so a bad one is rejected where it is
    // parsed, before any manifest is built.
    assert!(
        CronSchedule::parse("every day")
            .unwrap_err()
            .to_string()
            .contains("cron schedule")
    );
}

#[test]
fn secrets_are_redactable() {
    let mut m = manifests::build(&word_counter()).unwrap();
    assert!(m.to_yaml().unwrap().contains("kind: Secret"));
    m.redact_secrets();
    let data = m.secret.unwrap().data.unwrap();
    assert_eq!(data["example"].0, b"<redacted>");
}

/// The validator: `$TENTACULAR_KUBERNETES_VALIDATE`, else the venv `scripts/kubernetes-validate.sh`
/// installs, else `kubernetes-validate` on PATH.
fn validator() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("TENTACULAR_KUBERNETES_VALIDATE").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::home_dir().map(|h| h.join(".cache")))?;
    let venv = cache.join("tentacular/kubernetes-validate-venv/bin/kubernetes-validate");
    if venv.exists() {
        return Some(venv);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("kubernetes-validate"))
            .find(|p| p.exists())
    })
}

/// `--dry-run` output must pass `kubernetes-validate --strict` for Kubernetes 1.34.
#[test]
fn manifests_pass_kubernetes_validate_strict() {
    let Some(bin) = validator() else {
        crate::support::missing(
            "manifests_pass_kubernetes_validate_strict",
            "kubernetes-validate",
            "run kube/scripts/kubernetes-validate.sh once (installs it into a venv), or set \
             TENTACULAR_KUBERNETES_VALIDATE",
        );
        return;
    };
    let mut minimal = word_counter();
    minimal.cron_triggers.clear();
    minimal.secrets = None;
    minimal.egress.clear();
    minimal.runtime_class = RuntimeClassChoice::Disabled;
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (name, input) in [
        ("word-counter", word_counter()),
        ("everything", everything()),
        ("minimal", minimal),
    ] {
        let path = dir.path().join(format!("{name}.yaml"));
        std::fs::write(&path, manifests::build(&input).unwrap().to_yaml().unwrap()).unwrap();
        files.push(path);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    for f in [
        "deploy/gvisor/runtimeclass.yaml",
        "deploy/gvisor/test-pod.yaml",
        "deploy/rbac/deployer-role.yaml",
    ] {
        files.push(root.join(f));
    }
    let version =
        std::env::var("TENTACULAR_K8S_SCHEMA_VERSION").unwrap_or_else(|_| "1.34.4".into());
    let out = std::process::Command::new(&bin)
        .args(["--strict", "--quiet", "--kubernetes-version", &version])
        .args(&files)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
    assert!(
        out.status.success(),
        "kubernetes-validate --strict failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
