//! `status`, `list` and waiting for a rollout: what they report (this module) and the queries
//! that fill it (`query`).

mod query;

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{Container, Event, Pod};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use serde::Serialize;

use crate::manifests::{self, LABEL_VERSION};

/// How far a Deployment's rollout is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Readiness {
    /// Desired replicas.
    pub desired: i32,
    /// Replicas running the current pod template.
    pub updated: i32,
    /// Ready replicas.
    pub ready: i32,
    /// Available replicas.
    pub available: i32,
    /// All replicas, old and new.
    pub total: i32,
    /// Whether the controller has seen the latest spec.
    pub observed: bool,
    /// The most telling condition message (e.g. why pods cannot be created).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Whether the rollout is complete.
    pub done: bool,
}

impl fmt::Display for Readiness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{} ready, {} updated, {} available",
            self.ready, self.desired, self.updated, self.available
        )?;
        if !self.observed {
            f.write_str(", waiting for the controller")?;
        }
        if let Some(m) = &self.message {
            write!(f, " ({m})")?;
        }
        Ok(())
    }
}

impl Readiness {
    /// Reads a Deployment's status.
    pub fn of(d: &Deployment) -> Readiness {
        let desired = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
        let st = d.status.clone().unwrap_or_default();
        let observed = st.observed_generation.unwrap_or(0) >= d.metadata.generation.unwrap_or(0);
        let updated = st.updated_replicas.unwrap_or(0);
        let ready = st.ready_replicas.unwrap_or(0);
        let available = st.available_replicas.unwrap_or(0);
        let total = st.replicas.unwrap_or(0);
        let conditions = st.conditions.unwrap_or_default();
        let message = conditions
            .iter()
            .find(|c| c.type_ == "ReplicaFailure" && c.status == "True")
            .or_else(|| {
                conditions
                    .iter()
                    .find(|c| c.type_ == "Progressing" && c.status == "False")
            })
            .and_then(|c| c.message.clone());
        let done = observed
            && updated >= desired
            && ready >= desired
            && available >= desired
            && total <= desired;
        Readiness {
            desired,
            updated,
            ready,
            available,
            total,
            observed,
            message,
            done,
        }
    }
}

/// One deployed workflow, as `list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowSummary {
    /// Workflow name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// `app.kubernetes.io/version`.
    pub version: String,
    /// Whether all desired replicas are ready.
    pub ready: bool,
    /// Desired replicas.
    pub replicas: i32,
    /// Available replicas.
    pub available: i32,
    /// Engine image.
    pub image: String,
    /// Creation time (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Seconds since creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_seconds: Option<i64>,
}

impl WorkflowSummary {
    fn of(d: &Deployment) -> WorkflowSummary {
        let r = Readiness::of(d);
        let created = d.metadata.creation_timestamp.as_ref().map(|t| t.0);
        WorkflowSummary {
            name: d.metadata.name.clone().unwrap_or_default(),
            namespace: d.metadata.namespace.clone().unwrap_or_default(),
            version: d
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(LABEL_VERSION).cloned())
                .unwrap_or_default(),
            ready: r.ready >= r.desired && r.desired > 0,
            replicas: r.desired,
            available: r.available,
            image: engine_container(d)
                .and_then(|c| c.image.clone())
                .unwrap_or_default(),
            created: created.map(|t| t.to_string()),
            age_seconds: created.map(|t| jiff::Timestamp::now().duration_since(t).as_secs()),
        }
    }
}

/// `status` of one workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowStatus {
    /// Workflow name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// `app.kubernetes.io/version`.
    pub version: String,
    /// Whether all desired replicas are ready.
    pub ready: bool,
    /// Desired replicas.
    pub replicas: i32,
    /// Available replicas.
    pub available: i32,
    /// Rollout details.
    pub readiness: Readiness,
    /// The HorizontalPodAutoscaler's view, when the workflow has `deployment.autoscale`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autoscale: Option<AutoscaleStatus>,
    /// With `--detail`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<StatusDetail>,
}

