//! The overview: what the dump is, the biggest objects, the finalizer
//! headline.

use egui::RichText;

use super::{ViewContext, waiting};
use crate::app::command::{Command, View};
use crate::app::widgets::{count_label, object_link, size_label};
use crate::heap::ObjectIx;
use crate::hprof::Compression;
use crate::units::{bytes, thousands};

pub fn ui(ui: &mut egui::Ui, ctx: &ViewContext, out: &mut Vec<Command>) {
    let doc = ctx.doc;
    let Some(heap) = doc.heap.clone() else {
        waiting(ui, "Reading the dump");
        return;
    };
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.heading(&doc.name);
            ui.add_space(4.0);
            heap_dump_ui(ui, &heap, out);
            suspects_ui(ui, ctx, &heap, out);
            if let Some(report) = &doc.finalizers {
                if !report.entries.is_empty() {
                    let stuck = report
                        .threads
                        .iter()
                        .find_map(|t| t.in_finalize_of.clone())
                        .map(|c| format!("; finalizer thread stuck in {c}.finalize()"))
                        .unwrap_or_default();
                    let text = format!(
                        "{} finalizers; {} pending{stuck}",
                        thousands(report.entries.len() as u64),
                        thousands(report.pending)
                    );
                    let frame = egui::Frame::group(ui.style()).fill(ui.visuals().faint_bg_color);
                    frame.show(ui, |ui| {
                        ui.horizontal(|ui| {
                            ui.label(RichText::new("Finalizers").strong());
                            if ui.link(RichText::new(text).strong()).clicked() {
                                out.push(Command::Show(View::Finalizers));
                            }
                        });
                    });
                    ui.add_space(6.0);
                }
            }
            let census = heap.census();
            let header = &census.records.header;
            egui::Grid::new("overview_facts")
                .num_columns(2)
                .spacing([24.0, 6.0])
                .striped(true)
                .show(ui, |ui| {
                    ui.label("File");
                    let mut file = doc.path.display().to_string();
                    if doc
                        .path
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy() != doc.name)
                    {
                        file.push_str(" (the built-in demo, unpacked while it is open)");
                    }
                    ui.add(egui::Label::new(file).wrap());
                    ui.end_row();
                    ui.label("Format");
                    let compression = match heap.dump().compression() {
                        Compression::None => String::new(),
                        Compression::Gzip {
                            compressed_bytes, ..
                        } => format!(", gzip ({} on disk)", bytes(*compressed_bytes)),
                    };
                    ui.label(format!(
                        "{}, {}-byte ids, {}{compression}",
                        header.version.magic(),
                        header.id_size,
                        bytes(heap.dump().bytes().len() as u64)
                    ));
                    ui.end_row();
                    ui.label("JVM");
                    ui.add(egui::Label::new(census.jvm.describe()).wrap());
                    ui.end_row();
                    if !doc.index_notes.is_empty() {
                        ui.label("Index");
                        ui.add(egui::Label::new(doc.index_notes.join("\n")).wrap());
                        ui.end_row();
                    }
                    ui.label("JVM layout");
                    ui.add(egui::Label::new(census.layout.describe()).wrap());
                    ui.end_row();
                    ui.label("Objects");
                    count_label(ui, heap.object_count() as u64);
                    ui.end_row();
                    ui.label("Classes");
                    count_label(ui, heap.classes().len() as u64);
                    ui.end_row();
                    ui.label("Shallow size");
                    size_label(ui, census.shallow_total());
                    ui.end_row();
                    ui.label("Unreachable");
                    match ctx.tree() {
                        Some(t) => {
                            ui.label(format!("{} objects", thousands(t.doms.unreachable())));
                        }
                        None => {
                            ui.label(egui::RichText::new("computing...").weak());
                        }
                    }
                    ui.end_row();
                    ui.label("References");
                    ui.label(format!(
                        "{} ({} to missing objects)",
                        thousands(heap.reference_count()),
                        thousands(heap.dangling().len() as u64)
                    ));
                    ui.end_row();
                    ui.label("GC roots");
                    ui.label(crate::report::summary::gc_roots_text(&heap));
                    ui.end_row();
                    ui.label("Threads");
                    count_label(ui, heap.threads().len() as u64);
                    ui.end_row();
                });
            ui.add_space(12.0);
            ui.label(RichText::new("Biggest objects").strong());
            ui.label(RichText::new(super::retained_note(ctx)).weak());
            match ctx.tree() {
                Some(tree) => {
                    let (doms, children) = (&tree.doms, &tree.children);
                    let total = doms.reachable_bytes();
                    egui::Grid::new("biggest")
                        .num_columns(3)
                        .spacing([16.0, 4.0])
                        .striped(true)
                        .show(ui, |ui| {
                            ui.label(RichText::new("retained").weak());
                            ui.label(RichText::new("share").weak());
                            ui.label(RichText::new("object").weak());
                            ui.end_row();
                            for &o in children.roots().iter().take(10) {
                                size_label(ui, doms.retained(o));
                                crate::app::widgets::share_bar(ui, doms.retained(o), total);
                                object_link(ui, &heap, ctx.dump(), ObjectIx(o), out);
                                ui.end_row();
                            }
                        });
                    if ui.button("Open the dominator tree").clicked() {
                        out.push(Command::Show(View::Dominators));
                    }
                }
                None => waiting(ui, "Computing retained sizes"),
            }
            if !doc.warnings.is_empty() {
                ui.add_space(12.0);
                ui.label(
                    RichText::new("Warnings")
                        .strong()
                        .color(ui.visuals().warn_fg_color),
                );
                for w in &doc.warnings {
                    ui.label(RichText::new(w).monospace());
                }
            }
        });
}

