//! `deploy`: server-side apply of every generated object, prune of what a new version no
//! longer produces, and a rollout restart when only the secrets changed.

use std::collections::BTreeSet;
use std::fmt;

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PropagationPolicy};
use kube::{Api, Resource};
use serde::Serialize;

use super::{Cluster, Object, versions};
use crate::error::Result;
use crate::manifests::{self, Manifests, ObjectRef};

/// The field manager of every server-side apply.
pub const FIELD_MANAGER: &str = "tntc";
/// The field manager of the restart annotation (kept apart so that applies never fight it).
const RESTART_MANAGER: &str = "tntc-restart";

/// How to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Delete objects with the workflow's labels that this generation does not produce (e.g.
    /// the CronJob of a removed trigger). By default, `true`. The Secret is only pruned when
    /// the input manages it ([`crate::manifests::DeployInput::secrets`] is `Some`).
    pub prune: bool,
    /// Ask the server to validate and admit everything without persisting (`dryRun=All`).
    /// By default, `false`.
    pub server_dry_run: bool,
    /// Code versions (`<wf>-code-<hash>` ConfigMaps) to keep when pruning, the one deployed
    /// now included; older ones are deleted. By default
    /// [`tentacular_spec::Deployment::DEFAULT_KEEP_VERSIONS`].
    pub keep_versions: usize,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            prune: true,
            server_dry_run: false,
            keep_versions: tentacular_spec::Deployment::DEFAULT_KEEP_VERSIONS as usize,
        }
    }
}

/// What happened to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// It did not exist.
    Created,
    /// It existed and changed.
    Updated,
    /// It existed and the apply changed nothing.
    Unchanged,
    /// It existed but this generation no longer produces it, so it was deleted.
    Pruned,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Created => "created",
            Action::Updated => "updated",
            Action::Unchanged => "unchanged",
            Action::Pruned => "pruned",
        })
    }
}

/// One object's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectChange {
    /// Kind, e.g. `CronJob`.
    pub kind: String,
    /// Name.
    pub name: String,
    /// What happened.
    pub action: Action,
}

/// The outcome of [`Cluster::apply`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplyReport {
    /// Workflow name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// Every applied and pruned object, in order.
    pub objects: Vec<ObjectChange>,
    /// Whether a rollout restart was triggered (the Secret changed but the pod template did
    /// not; a code change rolls the pods by itself through the code hash annotation).
    pub restarted: bool,
    /// Whether nothing was persisted (server dry run).
    pub dry_run: bool,
}

impl ApplyReport {
    /// Whether anything was created, updated or pruned.
    pub fn changed(&self) -> bool {
        self.objects.iter().any(|o| o.action != Action::Unchanged)
    }
}

/// `plural[.group]`, as RBAC and error messages name a resource.
pub(crate) fn resource_name<K: Resource<DynamicType = ()>>() -> String {
    let group = K::group(&());
    if group.is_empty() {
        K::plural(&()).into_owned()
    } else {
        format!("{}.{}", K::plural(&()), group)
    }
}

/// What "changed" means for an object: everything but its status and the metadata the server
/// or controllers maintain. (Comparing resourceVersions would count a controller's concurrent
/// status write as an update.)
fn fingerprint<K: Serialize>(obj: &K) -> serde_json::Value {
    let mut v = serde_json::to_value(obj).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.remove("status");
        if let Some(meta) = o.get_mut("metadata").and_then(|m| m.as_object_mut()) {
            meta.retain(|k, _| matches!(k.as_str(), "labels" | "annotations" | "finalizers"));
            if let Some(ann) = meta.get_mut("annotations").and_then(|a| a.as_object_mut()) {
                ann.retain(|k, _| !k.starts_with("deployment.kubernetes.io/"));
            }
        }
    }
    v
}