/// What the workflow's HorizontalPodAutoscaler reports: its bounds, the replicas it sees and
/// wants, and the engine pods' average CPU against its target.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoscaleStatus {
    /// `minReplicas`.
    pub min: i32,
    /// `maxReplicas`.
    pub max: i32,
    /// Replicas the autoscaler last saw.
    pub current_replicas: i32,
    /// Replicas the autoscaler last asked for.
    pub desired_replicas: i32,
    /// Target average CPU utilisation, in percent of the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_target_percent: Option<i32>,
    /// Current average CPU utilisation, once the metrics server has reported one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_current_percent: Option<i32>,
}

impl AutoscaleStatus {
    fn of(h: HorizontalPodAutoscaler) -> AutoscaleStatus {
        let spec = h.spec.unwrap_or_default();
        let status = h.status.unwrap_or_default();
        let cpu_target_percent = spec
            .metrics
            .iter()
            .flatten()
            .filter_map(|m| m.resource.as_ref())
            .find(|r| r.name == "cpu")
            .and_then(|r| r.target.average_utilization);
        let cpu_current_percent = status
            .current_metrics
            .iter()
            .flatten()
            .filter_map(|m| m.resource.as_ref())
            .find(|r| r.name == "cpu")
            .and_then(|r| r.current.average_utilization);
        AutoscaleStatus {
            min: spec.min_replicas.unwrap_or(1),
            max: spec.max_replicas,
            current_replicas: status.current_replicas.unwrap_or(0),
            desired_replicas: status.desired_replicas,
            cpu_target_percent,
            cpu_current_percent,
        }
    }
}

impl fmt::Display for AutoscaleStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} current, {} desired (min {}, max {})",
            self.current_replicas, self.desired_replicas, self.min, self.max
        )?;
        let percent = |p: Option<i32>| p.map_or_else(|| "unknown".to_string(), |p| format!("{p}%"));
        write!(
            f,
            "; CPU {} of {} target",
            percent(self.cpu_current_percent),
            percent(self.cpu_target_percent)
        )
    }
}

/// The `--detail` part of [`WorkflowStatus`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusDetail {
    /// Engine image.
    pub image: String,
    /// Runtime class, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime_class: Option<String>,
    /// Resource requests (`cpu`, `memory`).
    pub requests: std::collections::BTreeMap<String, String>,
    /// Resource limits (`cpu`, `memory`).
    pub limits: std::collections::BTreeMap<String, String>,
    /// `<clusterIP>:8080`, if the Service exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_endpoint: Option<String>,
    /// Engine and trigger pods.
    pub pods: Vec<PodInfo>,
    /// Cron triggers.
    pub cron_jobs: Vec<CronJobInfo>,
    /// Recent events about any of the workflow's objects, oldest first (at most 20).
    pub events: Vec<EventInfo>,
}

/// A pod of the workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodInfo {
    /// Pod name.
    pub name: String,
    /// `engine` or `trigger`.
    pub role: String,
    /// Pod phase.
    pub phase: String,
    /// Whether every container is ready.
    pub ready: bool,
    /// Total container restarts.
    pub restarts: i32,
    /// Pod IP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// Node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

/// A cron trigger's CronJob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CronJobInfo {
    /// CronJob name.
    pub name: String,
    /// Schedule.
    pub schedule: String,
    /// Last time it fired.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_schedule: Option<String>,
    /// Last time a run succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_success: Option<String>,
}

/// An event about one of the workflow's objects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventInfo {
    /// When it last happened (RFC 3339), if known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// `Normal` or `Warning`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Reason, e.g. `FailedCreate`.
    pub reason: String,
    /// `Kind/name` of the object.
    pub object: String,
    /// Message.
    pub message: String,
    /// How many times.
    pub count: i32,
}

