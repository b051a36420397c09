//! One running Deno child: the process, its private directory and socket, and the tasks that
//! carry the protocol. Messages for a run are routed to that run's channel; when the process
//! dies every run still waiting hears about it (a node error, never a host crash).

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixListener;
use tokio::process::Command;
use tokio::sync::{mpsc, oneshot};

use crate::DenoError;
use crate::protocol::{FromChild, JsError, ToChild};

/// What a run hears from the child.
#[derive(Debug)]
pub(crate) enum RunEvent {
    /// A log line.
    Log { level: String, message: String },
    /// A request to perform.
    Fetch {
        id: u64,
        request: serde_json::Value,
        body: Option<String>,
    },
    /// The run's signal aborted request `id`.
    FetchAbort { id: u64 },
    /// The output (JSON text).
    Result(String),
    /// The node failed.
    Error(JsError),
    /// The child exited; the text says how.
    Died(String),
}

/// Routing state shared with the reader task.
#[derive(Debug, Default)]
struct Routes {
    runs: Mutex<HashMap<u64, mpsc::UnboundedSender<RunEvent>>>,
    loads: Mutex<HashMap<String, oneshot::Sender<Result<(), JsError>>>>,
    stops: Mutex<HashMap<String, Vec<oneshot::Sender<()>>>>,
    dead: AtomicBool,
    /// The last lines the child wrote to stderr (for the message when it dies).
    stderr: Mutex<VecDeque<String>>,
}

/// How to start a child.
#[derive(Debug, Clone)]
pub(crate) struct Spawn {
    pub deno: PathBuf,
    pub workflow_dir: PathBuf,
    pub cache_dir: PathBuf,
    /// Runtime flags before the script (permissions, lock, heap).
    pub flags: Vec<String>,
    pub private: Arc<tempfile::TempDir>,
    pub nodes: Vec<String>,
}

/// A live child.
#[derive(Debug)]
pub(crate) struct Live {
    tx: mpsc::UnboundedSender<ToChild>,
    routes: Arc<Routes>,
    process: Mutex<Option<tokio::process::Child>>,
}

const STDERR_LINES: usize = 20;

impl Live {
    /// Starts the child and waits until its host script has connected.
    pub async fn start(s: &Spawn) -> Result<Arc<Live>, DenoError> {
        let private = s.private.path();
        std::fs::write(private.join("host.js"), crate::HOST_SCRIPT)
            .map_err(DenoError::io(private))?;
        std::fs::write(private.join("worker.js"), crate::WORKER_SCRIPT)
            .map_err(DenoError::io(private))?;
        for n in &s.nodes {
            let d = private.join("tmp").join(n);
            std::fs::create_dir_all(&d).map_err(DenoError::io(&d))?;
        }
        let socket = private.join("protocol.sock"); // permissions::Paths::socket
        let _ = std::fs::remove_file(&socket);
        let listener = UnixListener::bind(&socket).map_err(DenoError::io(&socket))?;
        let mut cmd = std::process::Command::new(&s.deno);
        crate::cache::base_env(&mut cmd, &s.cache_dir);
        cmd.current_dir(&s.workflow_dir)
            .arg("run")
            .args(&s.flags)
            .arg(private.join("host.js"))
            .arg(&socket)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut cmd = Command::from(cmd);
        cmd.kill_on_drop(true);
        let mut child = cmd.spawn().map_err(|source| DenoError::Spawn {
            deno: s.deno.clone(),
            source,
        })?;
        let routes = Arc::new(Routes::default());
        if let Some(out) = child.stdout.take() {
            tokio::spawn(async move {
                let mut lines = BufReader::new(out).lines();
                while let Ok(Some(l)) = lines.next_line().await {
                    tracing::info!(target: "tentacular::deno", "stdout: {l}");
                }
            });
        }
        if let Some(err) = child.stderr.take() {
            let routes = routes.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(err).lines();
                while let Ok(Some(l)) = lines.next_line().await {
                    tracing::info!(target: "tentacular::deno", "stderr: {l}");
                    let mut q = routes.stderr.lock().expect("stderr lock");
                    if q.len() == STDERR_LINES {
                        q.pop_front();
                    }
                    q.push_back(l);
                }
            });
        }
        let accepted = tokio::select! {
            a = tokio::time::timeout(Duration::from_secs(30), listener.accept()) => a,
            status = child.wait() => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                let tail = routes.stderr.lock().expect("stderr lock").iter().cloned().collect::<Vec<_>>().join("\n");
                return Err(DenoError::Child { message: format!("deno exited at start ({}):\n{tail}", status.map_or_else(|e| e.to_string(), |s| s.to_string())) });
            }
        };
        let (stream, _) = match accepted {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return Err(DenoError::io(&socket)(e)),
            Err(_) => {
                return Err(DenoError::Child {
                    message: "the host script did not connect within 30 s".into(),
                });
            }
        };
        let (read, mut write) = stream.into_split();
        let (tx, mut rx) = mpsc::unbounded_channel::<ToChild>();
        tokio::spawn(async move {
            while let Some(msg) = rx.recv().await {
                let mut line = serde_json::to_vec(&msg).expect("messages serialise");
                line.push(b'\n');
                if write.write_all(&line).await.is_err() {
                    break;
                }
            }
        });
        let r = routes.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(read).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                match serde_json::from_str::<FromChild>(&line) {
                    Ok(m) => r.dispatch(m),
                    Err(e) => {
                        tracing::warn!(target: "tentacular::deno", "bad message from the child ({e}): {line}")
                    }
                }
            }
            r.died();
        });
        Ok(Arc::new(Live {
            tx,
            routes,
            process: Mutex::new(Some(child)),
        }))
    }

    /// Whether the child is gone.
    pub fn is_dead(&self) -> bool {
        self.routes.dead.load(Ordering::Acquire)
    }

    /// Sends a message (dropped when the child is gone; its runs hear [`RunEvent::Died`]).
    pub fn send(&self, msg: ToChild) {
        let _ = self.tx.send(msg);
    }

    /// Loads `node` and waits for the verdict.
    pub async fn load(
        &self,
        node: &str,
        module: String,
        permissions: serde_json::Value,
        wait: Duration,
    ) -> Result<(), JsError> {
        let (tx, rx) = oneshot::channel();
        self.routes
            .loads
            .lock()
            .expect("loads lock")
            .insert(node.to_string(), tx);
        self.send(ToChild::Load {
            node: node.to_string(),
            module,
            permissions,
        });
        let gone = || JsError {
            name: "Error".into(),
            message: format!(
                "the Deno child exited while loading the node: {}",
                self.routes.tail()
            ),
            stack: String::new(),
        };
        match tokio::time::timeout(wait, rx).await {
            Ok(Ok(r)) => r,
            Ok(Err(_)) => Err(gone()),
            Err(_) => Err(JsError {
                name: "Error".into(),
                message: format!("the module did not load within {} s", wait.as_secs()),
                stack: String::new(),
            }),
        }
    }

    /// Registers a run; its events arrive on the returned channel.
    pub fn register(&self, run: u64) -> mpsc::UnboundedReceiver<RunEvent> {
        let (tx, rx) = mpsc::unbounded_channel();
        if self.is_dead() {
            let _ = tx.send(RunEvent::Died(self.routes.tail()));
        } else {
            self.routes.runs.lock().expect("runs lock").insert(run, tx);
        }
        rx
    }

    /// Forgets a run (finished, or abandoned at its timeout).
    pub fn unregister(&self, run: u64) {
        self.routes.runs.lock().expect("runs lock").remove(&run);
    }

    /// Terminates `node`'s Worker; kills the whole child when that takes longer than `grace`.
    pub async fn stop(&self, node: &str, grace: Duration) {
        let (tx, rx) = oneshot::channel();
        self.routes
            .stops
            .lock()
            .expect("stops lock")
            .entry(node.to_string())
            .or_default()
            .push(tx);
        self.send(ToChild::Stop {
            node: node.to_string(),
        });
        if !matches!(tokio::time::timeout(grace, rx).await, Ok(Ok(()))) {
            tracing::warn!(target: "tentacular::deno", node, "the Worker did not stop in time; killing the Deno child (it restarts for the next run)");
            self.kill().await;
        }
    }

    /// Kills the process.
    pub async fn kill(&self) {
        let child = self.process.lock().expect("process lock").take();
        if let Some(mut c) = child {
            let _ = c.kill().await;
        }
        self.routes.died();
    }
}

