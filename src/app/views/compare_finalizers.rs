//! The comparison's finalizer states: totals and by referent class.

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

use super::compare_tables::delta_label;
use crate::analysis::diff::{Diff, FinalizerCounts, delta};
use crate::app::command::{Command, DumpId};
use crate::app::widgets::table_area;
use crate::heap::ClassIx;
use crate::units::{signed, thousands};

pub(super) fn finalizers_ui(ui: &mut Ui, diff: &Diff, current: DumpId, out: &mut Vec<Command>) {
    let Some(f) = &diff.finalizers else {
        ui.label("The finalizer picture needs both dumps loaded.");
        return;
    };
    let line = |c: &FinalizerCounts| [c.finalizers, c.registered, c.pending, c.in_processing];
    egui::Grid::new("finalizer_totals")
        .striped(true)
        .spacing([24.0, 4.0])
        .show(ui, |ui| {
            for title in [
                "",
                "Finalizers",
                "Registered",
                "Pending",
                "In processing",
                "queueLength",
            ] {
                ui.label(RichText::new(title).strong());
            }
            ui.end_row();
            for (label, counts, q) in [
                ("Baseline", &f.before, f.queue_length.0),
                ("Current", &f.after, f.queue_length.1),
            ] {
                ui.label(label);
                for n in line(counts) {
                    ui.label(thousands(n));
                }
                ui.label(q.map(|n| n.to_string()).unwrap_or_else(|| "?".into()));
                ui.end_row();
            }
            ui.label("Delta");
            for (b, a) in line(&f.before).into_iter().zip(line(&f.after)) {
                delta_label(ui, signed(delta(b, a)), delta(b, a));
            }
            if let (Some(x), Some(y)) = f.queue_length {
                delta_label(ui, signed(y - x), y - x);
            }
            ui.end_row();
        });
    ui.add_space(16.0);
    ui.label(RichText::new("By referent class").strong());
    ui.add_space(4.0);
    table_area(ui, "compare_finalizers", |ui, row_height| {
        let mut table = TableBuilder::new(ui)
            .striped(true)
            .column(Column::remainder().at_least(240.0).clip(true));
        for _ in 0..7 {
            table = table.column(Column::auto().at_least(80.0));
        }
        table
            .header(row_height + 4.0, |mut header| {
                for title in [
                    "Referent class",
                    "Registered",
                    "delta",
                    "Pending",
                    "delta",
                    "In processing",
                    "delta",
                    "Open in",
                ] {
                    header.col(|ui| {
                        ui.label(RichText::new(title).strong());
                    });
                }
            })
            .body(|body| {
                body.rows(row_height, f.by_class.len(), |mut row| {
                    let r = &f.by_class[row.index()];
                    row.col(|ui| {
                        ui.label(&r.name);
                    });
                    for (b, a) in [
                        (r.before.registered, r.after.registered),
                        (r.before.pending, r.after.pending),
                        (r.before.in_processing, r.after.in_processing),
                    ] {
                        row.col(|ui| {
                            ui.label(format!("{} -> {}", thousands(b), thousands(a)));
                        });
                        row.col(|ui| delta_label(ui, signed(delta(b, a)), delta(b, a)));
                    }
                    row.col(|ui| {
                        if let Some(k) = r.class_after {
                            if ui
                                .small_button("current")
                                .on_hover_text(
                                    "The Finalizers view of the current dump on this class",
                                )
                                .clicked()
                            {
                                out.push(Command::FinalizerClass(current, ClassIx(k)));
                            }
                        }
                    });
                });
            });
    });
}
