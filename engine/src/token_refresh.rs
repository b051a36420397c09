//! Service-account token rotation. Kubernetes mounts a pod's token as a projected volume and
//! replaces the file before the token expires (at 80% of its life, an hour-long token by
//! default). The engine reads the token when it loads the workflow, so this task looks at the
//! file every [`INTERVAL`] and, when its content changed, loads the workflow again with
//! [`crate::watch::reload`]: the new token goes into new bindings (injected and scrubbed like
//! the old one), runs already going finish with the token they started with.
//!
//! Only a fingerprint (SHA-256) of the token is kept between checks, not a second copy.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::task::JoinHandle;

use crate::server::{App, Loader};

/// How often the token file is looked at. Reading a small file once a minute costs nothing;
/// Kubernetes rotates the token many minutes before the old one expires.
pub const INTERVAL: Duration = Duration::from_secs(60);

/// The token file's fingerprint, or `None` when there is no readable token.
fn fingerprint(token: &Path) -> Option<[u8; 32]> {
    let text = std::fs::read_to_string(token).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| Sha256::digest(text.as_bytes()).into())
}

/// Watches the token of `loader`'s service-account directory every `interval` and reloads
/// `app` when it changes. `None` (no task) when the loader reads no service account or there
/// is no token now: a pod without a service account never gets one. Stops when the app
/// begins shutting down.
pub fn spawn(app: App, loader: Loader, interval: Duration) -> Option<JoinHandle<()>> {
    let token: PathBuf = loader.service_account_path()?.join("token");
    let mut seen = fingerprint(&token)?;
    Some(tokio::spawn(async move {
        let mut stopping = app.stopping();
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stopping.changed() => return,
            }
            let Some(now) = fingerprint(&token) else {
                // Mid-swap or gone: keep the token in use, look again next time.
                continue;
            };
            if now == seen {
                continue;
            }
            tracing::info!("the service-account token changed; loading the workflow with it");
            // On failure the old version keeps serving (and is logged); the next tick
            // tries again.
            if crate::watch::reload(&app, &loader).await.is_ok() {
                seen = now;
            }
        }
    }))
}
