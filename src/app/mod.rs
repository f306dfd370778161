//! The desktop window (eframe/egui). Nothing else depends on it.
//!
//! The app holds the open document (a dump being loaded or loaded), and
//! the dump open before it, kept for comparisons. Views draw from
//! read-only data and return [`Command`]s that the app applies after the
//! frame; loading, paths and comparisons run on background threads.

mod jobs;
mod screenshot;
mod views;
mod widgets;

pub use screenshot::{compare_documents, screenshot};

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use egui::{Key, KeyboardShortcut, Modifiers};

use crate::analysis::diff::Diff;
use crate::analysis::dominators::{Children, Dominators};
use crate::analysis::finalizers::FinalizerReport;
use crate::analysis::graph::Referents;
use crate::analysis::histogram::Row;
use crate::analysis::paths::PathSearch;
use crate::heap::Heap;
pub use jobs::Loaded;
use jobs::{LoadJob, PathJob};

/// One identifier for the window, the .desktop file and the icon.
pub const APP_ID: &str = "io.github.heapscope.Heapscope";

/// The views of a loaded dump.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum View {
    Overview,
    Histogram,
    Dominators,
    Finalizers,
    Inspector,
    Threads,
    /// This dump against a baseline dump.
    Compare,
}

impl View {
    pub const ALL: [View; 7] = [
        View::Overview,
        View::Histogram,
        View::Dominators,
        View::Finalizers,
        View::Inspector,
        View::Threads,
        View::Compare,
    ];

    pub fn title(self) -> &'static str {
        match self {
            View::Overview => "Overview",
            View::Histogram => "Histogram",
            View::Dominators => "Dominator tree",
            View::Finalizers => "Finalizers",
            View::Inspector => "Inspector",
            View::Threads => "Threads",
            View::Compare => "Compare",
        }
    }

    /// The command-line name (`heapscope screenshot --view NAME`).
    pub fn name(self) -> &'static str {
        match self {
            View::Overview => "overview",
            View::Histogram => "histogram",
            View::Dominators => "dominators",
            View::Finalizers => "finalizers",
            View::Inspector => "inspector",
            View::Threads => "threads",
            View::Compare => "compare",
        }
    }

    pub fn parse(name: &str) -> Option<View> {
        View::ALL.into_iter().find(|v| v.name() == name)
    }

    fn shortcut(self) -> KeyboardShortcut {
        let key = match self {
            View::Overview => Key::Num1,
            View::Histogram => Key::Num2,
            View::Dominators => Key::Num3,
            View::Finalizers => Key::Num4,
            View::Inspector => Key::Num5,
            View::Threads => Key::Num6,
            View::Compare => Key::Num7,
        };
        KeyboardShortcut::new(Modifiers::COMMAND, key)
    }
}

/// What a view asks the app to do after the frame.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Select an object (inspector and "why alive" follow it).
    Select(u32),
    Show(View),
    Open(PathBuf),
    OpenDialog,
    OpenDemo,
    Back,
    Forward,
    /// List the instances of a class in the histogram view.
    Instances(u32),
    /// Show the Finalizers view on this referent class.
    FinalizerClass(u32),
    /// Compare the current dump with this baseline (opened if need be).
    CompareWith(PathBuf),
    /// Pick the baseline with the file dialog.
    CompareDialog,
    /// Explore this open dump (the current one or the other).
    Activate(PathBuf),
    /// Exchange baseline and current in the comparison.
    SwapComparison,
    /// Back to choosing a baseline.
    CloseComparison,
    /// Delete the index file of the dump shown.
    DeleteIndex,
    /// Close the dump that is open but not shown.
    CloseOther,
    /// Load another heap dump of the file shown (files with several).
    PickHeapDump(usize),
}

/// A comparison of a baseline dump with the current one, by paths (either
/// can be the document shown).
pub struct Comparison {
    pub baseline: PathBuf,
    pub current: PathBuf,
    job: Option<jobs::CompareJob>,
    pub diff: Option<Arc<Diff>>,
    pub error: Option<String>,
    /// When the comparison started, and how long it took.
    started: Option<std::time::Instant>,
    pub took: Option<f64>,
    pub ui: CompareState,
}

/// The comparison view's own state.
pub struct CompareState {
    /// 0 classes, 1 owners, 2 finalizers.
    pub section: usize,
    pub filter: String,
    /// Hide classes whose instances and size did not change.
    pub changed_only: bool,
    /// (column, ascending) of the class and owner tables.
    pub class_sort: (usize, bool),
    pub owner_sort: (usize, bool),
}

