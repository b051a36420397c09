//! `cluster profile`: what an agent or a human should know about a cluster before deploying
//! workflows to it. Every part is best effort: what the user may not read is listed in
//! [`ClusterProfile::unknown`] instead of failing the whole profile.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use k8s_openapi::api::apps::v1::DaemonSet;
use k8s_openapi::api::core::v1::{LimitRange, Namespace, Node, Pod, ResourceQuota};
use k8s_openapi::api::node::v1::RuntimeClass;
use k8s_openapi::api::storage::v1::StorageClass;
use kube::Api;
use kube::api::ListParams;
use serde::Serialize;

use super::Cluster;
use crate::error::Result;
use crate::manifests::DEFAULT_RUNTIME_CLASS;

/// A node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeProfile {
    /// Name.
    pub name: String,
    /// CPU architecture.
    pub arch: String,
    /// Operating system.
    pub os: String,
    /// Kubelet version.
    pub kubelet_version: String,
    /// Container runtime (e.g. `containerd://1.7`).
    pub container_runtime: String,
    /// Whether the node is Ready.
    pub ready: bool,
    /// Taints as `key=value:effect`.
    pub taints: Vec<String>,
}

/// A RuntimeClass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuntimeClassProfile {
    /// Name.
    pub name: String,
    /// CRI handler.
    pub handler: String,
}

/// A StorageClass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageClassProfile {
    /// Name.
    pub name: String,
    /// Provisioner.
    pub provisioner: String,
    /// Reclaim policy.
    pub reclaim_policy: String,
    /// Whether it is the default class.
    pub is_default: bool,
    /// Whether volumes can grow.
    pub allow_volume_expansion: bool,
}

/// Well-known extensions, detected by their API groups.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterExtensions {
    /// `networking.istio.io`.
    pub istio: bool,
    /// `cert-manager.io`.
    pub cert_manager: bool,
    /// `monitoring.coreos.com`.
    pub prometheus_operator: bool,
    /// `external-secrets.io`.
    pub external_secrets: bool,
    /// `argoproj.io`.
    pub argo_cd: bool,
    /// `gateway.networking.k8s.io`.
    pub gateway_api: bool,
    /// `metrics.k8s.io`.
    pub metrics_server: bool,
    /// Other non-Kubernetes API groups (CRDs, aggregated APIs), at most 20.
    pub other_groups: Vec<String>,
}

/// The target namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceProfile {
    /// Name.
    pub name: String,
    /// Whether it exists (`None`: not allowed to tell).
    pub exists: Option<bool>,
    /// `pod-security.kubernetes.io/*` labels.
    pub pod_security: BTreeMap<String, String>,
    /// ResourceQuotas as `name: resource=hard, …`.
    pub quotas: Vec<String>,
    /// LimitRanges by name.
    pub limit_ranges: Vec<String>,
}

/// Everything `cluster profile` reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterProfile {
    /// When (RFC 3339).
    pub generated_at: String,
    /// API server URL.
    pub server: String,
    /// `gitVersion`, e.g. `v1.34.4`.
    pub k8s_version: String,
    /// Best guess: EKS, GKE, AKS, k3s, k0s, kind, OpenShift, or vanilla.
    pub distribution: String,
    /// Nodes.
    pub nodes: Vec<NodeProfile>,
    /// RuntimeClasses.
    pub runtime_classes: Vec<RuntimeClassProfile>,
    /// Whether a RuntimeClass `gvisor` exists.
    pub gvisor: bool,
    /// StorageClasses.
    pub storage_classes: Vec<StorageClassProfile>,
    /// Best guess of the CNI plugin, from kube-system workloads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cni: Option<String>,
    /// Whether that CNI enforces NetworkPolicies (`None`: unknown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_policy_enforced: Option<bool>,
    /// Extensions.
    pub extensions: ClusterExtensions,
    /// The target namespace.
    pub namespace: NamespaceProfile,
    /// Advice derived from the above.
    pub guidance: Vec<String>,
    /// Parts the current user may not read.
    pub unknown: Vec<String>,
}

