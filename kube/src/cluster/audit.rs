//! `audit`: the live objects against what the workflow's contract implies today.

use std::collections::BTreeSet;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{PodSpec, Secret};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use kube::Api;
use kube::api::ListParams;
use serde::Serialize;

use super::Cluster;
use super::check::CheckStatus;
use crate::error::{Result, status_code};
use crate::manifests::{self, DeployInput, Manifests, secret_name};

/// One audited aspect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditCheck {
    /// What, e.g. `NetworkPolicy word-counter-netpol`.
    pub name: String,
    /// Outcome.
    pub status: CheckStatus,
    /// One-line summary.
    pub message: String,
    /// Each difference found.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

/// The audit of one workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    /// Workflow name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// The checks: network policy, secrets, cron jobs, deployment hardening.
    pub checks: Vec<AuditCheck>,
}

impl AuditReport {
    /// Whether no check failed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.status != CheckStatus::Fail)
    }
}

pub(super) fn check(name: String, problems: Vec<String>, ok: &str) -> AuditCheck {
    AuditCheck {
        name,
        status: if problems.is_empty() {
            CheckStatus::Pass
        } else {
            CheckStatus::Fail
        },
        message: if problems.is_empty() {
            ok.to_string()
        } else {
            format!("{} difference(s)", problems.len())
        },
        problems,
    }
}

fn json_set<T: Serialize>(items: &[T]) -> BTreeSet<String> {
    items
        .iter()
        .map(|i| serde_json::to_string(i).unwrap_or_default())
        .collect()
}

pub(super) fn diff_rules<T: Serialize>(what: &str, want: &[T], live: &[T], out: &mut Vec<String>) {
    let (w, l) = (json_set(want), json_set(live));
    for missing in w.difference(&l) {
        out.push(format!("{what} rule missing: {missing}"));
    }
    for extra in l.difference(&w) {
        out.push(format!(
            "{what} rule not derived from the contract: {extra}"
        ));
    }
}

/// Hardening problems of a pod spec, compared with the generated one.
pub(crate) fn hardening_problems(live: &PodSpec, want: &PodSpec) -> Vec<String> {
    let mut p = Vec::new();
    if live.runtime_class_name != want.runtime_class_name {
        p.push(format!(
            "runtimeClassName is {:?}, expected {:?}",
            live.runtime_class_name, want.runtime_class_name
        ));
    }
    if live.service_account_name != want.service_account_name {
        p.push(format!(
            "serviceAccountName is {:?}, expected {:?}",
            live.service_account_name, want.service_account_name
        ));
    }
    if live.automount_service_account_token != want.automount_service_account_token {
        p.push(format!(
            "automountServiceAccountToken is {:?}, expected {:?}",
            live.automount_service_account_token, want.automount_service_account_token
        ));
    }
    let sc = live.security_context.clone().unwrap_or_default();
    if sc.run_as_non_root != Some(true) {
        p.push("pod securityContext.runAsNonRoot is not true".into());
    }
    if sc.run_as_user != Some(manifests::workload::RUN_AS) {
        p.push(format!(
            "pod securityContext.runAsUser is {:?}, expected 65534",
            sc.run_as_user
        ));
    }
    if sc.seccomp_profile.as_ref().map(|s| s.type_.as_str()) != Some("RuntimeDefault") {
        p.push("pod seccompProfile is not RuntimeDefault".into());
    }
    if live.host_network == Some(true) || live.host_pid == Some(true) || live.host_ipc == Some(true)
    {
        p.push("the pod shares a host namespace (hostNetwork/hostPID/hostIPC)".into());
    }
    for c in &live.containers {
        let sc = c.security_context.clone().unwrap_or_default();
        let n = &c.name;
        if sc.read_only_root_filesystem != Some(true) {
            p.push(format!("container {n}: readOnlyRootFilesystem is not true"));
        }
        if sc.allow_privilege_escalation != Some(false) {
            p.push(format!(
                "container {n}: allowPrivilegeEscalation is not false"
            ));
        }
        if sc.privileged == Some(true) {
            p.push(format!("container {n}: privileged"));
        }
        let caps = sc.capabilities.unwrap_or_default();
        if !caps.drop.unwrap_or_default().iter().any(|d| d == "ALL") {
            p.push(format!(
                "container {n}: capabilities.drop does not contain ALL"
            ));
        }
        if caps.add.is_some_and(|a| !a.is_empty()) {
            p.push(format!("container {n}: adds capabilities"));
        }
        let secret_env = c.env.iter().flatten().any(|e| {
            e.value_from
                .as_ref()
                .is_some_and(|v| v.secret_key_ref.is_some())
        }) || c.env_from.iter().flatten().any(|e| e.secret_ref.is_some());
        if secret_env {
            p.push(format!(
                "container {n}: secrets exposed as environment variables"
            ));
        }
        for m in c.volume_mounts.iter().flatten() {
            if m.name == "secrets" && m.read_only != Some(true) {
                p.push(format!(
                    "container {n}: secrets volume is not mounted read-only"
                ));
            }
        }
        if c.resources
            .as_ref()
            .and_then(|r| r.limits.as_ref())
            .is_none()
        {
            p.push(format!("container {n}: no resource limits"));
        }
    }
    p
}