impl Comparison {
    pub fn new(baseline: PathBuf, current: PathBuf) -> Comparison {
        Comparison {
            baseline,
            current,
            job: None,
            diff: None,
            error: None,
            started: None,
            took: None,
            ui: CompareState {
                section: 0,
                filter: String::new(),
                changed_only: true,
                class_sort: (6, false),
                owner_sort: (1, false),
            },
        }
    }

    /// A comparison already computed (for screenshots and tests).
    pub fn from_diff(baseline: PathBuf, current: PathBuf, diff: Diff) -> Comparison {
        let mut c = Comparison::new(baseline, current);
        c.diff = Some(Arc::new(diff));
        c
    }

    pub fn progress(&self) -> Option<&crate::progress::Progress> {
        self.job.as_ref().map(|j| &*j.progress)
    }
}

/// Everything known about the open dump; fields fill in as jobs finish.
pub struct Document {
    pub path: PathBuf,
    /// The heap dump asked for, in a file of several (`None`: the last).
    pub heap_dump: Option<usize>,
    job: Option<LoadJob>,
    pub histogram: Option<Arc<Vec<Row>>>,
    pub heap: Option<Arc<Heap>>,
    pub doms: Option<Arc<Dominators>>,
    pub children: Option<Arc<Children>>,
    pub class_retained: Option<Arc<Vec<u64>>>,
    pub finalizers: Option<Arc<FinalizerReport>>,
    pub error: Option<String>,
    pub warnings: Vec<String>,
    /// The index read or written, for the Overview.
    pub index_notes: Vec<String>,
    /// Warnings about this load, not the dump (shown with its warnings).
    pub notices: Vec<String>,
    pub timings: Vec<(&'static str, f64)>,
    pub selection: Option<u32>,
    history: Vec<u32>,
    history_pos: usize,
    pub ui: ViewState,
    paths: Option<PathJob>,
    /// The paths shown in the "why alive" panel: object, referents, paths.
    pub why_alive: Option<(u32, Referents, PathSearch)>,
}

/// A list of instances: (class, sort column, ascending).
pub type ListKey = (u32, usize, bool);

/// A list of Finalizers: (referent class, state filter, (column, ascending)).
pub type ReferentKey = (u32, Option<&'static str>, (usize, bool));

/// Per-view state that lives as long as the document.
#[derive(Default)]
pub struct ViewState {
    pub histogram_filter: String,
    /// (column, ascending); by shallow size, largest first, at the start.
    pub histogram_sort: (usize, bool),
    pub group_by_package: bool,
    pub instances_of: Option<u32>,
    /// The instances of `instances_of`, largest retained first, and the
    /// job listing them.
    pub instances: Option<(ListKey, Arc<Vec<u32>>)>,
    pub instances_job: Option<(ListKey, std::sync::mpsc::Receiver<Vec<u32>>)>,
    /// Dominator tree: expanded nodes and how many children each shows.
    pub expanded: HashMap<u32, usize>,
    pub finalizer_class: Option<u32>,
    /// Finalizers view: class table sort, referent table sort and state filter.
    pub finalizer_sort: (usize, bool),
    pub referent_sort: (usize, bool),
    pub referent_state: Option<&'static str>,
    /// The Finalizers listed, as indexes into the report's entries.
    pub referents: Option<(ReferentKey, Arc<Vec<u32>>)>,
    /// Instances table sort; dominator tree sort and top-level filter.
    pub instances_sort: (usize, bool),
    pub tree_sort: (usize, bool),
    pub tree_filter: String,
    /// Child lists of the dominator tree as shown: (parent, sort column,
    /// ascending, top-level filter).
    pub tree_sorted: HashMap<(u32, usize, bool, String), Arc<Vec<u32>>>,
    pub why_referents: Referents,
    pub inspector_open: HashMap<(bool, u32), usize>,
    pub array_shown: usize,
    pub goto: String,
    pub goto_error: Option<String>,
}

impl Document {
    fn new(path: PathBuf, job: Option<LoadJob>) -> Document {
        Document {
            path,
            heap_dump: None,
            job,
            histogram: None,
            heap: None,
            doms: None,
            children: None,
            class_retained: None,
            finalizers: None,
            error: None,
            warnings: Vec::new(),
            index_notes: Vec::new(),
            notices: Vec::new(),
            timings: Vec::new(),
            selection: None,
            history: Vec::new(),
            history_pos: 0,
            ui: ViewState {
                histogram_sort: (2, false),
                finalizer_sort: (1, false),
                referent_sort: (2, false),
                instances_sort: (2, false),
                tree_sort: (1, false),
                ..ViewState::default()
            },
            paths: None,
            why_alive: None,
        }
    }

    /// A document already loaded (for screenshots and tests).
    pub fn from_results(path: PathBuf, results: impl IntoIterator<Item = Loaded>) -> Document {
        let mut doc = Document::new(path, None);
        for r in results {
            doc.apply(r);
        }
        doc
    }

    pub fn is_loading(&self) -> bool {
        self.job.is_some()
    }

    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.path.display().to_string())
    }

