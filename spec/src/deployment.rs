//! The `deployment` block: where and how a workflow runs on Kubernetes — namespace, code
//! versions kept, scaling, the engine's resources, and its Kubernetes identity (a service
//! account and the RBAC rules it is granted).

use schemars::JsonSchema;
use serde::Serialize;

use crate::text_value::text_value;
use crate::units::quantity_in;
use crate::values::Extensions;

/// The `deployment` block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
#[schemars(extend("x-tentacular-extensions" = true))]
pub struct Deployment {
    /// Kubernetes namespace to deploy into. By default, the CLI's namespace resolution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// How many code versions (`<wf>-code-<hash>` ConfigMaps) a deploy keeps for
    /// `tntc versions` and `tntc rollback`, the running one included: 1 to 100, by default 5
    /// (`Deployment::DEFAULT_KEEP_VERSIONS`); `tntc deploy --keep-versions` overrides it.
    #[serde(
        default,
        rename = "keepVersions",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(range(min = 1, max = 100))]
    pub keep_versions: Option<u32>,
    /// A fixed number of engine pods (1 to 100). By default 1. Not with `autoscale`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100))]
    pub replicas: Option<u32>,
    /// A HorizontalPodAutoscaler on the engine's CPU. Not with `replicas`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscale: Option<Autoscale>,
    /// CPU and memory of the engine container. Unset amounts take the documented defaults
    /// ([`Resources::DEFAULT_CPU_REQUEST`] and its siblings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    /// The Kubernetes identity the engine runs as. By default, none: no token is mounted.
    #[serde(
        default,
        rename = "serviceAccount",
        skip_serializing_if = "Option::is_none"
    )]
    pub service_account: Option<ServiceAccount>,
    /// What that identity may do in the cluster. Needs `serviceAccount`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rbac: Option<Rbac>,
    /// `x-*` keys, kept as written.
    #[serde(flatten)]
    pub extensions: Extensions,
}

impl Deployment {
    /// Code versions kept when neither workflow.yaml nor the command line says.
    pub const DEFAULT_KEEP_VERSIONS: u32 = 5;
    /// Most engine pods `replicas` or `autoscale.max` may ask for.
    pub const MAX_REPLICAS: u32 = 100;
    /// Most code versions a deploy may keep.
    pub const MAX_KEEP_VERSIONS: u32 = 100;
}

/// `deployment.autoscale`: between `min` and `max` engine pods, aiming at `cpu` percent of
/// the CPU request (the engine runs a stage's nodes on every core, so CPU is the signal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Autoscale {
    /// Fewest pods (1 to 100).
    #[schemars(range(min = 1, max = 100))]
    pub min: u32,
    /// Most pods (`min` to 100).
    #[schemars(range(min = 1, max = 100))]
    pub max: u32,
    /// Target average CPU utilisation, percent of the request (1 to 100). By default 70.
    #[serde(default = "Autoscale::default_cpu")]
    #[schemars(range(min = 1, max = 100))]
    pub cpu: u32,
}

impl Autoscale {
    /// The CPU target when none is given.
    pub const DEFAULT_CPU_PERCENT: u32 = 70;

    fn default_cpu() -> u32 {
        Self::DEFAULT_CPU_PERCENT
    }
}

/// `deployment.resources`: the engine container's requests and limits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// What the scheduler reserves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<Amounts>,
    /// What the container may use at most (the memory limit is the engine's memory budget).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<Amounts>,
}

impl Resources {
    /// CPU request when none is given.
    pub const DEFAULT_CPU_REQUEST: &str = "100m";
    /// Memory request when none is given.
    pub const DEFAULT_MEMORY_REQUEST: &str = "64Mi";
    /// CPU limit when none is given.
    pub const DEFAULT_CPU_LIMIT: &str = "500m";
    /// Memory limit when none is given.
    pub const DEFAULT_MEMORY_LIMIT: &str = "256Mi";

