//! The Kubernetes objects one workflow becomes: typed `k8s-openapi` values, no I/O.
//!
//! [`build`] turns a [`DeployInput`] (what the CLI gathered from the workflow directory, the
//! contract and the config) into [`Manifests`]:
//!
//! | object | name | what it is for |
//! | --- | --- | --- |
//! | ConfigMap | `<wf>-code-<hash>` | `workflow.yaml` and every node/helper file, mounted at `/app/workflow`; immutable, one per code version (see [`code_name`]) |
//! | Secret | `<wf>-secrets` | local secrets (one key per service), mounted read-only at `/app/secrets` |
//! | Service | `<wf>` | ClusterIP, port 8080 |
//! | NetworkPolicy | `<wf>-netpol` | egress = DNS + what the contract declares; ingress = trigger pods (+ webhook sources) |
//! | ServiceAccount | `<wf>` | with `deployment.serviceAccount: {create: true}` |
//! | Role, RoleBinding | `<wf>` | `deployment.rbac.rules`, granted to the workflow's service account |
//! | ClusterRole, ClusterRoleBinding | `tentacular:<ns>:<wf>` | the same with `rbac.clusterRole: true` (cluster-scoped, labelled with [`LABEL_NAMESPACE`]) |
//! | Deployment | `<wf>` | the engine, hardened (see [`workload`]) |
//! | HorizontalPodAutoscaler | `<wf>` | with `deployment.autoscale`: CPU-based, `autoscaling/v2` |
//! | PodDisruptionBudget | `<wf>` | with two pods or more: `maxUnavailable: 1` |
//! | CronJob | `<wf>-cron`, `<wf>-cron-<trigger>` | one per cron trigger; runs `tentacular-engine trigger` |
//!
//! Every object carries [`labels`] `app.kubernetes.io/{name,version,managed-by=tentacular}`, which
//! is what `undeploy`, prune and `list` select on.
//!
//! ```
//! use std::collections::BTreeMap;
//! use tentacular_kube::manifests::{self, DeployInput};
//!
//! let mut input = DeployInput::new("hello", "1.0", "demo", "tentacular-engine:0.1.0");
//! input.files = BTreeMap::from([
//!     ("workflow.yaml".to_string(), "name: hello\n".to_string()),
//!     ("nodes/hello.ts".to_string(), "export default async () => ({})\n".to_string()),
//! ]);
//! let m = manifests::build(&input).unwrap();
//! let pod = m.deployment.spec.as_ref().unwrap().template.spec.as_ref().unwrap();
//! assert_eq!(pod.runtime_class_name.as_deref(), Some("gvisor"));
//! assert!(m.to_yaml().unwrap().contains("kind: NetworkPolicy"));
//! ```

mod access;
mod code;
mod input;
mod netpol;
mod object_ref;
mod scaling;
pub mod workload;

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{
    ConfigMap, Secret, Service, ServiceAccount, ServicePort, ServiceSpec,
};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;

use crate::error::{Error, Result};

pub use access::cluster_role_name;
pub use code::{CODE_SIZE_LIMIT, flatten_key};
pub use input::*;
pub use object_ref::ObjectRef;

