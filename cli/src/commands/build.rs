//! `tntc build [dir]`: the engine image, without Docker (see `tentacular-image`). Assembles
//! base + engine layer, then writes it locally (`--dest`) and/or pushes it (`--push`); after
//! a push, `<dir>/.tentacular/base-image.txt` holds `repo@sha256:…` for `tntc deploy`.
//! `--with-deno` adds the Deno layer (`tentacular_image::deno`): the Deno CLI and, when the
//! workflow has a `deno.lock`, the npm packages it pins, from the workflow's Deno cache.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use serde_json::json;
use tentacular_image::deno::LockedCache;
use tentacular_image::engine::{self, EngineImage};
use tentacular_image::location::{Dest, Source};
use tentacular_image::progress::{Bars, Lines, Progress, Silent};
use tentacular_image::registry::{Credentials, RegistryOptions, Remote};
use tentacular_image::{Platform, store};
use tentacular_kube::config::{Config, ConfigPaths};

use crate::output::{Output, paint, style};

/// Builds the engine image: a distroless base plus tentacular-engine, deterministic (the same
/// inputs give the same digest anywhere). Workflow code is not baked in: it ships in a
/// ConfigMap at deploy time.
#[derive(Debug, Args)]
pub struct Build {
    /// The workflow directory; after a push its .tentacular/base-image.txt gets the pushed
    /// image. By default, the current directory.
    #[arg(default_value = ".")]
    pub dir: PathBuf,

    /// Image name and tag.
    #[arg(
        short = 't',
        long,
        default_value = "tentacular-engine:latest",
        value_name = "NAME[:TAG]"
    )]
    pub tag: String,

    /// Registry prefixed to a tag that names none. By default, `registry` of the config files.
    #[arg(short = 'r', long, value_name = "HOST[/PATH]")]
    pub registry: Option<String>,

    /// Push the image to its registry (blobs the registry has are not sent again).
    #[arg(long)]
    pub push: bool,

    /// Write the image locally: oci-dir:PATH, oci-archive:PATH or docker-archive:PATH
    /// (`podman load -i` / `docker load -i` read the archives). By default, without --push:
    /// oci-dir:<dir>/.tentacular/image.
    #[arg(long, value_name = "KIND:PATH")]
    pub dest: Option<String>,

    /// The platform, linux/amd64 or linux/arm64. By default, the engine binary's; it must
    /// match the binary.
    #[arg(long, value_name = "OS/ARCH", value_parser = parse_platform)]
    pub platform: Option<Platform>,

    /// The base image: a registry reference, oci-dir:PATH, oci-archive:PATH,
    /// docker-archive:PATH, an existing path, or `scratch`. By default,
    /// gcr.io/distroless/cc-debian12:nonroot for a glibc engine and
    /// gcr.io/distroless/static-debian12:nonroot for a static one.
    #[arg(long, value_name = "IMAGE")]
    pub base: Option<String>,

    /// The engine binary to package. By default, the tentacular-engine next to tntc.
    #[arg(long, value_name = "PATH")]
    pub engine: Option<PathBuf>,

    /// The source revision recorded in the image's labels. By default, the commit tntc was
    /// built from (TNTC_COMMIT at build time) when the engine is the one next to tntc, else
    /// none.
    #[arg(long, value_name = "REV")]
    pub revision: Option<String>,

    /// Speak plain HTTP to the registries (push and base), which must be on loopback.
    #[arg(long)]
    pub insecure_registry: bool,

    /// User name for the push registry (with --password-stdin). By default, the docker
    /// config's credentials ($DOCKER_CONFIG/config.json or ~/.docker/config.json).
    #[arg(long, requires = "password_stdin", value_name = "USER")]
    pub username: Option<String>,

    /// Read the push registry's password (or token) from the first line of stdin.
    #[arg(long, requires = "username")]
    pub password_stdin: bool,

    /// Add a layer for Deno compatibility mode: the Deno CLI at /usr/local/bin/deno and, when
    /// the workflow directory has a deno.lock, the npm packages it pins, read-only under
    /// /opt/tentacular/deno (from the workflow's Deno cache: $TENTACULAR_DENO_DIR, else
    /// <dir>/.tentacular/deno/, which `tntc deno-cache` fills). Deno writes only under /tmp.
    /// By default, no Deno.
    #[arg(long)]
    pub with_deno: bool,

    /// The Deno binary for --with-deno. By default, $TENTACULAR_DENO, then `deno` on PATH,
    /// then the project-local install of tools/deno/install.sh.
    #[arg(long, value_name = "PATH", requires = "with_deno")]
    pub deno: Option<PathBuf>,
}

fn parse_platform(s: &str) -> Result<Platform, String> {
    s.parse()
        .map_err(|e: tentacular_image::Error| e.to_string())
}

