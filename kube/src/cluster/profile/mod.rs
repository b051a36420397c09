//! `cluster profile`: what an agent or a human should know about a cluster before deploying
//! workflows to it. Every part is best effort: what the user may not read is listed in
//! [`ClusterProfile::unknown`] instead of failing the whole profile.
//!
//! This module holds the report's types, its Markdown and the guidance derived from it; the
//! queries that fill it are in `query`.

mod query;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use k8s_openapi::api::core::v1::Node;
use serde::Serialize;

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

/// Known CNI plugins (by a kube-system workload name) and whether they enforce NetworkPolicies.
pub(super) const CNIS: [(&str, Option<bool>); 10] = [
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

pub(super) fn distribution(version: &str, nodes: &[Node], groups: &[String]) -> String {
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

pub(super) fn guidance(p: &ClusterProfile) -> Vec<String> {
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