impl Cluster {
    /// Compares the live objects of `input`'s workflow with what [`manifests::build`] derives
    /// from it: the NetworkPolicy's rules, the Secret's services and keys
    /// ([`DeployInput::required_secrets`]), the CronJobs, the Deployment's hardening, and the
    /// service account with its Role/ClusterRole rules and bindings.
    /// Values of secrets are never read into the report.
    pub async fn audit(&self, input: &DeployInput) -> Result<AuditReport> {
        let mut input = input.clone();
        self.complete_input(&mut input).await?;
        let input = &input;
        let want = manifests::build(input)?;
        let ns = input.namespace.as_str();
        let checks = vec![
            self.audit_netpol(ns, &want).await?,
            self.audit_secret(ns, input).await?,
            self.audit_cron(ns, &want).await?,
            self.audit_deployment(ns, &want).await?,
            self.audit_access(ns, &want).await?,
        ];
        Ok(AuditReport {
            name: input.name.clone(),
            namespace: ns.into(),
            checks,
        })
    }

    async fn audit_netpol(&self, ns: &str, want: &Manifests) -> Result<AuditCheck> {
        let name = manifests::netpol_name(&want.name);
        let api: Api<NetworkPolicy> = Api::namespaced(self.client.clone(), ns);
        let label = format!("NetworkPolicy {name}");
        let Some(live) = api
            .get_opt(&name)
            .await
            .map_err(|e| self.err("get", "networkpolicies.networking.k8s.io", Some(ns), e))?
        else {
            return Ok(check(
                label,
                vec!["missing: the workflow's pods have unrestricted network access".into()],
                "",
            ));
        };
        let w = want.network_policy.spec.clone().unwrap_or_default();
        let l = live.spec.unwrap_or_default();
        let mut problems = Vec::new();
        if l.pod_selector != w.pod_selector {
            problems.push("podSelector does not select the workflow's engine pods".into());
        }
        let mut types = l.policy_types.clone().unwrap_or_default();
        types.sort();
        if types != ["Egress", "Ingress"] {
            problems.push(format!(
                "policyTypes is {types:?}, expected [Egress, Ingress]"
            ));
        }
        diff_rules(
            "egress",
            &w.egress.unwrap_or_default(),
            &l.egress.unwrap_or_default(),
            &mut problems,
        );
        diff_rules(
            "ingress",
            &w.ingress.unwrap_or_default(),
            &l.ingress.unwrap_or_default(),
            &mut problems,
        );
        Ok(check(label, problems, "present; rules match the contract"))
    }

