//! Loading and parsing a workflow: [`Workflow::load`] (a directory or a spec file) and
//! [`Workflow::parse`] (text), every problem at once as [`SpecErrors`].

use std::path::{Path, PathBuf};

use crate::diagnostic::{self, Diagnostic, Severity, SpecErrors};
use crate::ids::NodeId;
use crate::model::Workflow;
use crate::parse;
use crate::yaml::Reader;

/// A workflow parsed from text, with its warnings.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The workflow.
    pub workflow: Workflow,
    /// Things that look wrong but do not stop the workflow from running.
    pub warnings: Vec<Diagnostic>,
}

/// A workflow loaded from disk: the spec, where it lives, and its warnings.
#[derive(Debug, Clone)]
pub struct LoadedWorkflow {
    /// The workflow.
    pub workflow: Workflow,
    /// The workflow directory (node paths are relative to it), as the caller named it.
    pub dir: PathBuf,
    /// The spec file, as the caller named it (e.g. `my-wf/workflow.yaml`).
    pub file: PathBuf,
    /// The text of the spec file.
    pub source: String,
    /// Things that look wrong but do not stop the workflow from running.
    pub warnings: Vec<Diagnostic>,
}

impl LoadedWorkflow {
    /// The file of a node (`dir` joined with its `path`); `None` for an unknown node.
    pub fn node_file(&self, node: &NodeId) -> Option<PathBuf> {
        self.workflow
            .nodes
            .get(node)
            .map(|n| self.dir.join(&n.path))
    }
}

impl Workflow {
    /// The spec's file name inside a workflow directory.
    pub const FILE_NAME: &'static str = "workflow.yaml";

    /// Loads a workflow from a directory holding `workflow.yaml`, or from a `.yaml`/`.yml`
    /// file directly.
    ///
    /// Checks everything [`Workflow::parse`] checks, and also that every node's file exists
    /// inside the workflow directory (symlinks followed) and that nodes importing
    /// npm:/jsr:/remote modules can run (see [`crate::Runtime`]).
    pub fn load(path: impl AsRef<Path>) -> Result<LoadedWorkflow, SpecErrors> {
        let path = path.as_ref();
        let (dir, file) = locate(path)?;
        let source = match std::fs::read(&file) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(s) => s,
                Err(_) => {
                    return Err(file_error(
                        &file,
                        "read-error",
                        "is not UTF-8 text".into(),
                        None,
                    ));
                }
            },
            Err(e) => {
                return Err(file_error(
                    &file,
                    "read-error",
                    format!("cannot be read: {e}"),
                    None,
                ));
            }
        };
        let parsed = parse_with(&source, file.clone(), Some(&dir))?;
        Ok(LoadedWorkflow {
            workflow: parsed.workflow,
            dir,
            file,
            source,
            warnings: parsed.warnings,
        })
    }

    /// Parses and validates the text of a spec without touching the file system (node files
    /// are not checked). `file` is only used in diagnostics.
    pub fn parse(source: &str, file: impl Into<PathBuf>) -> Result<Parsed, SpecErrors> {
        parse_with(source, file.into(), None)
    }
}

fn parse_with(source: &str, file: PathBuf, dir: Option<&Path>) -> Result<Parsed, SpecErrors> {
    let mut r = Reader::new(file.clone(), source);
    r.base_dir = dir.map(Path::to_path_buf);
    let workflow = parse::parse(&mut r, source);
    let (mut errors, mut warnings): (Vec<_>, Vec<_>) =
        r.diags.into_iter().partition(Diagnostic::is_error);
    diagnostic::sort(&mut errors);
    diagnostic::sort(&mut warnings);
    match workflow {
        Some(workflow) if errors.is_empty() => Ok(Parsed { workflow, warnings }),
        _ => {
            if errors.is_empty() {
                // Defensive: a rejected spec always says why.
                errors.push(whole_file(
                    &file,
                    "invalid",
                    "the workflow spec is invalid".into(),
                    None,
                ));
            }
            Err(SpecErrors {
                file,
                errors,
                warnings,
            })
        }
    }
}

/// Finds the spec file for a directory or file argument.
fn locate(path: &Path) -> Result<(PathBuf, PathBuf), SpecErrors> {
    let meta = std::fs::metadata(path).map_err(|_| {
        file_error(
            path,
            "workflow-not-found",
            "does not exist".into(),
            Some("pass a workflow directory (one holding workflow.yaml), or create one with `tntc init <name>`".into()),
        )
    })?;
    if meta.is_dir() {
        let file = path.join(Workflow::FILE_NAME);
        if file.is_file() {
            return Ok((path.to_path_buf(), file));
        }
        let hint = if path.join("workflow.yml").is_file() {
            "found workflow.yml: rename it to workflow.yaml".to_string()
        } else {
            "create one with `tntc init <name>`, or pass the directory that holds it".to_string()
        };
        return Err(file_error(
            &file,
            "workflow-not-found",
            "not found".into(),
            Some(hint),
        ));
    }
    let is_yaml = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    );
    if !is_yaml {
        return Err(file_error(
            path,
            "not-a-workflow-dir",
            "is a file, not a workflow directory".into(),
            Some("pass the directory that holds workflow.yaml".into()),
        ));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((dir, path.to_path_buf()))
}

fn whole_file(
    file: &Path,
    code: &'static str,
    message: String,
    hint: Option<String>,
) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        code,
        file: file.to_path_buf(),
        line: 0,
        column: 0,
        message,
        hint,
        node: None,
        source_line: None,
        width: 0,
    }
}

fn file_error(
    file: &Path,
    code: &'static str,
    message: String,
    hint: Option<String>,
) -> SpecErrors {
    SpecErrors {
        file: file.to_path_buf(),
        errors: vec![whole_file(file, code, message, hint)],
        warnings: Vec::new(),
    }
}
