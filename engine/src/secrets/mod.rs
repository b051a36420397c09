//! The secrets cascade, and a [`Secrets`] type that never prints a value.
//!
//! Where secrets come from (reference §4.7):
//!
//! 1. With an explicit path (`--secrets`): only that source, a YAML file or a directory.
//! 2. Otherwise `<workflow>/.secrets/` (a directory), then `<workflow>/.secrets.yaml` merged on
//!    top.
//! 3. In every case the mount directory (`/app/secrets`, where Kubernetes mounts the
//!    workflow's Secret) is merged last, on top of everything.
//!
//! Merges are shallow, per service: a later source's `github` replaces an earlier `github`
//! entirely. Missing sources are simply empty, except an explicit path, which must exist.
//!
//! A directory holds one file per service. Hidden files (`.foo`, and Kubernetes' `..data`)
//! are skipped; symlinks are followed **only while they stay inside the directory** (a
//! Kubernetes Secret volume is made of such links: `token -> ..data/token`); a link that
//! leaves it (`x -> /etc/passwd`) is refused with an error. A file holding a
//! JSON object gives that service's keys; any other content becomes `{value: <trimmed text>}`.
//!
//! A YAML file maps service → key → value. Values that are not strings (numbers, lists,
//! maps) are kept as their JSON text.
//!
//! Beside them, the pod's service account (token and cluster CA, see [`service_account`]) is
//! read from [`SERVICE_ACCOUNT_DIR`] when mounted: the credential of `kubernetes`
//! dependencies.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};
use serde_json::Value;

use crate::Error;

pub mod service_account;
pub use service_account::{SERVICE_ACCOUNT_DIR, ServiceAccountIdentity};
use tentacular_spec::SecretRef;

/// Where Kubernetes mounts a workflow's Secret in the engine's pod.
pub const MOUNT_DIR: &str = "/app/secrets";

/// Where to look for secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretsSource {
    /// An explicit source (`--secrets`): a YAML file or a directory; when set, the workflow
    /// directory is not looked at.
    pub explicit: Option<PathBuf>,
    /// The workflow directory, for `.secrets/` and `.secrets.yaml`.
    pub workflow_dir: Option<PathBuf>,
    /// Merged last, on top of everything. By default [`MOUNT_DIR`]; `None` skips it.
    pub mount_dir: Option<PathBuf>,
    /// Where the pod's service account is mounted. By default [`SERVICE_ACCOUNT_DIR`];
    /// `None` skips it.
    pub service_account_dir: Option<PathBuf>,
}

impl SecretsSource {
    /// The usual cascade for a workflow directory, with the mount directory on top.
    pub fn for_workflow(dir: impl Into<PathBuf>) -> Self {
        Self {
            explicit: None,
            workflow_dir: Some(dir.into()),
            mount_dir: Some(PathBuf::from(MOUNT_DIR)),
            service_account_dir: Some(PathBuf::from(SERVICE_ACCOUNT_DIR)),
        }
    }

    /// Only `path` (a YAML file or a directory), with the mount directory on top.
    pub fn explicit(path: impl Into<PathBuf>) -> Self {
        Self {
            explicit: Some(path.into()),
            workflow_dir: None,
            mount_dir: Some(PathBuf::from(MOUNT_DIR)),
            service_account_dir: Some(PathBuf::from(SERVICE_ACCOUNT_DIR)),
        }
    }

    /// Replaces the mount directory (`None`: skip it), e.g. for tests or local runs.
    pub fn with_mount_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.mount_dir = dir;
        self
    }

    /// Replaces the service-account directory (`None`: skip it), e.g. for tests.
    pub fn with_service_account_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.service_account_dir = dir;
        self
    }

    /// Reads every source and merges them.
    pub fn load(&self) -> Result<Secrets, Error> {
        let mut out = Secrets::default();
        if let Some(path) = &self.explicit {
            if !path.exists() {
                return Err(Error::SecretsPathMissing { path: path.clone() });
            }
            out.merge(read_path(path)?);
        } else if let Some(dir) = &self.workflow_dir {
            let d = dir.join(".secrets");
            if d.is_dir() {
                out.merge(read_dir(&d)?);
            }
            let f = dir.join(".secrets.yaml");
            if f.exists() {
                out.merge(read_yaml_file(&f)?);
            }
        }
        if let Some(m) = &self.mount_dir
            && m.is_dir()
        {
            out.merge(read_dir(m)?);
        }
        if let Some(dir) = &self.service_account_dir {
            out.service_account = ServiceAccountIdentity::load(dir)?;
        }
        Ok(out)
    }
}

/// One secret value. `Debug` and `Display` show `<redacted>`; use [`SecretValue::expose`] to
/// get the value, at the one place it is needed.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(String);

impl SecretValue {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Clone, PartialEq, Eq, Default)]
struct Service {
    values: BTreeMap<String, SecretValue>,
    source: Option<PathBuf>,
}