impl fmt::Display for EventInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} [{}] {} {}: {}",
            self.time.as_deref().unwrap_or("-"),
            self.type_,
            self.object,
            self.reason,
            self.message
        )?;
        if self.count > 1 {
            write!(f, " (x{})", self.count)?;
        }
        Ok(())
    }
}

/// The engine container of a workflow's Deployment.
pub(crate) fn engine_container(d: &Deployment) -> Option<&Container> {
    let pod = d.spec.as_ref()?.template.spec.as_ref()?;
    pod.containers
        .iter()
        .find(|c| c.name == "engine")
        .or(pod.containers.first())
}

fn quantity_map(m: Option<&BTreeMap<String, Quantity>>) -> BTreeMap<String, String> {
    m.map(|m| m.iter().map(|(k, v)| (k.clone(), v.0.clone())).collect())
        .unwrap_or_default()
}

impl StatusDetail {
    /// The detail of `d` (image, runtime class, resources) with what was found around it.
    fn of(
        d: &Deployment,
        service_endpoint: Option<String>,
        pods: Vec<PodInfo>,
        cron_jobs: Vec<CronJobInfo>,
        events: Vec<EventInfo>,
    ) -> StatusDetail {
        let c = engine_container(d);
        let resources = c.and_then(|c| c.resources.as_ref());
        let pod_spec = d.spec.as_ref().and_then(|s| s.template.spec.as_ref());
        StatusDetail {
            image: c.and_then(|c| c.image.clone()).unwrap_or_default(),
            runtime_class: pod_spec.and_then(|p| p.runtime_class_name.clone()),
            requests: quantity_map(resources.and_then(|r| r.requests.as_ref())),
            limits: quantity_map(resources.and_then(|r| r.limits.as_ref())),
            service_endpoint,
            pods,
            cron_jobs,
            events,
        }
    }
}

impl PodInfo {
    fn of(p: &Pod) -> PodInfo {
        let st = p.status.clone().unwrap_or_default();
        let cs = st.container_statuses.unwrap_or_default();
        PodInfo {
            name: p.metadata.name.clone().unwrap_or_default(),
            role: p
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(manifests::LABEL_ROLE).cloned())
                .unwrap_or_default(),
            phase: st.phase.unwrap_or_default(),
            ready: !cs.is_empty() && cs.iter().all(|c| c.ready),
            restarts: cs.iter().map(|c| c.restart_count).sum(),
            ip: st.pod_ip,
            node: p.spec.as_ref().and_then(|s| s.node_name.clone()),
        }
    }
}

impl CronJobInfo {
    fn of(cj: CronJob) -> CronJobInfo {
        let st = cj.status.unwrap_or_default();
        CronJobInfo {
            name: cj.metadata.name.unwrap_or_default(),
            schedule: cj.spec.map(|s| s.schedule).unwrap_or_default(),
            last_schedule: st.last_schedule_time.map(|t| t.0.to_string()),
            last_success: st.last_successful_time.map(|t| t.0.to_string()),
        }
    }
}

impl EventInfo {
    /// The event and when it last happened (for sorting).
    fn of(e: Event) -> (Option<jiff::Timestamp>, EventInfo) {
        let t = e
            .last_timestamp
            .as_ref()
            .map(|t| t.0)
            .or(e.event_time.as_ref().map(|t| t.0))
            .or(e.first_timestamp.as_ref().map(|t| t.0))
            .or(e.metadata.creation_timestamp.as_ref().map(|t| t.0));
        let info = EventInfo {
            time: t.map(|t| t.to_string()),
            type_: e.type_.unwrap_or_default(),
            reason: e.reason.unwrap_or_default(),
            object: format!(
                "{}/{}",
                e.involved_object.kind.unwrap_or_default(),
                e.involved_object.name.unwrap_or_default()
            ),
            message: e.message.unwrap_or_default(),
            count: e.count.unwrap_or(1),
        };
        (t, info)
    }
}
