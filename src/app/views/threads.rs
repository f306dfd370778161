//! Threads: a table (name, state, frames, objects their frames hold, the
//! retained size of those objects as a set), filtered by name; the chosen
//! thread's stack with the objects each frame holds.

use std::sync::Arc;

use egui::RichText;
use egui_extras::{Column, TableBuilder};

use super::{ViewContext, retained_note, waiting};
use crate::app::command::{Command, DumpId, Retention};
use crate::app::task::{Keyed, Task};
use crate::app::widgets::{
    Columns, Sort, cell_text, filter_regex, object_link, passes, size_label, sort_headers,
    table_area,
};
use crate::heap::{Heap, ObjectIx, Thread, ThreadState};
use crate::units::thousands;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Col {
    Name,
    State,
    Frames,
    Held,
    Retained,
}

impl Columns for Col {
    const ALL: &'static [Col] = &[Col::Name, Col::State, Col::Frames, Col::Held, Col::Retained];
    fn title(self) -> &'static str {
        match self {
            Col::Name => "Thread",
            Col::State => "State",
            Col::Frames => "Frames",
            Col::Held => "Objects held",
            Col::Retained => "Retained by its frames",
        }
    }
    fn hint(self) -> &'static str {
        match self {
            Col::State => "from the thread object's threadStatus",
            Col::Held => "objects the thread's frames hold as locals (GC roots)",
            Col::Retained => {
                "what would be freed without the objects its frames hold, counted once"
            }
            _ => "",
        }
    }
    fn is_text(self) -> bool {
        matches!(self, Col::Name | Col::State)
    }
}

pub struct ThreadsView {
    filter: String,
    sort: Sort<Col>,
    chosen: Option<usize>,
    /// Per thread: the retained size of the objects its frames hold.
    retained: Keyed<(DumpId, Retention), Arc<Vec<u64>>>,
    states: Option<(DumpId, Vec<Option<ThreadState>>)>,
}

impl Default for ThreadsView {
    fn default() -> Self {
        ThreadsView {
            filter: String::new(),
            sort: Sort::by(Col::Retained),
            chosen: None,
            retained: Keyed::default(),
            states: None,
        }
    }
}

fn locals(t: &Thread) -> Vec<u32> {
    t.frames
        .iter()
        .flat_map(|f| f.locals.iter().copied())
        .collect()
}