    /// The default CPU and memory requests, parsed.
    pub fn default_amounts() -> (CpuAmount, PodMemory) {
        (
            CpuAmount::parse(Self::DEFAULT_CPU_REQUEST).expect("a valid default"),
            PodMemory::parse(Self::DEFAULT_MEMORY_REQUEST).expect("a valid default"),
        )
    }

    /// The CPU request as written, if any.
    pub fn cpu_request(&self) -> Option<&CpuAmount> {
        self.requests.as_ref()?.cpu.as_ref()
    }
    /// The memory request as written, if any.
    pub fn memory_request(&self) -> Option<&PodMemory> {
        self.requests.as_ref()?.memory.as_ref()
    }
    /// The CPU limit as written, if any.
    pub fn cpu_limit(&self) -> Option<&CpuAmount> {
        self.limits.as_ref()?.cpu.as_ref()
    }
    /// The memory limit as written, if any.
    pub fn memory_limit(&self) -> Option<&PodMemory> {
        self.limits.as_ref()?.memory.as_ref()
    }
}

/// A CPU and a memory amount (`requests` or `limits`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Amounts {
    /// CPU, e.g. `"250m"` or `"1"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<CpuAmount>,
    /// Memory, e.g. `"256Mi"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<PodMemory>,
}

/// A CPU amount in Kubernetes quantity style: millicores (`"250m"`) or cores (`"1"`, `"0.5"`).
/// Between 1m and 256 cores.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CpuAmount {
    text: String,
    millis: u64,
}

impl CpuAmount {
    /// The most accepted: 256 cores.
    pub const MAX_MILLIS: u64 = 256_000;

    /// Parses `"250m"`, `"1"`, `"1.5"`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let millis = parse_millis(t).ok_or_else(|| {
            format!("CPU amount \"{text}\" is not valid: write millicores (\"250m\") or cores (\"1\", \"0.5\")")
        })?;
        if !(1..=Self::MAX_MILLIS).contains(&millis) {
            return Err(format!(
                "CPU amount \"{text}\" is out of range: it must be between 1m and 256"
            ));
        }
        Ok(Self {
            text: t.to_string(),
            millis,
        })
    }

    /// The amount in millicores.
    pub fn millis(&self) -> u64 {
        self.millis
    }

    /// The text as written, e.g. `"250m"`.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// `"250m"` → 250, `"2"` → 2000, `"0.25"` → 250; more than three decimals is not a whole
/// millicore and is refused.
fn parse_millis(t: &str) -> Option<u64> {
    if let Some(m) = t.strip_suffix('m') {
        return (!m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()))
            .then(|| m.parse().ok())
            .flatten();
    }
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && frac.is_empty() || !digits(whole) || !digits(frac) || frac.len() > 3 {
        return None;
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac: u64 = format!("{frac:0<3}").parse().ok()?;
    whole.checked_mul(1000)?.checked_add(frac)
}

text_value!(
    CpuAmount,
    schema = "CpuAmount",
    {
        "type": "string",
        "pattern": "^([0-9]+m|[0-9]*\\.?[0-9]{1,3}|[0-9]+)$",
        "description": "millicores (\"250m\") or cores (\"1\", \"0.5\"), between 1m and 256",
    },
    parse = CpuAmount::parse,
);

/// A container memory amount in Kubernetes quantity style (`"256Mi"`, `"1Gi"`), between 16 MiB
/// and 1 TiB.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PodMemory {
    text: String,
    bytes: u64,
}

impl PodMemory {
    /// The least accepted: 16 MiB (the engine itself needs about that).
    pub const MIN: u64 = 16 << 20;
    /// The most accepted: 1 TiB.
    pub const MAX: u64 = 1 << 40;

    /// Parses `"256Mi"` and the like.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let bytes = quantity_in(
            text,
            "memory amount",
            "256Mi",
            Self::MIN..=Self::MAX,
            "16Mi and 1024Gi",
        )?;
        Ok(Self {
            text: t.to_string(),
            bytes,
        })
    }

    /// The amount in bytes.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The text as written, e.g. `"256Mi"`.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

