//! The Tentacular engine image: a base plus one layer holding `tentacular-engine`, configured
//! the way the generated Deployment expects (user 65534, read-only root filesystem, the
//! workflow mounted at `/app/workflow`, port 8080).
//!
//! Further layers are added with [`EngineImage::extra_layer`], built with
//! [`crate::layer::LayerBuilder`]; [`EngineImage::with_deno`] adds the Deno layer of
//! [`crate::deno`] (the Deno binary and a workflow's locked cache, for Deno compatibility mode).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::builder::ImageBuilder;
use crate::config::ImageSettings;
use crate::deno::{DenoContents, LockedCache};
use crate::elf::{self, ElfInfo};
use crate::error::{Error, Result};
use crate::image::Image;
use crate::layer::{Layer, LayerBuilder};
use crate::oci::annotation;
use crate::platform::Platform;
use crate::rootfs::FileTree;

/// Where the engine binary goes (on the default `PATH`; the Deployment runs it by name).
pub const ENGINE_PATH: &str = "/usr/local/bin/tentacular-engine";
/// Where the Deployment mounts the workflow's code ConfigMap.
pub const WORKFLOW_DIR: &str = "/app/workflow";
/// Where the Deployment mounts the workflow's Secret.
pub const SECRETS_DIR: &str = "/app/secrets";
/// The port the engine listens on.
pub const PORT: u16 = 8080;
/// The user and group the engine runs as (`nobody`), numeric so no `/etc/passwd` is needed.
pub const USER: &str = "65534:65534";
/// The snapshot cache directory, under the writable `/tmp` (the root filesystem is
/// read-only). The same value as the Deployment's `TENTACULAR_CACHE_DIR`.
pub const CACHE_DIR: &str = "/tmp/tentacular-cache";
/// `PATH` in the image.
pub const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// The default base for a dynamically linked (glibc) engine.
pub const DEFAULT_BASE_GLIBC: &str = "gcr.io/distroless/cc-debian12:nonroot";
/// The default base for a static engine.
pub const DEFAULT_BASE_STATIC: &str = "gcr.io/distroless/static-debian12:nonroot";

/// An engine image to build.
#[derive(Debug, Clone)]
pub struct EngineImage {
    engine: PathBuf,
    platform: Option<Platform>,
    version: String,
    revision: Option<String>,
    extra: Vec<Layer>,
    env: BTreeMap<String, String>,
    deno: Option<DenoSpec>,
    epoch: u64,
}

/// The Deno layer to add: the binary and, optionally, a Deno cache.
#[derive(Debug, Clone)]
struct DenoSpec {
    binary: PathBuf,
    cache: Option<LockedCache>,
}

/// A built engine image and what was learnt on the way.
#[derive(Debug, Clone)]
pub struct BuiltEngine {
    /// The image.
    pub image: Image,
    /// The engine binary's ELF facts.
    pub engine: ElfInfo,
    /// The engine's own layer.
    pub engine_layer: Layer,
    /// Things to tell the user (a shared library the base seems to lack, …).
    pub warnings: Vec<String>,
    /// The Deno layer and what it holds, with [`EngineImage::with_deno`].
    pub deno: Option<(Layer, DenoContents)>,
}

impl EngineImage {
    /// An image packaging the engine binary at `engine`, labelled with `version`.
    pub fn new(engine: impl Into<PathBuf>, version: impl Into<String>) -> Self {
        EngineImage {
            engine: engine.into(),
            platform: None,
            version: version.into(),
            revision: None,
            extra: Vec::new(),
            env: BTreeMap::new(),
            deno: None,
            epoch: 0,
        }
    }

    /// The platform to build for. By default, the engine binary's; when given, it must be
    /// the engine's.
    pub fn platform(&mut self, platform: Option<Platform>) -> &mut Self {
        self.platform = platform;
        self
    }

    /// The source revision for the `org.opencontainers.image.revision` label and annotation.
    /// By default, none.
    pub fn revision(&mut self, revision: Option<String>) -> &mut Self {
        self.revision = revision;
        self
    }