/// Timestamps in the image: `SOURCE_DATE_EPOCH` when set (reproducible-builds.org), else 0.
fn epoch() -> anyhow::Result<u64> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(s) if !s.trim().is_empty() => s
            .trim()
            .parse()
            .with_context(|| format!("SOURCE_DATE_EPOCH={s:?} is not a number of seconds")),
        _ => Ok(0),
    }
}

/// `tag` with `registry` in front when its first component is not a registry host.
pub fn full_tag(tag: &str, registry: Option<&str>) -> String {
    match registry
        .map(|r| r.trim_end_matches('/'))
        .filter(|r| !r.is_empty())
    {
        Some(r) if !names_registry(tag) => format!("{r}/{tag}"),
        _ => tag.to_string(),
    }
}

/// True when the first `/`-component of `tag` is a registry host (has a `.` or `:`, or is
/// `localhost`), as Docker decides it.
fn names_registry(tag: &str) -> bool {
    tag.split_once('/')
        .is_some_and(|(first, _)| first.contains(['.', ':']) || first == "localhost")
}

fn default_engine() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot find where tntc is installed")?;
    let p = exe.with_file_name("tentacular-engine");
    if !p.is_file() {
        bail!(
            "no tentacular-engine next to tntc ({})\n  hint: build it (cargo build --release -p \
             tentacular-engine) or pass --engine PATH",
            p.display()
        );
    }
    Ok(p)
}

impl Build {
    pub fn run(self, out: &Output) -> anyhow::Result<()> {
        let config = Config::load(&ConfigPaths::from_env())?;
        let registry = self.registry.clone().or(config.registry.clone());
        let tag = full_tag(&self.tag, registry.as_deref());
        if self.push && !names_registry(&tag) {
            bail!(
                "--push needs a registry, and {tag:?} names none\n  hint: pass -r/--registry \
                 HOST, set `registry` in .tentacular/config.yaml (tntc configure --registry), \
                 or tag it HOST/NAME:TAG"
            );
        }
        let dest = match (&self.dest, self.push) {
            (Some(d), _) => Some(Dest::parse(d)?),
            (None, true) => None,
            (None, false) => Some(Dest::OciDir(self.dir.join(".tentacular").join("image"))),
        };
        let (engine_path, revision) = match &self.engine {
            Some(p) => (p.clone(), self.revision.clone()),
            None => (
                default_engine()?,
                self.revision
                    .clone()
                    .or(option_env!("TNTC_COMMIT").map(str::to_string)),
            ),
        };
        let password = if self.password_stdin {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the password from stdin")?;
            Some(line.trim_end_matches(['\r', '\n']).to_string())
        } else {
            None
        };
        let epoch = epoch()?;

        let mut spec = EngineImage::new(&engine_path, env!("CARGO_PKG_VERSION"));
        spec.platform(self.platform).revision(revision).epoch(epoch);
        let deno = match self.with_deno {
            true => Some(deno_layer_inputs(&self.dir, self.deno.as_deref())?),
            false => None,
        };
        if let Some((binary, cache)) = &deno {
            spec.with_deno(binary, cache.clone());
        }
        let info = spec.inspect()?;
        let platform = spec.resolve_platform(&info)?;
        let base_text = self
            .base
            .clone()
            .unwrap_or_else(|| engine::default_base(&info).to_string());
        let base = Source::parse(&base_text)?;
        let progress = progress(out);
        let base_opts = RegistryOptions {
            insecure: self.insecure_registry,
            credentials: Credentials::DockerConfig,
        };
        let push_opts = RegistryOptions {
            insecure: self.insecure_registry,
            credentials: match (&self.username, password) {
                (Some(u), Some(p)) => Credentials::Basic {
                    username: u.clone(),
                    password: p,
                },
                _ => Credentials::DockerConfig,
            },
        };

        // Refuse a push that cannot happen before spending seconds on the build.
        let remote = match self.push {
            true => Some(Remote::new(&tag, &push_opts)?),
            false => None,
        };

        super::runtime()?.block_on(async {
            let base_image = store::read_source(&base, platform, &base_opts, progress.as_ref())
                .await
                .with_context(|| format!("reading the base image {base_text}"))?;
            let built = spec.build(base_image, &base_text, base.is_registry())?;
            for w in &built.warnings {
                out.err(format!("{} {w}", paint(style::WARN, "warning:")))?;
            }
            let image = &built.image;
            if let Some(d) = &dest {
                store::write_dest(d, image, &tag)?;
            }
            let pushed = match &remote {
                Some(r) => Some(r.push(image, progress.as_ref()).await?),
                None => None,
            };
            let base_image_file = match &pushed {
                Some(p) => Some(write_base_image_file(&self.dir, &p.pinned)?),
                None => None,
            };
            if out.json() {
                return out.json_value(&json!({
                    "image": tag,
                    "digest": image.digest(),
                    "platform": platform.to_string(),
                    "base": base_text,
                    "engine": {
                        "path": engine_path,
                        "static": info.is_static(),
                        "interpreter": info.interpreter,
                        "layerDigest": built.engine_layer.digest,
                    },
                    "layers": image.manifest().layers.len(),
                    "size": image.size(),
                    "dest": dest.as_ref().map(|d| json!({"kind": d.kind(), "path": d.path()})),
                    "push": pushed.as_ref().map(|p| json!({
                        "pinned": p.pinned,
                        "uploadedBytes": p.uploaded_bytes(),
                        "blobs": p.blobs,
                    })),
                    "baseImageFile": base_image_file,
                    "deno": built.deno.as_ref().map(|(layer, contents)| json!({
                        "path": deno.as_ref().map(|d| &d.0),
                        "layerDigest": layer.digest,
                        "packages": contents.packages,
                    })),
                    "warnings": built.warnings,
                }));
            }
            out.out(format!(
                "{} built {tag} ({platform}, {}, {}) {}",
                paint(style::OK, "✓"),
                super::plural(image.manifest().layers.len(), "layer"),
                crate::output::mebibytes(image.size()),
                image.digest()
            ))?;
            if let Some((_, contents)) = &built.deno {
                out.out(format!(
                    "  with Deno at {}{}",
                    tentacular_image::deno::DENO_PATH,
                    match contents.packages.len() {
                        0 => String::new(),
                        _ => format!(" and {} (locked, read-only)", contents.packages.join(", ")),
                    }
                ))?;
            }
            if let Some(d) = &dest {
                out.out(format!(
                    "  wrote {d} (podman load -i {})",
                    d.path().display()
                ))?;
            }
            if let Some(p) = &pushed {
                out.out(format!(
                    "  pushed {} ({} sent, {} of {} blobs already there)",
                    p.pinned,
                    crate::output::mebibytes(p.uploaded_bytes()),
                    p.blobs
                        .iter()
                        .filter(|b| b.outcome == tentacular_image::progress::BlobOutcome::Existed)
                        .count(),
                    p.blobs.len()
                ))?;
            }
            if let Some(f) = &base_image_file {
                out.out(format!(
                    "  {} now names it: tntc deploy uses it",
                    f.display()
                ))?;
            }
            Ok(())
        })
    }
}

