//! An open dump: what its load task found so far, its dominator trees, and
//! the selection with its history. No view state: views keep their own.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use super::command::{DumpId, Retention};
use super::load::Loaded;
use super::task::{Task, Waker};
use crate::analysis::dominators::{Children, Dominators};
use crate::analysis::finalizers::FinalizerReport;
use crate::analysis::histogram::Row;
use crate::analysis::suspects::LeakReport;
use crate::analysis::waste::WasteReport;
use crate::heap::{Heap, ObjectIx};
use crate::progress::{Phase, Progress};

/// A dominator tree with what the views read of it.
pub struct Tree {
    pub doms: Dominators,
    /// Children sorted by retained size, largest first.
    pub children: Children,
    /// Per class: the retained size of its instances as a set.
    pub class_retained: Vec<u64>,
}

impl Tree {
    pub fn new(doms: Dominators, class_retained: Option<Vec<u64>>, heap: &Heap) -> Tree {
        let children = doms.children();
        let class_retained = class_retained.unwrap_or_else(|| doms.class_retained(heap, &children));
        Tree {
            doms,
            children,
            class_retained,
        }
    }

    pub fn compute(heap: &Heap, retention: Retention, p: &Progress) -> Option<Tree> {
        let doms = Dominators::compute(heap, retention.referents(), p).ok()?;
        Some(Tree::new(doms, None, heap))
    }
}

/// A whole-heap report of a document, computed once in a task.
pub struct Computed<T> {
    value: Option<Arc<T>>,
    task: Option<Task<Option<T>>>,
}

impl<T> Default for Computed<T> {
    fn default() -> Self {
        Computed {
            value: None,
            task: None,
        }
    }
}

impl<T: Send + 'static> Computed<T> {
    fn progress(&self) -> Option<&Progress> {
        self.task.as_ref().map(|t| t.progress())
    }

    /// Takes the task's result; starts `work` (`None`: its inputs are not
    /// there yet) when there is neither a result nor a task.
    fn want(
        &mut self,
        name: &str,
        waker: &Waker,
        work: Option<impl FnOnce(&Progress) -> Option<T> + Send + 'static>,
    ) {
        if let Some(task) = &mut self.task {
            if let Some(result) = task.poll() {
                self.value = result.map(Arc::new);
                self.task = None;
            } else if task.is_finished() {
                self.task = None;
            }
            return;
        }
        if let (None, Some(work)) = (&self.value, work) {
            self.task = Some(Task::compute(name, waker.clone(), work));
        }
    }
}

/// Everything known about an open dump; fields fill in as its load task
/// reports.
pub struct Document {
    pub id: DumpId,
    pub path: PathBuf,
    /// The heap dump asked for, in a file of several (`None`: the last).
    pub heap_dump: Option<usize>,
    /// The name shown for it (the demo's temporary file is "demo.hprof.gz").
    pub name: String,
    load: Option<Task<Loaded>>,
    /// The phase the status bar last saw and when it began, for its rate.
    phase_started: std::cell::Cell<(Phase, Instant)>,
    pub histogram: Option<Arc<Vec<Row>>>,
    pub heap: Option<Arc<Heap>>,
    /// By [`Retention::index`]: over all references, over strong ones.
    trees: [Option<Arc<Tree>>; 2],
    /// The strong tree being computed, while some view wants it.
    strong: Option<Task<Option<Tree>>>,
    pub finalizers: Option<Arc<FinalizerReport>>,
    /// The Leak Suspects report, computed once the strong tree is there.
    leaks: Computed<LeakReport>,
    /// The waste report, computed when the Waste view is first shown.
    waste: Computed<WasteReport>,
    pub error: Option<String>,
    pub warnings: Vec<String>,
    /// The index read or written, for the Overview.
    pub index_notes: Vec<String>,
    /// Warnings about this load, not the dump (shown with its warnings).
    notices: Vec<String>,
    pub timings: Vec<(&'static str, f64)>,
    selection: Option<ObjectIx>,
    history: Vec<ObjectIx>,
    history_pos: usize,
}

impl Document {
    pub fn new(id: DumpId, path: PathBuf, load: Option<Task<Loaded>>) -> Document {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        Document {
            id,
            path,
            heap_dump: None,
            name,
            load,
            phase_started: std::cell::Cell::new((Phase::Idle, Instant::now())),
            histogram: None,
            heap: None,
            trees: [None, None],
            strong: None,
            finalizers: None,
            leaks: Computed::default(),
            waste: Computed::default(),
            error: None,
            warnings: Vec::new(),
            index_notes: Vec::new(),
            notices: Vec::new(),
            timings: Vec::new(),
            selection: None,
            history: Vec::new(),
            history_pos: 0,
        }
    }

    /// A document already loaded (for screenshots and tests).
    pub fn from_results(
        id: DumpId,
        path: PathBuf,
        results: impl IntoIterator<Item = Loaded>,
    ) -> Document {
        let mut doc = Document::new(id, path, None);
        for r in results {
            doc.apply(r);
        }
        doc
    }

    pub fn is_loading(&self) -> bool {
        self.load.is_some()
    }

    /// The load's progress, and how long its current phase has run.
    pub fn load_progress(&self) -> Option<(&Progress, f64)> {
        let task = self.load.as_ref()?;
        let phase = task.progress().phase();
        if self.phase_started.get().0 != phase {
            self.phase_started.set((phase, Instant::now()));
        }
        let started = self.phase_started.get().1;
        Some((task.progress(), started.elapsed().as_secs_f64()))
    }

    /// Cancels the load (what is loaded so far stays).
    pub fn cancel_load(&self) {
        if let Some(t) = &self.load {
            t.cancel();
        }
    }

