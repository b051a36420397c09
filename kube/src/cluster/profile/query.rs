//! The queries behind [`Cluster::profile`]: each part of the cluster listed on its own, and
//! what the user may not read noted in [`ClusterProfile::unknown`] instead of failing.

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{LimitRange, Namespace, Node, Pod, ResourceQuota};
use k8s_openapi::api::node::v1::RuntimeClass;
use k8s_openapi::api::storage::v1::StorageClass;
use kube::Api;
use kube::api::ListParams;

use super::{
    CNIS, ClusterExtensions, ClusterProfile, NamespaceProfile, NodeProfile, RuntimeClassProfile,
    StorageClassProfile, distribution, guidance,
};
use crate::cluster::{Cluster, Object};
use crate::error::Result;
use crate::manifests::DEFAULT_RUNTIME_CLASS;

/// API groups of the extensions [`ClusterExtensions`] names; the others are listed as
/// `other_groups`.
const KNOWN_GROUPS: [&str; 5] = [
    "networking.istio.io",
    "cert-manager.io",
    "monitoring.coreos.com",
    "external-secrets.io",
    "argoproj.io",
];

impl Cluster {
    /// Profiles the cluster and `namespace`. Fails only when the API server cannot be reached.
    pub async fn profile(&self, namespace: &str) -> Result<ClusterProfile> {
        let version = self
            .client
            .apiserver_version()
            .await
            .map_err(|e| self.err("get", "version", None, e))?;
        let mut p = ClusterProfile {
            generated_at: jiff::Timestamp::now().to_string(),
            server: self.server.clone(),
            k8s_version: version.git_version.clone(),
            ..ClusterProfile::default()
        };
        let unknown = &mut p.unknown;

        let nodes: Vec<Node> = self
            .list_or_note(
                Api::all(self.client.clone()),
                "nodes",
                "nodes",
                None,
                unknown,
            )
            .await;
        p.nodes = nodes.iter().map(node_profile).collect();

        let runtime_classes: Vec<RuntimeClass> = self
            .list_or_note(
                Api::all(self.client.clone()),
                "runtime classes",
                "runtimeclasses.node.k8s.io",
                None,
                unknown,
            )
            .await;
        p.runtime_classes = runtime_classes
            .into_iter()
            .map(|r| RuntimeClassProfile {
                name: r.metadata.name.unwrap_or_default(),
                handler: r.handler,
            })
            .collect();
        p.gvisor = p
            .runtime_classes
            .iter()
            .any(|r| r.name == DEFAULT_RUNTIME_CLASS);

        let storage_classes: Vec<StorageClass> = self
            .list_or_note(
                Api::all(self.client.clone()),
                "storage classes",
                "storageclasses.storage.k8s.io",
                None,
                unknown,
            )
            .await;
        p.storage_classes = storage_classes
            .into_iter()
            .map(storage_class_profile)
            .collect();

        if let Some((cni, enforced)) = self.cni(unknown).await {
            p.cni = Some(cni.to_string());
            p.network_policy_enforced = enforced;
        }

        let groups: Vec<String> = match self.client.list_api_groups().await {
            Ok(g) => g.groups.into_iter().map(|g| g.name).collect(),
            Err(e) => {
                unknown.push(format!("API groups: {e}"));
                Vec::new()
            }
        };
        p.extensions = extensions(&groups);
        p.distribution = distribution(&p.k8s_version, &nodes, &groups);

        p.namespace = self.profile_namespace(namespace, &mut p.unknown).await;
        p.guidance = guidance(&p);
        Ok(p)
    }

    /// Every object `api` lists; when the list fails, none, and `unknown` says why
    /// (`"<what>: <error>"`).
    async fn list_or_note<K: Object>(
        &self,
        api: Api<K>,
        what: &str,
        resource: &str,
        namespace: Option<&str>,
        unknown: &mut Vec<String>,
    ) -> Vec<K> {
        let listed = api.list(&ListParams::default()).await.map(|l| l.items);
        self.or_note(listed, what, resource, namespace, unknown)
    }

    /// The listed items, or none with a note in `unknown`.
    fn or_note<T: Default>(
        &self,
        listed: std::result::Result<T, kube::Error>,
        what: &str,
        resource: &str,
        namespace: Option<&str>,
        unknown: &mut Vec<String>,
    ) -> T {
        listed.unwrap_or_else(|e| {
            unknown.push(format!(
                "{what}: {}",
                self.err("list", resource, namespace, e)
            ));
            T::default()
        })
    }