/// The port the engine listens on in its pod (the one the contract's ingress rules name).
pub use tentacular_spec::derived::ENGINE_PORT;
/// Label: the workflow name.
pub const LABEL_NAME: &str = "app.kubernetes.io/name";
/// Label: the workflow version.
pub const LABEL_VERSION: &str = "app.kubernetes.io/version";
/// Label of cluster-scoped objects: the namespace of the workflow they belong to (two
/// workflows of one name in two namespaces must not prune each other's).
pub const LABEL_NAMESPACE: &str = "tentacular.dev/namespace";
/// Label: who manages the object (always [`MANAGED_BY`]).
pub const LABEL_MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// Value of [`LABEL_MANAGED_BY`].
pub const MANAGED_BY: &str = "tentacular";
/// Label: the role of a pod, [`ROLE_ENGINE`] or [`ROLE_TRIGGER`].
pub const LABEL_ROLE: &str = "tentacular.dev/role";
/// Role of the engine pods (what the Service and the NetworkPolicy select).
pub const ROLE_ENGINE: &str = "engine";
/// Role of cron and run pods: the only pods the NetworkPolicy lets in (besides webhook sources).
pub const ROLE_TRIGGER: &str = "trigger";
/// Pod template annotation holding the SHA-256 of the code ConfigMap's data: a code change
/// changes the template, so the Deployment rolls out by itself.
pub const ANNOTATION_CODE_HASH: &str = "tentacular.dev/code-sha256";
/// Label of the code ConfigMaps (value [`PART_CODE`]): what `tntc versions` lists.
pub const LABEL_PART: &str = "tentacular.dev/part";
/// Value of [`LABEL_PART`] on code ConfigMaps.
pub const PART_CODE: &str = "code";
/// Code ConfigMap annotation: when this code was first deployed, RFC 3339.
pub const ANNOTATION_DEPLOYED_AT: &str = "tentacular.dev/deployed-at";
/// Code ConfigMap annotation: who deployed it.
pub const ANNOTATION_DEPLOYED_BY: &str = "tentacular.dev/deployed-by";
/// Code ConfigMap annotation: the commit of the workflow directory.
pub const ANNOTATION_GIT_SHA: &str = "tentacular.dev/git-sha";
/// Code ConfigMap annotation: the workflow directory it came from.
pub const ANNOTATION_SOURCE: &str = "tentacular.dev/source";
/// The annotations that say where a code version came from; a redeploy of the same code
/// keeps those of its first deploy.
pub const PROVENANCE_ANNOTATIONS: [&str; 4] = [
    ANNOTATION_DEPLOYED_AT,
    ANNOTATION_DEPLOYED_BY,
    ANNOTATION_GIT_SHA,
    ANNOTATION_SOURCE,
];
/// Code ConfigMap annotation: the engine image the Deployment ran with this code.
pub const ANNOTATION_IMAGE: &str = "tentacular.dev/image";
/// Code ConfigMap annotation: the workflow-relative paths of its files (a JSON array), so
/// that `tntc rollback` can rebuild the directory from the flattened keys.
pub const ANNOTATION_FILES: &str = "tentacular.dev/files";
/// How many hex digits of the code's SHA-256 name a version.
pub const CODE_HASH_DIGITS: usize = 10;
/// NetworkPolicy annotation listing the external host names the egress rules stand for.
pub const ANNOTATION_INTENDED_HOSTS: &str = "tentacular.dev/intended-hosts";
/// The image used when nothing else names one (reference §2.4 step 5).
pub const DEFAULT_IMAGE: &str = "tentacular-engine:latest";
/// The runtime class used unless explicitly disabled.
pub const DEFAULT_RUNTIME_CLASS: &str = "gvisor";

/// The generated objects of one workflow, in apply order.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Manifests {
    /// Workflow name.
    pub name: String,
    /// Namespace every object lives in.
    pub namespace: String,
    /// `<wf>-code-<hash>`.
    pub code: ConfigMap,
    /// `<wf>-secrets`, when the input has local secrets.
    pub secret: Option<Secret>,
    /// `<wf>`.
    pub service: Service,
    /// `<wf>-netpol`.
    pub network_policy: NetworkPolicy,
    /// `<wf>`, with `deployment.serviceAccount: {create: true}`.
    pub service_account: Option<ServiceAccount>,
    /// `<wf>`, with namespaced `deployment.rbac` rules.
    pub role: Option<Role>,
    /// `<wf>`: the Role to the workflow's service account.
    pub role_binding: Option<RoleBinding>,
    /// `tentacular:<ns>:<wf>`, with `rbac.clusterRole: true` (cluster-scoped).
    pub cluster_role: Option<ClusterRole>,
    /// `tentacular:<ns>:<wf>`: the ClusterRole to the workflow's service account.
    pub cluster_role_binding: Option<ClusterRoleBinding>,
    /// `<wf>`.
    pub deployment: Deployment,
    /// `<wf>`, with `deployment.autoscale`.
    pub autoscaler: Option<HorizontalPodAutoscaler>,
    /// `<wf>`, when the engine runs on two pods or more.
    pub disruption_budget: Option<PodDisruptionBudget>,
    /// One per cron trigger.
    pub cron_jobs: Vec<CronJob>,
    /// Things a human should know (e.g. gVisor disabled).
    pub warnings: Vec<String>,
}

