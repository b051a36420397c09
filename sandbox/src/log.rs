//! The `log` capability: each node's log lines are captured (never written to the engine's
//! output by the guest), bounded before they are copied out of guest memory, redacted of
//! secret values, and made single-line.
//!
//! | rule | value |
//! |---|---|
//! | longest line | [`MAX_LINE_BYTES`]; longer lines are cut, with a note of how much |
//! | log per invocation | [`MAX_LOG_BYTES`]; later lines are dropped, with a count |
//! | control characters | escaped (`\n` → `\\n`, `\u{1b}` → `\\u{1b}`, …), so a node cannot forge an engine log line or a terminal escape |
//! | secret values | replaced by `[REDACTED]`, in every form [`crate::secrets`] knows |

use serde::Serialize;
use tentacular_abi::Level;

use crate::secrets::Scrubber;

/// Most bytes of log text kept per invocation; later lines are dropped with a note.
pub const MAX_LOG_BYTES: usize = 256 * 1024;
/// Most bytes of one log line; the rest is cut with a note.
pub const MAX_LINE_BYTES: usize = 16 * 1024;

/// Severity of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// `ctx.log.debug`, `console.debug`.
    Debug,
    /// `ctx.log.info`, `console.log`.
    Info,
    /// `ctx.log.warn`, `console.warn`.
    Warn,
    /// `ctx.log.error`, `console.error`.
    Error,
}

impl From<Level> for LogLevel {
    fn from(l: Level) -> Self {
        match l {
            Level::Debug => LogLevel::Debug,
            Level::Info => LogLevel::Info,
            Level::Warn => LogLevel::Warn,
            Level::Error => LogLevel::Error,
        }
    }
}

impl LogLevel {
    /// The original's prefix word: `DEBUG`, `INFO`, `WARN`, `ERROR`.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "DEBUG",
            LogLevel::Info => "INFO",
            LogLevel::Warn => "WARN",
            LogLevel::Error => "ERROR",
        }
    }
}

/// One captured log line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogLine {
    /// Severity.
    pub level: LogLevel,
    /// The text: one line, control characters escaped, secret values replaced by
    /// `[REDACTED]`.
    pub message: String,
}

/// A node's log buffer for one invocation.
#[derive(Debug, Default)]
pub(crate) struct LogBuffer {
    pub lines: Vec<LogLine>,
    bytes: usize,
    dropped: usize,
}

impl LogBuffer {
    /// Whether another line fits.
    pub fn accepts(&self) -> bool {
        self.bytes < MAX_LOG_BYTES
    }

    /// Counts a line that did not fit.
    pub fn note_dropped(&mut self) {
        self.dropped += 1;
    }

    /// How many bytes of the next line may be copied out of guest memory.
    pub fn line_budget(&self) -> usize {
        MAX_LINE_BYTES.min(MAX_LOG_BYTES.saturating_sub(self.bytes))
    }

    /// Adds a line of `text` whose full length was `len` bytes (`text` may be cut already).
    pub fn push(&mut self, level: LogLevel, text: &[u8], len: usize, scrubber: &Scrubber) {
        let mut message = escape_controls(&String::from_utf8_lossy(text));
        message = scrubber.redact(&message);
        if len > text.len() {
            message.push_str(&format!(" … ({} more bytes cut)", len - text.len()));
        }
        self.bytes += message.len();
        self.lines.push(LogLine { level, message });
    }

    pub fn finish(mut self) -> Vec<LogLine> {
        if self.dropped > 0 {
            self.lines.push(LogLine {
                level: LogLevel::Warn,
                message: format!(
                    "{} more log lines dropped (over {MAX_LOG_BYTES} bytes of log in one run)",
                    self.dropped
                ),
            });
        }
        self.lines
    }
}

/// Escapes what could end a line or drive a terminal: C0 and C1 controls (tab kept), DEL,
/// and the Unicode line and paragraph separators.
pub fn escape_controls(text: &str) -> String {
    if !text.chars().any(needs_escape) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\t') || c == '\u{2028}' || c == '\u{2029}'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_cannot_forge_lines_or_drive_terminals() {
        let cases = [
            ("plain text", "plain text"),
            ("tab\tkept", "tab\tkept"),
            ("two\nlines", "two\\nlines"),
            ("cr\r\nlf", "cr\\r\\nlf"),
            ("ansi \u{1b}[31mred", "ansi \\u{1b}[31mred"),
            (
                "nel \u{85} ls \u{2028} ps \u{2029}",
                "nel \\u{85} ls \\u{2028} ps \\u{2029}",
            ),
            ("nul \0 del \u{7f}", "nul \\u{0} del \\u{7f}"),
        ];
        for (given, want) in cases {
            assert_eq!(escape_controls(given), want, "{given:?}");
        }
    }

    #[test]
    fn long_lines_are_cut_and_the_budget_is_checked_before_copying() {
        let mut logs = LogBuffer::default();
        assert_eq!(logs.line_budget(), MAX_LINE_BYTES);
        let line = vec![b'x'; MAX_LINE_BYTES];
        logs.push(LogLevel::Info, &line, 2 << 20, &Scrubber::default());
        assert!(logs.lines[0].message.ends_with("more bytes cut)"));
        while logs.accepts() {
            logs.push(LogLevel::Info, &line, line.len(), &Scrubber::default());
        }
        assert_eq!(logs.line_budget(), 0);
        logs.note_dropped();
        let lines = logs.finish();
        assert!(
            lines
                .last()
                .unwrap()
                .message
                .contains("1 more log lines dropped")
        );
    }
}
