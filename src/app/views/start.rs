//! The start page: open a dump, a recent file, or the demo.

use std::path::PathBuf;

use egui::RichText;

use crate::app::command::{Command, Purpose};

pub fn ui(ui: &mut egui::Ui, recent: &[PathBuf], out: &mut Vec<Command>) {
    ui.vertical_centered(|ui| {
        ui.add_space(60.0);
        ui.heading(RichText::new("heapscope").size(32.0));
        ui.label("A fast explorer for Java heap dumps (.hprof, .hprof.gz)");
        ui.add_space(24.0);
        if ui
            .button(RichText::new("Open a heap dump...").size(18.0))
            .clicked()
        {
            out.push(Command::Choose(Purpose::Open));
        }
        ui.add_space(8.0);
        if ui
            .button("Open demo dump")
            .on_hover_text("A finalizer leak held by a timer queue")
            .clicked()
        {
            out.push(Command::OpenDemo);
        }
        ui.add_space(8.0);
        ui.label(RichText::new("or drop a file anywhere in this window").weak());
        if !recent.is_empty() {
            ui.add_space(24.0);
            ui.label(RichText::new("Recent files").strong());
            for p in recent {
                let exists = p.exists();
                let r = ui.add_enabled(
                    exists,
                    egui::Button::new(p.display().to_string()).frame(false),
                );
                if r.clicked() {
                    out.push(Command::Open(p.clone()));
                }
            }
        }
    });
}
