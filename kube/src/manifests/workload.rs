//! Pods: the engine Deployment, the cron trigger CronJobs and the run pod, all hardened alike.
//!
//! | field | value | why |
//! | --- | --- | --- |
//! | `runtimeClassName` | `gvisor` unless explicitly disabled | a user-space kernel between node code and the host |
//! | `securityContext.runAsNonRoot`, `runAsUser`/`runAsGroup`/`fsGroup` | `true`, 65534 (nobody) | no root inside the container |
//! | `securityContext.seccompProfile` | `RuntimeDefault` | the runtime's syscall filter |
//! | container `readOnlyRootFilesystem` | `true` | only `/tmp` (an emptyDir with a size limit) is writable |
//! | container `allowPrivilegeEscalation` | `false` | no setuid gains |
//! | container `capabilities.drop` | `[ALL]` | no Linux capabilities |
//! | `automountServiceAccountToken` | `false` unless a service account is requested | no API credentials in the pod |
//! | `enableServiceLinks` | `false` | no environment variables describing other services |
//! | secrets | a read-only volume at `/app/secrets` | never environment variables |
//!
//! These settings satisfy the Pod Security Standard `restricted`.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment,
};
use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMapVolumeSource, Container, ContainerPort, EmptyDirVolumeSource, EnvVar,
    HTTPGetAction, Pod, PodSecurityContext, PodSpec, PodTemplateSpec, Probe, ResourceRequirements,
    SeccompProfile, SecretVolumeSource, SecurityContext, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{
    ANNOTATION_CODE_HASH, DeployInput, ENGINE_PORT, LABEL_ROLE, ROLE_TRIGGER, code, code_name,
    engine_selector, labels, meta, run_url, secret_name,
};
use crate::error::{Error, Result};

/// The engine binary in the image.
pub const ENGINE_BINARY: &str = "tentacular-engine";
/// Where the code ConfigMap is mounted.
pub const WORKFLOW_DIR: &str = "/app/workflow";
/// Where the Secret is mounted.
pub const SECRETS_DIR: &str = "/app/secrets";
/// The unprivileged user and group every container runs as (`nobody`).
pub const RUN_AS: i64 = 65534;
/// Longest CronJob name Kubernetes accepts (Job names get an 11-character suffix).
pub const MAX_CRONJOB_NAME: usize = 52;

/// The engine container's `args`.
pub fn engine_args() -> Vec<String> {
    vec![
        "--workflow".into(),
        format!("{WORKFLOW_DIR}/workflow.yaml"),
        "--port".into(),
        ENGINE_PORT.to_string(),
    ]
}

/// The `args` of a trigger container: `trigger <url> --body <json>`.
pub fn trigger_args(url: &str, body: &str) -> Vec<String> {
    vec!["trigger".into(), url.into(), "--body".into(), body.into()]
}

/// Pod-level hardening.
pub fn pod_security_context() -> PodSecurityContext {
    PodSecurityContext {
        run_as_non_root: Some(true),
        run_as_user: Some(RUN_AS),
        run_as_group: Some(RUN_AS),
        fs_group: Some(RUN_AS),
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".into(),
            localhost_profile: None,
        }),
        ..PodSecurityContext::default()
    }
}

/// Container-level hardening.
pub fn container_security_context() -> SecurityContext {
    SecurityContext {
        run_as_non_root: Some(true),
        read_only_root_filesystem: Some(true),
        allow_privilege_escalation: Some(false),
        privileged: Some(false),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".into()]),
            add: None,
        }),
        ..SecurityContext::default()
    }
}

fn quantities(pairs: &[(&str, &str)]) -> BTreeMap<String, Quantity> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Quantity(v.to_string())))
        .collect()
}

fn probe(initial_delay: i32, period: i32) -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some("/health".into()),
            port: IntOrString::Int(ENGINE_PORT.into()),
            ..HTTPGetAction::default()
        }),
        initial_delay_seconds: Some(initial_delay),
        period_seconds: Some(period),
        timeout_seconds: Some(2),
        failure_threshold: Some(3),
        ..Probe::default()
    }
}

fn tmp_volume(size_limit: &str) -> Volume {
    Volume {
        name: "tmp".into(),
        empty_dir: Some(EmptyDirVolumeSource {
            size_limit: Some(Quantity(size_limit.into())),
            medium: None,
        }),
        ..Volume::default()
    }
}

fn tmp_mount() -> VolumeMount {
    VolumeMount {
        name: "tmp".into(),
        mount_path: "/tmp".into(),
        ..VolumeMount::default()
    }
}

