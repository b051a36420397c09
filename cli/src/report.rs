//! Reporting a failed command: once, with its causes, without usage text.

use std::process::ExitCode;

use crate::output::{paint, style};

/// A failure the command has already shown in full (e.g. `validate`'s diagnostics, or a JSON
/// document on stdout); only the exit code is left to set.
#[derive(Debug)]
pub struct AlreadyReported;

impl std::fmt::Display for AlreadyReported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("failed")
    }
}

impl std::error::Error for AlreadyReported {}

/// The end of a command whose output already says whether it passed: `Ok`, or exit 1
/// without printing an error a second time.
pub fn verdict(passed: bool) -> anyhow::Result<()> {
    if passed {
        Ok(())
    } else {
        Err(AlreadyReported.into())
    }
}

/// `-o json` of a pass/fail report: the report's own fields plus `"passed"`.
#[derive(serde::Serialize)]
pub struct Verdict<'a, T> {
    /// Whether every check passed.
    pub passed: bool,
    /// The report.
    #[serde(flatten)]
    pub report: &'a T,
}

/// `-o json` of a pass/fail report: prints it with `"passed"`, then ends the command as
/// [`verdict`] does.
pub fn json_verdict<T: serde::Serialize>(
    out: &crate::output::Output,
    passed: bool,
    report: &T,
) -> anyhow::Result<()> {
    out.json_value(&Verdict { passed, report })?;
    verdict(passed)
}

/// What kind of failure ended a command, in `-o json` errors: `usage` exits 2, every other
/// code exits 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ErrorCode {
    /// Bad arguments (clap's errors, and arguments found wrong after parsing).
    Usage,
    /// The workflow, a node or a fixture could not be loaded.
    Load,
    /// A file or directory could not be read or written.
    Io,
    /// The cluster refused, could not be reached, or lacks something.
    Cluster,
    /// Anything else.
    Internal,
}

/// A failure as `-o json` shows it: `{"error": {code, message, hint, file, line, column}}`
/// (`hint`, `file`, `line` and `column` are `null` when unknown), plus the causes and, for a
/// workflow spec, every diagnostic.
#[derive(Debug, serde::Serialize)]
pub struct Failure {
    /// The kind of failure.
    pub code: ErrorCode,
    /// What went wrong (the first line of the text error).
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
    /// The file concerned.
    pub file: Option<String>,
    /// 1-based line in `file`.
    pub line: Option<usize>,
    /// 1-based column in `file`.
    pub column: Option<usize>,
    /// The chain of causes, outermost first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<String>,
    /// Every diagnostic of a workflow spec that did not load.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<tentacular_spec::Diagnostic>,
    /// Whether the text error shows the hint (false when the diagnostics printed already
    /// show it).
    #[serde(skip)]
    pub text_hint: bool,
}

impl Failure {
    /// A failure of `code` saying `message`, nothing else known.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        let (message, hint) = split_hint(&message.into());
        Failure {
            code,
            message,
            hint,
            file: None,
            line: None,
            column: None,
            causes: Vec::new(),
            diagnostics: Vec::new(),
            text_hint: true,
        }
    }

    /// The failure that ends a command with `e`: a [`Failure`] in its chain, else one
    /// classified by the chain's types (spec, node and fixture errors are `load`, the
    /// Kubernetes crate's are `cluster`, I/O errors `io`, the rest `internal`).
    pub fn of(e: &anyhow::Error) -> Failure {
        let causes = || -> Vec<String> { e.chain().skip(1).map(|c| c.to_string()).collect() };
        if let Some(f) = e.chain().find_map(|c| c.downcast_ref::<Failure>()) {
            return Failure {
                code: f.code,
                message: f.message.clone(),
                hint: f.hint.clone(),
                file: f.file.clone(),
                line: f.line,
                column: f.column,
                causes: f.causes.clone(),
                diagnostics: f.diagnostics.clone(),
                text_hint: f.text_hint,
            };
        }
        let mut f = Failure::new(ErrorCode::Internal, e.to_string());
        f.causes = causes();
        for c in e.chain() {
            let load = c
                .downcast_ref::<tentacular_engine::executor::LoadFailure>()
                .or_else(
                    || match c.downcast_ref::<tentacular_engine::test_runner::TestError>() {
                        Some(tentacular_engine::test_runner::TestError::Load(l)) => Some(l),
                        _ => None,
                    },
                );
            if let Some(load) = load {
                f.code = ErrorCode::Load;
                if let tentacular_engine::executor::LoadFailure::Nodes { nodes } = load
                    && let Some(first) = nodes.first()
                {
                    f.place(place_of(&first.error));
                }
                break;
            }
            if c.is::<tentacular_engine::test_runner::TestError>()
                || c.is::<tentacular_spec::fixtures::FixtureError>()
                || c.is::<tentacular_sandbox::LoadError>()
            {
                f.code = ErrorCode::Load;
                break;
            }
            if c.is::<tentacular_kube::Error>() {
                f.code = ErrorCode::Cluster;
                break;
            }
            if c.is::<std::io::Error>() {
                f.code = ErrorCode::Io;
                break;
            }
        }
        f
    }

    fn place(&mut self, (file, line, column): (Option<String>, Option<usize>, Option<usize>)) {
        self.file = file;
        self.line = line;
        self.column = column;
    }
}