    /// The file name for people, with the heap dump shown when the file
    /// holds several: `app.hprof #0`.
    pub fn label(&self) -> String {
        let records = self.heap.as_ref().map(|h| &h.census().records);
        match records.and_then(|r| r.heap_dump.filter(|_| r.heap_dumps.len() > 1)) {
            Some(k) => format!("{} #{k}", self.name),
            None => self.name.clone(),
        }
    }

    /// The dominator tree over these references, once computed.
    pub fn tree(&self, retention: Retention) -> Option<&Arc<Tree>> {
        self.trees[retention.index()].as_ref()
    }

    /// The strong tree is computing.
    pub fn strong_progress(&self) -> Option<&Progress> {
        self.strong.as_ref().map(|t| t.progress())
    }

    /// Starts computing the tree when it is `wanted` and missing; stops
    /// computing it when no longer wanted. (The tree over all references
    /// comes with the load.)
    pub fn want_strong_tree(&mut self, wanted: bool, waker: &Waker) {
        if let Some(task) = &mut self.strong {
            if let Some(tree) = task.poll() {
                self.trees[Retention::Strong.index()] = tree.map(Arc::new);
                self.strong = None;
            } else if task.is_finished() {
                self.strong = None;
            }
        }
        let have = self.tree(Retention::Strong).is_some();
        match (&self.heap, wanted && !have && !self.is_loading()) {
            (Some(heap), true) if self.strong.is_none() => {
                let heap = heap.clone();
                self.strong = Some(Task::compute("strong-tree", waker.clone(), move |p| {
                    Tree::compute(&heap, Retention::Strong, p)
                }));
            }
            (_, false) => self.strong = None,
            _ => {}
        }
    }

    /// The Leak Suspects report, once computed.
    pub fn leaks(&self) -> Option<&Arc<LeakReport>> {
        self.leaks.value.as_ref()
    }

    /// The Leak Suspects report is computing.
    pub fn leaks_progress(&self) -> Option<&Progress> {
        self.leaks.progress()
    }

    /// Starts the Leak Suspects report once the heap, the strong tree and
    /// the finalizers are there; takes its result.
    pub fn want_leaks(&mut self, waker: &Waker) {
        let work = match (&self.heap, self.tree(Retention::Strong), &self.finalizers) {
            (Some(heap), Some(tree), Some(finalizers)) => {
                let (heap, tree, finalizers) = (heap.clone(), tree.clone(), finalizers.clone());
                Some(move |p: &Progress| {
                    crate::analysis::suspects::report(
                        &heap,
                        &tree.doms,
                        &tree.children,
                        &finalizers,
                        crate::analysis::suspects::THRESHOLD,
                        p,
                    )
                    .ok()
                })
            }
            _ => None,
        };
        self.leaks.want("suspects", waker, work);
    }

    /// The waste report, once computed.
    pub fn waste(&self) -> Option<&Arc<WasteReport>> {
        self.waste.value.as_ref()
    }

    /// The waste report is computing.
    pub fn waste_progress(&self) -> Option<&Progress> {
        self.waste.progress()
    }

    /// Starts the waste report once the heap and the strong tree are
    /// there, if `wanted`; takes its result.
    pub fn want_waste(&mut self, wanted: bool, waker: &Waker) {
        let work = match (wanted, &self.heap, self.tree(Retention::Strong)) {
            (true, Some(heap), Some(tree)) => {
                let (heap, tree) = (heap.clone(), tree.clone());
                Some(move |p: &Progress| crate::analysis::waste::analyze(&heap, &tree.doms, p).ok())
            }
            _ => None,
        };
        self.waste.want("waste", waker, work);
    }

    pub fn apply(&mut self, msg: Loaded) {
        match msg {
            Loaded::Histogram(rows, warnings) => {
                self.histogram = Some(Arc::new(rows));
                self.warnings = warnings;
                self.warnings.extend(self.notices.iter().cloned());
            }
            Loaded::Heap(heap) => {
                self.warnings = heap.warnings().to_vec();
                self.warnings.extend(self.notices.iter().cloned());
                self.heap = Some(heap);
            }
            Loaded::Warning(w) => {
                self.warnings.push(w.clone());
                self.notices.push(w);
            }
            Loaded::Tree(retention, tree) => self.trees[retention.index()] = Some(tree),
            Loaded::Finalizers(report) => self.finalizers = Some(report),
            Loaded::Index(notes) => self.index_notes = notes,
            Loaded::Done(times) => {
                self.timings = times;
                self.load = None;
            }
            Loaded::Failed(e) => {
                self.error = Some(e);
                self.load = None;
            }
        }
    }

    /// Takes what the load task found.
    pub fn poll(&mut self) {
        while let Some(msg) = self.load.as_mut().and_then(Task::poll) {
            self.apply(msg);
        }
        if self.load.as_ref().is_some_and(Task::is_finished) {
            self.load = None;
        }
    }

    pub fn selection(&self) -> Option<ObjectIx> {
        self.selection
    }

    pub fn can_go_back(&self) -> bool {
        self.history_pos > 1
    }

    pub fn can_go_forward(&self) -> bool {
        self.history_pos < self.history.len()
    }

    pub fn select(&mut self, o: ObjectIx) {
        if self.selection == Some(o) {
            return;
        }
        self.history.truncate(self.history_pos);
        self.history.push(o);
        self.history_pos = self.history.len();
        self.selection = Some(o);
    }

    pub fn back(&mut self) {
        if self.can_go_back() {
            self.history_pos -= 1;
            self.selection = Some(self.history[self.history_pos - 1]);
        }
    }

    pub fn forward(&mut self) {
        if self.can_go_forward() {
            self.history_pos += 1;
            self.selection = Some(self.history[self.history_pos - 1]);
        }
    }
}
