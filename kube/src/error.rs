//! The one error type of this crate.
//!
//! Every variant says what went wrong *and what to do about it*: callers (the CLI's exit codes,
//! `-o json` output) match on the variant, humans read the message.

use std::path::PathBuf;
use std::time::Duration;

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong between a workflow and a cluster.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A field of the deploy input is unusable (a name Kubernetes rejects, an empty image, …).
    #[error("invalid {field}: {message}")]
    InvalidInput {
        /// The input field, e.g. `name` or `cron trigger "nightly"`.
        field: String,
        /// Why it is unusable.
        message: String,
    },

    /// A workflow file cannot become a ConfigMap key.
    #[error(
        "workflow file {path:?} cannot be shipped in the code ConfigMap: {reason}\n  \
         hint: rename the file (letters, digits, '.', '-', '_' and '/' only)"
    )]
    InvalidFileKey {
        /// The workflow-relative path.
        path: String,
        /// Why (bad character, too long, collides with another file).
        reason: String,
    },

    /// The workflow's files together exceed what one ConfigMap can carry.
    #[error(
        "workflow code is {total} bytes, over the {limit}-byte limit of the code ConfigMap; \
         biggest files: {}\n  hint: move large data out of the workflow directory \
         (fetch it at run time, or bake it into the image)",
        biggest.iter().map(|(p, n)| format!("{p} ({n} bytes)")).collect::<Vec<_>>().join(", ")
    )]
    CodeTooLarge {
        /// Total bytes of all files.
        total: usize,
        /// The limit (921600 bytes).
        limit: usize,
        /// The largest files, biggest first, with their sizes.
        biggest: Vec<(String, usize)>,
    },

    /// The kubeconfig could not be read or has no usable context.
    #[error(
        "cannot load the kubeconfig{}{}: {message}\n  hint: pass --kubeconfig <file> / --context <name>, \
         set KUBECONFIG, or set `kubeconfig`/`context` for the environment in .tentacular/config.yaml",
        path.as_ref().map(|p| format!(" {}", p.display())).unwrap_or_default(),
        context.as_ref().map(|c| format!(" (context {c:?})")).unwrap_or_default()
    )]
    Kubeconfig {
        /// The file, when one was given explicitly.
        path: Option<PathBuf>,
        /// The context, when one was given explicitly.
        context: Option<String>,
        /// What the loader said.
        message: String,
    },

    /// The API server did not answer at all (connection refused, TLS failure, DNS, timeout).
    #[error(
        "cannot reach the Kubernetes API server at {server}: {source}\n  hint: check that the \
         cluster is up and that the kubeconfig/context points at it (`tntc cluster check`)"
    )]
    Unreachable {
        /// The server URL from the kubeconfig.
        server: String,
        /// The transport error.
        #[source]
        source: kube::Error,
    },

    /// The API server rejected the credentials (HTTP 401).
    #[error(
        "the API server at {server} rejected the credentials: {message}\n  hint: refresh your \
         credentials (token expired?) or pick another context"
    )]
    Unauthorized {
        /// The server URL.
        server: String,
        /// The server's message.
        message: String,
    },

    /// The namespace does not exist.
    #[error(
        "namespace {namespace:?} does not exist\n  hint: create it with `tntc cluster check --fix -n \
         {namespace}` (or `tntc cluster install -n {namespace}`), or choose another with -n"
    )]
    NamespaceNotFound {
        /// The namespace.
        namespace: String,
    },

    /// RBAC denied a request; names the exact permission that is missing.
    #[error(
        "forbidden: the current user may not {permission}{}: {message}\n  hint: ask a cluster \
         administrator to grant it (docs/kubernetes.md lists every permission tntc needs; \
         `tntc cluster check` shows all that are missing)",
        namespace.as_ref().map(|n| format!(" in namespace {n:?}")).unwrap_or_default()
    )]
    Forbidden {
        /// The permission, as `<verb> <resource>[/<subresource>][.<group>]`.
        permission: String,
        /// The namespace, for namespaced requests.
        namespace: Option<String>,
        /// The server's message.
        message: String,
    },

    /// The API server's addresses, which a `kubernetes` dependency's egress rule lists, could
    /// not be read.
    #[error(
        "cannot read the API server's addresses for the egress rule of the workflow's \
         `kubernetes` dependency: {message}\n  hint: tntc reads the `kubernetes` Service and \
         EndpointSlice of namespace default; bind the deployer to the \
         `tentacular-deployer-api-server` Role there (deploy/rbac/deployer-role.yaml; \
         `tntc cluster install --deployer-sa` does it for a service account)"
    )]
    ApiServerAddresses {
        /// What went wrong (the first line of the underlying error).
        message: String,
    },

    /// No workflow of that name is deployed in the namespace.
    #[error(
        "workflow {name:?} is not deployed in namespace {namespace:?}\n  hint: `tntc list -n \
         {namespace}` shows what is deployed there (`tntc list -A` for every namespace)"
    )]
    WorkflowNotFound {
        /// The workflow name.
        name: String,
        /// The namespace looked in.
        namespace: String,
    },

    /// The workflow is deployed but has no pod (yet) to read logs from.
    #[error(
        "workflow {name:?} in namespace {namespace:?} has no pods yet\n  hint: `tntc status {name} \
         --detail` shows why (events such as FailedCreate or FailedScheduling)"
    )]
    NoPods {
        /// The workflow name.
        name: String,
        /// The namespace.
        namespace: String,
    },

    /// The API server's service proxy could not deliver the run request to the workflow.
    #[error(
        "the API server could not reach workflow {name:?} in namespace {namespace:?} through its \
         service proxy (HTTP {status}: {message})\n  hint: {hint}; or run from inside the \
         cluster with `--via pod`"
    )]
    ProxyUnavailable {
        /// The workflow name.
        name: String,
        /// The namespace.
        namespace: String,
        /// The HTTP status the proxy returned (0 when the request timed out).
        status: u16,
        /// The server's message.
        message: String,
        /// The likely cause.
        hint: String,
    },

    /// Waiting for something took longer than allowed.
    #[error("timed out after {}s waiting for {what}; last state: {last_state}", after.as_secs())]
    Timeout {
        /// What was awaited.
        what: String,
        /// The timeout.
        after: Duration,
        /// The last observed state, to tell "slow" from "stuck".
        last_state: String,
    },

    /// A run pod (`--via pod`) failed before producing a result.
    #[error("the run pod {pod} failed: {message}\n{logs}")]
    RunPodFailed {
        /// The pod name.
        pod: String,
        /// Why it failed (phase, reason).
        message: String,
        /// Whatever the pod printed.
        logs: String,
    },

    /// Reading or writing a tntc config file failed.
    #[error("config file {}: {message}", path.display())]
    Config {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },

    /// Turning objects into YAML/JSON failed (a bug, not a user error).
    #[error("cannot serialize {what}: {message}")]
    Serialize {
        /// The object.
        what: String,
        /// The serializer's message.
        message: String,
    },

    /// Any other error the API server returned.
    #[error("{action} failed: {source}")]
    Api {
        /// What was being done, e.g. `apply Deployment/word-counter`.
        action: String,
        /// The client error.
        #[source]
        source: kube::Error,
    },
}