    /// The file name for people, with the heap dump shown when the file
    /// holds several: `app.hprof #0`.
    pub fn label(&self) -> String {
        let records = self.heap.as_ref().map(|h| &h.census().records);
        match records.and_then(|r| r.heap_dump.filter(|_| r.heap_dumps.len() > 1)) {
            Some(k) => format!("{} #{k}", self.file_name()),
            None => self.file_name(),
        }
    }

    fn apply(&mut self, msg: Loaded) {
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
            Loaded::Dominators {
                doms,
                children,
                class_retained,
            } => {
                self.doms = Some(doms);
                self.children = Some(children);
                self.class_retained = Some(class_retained);
            }
            Loaded::Finalizers(report) => self.finalizers = Some(report),
            Loaded::Index(notes) => self.index_notes = notes,
            Loaded::Done(times) => {
                self.timings = times;
                self.job = None;
            }
            Loaded::Failed(e) => {
                self.error = Some(e);
                self.job = None;
            }
        }
    }

    /// Takes what the background jobs finished.
    fn poll(&mut self, ctx: &egui::Context) {
        while let Some(msg) = self.job.as_ref().and_then(|j| j.results.try_recv().ok()) {
            self.apply(msg);
        }
        if let Some(job) = &self.paths {
            if let Ok(search) = job.result.try_recv() {
                self.why_alive = Some((job.object, job.referents, search));
                self.paths = None;
            }
        }
        // Ask for the selection's paths when they are missing.
        let (Some(heap), Some(o)) = (&self.heap, self.selection) else {
            return;
        };
        let wanted = self.ui.why_referents;
        let have = self
            .why_alive
            .as_ref()
            .is_some_and(|(x, r, _)| *x == o && *r == wanted);
        let running = self
            .paths
            .as_ref()
            .is_some_and(|j| j.object == o && j.referents == wanted);
        if !have && !running {
            let ctx = ctx.clone();
            self.paths = Some(PathJob::start(heap.clone(), o, wanted, move || {
                ctx.request_repaint()
            }));
        }
    }

    fn select(&mut self, o: u32) {
        if self.selection == Some(o) {
            return;
        }
        self.history.truncate(self.history_pos);
        self.history.push(o);
        self.history_pos = self.history.len();
        self.selection = Some(o);
        self.ui.array_shown = 0;
    }

    fn back(&mut self) {
        if self.history_pos > 1 {
            self.history_pos -= 1;
            self.selection = Some(self.history[self.history_pos - 1]);
        }
    }

    fn forward(&mut self) {
        if self.history_pos < self.history.len() {
            self.history_pos += 1;
            self.selection = Some(self.history[self.history_pos - 1]);
        }
    }
}

/// Frame timings, printed at exit when HEAPSCOPE_FRAME_STATS is set: how
/// long until the first frame, the histogram and the retained sizes showed,
/// and the longest frame while loading and after.
#[derive(Default)]
pub struct FrameStats {
    pub started: Option<std::time::Instant>,
    pub first_frame: Option<f64>,
    pub histogram: Option<f64>,
    pub retained: Option<f64>,
    pub longest_loading: f64,
    pub longest_loaded: f64,
    pub frames: u64,
    loading: bool,
    last_report: Option<std::time::Instant>,
}

