//! The runtime settings an image carries (user, entrypoint, environment, ports, labels) and
//! how they are laid over a base image's config.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

/// What the built image's config sets on top of its base's. `None` and empty fields leave
/// the base's value alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageSettings {
    /// `User`, e.g. `65534:65534`.
    pub user: Option<String>,
    /// `Entrypoint` (replaces the base's).
    pub entrypoint: Option<Vec<String>>,
    /// `Cmd` (replaces the base's).
    pub cmd: Option<Vec<String>>,
    /// Environment variables set or replaced; the base's others are kept, in their order.
    pub env: BTreeMap<String, String>,
    /// `WorkingDir`.
    pub working_dir: Option<String>,
    /// `ExposedPorts` added, e.g. `8080/tcp`.
    pub exposed_ports: Vec<String>,
    /// `Labels` set or replaced.
    pub labels: BTreeMap<String, String>,
}

impl ImageSettings {
    /// Applies the settings to the `config` object of an image config.
    pub(crate) fn apply(&self, image_config: &mut Map<String, Value>) {
        let c = image_config.entry("config").or_insert_with(|| json!({}));
        if !c.is_object() {
            *c = json!({});
        }
        let c = c.as_object_mut().expect("made an object above");
        if let Some(u) = &self.user {
            c.insert("User".into(), json!(u));
        }
        if let Some(e) = &self.entrypoint {
            c.insert("Entrypoint".into(), json!(e));
        }
        if let Some(cmd) = &self.cmd {
            c.insert("Cmd".into(), json!(cmd));
        }
        if let Some(w) = &self.working_dir {
            c.insert("WorkingDir".into(), json!(w));
        }
        if !self.env.is_empty() {
            let base: Vec<String> = c
                .get("Env")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            c.insert("Env".into(), json!(merge_env(&base, &self.env)));
        }
        if !self.exposed_ports.is_empty() {
            let ports = object_field(c, "ExposedPorts");
            for p in &self.exposed_ports {
                ports.insert(p.clone(), json!({}));
            }
        }
        if !self.labels.is_empty() {
            let labels = object_field(c, "Labels");
            for (k, v) in &self.labels {
                labels.insert(k.clone(), json!(v));
            }
        }
    }
}

fn object_field<'a>(c: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let v = c.entry(key).or_insert_with(|| json!({}));
    if !v.is_object() {
        *v = json!({});
    }
    v.as_object_mut().expect("made an object above")
}

/// The base's `KEY=value` list with `set` applied: replaced in place, new ones appended in
/// key order.
fn merge_env(base: &[String], set: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut done = std::collections::BTreeSet::new();
    for entry in base {
        let key = entry.split_once('=').map_or(entry.as_str(), |(k, _)| k);
        match set.get(key) {
            Some(v) => {
                if done.insert(key.to_string()) {
                    out.push(format!("{key}={v}"));
                }
            }
            None => out.push(entry.clone()),
        }
    }
    for (k, v) in set {
        if !done.contains(k) {
            out.push(format!("{k}={v}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_replace_merge_and_keep_the_base() {
        let mut cfg: Map<String, Value> = serde_json::from_str(
            r#"{"config":{"Env":["PATH=/usr/bin","SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"],
                 "User":"0","Entrypoint":["/bin/sh"],"Labels":{"base":"yes"},"ExposedPorts":{"22/tcp":{}}}}"#,
        )
        .unwrap();
        let s = ImageSettings {
            user: Some("65534:65534".into()),
            entrypoint: Some(vec!["/usr/local/bin/tentacular-engine".into()]),
            cmd: Some(vec!["--port".into(), "8080".into()]),
            env: [
                ("PATH".to_string(), "/usr/local/bin:/usr/bin".to_string()),
                ("A".into(), "1".into()),
            ]
            .into(),
            working_dir: Some("/app".into()),
            exposed_ports: vec!["8080/tcp".into()],
            labels: [("v".to_string(), "1".to_string())].into(),
        };
        s.apply(&mut cfg);
        let c = &cfg["config"];
        assert_eq!(c["User"], "65534:65534");
        assert_eq!(
            c["Env"],
            json!([
                "PATH=/usr/local/bin:/usr/bin",
                "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
                "A=1"
            ])
        );
        assert_eq!(c["Entrypoint"], json!(["/usr/local/bin/tentacular-engine"]));
        assert_eq!(c["Labels"], json!({"base": "yes", "v": "1"}));
        assert_eq!(c["ExposedPorts"], json!({"22/tcp": {}, "8080/tcp": {}}));
        assert_eq!(c["WorkingDir"], "/app");
    }

    #[test]
    fn a_base_without_config_gets_one() {
        let mut cfg = Map::new();
        ImageSettings {
            user: Some("1".into()),
            ..Default::default()
        }
        .apply(&mut cfg);
        assert_eq!(cfg["config"], json!({"User": "1"}));
    }
}
