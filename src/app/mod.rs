//! The desktop window (eframe/egui). Nothing else depends on it.
//!
//! This file is the frame loop: take what tasks report, draw the menu, the
//! bars, the "why alive" panel and the view shown, then apply the commands
//! they sent. The open dumps are [`Document`]s, each with the state of its
//! views ([`views::Views`]); the comparison is the app's.

mod actions;
mod chooser;
mod command;
mod comparison;
mod document;
mod frame_stats;
mod load;
mod menu;
mod native;
mod screenshot;
mod task;
mod views;
mod widgets;

pub use crate::demo::{DEMO_DUMP, demo_file};
pub use command::{Command, DumpId, Exclude, Purpose, Query, Retention, Target, View};
pub use comparison::Comparison;
pub use document::{Document, Tree};
pub use frame_stats::FrameStats;
pub use load::Loaded;
pub use native::{load_document, load_heap_dump, run};
pub use screenshot::{compare_documents, screenshot};
pub use views::Views;
pub use views::compare::Section;
pub use views::histogram::Col as HistogramCol;
pub use widgets::Sort;

use std::path::{Path, PathBuf};

use crate::heap::LoadOptions;
use task::{Task, Waker};
use views::ViewContext;

/// One identifier for the window, the .desktop file and the icon.
pub const APP_ID: &str = "io.github.heapscope.Heapscope";

/// An open dump and the state of its views.
pub struct Tab {
    pub doc: Document,
    pub views: Views,
}

/// The application.
pub struct HeapscopeApp {
    pub frame_stats: FrameStats,
    shown_title: String,
    /// The dump shown, and the one open beside it (kept to compare with).
    shown: Option<Tab>,
    other: Option<Tab>,
    pub comparison: Option<Comparison>,
    pub compare_view: views::compare::CompareView,
    pub why_alive: views::why_alive::WhyAlivePanel,
    pub view: View,
    pub retention: Retention,
    recent: Vec<PathBuf>,
    /// The SQL queries run, the last first (remembered like `recent`).
    sql_history: Vec<String>,
    /// A temporary copy of the built-in demo dump, kept while open.
    demo: Option<tempfile::NamedTempFile>,
    /// A file being chosen: the desktop's dialog, or ours without one.
    dialog: Option<(Purpose, Task<chooser::Portal>)>,
    pub chooser: Option<(Purpose, chooser::Chooser)>,
    next_id: u64,
    waker: Waker,
}

const RECENT_KEY: &str = "recent_files";
const SQL_HISTORY_KEY: &str = "sql_history";
const SQL_HISTORY_LEN: usize = 50;

impl HeapscopeApp {
    pub fn new(storage: Option<&dyn eframe::Storage>) -> HeapscopeApp {
        let recent = storage
            .and_then(|s| s.get_string(RECENT_KEY))
            .and_then(|s| serde_json::from_str::<Vec<PathBuf>>(&s).ok())
            .unwrap_or_default();
        let sql_history = storage
            .and_then(|s| s.get_string(SQL_HISTORY_KEY))
            .and_then(|s| serde_json::from_str::<Vec<String>>(&s).ok())
            .unwrap_or_default()
            .into_iter()
            .take(SQL_HISTORY_LEN)
            .collect();
        HeapscopeApp {
            frame_stats: FrameStats::starting_now(),
            shown_title: String::new(),
            shown: None,
            other: None,
            comparison: None,
            compare_view: Default::default(),
            why_alive: Default::default(),
            view: View::Overview,
            retention: Retention::All,
            recent,
            sql_history,
            demo: None,
            dialog: None,
            chooser: None,
            next_id: 0,
            waker: Waker::new(|| {}),
        }
    }

    /// The dump shown.
    pub fn doc(&self) -> Option<&Document> {
        self.shown.as_ref().map(|t| &t.doc)
    }

    /// The dump open beside it.
    pub fn other(&self) -> Option<&Document> {
        self.other.as_ref().map(|t| &t.doc)
    }

    pub fn views(&self) -> Option<&Views> {
        self.shown.as_ref().map(|t| &t.views)
    }

    pub fn views_mut(&mut self) -> Option<&mut Views> {
        self.shown.as_mut().map(|t| &mut t.views)
    }