/// The HTTP status code of an API error, if the server answered.
pub(crate) fn status_code(err: &kube::Error) -> Option<u16> {
    match err {
        kube::Error::Api(s) => Some(s.code),
        _ => None,
    }
}

/// Whether the error means "the object does not exist".
pub(crate) fn is_not_found(err: &kube::Error) -> bool {
    status_code(err) == Some(404)
}

/// What a failed request was trying to do, so that errors can name the missing permission.
#[derive(Debug, Clone)]
pub(crate) struct Attempt<'a> {
    pub verb: &'a str,
    /// `resource[/subresource][.group]`, e.g. `deployments.apps`, `services/proxy`.
    pub resource: &'a str,
    pub namespace: Option<&'a str>,
    /// Free text for the generic case, e.g. `apply Deployment/wc`.
    pub action: String,
}

/// Turns a client error into one that says what to do.
pub(crate) fn classify(server: &str, attempt: Attempt<'_>, err: kube::Error) -> Error {
    match &err {
        kube::Error::Api(s) if s.code == 401 => Error::Unauthorized {
            server: server.to_string(),
            message: s.message.clone(),
        },
        kube::Error::Api(s) if s.code == 403 => Error::Forbidden {
            permission: format!("{} {}", attempt.verb, attempt.resource),
            namespace: attempt.namespace.map(str::to_string),
            message: s.message.clone(),
        },
        kube::Error::Api(s)
            if s.code == 404
                && s.details.as_ref().is_some_and(|d| d.kind == "namespaces")
                && attempt.namespace.is_some() =>
        {
            Error::NamespaceNotFound {
                namespace: attempt.namespace.unwrap_or_default().to_string(),
            }
        }
        kube::Error::HyperError(_) | kube::Error::Service(_) | kube::Error::RustlsTls(_) => {
            Error::Unreachable {
                server: server.to_string(),
                source: err,
            }
        }
        _ => Error::Api {
            action: attempt.action,
            source: err,
        },
    }
}