/// The engine Deployment; `code_hash` goes into the pod template so that a code change rolls
/// the pods.
pub(super) fn deployment(input: &DeployInput, code_hash: &str) -> Deployment {
    let container = Container {
        name: "engine".into(),
        image: Some(input.image.clone()),
        image_pull_policy: input.image_pull_policy.clone(),
        command: Some(vec![ENGINE_BINARY.into()]),
        args: Some(engine_args()),
        env: Some(vec![EnvVar {
            name: "TENTACULAR_CACHE_DIR".into(),
            value: Some("/tmp/tentacular-cache".into()),
            value_from: None,
        }]),
        ports: Some(vec![ContainerPort {
            name: Some("http".into()),
            container_port: ENGINE_PORT.into(),
            protocol: Some("TCP".into()),
            ..ContainerPort::default()
        }]),
        liveness_probe: Some(probe(5, 10)),
        readiness_probe: Some(probe(3, 5)),
        resources: Some(ResourceRequirements {
            requests: Some(quantities(&[
                ("cpu", &input.resources.cpu_request),
                ("memory", &input.resources.memory_request),
            ])),
            limits: Some(quantities(&[
                ("cpu", &input.resources.cpu_limit),
                ("memory", &input.resources.memory_limit),
            ])),
            claims: None,
        }),
        security_context: Some(container_security_context()),
        volume_mounts: Some(vec![
            VolumeMount {
                name: "code".into(),
                mount_path: WORKFLOW_DIR.into(),
                read_only: Some(true),
                ..VolumeMount::default()
            },
            VolumeMount {
                name: "secrets".into(),
                mount_path: SECRETS_DIR.into(),
                read_only: Some(true),
                ..VolumeMount::default()
            },
            tmp_mount(),
        ]),
        ..Container::default()
    };
    let volumes = vec![
        Volume {
            name: "code".into(),
            config_map: Some(ConfigMapVolumeSource {
                name: code_name(&input.name, code_hash),
                items: Some(code::items(input)),
                default_mode: Some(0o444),
                optional: Some(false),
            }),
            ..Volume::default()
        },
        Volume {
            name: "secrets".into(),
            secret: Some(SecretVolumeSource {
                secret_name: Some(secret_name(&input.name)),
                optional: Some(true),
                default_mode: Some(0o440),
                items: None,
            }),
            ..Volume::default()
        },
        tmp_volume(&input.tmp_size_limit),
    ];
    let mut pod_labels = labels(&input.name, &input.version);
    pod_labels.extend(engine_selector(&input.name));
    let sa = input.service_account.clone();
    let pod = PodSpec {
        automount_service_account_token: Some(sa.is_some()),
        service_account_name: sa,
        enable_service_links: Some(false),
        runtime_class_name: input.runtime_class.class_name().map(str::to_string),
        security_context: Some(pod_security_context()),
        containers: vec![container],
        volumes: Some(volumes),
        termination_grace_period_seconds: Some(i64::from(input.termination_grace_seconds)),
        ..PodSpec::default()
    };
    Deployment {
        metadata: meta(input, input.name.clone()),
        spec: Some(DeploymentSpec {
            // With an autoscaler the count is its to set: a replicas field here would be
            // re-applied by every deploy and fight it.
            replicas: match input.autoscale {
                Some(_) => None,
                None => Some(input.replicas.unwrap_or(1) as i32),
            },
            revision_history_limit: Some(3),
            selector: LabelSelector {
                match_labels: Some(engine_selector(&input.name)),
                match_expressions: None,
            },
            // Code versions are separate immutable ConfigMaps, so old and new pods never mix
            // code: roll one new pod in before an old one goes, never below the count.
            strategy: Some(DeploymentStrategy {
                type_: Some("RollingUpdate".into()),
                rolling_update: Some(RollingUpdateDeployment {
                    max_surge: Some(IntOrString::Int(1)),
                    max_unavailable: Some(IntOrString::Int(0)),
                }),
            }),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(pod_labels),
                    annotations: Some(BTreeMap::from([(
                        ANNOTATION_CODE_HASH.to_string(),
                        code_hash.to_string(),
                    )])),
                    ..ObjectMeta::default()
                }),
                spec: Some(pod),
            },
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    }
}

/// Name of the CronJob of `trigger` (at `index` among `count` cron triggers):
/// `<wf>-cron-<name>` for a named trigger (`_` becomes `-`), `<wf>-cron` for the only unnamed
/// one, `<wf>-cron-<index>` otherwise.
pub fn cron_job_name(wf: &str, trigger: Option<&str>, index: usize, unnamed: usize) -> String {
    match trigger {
        Some(n) => format!("{wf}-cron-{}", n.replace('_', "-")),
        None if unnamed == 1 => format!("{wf}-cron"),
        None => format!("{wf}-cron-{index}"),
    }
}

/// A hardened trigger container: the engine image running `tentacular-engine trigger`.
pub fn trigger_container(image: &str, pull_policy: Option<&str>, args: Vec<String>) -> Container {
    Container {
        name: "trigger".into(),
        image: Some(image.into()),
        image_pull_policy: pull_policy.map(str::to_string),
        command: Some(vec![ENGINE_BINARY.into()]),
        args: Some(args),
        resources: Some(ResourceRequirements {
            requests: Some(quantities(&[("cpu", "10m"), ("memory", "16Mi")])),
            limits: Some(quantities(&[("cpu", "100m"), ("memory", "64Mi")])),
            claims: None,
        }),
        security_context: Some(container_security_context()),
        volume_mounts: Some(vec![tmp_mount()]),
        ..Container::default()
    }
}

