//! The "why alive" panel: it follows the selection everywhere and shows
//! its shortest strong paths to GC roots, with options to count weak,
//! soft, phantom or finalizer references too.

use egui::RichText;

use crate::analysis::graph::RefKind;
use crate::analysis::paths::PathSearch;
use crate::app::widgets::{object_link, object_text, size_label};
use crate::app::{Command, Document, View};
use crate::heap::Heap;

/// Paths as indented chains: the object, then who refers to it, up to a
/// root, with the root's kind and thread.
pub fn paths_ui(ui: &mut egui::Ui, heap: &Heap, search: &PathSearch, out: &mut Vec<Command>) {
    if search.paths.is_empty() {
        ui.label("No GC root reaches it by these references: it is garbage, or only weaker references hold it.");
        return;
    }
    for (i, p) in search.paths.iter().enumerate() {
        let title = format!("Path {} ({} references)", i + 1, p.steps.len() - 1);
        egui::CollapsingHeader::new(RichText::new(title).strong())
            .id_salt(("why_path", i, p.steps.last().map(|s| s.object)))
            .default_open(i == 0)
            .show(ui, |ui| {
                // Long paths (a million-node list) show their ends.
                let n = p.steps.len();
                for (k, s) in p.steps.iter().enumerate() {
                    if n > 60 && k == 30 {
                        ui.label(
                            RichText::new(format!("... {} more references ...", n - 60)).weak(),
                        );
                    }
                    if n > 60 && (30..n - 30).contains(&k) {
                        continue;
                    }
                    ui.horizontal_wrapped(|ui| {
                        ui.add_space((k.min(12)) as f32 * 8.0);
                        if let Some(f) = &s.field {
                            ui.label(RichText::new(format!("<- {f}")).weak());
                        }
                        object_link(ui, heap, s.object, out);
                    });
                }
                for r in &p.roots {
                    ui.label(
                        RichText::new(format!("GC root: {r}")).color(ui.visuals().hyperlink_color),
                    );
                }
            });
    }
    if !search.complete {
        ui.label(RichText::new("More roots may reach it by longer paths.").weak());
    }
}

pub fn ui(ui: &mut egui::Ui, doc: &mut Document, out: &mut Vec<Command>) {
    let Some(heap) = doc.heap.clone() else { return };
    ui.heading("Why alive");
    let Some(o) = doc.selection else {
        ui.label(RichText::new("Select an object to see what keeps it alive.").weak());
        return;
    };
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(object_text(&heap, o)).strong());
    });
    ui.horizontal(|ui| {
        ui.label("shallow");
        size_label(ui, heap.shallow_size(o));
        if let Some(d) = &doc.doms {
            ui.label("retained");
            size_label(ui, d.retained(o));
        }
        if ui.small_button("Inspect").clicked() {
            out.push(Command::Show(View::Inspector));
        }
    });
    ui.horizontal_wrapped(|ui| {
        ui.label("Also follow:");
        let r = &mut doc.ui.why_referents;
        for kind in RefKind::ALL {
            let mut on = r.follows(kind);
            if ui.checkbox(&mut on, kind.name()).changed() {
                *r = r.set(kind, on);
            }
        }
    });
    ui.separator();
    egui::ScrollArea::vertical()
        .id_salt("why_alive_scroll")
        .show(ui, |ui| match &doc.why_alive {
            Some((x, r, search)) if *x == o && *r == doc.ui.why_referents => {
                paths_ui(ui, &heap, search, out)
            }
            _ => super::waiting(ui, "Searching for paths to GC roots"),
        });
}
