//! Writing results: text or JSON on stdout, diagnostics on stderr, colour only where wanted.
//!
//! All output goes through `anstream`, which drops the colour codes when the stream is not a
//! terminal or `NO_COLOR` is set. Writes return errors (a closed pipe included) instead of
//! panicking like `println!`; `report` turns a broken pipe into a quiet exit.

use std::io::Write;

use anstyle::{AnsiColor, Style};
use clap::ValueEnum;
use serde::Serialize;
use tentacular_kube::cluster::CheckStatus;

/// `-o text|json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// Styles used in text output.
pub mod style {
    use super::*;

    /// Success marks.
    pub const OK: Style = AnsiColor::Green.on_default().bold();
    /// Errors.
    pub const ERROR: Style = AnsiColor::Red.on_default().bold();
    /// Warnings.
    pub const WARN: Style = AnsiColor::Yellow.on_default().bold();
    /// Headings.
    pub const HEAD: Style = Style::new().bold();
    /// Less important text.
    pub const DIM: Style = Style::new().dimmed();
}

/// Where a command writes.
#[derive(Debug)]
pub struct Output {
    /// The chosen format.
    pub format: Format,
}

impl Output {
    pub fn new(format: Format) -> Self {
        Self { format }
    }

    /// True for `-o json`.
    pub fn json(&self) -> bool {
        self.format == Format::Json
    }

    /// Writes text to stdout.
    pub fn out(&self, text: impl std::fmt::Display) -> std::io::Result<()> {
        let mut o = anstream::stdout().lock();
        writeln!(o, "{text}")?;
        o.flush()
    }

    /// Writes text to stderr.
    pub fn err(&self, text: impl std::fmt::Display) -> std::io::Result<()> {
        let mut e = anstream::stderr().lock();
        writeln!(e, "{text}")
    }

    /// Writes a value as pretty JSON to stdout.
    pub fn json_value(&self, value: &impl Serialize) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(value)?;
        self.out(text)?;
        Ok(())
    }
}

/// `text` in `style`.
pub fn paint(style: Style, text: impl std::fmt::Display) -> String {
    format!("{style}{text}{style:#}")
}

/// An outcome mark, coloured: `✓` done or passed, `⚠` a warning, `✗` failed. Every mark tntc
/// prints is one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// `✓`, green.
    Ok,
    /// `⚠`, yellow.
    Warn,
    /// `✗`, red.
    Fail,
}

impl std::fmt::Display for Mark {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (s, text) = match self {
            Mark::Ok => (style::OK, "✓"),
            Mark::Warn => (style::WARN, "⚠"),
            Mark::Fail => (style::ERROR, "✗"),
        };
        f.write_str(&paint(s, text))
    }
}

impl From<CheckStatus> for Mark {
    /// A check's outcome.
    fn from(status: CheckStatus) -> Self {
        match status {
            CheckStatus::Pass => Mark::Ok,
            CheckStatus::Warn => Mark::Warn,
            CheckStatus::Fail => Mark::Fail,
        }
    }
}

/// `  ✓ <name>: <message>` and a newline: one outcome in a report (a check, an audit, a drift
/// finding).
pub fn outcome_line(
    mark: Mark,
    name: impl std::fmt::Display,
    message: impl std::fmt::Display,
) -> String {
    format!("  {mark} {name}: {message}\n")
}

/// `warning: …` on stderr.
pub fn warn(out: &Output, text: impl std::fmt::Display) -> std::io::Result<()> {
    out.err(format!("{} {text}", paint(style::WARN, "warning:")))
}

/// A byte count for people: `4.5 MiB`.
pub fn mebibytes(n: u64) -> String {
    format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0))
}
