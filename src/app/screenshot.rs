//! Renders a view of a dump to a PNG without a window (the README's
//! pictures, and checks): the real app drawn offscreen by egui_kittest's
//! wgpu renderer, which picks a software rasterizer where there is one.

use std::path::Path;

use super::command::{Command, DumpId, Retention, View};
use super::views::compare::Section;
use super::{Comparison, Document, HeapscopeApp, Tab, Tree, Views, load_heap_dump};
use crate::analysis::diff;
use crate::heap::{ClassIx, ObjectIx};
use crate::progress::Progress;

/// Loads `dump` completely, shows `view` (the inspector on the biggest
/// object; the Finalizers view on the class with most finalizers; the
/// comparison with `baseline`, on its section `section`) and writes a
/// `width` x `height` picture to `out`. `heap_dumps` picks the heap dump
/// of `dump` and of `baseline` in files of several (`None`: the last).
#[allow(clippy::too_many_arguments)]
pub fn screenshot(
    dump: &Path,
    baseline: Option<&Path>,
    heap_dumps: [Option<usize>; 2],
    view: View,
    section: Section,
    out: &Path,
    width: f32,
    height: f32,
) -> Result<(), String> {
    let doc = load_heap_dump(dump, heap_dumps[0])?;
    if std::env::var_os("HEAPSCOPE_FRAME_STATS").is_some() {
        let steps: Vec<String> = doc
            .timings
            .iter()
            .map(|(n, t)| format!("{n} {t:.2} s"))
            .collect();
        eprintln!("loaded: {}", steps.join(", "));
    }
    let heap = doc.heap.clone().ok_or("the dump did not load")?;
    let id = doc.id;
    let tree = doc.tree(Retention::All).cloned();
    // Something worth seeing in the "why alive" panel.
    let mut selected = tree
        .as_ref()
        .and_then(|t| t.children.roots().first().copied());
    let mut commands = Vec::new();
    if view == View::Finalizers {
        if let Some(row) = doc.finalizers.as_ref().and_then(|r| r.by_class.first()) {
            commands.push(Command::FinalizerClass(id, ClassIx(row.class)));
            let report = doc.finalizers.as_ref().expect("checked");
            let referent = report
                .entries
                .iter()
                .filter_map(|e| e.referent)
                .find(|&r| heap.class_of(r) == row.class);
            selected = referent.or(selected);
        }
    }
    if let Some(o) = selected {
        commands.push(Command::Select(id, ObjectIx(o)));
    }
    let mut app = HeapscopeApp::with_document(doc, view);
    for c in commands {
        app.apply_one(c);
    }
    app.view = view;
    if view == View::Dominators {
        if let (Some(t), Some(v)) = (&tree, app.views_mut()) {
            v.dominators.expand_first(t);
        }
    }
    if let Some(b) = baseline {
        let mut other = load_heap_dump(b, heap_dumps[1])?;
        other.id = DumpId(id.0 + 1);
        let compare = compare_documents(&other, app.doc().expect("set"))?;
        app.compare_view.section = section;
        app.comparison = Some(compare);
        app.set_other(other);
    }
    let mut harness = egui_kittest::Harness::builder()
        .with_size(egui::vec2(width, height))
        .wgpu()
        .build_ui_state(|ui, app: &mut HeapscopeApp| app.window_ui(ui), app);
    // Steps until the tasks the views started (paths, sizes) report.
    let start = std::time::Instant::now();
    harness.run_steps(6);
    while start.elapsed().as_secs() < 20 && harness.state().busy() {
        std::thread::sleep(std::time::Duration::from_millis(20));
        harness.step();
    }
    harness.run_steps(3);
    let image = harness.render()?;
    image
        .save(out)
        .map_err(|e| format!("{}: {e}", out.display()))
}

/// The comparison of two loaded documents, computed in this thread.
pub fn compare_documents(baseline: &Document, current: &Document) -> Result<Comparison, String> {
    let snapshot = |d: &Document| {
        let heap = d.heap.as_ref().ok_or("the dump did not load")?;
        let report = d.finalizers.as_ref().ok_or("no finalizers")?;
        let computed;
        let strong = match d.tree(Retention::Strong) {
            Some(t) => t.as_ref(),
            None => {
                computed =
                    Tree::compute(heap, Retention::Strong, &Progress::new()).ok_or("cancelled")?;
                &computed
            }
        };
        Ok::<_, String>(diff::Snapshot::of_indexed(
            heap,
            &d.label(),
            &strong.doms,
            report,
        ))
    };
    let result = diff::compare(&snapshot(baseline)?, &snapshot(current)?);
    Ok(Comparison::from_diff(baseline.id, current.id, result))
}

/// What screenshots and tests need of the app.
impl HeapscopeApp {
    /// An app showing a document loaded in advance.
    pub fn with_document(doc: Document, view: View) -> HeapscopeApp {
        let mut app = HeapscopeApp::new(None);
        app.next_id = doc.id.0 + 1;
        app.shown = Some(Tab {
            doc,
            views: Views::default(),
        });
        app.view = view;
        app
    }

    /// Opens a second document beside the shown one (for screenshots).
    pub fn set_other(&mut self, doc: Document) {
        self.next_id = self.next_id.max(doc.id.0 + 1);
        self.other = Some(Tab {
            doc,
            views: Views::default(),
        });
    }

    /// Some task the window waits for is still running (for screenshots).
    pub fn busy(&self) -> bool {
        let docs = self.doc().into_iter().chain(self.other());
        docs.into_iter().any(|d| {
            d.is_loading() || d.strong_progress().is_some() || d.leaks_progress().is_some()
        }) || self.why_alive.is_running()
    }
}
