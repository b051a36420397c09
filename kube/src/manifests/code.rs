//! The code ConfigMap: every workflow file under a flattened key, and the volume items that
//! put each one back at its path under `/app/workflow`.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, KeyToPath};
use sha2::{Digest, Sha256};

use super::{
    ANNOTATION_DEPLOYED_AT, ANNOTATION_DEPLOYED_BY, ANNOTATION_FILES, ANNOTATION_GIT_SHA,
    ANNOTATION_IMAGE, ANNOTATION_SOURCE, DeployInput, LABEL_PART, PART_CODE, code_name, meta,
};
use crate::error::{Error, Result};

/// Most bytes (keys + values) the code ConfigMap may hold: 900 KiB, leaving room under the
/// 1 MiB object limit for metadata and managed fields.
pub const CODE_SIZE_LIMIT: usize = 900 * 1024;

/// The ConfigMap key of a workflow-relative path: `/` becomes `__` (keys cannot hold `/`).
pub fn flatten_key(path: &str) -> String {
    path.replace('/', "__")
}

/// ConfigMap key charset: `[-._a-zA-Z0-9]+`, at most 253 characters, not `.` or `..`.
pub(crate) fn is_valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 253
        && key != "."
        && key != ".."
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn check_path(path: &str) -> Result<()> {
    let bad = |reason: &str| Error::InvalidFileKey {
        path: path.to_string(),
        reason: reason.to_string(),
    };
    if path.starts_with('/') || path.contains('\\') {
        return Err(bad("the path must be relative and use '/' separators"));
    }
    if path
        .split('/')
        .any(|seg| seg.is_empty() || seg == "." || seg == "..")
    {
        return Err(bad("empty, '.' and '..' path segments are not allowed"));
    }
    let key = flatten_key(path);
    if key.len() > 253 {
        return Err(bad("the flattened key is longer than 253 characters"));
    }
    if !is_valid_key(&key) {
        return Err(bad(
            "only letters, digits, '.', '-', '_' and '/' are allowed",
        ));
    }
    Ok(())
}

/// The ConfigMap and the SHA-256 (hex) of its content.
pub(super) fn config_map(input: &DeployInput) -> Result<(ConfigMap, String)> {
    if !input.files.contains_key("workflow.yaml") {
        return Err(Error::InvalidInput {
            field: "files".into(),
            message: "workflow.yaml is missing from the workflow files".into(),
        });
    }
    let mut data = BTreeMap::new();
    let mut total = 0;
    for (path, content) in &input.files {
        check_path(path)?;
        let key = flatten_key(path);
        if let Some(other) = input
            .files
            .keys()
            .find(|o| *o != path && flatten_key(o) == key)
        {
            return Err(Error::InvalidFileKey {
                path: path.clone(),
                reason: format!("its ConfigMap key {key:?} is also the key of {other:?}"),
            });
        }
        total += key.len() + content.len();
        data.insert(key, content.clone());
    }
    if total > CODE_SIZE_LIMIT {
        let mut sizes: Vec<(String, usize)> = input
            .files
            .iter()
            .map(|(p, c)| (p.clone(), c.len()))
            .collect();
        sizes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        sizes.truncate(5);
        return Err(Error::CodeTooLarge {
            total,
            limit: CODE_SIZE_LIMIT,
            biggest: sizes,
        });
    }
    let mut hash = Sha256::new();
    for (k, v) in &data {
        hash.update((k.len() as u64).to_be_bytes());
        hash.update(k.as_bytes());
        hash.update((v.len() as u64).to_be_bytes());
        hash.update(v.as_bytes());
    }
    let hash = hex::encode(hash.finalize());
    let mut metadata = meta(input, code_name(&input.name, &hash));
    metadata
        .labels
        .get_or_insert_with(Default::default)
        .insert(LABEL_PART.into(), PART_CODE.into());
    metadata.annotations = Some(annotations(input));
    let cm = ConfigMap {
        metadata,
        data: Some(data),
        immutable: Some(true),
        ..ConfigMap::default()
    };
    Ok((cm, hash))
}

