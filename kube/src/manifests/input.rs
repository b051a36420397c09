//! What a workflow's manifests are built from: [`DeployInput`] and its parts. Plain data;
//! the CLI fills it from the workflow directory, the contract and the resolved config.

use std::collections::BTreeMap;

use serde::Serialize;
use tentacular_spec::derived::{Derived, EgressKind};
use tentacular_spec::{CronTrigger, IpProtocol, PortRule, TriggerKind, Workflow};

use super::*;

/// Everything the manifests are built from. The CLI fills it from the workflow directory,
/// the contract derivations and the resolved config.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct DeployInput {
    /// Workflow name (`workflow.yaml` `name`); a DNS-1035 label of at most 47 characters.
    pub name: String,
    /// Workflow version (`workflow.yaml` `version`), a label value.
    pub version: String,
    /// Target namespace.
    pub namespace: String,
    /// Engine image reference.
    pub image: String,
    /// `workflow.yaml` and every file the workflow needs (nodes, helpers), keyed by
    /// workflow-relative path with `/` separators. Must contain `workflow.yaml`.
    pub files: BTreeMap<String, String>,
    /// One CronJob each.
    pub cron_triggers: Vec<CronTrigger>,
    /// Whether a webhook trigger exists (widens ingress, see [`DeployInput::webhook_namespaces`]).
    pub has_webhook: bool,
    /// Namespaces (besides the workflow's own) that may deliver webhooks, e.g. `istio-system`
    /// for an ingress gateway. Only used when `has_webhook`. By default, empty.
    pub webhook_namespaces: Vec<String>,
    /// Outbound rules for named hosts, from the contract.
    pub egress: Vec<HostEgress>,
    /// Outbound rules for address ranges (dynamic targets, `networkPolicy.additionalEgress`).
    pub cidr_egress: Vec<CidrEgress>,
    /// Whether a `kubernetes` dependency needs the cluster's API server (set by
    /// [`DeployInput::add_contract`]). By default, false.
    pub needs_api_server: bool,
    /// Where the API server is, as the cluster says ([`crate::cluster::Cluster::api_server_egress`]):
    /// the NetworkPolicy's egress to it when [`DeployInput::needs_api_server`]. `None` (the
    /// default, e.g. offline in `deploy --dry-run`) leaves that rule out, with a warning.
    pub api_server_egress: Option<Vec<CidrEgress>>,
    /// Extra sources allowed to reach port 8080, as CIDRs — e.g. the API server's addresses so
    /// that `tntc run` through the service proxy passes the NetworkPolicy. By default, empty.
    pub proxy_ingress_cidrs: Vec<String>,
    /// Local secrets, service → value. A string is stored as is; anything else (a map of keys)
    /// as JSON, which is what the engine reads back from `/app/secrets/<service>`.
    /// `None`: no Secret is generated, and an existing `<wf>-secrets` is left alone (not pruned).
    pub secrets: Option<BTreeMap<String, serde_json::Value>>,
    /// Secrets the contract references, as `service.key`; checked by `audit` and `cluster check`.
    pub required_secrets: Vec<String>,
    /// The pod's runtime class. By default, gVisor.
    pub runtime_class: RuntimeClassChoice,
    /// Run the engine under this service account and mount its token. By default, none: the
    /// token is not mounted.
    pub service_account: Option<String>,
    /// Create that service account (`deployment.serviceAccount: {create: true}`) rather than
    /// use an existing one. By default, false.
    pub create_service_account: bool,
    /// The rules granted to the service account (`deployment.rbac`). By default, none.
    pub rbac: Option<tentacular_spec::Rbac>,
    /// CPU/memory for the engine container.
    pub resources: Resources,
    /// Size limit of the `/tmp` emptyDir. By default, `512Mi`.
    pub tmp_size_limit: String,
    /// `imagePullPolicy` of every container. By default, unset (Kubernetes picks `Always` for
    /// `:latest`, `IfNotPresent` otherwise).
    pub image_pull_policy: Option<String>,
    /// Who deployed this code, when and from where: annotations of the code ConfigMap, for
    /// `tntc versions`. By default, empty (nothing is annotated).
    pub provenance: Provenance,
    /// A fixed number of engine pods. By default 1; ignored with `autoscale`.
    pub replicas: Option<u32>,
    /// A HorizontalPodAutoscaler instead of a fixed count (the Deployment then leaves
    /// `spec.replicas` to it).
    pub autoscale: Option<tentacular_spec::Autoscale>,
    /// How long a stopping pod may take to finish the runs it started. By default 30 s; see
    /// [`DeployInput::add_deployment`].
    pub termination_grace_seconds: u32,
}