impl Manifests {
    /// Every object, in apply order: code, secret, service, network policy (before any pod
    /// exists), the service account and its grants (before a pod uses them), deployment,
    /// autoscaler, disruption budget, cron jobs.
    pub fn objects(&self) -> Vec<ObjectRef<'_>> {
        let mut out = vec![ObjectRef::ConfigMap(&self.code)];
        if let Some(s) = &self.secret {
            out.push(ObjectRef::Secret(s));
        }
        out.push(ObjectRef::Service(&self.service));
        out.push(ObjectRef::NetworkPolicy(&self.network_policy));
        out.extend(self.service_account.iter().map(ObjectRef::ServiceAccount));
        out.extend(self.role.iter().map(ObjectRef::Role));
        out.extend(self.role_binding.iter().map(ObjectRef::RoleBinding));
        out.extend(self.cluster_role.iter().map(ObjectRef::ClusterRole));
        out.extend(
            self.cluster_role_binding
                .iter()
                .map(ObjectRef::ClusterRoleBinding),
        );
        out.push(ObjectRef::Deployment(&self.deployment));
        out.extend(
            self.autoscaler
                .iter()
                .map(ObjectRef::HorizontalPodAutoscaler),
        );
        out.extend(
            self.disruption_budget
                .iter()
                .map(ObjectRef::PodDisruptionBudget),
        );
        out.extend(self.cron_jobs.iter().map(ObjectRef::CronJob));
        out
    }

    /// The objects as a multi-document YAML stream (`---` between objects), what
    /// `tntc deploy --dry-run -o yaml` prints and `kubectl apply -f -` accepts.
    pub fn to_yaml(&self) -> Result<String> {
        let mut out = String::new();
        for o in self.objects() {
            out.push_str("---\n");
            out.push_str(&to_yaml(&o.to_json()?)?);
        }
        Ok(out)
    }

    /// The objects as one `v1` `List` (what `kubectl apply -f` accepts as JSON).
    pub fn to_json(&self) -> Result<serde_json::Value> {
        let items = self
            .objects()
            .into_iter()
            .map(ObjectRef::to_json)
            .collect::<Result<Vec<_>>>()?;
        Ok(serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items}))
    }

    /// Replaces every Secret value with `<redacted>`, for output a human or a log may see.
    pub fn redact_secrets(&mut self) {
        if let Some(data) = self.secret.as_mut().and_then(|s| s.data.as_mut()) {
            for v in data.values_mut() {
                *v = ByteString(b"<redacted>".to_vec());
            }
        }
    }
}

/// YAML for any serializable value (block style, as `kubectl` prints it).
pub fn to_yaml<T: Serialize>(value: &T) -> Result<String> {
    serde_saphyr::to_string(value).map_err(|e| Error::Serialize {
        what: "YAML".into(),
        message: e.to_string(),
    })
}

/// The labels every generated object carries.
pub fn labels(name: &str, version: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (LABEL_NAME.to_string(), name.to_string()),
        (LABEL_VERSION.to_string(), version.to_string()),
        (LABEL_MANAGED_BY.to_string(), MANAGED_BY.to_string()),
    ])
}

/// The label selector (`key=value,…`) matching every object of a workflow, whatever its version.
pub fn selector(name: &str) -> String {
    format!("{LABEL_NAME}={name},{LABEL_MANAGED_BY}={MANAGED_BY}")
}