    fn new_id(&mut self) -> DumpId {
        self.next_id += 1;
        DumpId(self.next_id)
    }

    /// Opens a dump, whatever the source (command line, dialog, drop): its
    /// heap dump `heap_dump` in a file of several (`None`: the last). The
    /// dump shown so far stays open beside it, for comparisons.
    pub fn open_heap_dump(&mut self, path: PathBuf, heap_dump: Option<usize>) {
        let same = |t: &Tab, path: &Path| t.doc.path == path;
        if heap_dump.is_none() && self.other.as_ref().is_some_and(|t| same(t, &path)) {
            std::mem::swap(&mut self.shown, &mut self.other);
            return;
        }
        if self.other.as_ref().is_some_and(|t| same(t, &path)) {
            self.other = None;
        }
        let doc = self.start_loading(path.clone(), heap_dump);
        let old = self.shown.replace(Tab {
            doc,
            views: Views::default(),
        });
        // Another snapshot of the same file replaces it.
        if let Some(old) = old.filter(|o| !same(o, &path)) {
            self.other = Some(old);
        }
        self.forget_stale_comparison();
        self.view = View::Overview;
    }

    pub fn open(&mut self, path: PathBuf) {
        self.open_heap_dump(path, None)
    }

    fn start_loading(&mut self, path: PathBuf, heap_dump: Option<usize>) -> Document {
        self.recent.retain(|p| p != &path);
        // The demo is a temporary file: no index beside it, not recent.
        let demo = self.demo.as_ref().is_some_and(|d| d.path() == path);
        if !demo {
            self.recent.insert(0, path.clone());
            self.recent.truncate(10);
        }
        let task = load::start(path.clone(), heap_dump, !demo, self.waker.clone());
        let mut doc = Document::new(self.new_id(), path, Some(task));
        doc.heap_dump = heap_dump;
        if demo {
            doc.name = "demo.hprof.gz".into();
        }
        doc
    }

    /// Opens the built-in demo dump.
    pub fn open_demo(&mut self) {
        match demo_file() {
            Ok(f) => {
                let path = f.path().to_path_buf();
                self.demo = Some(f);
                self.open(path);
            }
            Err(e) => {
                let mut doc = Document::new(self.new_id(), PathBuf::from("demo.hprof.gz"), None);
                doc.error = Some(format!("cannot unpack the demo dump: {e}"));
                self.shown = Some(Tab {
                    doc,
                    views: Views::default(),
                });
            }
        }
    }

    /// Compares the shown dump with `baseline`, loading it as the other
    /// dump unless it is open.
    fn compare_with(&mut self, baseline: PathBuf) {
        let Some(current) = self.doc().map(|d| (d.id, d.path.clone())) else {
            return;
        };
        if baseline == current.1 {
            return;
        }
        if self.other().is_none_or(|d| d.path != baseline) {
            let doc = self.start_loading(baseline, None);
            self.other = Some(Tab {
                doc,
                views: Views::default(),
            });
        }
        let b = self.other().expect("set").id;
        self.comparison = Some(Comparison::new(b, current.0));
        self.compare_view.forget_rows();
        self.view = View::Compare;
    }

    /// Drops the comparison when one of its dumps is no longer open.
    fn forget_stale_comparison(&mut self) {
        let open: Vec<DumpId> = self
            .doc()
            .iter()
            .chain(self.other().iter())
            .map(|d| d.id)
            .collect();
        if self
            .comparison
            .as_ref()
            .is_some_and(|c| !open.contains(&c.baseline) || !open.contains(&c.current))
        {
            self.comparison = None;
        }
    }

    /// Shows the open dump `id`; the tab of it, if open.
    fn activate(&mut self, id: DumpId) -> Option<&mut Tab> {
        if self.other.as_ref().is_some_and(|t| t.doc.id == id) {
            std::mem::swap(&mut self.shown, &mut self.other);
        }
        self.shown.as_mut().filter(|t| t.doc.id == id)
    }

