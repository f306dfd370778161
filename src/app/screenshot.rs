//! Renders a view of a dump to a PNG without a window (the README's
//! pictures, and checks): the real app drawn offscreen by egui_kittest's
//! wgpu renderer, which picks a software rasterizer where there is one.

use std::path::Path;

use super::command::{Command, DumpId, Retention, View};
use super::views::compare::Section;
use super::views::histogram_groups::Group as HistogramGroup;
use super::{Comparison, Document, HeapscopeApp, Tab, Tree, Views, load_heap_dump};
use crate::analysis::diff;
use crate::analysis::groups::GroupBy;
use crate::heap::{ClassIx, ObjectIx};
use crate::progress::Progress;

/// Loads `dump` completely, shows `view` (the inspector on the biggest
/// object; the Finalizers view on the class with most finalizers; the
/// comparison with `baseline`, on its section `section`) and writes a
/// `width` x `height` picture to `out`. `heap_dumps` picks the heap dump
/// of `dump` and of `baseline` in files of several (`None`: the last).
/// `group` groups the dominator tree (class, class loader, package) or
/// the histogram (package, superclass, class loader), its first group
/// expanded.
#[allow(clippy::too_many_arguments)]
pub fn screenshot(
    dump: &Path,
    baseline: Option<&Path>,
    heap_dumps: [Option<usize>; 2],
    view: View,
    section: Section,
    group: Option<&str>,
    out: &Path,
    width: f32,
    height: f32,
) -> Result<(), String> {
    let dominator_group = match (view, group) {
        (View::Dominators, Some(g)) => Some(
            GroupBy::ALL
                .into_iter()
                .find(|b| b.label() == g)
                .ok_or_else(|| format!("no grouping '{g}': class, class loader or package"))?,
        ),
        _ => None,
    };
    let histogram_group = match (view, group) {
        (View::Histogram, Some(g)) => Some(
            HistogramGroup::ALL
                .into_iter()
                .find(|b| b.label() == g)
                .ok_or_else(|| format!("no grouping '{g}': package, superclass or class loader"))?,
        ),
        _ => None,
    };
    if group.is_some() && !matches!(view, View::Dominators | View::Histogram) {
        return Err("--group goes with --view dominators or histogram".into());
    }
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
    if let Some(v) = app.views_mut() {
        match view {
            View::Dominators => {
                v.dominators.set_group(dominator_group);
                v.dominators.expand_first();
            }
            View::Histogram => {
                if let Some(g) = histogram_group {
                    v.histogram.set_group(g);
                }
            }
            View::Threads => v.threads.choose_biggest(&heap),
            View::Sql => {
                use crate::app::views::sql::{EXAMPLES, SCREENSHOT_EXAMPLE};
                let example = EXAMPLES.iter().find(|e| e.0 == SCREENSHOT_EXAMPLE);
                v.sql.run_on_show(example.expect("one of the examples").1);
            }
            _ => {}
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
    if histogram_group.is_some() {
        // The first group shown, expanded.
        if let Some(v) = harness.state_mut().views_mut() {
            v.histogram.expand_first();
        }
        harness.run_steps(3);
    }
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
            d.is_loading()
                || d.strong_progress().is_some()
                || d.leaks_progress().is_some()
                || d.waste_progress().is_some()
        }) || self.why_alive.is_running()
            || self.views().is_some_and(Views::is_busy)
    }
}
