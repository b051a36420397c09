//! Workflow snapshots: the plugin pre-initialised (wizer) with the prelude *and every node's
//! modules already evaluated*, compiled once and cached on disk by content hash.
//!
//! One snapshot holds all the nodes of a workflow (entries), **each in a JS realm of its own**
//! (its own QuickJS context: global object, intrinsics, prelude, modules); an invocation is a
//! fresh copy-on-write instance of it that calls into one entry's realm. Sharing one module
//! between the nodes means one copy of QuickJS's compiled code in memory instead of one per
//! node (~3 MiB each) and one Cranelift compilation per workflow instead of one per node,
//! while nothing one node's top level does is visible to another. The snapshot is taken with
//! nothing pending (the plugin refuses a node whose top level leaves work behind).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;
use wasmtime::{Engine, Linker, Module, Store, UpdateDeadline};
use wasmtime_wizer::{WasmtimeWizer, Wizer};

use crate::CacheLoad;
use crate::capabilities::Capabilities;
use crate::host::HostState;
use crate::modules::ModuleGraph;

/// The guest plugin, built by `shims/plugin/build.sh` and committed.
pub(crate) static PLUGIN: &[u8] = include_bytes!("../../shims/plugin/tentacular_plugin.wasm");
/// `sha256sum` of [`PLUGIN`], committed next to it by `build.sh`. Cache keys use it rather than
/// hashing 1.25 MB on every start (that was 10% of a warm `tntc test`); a test checks that it
/// matches the bytes.
static PLUGIN_SHA256: &str = include_str!("../../shims/plugin/tentacular_plugin.wasm.sha256");

fn plugin_sha256() -> &'static str {
    PLUGIN_SHA256.split_whitespace().next().unwrap_or_default()
}

/// The guest module snapshots are built from: the committed plugin, or (benchmarks only)
/// another build of it.
#[derive(Clone)]
pub(crate) struct Plugin {
    bytes: Arc<[u8]>,
    sha256: String,
}

impl Plugin {
    /// The committed `tentacular_plugin.wasm`.
    pub fn committed() -> Self {
        Plugin {
            bytes: Arc::from(PLUGIN),
            sha256: plugin_sha256().to_string(),
        }
    }

    /// Another build of the plugin (hashed here: benchmarks compare builds).
    pub fn other(bytes: Vec<u8>) -> Self {
        let sha256 = hex::encode(Sha256::digest(&bytes));
        Plugin {
            bytes: Arc::from(bytes),
            sha256,
        }
    }
}

/// Memory a node may use while its module is evaluated at load time.
const LOAD_MEMORY: usize = 256 * 1024 * 1024;
/// How long evaluating a node's top level may take.
const LOAD_DEADLINE: Duration = Duration::from_secs(10);
const INIT_FUNC: &str = tentacular_abi::EXPORT_INIT;

/// Where compiled snapshots are kept on disk, how big that may grow and how they are loaded.
pub(crate) struct DiskCache {
    /// The directory; `None`: no disk cache.
    pub dir: Option<PathBuf>,
    /// The size cap ([`crate::cache`]).
    pub max_size: u64,
    /// How a cached snapshot is brought in.
    pub load: CacheLoad,
}

/// Builds and caches snapshots for one engine.
pub(crate) struct Snapshotter {
    engine: Engine,
    linker: Arc<Linker<HostState>>,
    slots: Arc<tokio::sync::Semaphore>,
    disk: DiskCache,
    instrumented: OnceCell<Module>,
    prelude: String,
    plugin: Plugin,
    /// Cache key prefix: what the compiled code depends on besides the payload.
    key_prefix: String,
}

/// What loading the nodes in the guest produced.
pub(crate) enum Built {
    /// The snapshot module, ready to instantiate; entry `i` is `graphs[i]`.
    Ready(Module),
    /// At least one entry did not load: per entry, the guest's error description (JSON), or
    /// `None` for the entries that loaded.
    GuestErrors(Vec<Option<String>>),
}

impl Snapshotter {
    pub fn new(
        engine: Engine,
        linker: Arc<Linker<HostState>>,
        slots: Arc<tokio::sync::Semaphore>,
        disk: DiskCache,
        prelude: String,
        plugin: Plugin,
    ) -> Self {
        let key_prefix = key_prefix(&engine, &plugin.sha256);
        Snapshotter {
            engine,
            linker,
            slots,
            disk,
            instrumented: OnceCell::new(),
            prelude,
            plugin,
            key_prefix,
        }
    }