impl FrameStats {
    fn record(&mut self, took: f64, doc: Option<&Document>) {
        let since = self
            .started
            .get_or_insert_with(std::time::Instant::now)
            .elapsed()
            .as_secs_f64();
        self.frames += 1;
        self.first_frame.get_or_insert(since);
        if let Some(doc) = doc {
            if doc.histogram.is_some() {
                self.histogram.get_or_insert(since);
            }
            if doc.class_retained.is_some() {
                self.retained.get_or_insert(since);
            }
            if doc.is_loading() {
                self.longest_loading = self.longest_loading.max(took);
            } else {
                self.longest_loaded = self.longest_loaded.max(took);
            }
        }
    }

    pub fn report(&self) -> String {
        let ms = |s: Option<f64>| {
            s.map(|s| format!("{:.0} ms", s * 1000.0))
                .unwrap_or_else(|| "-".into())
        };
        format!(
            "first frame {}, histogram {}, retained sizes {}, longest frame {:.1} ms while loading and {:.1} ms after, {} frames",
            ms(self.first_frame),
            ms(self.histogram),
            ms(self.retained),
            self.longest_loading * 1000.0,
            self.longest_loaded * 1000.0,
            self.frames
        )
    }
}

/// The application.
pub struct HeapscopeApp {
    pub frame_stats: FrameStats,
    shown_title: String,
    pub doc: Option<Document>,
    /// The dump open before `doc`, kept to compare with.
    pub other: Option<Document>,
    pub compare: Option<Comparison>,
    pub view: View,
    recent: Vec<PathBuf>,
    /// A temporary copy of the built-in demo dump, kept while open.
    demo: Option<tempfile::NamedTempFile>,
    /// A file dialog open, and whether it picks a baseline.
    dialog: Option<(std::sync::mpsc::Receiver<Option<PathBuf>>, bool)>,
}

const RECENT_KEY: &str = "recent_files";

impl HeapscopeApp {
    pub fn new(storage: Option<&dyn eframe::Storage>) -> HeapscopeApp {
        let recent = storage
            .and_then(|s| s.get_string(RECENT_KEY))
            .and_then(|s| serde_json::from_str::<Vec<PathBuf>>(&s).ok())
            .unwrap_or_default();
        HeapscopeApp {
            frame_stats: FrameStats {
                started: Some(std::time::Instant::now()),
                ..FrameStats::default()
            },
            shown_title: String::new(),
            doc: None,
            other: None,
            compare: None,
            view: View::Overview,
            recent,
            demo: None,
            dialog: None,
        }
    }

    /// An app showing a document loaded in advance.
    pub fn with_document(doc: Document, view: View) -> HeapscopeApp {
        let mut app = HeapscopeApp::new(None);
        app.doc = Some(doc);
        app.view = view;
        app
    }

    /// Opens heap dump `heap_dump` (or the last) of a file holding several.
    pub fn open_heap_dump(&mut self, path: PathBuf, heap_dump: Option<usize>, ctx: &egui::Context) {
        if heap_dump.is_none() {
            return self.open(path, ctx);
        }
        if self.other.as_ref().is_some_and(|d| d.path == path) {
            self.other = None;
        }
        let mut doc = self.start_loading_heap_dump(path, heap_dump, ctx);
        doc.heap_dump = heap_dump;
        if let Some(old) = self.doc.replace(doc) {
            if self.doc.as_ref().is_some_and(|d| d.path != old.path) {
                self.other = Some(old);
            }
        }
        // A comparison of the snapshot replaced is no longer shown.
        let path = &self.doc.as_ref().expect("set").path;
        if self
            .compare
            .as_ref()
            .is_some_and(|c| &c.baseline == path || &c.current == path)
        {
            self.compare = None;
        }
        self.forget_stale_comparison();
    }

    /// Opens a dump, whatever the source (command line, dialog, drop). The
    /// dump shown so far stays open beside it, for comparisons.
    pub fn open(&mut self, path: PathBuf, ctx: &egui::Context) {
        if self.other.as_ref().is_some_and(|d| d.path == path) {
            self.activate(&path);
            return;
        }
        let doc = self.start_loading(path, ctx);
        if let Some(old) = self.doc.replace(doc) {
            if self.doc.as_ref().is_some_and(|d| d.path != old.path) {
                self.other = Some(old);
            }
        }
        self.forget_stale_comparison();
        self.view = View::Overview;
    }

    fn start_loading(&mut self, path: PathBuf, ctx: &egui::Context) -> Document {
        self.start_loading_heap_dump(path, None, ctx)
    }