const CNIS: [(&str, Option<bool>); 10] = [
    ("cilium", Some(true)),
    ("calico", Some(true)),
    ("canal", Some(true)),
    ("antrea", Some(true)),
    ("weave", Some(true)),
    ("kube-router", Some(true)),
    ("kindnet", Some(true)),
    ("flannel", Some(false)),
    ("aws-node", None),
    ("azure-cns", None),
];

fn distribution(version: &str, nodes: &[Node], groups: &[String]) -> String {
    let labels: Vec<&BTreeMap<String, String>> = nodes
        .iter()
        .filter_map(|n| n.metadata.labels.as_ref())
        .collect();
    let provider = nodes
        .iter()
        .filter_map(|n| n.spec.as_ref().and_then(|s| s.provider_id.clone()))
        .next()
        .unwrap_or_default();
    let has_label = |prefix: &str| {
        labels
            .iter()
            .any(|l| l.keys().any(|k| k.starts_with(prefix)))
    };
    if version.contains("-eks") || has_label("eks.amazonaws.com") {
        "EKS"
    } else if version.contains("-gke") || has_label("cloud.google.com/gke") {
        "GKE"
    } else if has_label("kubernetes.azure.com") {
        "AKS"
    } else if groups.iter().any(|g| g == "config.openshift.io") {
        "OpenShift"
    } else if version.contains("+k3s") {
        "k3s"
    } else if version.contains("+k0s") {
        "k0s"
    } else if provider.starts_with("kind://") {
        "kind"
    } else {
        "vanilla"
    }
    .into()
}