/// Secrets by service and key. `Debug` and `Display` list service and key names only.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secrets {
    services: BTreeMap<String, Service>,
    service_account: Option<ServiceAccountIdentity>,
}

impl Secrets {
    /// No secrets.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value of `service.key`.
    pub fn get(&self, service: &str, key: &str) -> Option<&SecretValue> {
        self.services.get(service)?.values.get(key)
    }

    /// The value a contract's `auth.secret` points at.
    pub fn resolve(&self, secret: &SecretRef) -> Option<&SecretValue> {
        self.get(secret.service(), secret.key())
    }

    /// Sets `service.key` (for tests and fixtures).
    pub fn insert(
        &mut self,
        service: impl Into<String>,
        key: impl Into<String>,
        value: SecretValue,
    ) {
        self.services
            .entry(service.into())
            .or_default()
            .values
            .insert(key.into(), value);
    }

    /// The pod's service account, when one is mounted.
    pub fn service_account(&self) -> Option<&ServiceAccountIdentity> {
        self.service_account.as_ref()
    }

    /// Sets the service account (for tests, and `--service-account-dir`).
    pub fn set_service_account(&mut self, identity: Option<ServiceAccountIdentity>) {
        self.service_account = identity;
    }

    /// Service names, sorted.
    pub fn services(&self) -> impl Iterator<Item = &str> {
        self.services.keys().map(String::as_str)
    }

    /// A service's key names, sorted.
    pub fn keys(&self, service: &str) -> impl Iterator<Item = &str> {
        self.services
            .get(service)
            .into_iter()
            .flat_map(|s| s.values.keys().map(String::as_str))
    }

    /// The file or directory a service came from (after merging: the last one).
    pub fn source_of(&self, service: &str) -> Option<&Path> {
        self.services.get(service)?.source.as_deref()
    }

    /// True when there are no services.
    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }

    /// Puts `other` on top: each of its services replaces the same service here, whole.
    pub fn merge(&mut self, other: Secrets) {
        self.services.extend(other.services);
        if other.service_account.is_some() {
            self.service_account = other.service_account;
        }
    }

    /// Builds secrets from a JSON object `{service: {key: value}}` (the `secrets` of a
    /// fixture). Non-object services become `{value: <text>}`; non-string values their JSON.
    pub fn from_json(value: &Value) -> Result<Self, String> {
        let Value::Object(obj) = value else {
            return Err(
                "secrets must be an object of services, e.g. {\"github\": {\"token\": \"…\"}}"
                    .into(),
            );
        };
        let mut out = Secrets::default();
        for (svc, v) in obj {
            out.services.insert(svc.clone(), service_from_json(v, None));
        }
        Ok(out)
    }

    /// The values as JSON `{service: {key: value}}`, for the legacy `ctx.secrets` API. The
    /// name says what it does: the result contains every value.
    pub fn to_exposed_json(&self) -> Value {
        Value::Object(
            self.services
                .iter()
                .map(|(name, s)| {
                    let obj = s
                        .values
                        .iter()
                        .map(|(k, v)| (k.clone(), Value::String(v.0.clone())))
                        .collect();
                    (name.clone(), Value::Object(obj))
                })
                .collect(),
        )
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secrets ")?;
        f.debug_map()
            .entries(
                self.services
                    .iter()
                    .map(|(k, s)| (k, s.values.keys().collect::<Vec<_>>())),
            )
            .finish()
    }
}

impl fmt::Display for Secrets {
    /// `github.token, slack.webhook_url` (names only).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self
            .services
            .iter()
            .flat_map(|(svc, s)| s.values.keys().map(move |k| format!("{svc}.{k}")))
            .collect();
        f.write_str(&names.join(", "))
    }
}

fn service_from_json(v: &Value, source: Option<&Path>) -> Service {
    let values = match v {
        Value::Object(o) => o
            .iter()
            .map(|(k, v)| {
                let text = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), SecretValue(text))
            })
            .collect(),
        Value::String(s) => {
            BTreeMap::from([("value".to_string(), SecretValue(s.trim().to_string()))])
        }
        other => BTreeMap::from([("value".to_string(), SecretValue(other.to_string()))]),
    };
    Service {
        values,
        source: source.map(Path::to_path_buf),
    }
}

fn read_path(path: &Path) -> Result<Secrets, Error> {
    if path.is_dir() {
        read_dir(path)
    } else {
        read_yaml_file(path)
    }
}