text_value!(
    PodMemory,
    schema = "PodMemory",
    {
        "type": "string",
        "pattern": "^[0-9]+(Ki|Mi|Gi|k|K|M|G)?$",
        "description": "a Kubernetes-style quantity between 16Mi and 1024Gi, e.g. \"256Mi\"",
    },
    parse = PodMemory::parse,
);

/// `deployment.serviceAccount`: exactly one of `{create: true}` (a ServiceAccount named after
/// the workflow, created and pruned with it) or `{name: <existing>}` (one that already exists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceAccount {
    /// `true`: create one named after the workflow.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub create: bool,
    /// The name of an existing ServiceAccount in the workflow's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl ServiceAccount {
    /// The account the engine runs as, for a workflow named `workflow`.
    pub fn account_name(&self, workflow: &str) -> String {
        self.name.clone().unwrap_or_else(|| workflow.to_string())
    }
}

/// `deployment.rbac`: the rules the workflow's service account is granted — a namespaced
/// Role, or a ClusterRole when `clusterRole: true` (which `validate` warns about).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rbac {
    /// What may be done.
    pub rules: Vec<PolicyRule>,
    /// Grant them cluster-wide (a ClusterRole and ClusterRoleBinding) instead of in the
    /// workflow's namespace.
    #[serde(
        default,
        rename = "clusterRole",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub cluster_role: bool,
}

/// One RBAC rule, as in a Kubernetes Role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyRule {
    /// API groups, `""` for the core group. By default `[""]`.
    #[serde(rename = "apiGroups")]
    pub api_groups: Vec<String>,
    /// Resources, e.g. `pods`, `pods/log`.
    pub resources: Vec<String>,
    /// Verbs, e.g. `get`, `list`, `watch`.
    pub verbs: Vec<String>,
    /// Only these objects, when given.
    #[serde(
        default,
        rename = "resourceNames",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub resource_names: Vec<String>,
}

impl PolicyRule {
    /// The verbs Kubernetes knows (and `*`).
    pub const VERBS: [&str; 12] = [
        "get",
        "list",
        "watch",
        "create",
        "update",
        "patch",
        "delete",
        "deletecollection",
        "impersonate",
        "bind",
        "escalate",
        "*",
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_amounts() {
        let table: &[(&str, Option<u64>)] = &[
            ("250m", Some(250)),
            ("1", Some(1000)),
            ("0.5", Some(500)),
            (".25", Some(250)),
            ("1.125", Some(1125)),
            ("2.", Some(2000)),
            ("0.0001", None),
            ("1.2.3", None),
            ("m", None),
            ("-1", None),
            ("1 m", None),
            ("1k", None),
            ("", None),
            (".", None),
            ("0", None),
            ("0m", None),
            ("257", None),
        ];
        for (text, want) in table {
            assert_eq!(
                CpuAmount::parse(text).ok().map(|c| c.millis()),
                *want,
                "{text:?}"
            );
        }
    }

    #[test]
    fn pod_memory_amounts() {
        let table: &[(&str, Option<u64>)] = &[
            ("256Mi", Some(256 << 20)),
            ("1Gi", Some(1 << 30)),
            ("1024Gi", Some(1 << 40)),
            ("100M", Some(100_000_000)),
            ("8Mi", None),
            ("1025Gi", None),
            ("256MiB", None),
            ("lots", None),
        ];
        for (text, want) in table {
            assert_eq!(
                PodMemory::parse(text).ok().map(|m| m.bytes()),
                *want,
                "{text:?}"
            );
        }
    }

    #[test]
    fn service_account_name() {
        let created = ServiceAccount {
            create: true,
            name: None,
        };
        assert_eq!(created.account_name("digest"), "digest");
        let existing = ServiceAccount {
            create: false,
            name: Some("reader".into()),
        };
        assert_eq!(existing.account_name("digest"), "reader");
    }
}
