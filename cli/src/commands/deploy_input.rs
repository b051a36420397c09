//! The kube crate's [`DeployInput`] for a workflow directory: what `deploy`, `audit` and
//! `cluster check` compare against or apply. The workflow's triggers and contract go in as the
//! kube crate reads them; what is gathered here is what only the CLI knows: the files on disk,
//! the local secrets and the resolved config.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use tentacular_engine::secrets::SecretsSource;
use tentacular_kube::config::Resolved;
use tentacular_kube::manifests::DeployInput;
use tentacular_spec::{LoadedWorkflow, derived};

/// Builds the kube crate's input from the workflow, its contract, its local secrets and the
/// resolved config. Also returns notes for the user (rules that could not be expressed).
pub fn deploy_input(
    loaded: &LoadedWorkflow,
    resolved: &Resolved,
) -> anyhow::Result<(DeployInput, Vec<String>)> {
    let wf = &loaded.workflow;
    let mut input = DeployInput::new(
        wf.name.as_str(),
        wf.version.as_str(),
        &resolved.namespace,
        &resolved.image,
    );
    input.runtime_class = resolved.runtime_class.clone();
    input.files = workflow_files(&loaded.dir, &loaded.source)?;
    input.add_triggers(wf);
    input.add_deployment(wf);
    let notes = input.add_contract(&derived::derive(wf));
    let secrets = SecretsSource::for_workflow(&loaded.dir)
        .with_mount_dir(None)
        .load()
        .with_context(|| format!("reading the local secrets of {}", loaded.dir.display()))?;
    if !secrets.is_empty()
        && let serde_json::Value::Object(map) = secrets.to_exposed_json()
    {
        input.secrets = Some(map.into_iter().collect::<BTreeMap<_, _>>());
    }
    Ok((input, notes))
}

/// `workflow.yaml` (as loaded), `deno.lock` when there is one (Deno-mode nodes run against
/// it with `--frozen` in the pod too), and every file under `nodes/`, keyed by `/`-separated
/// workflow-relative path.
fn workflow_files(dir: &Path, source: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let mut files = BTreeMap::from([("workflow.yaml".to_string(), source.to_string())]);
    let lock = dir.join("deno.lock");
    if lock.is_file() {
        let text = std::fs::read_to_string(&lock)
            .with_context(|| format!("reading {}", lock.display()))?;
        files.insert("deno.lock".into(), text);
    }
    let nodes = dir.join("nodes");
    if nodes.is_dir() {
        collect(&nodes, "nodes", &mut files)?;
    }
    Ok(files)
}

fn collect(dir: &Path, prefix: &str, files: &mut BTreeMap<String, String>) -> anyhow::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        let key = format!("{prefix}/{name}");
        if path.is_dir() {
            collect(&path, &key, files)?;
        } else {
            let text = std::fs::read_to_string(&path).with_context(|| {
                format!(
                    "reading {} (workflow files are shipped as text in a ConfigMap)",
                    path.display()
                )
            })?;
            files.insert(key, text);
        }
    }
    Ok(())
}
