//! `undeploy`: delete every object carrying the workflow's labels, whatever its kind.

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Secret, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
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
    /// Deletes every CronJob, Job, HorizontalPodAutoscaler, PodDisruptionBudget, Deployment,
    /// ReplicaSet, Pod, Service, NetworkPolicy, ConfigMap, Secret, RoleBinding, Role and
    /// ServiceAccount labelled `app.kubernetes.io/name=<name>,managed-by=tentacular`, and the
    /// workflow's ClusterRoleBinding and ClusterRole — the triggers first (no new runs), the
    /// NetworkPolicy after the pods, the grants last.
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
        deleted.extend(
            self.delete_labelled::<RoleBinding>("RoleBinding", namespace, &sel)
                .await?,
        );
        deleted.extend(
            self.delete_labelled::<Role>("Role", namespace, &sel)
                .await?,
        );
        deleted.extend(
            self.delete_labelled::<ServiceAccount>("ServiceAccount", namespace, &sel)
                .await?,
        );
        deleted.extend(self.delete_cluster_grants(namespace, name).await?);
        Ok(UndeployReport {
            name: name.into(),
            namespace: namespace.into(),
            deleted,
        })
    }

    /// Deletes the workflow's ClusterRoleBinding and ClusterRole, if it has any. A deployer
    /// who may not list them (namespaced rights only) cannot have created them either.
    async fn delete_cluster_grants(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<Vec<(String, String)>> {
        let sel = manifests::cluster_scoped_selector(namespace, name);
        let mut out = Vec::new();
        let bindings = self
            .delete_with(
                Api::<ClusterRoleBinding>::all(self.client.clone()),
                None,
                "ClusterRoleBinding",
                &sel,
            )
            .await;
        let roles = match bindings {
            Ok(b) => {
                out.extend(b);
                self.delete_with(
                    Api::<ClusterRole>::all(self.client.clone()),
                    None,
                    "ClusterRole",
                    &sel,
                )
                .await
            }
            Err(e) => Err(e),
        };
        match roles {
            Ok(r) => out.extend(r),
            Err(crate::Error::Forbidden { .. }) => {}
            Err(e) => return Err(e),
        }
        Ok(out)
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
        self.delete_with(api, Some(ns), kind, selector).await
    }

    async fn delete_with<K>(
        &self,
        api: Api<K>,
        ns: Option<&str>,
        kind: &str,
        selector: &str,
    ) -> Result<Vec<(String, String)>>
    where
        K: Object,
    {
        let resource = resource_name::<K>();
        let list = api
            .list_metadata(&ListParams::default().labels(selector))
            .await
            .map_err(|e| self.err("list", &resource, ns, e))?;
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
                Err(e) => return Err(self.err("delete", &resource, ns, e)),
            }
        }
        Ok(out)
    }
}