/// A hardened trigger pod spec around `container`.
pub fn trigger_pod_spec(
    container: Container,
    runtime_class: Option<&str>,
    restart_policy: &str,
) -> PodSpec {
    PodSpec {
        automount_service_account_token: Some(false),
        enable_service_links: Some(false),
        runtime_class_name: runtime_class.map(str::to_string),
        security_context: Some(pod_security_context()),
        restart_policy: Some(restart_policy.into()),
        containers: vec![container],
        volumes: Some(vec![tmp_volume("16Mi")]),
        ..PodSpec::default()
    }
}

fn trigger_labels(input: &DeployInput) -> BTreeMap<String, String> {
    let mut l = labels(&input.name, &input.version);
    l.insert(LABEL_ROLE.into(), ROLE_TRIGGER.into());
    l
}

/// The body a cron trigger posts: `{"trigger":"<name>"}`, or `{}` for an unnamed trigger.
pub fn trigger_body(name: Option<&str>) -> String {
    match name {
        Some(n) => serde_json::json!({ "trigger": n }).to_string(),
        None => "{}".into(),
    }
}

pub(super) fn cron_jobs(input: &DeployInput) -> Result<Vec<CronJob>> {
    let unnamed = input
        .cron_triggers
        .iter()
        .filter(|t| t.name.is_none())
        .count();
    let mut seen = BTreeMap::new();
    let mut out = Vec::new();
    for (i, t) in input.cron_triggers.iter().enumerate() {
        let name = cron_job_name(&input.name, t.name.as_deref(), i, unnamed);
        let label = t.name.clone().unwrap_or_else(|| format!("#{i}"));
        if name.len() > MAX_CRONJOB_NAME || !super::is_dns1123_label(&name) {
            return Err(Error::InvalidInput {
                field: format!("cron trigger {label:?}"),
                message: format!(
                    "its CronJob name {name:?} must be a DNS label of at most {MAX_CRONJOB_NAME} \
                     characters; shorten the workflow or trigger name"
                ),
            });
        }
        if let Some(other) = seen.insert(name.clone(), label.clone()) {
            return Err(Error::InvalidInput {
                field: format!("cron trigger {label:?}"),
                message: format!("its CronJob name {name:?} is also that of trigger {other:?}"),
            });
        }
        let args = trigger_args(
            &run_url(&input.name, &input.namespace),
            &trigger_body(t.name.as_deref()),
        );
        let container = trigger_container(&input.image, input.image_pull_policy.as_deref(), args);
        let pod = trigger_pod_spec(container, input.runtime_class.class_name(), "OnFailure");
        out.push(CronJob {
            metadata: meta(input, name),
            spec: Some(CronJobSpec {
                schedule: t.schedule.as_str().to_string(),
                concurrency_policy: Some("Forbid".into()),
                successful_jobs_history_limit: Some(3),
                failed_jobs_history_limit: Some(3),
                job_template: JobTemplateSpec {
                    metadata: Some(ObjectMeta {
                        labels: Some(trigger_labels(input)),
                        ..ObjectMeta::default()
                    }),
                    spec: Some(JobSpec {
                        backoff_limit: Some(2),
                        active_deadline_seconds: Some(600),
                        template: PodTemplateSpec {
                            metadata: Some(ObjectMeta {
                                labels: Some(trigger_labels(input)),
                                ..ObjectMeta::default()
                            }),
                            spec: Some(pod),
                        },
                        ..JobSpec::default()
                    }),
                },
                ..CronJobSpec::default()
            }),
            ..CronJob::default()
        });
    }
    Ok(out)
}

/// What a run pod needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunPodSpec<'a> {
    /// Workflow name.
    pub workflow: &'a str,
    /// Workflow version (for the labels).
    pub version: &'a str,
    /// Namespace.
    pub namespace: &'a str,
    /// Pod name.
    pub pod_name: &'a str,
    /// Engine image (the one the Deployment runs).
    pub image: &'a str,
    /// Runtime class (the one the Deployment uses).
    pub runtime_class: Option<&'a str>,
    /// The JSON body to post.
    pub body: &'a str,
}

/// The short-lived pod `tntc run --via pod` creates: the engine image running
/// `tentacular-engine trigger <url> --body <json>`, labelled as a trigger of the workflow.
pub fn run_pod(spec: &RunPodSpec<'_>) -> Pod {
    let mut l = labels(spec.workflow, spec.version);
    l.insert(LABEL_ROLE.into(), ROLE_TRIGGER.into());
    let args = trigger_args(&run_url(spec.workflow, spec.namespace), spec.body);
    Pod {
        metadata: ObjectMeta {
            name: Some(spec.pod_name.into()),
            namespace: Some(spec.namespace.into()),
            labels: Some(l),
            ..ObjectMeta::default()
        },
        spec: Some(trigger_pod_spec(
            trigger_container(spec.image, None, args),
            spec.runtime_class,
            "Never",
        )),
        status: None,
    }
}