impl ClusterProfile {
    /// A Markdown report (what `cluster profile` prints and `--save` writes as `<env>.md`).
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let yes = |b: bool| if b { "yes" } else { "no" };
        let _ = writeln!(s, "# Cluster profile\n");
        let _ = writeln!(s, "- Generated: {}", self.generated_at);
        let _ = writeln!(s, "- API server: {}", self.server);
        let _ = writeln!(
            s,
            "- Kubernetes: {} ({})",
            self.k8s_version, self.distribution
        );
        let _ = writeln!(s, "- gVisor RuntimeClass: {}", yes(self.gvisor));
        let _ = writeln!(
            s,
            "- CNI: {} (NetworkPolicy enforced: {})",
            self.cni.as_deref().unwrap_or("unknown"),
            self.network_policy_enforced.map(yes).unwrap_or("unknown")
        );
        let _ = writeln!(
            s,
            "\n## Nodes\n\n| name | arch | os | kubelet | runtime | ready | taints |\n| --- | --- | --- | --- | --- | --- | --- |"
        );
        for n in &self.nodes {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} |",
                n.name,
                n.arch,
                n.os,
                n.kubelet_version,
                n.container_runtime,
                yes(n.ready),
                n.taints.join(", ")
            );
        }
        let _ = writeln!(s, "\n## Runtime classes\n");
        for r in &self.runtime_classes {
            let _ = writeln!(s, "- {} (handler {})", r.name, r.handler);
        }
        if self.runtime_classes.is_empty() {
            let _ = writeln!(s, "- none");
        }
        let _ = writeln!(s, "\n## Storage classes\n");
        for c in &self.storage_classes {
            let _ = writeln!(
                s,
                "- {}{}: {} (reclaim {}, expansion {})",
                c.name,
                if c.is_default { " (default)" } else { "" },
                c.provisioner,
                c.reclaim_policy,
                yes(c.allow_volume_expansion)
            );
        }
        if self.storage_classes.is_empty() {
            let _ = writeln!(s, "- none");
        }
        let e = &self.extensions;
        let _ = writeln!(s, "\n## Extensions\n");
        for (name, on) in [
            ("Istio", e.istio),
            ("cert-manager", e.cert_manager),
            ("Prometheus operator", e.prometheus_operator),
            ("External Secrets", e.external_secrets),
            ("Argo CD", e.argo_cd),
            ("Gateway API", e.gateway_api),
            ("metrics-server", e.metrics_server),
        ] {
            let _ = writeln!(s, "- {name}: {}", yes(on));
        }
        if !e.other_groups.is_empty() {
            let _ = writeln!(s, "- other API groups: {}", e.other_groups.join(", "));
        }
        let ns = &self.namespace;
        let _ = writeln!(s, "\n## Namespace {}\n", ns.name);
        let _ = writeln!(s, "- exists: {}", ns.exists.map(yes).unwrap_or("unknown"));
        for (k, v) in &ns.pod_security {
            let _ = writeln!(s, "- {k}: {v}");
        }
        for q in &ns.quotas {
            let _ = writeln!(s, "- quota {q}");
        }
        for l in &ns.limit_ranges {
            let _ = writeln!(s, "- limit range {l}");
        }
        if !self.guidance.is_empty() {
            let _ = writeln!(s, "\n## Guidance\n");
            for g in &self.guidance {
                let _ = writeln!(s, "- {g}");
            }
        }
        if !self.unknown.is_empty() {
            let _ = writeln!(s, "\n## Not readable with these credentials\n");
            for u in &self.unknown {
                let _ = writeln!(s, "- {u}");
            }
        }
        s
    }
}

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
        let lp = ListParams::default();

        let nodes = match Api::<Node>::all(self.client.clone()).list(&lp).await {
            Ok(l) => l.items,
            Err(e) => {
                p.unknown
                    .push(format!("nodes: {}", self.err("list", "nodes", None, e)));
                Vec::new()
            }
        };
        p.nodes = nodes
            .iter()
            .map(|n| {
                let info = n.status.as_ref().and_then(|s| s.node_info.clone());
                NodeProfile {
                    name: n.metadata.name.clone().unwrap_or_default(),
                    arch: info
                        .as_ref()
                        .map(|i| i.architecture.clone())
                        .unwrap_or_default(),
                    os: info
                        .as_ref()
                        .map(|i| i.operating_system.clone())
                        .unwrap_or_default(),
                    kubelet_version: info
                        .as_ref()
                        .map(|i| i.kubelet_version.clone())
                        .unwrap_or_default(),
                    container_runtime: info
                        .as_ref()
                        .map(|i| i.container_runtime_version.clone())
                        .unwrap_or_default(),
                    ready: n
                        .status
                        .as_ref()
                        .and_then(|s| s.conditions.as_ref())
                        .is_some_and(|c| {
                            c.iter().any(|c| c.type_ == "Ready" && c.status == "True")
                        }),
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
            })
            .collect();

        match Api::<RuntimeClass>::all(self.client.clone())
            .list(&lp)
            .await
        {
            Ok(l) => {
                p.runtime_classes = l
                    .items
                    .into_iter()
                    .map(|r| RuntimeClassProfile {
                        name: r.metadata.name.unwrap_or_default(),
                        handler: r.handler,
                    })
                    .collect();
            }
            Err(e) => p.unknown.push(format!(
                "runtime classes: {}",
                self.err("list", "runtimeclasses.node.k8s.io", None, e)
            )),
        }
        p.gvisor = p
            .runtime_classes
            .iter()
            .any(|r| r.name == DEFAULT_RUNTIME_CLASS);

        match Api::<StorageClass>::all(self.client.clone())
            .list(&lp)
            .await
        {
            Ok(l) => {
                p.storage_classes = l
                    .items
                    .into_iter()
                    .map(|c| StorageClassProfile {
                        is_default: c.metadata.annotations.as_ref().is_some_and(|a| {
                            a.get("storageclass.kubernetes.io/is-default-class")
                                .map(String::as_str)
                                == Some("true")
                        }),
                        name: c.metadata.name.unwrap_or_default(),
                        provisioner: c.provisioner,
                        reclaim_policy: c.reclaim_policy.unwrap_or_else(|| "Delete".into()),
                        allow_volume_expansion: c.allow_volume_expansion.unwrap_or(false),
                    })
                    .collect();
            }
            Err(e) => p.unknown.push(format!(
                "storage classes: {}",
                self.err("list", "storageclasses.storage.k8s.io", None, e)
            )),
        }

        // CNI: names of kube-system DaemonSets and pods.
        let mut workload_names = Vec::new();
        match Api::<DaemonSet>::namespaced(self.client.clone(), "kube-system")
            .list_metadata(&lp)
            .await
        {
            Ok(l) => workload_names.extend(l.items.into_iter().filter_map(|d| d.metadata.name)),
            Err(e) => p.unknown.push(format!(
                "kube-system daemonsets: {}",
                self.err("list", "daemonsets.apps", Some("kube-system"), e)
            )),
        }
        if let Ok(l) = Api::<Pod>::namespaced(self.client.clone(), "kube-system")
            .list_metadata(&lp)
            .await
        {
            workload_names.extend(l.items.into_iter().filter_map(|d| d.metadata.name));
        }
        if let Some((cni, enforced)) = CNIS
            .iter()
            .find(|(c, _)| workload_names.iter().any(|n| n.contains(c)))
        {
            p.cni = Some(cni.to_string());
            p.network_policy_enforced = *enforced;
        }

        let groups: Vec<String> = match self.client.list_api_groups().await {
            Ok(g) => g.groups.into_iter().map(|g| g.name).collect(),
            Err(e) => {
                p.unknown.push(format!("API groups: {e}"));
                Vec::new()
            }
        };
        let has = |g: &str| groups.iter().any(|x| x == g);
        let known = [
            "networking.istio.io",
            "cert-manager.io",
            "monitoring.coreos.com",
            "external-secrets.io",
            "argoproj.io",
        ];
        p.extensions = ClusterExtensions {
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
                    g.contains('.') && !g.ends_with(".k8s.io") && !known.contains(&g.as_str())
                })
                .take(20)
                .cloned()
                .collect(),
        };
        p.distribution = distribution(&p.k8s_version, &nodes, &groups);

        p.namespace = self.profile_namespace(namespace, &mut p.unknown).await;
        p.guidance = guidance(&p);
        Ok(p)
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
        let lp = ListParams::default();
        match Api::<ResourceQuota>::namespaced(self.client.clone(), ns)
            .list(&lp)
            .await
        {
            Ok(l) => {
                out.quotas = l
                    .items
                    .into_iter()
                    .map(|q| {
                        let hard = q
                            .spec
                            .and_then(|s| s.hard)
                            .unwrap_or_default()
                            .into_iter()
                            .map(|(k, v)| format!("{k}={}", v.0))
                            .collect::<Vec<_>>()
                            .join(", ");
                        format!("{}: {hard}", q.metadata.name.unwrap_or_default())
                    })
                    .collect();
            }
            Err(e) => unknown.push(format!(
                "resource quotas in {ns}: {}",
                self.err("list", "resourcequotas", Some(ns), e)
            )),
        }
        match Api::<LimitRange>::namespaced(self.client.clone(), ns)
            .list_metadata(&lp)
            .await
        {
            Ok(l) => {
                out.limit_ranges = l
                    .items
                    .into_iter()
                    .filter_map(|l| l.metadata.name)
                    .collect()
            }
            Err(e) => unknown.push(format!(
                "limit ranges in {ns}: {}",
                self.err("list", "limitranges", Some(ns), e)
            )),
        }
        out
    }
}

