//! Reporting a push or pull blob by blob: progress bars on a terminal, one line per blob
//! elsewhere, or nothing.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::digest::Digest;

/// What happened to one blob of a push.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BlobOutcome {
    /// Its bytes were sent.
    Uploaded,
    /// The registry already had it; nothing was sent.
    Existed,
    /// Its bytes were received (a pull).
    Downloaded,
}

/// Told about each blob as it is transferred. Every method has an empty default.
pub trait Progress: Send + Sync {
    /// A transfer of `size` bytes begins; `what` says which blob (`config`, `layer 2/3`).
    fn start(&self, _digest: &Digest, _size: u64, _what: &str) {}
    /// `bytes` more bytes of the blob have been sent or received.
    fn advance(&self, _digest: &Digest, _bytes: u64) {}
    /// The blob is done.
    fn finish(&self, _digest: &Digest, _outcome: BlobOutcome) {}
}

/// Reports nothing (`-o json`, tests).
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Progress for Silent {}

/// One progress bar per blob on stderr, for terminals.
#[derive(Debug)]
pub struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<Digest, ProgressBar>>,
}

impl Bars {
    /// Bars drawn on stderr.
    pub fn stderr() -> Self {
        Bars {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            bars: Mutex::new(HashMap::new()),
        }
    }
}

impl Default for Bars {
    fn default() -> Self {
        Self::stderr()
    }
}

fn short(d: &Digest) -> &str {
    &d.hex()[..12]
}

impl Progress for Bars {
    fn start(&self, digest: &Digest, size: u64, what: &str) {
        let bar = self.multi.add(ProgressBar::new(size));
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix:>12} {msg:<14} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_prefix(short(digest).to_string());
        bar.set_message(what.to_string());
        self.bars
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(digest.clone(), bar);
    }

    fn advance(&self, digest: &Digest, bytes: u64) {
        if let Some(b) = self
            .bars
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(digest)
        {
            b.inc(bytes);
        }
    }

    fn finish(&self, digest: &Digest, outcome: BlobOutcome) {
        if let Some(b) = self
            .bars
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(digest)
        {
            match outcome {
                BlobOutcome::Existed => b.finish_with_message("already there"),
                BlobOutcome::Uploaded => b.finish_with_message("pushed"),
                BlobOutcome::Downloaded => b.finish_with_message("pulled"),
            }
        }
    }
}

/// One line per finished blob on stderr, for logs and pipes.
#[derive(Debug, Default)]
pub struct Lines {
    sizes: Mutex<HashMap<Digest, (u64, String)>>,
}

impl Progress for Lines {
    fn start(&self, digest: &Digest, size: u64, what: &str) {
        self.sizes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(digest.clone(), (size, what.to_string()));
    }

    fn finish(&self, digest: &Digest, outcome: BlobOutcome) {
        let (size, what) = self
            .sizes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(digest)
            .unwrap_or_default();
        let verb = match outcome {
            BlobOutcome::Uploaded => "pushed",
            BlobOutcome::Existed => "exists",
            BlobOutcome::Downloaded => "pulled",
        };
        let _ = writeln!(
            std::io::stderr(),
            "{verb} {} {what} ({})",
            short(digest),
            indicatif::HumanBytes(size)
        );
    }
}