/// The code ConfigMap's annotations: its provenance, the image, and the file paths.
fn annotations(input: &DeployInput) -> BTreeMap<String, String> {
    let p = &input.provenance;
    let mut out = BTreeMap::new();
    for (key, value) in [
        (ANNOTATION_DEPLOYED_AT, &p.deployed_at),
        (ANNOTATION_DEPLOYED_BY, &p.deployed_by),
        (ANNOTATION_GIT_SHA, &p.git_sha),
        (ANNOTATION_SOURCE, &p.source),
    ] {
        if let Some(v) = value {
            out.insert(key.to_string(), v.clone());
        }
    }
    out.insert(ANNOTATION_IMAGE.into(), input.image.clone());
    let paths: Vec<&String> = input.files.keys().collect();
    out.insert(
        ANNOTATION_FILES.into(),
        serde_json::to_string(&paths).expect("a list of strings serializes"),
    );
    out
}

/// Volume items mapping every key back to its workflow-relative path (helpers included).
pub(super) fn items(input: &DeployInput) -> Vec<KeyToPath> {
    input
        .files
        .keys()
        .map(|path| KeyToPath {
            key: flatten_key(path),
            path: path.clone(),
            mode: None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(files: &[(&str, &str)]) -> DeployInput {
        let mut i = DeployInput::new("wf", "1.0", "ns", "img:1");
        i.files = files
            .iter()
            .map(|(p, c)| (p.to_string(), c.to_string()))
            .collect();
        i
    }

    #[test]
    fn flattens_and_maps_back_every_file() {
        let i = input(&[
            ("workflow.yaml", "x"),
            ("nodes/a.ts", "a"),
            ("nodes/lib/util.ts", "u"),
        ]);
        let (cm, _) = config_map(&i).unwrap();
        let keys: Vec<_> = cm.data.unwrap().into_keys().collect();
        assert_eq!(
            keys,
            ["nodes__a.ts", "nodes__lib__util.ts", "workflow.yaml"]
        );
        let items = items(&i);
        assert_eq!(items[1].key, "nodes__lib__util.ts");
        assert_eq!(items[1].path, "nodes/lib/util.ts");
    }

    #[test]
    fn rejects_bad_paths() {
        for p in ["../x.ts", "/abs.ts", "nodes//a.ts", "a b.ts", "é.ts"] {
            let err = config_map(&input(&[("workflow.yaml", ""), (p, "")])).unwrap_err();
            assert!(matches!(err, Error::InvalidFileKey { .. }), "{p}: {err}");
        }
    }

    #[test]
    fn rejects_colliding_keys() {
        let err = config_map(&input(&[
            ("workflow.yaml", ""),
            ("a/b.ts", ""),
            ("a__b.ts", ""),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("also the key of"), "{err}");
    }

    #[test]
    fn requires_workflow_yaml() {
        let err = config_map(&input(&[("nodes/a.ts", "")])).unwrap_err();
        assert!(
            err.to_string().contains("workflow.yaml is missing"),
            "{err}"
        );
    }

    #[test]
    fn size_limit_names_the_biggest_files() {
        let big = "x".repeat(600 * 1024);
        let mid = "y".repeat(400 * 1024);
        let err = config_map(&input(&[
            ("workflow.yaml", "w"),
            ("data/big.json", &big),
            ("nodes/mid.ts", &mid),
        ]))
        .unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, Error::CodeTooLarge { .. }));
        assert!(
            msg.contains("data/big.json (614400 bytes), nodes/mid.ts (409600 bytes)"),
            "{msg}"
        );
        assert!(msg.contains("921600-byte limit"), "{msg}");
    }

    #[test]
    fn hash_changes_with_content() {
        let (_, a) = config_map(&input(&[("workflow.yaml", "a")])).unwrap();
        let (_, b) = config_map(&input(&[("workflow.yaml", "b")])).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
    }
}
