//! tntc's config files and the resolution of where and how to deploy.
//!
//! Two files, the project one winning field by field (reference §2.2):
//!
//! - `~/.tentacular/config.yaml` (user)
//! - `./.tentacular/config.yaml` (project)
//!
//! ```yaml
//! registry: registry.example.com/team
//! namespace: workflows            # used when nothing more specific names one
//! runtime_class: gvisor           # `none` disables gVisor; empty means "not set"
//! environments:
//!   dev:
//!     kubeconfig: ~/.kube/dev.yaml
//!     context: dev-admin
//!     namespace: wf-dev
//!     image: registry.example.com/team/tentacular-engine:0.1.0
//!   prod:
//!     context: prod
//!     namespace: wf-prod
//! ```
//!
//! [`Config::resolve`] applies the precedence rules (§2.3): namespace = `-n` > the selected
//! environment > `workflow.yaml` `deployment.namespace` > config `namespace` > `default`; the
//! environment is `--env` > `$TENTACULAR_ENV` > none.
//!
//! ```
//! use tentacular_kube::config::{Config, Overrides, Source};
//!
//! let cfg: Config = Config::parse("namespace: team\nenvironments: {dev: {namespace: wf-dev}}\n").unwrap();
//! let r = cfg.resolve(&Overrides { env: Some("dev"), ..Overrides::default() }).unwrap();
//! assert_eq!((r.namespace.as_str(), r.namespace_source), ("wf-dev", Source::Environment));
//! let r = cfg.resolve(&Overrides { workflow_namespace: Some("from-yaml"), ..Overrides::default() }).unwrap();
//! assert_eq!(r.namespace, "from-yaml");
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cluster::Target;
use crate::error::{Error, Result};
use crate::manifests::{DEFAULT_IMAGE, RuntimeClassChoice};

/// The variable that selects an environment when `--env` is not given.
pub const ENV_VAR: &str = "TENTACULAR_ENV";

/// One config file (or the merge of both).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Registry prepended to image tags that have none (`tntc build`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    /// Namespace when nothing more specific names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Runtime class: `gvisor` (the default), another class, or `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_class: Option<String>,
    /// Named environments.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environments: BTreeMap<String, Environment>,
    /// Keys this version does not know (kept when the file is rewritten).
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

/// A named environment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    /// Kubeconfig file (`~/` is expanded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubeconfig: Option<String>,
    /// Kubeconfig context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// Namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Engine image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Runtime class (`none` disables gVisor; empty means "not set").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_class: Option<String>,
    /// Workflow `config` keys overridden in this environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_overrides: Option<BTreeMap<String, serde_json::Value>>,
    /// Where secrets come from for this environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets_source: Option<String>,
    /// `strict` or `audit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enforcement: Option<String>,
    /// Unknown keys, kept.
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

fn pick<T: Clone>(project: &Option<T>, user: &Option<T>) -> Option<T> {
    project.clone().or_else(|| user.clone())
}

impl Environment {
    fn merged(user: &Environment, project: &Environment) -> Environment {
        let mut other = user.other.clone();
        other.extend(project.other.clone());
        Environment {
            kubeconfig: pick(&project.kubeconfig, &user.kubeconfig),
            context: pick(&project.context, &user.context),
            namespace: pick(&project.namespace, &user.namespace),
            image: pick(&project.image, &user.image),
            runtime_class: pick(&project.runtime_class, &user.runtime_class),
            config_overrides: pick(&project.config_overrides, &user.config_overrides),
            secrets_source: pick(&project.secrets_source, &user.secrets_source),
            enforcement: pick(&project.enforcement, &user.enforcement),
            other,
        }
    }
}

/// Where a resolved value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A command-line flag.
    Flag,
    /// The selected environment.
    Environment,
    /// `workflow.yaml` (`deployment.namespace`).
    Workflow,
    /// The top level of the config files.
    Config,
    /// `.tentacular/base-image.txt` (written by `tntc build`).
    BuildOutput,
    /// The built-in default.
    Default,
}

/// What the command line (and the process environment) say; everything optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Overrides<'a> {
    /// `-n/--namespace`, when given explicitly.
    pub namespace: Option<&'a str>,
    /// `--env`.
    pub env: Option<&'a str>,
    /// The value of `$TENTACULAR_ENV` (the caller reads it, so tests stay hermetic).
    pub env_var: Option<&'a str>,
    /// `--kubeconfig`.
    pub kubeconfig: Option<&'a Path>,
    /// `--context`.
    pub context: Option<&'a str>,
    /// `--image`.
    pub image: Option<&'a str>,
    /// `--runtime-class`.
    pub runtime_class: Option<&'a str>,
    /// `deployment.namespace` of the workflow.
    pub workflow_namespace: Option<&'a str>,
    /// Content of the workflow's `.tentacular/base-image.txt`.
    pub built_image: Option<&'a str>,
    /// The home directory for `~/` expansion (by default, `$HOME`).
    pub home: Option<&'a Path>,
}