    /// The snapshot holding `graphs` as its entries (none: the prelude only), from the cache
    /// when present.
    pub async fn build(&self, graphs: &[&ModuleGraph]) -> wasmtime::Result<Built> {
        let payload = encode(&self.prelude, graphs);
        let key = cache_key(&self.key_prefix, &payload);
        if let Some(module) = self.cached(&key) {
            return Ok(Built::Ready(module));
        }
        let wizer = wizer();
        let (cx, instrumented_bytes) = wizer.instrument(&self.plugin.bytes)?;
        let instrumented = self
            .instrumented
            .get_or_try_init(|| async {
                let key = cache_key(&self.key_prefix, b"instrumented-plugin");
                match self.cached(&key) {
                    Some(m) => Ok::<_, wasmtime::Error>(m),
                    None => {
                        let m = compile(&self.engine, &instrumented_bytes).await?;
                        self.store_cache(&key, &m);
                        Ok(m)
                    }
                }
            })
            .await?;

        let caps = Arc::new(Capabilities::builder("(load)").build());
        let state = HostState::snapshot(caps, LOAD_MEMORY, payload);
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limiter);
        // With fuel metering on, loading is bounded by its deadline, not by fuel (an error
        // here only means metering is off).
        let _ = store.set_fuel(u64::MAX);
        let deadline = Instant::now() + LOAD_DEADLINE;
        store.epoch_deadline_callback(move |_| {
            if Instant::now() >= deadline {
                Ok(UpdateDeadline::Interrupt)
            } else {
                Ok(UpdateDeadline::Yield(1))
            }
        });
        store.set_epoch_deadline(1);

        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| wasmtime::format_err!("the sandbox is shutting down"))?;
        let instance = self
            .linker
            .instantiate_async(&mut store, instrumented)
            .await?;
        if let Ok(init) = instance.get_typed_func::<(), ()>(&mut store, "_initialize") {
            init.call_async(&mut store, ()).await?;
        }
        instance
            .get_typed_func::<(), ()>(&mut store, INIT_FUNC)?
            .call_async(&mut store, ())
            .await?;
        let status = store.data_mut().take_status();
        if status.len() != graphs.len().max(1) {
            wasmtime::bail!(
                "the plugin reported {} load statuses for {} nodes",
                status.len(),
                graphs.len()
            );
        }
        let ok = tentacular_abi::LoadStatus::Ok as u32;
        if status.iter().any(|(code, _)| *code != ok) {
            return Ok(Built::GuestErrors(
                status
                    .into_iter()
                    .map(|(code, message)| (code != ok).then_some(message))
                    .collect(),
            ));
        }
        let snapshot = wizer
            .snapshot(
                &cx,
                &mut WasmtimeWizer {
                    store: &mut store,
                    instance,
                },
            )
            .await?;
        drop(store);
        let module = compile(&self.engine, &snapshot).await?;
        self.store_cache(&key, &module);
        Ok(Built::Ready(module))
    }

    fn cache_path(&self, key: &str) -> Option<PathBuf> {
        self.disk
            .dir
            .as_ref()
            .map(|d| d.join(format!("{key}.cwasm")))
    }

    fn cached(&self, key: &str) -> Option<Module> {
        let path = self.cache_path(key)?;
        // SAFETY: the cache directory is private to this user and only ever holds modules
        // this code serialised with a compatible engine; wasmtime also checks the engine
        // configuration and version recorded in the file and refuses a mismatch.
        let module = match self.disk.load {
            CacheLoad::Map if !path.is_file() => return None,
            CacheLoad::Map => unsafe { Module::deserialize_file(&self.engine, &path) },
            CacheLoad::Read => {
                let bytes = std::fs::read(&path).ok()?;
                unsafe { Module::deserialize(&self.engine, &bytes) }
            }
        };
        match module {
            Ok(m) => {
                crate::cache::mark_used(&path);
                Some(m)
            }
            Err(e) => {
                tracing::debug!(path = %path.display(), error = %e, "ignoring unusable cached module");
                None
            }
        }
    }

    fn store_cache(&self, key: &str, module: &Module) {
        let Some(path) = self.cache_path(key) else {
            return;
        };
        let result = module
            .serialize()
            .map_err(|e| e.to_string())
            .and_then(|bytes| write_atomic(&path, &bytes).map_err(|e| e.to_string()));
        if let Err(e) = result {
            tracing::warn!(path = %path.display(), error = %e, "cannot cache the compiled node snapshot");
            return;
        }
        if let Some(dir) = &self.disk.dir {
            match crate::cache::SnapshotCache::new(dir).prune_to(self.disk.max_size) {
                Ok(p) if p.removed > 0 => tracing::debug!(
                    removed = p.removed,
                    freed_bytes = p.freed_bytes,
                    kept_bytes = p.kept_bytes,
                    "pruned the snapshot cache to its cap"
                ),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(dir = %dir.display(), error = %e, "cannot prune the snapshot cache")
                }
            }
        }
    }
}