    /// Adds a layer above the engine's (e.g. the Deno binary and a locked module cache).
    pub fn extra_layer(&mut self, layer: Layer) -> &mut Self {
        self.extra.push(layer);
        self
    }

    /// Adds the Deno layer ([`crate::deno`]): the Deno binary at `binary` and, when given,
    /// the npm packages a workflow's lock file pins ([`LockedCache::read`]), with the
    /// environment that points the engine at them. By default, no Deno.
    pub fn with_deno(
        &mut self,
        binary: impl Into<PathBuf>,
        cache: Option<LockedCache>,
    ) -> &mut Self {
        self.deno = Some(DenoSpec {
            binary: binary.into(),
            cache,
        });
        self
    }

    /// Sets an environment variable in the image's config (over the engine's defaults). By
    /// default, only `PATH`, `TENTACULAR_CACHE_DIR` and, with Deno, those of
    /// [`crate::deno::env`].
    pub fn env(&mut self, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.env.insert(key.into(), value.into());
        self
    }

    /// Timestamps (seconds since the epoch) of the layers' entries and the config's
    /// `created`. By default, 0; pass `SOURCE_DATE_EPOCH` here to honour it.
    pub fn epoch(&mut self, seconds: u64) -> &mut Self {
        self.epoch = seconds;
        self
    }

    /// The ELF facts of the engine binary (read again by [`EngineImage::build`]).
    pub fn inspect(&self) -> Result<ElfInfo> {
        elf::inspect(&self.engine)
    }

    /// The platform the image will have: `--platform` if given and matching, else the
    /// engine's.
    pub fn resolve_platform(&self, info: &ElfInfo) -> Result<Platform> {
        match self.platform {
            Some(p) if p != info.platform => Err(Error::PlatformMismatch {
                path: self.engine.clone(),
                requested: p,
                actual: info.platform,
            }),
            _ => Ok(info.platform),
        }
    }

    /// Builds the image on `base`. `base_name` is the base as the user wrote it (for error
    /// messages); `registry_base` says it is a registry reference, which then goes into the
    /// `org.opencontainers.image.base.name` annotation.
    pub fn build(&self, base: Image, base_name: &str, registry_base: bool) -> Result<BuiltEngine> {
        let info = self.inspect()?;
        let platform = self.resolve_platform(&info)?;
        let mut warnings = Vec::new();
        let deno = match &self.deno {
            Some(d) => Some(crate::deno::layer(&d.binary, d.cache.as_ref(), self.epoch)?),
            None => None,
        };
        if info.interpreter.is_some() || deno.is_some() {
            let tree = FileTree::of(&base)?;
            if tree.unreadable_layers == 0 {
                if let Some(interp) = &info.interpreter {
                    if !tree.exists(interp) {
                        return Err(Error::MissingInterpreter {
                            engine: self.engine.clone(),
                            interpreter: interp.clone(),
                            base: base_name.into(),
                        });
                    }
                    warnings.extend(missing_libraries(&tree, &info, "the engine", base_name));
                }
                if let (Some((_, contents)), Some(spec)) = (&deno, &self.deno) {
                    let d = &contents.binary;
                    if let Some(interp) = d.interpreter.as_ref().filter(|i| !tree.exists(i)) {
                        return Err(Error::DenoInterpreter {
                            deno: spec.binary.clone(),
                            interpreter: interp.clone(),
                            base: base_name.into(),
                        });
                    }
                    warnings.extend(missing_libraries(&tree, d, "Deno", base_name));
                }
            }
        }
        let engine_layer = engine_layer(&self.engine, self.epoch)?;
        let mut labels = BTreeMap::from([
            (
                annotation::TITLE.to_string(),
                "tentacular-engine".to_string(),
            ),
            (annotation::VERSION.to_string(), self.version.clone()),
        ]);
        if let Some(r) = &self.revision {
            labels.insert(annotation::REVISION.into(), r.clone());
        }
        let mut config = settings(labels.clone());
        if let Some((_, contents)) = &deno {
            config.env.extend(crate::deno::env(
                self.deno.as_ref().is_some_and(|d| d.cache.is_some()),
            ));
            if contents.binary.platform != platform {
                return Err(Error::DenoPlatform {
                    deno: self
                        .deno
                        .as_ref()
                        .map(|d| d.binary.clone())
                        .unwrap_or_default(),
                    platform,
                    actual: contents.binary.platform,
                });
            }
        }
        config.env.extend(self.env.clone());
        let mut builder = ImageBuilder::new(base, platform);
        builder
            .base_name(registry_base.then(|| base_name.to_string()))
            .created(self.epoch)
            .settings(config)
            .annotations(labels)
            .layer(engine_layer.clone());
        if let Some((l, _)) = &deno {
            builder.layer(l.clone());
        }
        for l in &self.extra {
            builder.layer(l.clone());
        }
        Ok(BuiltEngine {
            image: builder.build()?,
            engine: info,
            engine_layer,
            warnings,
            deno,
        })
    }
}

