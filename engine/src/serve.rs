//! The startup sequence shared by `tentacular-engine` and `tntc dev`: load, announce, bind,
//! start the triggers, the watcher and the token refresh. It sits above [`crate::server`], [`crate::triggers`]
//! and [`crate::watch`], so that none of them needs to start another.

use std::net::SocketAddr;

use crate::server::{App, Loader, ServerConfig, WorkloadError};
use crate::watch::WatchError;

/// How to serve a workflow.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Where the workflow and its secrets are, and the sandbox to load it into.
    pub loader: Loader,
    /// Where to listen. Port 0 picks a free port ([`Started::addr`] tells which).
    pub addr: SocketAddr,
    /// Admission settings.
    pub config: ServerConfig,
    /// Reload on changes ([`crate::watch`]).
    pub watch: bool,
    /// Run cron triggers in the engine ([`crate::triggers::cron`]). Off in a cluster, where
    /// CronJobs call `/run`.
    pub cron: bool,
    /// Answer only local requests, on the port actually bound
    /// ([`crate::server::local_only`]; `tntc dev`).
    pub local_only: bool,
}

/// Why the engine could not start. The text of each names the file, line or address.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The workflow did not load.
    #[error(transparent)]
    Load(#[from] WorkloadError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The file watcher could not start.
    #[error(transparent)]
    Watch(#[from] WatchError),
}

/// A loaded, bound engine, not yet answering: call [`Started::serve`].
#[derive(Debug)]
pub struct Started {
    /// The shared state (subscribe to run events, read the generation, …).
    pub app: App,
    /// The address actually bound.
    pub addr: SocketAddr,
    listener: tokio::net::TcpListener,
}

/// Loads the workflow, logs its stages, says which triggers are not served, binds the address
/// and starts cron and the watcher as asked, and the service-account token refresh when a
/// token is mounted.
pub async fn start(opts: ServeOptions) -> Result<Started, StartError> {
    let workload = opts.loader.load().await?;
    {
        let wf = workload.workflow();
        let stages: Vec<String> = workload
            .runner
            .plan()
            .stages()
            .iter()
            .map(|s| {
                s.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect();
        tracing::info!(
            workflow = wf.name.as_str(),
            version = wf.version.as_str(),
            stages = %stages.join(" → "),
            "workflow loaded"
        );
        crate::triggers::announce_unserved(wf);
    }
    let listener = tokio::net::TcpListener::bind(opts.addr)
        .await
        .map_err(|source| StartError::Bind {
            addr: opts.addr,
            source,
        })?;
    let addr = listener.local_addr().unwrap_or(opts.addr);
    let mut config = opts.config.clone();
    if opts.local_only {
        config.local_only = Some(addr.port());
    }
    let app = App::new(workload, config);
    if opts.watch {
        crate::watch::spawn(app.clone(), opts.loader.clone())?;
    }
    if opts.cron {
        crate::triggers::cron::spawn(app.clone());
    }
    // In a pod with a service account: pick up the token Kubernetes rotates.
    crate::token_refresh::spawn(
        app.clone(),
        opts.loader.clone(),
        crate::token_refresh::INTERVAL,
    );
    tracing::info!(
        address = %addr,
        max_in_flight = opts.config.max_in_flight,
        max_body = opts.config.body_limit,
        watch = opts.watch,
        cron = opts.cron,
        "listening: GET /health, GET|POST /run, POST /webhook/<provider>, GET /metrics"
    );
    Ok(Started {
        app,
        addr,
        listener,
    })
}

impl Started {
    /// Serves until `shutdown` completes, then shuts down gracefully ([`crate::server::serve`]).
    pub async fn serve(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        crate::server::serve(self.listener, self.app, shutdown).await
    }
}
