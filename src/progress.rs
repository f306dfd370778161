//! Progress reporting and cancellation shared by every long-running job.
//!
//! A job updates a [`Progress`] through atomics; any thread (a terminal
//! spinner, the window) may read it at any time.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The phases a dump goes through while it loads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Idle,
    Decompressing,
    /// Copying a pipe or stdin into a temporary file.
    Copying,
    Reading,
    Indexing,
    References,
    Dominators,
    Retained,
    Paths,
    /// The waste analysis (duplicate strings, sparse collections...).
    Waste,
    /// Checking an index file before use, in bytes.
    ReadingIndex,
    /// Writing an index file, in bytes (twice: checksums, then writing).
    WritingIndex,
    Done,
}

impl Phase {
    /// Whether the phase counts bytes (else objects).
    pub fn in_bytes(self) -> bool {
        matches!(
            self,
            Phase::Decompressing
                | Phase::Copying
                | Phase::Reading
                | Phase::ReadingIndex
                | Phase::WritingIndex
        )
    }

    /// The label, with the index's size for the index phases, whose
    /// `total` counts its bytes (twice when writing: checksums, then the
    /// writing itself).
    pub fn describe(self, total: u64) -> String {
        match self {
            Phase::ReadingIndex => format!("reading the index ({})", crate::units::bytes(total)),
            Phase::WritingIndex => {
                format!("writing the index ({})", crate::units::bytes(total / 2))
            }
            Phase::Idle => "starting".into(),
            p => p.label().into(),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Phase::Idle => "waiting",
            Phase::Decompressing => "decompressing",
            Phase::Copying => "copying the input",
            Phase::Reading => "reading",
            Phase::Indexing => "numbering objects",
            Phase::References => "references",
            Phase::Dominators => "dominators",
            Phase::Retained => "retained sizes",
            Phase::Paths => "paths",
            Phase::Waste => "waste",
            Phase::ReadingIndex => "reading the index",
            Phase::WritingIndex => "writing the index",
            Phase::Done => "done",
        }
    }
}

/// Shared progress of one job: a phase, units done out of a total (bytes or
/// objects, as the phase says), and a cancel flag the job checks.
#[derive(Debug)]
pub struct Progress {
    phase: Mutex<Phase>,
    done: AtomicU64,
    total: AtomicU64,
    /// Shared by the progresses made with [`Progress::sharing_cancel`].
    cancelled: Arc<AtomicBool>,
}

impl Default for Progress {
    fn default() -> Self {
        Progress {
            phase: Mutex::new(Phase::Idle),
            done: AtomicU64::new(0),
            total: AtomicU64::new(0),
            cancelled: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// The error a job returns when it saw the cancel flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

impl Progress {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a phase of `total` units.
    pub fn start(&self, phase: Phase, total: u64) {
        *self.phase.lock().unwrap_or_else(|e| e.into_inner()) = phase;
        self.total.store(total, Ordering::Relaxed);
        self.done.store(0, Ordering::Relaxed);
    }

    pub fn add(&self, units: u64) {
        self.done.fetch_add(units, Ordering::Relaxed);
    }

    pub fn set(&self, units: u64) {
        self.done.store(units, Ordering::Relaxed);
    }

    pub fn phase(&self) -> Phase {
        *self.phase.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// (done, total) of the current phase.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }

    /// How far the current phase is, from 0 to 1 (0 while its size is unknown).
    pub fn fraction(&self) -> f32 {
        let (done, total) = self.counts();
        if total > 0 {
            done as f32 / total as f32
        } else {
            0.0
        }
    }

    /// A new progress (its own phase and counts) cancelled with this one:
    /// the halves of a job that runs two analyses at once.
    pub fn sharing_cancel(&self) -> Progress {
        Progress {
            cancelled: self.cancelled.clone(),
            ..Progress::default()
        }
    }

    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// `Err(Cancelled)` once [`Progress::cancel`] was called.
    pub fn check(&self) -> Result<(), Cancelled> {
        if self.is_cancelled() {
            Err(Cancelled)
        } else {
            Ok(())
        }
    }
}