    fn start_loading_heap_dump(
        &mut self,
        path: PathBuf,
        heap_dump: Option<usize>,
        ctx: &egui::Context,
    ) -> Document {
        let wake = {
            let ctx = ctx.clone();
            move || ctx.request_repaint()
        };
        self.recent.retain(|p| p != &path);
        // The demo is a temporary file: no index beside it.
        let index = self.demo.as_ref().is_none_or(|d| d.path() != path);
        if index {
            self.recent.insert(0, path.clone());
            self.recent.truncate(10);
        }
        let job = LoadJob::start(path.clone(), heap_dump, index, wake);
        Document::new(path, Some(job))
    }

    /// Compares the shown dump with `baseline`, loading it as the other
    /// dump unless it is open.
    fn compare_with(&mut self, baseline: PathBuf, ctx: &egui::Context) {
        let Some(current) = self.doc.as_ref().map(|d| d.path.clone()) else {
            return;
        };
        if baseline == current {
            return;
        }
        if self.other.as_ref().is_none_or(|d| d.path != baseline) {
            self.other = Some(self.start_loading(baseline.clone(), ctx));
        }
        self.compare = Some(Comparison::new(baseline, current));
        self.view = View::Compare;
    }

    /// Shows the open dump at `path`.
    fn activate(&mut self, path: &Path) {
        if self.other.as_ref().is_some_and(|d| d.path == path) {
            std::mem::swap(&mut self.doc, &mut self.other);
        }
    }

    /// Drops the comparison when one of its dumps is no longer open.
    fn forget_stale_comparison(&mut self) {
        let open = |p: &PathBuf| self.doc.iter().chain(&self.other).any(|d| &d.path == p);
        if self
            .compare
            .as_ref()
            .is_some_and(|c| !open(&c.baseline) || !open(&c.current))
        {
            self.compare = None;
        }
    }

    fn document(&self, path: &Path) -> Option<&Document> {
        self.doc.iter().chain(&self.other).find(|d| d.path == path)
    }

    /// Starts the comparison once both dumps are loaded; takes its result.
    fn poll_comparison(&mut self, ctx: &egui::Context) {
        let Some(c) = &self.compare else { return };
        if c.diff.is_some() || c.error.is_some() {
            return;
        }
        if let Some(job) = &c.job {
            if let Ok(result) = job.result.try_recv() {
                let c = self.compare.as_mut().expect("checked");
                c.job = None;
                c.took = c.started.map(|t| t.elapsed().as_secs_f64());
                match result {
                    Ok(diff) => c.diff = Some(Arc::new(diff)),
                    Err(e) => c.error = Some(e),
                }
            }
            return;
        }
        let (Some(b), Some(a)) = (self.document(&c.baseline), self.document(&c.current)) else {
            return;
        };
        let error = [("baseline", b), ("current", a)]
            .iter()
            .find_map(|(which, d)| d.error.as_ref().map(|e| format!("the {which} dump: {e}")));
        let start = match (&b.heap, &a.heap) {
            (Some(hb), Some(ha)) if error.is_none() => {
                Some(((hb.clone(), b.file_name()), (ha.clone(), a.file_name())))
            }
            _ => None,
        };
        let c = self.compare.as_mut().expect("checked");
        if let Some(e) = error {
            c.error = Some(e);
        } else if let Some((before, after)) = start {
            let ctx = ctx.clone();
            c.started = Some(std::time::Instant::now());
            c.job = Some(jobs::CompareJob::start(before, after, move || {
                ctx.request_repaint()
            }));
        }
    }

    /// Opens the built-in demo dump.
    pub fn open_demo(&mut self, ctx: &egui::Context) {
        match demo_file() {
            Ok(f) => {
                let path = f.path().to_path_buf();
                self.demo = Some(f);
                self.open(path, ctx);
            }
            Err(e) => {
                let mut doc = Document::new(PathBuf::from("demo.hprof.gz"), None);
                doc.error = Some(format!("cannot unpack the demo dump: {e}"));
                self.doc = Some(doc);
            }
        }
    }

    fn open_dialog(&mut self, ctx: &egui::Context, baseline: bool) {
        if self.dialog.is_some() {
            return;
        }
        let ctx = ctx.clone();
        let rx = jobs::run(
            "dialog",
            move || ctx.request_repaint(),
            move || {
                rfd::FileDialog::new()
                    .set_title(if baseline {
                        "Choose the baseline dump to compare with"
                    } else {
                        "Open a heap dump"
                    })
                    .add_filter("Heap dumps", &["hprof", "gz", "bin"])
                    .add_filter("All files", &["*"])
                    .pick_file()
            },
        );
        self.dialog = Some((rx, baseline));
    }