/// The label selector matching a workflow's cluster-scoped objects (ClusterRole and
/// ClusterRoleBinding), which carry its namespace as a label.
pub fn cluster_scoped_selector(namespace: &str, name: &str) -> String {
    format!("{},{LABEL_NAMESPACE}={namespace}", selector(name))
}

/// The label selector matching every object managed by tentacular.
pub fn managed_selector() -> String {
    format!("{LABEL_MANAGED_BY}={MANAGED_BY}")
}

/// The labels of the engine pods (and what the Deployment, Service and NetworkPolicy select).
pub fn engine_selector(name: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (LABEL_NAME.to_string(), name.to_string()),
        (LABEL_ROLE.to_string(), ROLE_ENGINE.to_string()),
    ])
}

/// Name of the code ConfigMap of one version: `<wf>-code-<first hex digits of its SHA-256>`.
/// The name is the content, so a deploy never modifies the ConfigMap running pods read: new
/// code is a new (immutable) ConfigMap, and a rollout moves pods from one to the other.
pub fn code_name(wf: &str, code_sha256: &str) -> String {
    let short = &code_sha256[..CODE_HASH_DIGITS.min(code_sha256.len())];
    format!("{wf}-code-{short}")
}

/// The label selector matching the code ConfigMaps (every version) of a workflow.
pub fn code_selector(name: &str) -> String {
    format!("{},{LABEL_PART}={PART_CODE}", selector(name))
}
/// Name of the Secret.
pub fn secret_name(wf: &str) -> String {
    format!("{wf}-secrets")
}
/// Name of the NetworkPolicy.
pub fn netpol_name(wf: &str) -> String {
    format!("{wf}-netpol")
}

/// The in-cluster URL of a workflow's `/run`.
pub fn run_url(wf: &str, namespace: &str) -> String {
    format!("http://{wf}.{namespace}.svc.cluster.local:{ENGINE_PORT}/run")
}

pub(crate) fn meta(input: &DeployInput, name: String) -> ObjectMeta {
    ObjectMeta {
        name: Some(name),
        namespace: Some(input.namespace.clone()),
        labels: Some(labels(&input.name, &input.version)),
        ..ObjectMeta::default()
    }
}

/// Builds every object for `input`, after checking that Kubernetes will accept the names.
pub fn build(input: &DeployInput) -> Result<Manifests> {
    validate(input)?;
    let mut warnings = Vec::new();
    if input.runtime_class == RuntimeClassChoice::Disabled {
        warnings.push(format!(
            "gVisor is disabled for {}: its nodes run on the node's default container runtime, \
             sharing the host kernel (remove `--runtime-class none` to restore the sandbox)",
            input.name
        ));
    }
    if input.needs_api_server && input.api_server_egress.is_none() {
        warnings.push(format!(
            "the NetworkPolicy of {} has no egress to the API server yet: a `kubernetes` \
             dependency's rule lists the cluster's API server addresses, which `tntc deploy` \
             reads from the cluster (this output was made without it)",
            input.name
        ));
    }
    let (code, code_hash) = code::config_map(input)?;
    let secret = input
        .secrets
        .as_ref()
        .map(|s| secret(input, s))
        .transpose()?;
    Ok(Manifests {
        name: input.name.clone(),
        namespace: input.namespace.clone(),
        code,
        secret,
        service: service(input),
        network_policy: netpol::network_policy(input)?,
        service_account: access::service_account(input),
        role: access::role(input),
        role_binding: access::role_binding(input),
        cluster_role: access::cluster_role(input),
        cluster_role_binding: access::cluster_role_binding(input),
        deployment: workload::deployment(input, &code_hash),
        autoscaler: scaling::autoscaler(input),
        disruption_budget: scaling::disruption_budget(input),
        cron_jobs: workload::cron_jobs(input)?,
        warnings,
    })
}

