//! `tntc init <name>`: a new workflow that passes `validate` and `test` as it stands.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use serde_json::json;
use tentacular_spec::WorkflowName;

use crate::output::{Mark, Output};

/// Creates ./<name>/ with a workflow.yaml, one node with a fixture, a .secrets.yaml.example
/// and a .gitignore.
#[derive(Debug, Args)]
pub struct Init {
    /// The workflow's name: kebab-case, e.g. `hn-digest`. Also the directory created.
    #[arg(value_parser = parse_name)]
    pub name: WorkflowName,

    /// Overwrite the scaffold's files if the directory already exists (other files are kept).
    /// By default, an existing non-empty directory is an error.
    #[arg(long)]
    pub force: bool,
}

fn parse_name(s: &str) -> Result<WorkflowName, String> {
    WorkflowName::new(s).map_err(|e| match &e.suggestion {
        Some(s) => format!("{e} (e.g. \"{s}\")"),
        None => e.to_string(),
    })
}

impl Init {
    pub fn run(self, out: &Output) -> anyhow::Result<()> {
        let dir = PathBuf::from(self.name.as_str());
        if dir.exists() && !self.force {
            let empty = dir.is_dir()
                && std::fs::read_dir(&dir)
                    .with_context(|| format!("cannot list {}", dir.display()))?
                    .next()
                    .is_none();
            if !empty {
                bail!(
                    "{} already exists; use --force to overwrite the scaffold's files in it",
                    dir.display()
                );
            }
        }
        if dir.exists() && !dir.is_dir() {
            bail!("{} exists and is not a directory", dir.display());
        }
        let files = scaffold(self.name.as_str());
        for (rel, content) in &files {
            write(&dir.join(rel), content)?;
        }
        if out.json() {
            let names: Vec<&str> = files.iter().map(|(p, _)| *p).collect();
            return out.json_value(&json!({
                "workflow": self.name,
                "dir": dir,
                "files": names,
            }));
        }
        out.out(format!(
            "{} Created workflow '{}' in ./{}/\n\nNext steps:\n  tntc validate {name}\n  tntc test {name}\n  tntc dev {name}    # then: curl -X POST localhost:8080/run",
            Mark::Ok,
            self.name,
            self.name,
            name = self.name
        ))?;
        Ok(())
    }
}

fn write(path: &Path, content: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(path, content).with_context(|| format!("cannot write {}", path.display()))
}

/// The files of a new workflow, relative to its directory.
fn scaffold(name: &str) -> Vec<(&'static str, String)> {
    vec![
        ("workflow.yaml", WORKFLOW.replace("{name}", name)),
        ("nodes/hello.ts", NODE.replace("{name}", name)),
        (
            "tests/fixtures/hello.json",
            format!(
                "{{\n  \"input\": {{}},\n  \"expected\": {{ \"message\": \"Hello from {name}!\" }}\n}}\n"
            ),
        ),
        (".secrets.yaml.example", SECRETS_EXAMPLE.to_string()),
        (".gitignore", GITIGNORE.to_string()),
    ]
}

const WORKFLOW: &str = r#"# A Tentacular workflow. Format: docs/workflow-spec.md
name: {name}
version: "1.0"
description: A starter workflow with one node that says hello.

triggers:
  - type: manual

nodes:
  hello:
    path: ./nodes/hello.ts
    description: Returns a greeting.
    # The contract dependencies this node may reach; [] means none.
    uses: []

edges: []

config:
  timeout: 30s
  retries: 0

# Everything the workflow may reach outside itself. For example:
#   dependencies:
#     github:
#       protocol: https
#       host: api.github.com
#       auth: {type: bearer-token, secret: github.token}
# and then `uses: [github]` on the nodes that call it.
contract:
  version: "1"
  dependencies: {}
"#;

const NODE: &str = r#"import type { Context } from "tentacular";

/**
 * Returns a greeting. `input` is what the run started with (the POST /run body), or the
 * output of the node's parent when it has one.
 */
export default async function run(ctx: Context, input: unknown): Promise<{ message: string }> {
  ctx.log.info("saying hello");
  return { message: "Hello from {name}!" };
}
"#;

const SECRETS_EXAMPLE: &str = r#"## Secrets for this workflow: one top-level key per service.
## `tntc secrets init` copies this file to .secrets.yaml (git-ignored) and uncomments the
## lines below; put the real values there. Nodes never see values directly: a contract
## dependency names one with auth.secret: "<service>.<key>".
##
## This workflow needs no secrets yet. When a dependency needs one, add it here as, e.g.:
##
## github:
##   token: "replace-me"
##
## commented out with a single `# `, so that `tntc secrets init` uncomments it.
"#;

const GITIGNORE: &str = ".secrets.yaml\n.secrets/\nscratch/\n";
