//! The navigation bar (views, back and forward, go to an object) and the
//! status bar with the loading progress.

use egui::RichText;

use crate::app::{Command, Document, View};
use crate::units::{bytes, thousands};

pub fn ui(
    ui: &mut egui::Ui,
    doc: &mut Document,
    other: Option<&Document>,
    view: View,
    out: &mut Vec<Command>,
) {
    ui.horizontal(|ui| {
        // Two dumps open: which one the views show.
        if let Some(other) = other {
            ui.label("Dump:");
            let _ = ui.selectable_label(true, doc.label());
            if ui
                .selectable_label(false, other.label())
                .on_hover_text(if other.is_loading() {
                    "Loading; click to watch it"
                } else {
                    "Explore this dump instead"
                })
                .clicked()
            {
                out.push(Command::Activate(other.path.clone()));
            }
            ui.separator();
        }
        if ui
            .add_enabled(doc.history_pos > 1, egui::Button::new("<"))
            .on_hover_text("Back (Alt+Left)")
            .clicked()
        {
            out.push(Command::Back);
        }
        if ui
            .add_enabled(doc.history_pos < doc.history.len(), egui::Button::new(">"))
            .on_hover_text("Forward (Alt+Right)")
            .clicked()
        {
            out.push(Command::Forward);
        }
        ui.separator();
        for v in View::ALL {
            if ui.selectable_label(view == v, v.title()).clicked() {
                out.push(Command::Show(v));
            }
        }
        ui.separator();
        let label = ui.label("Go to id:");
        let edit = ui.add(
            egui::TextEdit::singleline(&mut doc.ui.goto)
                .desired_width(150.0)
                .hint_text("0xf0016ab0"),
        );
        let edit = edit.labelled_by(label.id);
        if edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
            let text = doc.ui.goto.trim().to_string();
            let id = match text.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16).ok(),
                None => text.parse().ok(),
            };
            doc.ui.goto_error = None;
            match (id, &doc.heap) {
                (Some(id), Some(heap)) => match heap.find(id) {
                    Some(o) => {
                        out.push(Command::Select(o));
                        out.push(Command::Show(View::Inspector));
                    }
                    None => doc.ui.goto_error = Some(format!("no object {text}")),
                },
                _ => doc.ui.goto_error = Some("expected an id like 0xf0016ab0".to_string()),
            }
        }
        if let Some(e) = &doc.ui.goto_error {
            ui.colored_label(ui.visuals().warn_fg_color, e);
        }
    });
}

/// Loading progress, or the figures of the loaded dump, and warnings.
pub fn status_ui(ui: &mut egui::Ui, doc: &mut Document) {
    ui.horizontal(|ui| {
        if let Some(job) = &mut doc.job {
            let (done, total) = job.progress.counts();
            let phase = job.progress.phase();
            let f = job.progress.fraction();
            if job.phase_started.0 != phase {
                job.phase_started = (phase, std::time::Instant::now());
            }
            // Rate and time left of the current phase.
            let secs = job.phase_started.1.elapsed().as_secs_f64();
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(250));
            let unit = if phase.in_bytes() {
                bytes(done)
            } else {
                format!("{} objects", thousands(done))
            };
            let phase_label = phase.describe(total);
            ui.add(
                egui::ProgressBar::new(f)
                    .desired_width(260.0)
                    .text(format!("{phase_label}: {:.0}%", f * 100.0)),
            );
            let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
            let left = if f > 0.01 {
                format!(", about {:.0} s left", secs * (1.0 - f as f64) / f as f64)
            } else {
                String::new()
            };
            let rate_text = if phase.in_bytes() {
                format!("{}/s", bytes(rate as u64))
            } else {
                format!("{} objects/s", thousands(rate as u64))
            };
            ui.label(format!("{unit} done, {rate_text}{left}"));
            if ui.button("Cancel").clicked() {
                job.progress.cancel();
            }
        } else if let Some(heap) = &doc.heap {
            ui.label(format!(
                "{} objects, {} classes, {} shallow",
                thousands(heap.object_count() as u64),
                thousands(heap.classes().len() as u64),
                bytes(heap.census().shallow_total())
            ));
            if !doc.timings.is_empty() {
                let total: f64 = doc.timings.iter().map(|t| t.1).sum();
                ui.separator();
                ui.label(format!("loaded in {total:.1} s")).on_hover_text(
                    doc.timings
                        .iter()
                        .map(|(n, t)| format!("{n}: {t:.2} s"))
                        .collect::<Vec<_>>()
                        .join("\n"),
                );
            }
        }
        if !doc.warnings.is_empty() {
            ui.separator();
            let text = RichText::new(crate::units::count_of(doc.warnings.len() as u64, "warning"))
                .color(ui.visuals().warn_fg_color);
            ui.label(text).on_hover_text(doc.warnings.join("\n"));
        }
    });
}
