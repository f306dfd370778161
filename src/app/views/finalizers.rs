//! Finalization: registered, pending and in-processing objects by class,
//! the finalizer thread's stack, and the Finalizers and referents of the
//! chosen class.

use egui::RichText;

use super::waiting;
use crate::analysis::finalizers::State;
use crate::app::widgets::{object_link, show_more, size_label};
use crate::app::{Command, Document};
use crate::units::thousands;

pub fn ui(ui: &mut egui::Ui, doc: &mut Document, out: &mut Vec<Command>) {
    let (Some(heap), Some(report)) = (doc.heap.clone(), doc.finalizers.clone()) else {
        waiting(ui, "Finding objects waiting for finalization");
        return;
    };
    if report.entries.is_empty() {
        ui.label(
            "No java.lang.ref.Finalizer in this dump: nothing is registered for finalization.",
        );
        return;
    }
    egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
        ui.heading(format!(
            "{} finalizers: {} registered, {} pending, {} in processing",
            thousands(report.entries.len() as u64),
            thousands(report.registered),
            thousands(report.pending),
            thousands(report.in_processing)
        ));
        ui.label(
            RichText::new(format!(
                "Pending: {} in Finalizer.queue (queueLength {}), {} discovered by the GC, {} no longer strongly reachable.",
                thousands(report.queued),
                report.queue_length.map(|n| n.to_string()).unwrap_or_else(|| "?".into()),
                thousands(report.vm_pending),
                thousands(report.entries.iter().filter(|e| e.state == State::Unreachable).count() as u64),
            ))
            .weak(),
        );
        ui.add_space(8.0);
        ui.label(RichText::new("By referent class (click a class for its objects)").strong());
        egui::Grid::new("finalizers_by_class").num_columns(6).striped(true).spacing([18.0, 4.0]).show(ui, |ui| {
            for h in ["referent class", "finalizers", "registered", "pending", "in processing", "kept only by finalization"] {
                ui.label(RichText::new(h).weak());
            }
            ui.end_row();
            for row in &report.by_class {
                let chosen = doc.ui.finalizer_class == Some(row.class);
                if ui.selectable_label(chosen, &heap.class(row.class).name).clicked() {
                    out.push(Command::FinalizerClass(row.class));
                }
                ui.label(thousands(row.finalizers));
                ui.label(thousands(row.registered));
                ui.label(thousands(row.pending));
                ui.label(thousands(row.in_processing));
                size_label(ui, row.retained);
                ui.end_row();
            }
        });
        ui.add_space(8.0);
        for t in &report.threads {
            let thread = &heap.threads()[t.thread];
            let name = thread.name.as_deref().unwrap_or("?");
            let title = match &t.in_finalize_of {
                Some(c) => format!("Thread \"{name}\" is stuck in {c}.finalize()"),
                None => format!("Thread \"{name}\" is idle"),
            };
            egui::CollapsingHeader::new(RichText::new(title).strong())
                .id_salt(("finalizer_thread", t.thread))
                .default_open(false)
                .show(ui, |ui| {
                    for f in &thread.frames {
                        ui.label(RichText::new(format!("at {}", f.display())).monospace());
                        for &o in &f.locals {
                            ui.horizontal(|ui| {
                                ui.add_space(24.0);
                                ui.label(RichText::new("holds").weak());
                                object_link(ui, &heap, o, out);
                            });
                        }
                    }
                });
        }
        let Some(class) = doc.ui.finalizer_class else { return };
        ui.add_space(8.0);
        ui.label(RichText::new(format!("Referents of class {}", heap.class(class).name)).strong());
        let entries: Vec<_> = report
            .entries
            .iter()
            .filter(|e| e.referent.is_some_and(|r| heap.class_of(r) == class))
            .collect();
        let shown = doc.ui.finalizer_shown.max(100).min(entries.len());
        egui::Grid::new("finalizer_entries").num_columns(3).striped(true).spacing([18.0, 4.0]).show(ui, |ui| {
            for h in ["referent", "state", "finalizer"] {
                ui.label(RichText::new(h).weak());
            }
            ui.end_row();
            for e in &entries[..shown] {
                if let Some(r) = e.referent {
                    object_link(ui, &heap, r, out);
                }
                ui.label(e.state.label());
                object_link(ui, &heap, e.finalizer, out);
                ui.end_row();
            }
        });
        doc.ui.finalizer_shown = show_more(ui, shown, entries.len(), 100);
    });
}