impl Cluster {
    /// Applies every object of `manifests` (server-side apply, field manager `tntc`, forced),
    /// prunes stale ones, and restarts the rollout when only the Secret changed.
    pub async fn apply(&self, manifests: &Manifests, opts: &ApplyOptions) -> Result<ApplyReport> {
        let ns = manifests.namespace.as_str();
        let mut objects = Vec::new();
        let mut secret_updated = false;
        let mut deployment_action = Action::Unchanged;
        for obj in manifests.objects() {
            let action = match obj {
                ObjectRef::ConfigMap(o) => self.apply_code(ns, o, opts).await?,
                ObjectRef::Secret(o) => {
                    let a = self.apply_one(ns, o, opts).await?;
                    secret_updated = a == Action::Updated;
                    a
                }
                ObjectRef::Service(o) => self.apply_one(ns, o, opts).await?,
                ObjectRef::NetworkPolicy(o) => self.apply_one(ns, o, opts).await?,
                ObjectRef::Deployment(o) => {
                    deployment_action = self.apply_one(ns, o, opts).await?;
                    deployment_action
                }
                ObjectRef::HorizontalPodAutoscaler(o) => self.apply_one(ns, o, opts).await?,
                ObjectRef::PodDisruptionBudget(o) => self.apply_one(ns, o, opts).await?,
                ObjectRef::CronJob(o) => self.apply_one(ns, o, opts).await?,
                ObjectRef::ServiceAccount(o) => self.apply_one(ns, o, opts).await?,
                ObjectRef::Role(o) => self.apply_one(ns, o, opts).await?,
                ObjectRef::RoleBinding(o) => self.apply_one(ns, o, opts).await?,
                ObjectRef::ClusterRole(o) => self.apply_cluster_scoped(o, opts).await?,
                ObjectRef::ClusterRoleBinding(o) => self.apply_cluster_scoped(o, opts).await?,
            };
            objects.push(ObjectChange {
                kind: obj.kind().into(),
                name: obj.name().into(),
                action,
            });
        }
        if opts.prune {
            let name = manifests.name.as_str();
            let mut keep: BTreeSet<(String, String)> = objects
                .iter()
                .map(|o| (o.kind.clone(), o.name.clone()))
                .collect();
            // Earlier code versions stay for `tntc rollback`, up to `keep_versions`.
            let versions = self.versions(ns, name).await?;
            keep.extend(
                versions::to_keep(&versions, opts.keep_versions)
                    .into_iter()
                    .map(|cm| ("ConfigMap".to_string(), cm)),
            );
            let dry = opts.server_dry_run;
            let mut pruned = Vec::new();
            pruned.extend(
                self.prune::<ConfigMap>("ConfigMap", ns, name, &keep, dry)
                    .await?,
            );
            if manifests.secret.is_some() {
                pruned.extend(self.prune::<Secret>("Secret", ns, name, &keep, dry).await?);
            }
            pruned.extend(
                self.prune::<Service>("Service", ns, name, &keep, dry)
                    .await?,
            );
            pruned.extend(
                self.prune::<NetworkPolicy>("NetworkPolicy", ns, name, &keep, dry)
                    .await?,
            );
            pruned.extend(
                self.prune::<Deployment>("Deployment", ns, name, &keep, dry)
                    .await?,
            );
            pruned.extend(
                self.prune::<HorizontalPodAutoscaler>(
                    "HorizontalPodAutoscaler",
                    ns,
                    name,
                    &keep,
                    dry,
                )
                .await?,
            );
            pruned.extend(
                self.prune::<PodDisruptionBudget>("PodDisruptionBudget", ns, name, &keep, dry)
                    .await?,
            );
            pruned.extend(
                self.prune::<CronJob>("CronJob", ns, name, &keep, dry)
                    .await?,
            );
            pruned.extend(self.prune_access(ns, name, &keep, dry).await?);
            objects.extend(pruned);
        }
        let restarted = secret_updated && deployment_action == Action::Unchanged;
        if restarted && !opts.server_dry_run {
            self.restart(ns, &manifests.name).await?;
        }
        Ok(ApplyReport {
            name: manifests.name.clone(),
            namespace: ns.to_string(),
            objects,
            restarted,
            dry_run: opts.server_dry_run,
        })
    }

    /// Applies a code ConfigMap. One that exists already (the same code, deployed before)
    /// keeps the provenance of its first deploy, so that deploying the same directory again
    /// changes nothing and `tntc versions` says when that code first went out.
    async fn apply_code(&self, ns: &str, cm: &ConfigMap, opts: &ApplyOptions) -> Result<Action> {
        let api: Api<ConfigMap> = Api::namespaced(self.client.clone(), ns);
        let name = cm.metadata.name.clone().unwrap_or_default();
        let live = api
            .get_metadata_opt(&name)
            .await
            .map_err(|e| self.err("get", "configmaps", Some(ns), e))?;
        let Some(live) = live else {
            return self.apply_one(ns, cm, opts).await;
        };
        let mut cm = cm.clone();
        let kept = live.metadata.annotations.unwrap_or_default();
        let annotations = cm.metadata.annotations.get_or_insert_with(Default::default);
        for key in manifests::PROVENANCE_ANNOTATIONS {
            match kept.get(key) {
                Some(v) => annotations.insert(key.to_string(), v.clone()),
                None => annotations.remove(key),
            };
        }
        self.apply_one(ns, &cm, opts).await
    }

    async fn apply_one<K>(&self, ns: &str, obj: &K, opts: &ApplyOptions) -> Result<Action>
    where
        K: Object<Scope = NamespaceResourceScope> + Serialize,
    {
        self.apply_with(
            Api::namespaced(self.client.clone(), ns),
            Some(ns),
            obj,
            opts,
        )
        .await
    }

    /// Applies a cluster-scoped object (ClusterRole, ClusterRoleBinding).
    async fn apply_cluster_scoped<K>(&self, obj: &K, opts: &ApplyOptions) -> Result<Action>
    where
        K: Object<Scope = k8s_openapi::ClusterResourceScope> + Serialize,
    {
        self.apply_with(Api::all(self.client.clone()), None, obj, opts)
            .await
    }