    fn apply(&mut self, commands: Vec<Command>, ctx: &egui::Context) {
        for c in commands {
            match c {
                // The selection shows in the "why alive" panel of every
                // view and in the inspector; the view stays.
                Command::Select(o) => {
                    if let Some(doc) = &mut self.doc {
                        doc.select(o);
                    }
                }
                Command::Show(v) => self.view = v,
                Command::Open(p) => self.open(p, ctx),
                Command::OpenDialog => self.open_dialog(ctx, false),
                Command::CompareDialog => self.open_dialog(ctx, true),
                Command::CompareWith(p) => self.compare_with(p, ctx),
                Command::Activate(p) => self.activate(&p),
                Command::SwapComparison => {
                    if let Some(c) = &mut self.compare {
                        *c = Comparison::new(c.current.clone(), c.baseline.clone());
                    }
                }
                Command::CloseComparison => self.compare = None,
                Command::DeleteIndex => {
                    if let Some(doc) = &mut self.doc {
                        let options = crate::heap::LoadOptions {
                            heap_dump: doc.heap_dump,
                            ..Default::default()
                        };
                        doc.index_notes = crate::index::delete(&doc.path, &options)
                            .unwrap_or_else(|e| vec![e.to_string()]);
                    }
                }
                Command::CloseOther => {
                    self.other = None;
                    self.forget_stale_comparison();
                }
                Command::OpenDemo => self.open_demo(ctx),
                Command::PickHeapDump(k) => {
                    if let Some(path) = self.doc.as_ref().map(|d| d.path.clone()) {
                        self.open_heap_dump(path, Some(k), ctx);
                    }
                }
                Command::Back => {
                    if let Some(doc) = &mut self.doc {
                        doc.back();
                    }
                }
                Command::Forward => {
                    if let Some(doc) = &mut self.doc {
                        doc.forward();
                    }
                }
                Command::Instances(c) => {
                    if let Some(doc) = &mut self.doc {
                        doc.ui.instances_of = Some(c);
                    }
                    self.view = View::Histogram;
                }
                Command::FinalizerClass(c) => {
                    if let Some(doc) = &mut self.doc {
                        doc.ui.finalizer_class = Some(c);
                    }
                    self.view = View::Finalizers;
                }
            }
        }
    }

    fn title(&self) -> String {
        match &self.doc {
            Some(doc) if self.demo.as_ref().is_some_and(|d| d.path() == doc.path) => {
                "heapscope - demo.hprof.gz".to_string()
            }
            Some(doc) => format!("heapscope - {}", doc.label()),
            None => "heapscope".to_string(),
        }
    }

    fn shortcuts(&self, ctx: &egui::Context, out: &mut Vec<Command>) {
        ctx.input_mut(|i| {
            if i.consume_shortcut(&OPEN) {
                out.push(Command::OpenDialog);
            }
            if i.consume_shortcut(&BACK) {
                out.push(Command::Back);
            }
            if i.consume_shortcut(&FORWARD) {
                out.push(Command::Forward);
            }
            for v in View::ALL {
                if i.consume_shortcut(&v.shortcut()) {
                    out.push(Command::Show(v));
                }
            }
        });
    }

