//! `run`: one execution of a deployed workflow, through the API server's service proxy or from
//! a short-lived pod inside the cluster.

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Pod, Service};
use kube::Api;
use kube::api::{DeleteParams, LogParams, PostParams};
use kube::client::Body;
use serde::Serialize;

use super::Cluster;
use super::status::engine_container;
use crate::error::{Error, Result};
use crate::manifests::workload::{RunPodSpec, run_pod};
use crate::manifests::{ENGINE_PORT, LABEL_VERSION};

/// How `run` reaches the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum RunVia {
    /// `POST /api/v1/namespaces/<ns>/services/<wf>:8080/proxy/run` — no pod, but the API server
    /// must be able to reach the pod (a NetworkPolicy or the cluster's network can prevent it).
    /// The default.
    #[default]
    Proxy,
    /// A pod running the engine image's `tentacular-engine trigger` inside the namespace,
    /// labelled as a trigger (so the NetworkPolicy lets it in); always deleted afterwards.
    Pod,
}

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOptions {
    /// The JSON body given to the root nodes. By default, `{}`.
    pub input: serde_json::Value,
    /// How long the whole run may take. By default, 120 s.
    pub timeout: Duration,
    /// How to reach the workflow. By default, the service proxy.
    pub via: RunVia,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            input: serde_json::json!({}),
            timeout: Duration::from_secs(120),
            via: RunVia::Proxy,
        }
    }
}

/// The engine's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunOutcome {
    /// How it was reached.
    pub via: RunVia,
    /// The engine's HTTP status (proxy only; a run pod only tells success or failure).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// The `success` field of the execution result, when the body has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
    /// The execution result (JSON), or the raw text when it is not JSON.
    pub body: serde_json::Value,
    /// The run pod (with [`RunVia::Pod`]); already deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
    /// Wall time of the run as seen by the caller.
    pub duration_ms: u64,
}

/// Parses an engine answer: the whole text as JSON, else its last non-empty line, else text.
fn parse_body(text: &str) -> serde_json::Value {
    let t = text.trim();
    serde_json::from_str(t)
        .ok()
        .or_else(|| {
            t.lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .and_then(|l| serde_json::from_str(l.trim()).ok())
        })
        .unwrap_or_else(|| serde_json::Value::String(text.to_string()))
}

fn success_of(body: &serde_json::Value) -> Option<bool> {
    body.get("success").and_then(serde_json::Value::as_bool)
}

fn is_status(body: &serde_json::Value) -> bool {
    body.get("kind").and_then(|k| k.as_str()) == Some("Status") && body.get("apiVersion").is_some()
}

impl Cluster {
    /// Runs the workflow once and returns the engine's answer. A workflow that ran but failed
    /// (`success: false`, HTTP 500) is an `Ok` outcome with `success == Some(false)`; errors
    /// are for not reaching it at all.
    pub async fn run(&self, namespace: &str, name: &str, opts: &RunOptions) -> Result<RunOutcome> {
        match opts.via {
            RunVia::Proxy => self.run_proxy(namespace, name, opts).await,
            RunVia::Pod => self.run_pod(namespace, name, opts).await,
        }
    }