type Place = (Option<String>, Option<usize>, Option<usize>);

/// Where a node's load error is, as far as it says.
fn place_of(e: &tentacular_sandbox::LoadError) -> Place {
    use tentacular_sandbox::LoadError as L;
    match e {
        L::Syntax {
            file, line, col, ..
        } => (
            Some(file.clone()),
            Some(*line as usize),
            Some(*col as usize),
        ),
        L::Read { path, .. } => (Some(path.display().to_string()), None, None),
        L::ImportOutsideWorkflow { file, line, .. } => {
            (Some(file.clone()), Some(*line as usize), None)
        }
        _ => (None, None, None),
    }
}

/// `message\n  hint: …` (the style of the Kubernetes crate's errors) → the message and the
/// hint.
fn split_hint(text: &str) -> (String, Option<String>) {
    match text.split_once("\n  hint: ") {
        Some((m, h)) => (m.to_string(), Some(h.trim().to_string())),
        None => (text.to_string(), None),
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        if let Some(h) = self.hint.as_ref().filter(|_| self.text_hint) {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Failure {}

/// `{"error": failure}` on stdout (errors writing it are ignored: there is nowhere left to
/// report them).
pub fn print_json_failure(failure: &Failure) {
    use std::io::Write;
    let doc = serde_json::json!({ "error": failure });
    let mut o = std::io::stdout().lock();
    let _ = writeln!(
        o,
        "{}",
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    );
    let _ = o.flush();
}

/// A clap error (usage, or `--help`/`--version`) as `tntc` reports it: help and version text
/// as usual; with `-o json`, a usage error becomes a JSON [`Failure`] on stdout. Exit code 2
/// for usage errors, 0 for help and version.
pub fn clap_error(e: &clap::Error, json: bool) -> ExitCode {
    let code = e.exit_code();
    if json && e.use_stderr() {
        let text = e.render().to_string();
        // The message is the first paragraph (clap continues it on indented lines).
        let (head, rest) = text.split_once("\n\n").unwrap_or((&text, ""));
        let message = head
            .lines()
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" ")
            .trim_start_matches("error: ")
            .to_string();
        let lines = rest.lines().map(str::trim).filter(|l| !l.is_empty());
        let mut f = Failure::new(ErrorCode::Usage, message);
        let rest: Vec<&str> = lines.collect();
        let tips: Vec<&str> = rest
            .iter()
            .filter_map(|l| l.strip_prefix("tip: "))
            .collect();
        let usage = rest.iter().find_map(|l| l.strip_prefix("Usage: "));
        f.hint = match (tips.is_empty(), usage) {
            (false, _) => Some(tips.join("; ")),
            (true, Some(u)) => Some(format!("usage: {u}; `--help` shows every option")),
            (true, None) => None,
        };
        print_json_failure(&f);
    } else {
        let _ = e.print();
    }
    ExitCode::from(u8::try_from(code).unwrap_or(2))
}

/// Prints `error: <message>` and one `caused by:` line per source, then gives exit code 1
/// (2 for a usage [`Failure`]). With `json`, prints the [`Failure`] on stdout instead
/// (nothing when the command has already printed its own report).
/// A closed stdout (`tntc validate -o json | head -c1`) is not an error: exit 0 quietly.
pub fn error(e: &anyhow::Error, json: bool) -> ExitCode {
    let broken_pipe = e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    });
    if broken_pipe {
        return ExitCode::SUCCESS;
    }
    let failure = Failure::of(e);
    let exit = if failure.code == ErrorCode::Usage {
        ExitCode::from(2)
    } else {
        ExitCode::FAILURE
    };
    if e.downcast_ref::<AlreadyReported>().is_some() {
        return exit;
    }
    if json {
        print_json_failure(&failure);
        return exit;
    }
    let mut text = format!("{} {e}", paint(style::ERROR, "error:"));
    for cause in e.chain().skip(1) {
        text.push_str(&format!("\n  {} {cause}", paint(style::DIM, "caused by:")));
    }
    use std::io::Write;
    let _ = writeln!(anstream::stderr().lock(), "{text}");
    exit
}
