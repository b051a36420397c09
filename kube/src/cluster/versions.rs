//! Code versions: the immutable `<wf>-code-<hash>` ConfigMaps a deploy leaves behind, which
//! one the Deployment runs, which to keep, and the files of one (for `tntc rollback`).

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::api::ListParams;
use serde::Serialize;

use super::Cluster;
use crate::error::{Error, Result};
use crate::manifests::{
    self, ANNOTATION_DEPLOYED_AT, ANNOTATION_DEPLOYED_BY, ANNOTATION_FILES, ANNOTATION_GIT_SHA,
    ANNOTATION_IMAGE, ANNOTATION_SOURCE, LABEL_VERSION, flatten_key,
};

/// One code version of a deployed workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeVersion {
    /// The version's id: the hash suffix of its ConfigMap's name (what `--to` takes).
    pub id: String,
    /// The ConfigMap, `<wf>-code-<id>`.
    pub config_map: String,
    /// `workflow.yaml`'s `version` at that deploy.
    pub workflow_version: Option<String>,
    /// When this code was first deployed (RFC 3339), else when the ConfigMap was created.
    pub deployed_at: Option<String>,
    /// Who deployed it.
    pub deployed_by: Option<String>,
    /// The commit of the workflow directory.
    pub git_sha: Option<String>,
    /// The directory it was deployed from.
    pub source: Option<String>,
    /// The engine image it ran with.
    pub image: Option<String>,
    /// Whether the Deployment runs this version now.
    pub current: bool,
}

impl CodeVersion {
    fn from_config_map(wf: &str, cm: &ConfigMap, current: Option<&str>) -> Option<CodeVersion> {
        let name = cm.metadata.name.clone()?;
        let id = name.strip_prefix(&format!("{wf}-code-"))?.to_string();
        let annotation = |key: &str| {
            cm.metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(key))
                .cloned()
        };
        let created = cm
            .metadata
            .creation_timestamp
            .as_ref()
            .map(|t| t.0.to_string());
        Some(CodeVersion {
            id,
            current: current == Some(name.as_str()),
            config_map: name,
            workflow_version: cm
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(LABEL_VERSION))
                .cloned(),
            deployed_at: annotation(ANNOTATION_DEPLOYED_AT).or(created),
            deployed_by: annotation(ANNOTATION_DEPLOYED_BY),
            git_sha: annotation(ANNOTATION_GIT_SHA),
            source: annotation(ANNOTATION_SOURCE),
            image: annotation(ANNOTATION_IMAGE),
        })
    }
}

/// The names of the versions to keep: the current one, then the newest others, `keep` in
/// all (at least the current one). `versions` is newest first.
pub fn to_keep(versions: &[CodeVersion], keep: usize) -> Vec<String> {
    let mut out: Vec<String> = versions
        .iter()
        .filter(|v| v.current)
        .map(|v| v.config_map.clone())
        .collect();
    for v in versions.iter().filter(|v| !v.current) {
        if out.len() >= keep.max(1) {
            break;
        }
        out.push(v.config_map.clone());
    }
    out
}

impl Cluster {
    /// Every code version of `wf` in `namespace`, newest deploy first.
    pub async fn versions(&self, namespace: &str, wf: &str) -> Result<Vec<CodeVersion>> {
        let current = self.current_code(namespace, wf).await?;
        let api: Api<ConfigMap> = Api::namespaced(self.client.clone(), namespace);
        let list = api
            .list_metadata(&ListParams::default().labels(&manifests::code_selector(wf)))
            .await
            .map_err(|e| self.err("list", "configmaps", Some(namespace), e))?;
        let mut out: Vec<CodeVersion> = list
            .items
            .iter()
            .filter_map(|m| {
                let cm = ConfigMap {
                    metadata: m.metadata.clone(),
                    ..ConfigMap::default()
                };
                CodeVersion::from_config_map(wf, &cm, current.as_deref())
            })
            .collect();
        out.sort_by(|a, b| {
            b.deployed_at
                .cmp(&a.deployed_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(out)
    }

    /// The code ConfigMap the Deployment `wf` mounts now, if it exists.
    pub async fn current_code(&self, namespace: &str, wf: &str) -> Result<Option<String>> {
        let api: Api<Deployment> = Api::namespaced(self.client.clone(), namespace);
        let deployment = api
            .get_opt(wf)
            .await
            .map_err(|e| self.err("get", "deployments.apps", Some(namespace), e))?;
        Ok(deployment
            .and_then(|d| d.spec)
            .and_then(|s| s.template.spec)
            .and_then(|p| p.volumes)
            .into_iter()
            .flatten()
            .find(|v| v.name == "code")
            .and_then(|v| v.config_map)
            .map(|c| c.name))
    }

    /// The files of one version (workflow-relative path → content) and its description.
    pub async fn version_files(
        &self,
        namespace: &str,
        wf: &str,
        id: &str,
    ) -> Result<(CodeVersion, BTreeMap<String, String>)> {
        let current = self.current_code(namespace, wf).await?;
        let api: Api<ConfigMap> = Api::namespaced(self.client.clone(), namespace);
        let name = manifests::code_name(wf, id);
        let cm = api
            .get_opt(&name)
            .await
            .map_err(|e| self.err("get", "configmaps", Some(namespace), e))?
            .ok_or_else(|| Error::InvalidInput {
                field: "version".into(),
                message: format!(
                    "{wf} has no code version {id:?} in namespace {namespace} (`tntc versions {wf}` lists them)"
                ),
            })?;
        let version = CodeVersion::from_config_map(wf, &cm, current.as_deref())
            .expect("named after the workflow");
        let paths: Vec<String> = cm
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(ANNOTATION_FILES))
            .and_then(|p| serde_json::from_str(p).ok())
            .ok_or_else(|| Error::InvalidInput {
                field: "version".into(),
                message: format!(
                    "ConfigMap {name} has no {ANNOTATION_FILES} annotation, so its files cannot be rebuilt (was it written by tntc?)"
                ),
            })?;
        let data = cm.data.unwrap_or_default();
        let mut files = BTreeMap::new();
        for path in paths {
            let key = flatten_key(&path);
            let content = data.get(&key).ok_or_else(|| Error::InvalidInput {
                field: "version".into(),
                message: format!("ConfigMap {name} lists {path} but holds no key {key}"),
            })?;
            files.insert(path, content.clone());
        }
        Ok((version, files))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(name: &str, current: bool) -> CodeVersion {
        CodeVersion {
            id: name.into(),
            config_map: name.into(),
            workflow_version: None,
            deployed_at: None,
            deployed_by: None,
            git_sha: None,
            source: None,
            image: None,
            current,
        }
    }

    #[test]
    fn the_current_version_is_always_kept_then_the_newest() {
        let all = [v("e", false), v("d", false), v("c", true), v("b", false)];
        assert_eq!(to_keep(&all, 2), ["c", "e"]);
        assert_eq!(to_keep(&all, 1), ["c"]);
        assert_eq!(to_keep(&all, 0), ["c"]);
        assert_eq!(to_keep(&all, 9), ["c", "e", "d", "b"]);
        let none_current = [v("b", false), v("a", false)];
        assert_eq!(to_keep(&none_current, 1), ["b"]);
    }
}
