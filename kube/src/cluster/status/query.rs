//! The queries behind `status`, `list` and waiting for a rollout.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{Event, Pod, Service};
use kube::Api;
use kube::api::ListParams;

use super::{
    AutoscaleStatus, CronJobInfo, EventInfo, PodInfo, Readiness, StatusDetail, WorkflowStatus,
    WorkflowSummary,
};
use crate::cluster::{Cluster, Object};
use crate::error::{Error, Result};
use crate::manifests::{self, ENGINE_PORT};

/// How many of the most recent events `status --detail` shows.
const RECENT_EVENTS: usize = 20;

impl Cluster {
    /// Reads the workflow's Deployment, or says it is not deployed.
    pub(crate) async fn get_deployment(&self, namespace: &str, name: &str) -> Result<Deployment> {
        let api: Api<Deployment> = Api::namespaced(self.client.clone(), namespace);
        match api.get_opt(name).await {
            Ok(Some(d)) => Ok(d),
            Ok(None) => Err(Error::WorkflowNotFound {
                name: name.into(),
                namespace: namespace.into(),
            }),
            Err(e) => Err(self.err("get", "deployments.apps", Some(namespace), e)),
        }
    }

    /// Polls the workflow's Deployment (every second) until the rollout is complete, calling
    /// `progress` whenever what it reports changes; fails with [`Error::Timeout`] (naming the
    /// last state, e.g. a `FailedCreate` message) after `timeout`.
    pub async fn wait_ready(
        &self,
        namespace: &str,
        name: &str,
        timeout: Duration,
        mut progress: impl FnMut(&Readiness),
    ) -> Result<Readiness> {
        let start = Instant::now();
        let mut last: Option<Readiness> = None;
        loop {
            let r = Readiness::of(&self.get_deployment(namespace, name).await?);
            if last.as_ref() != Some(&r) {
                progress(&r);
            }
            if r.done {
                return Ok(r);
            }
            if start.elapsed() >= timeout {
                return Err(Error::Timeout {
                    what: format!("workflow {name} in namespace {namespace} to become ready"),
                    after: timeout,
                    last_state: r.to_string(),
                });
            }
            last = Some(r);
            tokio::time::sleep(Duration::from_secs(1).min(timeout.saturating_sub(start.elapsed())))
                .await;
        }
    }

    /// The status of one workflow; with `detail`, also image, runtime class, resources,
    /// service endpoint, pods, cron jobs and recent events.
    pub async fn status(
        &self,
        namespace: &str,
        name: &str,
        detail: bool,
    ) -> Result<WorkflowStatus> {
        let d = self.get_deployment(namespace, name).await?;
        let s = WorkflowSummary::of(&d);
        let readiness = Readiness::of(&d);
        let autoscale = self
            .autoscaler(namespace, name)
            .await?
            .map(AutoscaleStatus::of);
        let detail = if detail {
            Some(self.detail(namespace, name, &d).await?)
        } else {
            None
        };
        Ok(WorkflowStatus {
            name: s.name,
            namespace: s.namespace,
            version: s.version,
            ready: s.ready,
            replicas: s.replicas,
            available: s.available,
            readiness,
            autoscale,
            detail,
        })
    }

    /// The workflow's HorizontalPodAutoscaler (named after it), if it has one.
    async fn autoscaler(&self, ns: &str, name: &str) -> Result<Option<HorizontalPodAutoscaler>> {
        let api: Api<HorizontalPodAutoscaler> = Api::namespaced(self.client.clone(), ns);
        api.get_opt(name)
            .await
            .map_err(|e| self.err("get", "horizontalpodautoscalers.autoscaling", Some(ns), e))
    }

