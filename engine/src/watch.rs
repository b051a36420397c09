//! Hot reload (`--watch`, `tntc dev`): when `workflow.yaml`, a node file (or a module it
//! imports) or the secrets change, the whole workflow is loaded again — spec, secrets, DAG,
//! nodes — and swapped in atomically with [`App::replace`]. Runs already going finish on the
//! version they started with.
//!
//! Changes are debounced (200 ms of quiet by default), so an editor's save of several files
//! gives one reload. A broken edit (invalid YAML, a syntax error in a node, a missing file)
//! keeps the last good version serving and logs every problem, each starting with
//! `file:line:col`.
//!
//! Files that count: `*.yaml`/`*.yml` at the top of the workflow directory (the spec and
//! `.secrets.yaml`), anything in `.secrets/`, the `--secrets` path, and `*.ts`, `*.js`,
//! `*.mts`, `*.mjs`, `*.cts`, `*.cjs`, `*.tsx`, `*.jsx` anywhere below it, except in hidden
//! directories and `node_modules`, and except editor temporary files.

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use notify::{EventKind, RecursiveMode, Watcher as _};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::server::{App, Loader, WorkloadError};

/// The default quiet time before a reload.
pub const DEBOUNCE: Duration = Duration::from_millis(200);

/// Why watching could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WatchError {
    /// The workflow directory cannot be resolved.
    #[error("cannot watch {}", path.display())]
    Path {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The operating system's file watcher failed (e.g. the inotify limit is reached).
    #[error("cannot watch {}", path.display())]
    Notify {
        /// The directory.
        path: PathBuf,
        /// The watcher's error.
        #[source]
        source: notify::Error,
    },
}

/// Loads the workflow again with `loader` and, if it loads, serves it; otherwise logs every
/// problem and keeps serving what was there. Returns the new generation.
pub async fn reload(app: &App, loader: &Loader) -> Result<u64, WorkloadError> {
    match loader.load().await {
        Ok(workload) => {
            let nodes: Vec<String> = workload
                .workflow()
                .nodes
                .keys()
                .map(ToString::to_string)
                .collect();
            let generation = app.replace(workload);
            tracing::info!(generation, nodes = %nodes.join(", "), "workflow reloaded");
            Ok(generation)
        }
        Err(e) => {
            app.reload_failed();
            let serving = app.generation();
            for line in e.lines() {
                tracing::error!(
                    serving_generation = serving,
                    "reload failed, still serving the last good version: {line}"
                );
            }
            Err(e)
        }
    }
}

/// Watches the workflow of `loader` and reloads `app` on changes, with the default debounce.
/// Stops when the app begins shutting down.
pub fn spawn(app: App, loader: Loader) -> Result<JoinHandle<()>, WatchError> {
    spawn_with_debounce(app, loader, DEBOUNCE)
}

/// Like [`spawn`] with another quiet time.
pub fn spawn_with_debounce(
    app: App,
    loader: Loader,
    debounce: Duration,
) -> Result<JoinHandle<()>, WatchError> {
    let dir = loader.workflow_dir();
    let root = dir.canonicalize().map_err(|source| WatchError::Path {
        path: dir.clone(),
        source,
    })?;
    let secrets = loader
        .secrets_path()
        .map(|p| p.canonicalize().unwrap_or_else(|_| p.to_path_buf()));
    let (tx, mut rx) = mpsc::unbounded_channel::<notify::Result<notify::Event>>();
    let mut watcher = notify::recommended_watcher(move |ev| {
        let _ = tx.send(ev);
    })
    .map_err(|source| WatchError::Notify {
        path: root.clone(),
        source,
    })?;
    watcher
        .watch(&root, RecursiveMode::Recursive)
        .map_err(|source| WatchError::Notify {
            path: root.clone(),
            source,
        })?;
    if let Some(s) = &secrets
        && !s.starts_with(&root)
    {
        // Outside the workflow directory: watch it too (its directory, for editors that
        // replace files). A failure here only costs secret reloads.
        let target = if s.is_dir() {
            s.clone()
        } else {
            s.parent().map_or_else(|| s.clone(), Path::to_path_buf)
        };
        if let Err(e) = watcher.watch(&target, RecursiveMode::Recursive) {
            tracing::warn!(path = %target.display(), error = %e, "cannot watch the secrets path; secrets changes need a restart");
        }
    }
    tracing::info!(dir = %root.display(), "watching the workflow for changes");
    Ok(tokio::spawn(async move {
        let _watcher = watcher;
        let mut stopping = app.stopping();
        loop {
            let ev = tokio::select! {
                ev = rx.recv() => ev,
                _ = stopping.changed() => return,
            };
            match ev {
                None => return,
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "file watcher error");
                    continue;
                }
                Some(Ok(ev)) => {
                    if !ev
                        .paths
                        .iter()
                        .any(|p| relevant(&root, secrets.as_deref(), &ev.kind, p))
                    {
                        continue;
                    }
                }
            }
            // Wait for quiet, then reload once.
            loop {
                match tokio::time::timeout(debounce, rx.recv()).await {
                    Ok(Some(_)) => continue,
                    Ok(None) => return,
                    Err(_) => break,
                }
            }
            if *stopping.borrow() {
                return;
            }
            let _ = reload(&app, &loader).await;
        }
    }))
}