/// The Deno binary (found as everywhere else, `tentacular_deno::locate`) and, when the
/// workflow in `dir` has a `deno.lock`, its Deno cache (the packages the lock pins must be in
/// it).
fn deno_layer_inputs(
    dir: &Path,
    flag: Option<&Path>,
) -> anyhow::Result<(PathBuf, Option<LockedCache>)> {
    let binary = tentacular_deno::locate(flag)
        .context("--with-deno puts the Deno CLI in the image")?
        .path;
    let lock = tentacular_deno::cache::lock_path(dir);
    if !lock.is_file() {
        return Ok((binary, None));
    }
    let cache = tentacular_deno::cache::cache_dir(dir);
    Ok((binary, Some(LockedCache::read(&lock, &cache)?)))
}

fn progress(out: &Output) -> Box<dyn Progress> {
    if out.json() {
        Box::new(Silent)
    } else if std::io::stderr().is_terminal() {
        Box::new(Bars::stderr())
    } else {
        Box::new(Lines::default())
    }
}

fn write_base_image_file(dir: &Path, pinned: &str) -> anyhow::Result<PathBuf> {
    let d = dir.join(".tentacular");
    std::fs::create_dir_all(&d).with_context(|| format!("creating {}", d.display()))?;
    let f = d.join("base-image.txt");
    std::fs::write(&f, format!("{pinned}\n"))
        .with_context(|| format!("writing {}", f.display()))?;
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_goes_in_front_of_a_tag_without_one() {
        assert_eq!(
            full_tag("tentacular-engine:1", Some("127.0.0.1:5000")),
            "127.0.0.1:5000/tentacular-engine:1"
        );
        assert_eq!(
            full_tag("team/engine:1", Some("reg.example.com/")),
            "reg.example.com/team/engine:1"
        );
        assert_eq!(
            full_tag("other.io/engine:1", Some("reg.example.com")),
            "other.io/engine:1"
        );
        assert_eq!(
            full_tag("localhost/engine", Some("reg.example.com")),
            "localhost/engine"
        );
        assert_eq!(full_tag("engine:1", None), "engine:1");
        assert!(!names_registry("tentacular-engine:latest"));
        assert!(names_registry("127.0.0.1:5000/e"));
    }
}
