//! The "why alive" panel: it follows the selection in every view and shows
//! its shortest strong paths to GC roots, with options to count weak,
//! soft, phantom or finalizer references too. Long runs of one class by
//! one field (a linked list, the Finalizer chain) are folded.

use egui::RichText;

use crate::analysis::finalizers::State;
use crate::analysis::graph::{RefKind, Referents};
use crate::analysis::paths::{self, PathSearch};
use crate::analysis::sets::{Folded, fold_runs};
use crate::app::command::{Command, DumpId, View};
use crate::app::task::{Keyed, Task};
use crate::app::widgets::{object_link, object_text, size_label};
use crate::heap::{Heap, ObjectIx};
use crate::units::{count_of, thousands};

use super::ViewContext;

/// Steps kept at each end of a folded run.
const KEEP: usize = 2;

/// Paths as indented chains: the object, then who refers to it, up to a
/// root, with the root's kind and thread.
pub fn paths_ui(
    ui: &mut egui::Ui,
    heap: &Heap,
    dump: DumpId,
    search: &PathSearch,
    out: &mut Vec<Command>,
) {
    ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
    for (i, p) in search.paths.iter().enumerate() {
        let title = match p.steps.len() - 1 {
            0 => format!("Path {}: it is a GC root", i + 1),
            n => format!("Path {} ({})", i + 1, count_of(n as u64, "reference")),
        };
        egui::CollapsingHeader::new(RichText::new(title).strong())
            .id_salt(("why_path", i, p.steps.last().map(|s| s.object)))
            .default_open(i == 0)
            .show(ui, |ui| {
                for (depth, f) in fold_runs(&p.steps, heap, KEEP).into_iter().enumerate() {
                    ui.horizontal(|ui| {
                        ui.add_space(depth.min(8) as f32 * 6.0);
                        match f {
                            Folded::Step(k) => {
                                let s = &p.steps[k];
                                if let Some(f) = &s.field {
                                    ui.label(RichText::new(format!("<- {f}")).weak());
                                }
                                object_link(ui, heap, dump, ObjectIx(s.object), out);
                            }
                            Folded::Run {
                                len, class, field, ..
                            } => {
                                ui.label(
                                    RichText::new(format!(
                                        "... {} more {} via {field}",
                                        thousands(len as u64),
                                        heap.class(class).name
                                    ))
                                    .italics(),
                                );
                            }
                        }
                    });
                }
                for r in &p.roots {
                    ui.label(
                        RichText::new(format!("GC root: {r}")).color(ui.visuals().hyperlink_color),
                    )
                    .on_hover_text(r);
                }
            });
    }
    if !search.complete {
        ui.label(RichText::new("More roots may reach it by longer paths.").weak());
    }
}

/// Why no path was found: a pending finalizable object (its Finalizer's
/// `state`) waits in the finalizer's queue; others only weaker references
/// hold, or nothing.
fn no_path_text(state: Option<State>, referents: Referents) -> String {
    match state {
        Some(s) if s.is_pending() && !referents.final_ => format!(
            "No strong path: it is {}. Its Finalizer keeps it until the finalizer thread runs its finalize(); check \"final\" to see that path.",
            s.label()
        ),
        Some(State::InProcessing) => "Its finalize() is running now: the finalizer thread holds it.".into(),
        _ if referents == Referents::ALL => "No GC root reaches it: it is garbage, waiting for the next collection.".into(),
        _ => "No GC root reaches it by these references: it is garbage, or only the references not followed hold it (check them above).".into(),
    }
}

#[derive(Default)]
pub struct WhyAlivePanel {
    referents: Referents,
    /// The paths, and the state of the object's Finalizer if it has one.
    paths: Keyed<(DumpId, ObjectIx, Referents), (PathSearch, Option<State>)>,
}

impl WhyAlivePanel {
    /// The paths shown now, once found (for tests).
    pub fn shown(&self) -> Option<(DumpId, ObjectIx)> {
        self.paths.last().map(|((d, o, _), _)| (*d, *o))
    }

    pub fn is_running(&self) -> bool {
        self.paths.is_running()
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &ViewContext, out: &mut Vec<Command>) {
        let Some(heap) = ctx.heap().cloned() else {
            return;
        };
        ui.heading("Why alive");
        let Some(o) = ctx.doc.selection() else {
            ui.label(RichText::new("Select an object to see what keeps it alive.").weak());
            return;
        };
        // Buttons first, where they stay whatever the object.
        ui.horizontal(|ui| {
            if ui.small_button("Inspect").clicked() {
                out.push(Command::Show(View::Inspector));
            }
            if ui.small_button("Show in the dominator tree").clicked() {
                out.push(Command::ShowInTree(ctx.dump(), o));
                out.push(Command::Show(View::Dominators));
            }
        });
        ui.add(egui::Label::new(RichText::new(object_text(&heap, o.0)).strong()).truncate());
        ui.horizontal(|ui| {
            ui.label("shallow");
            size_label(ui, heap.shallow_size(o.0));
            ui.label("retained");
            match ctx.tree() {
                Some(t) => size_label(ui, t.doms.retained(o.0)),
                None => ui.label("..."),
            }
            .on_hover_text(super::retained_note(ctx));
        });
        ui.horizontal_wrapped(|ui| {
            ui.label("Also follow:");
            for kind in RefKind::ALL {
                let mut on = self.referents.follows(kind);
                if ui.checkbox(&mut on, kind.name()).changed() {
                    self.referents = self.referents.set(kind, on);
                }
            }
        });
        ui.separator();
        let key = (ctx.dump(), o, self.referents);
        let referents = self.referents;
        let search = self.paths.get(&key, || {
            let (heap, report) = (heap.clone(), ctx.doc.finalizers.clone());
            Task::compute("paths", ctx.waker.clone(), move |p| {
                let filter = paths::Filter::new(&heap, referents, &[]);
                let search = paths::paths_cancellable(&filter, o.0, 5, 200_000, p);
                let entries = report.iter().flat_map(|r| &r.entries);
                let state = entries
                    .filter(|e| e.referent == Some(o.0))
                    .map(|e| e.state)
                    .next();
                (search.unwrap_or_default(), state)
            })
        });
        egui::ScrollArea::vertical()
            .id_salt("why_alive_scroll")
            .auto_shrink([false, false])
            .show(ui, |ui| match search {
                Some((s, state)) if s.paths.is_empty() => {
                    ui.label(no_path_text(*state, referents));
                }
                Some((s, _)) => paths_ui(ui, &heap, ctx.dump(), s, out),
                None => super::waiting(ui, "Searching for paths to GC roots"),
            });
    }
}
