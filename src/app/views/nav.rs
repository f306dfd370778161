//! The navigation bar (the dumps open, back and forward, the views, go to
//! an object) and the status bar (loading progress, the dump's figures,
//! which references retained sizes count, warnings).

use egui::RichText;

use super::ViewContext;
use crate::app::command::{Command, Retention, View};
use crate::heap::ObjectIx;
use crate::units::{bytes, thousands};

/// The Go-to-id field's text and its error.
#[derive(Default)]
pub struct NavBar {
    goto: String,
    error: Option<String>,
}

impl NavBar {
    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &ViewContext, view: View, out: &mut Vec<Command>) {
        let doc = ctx.doc;
        // Wraps onto a second line rather than leaving the window; spaced
        // a little tighter than egui's default so that eleven tabs and the
        // Go-to field fit on one line at 1024 px.
        ui.horizontal_wrapped(|ui| {
            ui.spacing_mut().item_spacing.x = 5.0;
            // Two dumps open: which one the views show.
            if let Some(other) = ctx.other {
                ui.label("Dump:");
                let _ = ui.selectable_label(true, doc.label());
                let hint = if other.is_loading() {
                    "Loading; click to watch it"
                } else {
                    "Explore this dump instead"
                };
                if ui
                    .selectable_label(false, other.label())
                    .on_hover_text(hint)
                    .clicked()
                {
                    out.push(Command::Activate(other.id));
                }
                ui.separator();
            }
            let back = ui.add_enabled(doc.can_go_back(), egui::Button::new("<"));
            if back.on_hover_text("Back (Alt+Left)").clicked() {
                out.push(Command::Back);
            }
            let forward = ui.add_enabled(doc.can_go_forward(), egui::Button::new(">"));
            if forward.on_hover_text("Forward (Alt+Right)").clicked() {
                out.push(Command::Forward);
            }
            ui.separator();
            for v in View::ALL {
                if ui.selectable_label(view == v, v.tab()).clicked() {
                    out.push(Command::Show(v));
                }
            }
            ui.separator();
            let label = ui.label("Go to:");
            let edit = ui
                .add(
                    egui::TextEdit::singleline(&mut self.goto)
                        .desired_width(90.0)
                        .hint_text("object id"),
                )
                .labelled_by(label.id);
            if edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                self.go(ctx, out);
            }
            if let Some(e) = &self.error {
                ui.colored_label(ui.visuals().warn_fg_color, e);
            }
        });
    }

    fn go(&mut self, ctx: &ViewContext, out: &mut Vec<Command>) {
        let text = self.goto.trim().to_string();
        let id = match text.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).ok(),
            None => text.parse().ok(),
        };
        self.error = None;
        match (id, ctx.heap()) {
            (Some(id), Some(heap)) => match heap.find(id) {
                Some(o) => {
                    out.push(Command::Select(ctx.dump(), ObjectIx(o)));
                    out.push(Command::Show(View::Inspector));
                }
                None => self.error = Some(format!("no object {text}")),
            },
            _ => self.error = Some("expected an id like 0xf0016ab0".to_string()),
        }
    }
}

/// Loading progress, or the figures of the loaded dump; the references
/// retained sizes count; warnings.
pub fn status_ui(ui: &mut egui::Ui, ctx: &ViewContext, out: &mut Vec<Command>) {
    let doc = ctx.doc;
    ui.horizontal(|ui| {
        if let Some((progress, secs)) = doc.load_progress() {
            let (done, total) = progress.counts();
            let phase = progress.phase();
            let f = progress.fraction();
            ui.ctx().request_repaint_after(std::time::Duration::from_millis(250));
            let unit = if phase.in_bytes() { bytes(done) } else { format!("{} objects", thousands(done)) };
            ui.add(
                egui::ProgressBar::new(f)
                    .desired_width(260.0)
                    .text(format!("{}: {:.0}%", phase.describe(total), f * 100.0)),
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
                doc.cancel_load();
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
                let steps: Vec<String> = doc.timings.iter().map(|(n, t)| format!("{n}: {t:.2} s")).collect();
                ui.label(format!("loaded in {total:.1} s")).on_hover_text(steps.join("\n"));
            }
        }
        if doc.heap.is_some() {
            ui.separator();
            ui.label("Retained over:").on_hover_text(
                "All references: as Eclipse MAT's dominator tree (weak, soft, phantom and finalizer references keep objects). \
                 Strong only: what a garbage collection would keep; comparisons use it.",
            );
            for r in Retention::BOTH {
                let text = match r {
                    Retention::All => "all references",
                    Retention::Strong => "strong only",
                };
                if ui.selectable_label(ctx.retention == r, text).clicked() && ctx.retention != r {
                    out.push(Command::Retain(r));
                }
            }
            if let Some(p) = doc.strong_progress() {
                ui.label(RichText::new(format!("computing: {:.0}%", p.fraction() * 100.0)).weak());
                ui.ctx().request_repaint_after(std::time::Duration::from_millis(250));
            }
        }
        if !doc.warnings.is_empty() {
            ui.separator();
            let text = RichText::new(crate::units::count_of(doc.warnings.len() as u64, "warning"))
                .color(ui.visuals().warn_fg_color);
            ui.label(text).on_hover_text(crate::app::widgets::tooltip_lines(&doc.warnings, 20));
        }
    });
}