    async fn audit_secret(&self, ns: &str, input: &DeployInput) -> Result<AuditCheck> {
        let name = secret_name(&input.name);
        let label = format!("Secret {name}");
        let mut required: Vec<(String, Option<String>)> = input
            .required_secrets
            .iter()
            .map(|r| match r.split_once('.') {
                Some((svc, key)) => (svc.to_string(), Some(key.to_string())),
                None => (r.clone(), None),
            })
            .collect();
        required.sort();
        required.dedup();
        let api: Api<Secret> = Api::namespaced(self.client.clone(), ns);
        let live = match api.get_opt(&name).await {
            Ok(s) => s,
            Err(e) if status_code(&e) == Some(403) => {
                return Ok(AuditCheck {
                    name: label,
                    status: CheckStatus::Warn,
                    message: format!("cannot verify: {}", self.err("get", "secrets", Some(ns), e)),
                    problems: Vec::new(),
                });
            }
            Err(e) => return Err(self.err("get", "secrets", Some(ns), e)),
        };
        let Some(live) = live else {
            if required.is_empty() {
                return Ok(check(label, Vec::new(), "none required, none present"));
            }
            return Ok(check(
                label,
                vec![format!(
                    "missing; the contract references {}",
                    input.required_secrets.join(", ")
                )],
                "",
            ));
        };
        let data = live.data.unwrap_or_default();
        let mut problems = Vec::new();
        for (svc, key) in &required {
            let Some(value) = data.get(svc) else {
                problems.push(format!(
                    "service {svc:?} missing (needed for {svc}.{})",
                    key.as_deref().unwrap_or("*")
                ));
                continue;
            };
            if let Some(key) = key {
                let has_key = serde_json::from_slice::<serde_json::Value>(&value.0)
                    .ok()
                    .and_then(|v| v.as_object().map(|o| o.contains_key(key)))
                    .unwrap_or(false);
                if !has_key {
                    problems.push(format!("key {svc}.{key} missing"));
                }
            }
        }
        let expected: BTreeSet<&str> = required.iter().map(|(s, _)| s.as_str()).collect();
        let extra: Vec<&str> = data
            .keys()
            .map(String::as_str)
            .filter(|k| !expected.contains(k))
            .collect();
        let mut c = check(label, problems, "every referenced secret is present");
        if !extra.is_empty() && c.status == CheckStatus::Pass {
            c.message = format!(
                "{}; not referenced by the contract: {}",
                c.message,
                extra.join(", ")
            );
        }
        Ok(c)
    }

    async fn audit_cron(&self, ns: &str, want: &Manifests) -> Result<AuditCheck> {
        let api: Api<CronJob> = Api::namespaced(self.client.clone(), ns);
        let live: BTreeSet<String> = api
            .list_metadata(&ListParams::default().labels(&manifests::selector(&want.name)))
            .await
            .map_err(|e| self.err("list", "cronjobs.batch", Some(ns), e))?
            .items
            .into_iter()
            .filter_map(|c| c.metadata.name)
            .collect();
        let expected: BTreeSet<String> = want
            .cron_jobs
            .iter()
            .filter_map(|c| c.metadata.name.clone())
            .collect();
        let mut problems = Vec::new();
        for m in expected.difference(&live) {
            problems.push(format!("CronJob {m} missing"));
        }
        for x in live.difference(&expected) {
            problems.push(format!("CronJob {x} has no cron trigger"));
        }
        Ok(check(
            format!("CronJobs ({} expected)", expected.len()),
            problems,
            "one per cron trigger",
        ))
    }

    async fn audit_deployment(&self, ns: &str, want: &Manifests) -> Result<AuditCheck> {
        let api: Api<Deployment> = Api::namespaced(self.client.clone(), ns);
        let label = format!("Deployment {} hardening", want.name);
        let Some(live) = api
            .get_opt(&want.name)
            .await
            .map_err(|e| self.err("get", "deployments.apps", Some(ns), e))?
        else {
            return Ok(check(label, vec!["Deployment missing".into()], ""));
        };
        let live_pod = live.spec.and_then(|s| s.template.spec).unwrap_or_default();
        let want_pod = want
            .deployment
            .spec
            .as_ref()
            .and_then(|s| s.template.spec.clone())
            .unwrap_or_default();
        Ok(check(
            label,
            hardening_problems(&live_pod, &want_pod),
            "runtime class, non-root, read-only root, no privilege escalation, no capabilities, \
             seccomp, secrets as files",
        ))
    }
}