    /// Asks the desktop for a file; our own chooser opens when it has no
    /// dialog to show.
    fn choose(&mut self, purpose: Purpose) {
        if self.dialog.is_some() || self.chooser.is_some() {
            return;
        }
        let task = Task::compute("dialog", self.waker.clone(), move |_| {
            chooser::portal_pick(purpose.title())
        });
        self.dialog = Some((purpose, task));
    }

    fn picked(&mut self, purpose: Purpose, path: PathBuf) {
        match purpose {
            Purpose::Open => self.open(path),
            Purpose::Baseline => self.compare_with(path),
        }
    }

    /// The dialog's answer, or the built-in chooser's.
    fn poll_choosers(&mut self, ctx: &egui::Context) {
        if let Some((purpose, task)) = &mut self.dialog {
            let purpose = *purpose;
            if let Some(answer) = task.poll() {
                self.dialog = None;
                match answer {
                    chooser::Portal::Picked(p) => self.picked(purpose, p),
                    chooser::Portal::Cancelled => {}
                    chooser::Portal::Unavailable => self.show_chooser(purpose),
                }
            }
        }
        if let Some((purpose, c)) = &mut self.chooser {
            let purpose = *purpose;
            match c.ui(ctx) {
                Some(chooser::Outcome::Picked(p)) => {
                    self.chooser = None;
                    self.picked(purpose, p);
                }
                Some(chooser::Outcome::Cancelled) => self.chooser = None,
                None => {}
            }
        }
    }

    /// Opens the built-in chooser (also what the portal's absence opens).
    pub fn show_chooser(&mut self, purpose: Purpose) {
        let start = self
            .doc()
            .and_then(|d| d.path.parent().map(Path::to_path_buf))
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_else(|| PathBuf::from("/"));
        self.chooser = Some((purpose, chooser::Chooser::new(purpose.title(), start)));
    }

    fn apply(&mut self, commands: Vec<Command>) {
        for c in commands {
            self.apply_one(c);
        }
    }

