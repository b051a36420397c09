//! `undeploy`: delete every object carrying the workflow's labels, whatever its kind.

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Secret, Service};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::Api;
use kube::api::{DeleteParams, ListParams, PropagationPolicy};
use serde::Serialize;

use super::apply::resource_name;
use super::{Cluster, Object};
use crate::error::{Result, is_not_found};
use crate::manifests;

/// What `undeploy` deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UndeployReport {
    /// Workflow name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// `(kind, name)` of every deleted object, in deletion order. Empty: nothing was deployed.
    pub deleted: Vec<(String, String)>,
}

impl Cluster {
    /// Deletes every CronJob, Job, HorizontalPodAutoscaler, PodDisruptionBudget, Deployment, ReplicaSet, Pod, Service, NetworkPolicy,
    /// ConfigMap and Secret labelled `app.kubernetes.io/name=<name>,managed-by=tentacular` —
    /// the triggers first (no new runs), the NetworkPolicy after the pods.
    pub async fn undeploy(&self, namespace: &str, name: &str) -> Result<UndeployReport> {
        let sel = manifests::selector(name);
        let mut deleted = Vec::new();
        deleted.extend(
            self.delete_labelled::<CronJob>("CronJob", namespace, &sel)
                .await?,
        );
        deleted.extend(self.delete_labelled::<Job>("Job", namespace, &sel).await?);
        deleted.extend(
            self.delete_labelled::<HorizontalPodAutoscaler>(
                "HorizontalPodAutoscaler",
                namespace,
                &sel,
            )
            .await?,
        );
        deleted.extend(
            self.delete_labelled::<PodDisruptionBudget>("PodDisruptionBudget", namespace, &sel)
                .await?,
        );
        deleted.extend(
            self.delete_labelled::<Deployment>("Deployment", namespace, &sel)
                .await?,
        );
        deleted.extend(
            self.delete_labelled::<ReplicaSet>("ReplicaSet", namespace, &sel)
                .await?,
        );
        deleted.extend(self.delete_labelled::<Pod>("Pod", namespace, &sel).await?);
        deleted.extend(
            self.delete_labelled::<Service>("Service", namespace, &sel)
                .await?,
        );
        deleted.extend(
            self.delete_labelled::<NetworkPolicy>("NetworkPolicy", namespace, &sel)
                .await?,
        );
        deleted.extend(
            self.delete_labelled::<ConfigMap>("ConfigMap", namespace, &sel)
                .await?,
        );
        deleted.extend(
            self.delete_labelled::<Secret>("Secret", namespace, &sel)
                .await?,
        );
        Ok(UndeployReport {
            name: name.into(),
            namespace: namespace.into(),
            deleted,
        })
    }

    async fn delete_labelled<K>(
        &self,
        kind: &str,
        ns: &str,
        selector: &str,
    ) -> Result<Vec<(String, String)>>
    where
        K: Object<Scope = NamespaceResourceScope>,
    {
        let api: Api<K> = Api::namespaced(self.client.clone(), ns);
        let resource = resource_name::<K>();
        let list = api
            .list_metadata(&ListParams::default().labels(selector))
            .await
            .map_err(|e| self.err("list", &resource, Some(ns), e))?;
        let dp = DeleteParams {
            propagation_policy: Some(PropagationPolicy::Background),
            ..DeleteParams::default()
        };
        let mut out = Vec::new();
        for item in list.items {
            let Some(name) = item.metadata.name else {
                continue;
            };
            if item.metadata.deletion_timestamp.is_some() {
                continue;
            }
            match api.delete(&name, &dp).await {
                Ok(_) => out.push((kind.to_string(), name)),
                Err(e) if is_not_found(&e) => {}
                Err(e) => return Err(self.err("delete", &resource, Some(ns), e)),
            }
        }
        Ok(out)
    }
}
