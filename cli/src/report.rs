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

/// Prints `error: <message>` and one `caused by:` line per source, then gives exit code 1.
/// A closed stdout (`tntc validate -o json | head -c1`) is not an error: exit 0 quietly.
pub fn error(e: &anyhow::Error) -> ExitCode {
    let broken_pipe = e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    });
    if broken_pipe {
        return ExitCode::SUCCESS;
    }
    if e.downcast_ref::<AlreadyReported>().is_none() {
        let mut text = format!("{} {e}", paint(style::ERROR, "error:"));
        for cause in e.chain().skip(1) {
            text.push_str(&format!("\n  {} {cause}", paint(style::DIM, "caused by:")));
        }
        use std::io::Write;
        let _ = writeln!(anstream::stderr().lock(), "{text}");
    }
    ExitCode::FAILURE
}