    fn apply_one(&mut self, command: Command) {
        match command {
            // The selection shows in the "why alive" panel of every view
            // and in the inspector; the view stays.
            Command::Select(id, o) => {
                if let Some(t) = self.activate(id) {
                    t.doc.select(o);
                }
            }
            Command::Show(v) => self.view = v,
            Command::Open(p) => self.open(p),
            Command::Choose(purpose) => self.choose(purpose),
            Command::CompareWith(p) => self.compare_with(p),
            Command::Activate(id) => {
                self.activate(id);
            }
            Command::SwapComparison => {
                if let Some(c) = &mut self.comparison {
                    *c = Comparison::new(c.current, c.baseline);
                    self.compare_view.forget_rows();
                }
            }
            Command::CloseComparison => self.comparison = None,
            Command::DeleteIndex => {
                if let Some(doc) = self.shown.as_mut().map(|t| &mut t.doc) {
                    let options = LoadOptions {
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
            Command::OpenDemo => self.open_demo(),
            Command::SqlRan(query) => {
                self.sql_history.retain(|q| *q != query);
                self.sql_history.insert(0, query);
                self.sql_history.truncate(SQL_HISTORY_LEN);
            }
            Command::PickHeapDump(k) => {
                if let Some(path) = self.doc().map(|d| d.path.clone()) {
                    self.open_heap_dump(path, Some(k));
                }
            }
            Command::Back => {
                if let Some(t) = &mut self.shown {
                    t.doc.back();
                }
            }
            Command::Forward => {
                if let Some(t) = &mut self.shown {
                    t.doc.forward();
                }
            }
            Command::Instances(id, c) => {
                if let Some(t) = self.activate(id) {
                    t.views.histogram.show_instances(c);
                    self.view = View::Histogram;
                }
            }
            Command::FinalizerClass(id, c) => {
                if let Some(t) = self.activate(id) {
                    t.views.finalizers.show_class(c);
                    self.view = View::Finalizers;
                }
            }
            Command::ShowInTree(id, o) => {
                if let Some(t) = self.activate(id) {
                    t.doc.select(o);
                    t.views.dominators.reveal(o);
                    self.view = View::Dominators;
                }
            }
            Command::Query(id, q) => {
                if let Some(t) = self.activate(id) {
                    t.views.query.show(id, q);
                    self.view = View::Query;
                }
            }
            Command::Retain(r) => self.retention = r,
        }
    }

    /// The window's title.
    pub fn title(&self) -> String {
        match self.doc() {
            Some(doc) => format!("heapscope - {}", doc.label()),
            None => "heapscope".to_string(),
        }
    }

    /// Takes what every task reported; starts the strong trees that the
    /// retention chosen or a comparison needs, stops those no longer needed.
    fn poll(&mut self, ctx: &egui::Context) {
        for t in self.shown.iter_mut().chain(self.other.iter_mut()) {
            t.doc.poll();
            let compared = self
                .comparison
                .as_ref()
                .is_some_and(|c| c.involves(t.doc.id));
            // The suspects are computed over the strong tree (with an index
            // it comes with the load).
            let wanted = compared || self.retention == Retention::Strong || !t.doc.is_loading();
            t.doc.want_strong_tree(wanted, &self.waker);
            t.doc.want_leaks(&self.waker);
            t.doc.want_waste(self.view == View::Waste, &self.waker);
        }
        if let (Some(c), Some(a), Some(b)) = (&mut self.comparison, &self.shown, &self.other) {
            let (base, cur) = if c.baseline == a.doc.id {
                (&a.doc, &b.doc)
            } else {
                (&b.doc, &a.doc)
            };
            c.poll(base, cur, &self.waker);
        }
        self.poll_choosers(ctx);
    }

    /// The whole window, for eframe and for offscreen rendering.
    pub fn window_ui(&mut self, ui: &mut egui::Ui) {
        let t = std::time::Instant::now();
        self.frame_ui(ui);
        let doc = self.shown.as_ref().map(|t| &t.doc);
        self.frame_stats.record(t.elapsed().as_secs_f64(), doc);
    }

    fn frame_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        if self.frame_stats.frames == 0 {
            // Offscreen (tests, screenshots): no creation context.
            self.waker = Waker::of(&ctx);
        }
        // Only on change: a viewport command asks for another frame.
        let title = self.title();
        if self.shown_title != title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.shown_title = title;
        }
        self.poll(&ctx);
        let mut out = Vec::new();
        let dropped = ctx.input(|i| i.raw.dropped_files.first().map(|f| f.path().to_path_buf()));
        if let Some(p) = dropped {
            out.push(Command::Open(p));
        }
        menu::shortcuts(&ctx, &mut out);
        let m = menu::MenuContext {
            shown: self.doc(),
            other: self.other(),
            recent: &self.recent,
            view: self.view,
        };
        egui::Panel::top("menu").show(ui, |ui| menu::menu_ui(ui, &m, &mut out));
        let Some(tab) = &mut self.shown else {
            egui::CentralPanel::default()
                .show(ui, |ui| views::start::ui(ui, &self.recent, &mut out));
            self.apply(out);
            return;
        };
        let vc = ViewContext {
            doc: &tab.doc,
            other: self.other.as_ref().map(|t| &t.doc),
            comparison: self.comparison.as_ref(),
            recent: &self.recent,
            sql_history: &self.sql_history,
            retention: self.retention,
            waker: self.waker.clone(),
        };
        egui::Panel::top("nav").show(ui, |ui| tab.views.nav.ui(ui, &vc, self.view, &mut out));
        egui::Panel::bottom("status").show(ui, |ui| views::nav::status_ui(ui, &vc, &mut out));
        if self.view == View::Compare {
            egui::CentralPanel::default().show(ui, |ui| self.compare_view.ui(ui, &vc, &mut out));
        } else {
            if vc.doc.heap.is_some() {
                // A third of a small window, so that the views' tables
                // keep their columns at 1024 px.
                egui::Panel::right("why_alive")
                    .default_size((ui.available_width() * 0.32).clamp(280.0, 420.0))
                    .min_size(280.0)
                    .max_size(ui.available_width() * 0.7)
                    .resizable(true)
                    .show(ui, |ui| self.why_alive.ui(ui, &vc, &mut out));
            }
            egui::CentralPanel::default().show(ui, |ui| tab.views.ui(ui, self.view, &vc, &mut out));
        }
        self.apply(out);
    }
}
