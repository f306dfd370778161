//! Renders a view of a dump to a PNG without a window (the README's
//! pictures, and checks): the real app drawn offscreen by egui_kittest's
//! wgpu renderer, which picks a software rasterizer where there is one.

use std::path::Path;

use super::{Comparison, Document, HeapscopeApp, View, load_heap_dump};
use crate::analysis::diff::{self, Snapshot};
use crate::analysis::graph::Referents;
use crate::progress::Progress;

/// Loads `dump` completely, shows `view` (the inspector on the biggest
/// object; the Finalizers view on the class with most finalizers; the
/// comparison with `baseline`, on its section `compare_section`) and writes a `width` x `height` picture to
/// `out`. `heap_dumps` picks the heap dump of `dump` and of `baseline`
/// in files of several (`None`: the last).
#[allow(clippy::too_many_arguments)]
pub fn screenshot(
    dump: &Path,
    baseline: Option<&Path>,
    heap_dumps: [Option<usize>; 2],
    view: View,
    compare_section: usize,
    out: &Path,
    width: f32,
    height: f32,
) -> Result<(), String> {
    let mut doc = load_heap_dump(dump, heap_dumps[0])?;
    if std::env::var_os("HEAPSCOPE_FRAME_STATS").is_some() {
        let steps: Vec<String> = doc
            .timings
            .iter()
            .map(|(n, t)| format!("{n} {t:.2} s"))
            .collect();
        eprintln!("loaded: {}", steps.join(", "));
    }
    let heap = doc.heap.clone().ok_or("the dump did not load")?;
    // Something worth seeing in the "why alive" panel.
    let mut selected = doc
        .children
        .as_ref()
        .and_then(|c| c.roots().first().copied());
    if view == View::Finalizers {
        if let Some(report) = &doc.finalizers {
            if let Some(row) = report.by_class.first() {
                doc.ui.finalizer_class = Some(row.class);
                selected = report
                    .entries
                    .iter()
                    .filter_map(|e| e.referent)
                    .find(|&r| heap.class_of(r) == row.class)
                    .or(selected);
            }
        }
    }
    if let Some(o) = selected {
        doc.select(o);
        let search = super::jobs::why_alive_paths(&heap, o, Referents::NONE);
        doc.why_alive = Some((o, Referents::NONE, search));
    }
    if view == View::Dominators {
        if let Some(&top) = doc.children.as_ref().and_then(|c| c.roots().first()) {
            doc.ui.expanded.insert(top, 100);
        }
    }
    let mut app = HeapscopeApp::with_document(doc, view);
    if let Some(b) = baseline {
        let other = load_heap_dump(b, heap_dumps[1])?;
        let mut compare = compare_documents(&other, app.doc.as_ref().expect("set"))?;
        compare.ui.section = compare_section;
        app.compare = Some(compare);
        app.other = Some(other);
    }
    let mut harness = egui_kittest::Harness::builder()
        .with_size(egui::vec2(width, height))
        .wgpu()
        .build_ui_state(|ui, app: &mut HeapscopeApp| app.window_ui(ui), app);
    harness.run_steps(6);
    let image = harness.render()?;
    image
        .save(out)
        .map_err(|e| format!("{}: {e}", out.display()))
}

/// The comparison of two loaded documents, computed in this thread.
pub fn compare_documents(baseline: &Document, current: &Document) -> Result<Comparison, String> {
    let snapshot = |d: &Document| {
        let heap = d.heap.as_ref().ok_or("the dump did not load")?;
        Snapshot::of_model(heap, &d.file_name(), &Progress::new())
            .map_err(|_| "cancelled".to_string())
    };
    let result = diff::compare(&snapshot(baseline)?, &snapshot(current)?);
    Ok(Comparison::from_diff(
        baseline.path.clone(),
        current.path.clone(),
        result,
    ))
}