/// The outcome of [`Config::resolve`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resolved {
    /// The selected environment, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Target namespace.
    pub namespace: String,
    /// Where it came from.
    pub namespace_source: Source,
    /// Kubeconfig file (expanded), if one is configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context, if one is configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// Engine image.
    pub image: String,
    /// Where it came from.
    pub image_source: Source,
    /// Runtime class.
    pub runtime_class: RuntimeClassChoice,
    /// Registry (for `build`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    /// Things the user should know (ignored empty values, …).
    pub warnings: Vec<String>,
}

impl Resolved {
    /// The cluster to connect to.
    pub fn target(&self) -> Target {
        Target {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
        }
    }
}

/// Expands a leading `~/` (or a lone `~`) with `home`.
pub fn expand_home(path: &str, home: Option<&Path>) -> PathBuf {
    match (path.strip_prefix("~/"), home) {
        (Some(rest), Some(h)) => h.join(rest),
        _ if path == "~" && home.is_some() => home.unwrap_or(Path::new("~")).to_path_buf(),
        _ => PathBuf::from(path),
    }
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// The two config file locations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigPaths {
    /// `~/.tentacular/config.yaml`, when a home directory is known.
    pub user: Option<PathBuf>,
    /// `<project>/.tentacular/config.yaml`.
    pub project: PathBuf,
}

impl ConfigPaths {
    /// The locations for `home` and the project directory `project_dir` (usually the current
    /// directory).
    pub fn new(home: Option<&Path>, project_dir: &Path) -> Self {
        ConfigPaths {
            user: home.map(|h| h.join(".tentacular").join("config.yaml")),
            project: project_dir.join(".tentacular").join("config.yaml"),
        }
    }

    /// The locations for `$HOME` and the current directory.
    pub fn from_env() -> Self {
        let home = std::env::home_dir();
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        ConfigPaths::new(home.as_deref(), &cwd)
    }
}

impl Config {
    /// Parses YAML text.
    pub fn parse(text: &str) -> std::result::Result<Config, String> {
        if text.trim().is_empty() {
            return Ok(Config::default());
        }
        serde_saphyr::from_str(text).map_err(|e| e.to_string())
    }

    /// Reads one file; a missing file is an empty config.
    pub fn read(path: &Path) -> Result<Config> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::parse(&text).map_err(|message| Error::Config {
                path: path.into(),
                message,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(Error::Config {
                path: path.into(),
                message: e.to_string(),
            }),
        }
    }

    /// Reads both files and merges them, the project file winning field by field (inside
    /// each environment too).
    pub fn load(paths: &ConfigPaths) -> Result<Config> {
        let user = match &paths.user {
            Some(p) => Config::read(p)?,
            None => Config::default(),
        };
        let project = Config::read(&paths.project)?;
        Ok(Config::merged(&user, &project))
    }

    /// `project` over `user`, field by field.
    pub fn merged(user: &Config, project: &Config) -> Config {
        let mut environments = user.environments.clone();
        for (name, p) in &project.environments {
            let merged = match environments.get(name) {
                Some(u) => Environment::merged(u, p),
                None => p.clone(),
            };
            environments.insert(name.clone(), merged);
        }
        let mut other = user.other.clone();
        other.extend(project.other.clone());
        Config {
            registry: pick(&project.registry, &user.registry),
            namespace: pick(&project.namespace, &user.namespace),
            runtime_class: pick(&project.runtime_class, &user.runtime_class),
            environments,
            other,
        }
    }