impl ThreadsView {
    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &ViewContext, out: &mut Vec<Command>) {
        let Some(heap) = ctx.heap().cloned() else {
            waiting(ui, "Reading threads");
            return;
        };
        let threads = heap.threads();
        if threads.is_empty() {
            ui.label("The dump lists no threads.");
            return;
        }
        let retained = ctx.tree().cloned().and_then(|tree| {
            let heap = heap.clone();
            self.retained
                .get(&(ctx.dump(), ctx.retention), || {
                    Task::compute("thread-retained", ctx.waker.clone(), move |_| {
                        let sizes = heap.threads().iter();
                        Arc::new(
                            sizes
                                .map(|t| {
                                    crate::analysis::sets::set_retained(&tree.doms, &locals(t))
                                })
                                .collect(),
                        )
                    })
                })
                .cloned()
        });
        let regex = ui
            .horizontal(|ui| {
                let label = ui.label("Filter:");
                ui.add(
                    egui::TextEdit::singleline(&mut self.filter)
                        .hint_text("thread name or regex")
                        .desired_width(220.0),
                )
                .labelled_by(label.id);
                let f = filter_regex(&self.filter);
                if let Err(e) = &f {
                    ui.colored_label(
                        ui.visuals().error_fg_color,
                        format!("invalid regular expression: {e}"),
                    );
                }
                f
            })
            .inner;
        // Read from the thread objects once per dump, not every frame.
        if self.states.as_ref().is_none_or(|(d, _)| *d != ctx.dump()) {
            let states = threads.iter().map(|t| heap.thread_state(t)).collect();
            self.states = Some((ctx.dump(), states));
        }
        let states = &self.states.as_ref().expect("set").1;
        let name = |t: &Thread| t.name.clone().unwrap_or_else(|| "(unnamed)".into());
        let mut rows: Vec<usize> = (0..threads.len())
            .filter(|&i| passes(&regex, &name(&threads[i])))
            .collect();
        let sort = self.sort;
        let held = |i: usize| {
            threads[i]
                .frames
                .iter()
                .map(|f| f.locals.len())
                .sum::<usize>()
        };
        let size = |i: usize| retained.as_ref().map_or(0, |r| r[i]);
        rows.sort_by(|&a, &b| {
            sort.order(match sort.column {
                Col::Name => name(&threads[a]).cmp(&name(&threads[b])),
                Col::State => states[a].cmp(&states[b]),
                Col::Frames => threads[a].frames.len().cmp(&threads[b].frames.len()),
                Col::Held => held(a).cmp(&held(b)),
                Col::Retained => size(a).cmp(&size(b)),
            })
            .then(a.cmp(&b))
        });
        ui.label(
            RichText::new(format!(
                "{} of {} threads; {}; click a thread for its stack",
                rows.len(),
                threads.len(),
                retained_note(ctx)
            ))
            .weak(),
        );
        let mut sort = self.sort;
        let height = if self.chosen.is_some() {
            ui.available_height() * 0.4
        } else {
            ui.available_height()
        };
        table_area(ui, "threads_table", |ui, row_height| {
            TableBuilder::new(ui)
                .striped(true)
                .sense(egui::Sense::click())
                .max_scroll_height(height)
                .column(Column::remainder().at_least(220.0).clip(true))
                .column(Column::auto().at_least(110.0))
                .columns(Column::auto().at_least(80.0), 2)
                .column(Column::auto().at_least(150.0))
                .header(row_height + 4.0, |mut header| {
                    sort_headers(&mut header, &mut sort)
                })
                .body(|body| {
                    body.rows(row_height, rows.len(), |mut row| {
                        let i = rows[row.index()];
                        let t = &threads[i];
                        row.set_selected(self.chosen == Some(i));
                        row.col(|ui| {
                            cell_text(ui, &name(t));
                        });
                        row.col(|ui| {
                            ui.label(states[i].map_or("?", ThreadState::name));
                        });
                        row.col(|ui| {
                            ui.label(thousands(t.frames.len() as u64));
                        });
                        row.col(|ui| {
                            ui.label(thousands(held(i) as u64));
                        });
                        row.col(|ui| match &retained {
                            Some(r) => {
                                size_label(ui, r[i]);
                            }
                            None => {
                                ui.label(RichText::new("...").weak());
                            }
                        });
                        if row.response().clicked() {
                            self.chosen = Some(i);
                        }
                    });
                });
        });
        self.sort = sort;
        let Some(t) = self.chosen.and_then(|i| threads.get(i)) else {
            return;
        };
        ui.separator();
        ui.horizontal(|ui| {
            ui.label(RichText::new(format!("\"{}\"", name(t))).strong());
            if let Some(o) = t.object {
                ui.label(RichText::new("thread object").weak());
                object_link(ui, &heap, ctx.dump(), ObjectIx(o), out);
            }
        });
        egui::ScrollArea::vertical()
            .id_salt("thread_frames")
            .auto_shrink([false, false])
            .show(ui, |ui| frames_ui(ui, &heap, ctx.dump(), t, out));
    }
}

/// A thread's frames, innermost first, with the objects each one holds.
pub fn frames_ui(ui: &mut egui::Ui, heap: &Heap, dump: DumpId, t: &Thread, out: &mut Vec<Command>) {
    for f in &t.frames {
        ui.label(RichText::new(format!("at {}", f.display())).monospace());
        for &o in &f.locals {
            ui.horizontal(|ui| {
                ui.add_space(24.0);
                ui.label(RichText::new("holds").weak());
                object_link(ui, heap, dump, ObjectIx(o), out);
            });
        }
    }
}