fn service(input: &DeployInput) -> Service {
    Service {
        metadata: meta(input, input.name.clone()),
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".into()),
            selector: Some(engine_selector(&input.name)),
            ports: Some(vec![ServicePort {
                name: Some("http".into()),
                port: ENGINE_PORT.into(),
                target_port: Some(IntOrString::String("http".into())),
                protocol: Some("TCP".into()),
                ..ServicePort::default()
            }]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

/// Secret values: strings as is, anything else as JSON. Kept in `data` (base64), not
/// `stringData`: server-side apply records ownership of `stringData` keys, not of the `data`
/// keys the server converts them into, so a service removed from the local secrets would stay
/// in the Secret for ever (checked against kube-apiserver 1.34).
fn secret(input: &DeployInput, values: &BTreeMap<String, serde_json::Value>) -> Result<Secret> {
    let mut data = BTreeMap::new();
    for (service, value) in values {
        if !code::is_valid_key(service) {
            return Err(Error::InvalidInput {
                field: format!("secret {service:?}"),
                message: "a secret service name may only contain letters, digits, '.', '-' and '_'"
                    .into(),
            });
        }
        let text = match value {
            serde_json::Value::String(s) => s.clone(),
            other => serde_json::to_string(other).map_err(|e| Error::Serialize {
                what: format!("secret {service}"),
                message: e.to_string(),
            })?,
        };
        data.insert(service.clone(), ByteString(text.into_bytes()));
    }
    Ok(Secret {
        metadata: meta(input, secret_name(&input.name)),
        type_: Some("Opaque".into()),
        data: Some(data),
        ..Secret::default()
    })
}

/// Longest workflow name: CronJob names are at most 52 characters and `-cron` is appended.
pub const MAX_NAME_LEN: usize = 47;

fn validate(input: &DeployInput) -> Result<()> {
    let invalid = |field: &str, message: String| Error::InvalidInput {
        field: field.to_string(),
        message,
    };
    if !is_dns1035_label(&input.name) || input.name.len() > MAX_NAME_LEN {
        return Err(invalid(
            "workflow name",
            format!(
                "{:?} must be lowercase letters, digits and '-', start with a letter, end with a \
                 letter or digit, and be at most {MAX_NAME_LEN} characters",
                input.name
            ),
        ));
    }
    if !is_dns1123_label(&input.namespace) {
        return Err(invalid(
            "namespace",
            format!(
                "{:?} is not a valid namespace name (RFC 1123 label)",
                input.namespace
            ),
        ));
    }
    if !is_label_value(&input.version) {
        return Err(invalid(
            "version",
            format!(
                "{:?} cannot be a label value (at most 63 letters, digits, '.', '-', '_', \
                 starting and ending with a letter or digit)",
                input.version
            ),
        ));
    }
    if input.image.trim().is_empty() || input.image.chars().any(char::is_whitespace) {
        return Err(invalid(
            "image",
            format!("{:?} is not an image reference", input.image),
        ));
    }
    if let Some(sa) = &input.service_account
        && !is_dns1123_subdomain(sa)
    {
        return Err(invalid(
            "service account",
            format!("{sa:?} is not a valid name"),
        ));
    }
    for ns in &input.webhook_namespaces {
        if !is_dns1123_label(ns) {
            return Err(invalid(
                "webhook namespace",
                format!("{ns:?} is not a namespace name"),
            ));
        }
    }
    Ok(())
}

/// `[a-z]([-a-z0-9]*[a-z0-9])?`, at most 63 characters (Service names).
pub fn is_dns1035_label(s: &str) -> bool {
    is_dns1123_label(s) && s.starts_with(|c: char| c.is_ascii_lowercase())
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters (namespaces).
pub fn is_dns1123_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_dns1123_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns1123_label)
}

fn is_label_value(s: &str) -> bool {
    s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && (s.is_empty()
            || (s.starts_with(|c: char| c.is_ascii_alphanumeric())
                && s.ends_with(|c: char| c.is_ascii_alphanumeric())))
}