    fn menu_ui(&mut self, ui: &mut egui::Ui, out: &mut Vec<Command>) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                if ui
                    .add(
                        egui::Button::new("Open...").shortcut_text(ui.ctx().format_shortcut(&OPEN)),
                    )
                    .clicked()
                {
                    out.push(Command::OpenDialog);
                    ui.close();
                }
                if ui.button("Open demo dump").clicked() {
                    out.push(Command::OpenDemo);
                    ui.close();
                }
                ui.add_enabled_ui(self.doc.is_some(), |ui| {
                    ui.menu_button("Compare with...", |ui| self.compare_menu_ui(ui, out));
                });
                if ui
                    .add_enabled(self.doc.is_some(), egui::Button::new("Delete index"))
                    .on_hover_text(
                        "Delete the index file (DUMP.hsidx) that makes reopening this dump instant; \
                         the next open parses the dump again and rewrites it",
                    )
                    .clicked()
                {
                    out.push(Command::DeleteIndex);
                    ui.close();
                }
                if let Some(other) = &self.other {
                    if ui
                        .button(format!("Close {}", other.label()))
                        .on_hover_text("The dump open beside the one shown")
                        .clicked()
                    {
                        out.push(Command::CloseOther);
                        ui.close();
                    }
                }
                ui.menu_button("Open recent", |ui| {
                    if self.recent.is_empty() {
                        ui.label("No recent files");
                    }
                    for p in &self.recent {
                        if ui.button(p.display().to_string()).clicked() {
                            out.push(Command::Open(p.clone()));
                            ui.close();
                        }
                    }
                });
                ui.separator();
                if ui.button("Quit").clicked() {
                    ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                }
            });
            ui.menu_button("View", |ui| {
                for v in View::ALL {
                    let button = egui::Button::selectable(self.view == v, v.title())
                        .shortcut_text(ui.ctx().format_shortcut(&v.shortcut()));
                    if ui.add(button).clicked() {
                        out.push(Command::Show(v));
                        ui.close();
                    }
                }
                ui.separator();
                egui::widgets::global_theme_preference_buttons(ui);
            });
            ui.menu_button("Go", |ui| {
                if ui
                    .add(egui::Button::new("Back").shortcut_text(ui.ctx().format_shortcut(&BACK)))
                    .clicked()
                {
                    out.push(Command::Back);
                    ui.close();
                }
                if ui
                    .add(
                        egui::Button::new("Forward")
                            .shortcut_text(ui.ctx().format_shortcut(&FORWARD)),
                    )
                    .clicked()
                {
                    out.push(Command::Forward);
                    ui.close();
                }
            });
        });
    }

    /// Baselines to compare the shown dump with: a file, the other open
    /// dump, recent files.
    fn compare_menu_ui(&self, ui: &mut egui::Ui, out: &mut Vec<Command>) {
        if ui.button("Choose a file...").clicked() {
            out.push(Command::CompareDialog);
            ui.close();
        }
        let current = self.doc.as_ref().map(|d| d.path.as_path());
        if let Some(other) = &self.other {
            ui.separator();
            if ui.button(format!("{} (open)", other.label())).clicked() {
                out.push(Command::CompareWith(other.path.clone()));
                ui.close();
            }
        }
        let recent: Vec<&PathBuf> = self
            .recent
            .iter()
            .filter(|p| Some(p.as_path()) != current)
            .filter(|p| self.other.as_ref().is_none_or(|o| &o.path != *p))
            .collect();
        if !recent.is_empty() {
            ui.separator();
        }
        for p in recent {
            if ui.button(p.display().to_string()).clicked() {
                out.push(Command::CompareWith(p.clone()));
                ui.close();
            }
        }
    }

    /// The whole window, for eframe and for offscreen rendering.
    pub fn window_ui(&mut self, ui: &mut egui::Ui) {
        let t = std::time::Instant::now();
        self.frame_ui(ui);
        let took = t.elapsed().as_secs_f64();
        let was_loading = self.frame_stats.loading;
        self.frame_stats.record(took, self.doc.as_ref());
        self.frame_stats.loading = self.doc.as_ref().is_some_and(Document::is_loading);
        let every = self
            .frame_stats
            .last_report
            .is_none_or(|t| t.elapsed().as_secs() >= 5);
        if std::env::var_os("HEAPSCOPE_FRAME_STATS").is_some()
            && !self.frame_stats.loading
            && (was_loading || every)
        {
            self.frame_stats.last_report = Some(std::time::Instant::now());
            let steps: Vec<String> = self
                .doc
                .iter()
                .flat_map(|d| &d.timings)
                .map(|(n, t)| format!("{n} {t:.2} s"))
                .collect();
            eprintln!(
                "loaded: {}; steps: {}",
                self.frame_stats.report(),
                steps.join(", ")
            );
        }
    }

    fn frame_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        // Only on change: a viewport command asks for another frame.
        let title = self.title();
        if self.shown_title != title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.shown_title = title;
        }
        if let Some(doc) = &mut self.doc {
            doc.poll(&ctx);
        }
        if let Some(other) = &mut self.other {
            other.poll(&ctx);
        }
        self.poll_comparison(&ctx);
        if let Some((rx, baseline)) = &self.dialog {
            let baseline = *baseline;
            if let Ok(picked) = rx.try_recv() {
                self.dialog = None;
                match picked {
                    Some(p) if baseline => self.compare_with(p, &ctx),
                    Some(p) => self.open(p, &ctx),
                    None => {}
                }
            }
        }
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .collect()
        });
        let mut out = Vec::new();
        if let Some(p) = dropped.into_iter().next() {
            out.push(Command::Open(p));
        }
        self.shortcuts(&ctx, &mut out);
        egui::Panel::top("menu").show(ui, |ui| self.menu_ui(ui, &mut out));
        match &mut self.doc {
            None => {
                egui::CentralPanel::default()
                    .show(ui, |ui| views::start::ui(ui, &self.recent, &mut out));
            }
            Some(doc) => {
                egui::Panel::top("nav").show(ui, |ui| {
                    views::nav::ui(ui, doc, self.other.as_ref(), self.view, &mut out)
                });
                egui::Panel::bottom("status").show(ui, |ui| views::nav::status_ui(ui, doc));
                if self.view == View::Compare {
                    let parts = views::compare::Parts {
                        compare: &mut self.compare,
                        doc,
                        other: self.other.as_ref(),
                        recent: &self.recent,
                    };
                    egui::CentralPanel::default()
                        .show(ui, |ui| views::compare::ui(ui, parts, &mut out));
                    self.apply(out, &ctx);
                    return;
                }
                if doc.heap.is_some() {
                    egui::Panel::right("why_alive")
                        .default_size(420.0)
                        .min_size(280.0)
                        .resizable(true)
                        .show(ui, |ui| views::why_alive::ui(ui, doc, &mut out));
                }
                egui::CentralPanel::default()
                    .show(ui, |ui| views::show(ui, doc, self.view, &mut out));
            }
        }
        self.apply(out, &ctx);
    }
}