    async fn detail(&self, ns: &str, name: &str, d: &Deployment) -> Result<StatusDetail> {
        let sel = ListParams::default().labels(&manifests::selector(name));
        let service_endpoint = self.service_endpoint(ns, name).await?;
        let pods: Vec<Pod> = self.list_in(ns, &sel, "pods").await?;
        // The objects whose events are shown: the workflow's own and those its controllers made.
        let mut objects: BTreeSet<(String, String)> = BTreeSet::new();
        objects.insert(("Deployment".into(), name.into()));
        objects.insert(("Service".into(), name.into()));
        let named =
            |kind: &str, n: &Option<String>| (kind.to_string(), n.clone().unwrap_or_default());
        objects.extend(pods.iter().map(|p| named("Pod", &p.metadata.name)));
        for n in self
            .names_in::<ReplicaSet>(ns, &sel, "replicasets.apps")
            .await?
        {
            objects.insert(("ReplicaSet".into(), n));
        }
        for n in self.names_in::<Job>(ns, &sel, "jobs.batch").await? {
            objects.insert(("Job".into(), n));
        }
        let crons: Vec<CronJob> = self.list_in(ns, &sel, "cronjobs.batch").await?;
        objects.extend(crons.iter().map(|c| named("CronJob", &c.metadata.name)));
        let events = self.recent_events(ns, &objects).await?;
        Ok(StatusDetail::of(
            d,
            service_endpoint,
            pods.iter().map(PodInfo::of).collect(),
            crons.into_iter().map(CronJobInfo::of).collect(),
            events,
        ))
    }

    /// `<cluster IP>:8080` of the workflow's Service, if it has one.
    async fn service_endpoint(&self, ns: &str, name: &str) -> Result<Option<String>> {
        let services: Api<Service> = Api::namespaced(self.client.clone(), ns);
        Ok(services
            .get_opt(name)
            .await
            .map_err(|e| self.err("get", "services", Some(ns), e))?
            .and_then(|s| s.spec.and_then(|s| s.cluster_ip))
            .map(|ip| format!("{ip}:{ENGINE_PORT}")))
    }

    /// The last [`RECENT_EVENTS`] events of `objects` (kind, name), oldest first.
    async fn recent_events(
        &self,
        ns: &str,
        objects: &BTreeSet<(String, String)>,
    ) -> Result<Vec<EventInfo>> {
        let all: Vec<Event> = self.list_in(ns, &ListParams::default(), "events").await?;
        let mut events: Vec<_> = all
            .into_iter()
            .filter(|e| {
                objects.contains(&(
                    e.involved_object.kind.clone().unwrap_or_default(),
                    e.involved_object.name.clone().unwrap_or_default(),
                ))
            })
            .map(EventInfo::of)
            .collect();
        events.sort_by_key(|e| e.0);
        let skip = events.len().saturating_sub(RECENT_EVENTS);
        Ok(events.into_iter().skip(skip).map(|(_, e)| e).collect())
    }

    /// The objects of kind `K` in `ns` that `lp` selects; `resource` names them in errors.
    async fn list_in<K: Object<Scope = NamespaceResourceScope>>(
        &self,
        ns: &str,
        lp: &ListParams,
        resource: &str,
    ) -> Result<Vec<K>> {
        let listed = Api::<K>::namespaced(self.client.clone(), ns).list(lp).await;
        Ok(listed
            .map_err(|e| self.err("list", resource, Some(ns), e))?
            .items)
    }

    /// The names of the objects of kind `K` in `ns` that `lp` selects (metadata only).
    async fn names_in<K: Object<Scope = NamespaceResourceScope>>(
        &self,
        ns: &str,
        lp: &ListParams,
        resource: &str,
    ) -> Result<Vec<String>> {
        let listed = Api::<K>::namespaced(self.client.clone(), ns)
            .list_metadata(lp)
            .await;
        let items = listed
            .map_err(|e| self.err("list", resource, Some(ns), e))?
            .items;
        Ok(items
            .into_iter()
            .map(|o| o.metadata.name.unwrap_or_default())
            .collect())
    }

    /// The deployed workflows (Deployments labelled `managed-by=tentacular`) in `namespace`,
    /// or in every namespace when `None`; sorted by namespace and name.
    pub async fn list(&self, namespace: Option<&str>) -> Result<Vec<WorkflowSummary>> {
        let api: Api<Deployment> = match namespace {
            Some(ns) => Api::namespaced(self.client.clone(), ns),
            None => Api::all(self.client.clone()),
        };
        let list = api
            .list(&ListParams::default().labels(&manifests::managed_selector()))
            .await
            .map_err(|e| self.err("list", "deployments.apps", namespace, e))?;
        let mut out: Vec<_> = list.items.iter().map(WorkflowSummary::of).collect();
        out.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        Ok(out)
    }
}
