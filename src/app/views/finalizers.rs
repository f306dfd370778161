//! Finalization: registered, pending and in-processing objects by class,
//! the finalizer thread's stack, and the Finalizers and referents of the
//! chosen class.

use egui::RichText;

use super::waiting;
use std::sync::Arc;

use crate::analysis::dominators::Dominators;
use crate::analysis::finalizers::{Entry, FinalizerReport, State};
use crate::app::ReferentKey;
use crate::heap::Heap;
use egui_extras::{Column, TableBuilder};

use crate::app::widgets::table_area;
use crate::app::widgets::{object_link, size_label, sort_header};
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
                thousands(report.unreachable),
            ))
            .weak(),
        );
        ui.add_space(8.0);
        ui.label(RichText::new("By referent class (click a class for its objects)").strong());
        let mut rows: Vec<_> = report.by_class.iter().collect();
        let (col, asc) = doc.ui.finalizer_sort;
        rows.sort_by(|a, b| {
            let o = match col {
                0 => heap.class(a.class).name.cmp(&heap.class(b.class).name),
                2 => a.registered.cmp(&b.registered),
                3 => a.pending.cmp(&b.pending),
                4 => a.in_processing.cmp(&b.in_processing),
                5 => a.retained.cmp(&b.retained),
                _ => a.finalizers.cmp(&b.finalizers),
            };
            if asc { o } else { o.reverse() }
        });
        table_area(ui, "finalizer_classes", |ui, row_height| {
            TableBuilder::new(ui)
                .striped(true)
                .vscroll(false)
                .column(Column::auto().at_least(260.0))
                .columns(Column::auto().at_least(90.0), 5)
                .header(row_height + 4.0, |mut header| {
                    let titles = ["referent class", "finalizers", "registered", "pending", "in processing", "kept only by finalization"];
                    for (k, t) in titles.iter().enumerate() {
                        header.col(|ui| sort_header(ui, t, k, &mut doc.ui.finalizer_sort, k == 0));
                    }
                })
                .body(|mut body| {
                    for row in &rows {
                        body.row(row_height, |mut r| {
                            r.col(|ui| {
                                let chosen = doc.ui.finalizer_class == Some(row.class);
                                if ui.selectable_label(chosen, &heap.class(row.class).name).clicked() {
                                    out.push(Command::FinalizerClass(row.class));
                                }
                            });
                            r.col(|ui| {
                                ui.label(thousands(row.finalizers));
                            });
                            r.col(|ui| {
                                ui.label(thousands(row.registered));
                            });
                            r.col(|ui| {
                                ui.label(thousands(row.pending));
                            });
                            r.col(|ui| {
                                ui.label(thousands(row.in_processing));
                            });
                            r.col(|ui| {
                                size_label(ui, row.retained);
                            });
                        });
                    }
                });
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
                .show(ui, |ui| super::threads::frames_ui(ui, &heap, thread, out));
        }
        let Some(class) = doc.ui.finalizer_class else { return };
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            ui.label(RichText::new(format!("Objects of class {}", heap.class(class).name)).strong());
            ui.label("  show:");
            let choices = [
                ("all", None),
                ("registered only", Some("registered")),
                ("pending only", Some("pending")),
                ("in processing only", Some("in processing")),
            ];
            for (label, value) in choices {
                if ui.selectable_label(doc.ui.referent_state == value, label).clicked() {
                    doc.ui.referent_state = value;
                }
            }
        });
        // Filtered and sorted once per (class, state, order), not per
        // frame: a class can have a million Finalizers.
        let key = (class, doc.ui.referent_state, doc.ui.referent_sort);
        if doc.ui.referents.as_ref().is_none_or(|(k, _)| *k != key) {
            let list = referents(&heap, &report, doc.doms.as_deref(), key);
            doc.ui.referents = Some((key, Arc::new(list)));
        }
        let entries = doc.ui.referents.as_ref().map(|(_, l)| l.clone()).unwrap_or_default();
        let retained = |e: &Entry| doc.doms.as_ref().zip(e.referent).map(|(d, r)| d.retained(r)).unwrap_or(0);
        ui.label(RichText::new(format!("{} objects", thousands(entries.len() as u64))).weak());
        table_area(ui, "finalizer_entries", |ui, row_height| {
            TableBuilder::new(ui)
                .striped(true)
                .max_scroll_height(420.0)
                .column(Column::auto().at_least(320.0))
                .column(Column::auto().at_least(180.0))
                .column(Column::auto().at_least(90.0))
                .column(Column::remainder().at_least(260.0))
                .header(row_height + 4.0, |mut header| {
                    for (k, t) in ["referent", "state", "retained", "its Finalizer"].iter().enumerate() {
                        header.col(|ui| sort_header(ui, t, k, &mut doc.ui.referent_sort, k != 2));
                    }
                })
                .body(|body| {
                    body.rows(row_height, entries.len(), |mut r| {
                        let e = &report.entries[entries[r.index()] as usize];
                        r.set_selected(e.referent.is_some() && e.referent == doc.selection);
                        r.col(|ui| {
                            if let Some(o) = e.referent {
                                object_link(ui, &heap, o, out);
                            }
                        });
                        r.col(|ui| {
                            ui.label(e.state.label());
                        });
                        r.col(|ui| {
                            size_label(ui, retained(e));
                        });
                        r.col(|ui| {
                            object_link(ui, &heap, e.finalizer, out);
                        });
                    });
                });
        });
    });
}

/// Indexes into `report.entries` of the Finalizers of `class` in `state`
/// (None: all), sorted by (column, ascending).
fn referents(
    heap: &Heap,
    report: &FinalizerReport,
    doms: Option<&Dominators>,
    (class, state, (col, asc)): ReferentKey,
) -> Vec<u32> {
    let wanted = |s: State| match state {
        None => true,
        Some("registered") => s == State::Registered,
        Some("pending") => s.is_pending(),
        Some(_) => s == State::InProcessing,
    };
    let retained = |e: &Entry| {
        doms.zip(e.referent)
            .map(|(d, r)| d.retained(r))
            .unwrap_or(0)
    };
    let mut list: Vec<u32> = (0..report.entries.len() as u32)
        .filter(|&i| {
            let e = &report.entries[i as usize];
            wanted(e.state) && e.referent.is_some_and(|r| heap.class_of(r) == class)
        })
        .collect();
    list.sort_by(|&a, &b| {
        let (a, b) = (&report.entries[a as usize], &report.entries[b as usize]);
        let o = match col {
            0 => a.referent.cmp(&b.referent),
            1 => a.state.cmp(&b.state),
            3 => a.finalizer.cmp(&b.finalizer),
            _ => retained(a).cmp(&retained(b)),
        };
        if asc { o } else { o.reverse() }
    });
    list
}