/// The grace period of a stopping engine pod unless the workflow's timeouts need more.
pub const DEFAULT_TERMINATION_GRACE_SECONDS: u32 = 30;

/// Where a code version came from ([`ANNOTATION_DEPLOYED_AT`] and its siblings on the code
/// ConfigMap). Every field is optional; unset fields are not annotated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// RFC 3339 time of the deploy.
    pub deployed_at: Option<String>,
    /// Who ran it, e.g. `alice@laptop`.
    pub deployed_by: Option<String>,
    /// The commit the workflow directory was at (`-dirty` when it had changes).
    pub git_sha: Option<String>,
    /// The workflow directory it was deployed from.
    pub source: Option<String>,
}

impl DeployInput {
    /// An input with defaults for everything but the identity and the image.
    pub fn new(name: &str, version: &str, namespace: &str, image: &str) -> Self {
        DeployInput {
            name: name.to_string(),
            version: version.to_string(),
            namespace: namespace.to_string(),
            image: image.to_string(),
            files: BTreeMap::new(),
            cron_triggers: Vec::new(),
            has_webhook: false,
            webhook_namespaces: Vec::new(),
            egress: Vec::new(),
            cidr_egress: Vec::new(),
            needs_api_server: false,
            api_server_egress: None,
            proxy_ingress_cidrs: Vec::new(),
            secrets: None,
            required_secrets: Vec::new(),
            runtime_class: RuntimeClassChoice::default(),
            service_account: None,
            create_service_account: false,
            rbac: None,
            resources: Resources::default(),
            tmp_size_limit: "512Mi".to_string(),
            image_pull_policy: None,
            provenance: Provenance::default(),
            replicas: None,
            autoscale: None,
            termination_grace_seconds: DEFAULT_TERMINATION_GRACE_SECONDS,
        }
    }

    /// Takes the workflow's `deployment` block (scaling, resources, service account and RBAC
    /// rules) and a grace period long enough for a run already started to finish: the
    /// longest node timeout times its attempts, plus 5 s (at least 30 s).
    pub fn add_deployment(&mut self, workflow: &Workflow) {
        if let Some(d) = &workflow.deployment {
            self.replicas = d.replicas;
            self.autoscale = d.autoscale;
            if let Some(r) = &d.resources {
                self.resources.take(r);
            }
            if let Some(sa) = &d.service_account {
                self.service_account = Some(sa.account_name(workflow.name.as_str()));
                self.create_service_account = sa.create;
            }
            self.rbac = d.rbac.clone();
        }
        let longest = workflow
            .nodes
            .keys()
            .map(|n| workflow.timeout_of(n))
            .max()
            .unwrap_or_else(|| workflow.config.timeout());
        let attempts = u64::from(workflow.config.retries()) + 1;
        let needed = longest.as_secs().saturating_mul(attempts).saturating_add(5);
        self.termination_grace_seconds = u32::try_from(needed)
            .unwrap_or(u32::MAX)
            .max(DEFAULT_TERMINATION_GRACE_SECONDS);
    }

    /// Whether the engine runs on two pods or more at some point (a PodDisruptionBudget
    /// then keeps all but one of them through voluntary disruptions).
    pub fn several_pods(&self) -> bool {
        match &self.autoscale {
            Some(a) => a.min >= 2,
            None => self.replicas.unwrap_or(1) >= 2,
        }
    }

    /// Takes the workflow's cron triggers (one CronJob each) and whether it has a webhook
    /// trigger.
    pub fn add_triggers(&mut self, workflow: &Workflow) {
        self.cron_triggers.extend(workflow.cron_triggers());
        self.has_webhook |= workflow
            .triggers
            .iter()
            .any(|t| matches!(t.kind, TriggerKind::Webhook { .. }));
    }

    /// Takes the egress rules and the secrets a contract implies. Returns notes for the user:
    /// the rules a NetworkPolicy cannot express. A `kubernetes` dependency sets
    /// [`DeployInput::needs_api_server`]; its addresses are the cluster's to tell.
    pub fn add_contract(&mut self, derived: &Derived) -> Vec<String> {
        let mut notes = Vec::new();
        for r in &derived.egress {
            let protocol = r.protocol.unwrap_or_default();
            match (r.kind, r.port) {
                (EgressKind::Host, Some(port)) => self.egress.push(HostEgress {
                    host: r.host.clone(),
                    port,
                    protocol,
                }),
                (EgressKind::Host, None) => notes.push(format!(
                    "egress to host {} on every port cannot be expressed as a NetworkPolicy; \
                     declare a port (or a CIDR in networkPolicy.additionalEgress)",
                    r.host
                )),
                // Its addresses come from the cluster (`api_server_egress`).
                (EgressKind::ApiServer, _) => self.needs_api_server = true,
                (EgressKind::Cidr, port) => self.cidr_egress.push(CidrEgress {
                    cidr: r.host.clone(),
                    ports: port
                        .map(|port| vec![PortRule { port, protocol }])
                        .unwrap_or_default(),
                }),
            }
        }
        self.required_secrets
            .extend(derived.secrets.iter().map(ToString::to_string));
        notes
    }
}

