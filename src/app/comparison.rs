//! A comparison of a baseline dump with the current one. It is computed
//! from each dump's strong dominator tree, which the documents compute (or
//! read from their index) while a comparison wants them.

use std::sync::Arc;
use std::time::Instant;

use super::command::{DumpId, Retention};
use super::document::Document;
use super::task::{Task, Waker};
use crate::analysis::diff::{self, Diff, Snapshot};

/// Two dumps compared: by their ids in this window.
pub struct Comparison {
    pub baseline: DumpId,
    pub current: DumpId,
    task: Option<Task<Diff>>,
    pub diff: Option<Arc<Diff>>,
    pub error: Option<String>,
    /// When the comparison started, and how long it took.
    started: Instant,
    pub took: Option<f64>,
}

impl Comparison {
    pub fn new(baseline: DumpId, current: DumpId) -> Comparison {
        Comparison {
            baseline,
            current,
            task: None,
            diff: None,
            error: None,
            started: Instant::now(),
            took: None,
        }
    }

    /// A comparison already computed (for screenshots and tests).
    pub fn from_diff(baseline: DumpId, current: DumpId, diff: Diff) -> Comparison {
        let mut c = Comparison::new(baseline, current);
        c.diff = Some(Arc::new(diff));
        c
    }

    pub fn involves(&self, id: DumpId) -> bool {
        self.baseline == id || self.current == id
    }

    pub fn is_done(&self) -> bool {
        self.diff.is_some() || self.error.is_some()
    }

    /// Starts comparing once both dumps have their strong tree; takes the
    /// result.
    pub fn poll(&mut self, baseline: &Document, current: &Document, waker: &Waker) {
        if self.is_done() {
            return;
        }
        if let Some(task) = &mut self.task {
            if let Some(diff) = task.poll() {
                self.diff = Some(Arc::new(diff));
                self.took = Some(self.started.elapsed().as_secs_f64());
                self.task = None;
            } else if task.is_finished() {
                self.error = Some("the comparison stopped".into());
            }
            return;
        }
        let sides = [("baseline", baseline), ("current", current)];
        if let Some(e) = sides
            .iter()
            .find_map(|(which, d)| d.error.as_ref().map(|e| format!("the {which} dump: {e}")))
        {
            self.error = Some(e);
            return;
        }
        let (Some(b), Some(a)) = (snapshot_parts(baseline), snapshot_parts(current)) else {
            return;
        };
        self.task = Some(Task::compute("compare", waker.clone(), move |_| {
            let snapshot = |(heap, tree, report, name): &Parts| {
                Snapshot::of_indexed(heap, name, &tree.doms, report)
            };
            diff::compare(&snapshot(&b), &snapshot(&a))
        }));
    }
}

type Parts = (
    Arc<crate::heap::Heap>,
    Arc<super::document::Tree>,
    Arc<crate::analysis::finalizers::FinalizerReport>,
    String,
);

/// What a snapshot of a document is made from, once it is all there.
fn snapshot_parts(d: &Document) -> Option<Parts> {
    Some((
        d.heap.clone()?,
        d.tree(Retention::Strong)?.clone(),
        d.finalizers.clone()?,
        d.label(),
    ))
}