/// Warnings for the shared libraries of `binary` (`who`, e.g. "the engine") that `base`
/// does not seem to have.
fn missing_libraries(tree: &FileTree, binary: &ElfInfo, who: &str, base: &str) -> Vec<String> {
    binary
        .needed
        .iter()
        .filter(|lib| !LIB_DIRS.iter().any(|d| tree.exists(&format!("{d}/{lib}"))))
        .map(|lib| {
            format!(
                "{who} needs {lib}, which the base {base} does not seem to have in {}",
                LIB_DIRS.join(", ")
            )
        })
        .collect()
}

/// Where a glibc base keeps shared libraries (Debian's multiarch directories included).
const LIB_DIRS: &[&str] = &[
    "/lib",
    "/lib64",
    "/usr/lib",
    "/usr/lib64",
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib/aarch64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
];

/// The engine's layer: the binary at [`ENGINE_PATH`] (mode 0755) and the directories the
/// Deployment mounts over (`/app/workflow`, `/app/secrets`) and writes to (`/tmp`, 1777).
pub fn engine_layer(engine: &Path, epoch: u64) -> Result<Layer> {
    let mut b = LayerBuilder::new();
    b.mtime(epoch);
    let data = std::fs::read(engine).map_err(|e| Error::io("read", engine, e))?;
    b.file(ENGINE_PATH, data, 0o755)?;
    b.dir("/app", 0o755)?;
    b.dir(WORKFLOW_DIR, 0o755)?;
    b.dir(SECRETS_DIR, 0o755)?;
    b.dir("/tmp", 0o1777)?;
    b.build(&format!("tntc build: {ENGINE_PATH}"))
}

/// The config of an engine image: entrypoint the engine, serving `/app/workflow` on 8080 as
/// user 65534, with its cache under `/tmp`.
pub fn settings(labels: BTreeMap<String, String>) -> ImageSettings {
    ImageSettings {
        user: Some(USER.into()),
        entrypoint: Some(vec![ENGINE_PATH.into()]),
        cmd: Some(vec![
            "--workflow".into(),
            WORKFLOW_DIR.into(),
            "--port".into(),
            PORT.to_string(),
        ]),
        env: BTreeMap::from([
            ("PATH".to_string(), PATH.to_string()),
            ("TENTACULAR_CACHE_DIR".to_string(), CACHE_DIR.to_string()),
        ]),
        working_dir: Some("/app".into()),
        exposed_ports: vec![format!("{PORT}/tcp")],
        labels,
    }
}

/// The default base for an engine: distroless `static` for a static engine, `cc` (glibc)
/// otherwise.
pub fn default_base(info: &ElfInfo) -> &'static str {
    if info.is_static() {
        DEFAULT_BASE_STATIC
    } else {
        DEFAULT_BASE_GLIBC
    }
}