const OPEN: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::O);
const BACK: KeyboardShortcut = KeyboardShortcut::new(Modifiers::ALT, Key::ArrowLeft);
const FORWARD: KeyboardShortcut = KeyboardShortcut::new(Modifiers::ALT, Key::ArrowRight);

impl eframe::App for HeapscopeApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.window_ui(ui);
    }

    fn on_exit(&mut self) {
        if std::env::var_os("HEAPSCOPE_FRAME_STATS").is_some() {
            eprintln!("frames: {}", self.frame_stats.report());
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if let Ok(s) = serde_json::to_string(&self.recent) {
            storage.set_string(RECENT_KEY, s);
        }
    }
}

pub use crate::demo::{DEMO_DUMP, demo_file};

/// The window icon (assets/icons, drawn for heapscope).
const ICON: &[u8] =
    include_bytes!("../../assets/icons/hicolor/256x256/apps/io.github.heapscope.Heapscope.png");

/// Opens the window: on `path` if given (its heap dump `heap_dump`, or
/// the last), on the built-in demo dump if `demo`, else on the start page.
pub fn run(path: Option<PathBuf>, demo: bool, heap_dump: Option<usize>) -> Result<(), String> {
    let started = std::time::Instant::now();
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("heapscope")
            .with_app_id(APP_ID)
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([640.0, 400.0])
            .with_drag_and_drop(true)
            .with_icon(eframe::icon_data::from_png_bytes(ICON).unwrap_or_default()),
        persist_window: true,
        ..Default::default()
    };
    eframe::run_native(
        "heapscope",
        options,
        Box::new(move |cc| {
            let mut app = HeapscopeApp::new(cc.storage);
            // Frame timings count from the start of `run`, window creation included.
            app.frame_stats.started = Some(started);
            if let Some(p) = path {
                app.open_heap_dump(p, heap_dump, &cc.egui_ctx);
            } else if demo {
                app.open_demo(&cc.egui_ctx);
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| e.to_string())
}

/// Loads a dump completely in this thread (for screenshots and tests).
pub fn load_document(path: &Path) -> Result<Document, String> {
    load_heap_dump(path, None)
}

/// [`load_document`] of heap dump `heap_dump` (or the last) of the file.
pub fn load_heap_dump(path: &Path, heap_dump: Option<usize>) -> Result<Document, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    jobs::load(
        path,
        heap_dump,
        true,
        &crate::progress::Progress::new(),
        &tx,
        &|| {},
    )?;
    drop(tx);
    let mut doc = Document::from_results(path.to_path_buf(), rx);
    doc.heap_dump = heap_dump;
    Ok(doc)
}
