//! Threads with their stack frames and the objects each frame holds.

use egui::RichText;

use super::waiting;
use crate::app::widgets::object_link;
use crate::app::{Command, Document};
use crate::heap::{Heap, Thread};

pub fn ui(ui: &mut egui::Ui, doc: &mut Document, out: &mut Vec<Command>) {
    let Some(heap) = doc.heap.clone() else {
        waiting(ui, "Reading threads");
        return;
    };
    if heap.threads().is_empty() {
        ui.label("The dump lists no threads.");
        return;
    }
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for (i, t) in heap.threads().iter().enumerate() {
                let name = t.name.as_deref().unwrap_or("(unnamed)");
                let held: usize = t.frames.iter().map(|f| f.locals.len()).sum();
                let title = format!(
                    "\"{name}\"  {} frames, {} objects held",
                    t.frames.len(),
                    held
                );
                egui::CollapsingHeader::new(RichText::new(title).strong())
                    .id_salt(("thread", i))
                    .default_open(heap.threads().len() <= 12)
                    .show(ui, |ui| {
                        if let Some(o) = t.object {
                            ui.horizontal(|ui| {
                                ui.label(RichText::new("thread object").weak());
                                object_link(ui, &heap, o, out);
                            });
                        }
                        frames_ui(ui, &heap, t, out);
                    });
            }
        });
}

/// A thread's frames, innermost first, with the objects each one holds.
pub fn frames_ui(ui: &mut egui::Ui, heap: &Heap, t: &Thread, out: &mut Vec<Command>) {
    for f in &t.frames {
        ui.label(RichText::new(format!("at {}", f.display())).monospace());
        for &o in &f.locals {
            ui.horizontal(|ui| {
                ui.add_space(24.0);
                ui.label(RichText::new("holds").weak());
                object_link(ui, heap, o, out);
            });
        }
    }
}
