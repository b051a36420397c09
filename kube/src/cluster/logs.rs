//! `logs`: the engine pod's log, once or followed.

use futures::stream::BoxStream;
use futures::{AsyncBufReadExt, StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{ListParams, LogParams};

use super::Cluster;
use crate::error::{Error, Result};
use crate::manifests::{LABEL_NAME, LABEL_ROLE, ROLE_ENGINE, engine_selector};

/// Which log lines to get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogOptions {
    /// Only the last N lines. By default, 100.
    pub tail: Option<i64>,
    /// Keep streaming new lines until the pod stops or the stream is dropped. By default, `false`.
    pub follow: bool,
    /// A specific pod of the workflow. By default, the newest running engine pod (or the newest
    /// engine pod at all).
    pub pod: Option<String>,
    /// The previous (crashed) container's log. By default, `false`.
    pub previous: bool,
    /// Prefix lines with the kubelet's timestamps. By default, `false`.
    pub timestamps: bool,
}

impl Default for LogOptions {
    fn default() -> Self {
        LogOptions {
            tail: Some(100),
            follow: false,
            pod: None,
            previous: false,
            timestamps: false,
        }
    }
}

/// Log lines of one pod, as a stream (ends when the log ends, or never with `follow` until the
/// pod stops). Dropping it closes the connection.
pub struct LogStream {
    /// The pod the lines come from.
    pub pod: String,
    /// The lines, without their trailing newline.
    pub lines: BoxStream<'static, Result<String>>,
}

impl std::fmt::Debug for LogStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogStream")
            .field("pod", &self.pod)
            .finish_non_exhaustive()
    }
}

impl Cluster {
    /// Picks the engine pod to read: the newest running one, else the newest.
    pub(crate) async fn engine_pod(&self, namespace: &str, name: &str) -> Result<Pod> {
        let api: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        let sel = engine_selector(name)
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",");
        let mut pods = api
            .list(&ListParams::default().labels(&sel))
            .await
            .map_err(|e| self.err("list", "pods", Some(namespace), e))?
            .items;
        pods.sort_by_key(|p| {
            let running = p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running");
            (running, p.metadata.creation_timestamp.as_ref().map(|t| t.0))
        });
        match pods.pop() {
            Some(p) => Ok(p),
            None => {
                // Tell "not deployed" from "deployed, no pod yet".
                self.get_deployment(namespace, name).await?;
                Err(Error::NoPods {
                    name: name.into(),
                    namespace: namespace.into(),
                })
            }
        }
    }

    /// Streams the log of the workflow's engine pod (or of `opts.pod`, which must belong to
    /// the workflow).
    pub async fn logs(&self, namespace: &str, name: &str, opts: &LogOptions) -> Result<LogStream> {
        let api: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        let (pod, container) = match &opts.pod {
            Some(p) => {
                let pod = api
                    .get(p)
                    .await
                    .map_err(|e| self.err("get", "pods", Some(namespace), e))?;
                let labels = pod.metadata.labels.clone().unwrap_or_default();
                if labels.get(LABEL_NAME).map(String::as_str) != Some(name) {
                    return Err(Error::InvalidInput {
                        field: "pod".into(),
                        message: format!("pod {p:?} does not belong to workflow {name:?}"),
                    });
                }
                let c = if labels.get(LABEL_ROLE).map(String::as_str) == Some(ROLE_ENGINE) {
                    "engine"
                } else {
                    "trigger"
                };
                (p.clone(), c)
            }
            None => (
                self.engine_pod(namespace, name)
                    .await?
                    .metadata
                    .name
                    .unwrap_or_default(),
                "engine",
            ),
        };
        let lp = LogParams {
            container: Some(container.into()),
            follow: opts.follow,
            tail_lines: opts.tail,
            previous: opts.previous,
            timestamps: opts.timestamps,
            ..LogParams::default()
        };
        let reader = api
            .log_stream(&pod, &lp)
            .await
            .map_err(|e| self.err("get", "pods/log", Some(namespace), e))?;
        let pod_name = pod.clone();
        let lines = reader
            .lines()
            .map_err(move |e| Error::Api {
                action: format!("read the log of pod {pod_name}"),
                source: kube::Error::ReadEvents(e),
            })
            .boxed();
        Ok(LogStream { pod, lines })
    }
}