fn guidance(p: &ClusterProfile) -> Vec<String> {
    let mut g = Vec::new();
    if !p.gvisor {
        g.push(
            "No gVisor RuntimeClass: install runsc on the nodes (deploy/gvisor/README.md) and run \
             `tntc cluster install`; until then deploys need `--runtime-class none` (no sandbox)."
                .into(),
        );
    }
    match p.network_policy_enforced {
        Some(false) => g.push(format!(
            "The CNI ({}) does not enforce NetworkPolicies: the generated egress rules are \
             documentation only; the engine's sandbox still enforces the contract.",
            p.cni.as_deref().unwrap_or("unknown")
        )),
        None => g.push(
            "Could not tell whether NetworkPolicies are enforced; treat egress rules as \
             best effort."
                .into(),
        ),
        Some(true) => {}
    }
    if p.namespace.exists == Some(false) {
        g.push(format!(
            "Namespace {} does not exist: `tntc cluster check --fix` creates it.",
            p.namespace.name
        ));
    }
    if let Some(level) = p
        .namespace
        .pod_security
        .get("pod-security.kubernetes.io/enforce")
    {
        g.push(format!(
            "Pod Security `{level}` is enforced in {}; tntc's pods meet `restricted`.",
            p.namespace.name
        ));
    }
    if !p.namespace.quotas.is_empty() {
        g.push("A ResourceQuota applies: every tntc container sets requests and limits.".into());
    }
    g
}
