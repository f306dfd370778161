//! One file per view; each draws from the document and returns commands.

pub mod compare;
pub mod dominators;
pub mod finalizers;
pub mod histogram;
pub mod inspector;
pub mod nav;
pub mod overview;
pub mod start;
pub mod threads;
pub mod why_alive;

use super::{Command, Document, View};

/// Draws `view` of the document, or what is still loading.
pub fn show(ui: &mut egui::Ui, doc: &mut Document, view: View, out: &mut Vec<Command>) {
    if let Some(e) = &doc.error {
        ui.add_space(20.0);
        ui.heading("This dump could not be opened");
        ui.add_space(8.0);
        ui.label(egui::RichText::new(e).monospace());
        ui.add_space(12.0);
        if ui.button("Open another file...").clicked() {
            out.push(Command::OpenDialog);
        }
        return;
    }
    match view {
        View::Overview => overview::ui(ui, doc, out),
        View::Histogram => histogram::ui(ui, doc, out),
        View::Dominators => dominators::ui(ui, doc, out),
        View::Finalizers => finalizers::ui(ui, doc, out),
        View::Inspector => inspector::ui(ui, doc, out),
        View::Threads => threads::ui(ui, doc, out),
        // Drawn by the app: it needs both dumps.
        View::Compare => {}
    }
}

/// A line saying what is still being computed. No animation: redrawing
/// at 60 frames a second would take CPU from the work being waited for
/// (the status bar's progress repaints four times a second; input
/// repaints at once).
pub fn waiting(ui: &mut egui::Ui, what: &str) {
    ui.add_space(16.0);
    ui.label(egui::RichText::new(format!("{what}...")).weak());
    ui.ctx()
        .request_repaint_after(std::time::Duration::from_millis(250));
}