const SOURCE_EXTENSIONS: [&str; 8] = ["ts", "js", "mts", "mjs", "cts", "cjs", "tsx", "jsx"];

/// True when a change of `path` should reload the workflow rooted at `root`.
fn relevant(root: &Path, secrets: Option<&Path>, kind: &EventKind, path: &Path) -> bool {
    if !matches!(
        kind,
        EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_) | EventKind::Any
    ) {
        return false;
    }
    if let Some(s) = secrets
        && path.starts_with(s)
    {
        return true;
    }
    let Ok(rel) = path.strip_prefix(root) else {
        return false;
    };
    let parts: Vec<&str> = rel
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => s.to_str(),
            _ => None,
        })
        .collect();
    let Some((name, dirs)) = parts.split_last() else {
        return false;
    };
    if dirs.first() == Some(&".secrets") {
        return !name.starts_with("..");
    }
    if dirs
        .iter()
        .any(|d| d.starts_with('.') || *d == "node_modules")
    {
        return false;
    }
    if name.ends_with('~') || name.ends_with(".swp") || name.ends_with(".swx") || *name == "4913" {
        return false;
    }
    let ext = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("");
    if dirs.is_empty() && matches!(ext, "yaml" | "yml") {
        return true;
    }
    if name.starts_with('.') {
        return false;
    }
    SOURCE_EXTENSIONS.contains(&ext)
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{AccessKind, CreateKind, ModifyKind};

    #[test]
    fn which_changes_reload() {
        let root = Path::new("/w");
        let m = EventKind::Modify(ModifyKind::Any);
        let r = |p: &str| relevant(root, None, &m, Path::new(p));
        assert!(r("/w/workflow.yaml"));
        assert!(r("/w/.secrets.yaml"));
        assert!(r("/w/.secrets/github"));
        assert!(r("/w/nodes/a.ts"));
        assert!(r("/w/lib/util/x.js"));
        assert!(!r("/w/tests/fixtures/a.json"));
        assert!(!r("/w/tests/other.yaml"), "only top-level YAML");
        assert!(!r("/w/nodes/.a.ts.swp"));
        assert!(!r("/w/nodes/a.ts~"));
        assert!(!r("/w/nodes/4913"));
        assert!(!r("/w/.git/index"));
        assert!(!r("/w/node_modules/x/index.js"));
        assert!(!r("/w/.secrets/..data"));
        assert!(!r("/elsewhere/a.ts"));
        assert!(!relevant(
            root,
            None,
            &EventKind::Access(AccessKind::Any),
            Path::new("/w/nodes/a.ts")
        ));
        assert!(relevant(
            root,
            None,
            &EventKind::Create(CreateKind::File),
            Path::new("/w/nodes/b.ts")
        ));
        assert!(relevant(
            root,
            Some(Path::new("/s/secrets.yaml")),
            &m,
            Path::new("/s/secrets.yaml")
        ));
    }
}