fn wizer() -> Wizer {
    let mut w = Wizer::new();
    w.init_func(INIT_FUNC);
    w
}

async fn compile(engine: &Engine, wasm: &[u8]) -> wasmtime::Result<Module> {
    let engine = engine.clone();
    let wasm = wasm.to_vec();
    tokio::task::spawn_blocking(move || Module::new(&engine, &wasm))
        .await
        .map_err(|e| wasmtime::format_err!("compile task failed: {e}"))?
}

/// What every cache key of an engine starts with: this crate's and wasmtime's versions, the
/// engine's code-generation settings (`precompile_compatibility_hash`: a module compiled
/// under other settings gets another file instead of being refused on load) and the plugin.
fn key_prefix(engine: &Engine, plugin_sha256: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut settings = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut settings);
    format!(
        "tentacular-snapshot-v3\0{}\0{}\0{:016x}\0{plugin_sha256}\0",
        env!("CARGO_PKG_VERSION"),
        wasmtime_version(),
        settings.finish()
    )
}

/// Cache key: [`key_prefix`] and the payload (prelude + node modules).
fn cache_key(prefix: &str, payload: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(prefix.as_bytes());
    h.update(payload);
    hex::encode(h.finalize())
}

fn wasmtime_version() -> &'static str {
    // Bumped together with the workspace pin; wasmtime also validates on deserialize.
    "wasmtime-48.0.8"
}

/// The framing the plugin's `payload.rs` reads: a module table (each module once, even when
/// several nodes import it), then per entry its name and the indexes of the modules it needs,
/// the entry module last.
fn encode(prelude: &str, graphs: &[&ModuleGraph]) -> Vec<u8> {
    fn put(out: &mut Vec<u8>, s: &str) {
        out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    fn index_of<'g>(table: &mut Vec<(&'g str, &'g str)>, name: &'g str, js: &'g str) -> u32 {
        let i = table
            .iter()
            .position(|(n, _)| *n == name)
            .unwrap_or_else(|| {
                table.push((name, js));
                table.len() - 1
            });
        i as u32
    }
    let mut table: Vec<(&str, &str)> = Vec::new();
    let mut entries = Vec::new();
    for g in graphs {
        // `modules` is entry first; the plugin wants the entry last.
        let mut deps: Vec<u32> = g.modules[1..]
            .iter()
            .map(|m| index_of(&mut table, &m.name, &m.js))
            .collect();
        deps.push(index_of(&mut table, &g.modules[0].name, &g.modules[0].js));
        entries.push((g.entry.as_str(), deps));
    }
    let mut out = Vec::new();
    put(&mut out, prelude);
    out.extend_from_slice(&(table.len() as u32).to_le_bytes());
    for (name, js) in &table {
        put(&mut out, name);
        put(&mut out, js);
    }
    out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    for (entry, deps) in entries {
        put(&mut out, entry);
        out.extend_from_slice(&(deps.len() as u32).to_le_bytes());
        for d in deps {
            out.extend_from_slice(&d.to_le_bytes());
        }
    }
    out
}

/// Writes via a temporary file and a rename, so a crash never leaves half a module behind.
/// The file is readable by its owner only (it holds the nodes' code).
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let dir = path.parent().unwrap_or(Path::new("."));
    private_dir(dir)?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("m"),
        std::process::id()
    ));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    file.write_all(bytes)?;
    drop(file);
    std::fs::rename(&tmp, path)
}

/// Creates `dir` (and its parents) if needed and makes it accessible to its owner only.
pub(crate) fn private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::create_dir_all(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    #[test]
    fn the_committed_plugin_hash_matches_the_plugin() {
        assert_eq!(
            super::plugin_sha256(),
            hex::encode(Sha256::digest(super::PLUGIN)),
            "shims/plugin/tentacular_plugin.wasm.sha256 is stale: rebuild with shims/plugin/build.sh"
        );
    }
}