    async fn run_proxy(&self, ns: &str, name: &str, opts: &RunOptions) -> Result<RunOutcome> {
        let start = Instant::now();
        let uri = format!("/api/v1/namespaces/{ns}/services/{name}:{ENGINE_PORT}/proxy/run");
        let body = serde_json::to_vec(&opts.input).map_err(|e| Error::Serialize {
            what: "run input".into(),
            message: e.to_string(),
        })?;
        let req = http::Request::post(&uri)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::ACCEPT, "application/json")
            .body(Body::from(body))
            .map_err(|e| Error::InvalidInput {
                field: "run request".into(),
                message: e.to_string(),
            })?;
        let client = self.client.clone();
        let exchange = async move {
            let res = client.send(req).await?;
            let status = res.status().as_u16();
            let bytes = res.into_body().collect_bytes().await?;
            Ok::<_, kube::Error>((status, bytes))
        };
        let (status, bytes) = match tokio::time::timeout(opts.timeout, exchange).await {
            Err(_) => {
                return Err(Error::Timeout {
                    what: format!(
                        "workflow {name} to answer through the API server's service proxy"
                    ),
                    after: opts.timeout,
                    last_state: "no answer; if the workflow usually finishes sooner, the API \
                                 server's traffic to the pod may be dropped (NetworkPolicy, \
                                 firewall): try `--via pod`"
                        .into(),
                });
            }
            Ok(Err(e)) => return Err(self.err("create", "services/proxy", Some(ns), e)),
            Ok(Ok(x)) => x,
        };
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let parsed = parse_body(&text);
        if status < 400 || !is_status(&parsed) {
            return Ok(RunOutcome {
                via: RunVia::Proxy,
                http_status: Some(status),
                success: success_of(&parsed),
                body: parsed,
                pod: None,
                duration_ms: start.elapsed().as_millis() as u64,
            });
        }
        // The API server (not the engine) answered with an error Status.
        let message = parsed
            .get("message")
            .and_then(|m| m.as_str())
            .unwrap_or_default()
            .to_string();
        let unavailable = |hint: &str| Error::ProxyUnavailable {
            name: name.into(),
            namespace: ns.into(),
            status,
            message: message.clone(),
            hint: hint.into(),
        };
        Err(match status {
            401 => Error::Unauthorized {
                server: self.server.clone(),
                message,
            },
            403 => Error::Forbidden {
                permission: "create services/proxy".into(),
                namespace: Some(ns.into()),
                message,
            },
            404 => {
                let services: Api<Service> = Api::namespaced(self.client.clone(), ns);
                match services.get_opt(name).await {
                    Ok(None) => Error::WorkflowNotFound {
                        name: name.into(),
                        namespace: ns.into(),
                    },
                    _ => unavailable(
                        "the Service exists but has no ready endpoints (are the engine pods \
                         ready? see `tntc status --detail`)",
                    ),
                }
            }
            503 => unavailable(
                "no ready pod behind the Service (see `tntc status --detail`), or the API server \
                 cannot connect to it",
            ),
            502 | 504 => unavailable(
                "the API server could not connect to the pod: a NetworkPolicy or the cluster \
                 network may drop traffic from the control plane (allow its address with \
                 `proxy_ingress_cidrs`)",
            ),
            _ => unavailable("the API server refused to proxy the request"),
        })
    }

    async fn run_pod(&self, ns: &str, name: &str, opts: &RunOptions) -> Result<RunOutcome> {
        let start = Instant::now();
        let d = self.get_deployment(ns, name).await?;
        let image = engine_container(&d)
            .and_then(|c| c.image.clone())
            .ok_or_else(|| Error::InvalidInput {
                field: "deployment".into(),
                message: format!("Deployment {name} has no engine image"),
            })?;
        let runtime_class = d
            .spec
            .as_ref()
            .and_then(|s| s.template.spec.as_ref())
            .and_then(|p| p.runtime_class_name.clone());
        let version = d
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(LABEL_VERSION).cloned())
            .unwrap_or_default();
        let body = opts.input.to_string();
        let millis = jiff::Timestamp::now().as_millisecond();
        let mut pod_name = format!("tntc-run-{name}-{millis}");
        pod_name.truncate(63);
        let pod_name = pod_name.trim_end_matches('-').to_string();
        let pod = run_pod(&RunPodSpec {
            workflow: name,
            version: &version,
            namespace: ns,
            pod_name: &pod_name,
            image: &image,
            runtime_class: runtime_class.as_deref(),
            body: &body,
        });
        let api: Api<Pod> = Api::namespaced(self.client.clone(), ns);
        api.create(&PostParams::default(), &pod)
            .await
            .map_err(|e| self.err("create", "pods", Some(ns), e))?;
        let result = self.watch_run_pod(&api, ns, &pod_name, opts.timeout).await;
        // Always delete, whatever happened.
        let dp = DeleteParams {
            grace_period_seconds: Some(0),
            ..DeleteParams::default()
        };
        let deleted = match api.delete(&pod_name, &dp).await {
            Ok(_) => Ok(()),
            Err(e) if crate::error::is_not_found(&e) => Ok(()),
            Err(e) => Err(self.err("delete", "pods", Some(ns), e)),
        };
        let (phase, logs) = result?;
        deleted?;
        let parsed = parse_body(&logs);
        let success = success_of(&parsed);
        if phase == "Failed" && success.is_none() {
            return Err(Error::RunPodFailed {
                pod: pod_name,
                message: "the trigger exited with an error".into(),
                logs,
            });
        }
        Ok(RunOutcome {
            via: RunVia::Pod,
            http_status: None,
            success: success.or(Some(phase == "Succeeded")),
            body: parsed,
            pod: Some(pod_name),
            duration_ms: start.elapsed().as_millis() as u64,
        })
    }

    /// Waits for the run pod to finish; returns its phase and log.
    async fn watch_run_pod(
        &self,
        api: &Api<Pod>,
        ns: &str,
        pod: &str,
        timeout: Duration,
    ) -> Result<(String, String)> {
        let start = Instant::now();
        let phase = loop {
            let p = api
                .get(pod)
                .await
                .map_err(|e| self.err("get", "pods", Some(ns), e))?;
            let st = p.status.unwrap_or_default();
            let phase = st.phase.clone().unwrap_or_default();
            if phase == "Succeeded" || phase == "Failed" {
                break phase;
            }
            if start.elapsed() >= timeout {
                let waiting = st
                    .container_statuses
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|c| c.state.and_then(|s| s.waiting))
                    .map(|w| {
                        format!(
                            "{}: {}",
                            w.reason.unwrap_or_default(),
                            w.message.unwrap_or_default()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                return Err(Error::Timeout {
                    what: format!("run pod {pod} to finish"),
                    after: timeout,
                    last_state: format!(
                        "phase {}{}",
                        if phase.is_empty() { "unknown" } else { &phase },
                        if waiting.is_empty() {
                            String::new()
                        } else {
                            format!(" ({waiting})")
                        }
                    ),
                });
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        let lp = LogParams {
            container: Some("trigger".into()),
            ..LogParams::default()
        };
        let logs = api
            .logs(pod, &lp)
            .await
            .map_err(|e| self.err("get", "pods/log", Some(ns), e))?;
        Ok((phase, logs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_engine_answers() {
        assert_eq!(parse_body("{\"success\":true}\n")["success"], true);
        assert_eq!(
            parse_body("starting\n{\"success\":false}\n")["success"],
            false
        );
        assert_eq!(parse_body("plain"), serde_json::json!("plain"));
        assert!(is_status(
            &serde_json::json!({"kind":"Status","apiVersion":"v1"})
        ));
        assert!(!is_status(&serde_json::json!({"success":false})));
    }
}
