//! Problems found in a workflow spec: each with file, line, column, a message and a hint.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

use crate::ids::NodeId;

/// How serious a [`Diagnostic`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The spec is rejected.
    Error,
    /// The spec is accepted, but something looks wrong or was defaulted.
    Warning,
}

/// One problem in a spec, located in its file.
///
/// `Display` renders it for people, with the source line and a caret:
///
/// ```text
/// workflow.yaml:2:10: version "1.0.0" must be MAJOR.MINOR, e.g. "1.0"
///   |
/// 2 | version: "1.0.0"
///   |          ^^^^^^^
///   = hint: ...
/// ```
///
/// [`Diagnostic::headline`] gives just the first line; serde gives a stable JSON object
/// (`severity`, `code`, `file`, `line`, `column`, `message`, `hint`, `node`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A stable kebab-case identifier of the kind of problem, e.g. `version-format`.
    pub code: &'static str,
    /// The file, as the user named it.
    pub file: PathBuf,
    /// 1-based line; 0 when the problem concerns the whole file.
    pub line: usize,
    /// 1-based column; 0 when the problem concerns the whole file.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The node concerned, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<NodeId>,
    /// The text of the source line, for the caret display.
    #[serde(skip)]
    pub source_line: Option<String>,
    /// How many characters the caret underlines (at least 1).
    #[serde(skip)]
    pub width: usize,
}

impl Diagnostic {
    /// `file:line:col: message` (with `warning: ` before the message for warnings).
    pub fn headline(&self) -> String {
        let mut s = self.file.display().to_string();
        if self.line > 0 {
            s.push_str(&format!(":{}:{}", self.line, self.column));
        }
        s.push_str(": ");
        if self.severity == Severity::Warning {
            s.push_str("warning: ");
        }
        s.push_str(&self.message);
        s
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.headline())?;
        let gutter = self.line.to_string().len();
        let pad = " ".repeat(gutter);
        if let Some(src) = self.source_line.as_deref().filter(|_| self.line > 0) {
            let col = self.column.max(1);
            // Tabs would misplace the caret: show them as single spaces.
            let src = src.replace('\t', " ");
            write!(f, "\n{pad} |\n{} | {src}\n{pad} | ", self.line)?;
            write!(
                f,
                "{}{}",
                " ".repeat(col - 1),
                "^".repeat(self.width.max(1))
            )?;
        }
        if let Some(hint) = &self.hint {
            if self.source_line.is_some() && self.line > 0 {
                write!(f, "\n{pad} = hint: {hint}")?;
            } else {
                write!(f, "\n  hint: {hint}")?;
            }
        }
        Ok(())
    }
}

/// Why a workflow spec was rejected: every error found, plus the warnings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpecErrors {
    /// The spec file, as the user named it.
    pub file: PathBuf,
    /// The errors, in file order (at least one).
    pub errors: Vec<Diagnostic>,
    /// The warnings, in file order.
    pub warnings: Vec<Diagnostic>,
}

impl fmt::Display for SpecErrors {
    /// Every error, then every warning, each as [`Diagnostic`] renders it, separated by blank
    /// lines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.errors.iter().chain(&self.warnings).enumerate() {
            if i > 0 {
                f.write_str("\n\n")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecErrors {}

/// `1 error`, `2 errors`: a count and a noun made plural with `s` when it is not one.
pub fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// Sorts diagnostics into file order (line, then column), keeping the order found otherwise.
pub(crate) fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by_key(|d| (d.line, d.column));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diag(hint: Option<&str>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code: "version-format",
            file: "workflow.yaml".into(),
            line: 2,
            column: 10,
            message: "version \"1.0.0\" must be MAJOR.MINOR, e.g. \"1.0\"".into(),
            hint: hint.map(str::to_string),
            node: None,
            source_line: Some("version: \"1.0.0\"".into()),
            width: 7,
        }
    }

    #[test]
    fn renders_caret_under_value() {
        let shown = diag(Some("write \"1.0\"")).to_string();
        assert_eq!(
            shown,
            "workflow.yaml:2:10: version \"1.0.0\" must be MAJOR.MINOR, e.g. \"1.0\"\n  |\n2 | version: \"1.0.0\"\n  |          ^^^^^^^\n  = hint: write \"1.0\""
        );
    }

    #[test]
    fn json_shape_is_stable() {
        let v = serde_json::to_value(diag(None)).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "severity": "error", "code": "version-format", "file": "workflow.yaml",
                "line": 2, "column": 10,
                "message": "version \"1.0.0\" must be MAJOR.MINOR, e.g. \"1.0\""
            })
        );
    }
}