/// In a file of several heap dumps, which one is shown, and a combo box
/// that loads another: "Heap dump: #1 of 2 (taken 2026-11-24 21:03:56 UTC)".
fn heap_dump_ui(ui: &mut egui::Ui, heap: &crate::heap::Heap, out: &mut Vec<Command>) {
    let records = &heap.census().records;
    let n = records.heap_dumps.len();
    let Some(shown) = records.heap_dump.filter(|_| n > 1) else {
        return;
    };
    let text = |d: &crate::hprof::HeapDump| {
        format!(
            "#{} of {n} (taken {})",
            d.index,
            crate::units::utc_time(d.timestamp_ms)
        )
    };
    ui.horizontal(|ui| {
        let label = ui.label("Heap dump:");
        egui::ComboBox::from_id_salt("heap_dump")
            .selected_text(text(&records.heap_dumps[shown]))
            .show_ui(ui, |ui| {
                for d in &records.heap_dumps {
                    if ui.selectable_label(d.index == shown, text(d)).clicked() && d.index != shown
                    {
                        out.push(Command::PickHeapDump(d.index));
                    }
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text("This file holds several heap dumps (snapshots); pick one to load it");
    });
    ui.add_space(4.0);
}

/// The Suspects section: the most severe findings, each a link to the
/// Suspects view.
fn suspects_ui(
    ui: &mut egui::Ui,
    ctx: &ViewContext,
    heap: &crate::heap::Heap,
    out: &mut Vec<Command>,
) {
    let frame = egui::Frame::group(ui.style()).fill(ui.visuals().faint_bg_color);
    frame.show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal(|ui| {
            ui.label(RichText::new("Leak suspects").strong());
            match ctx.doc.leaks() {
                Some(report) => {
                    if ui
                        .link(RichText::new(super::suspects::headline(report)).strong())
                        .clicked()
                    {
                        out.push(Command::Show(View::Suspects));
                    }
                }
                None => {
                    ui.label(RichText::new("looking...").weak());
                }
            }
        });
        let Some(report) = ctx.doc.leaks() else {
            return;
        };
        for f in report.findings.iter().take(3) {
            ui.horizontal(|ui| {
                ui.label(
                    RichText::new(f.severity.label().to_uppercase())
                        .small()
                        .strong()
                        .color(super::suspects::severity_color(ui, f.severity)),
                );
                super::suspects::sentence_ui(ui, &f.sentence);
            });
        }
        if let Some(o) = report.findings.first().and_then(|f| f.focus) {
            ui.horizontal(|ui| {
                ui.label(RichText::new("first holder").weak());
                object_link(ui, heap, ctx.dump(), ObjectIx(o), out);
            });
        }
    });
    ui.add_space(6.0);
}