impl Routes {
    fn tail(&self) -> String {
        let q = self.stderr.lock().expect("stderr lock");
        if q.is_empty() {
            "no output".into()
        } else {
            q.iter().cloned().collect::<Vec<_>>().join("\n")
        }
    }

    fn to_run(&self, run: u64, ev: RunEvent) {
        if let Some(tx) = self.runs.lock().expect("runs lock").get(&run) {
            let _ = tx.send(ev);
        }
    }

    fn dispatch(&self, m: FromChild) {
        match m {
            FromChild::Ready => {}
            FromChild::Loaded { node } => self.load_done(&node, Ok(())),
            FromChild::LoadError { node, error } => self.load_done(&node, Err(error)),
            FromChild::Log {
                run,
                level,
                message,
            } => self.to_run(run, RunEvent::Log { level, message }),
            FromChild::Fetch {
                run,
                id,
                request,
                body,
            } => self.to_run(run, RunEvent::Fetch { id, request, body }),
            FromChild::FetchAbort { run, id } => self.to_run(run, RunEvent::FetchAbort { id }),
            FromChild::Result { run, output } => self.to_run(run, RunEvent::Result(output)),
            FromChild::Error { run, error } => self.to_run(run, RunEvent::Error(error)),
            FromChild::Crash { node, error } => {
                tracing::warn!(target: "tentacular::deno", node, "the node's Worker died: {}", error.message);
            }
            FromChild::Stopped { node } => {
                for tx in self
                    .stops
                    .lock()
                    .expect("stops lock")
                    .remove(&node)
                    .unwrap_or_default()
                {
                    let _ = tx.send(());
                }
            }
        }
    }

    fn load_done(&self, node: &str, r: Result<(), JsError>) {
        if let Some(tx) = self.loads.lock().expect("loads lock").remove(node) {
            let _ = tx.send(r);
        }
    }

    fn died(&self) {
        if self.dead.swap(true, Ordering::AcqRel) {
            return;
        }
        let tail = self.tail();
        for (_, tx) in self.runs.lock().expect("runs lock").drain() {
            let _ = tx.send(RunEvent::Died(tail.clone()));
        }
        self.loads.lock().expect("loads lock").clear();
        self.stops.lock().expect("stops lock").clear();
    }
}