    /// Writes the file (creating `.tentacular/`), mode 0600 on Unix.
    pub fn write(&self, path: &Path) -> Result<()> {
        let err = |message: String| Error::Config {
            path: path.into(),
            message,
        };
        let text = crate::manifests::to_yaml(self).map_err(|e| err(e.to_string()))?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
        }
        std::fs::write(path, text).map_err(|e| err(e.to_string()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| err(e.to_string()))?;
        }
        Ok(())
    }

    /// Applies `tntc configure` flags: only the fields that are `Some` change.
    pub fn update(&mut self, update: &ConfigUpdate) -> Result<()> {
        if let Some(rc) = &update.runtime_class
            && RuntimeClassChoice::parse(rc).is_none()
        {
            return Err(Error::InvalidInput {
                field: "runtime class".into(),
                message: "empty; use `none` to disable gVisor, or a RuntimeClass name".into(),
            });
        }
        let set = |field: &mut Option<String>, v: &Option<String>| {
            if let Some(v) = v {
                *field = Some(v.clone());
            }
        };
        match &update.environment {
            None => {
                set(&mut self.registry, &update.registry);
                set(&mut self.namespace, &update.namespace);
                set(&mut self.runtime_class, &update.runtime_class);
            }
            Some(name) => {
                set(&mut self.registry, &update.registry);
                let env = self.environments.entry(name.clone()).or_default();
                set(&mut env.namespace, &update.namespace);
                set(&mut env.runtime_class, &update.runtime_class);
                set(&mut env.kubeconfig, &update.kubeconfig);
                set(&mut env.context, &update.context);
                set(&mut env.image, &update.image);
            }
        }
        Ok(())
    }

    /// Resolves namespace, cluster, image and runtime class for a command.
    pub fn resolve(&self, o: &Overrides<'_>) -> Result<Resolved> {
        let home = o.home.map(Path::to_path_buf).or_else(std::env::home_dir);
        let mut warnings = Vec::new();
        let env_name = non_empty(o.env).or(non_empty(o.env_var));
        let env =
            match env_name {
                Some(name) => Some(self.environments.get(name).ok_or_else(|| {
                    Error::InvalidInput {
                        field: "environment".into(),
                        message: format!(
                            "{name:?} is not defined in .tentacular/config.yaml (defined: {})",
                            if self.environments.is_empty() {
                                "none".to_string()
                            } else {
                                self.environments
                                    .keys()
                                    .cloned()
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            }
                        ),
                    }
                })?),
                None => None,
            };
        let env_field = |f: fn(&Environment) -> Option<&String>| {
            env.and_then(|e| non_empty(f(e).map(String::as_str)))
        };

        let (namespace, namespace_source) = if let Some(n) = non_empty(o.namespace) {
            (n, Source::Flag)
        } else if let Some(n) = env_field(|e| e.namespace.as_ref()) {
            (n, Source::Environment)
        } else if let Some(n) = non_empty(o.workflow_namespace) {
            (n, Source::Workflow)
        } else if let Some(n) = non_empty(self.namespace.as_deref()) {
            (n, Source::Config)
        } else {
            ("default", Source::Default)
        };

        let (image, image_source) = if let Some(i) = non_empty(o.image) {
            (i, Source::Flag)
        } else if let Some(i) = env_field(|e| e.image.as_ref()) {
            (i, Source::Environment)
        } else if let Some(i) = non_empty(o.built_image) {
            (i, Source::BuildOutput)
        } else {
            (DEFAULT_IMAGE, Source::Default)
        };

        let runtime_class = match o.runtime_class {
            Some(flag) => RuntimeClassChoice::parse(flag).ok_or_else(|| Error::InvalidInput {
                field: "--runtime-class".into(),
                message: "empty; use `--runtime-class none` to disable gVisor explicitly".into(),
            })?,
            None => {
                let mut choice = None;
                let candidates = [
                    (
                        env.and_then(|e| e.runtime_class.as_deref()),
                        "the environment",
                    ),
                    (self.runtime_class.as_deref(), "the config"),
                ];
                for (value, place) in candidates {
                    let Some(value) = value else { continue };
                    match RuntimeClassChoice::parse(value) {
                        Some(c) => {
                            choice = Some(c);
                            break;
                        }
                        None => warnings.push(format!(
                            "runtime_class is empty in {place}; ignoring it (gVisor stays on). \
                             Write `runtime_class: none` to disable gVisor."
                        )),
                    }
                }
                choice.unwrap_or_default()
            }
        };

        let kubeconfig = match o.kubeconfig {
            Some(p) => Some(p.to_path_buf()),
            None => env_field(|e| e.kubeconfig.as_ref()).map(|k| expand_home(k, home.as_deref())),
        };
        let context = non_empty(o.context)
            .or(env_field(|e| e.context.as_ref()))
            .map(str::to_string);

        Ok(Resolved {
            environment: env_name.map(str::to_string),
            namespace: namespace.to_string(),
            namespace_source,
            kubeconfig,
            context,
            image: image.to_string(),
            image_source,
            runtime_class,
            registry: non_empty(self.registry.as_deref()).map(str::to_string),
            warnings,
        })
    }
}

/// What `tntc configure` sets. With `environment`, namespace/runtime class/kubeconfig/context/
/// image go into that environment; without, namespace and runtime class are top-level.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigUpdate {
    /// Environment to edit (created when missing).
    pub environment: Option<String>,
    /// `--registry`.
    pub registry: Option<String>,
    /// `--namespace`.
    pub namespace: Option<String>,
    /// `--runtime-class` (`none` disables gVisor; empty is rejected).
    pub runtime_class: Option<String>,
    /// `--kubeconfig` (environment only).
    pub kubeconfig: Option<String>,
    /// `--context` (environment only).
    pub context: Option<String>,
    /// `--image` (environment only).
    pub image: Option<String>,
}

#[cfg(test)]
mod tests;