    /// The CNI plugin, guessed from the names of kube-system DaemonSets and pods, and whether it
    /// enforces NetworkPolicies.
    async fn cni(&self, unknown: &mut Vec<String>) -> Option<(&'static str, Option<bool>)> {
        let daemon_sets: Vec<DaemonSet> = self
            .list_or_note(
                Api::namespaced(self.client.clone(), "kube-system"),
                "kube-system daemonsets",
                "daemonsets.apps",
                Some("kube-system"),
                unknown,
            )
            .await;
        let mut names: Vec<String> = names_of(daemon_sets);
        // Pods add to the guess; a user who may not list them loses nothing worth a note.
        if let Ok(l) = Api::<Pod>::namespaced(self.client.clone(), "kube-system")
            .list_metadata(&ListParams::default())
            .await
        {
            names.extend(l.items.into_iter().filter_map(|d| d.metadata.name));
        }
        CNIS.iter()
            .find(|(c, _)| names.iter().any(|n| n.contains(c)))
            .copied()
    }

    async fn profile_namespace(&self, ns: &str, unknown: &mut Vec<String>) -> NamespaceProfile {
        let mut out = NamespaceProfile {
            name: ns.into(),
            ..NamespaceProfile::default()
        };
        match Api::<Namespace>::all(self.client.clone()).get_opt(ns).await {
            Ok(Some(n)) => {
                out.exists = Some(true);
                out.pod_security = n
                    .metadata
                    .labels
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|(k, _)| k.starts_with("pod-security.kubernetes.io/"))
                    .collect();
            }
            Ok(None) => out.exists = Some(false),
            Err(e) => unknown.push(format!(
                "namespace {ns}: {}",
                self.err("get", "namespaces", None, e)
            )),
        }
        let quotas: Vec<ResourceQuota> = self
            .list_or_note(
                Api::namespaced(self.client.clone(), ns),
                &format!("resource quotas in {ns}"),
                "resourcequotas",
                Some(ns),
                unknown,
            )
            .await;
        out.quotas = quotas.into_iter().map(quota_line).collect();
        let limit_ranges: Vec<LimitRange> = self
            .list_or_note(
                Api::namespaced(self.client.clone(), ns),
                &format!("limit ranges in {ns}"),
                "limitranges",
                Some(ns),
                unknown,
            )
            .await;
        out.limit_ranges = names_of(limit_ranges);
        out
    }
}

fn names_of<K: Object>(objects: Vec<K>) -> Vec<String> {
    objects
        .into_iter()
        .filter_map(|o| o.meta().name.clone())
        .collect()
}

fn node_profile(n: &Node) -> NodeProfile {
    let info = n.status.as_ref().and_then(|s| s.node_info.as_ref());
    let field = |f: fn(&k8s_openapi::api::core::v1::NodeSystemInfo) -> &String| {
        info.map(|i| f(i).clone()).unwrap_or_default()
    };
    NodeProfile {
        name: n.metadata.name.clone().unwrap_or_default(),
        arch: field(|i| &i.architecture),
        os: field(|i| &i.operating_system),
        kubelet_version: field(|i| &i.kubelet_version),
        container_runtime: field(|i| &i.container_runtime_version),
        ready: n
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True")),
        taints: n
            .spec
            .as_ref()
            .and_then(|s| s.taints.clone())
            .unwrap_or_default()
            .into_iter()
            .map(|t| match t.value {
                Some(v) => format!("{}={v}:{}", t.key, t.effect),
                None => format!("{}:{}", t.key, t.effect),
            })
            .collect(),
    }
}

fn storage_class_profile(c: StorageClass) -> StorageClassProfile {
    StorageClassProfile {
        is_default: c.metadata.annotations.as_ref().is_some_and(|a| {
            a.get("storageclass.kubernetes.io/is-default-class")
                .map(String::as_str)
                == Some("true")
        }),
        name: c.metadata.name.unwrap_or_default(),
        provisioner: c.provisioner,
        reclaim_policy: c.reclaim_policy.unwrap_or_else(|| "Delete".into()),
        allow_volume_expansion: c.allow_volume_expansion.unwrap_or(false),
    }
}

/// `<name>: cpu=2, memory=4Gi`.
fn quota_line(q: ResourceQuota) -> String {
    let hard = q
        .spec
        .and_then(|s| s.hard)
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| format!("{k}={}", v.0))
        .collect::<Vec<_>>()
        .join(", ");
    format!("{}: {hard}", q.metadata.name.unwrap_or_default())
}

fn extensions(groups: &[String]) -> ClusterExtensions {
    let has = |g: &str| groups.iter().any(|x| x == g);
    ClusterExtensions {
        istio: has("networking.istio.io"),
        cert_manager: has("cert-manager.io"),
        prometheus_operator: has("monitoring.coreos.com"),
        external_secrets: has("external-secrets.io"),
        argo_cd: has("argoproj.io"),
        gateway_api: has("gateway.networking.k8s.io"),
        metrics_server: has("metrics.k8s.io"),
        other_groups: groups
            .iter()
            .filter(|g| {
                g.contains('.') && !g.ends_with(".k8s.io") && !KNOWN_GROUPS.contains(&g.as_str())
            })
            .take(20)
            .cloned()
            .collect(),
    }
}