    async fn apply_with<K>(
        &self,
        api: Api<K>,
        ns: Option<&str>,
        obj: &K,
        opts: &ApplyOptions,
    ) -> Result<Action>
    where
        K: Object + Serialize,
    {
        let name = obj.meta().name.clone().unwrap_or_default();
        let resource = resource_name::<K>();
        let before = api
            .get_opt(&name)
            .await
            .map_err(|e| self.err("get", &resource, ns, e))?
            .map(|o| fingerprint(&o));
        let mut pp = PatchParams::apply(FIELD_MANAGER).force();
        pp.dry_run = opts.server_dry_run;
        let after = api
            .patch(&name, &pp, &Patch::Apply(obj))
            .await
            .map_err(|e| {
                let verb = if before.is_some() { "patch" } else { "create" };
                self.err(verb, &resource, ns, e)
            })?;
        Ok(match before {
            None => Action::Created,
            Some(b) if b == fingerprint(&after) => Action::Unchanged,
            Some(_) => Action::Updated,
        })
    }

    async fn prune<K>(
        &self,
        kind: &str,
        ns: &str,
        workflow: &str,
        keep: &BTreeSet<(String, String)>,
        dry_run: bool,
    ) -> Result<Vec<ObjectChange>>
    where
        K: Object<Scope = NamespaceResourceScope>,
    {
        let api = Api::namespaced(self.client.clone(), ns);
        let selector = manifests::selector(workflow);
        self.prune_with::<K>(api, Some(ns), kind, &selector, keep, dry_run)
            .await
    }

    /// Prunes the service account and RBAC objects a deploy no longer produces, the
    /// cluster-scoped ones selected by the workflow's namespace label too.
    async fn prune_access(
        &self,
        ns: &str,
        workflow: &str,
        keep: &BTreeSet<(String, String)>,
        dry: bool,
    ) -> Result<Vec<ObjectChange>> {
        let mut out = Vec::new();
        out.extend(
            self.prune::<ServiceAccount>("ServiceAccount", ns, workflow, keep, dry)
                .await?,
        );
        out.extend(self.prune::<Role>("Role", ns, workflow, keep, dry).await?);
        out.extend(
            self.prune::<RoleBinding>("RoleBinding", ns, workflow, keep, dry)
                .await?,
        );
        let selector = manifests::cluster_scoped_selector(ns, workflow);
        for kind in ["ClusterRoleBinding", "ClusterRole"] {
            let pruned = if kind == "ClusterRole" {
                let api = Api::<ClusterRole>::all(self.client.clone());
                self.prune_with(api, None, kind, &selector, keep, dry).await
            } else {
                let api = Api::<ClusterRoleBinding>::all(self.client.clone());
                self.prune_with(api, None, kind, &selector, keep, dry).await
            };
            match pruned {
                Ok(p) => out.extend(p),
                // A deployer with namespaced rights only (the usual case) cannot list
                // cluster-scoped objects; a workflow that never asked for cluster rules has
                // none to prune.
                Err(crate::Error::Forbidden { .. }) if !keep.iter().any(|(k, _)| k == kind) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    async fn prune_with<K>(
        &self,
        api: Api<K>,
        ns: Option<&str>,
        kind: &str,
        selector: &str,
        keep: &BTreeSet<(String, String)>,
        dry_run: bool,
    ) -> Result<Vec<ObjectChange>>
    where
        K: Object,
    {
        let resource = resource_name::<K>();
        let list = api
            .list_metadata(&ListParams::default().labels(selector))
            .await
            .map_err(|e| self.err("list", &resource, ns, e))?;
        let mut out = Vec::new();
        for item in list.items {
            let Some(name) = item.metadata.name else {
                continue;
            };
            if keep.contains(&(kind.to_string(), name.clone())) {
                continue;
            }
            let dp = DeleteParams {
                dry_run,
                propagation_policy: Some(PropagationPolicy::Background),
                ..DeleteParams::default()
            };
            match api.delete(&name, &dp).await {
                Ok(_) => {}
                Err(e) if crate::error::is_not_found(&e) => {}
                Err(e) => return Err(self.err("delete", &resource, ns, e)),
            }
            out.push(ObjectChange {
                kind: kind.to_string(),
                name,
                action: Action::Pruned,
            });
        }
        Ok(out)
    }

    /// Restarts a workflow's pods the way `kubectl rollout restart` does: by stamping the pod
    /// template with `kubectl.kubernetes.io/restartedAt`.
    pub async fn restart(&self, namespace: &str, name: &str) -> Result<()> {
        let api: Api<Deployment> = Api::namespaced(self.client.clone(), namespace);
        let now = jiff::Timestamp::now().to_string();
        let patch = serde_json::json!({"spec": {"template": {"metadata": {"annotations": {
            "kubectl.kubernetes.io/restartedAt": now
        }}}}});
        api.patch(
            name,
            &PatchParams::apply(RESTART_MANAGER),
            &Patch::Merge(&patch),
        )
        .await
        .map_err(|e| self.err("patch", "deployments.apps", Some(namespace), e))?;
        Ok(())
    }
}
