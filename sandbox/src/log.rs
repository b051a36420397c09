//! The `log` capability: each node's log lines are captured (never written to the engine's
//! output by the guest), bounded in volume, and redacted of secret values.

use serde::Serialize;

/// Most bytes of log text kept per invocation; later lines are dropped with a note.
pub(crate) const MAX_LOG_BYTES: usize = 256 * 1024;

/// Severity of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// `ctx.log.debug`, `console.debug`.
    Debug,
    /// `ctx.log.info`, `console.log`.
    Info,
    /// `ctx.log.warn`.
    Warn,
    /// `ctx.log.error`.
    Error,
}

impl LogLevel {
    pub(crate) fn from_guest(n: u32) -> Self {
        match n {
            0 => LogLevel::Debug,
            1 => LogLevel::Info,
            2 => LogLevel::Warn,
            _ => LogLevel::Error,
        }
    }

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
    /// The text, secret values replaced by `[REDACTED]`.
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
    pub fn push(
        &mut self,
        level: LogLevel,
        mut message: String,
        secrets: &crate::capabilities::SecretValues,
    ) {
        if self.bytes >= MAX_LOG_BYTES {
            self.dropped += 1;
            return;
        }
        for (_, value) in secrets.iter() {
            if value.len() >= 4 && message.contains(value) {
                message = message.replace(value, "[REDACTED]");
            }
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