/// Outbound access to a named host.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct HostEgress {
    /// Host name. `<svc>.<ns>.svc.cluster.local` names are in-cluster and become a namespace
    /// selector; anything else is external and becomes "public addresses on this port".
    pub host: String,
    /// Port.
    pub port: u16,
    /// IP protocol.
    pub protocol: IpProtocol,
}

/// Outbound access to an address range.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct CidrEgress {
    /// The range, e.g. `10.20.0.0/16`.
    pub cidr: String,
    /// Ports; empty means every port.
    pub ports: Vec<PortRule>,
}

/// Which runtime class the pods ask for.
///
/// There is deliberately no way to get [`RuntimeClassChoice::Disabled`] from an *empty* value:
/// an empty `runtime_class` in a config file means "not set" (the original silently turned
/// gVisor off in that case). Only an explicit `none` does; see [`RuntimeClassChoice::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase", tag = "kind", content = "name")]
pub enum RuntimeClassChoice {
    /// `gvisor` (the default).
    #[default]
    Gvisor,
    /// Another RuntimeClass by name (e.g. `kata`).
    Named(String),
    /// No runtime class: the node's default runtime, without gVisor's isolation.
    Disabled,
}

impl RuntimeClassChoice {
    /// Reads an explicit setting: `none`/`disabled`/`off` disable, `gvisor` is the default,
    /// anything else names a class. An empty or blank value is `None` ("not set").
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim() {
            "" => None,
            "none" | "disabled" | "off" => Some(RuntimeClassChoice::Disabled),
            DEFAULT_RUNTIME_CLASS => Some(RuntimeClassChoice::Gvisor),
            other => Some(RuntimeClassChoice::Named(other.to_string())),
        }
    }

    /// The `runtimeClassName` to write, if any.
    pub fn class_name(&self) -> Option<&str> {
        match self {
            RuntimeClassChoice::Gvisor => Some(DEFAULT_RUNTIME_CLASS),
            RuntimeClassChoice::Named(n) => Some(n),
            RuntimeClassChoice::Disabled => None,
        }
    }
}

/// CPU and memory of the engine container (Kubernetes quantities).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resources {
    /// By default, `100m`.
    pub cpu_request: String,
    /// By default, `64Mi`.
    pub memory_request: String,
    /// By default, `500m`.
    pub cpu_limit: String,
    /// By default, `256Mi`.
    pub memory_limit: String,
}

impl Resources {
    /// Takes the amounts `deployment.resources` sets; the others keep their value.
    pub fn take(&mut self, r: &tentacular_spec::Resources) {
        let set = |slot: &mut String, v: Option<&str>| {
            if let Some(v) = v {
                *slot = v.to_string();
            }
        };
        set(&mut self.cpu_request, r.cpu_request().map(|c| c.as_str()));
        set(
            &mut self.memory_request,
            r.memory_request().map(|m| m.as_str()),
        );
        set(&mut self.cpu_limit, r.cpu_limit().map(|c| c.as_str()));
        set(&mut self.memory_limit, r.memory_limit().map(|m| m.as_str()));
        // A limit below a default request takes the request down with it (a request above
        // its limit is refused by Kubernetes).
        let defaults = tentacular_spec::Resources::default_amounts();
        if let (None, Some(l)) = (r.cpu_request(), r.cpu_limit())
            && l.millis() < defaults.0.millis()
        {
            self.cpu_request = l.as_str().to_string();
        }
        if let (None, Some(l)) = (r.memory_request(), r.memory_limit())
            && l.bytes() < defaults.1.bytes()
        {
            self.memory_request = l.as_str().to_string();
        }
    }
}

impl Default for Resources {
    fn default() -> Self {
        Resources {
            cpu_request: tentacular_spec::Resources::DEFAULT_CPU_REQUEST.into(),
            memory_request: tentacular_spec::Resources::DEFAULT_MEMORY_REQUEST.into(),
            cpu_limit: tentacular_spec::Resources::DEFAULT_CPU_LIMIT.into(),
            memory_limit: tentacular_spec::Resources::DEFAULT_MEMORY_LIMIT.into(),
        }
    }
}