/// A directory of one file per service.
pub fn read_dir(dir: &Path) -> Result<Secrets, Error> {
    let io = |source, action| Error::Io {
        action,
        path: dir.to_path_buf(),
        source,
    };
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| io(e, "list"))?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    let root = dir.canonicalize().map_err(|e| io(e, "resolve"))?;
    let mut out = Secrets::default();
    for name in names {
        let path = dir.join(&name);
        // Follow links (Kubernetes Secret volumes are made of them), but never out of the
        // directory: a link to /etc/passwd must not become a secret.
        let real = std::fs::canonicalize(&path).map_err(|source| Error::Io {
            action: "resolve",
            path: path.clone(),
            source,
        })?;
        if !real.starts_with(&root) {
            return Err(Error::SecretsFile {
                path: path.clone(),
                line: 0,
                column: 0,
                message: format!(
                    "is a link to {}, outside the secrets directory {}; secrets are read only from files inside it (copy the file in, or point --secrets at it explicitly)",
                    real.display(),
                    root.display()
                ),
            });
        }
        let meta = std::fs::metadata(&real).map_err(|source| Error::Io {
            action: "read",
            path: path.clone(),
            source,
        })?;
        if !meta.is_file() {
            continue;
        }
        let bytes = std::fs::read(&real).map_err(|source| Error::Io {
            action: "read",
            path: path.clone(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|_| Error::SecretsFile {
            path: path.clone(),
            line: 0,
            column: 0,
            message: "secret file is not UTF-8 text".into(),
        })?;
        let service = match serde_json::from_str::<Value>(&text) {
            Ok(v @ Value::Object(_)) => service_from_json(&v, Some(&path)),
            _ => service_from_json(&Value::String(text), Some(&path)),
        };
        out.services.insert(name, service);
    }
    Ok(out)
}

/// A YAML file mapping service → key → value.
pub fn read_yaml_file(path: &Path) -> Result<Secrets, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    })?;
    parse_yaml(&text, path)
}

fn parse_yaml(text: &str, path: &Path) -> Result<Secrets, Error> {
    let err = |line: usize, column: usize, message: String| Error::SecretsFile {
        path: path.to_path_buf(),
        line,
        column,
        message,
    };
    // Scanner messages describe the syntax, never the content, so no value can leak here.
    let docs = MarkedYaml::load_from_str(text).map_err(|e| {
        err(
            e.marker().line(),
            e.marker().col() + 1,
            format!("YAML syntax error: {}", e.info()),
        )
    })?;
    let Some(root) = docs.first() else {
        return Ok(Secrets::default());
    };
    let entries = match &root.data {
        YamlData::Mapping(m) => m,
        YamlData::Value(Scalar::Null) => return Ok(Secrets::default()),
        _ => {
            return Err(err(
                root.span.start.line(),
                root.span.start.col() + 1,
                "secrets must be a mapping of services, e.g. `github: {token: ...}`".into(),
            ));
        }
    };
    let mut out = Secrets::default();
    for (k, v) in entries {
        let YamlData::Value(Scalar::String(service)) = &k.data else {
            return Err(err(
                k.span.start.line(),
                k.span.start.col() + 1,
                "service names must be strings".into(),
            ));
        };
        let json = to_json(v);
        out.services
            .insert(service.to_string(), service_from_json(&json, Some(path)));
    }
    Ok(out)
}

fn to_json(node: &MarkedYaml<'_>) -> Value {
    match &node.data {
        YamlData::Value(s) => match s {
            Scalar::Null => Value::String(String::new()),
            Scalar::Boolean(b) => Value::String(b.to_string()),
            Scalar::Integer(i) => Value::String(i.to_string()),
            Scalar::FloatingPoint(f) => Value::String(f.to_string()),
            Scalar::String(s) => Value::String(s.to_string()),
        },
        YamlData::Representation(s, _, _) => Value::String(s.to_string()),
        YamlData::Sequence(items) => Value::Array(items.iter().map(to_json).collect()),
        YamlData::Mapping(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let key = match &k.data {
                        YamlData::Value(Scalar::String(s)) => s.to_string(),
                        YamlData::Value(other) => format!("{other:?}"),
                        _ => String::new(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        YamlData::Tagged(_, inner) => to_json(inner),
        _ => Value::Null,
    }
}

/// The services a node's source reads through the legacy `ctx.secrets` API
/// (`ctx.secrets.github`, `ctx.secrets?.github`, `ctx.secrets["github"]`), sorted.
pub fn legacy_references(source: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = source;
    while let Some(i) = rest.find("ctx.secrets") {
        rest = &rest[i + "ctx.secrets".len()..];
        let after = rest.trim_start_matches("?.").trim_start_matches('.');
        let name: String = if let Some(q) = after.strip_prefix('[') {
            let q = q.trim_start();
            let quote = q.chars().next().unwrap_or(' ');
            if matches!(quote, '"' | '\'' | '`') {
                q[1..].chars().take_while(|c| *c != quote).collect()
            } else {
                String::new()
            }
        } else if after.len() < rest.len() {
            after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '$')
                .collect()
        } else {
            String::new()
        };
        if !name.is_empty() {
            out.insert(name);
        }
    }
    out
}

#[cfg(test)]
mod tests;
