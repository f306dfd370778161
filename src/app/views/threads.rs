//! Threads: a table (name, daemon, state, frames, objects their frames
//! hold and those objects' retained size as a set, the thread object's
//! retained size, its ThreadLocal values and theirs), sortable by every
//! column, filtered by name; the chosen thread's stack with the objects
//! each frame holds, and its thread-local values.

use std::sync::Arc;

use egui::RichText;
use egui_extras::{Column, TableBuilder};

use super::{ViewContext, retained_note, waiting};
use crate::analysis::threads::{ThreadSummary, summarize};
use crate::app::actions;
use crate::app::command::{Command, DumpId, Retention, View};
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
    Daemon,
    State,
    Frames,
    Held,
    HeldRetained,
    Retained,
    Locals,
    LocalsRetained,
}

impl Columns for Col {
    const ALL: &'static [Col] = &[
        Col::Name,
        Col::Daemon,
        Col::State,
        Col::Frames,
        Col::Held,
        Col::HeldRetained,
        Col::Retained,
        Col::Locals,
        Col::LocalsRetained,
    ];
    fn title(self) -> &'static str {
        match self {
            Col::Name => "Thread",
            Col::Daemon => "Daemon",
            Col::State => "State",
            Col::Frames => "Frames",
            Col::Held => "Held",
            Col::HeldRetained => "Held retained",
            Col::Retained => "Retained",
            Col::Locals => "Thread locals",
            Col::LocalsRetained => "Locals retained",
        }
    }
    fn hint(self) -> &'static str {
        match self {
            Col::Daemon => "from the thread object's daemon flag",
            Col::State => "from the thread object's threadStatus",
            Col::Held => "objects the thread's frames hold as locals (GC roots)",
            Col::HeldRetained => {
                "what would be freed without the objects its frames hold, counted once"
            }
            Col::Retained => "the retained size of the java.lang.Thread object",
            Col::Locals => "values of its ThreadLocals (threadLocals and inheritableThreadLocals)",
            Col::LocalsRetained => "the retained size of its ThreadLocal values as one set",
            _ => "",
        }
    }
    fn is_text(self) -> bool {
        matches!(self, Col::Name | Col::State | Col::Daemon)
    }
}

pub struct ThreadsView {
    filter: String,
    sort: Sort<Col>,
    chosen: Option<usize>,
    /// Per thread: its figures with retained sizes.
    summaries: Keyed<(DumpId, Retention), Arc<Vec<ThreadSummary>>>,
    /// Per thread: its figures without, read once per dump.
    basic: Option<(DumpId, Arc<Vec<ThreadSummary>>)>,
}

impl Default for ThreadsView {
    fn default() -> Self {
        ThreadsView {
            filter: String::new(),
            sort: Sort::by(Col::HeldRetained),
            chosen: None,
            summaries: Keyed::default(),
            basic: None,
        }
    }
}

fn name(t: &Thread) -> String {
    t.name.clone().unwrap_or_else(|| "(unnamed)".into())
}

fn yes_no(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "yes",
        Some(false) => "no",
        None => "?",
    }
}

impl ThreadsView {
    /// Shows the stack of the thread holding most (for screenshots).
    pub fn choose_biggest(&mut self, heap: &Heap) {
        let held = |t: &Thread| t.frames.iter().map(|f| f.locals.len()).sum::<usize>();
        self.chosen = (0..heap.threads().len()).max_by_key(|&i| held(&heap.threads()[i]));
    }

    /// A task the view waits for is running (for screenshots).
    pub fn is_busy(&self) -> bool {
        self.summaries.is_running()
    }

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
        let full = ctx.tree().cloned().and_then(|tree| {
            let heap = heap.clone();
            self.summaries
                .get(&(ctx.dump(), ctx.retention), || {
                    Task::compute("thread-retained", ctx.waker.clone(), move |_| {
                        Arc::new(summarize(&heap, Some(&tree.doms)))
                    })
                })
                .cloned()
        });
        // Daemon flags, states and thread locals: read from the thread
        // objects once per dump, not every frame.
        if self.basic.as_ref().is_none_or(|(d, _)| *d != ctx.dump()) {
            self.basic = Some((ctx.dump(), Arc::new(summarize(&heap, None))));
        }
        let sized = full.is_some();
        let s = full.unwrap_or_else(|| self.basic.as_ref().expect("set").1.clone());
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
        let mut rows: Vec<usize> = (0..s.len())
            .filter(|&i| passes(&regex, &name(&threads[s[i].thread])))
            .collect();
        let sort = self.sort;
        let frames = |i: usize| threads[s[i].thread].frames.len();
        rows.sort_by(|&a, &b| {
            let (x, y) = (&s[a], &s[b]);
            sort.order(match sort.column {
                Col::Name => name(&threads[x.thread]).cmp(&name(&threads[y.thread])),
                Col::Daemon => x.daemon.cmp(&y.daemon),
                Col::State => x.state.cmp(&y.state),
                Col::Frames => frames(a).cmp(&frames(b)),
                Col::Held => x.held.cmp(&y.held),
                Col::HeldRetained => x.held_retained.cmp(&y.held_retained),
                Col::Retained => x.retained.cmp(&y.retained),
                Col::Locals => x.locals.len().cmp(&y.locals.len()),
                Col::LocalsRetained => x.locals_retained.cmp(&y.locals_retained),
            })
            .then(a.cmp(&b))
        });
        ui.label(
            RichText::new(format!(
                "{} of {} threads; {}; click a thread for its stack, double-click to inspect it",
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
        let size = |ui: &mut egui::Ui, n: u64| {
            if sized {
                size_label(ui, n);
            } else {
                ui.label(RichText::new("...").weak());
            }
        };
        table_area(ui, "threads_table", |ui, row_height| {
            TableBuilder::new(ui)
                .striped(true)
                .resizable(true)
                .sense(egui::Sense::click())
                .max_scroll_height(height)
                .column(Column::remainder().at_least(140.0).clip(true))
                .column(Column::auto().at_least(40.0))
                .column(Column::auto().at_least(70.0))
                .columns(Column::auto().at_least(40.0), 2)
                .columns(Column::auto().at_least(60.0), 2)
                .column(Column::auto().at_least(40.0))
                .column(Column::auto().at_least(60.0))
                .header(row_height + 4.0, |mut header| {
                    sort_headers(&mut header, &mut sort)
                })
                .body(|body| {
                    body.rows(row_height, rows.len(), |mut row| {
                        let x = &s[rows[row.index()]];
                        let t = &threads[x.thread];
                        row.set_selected(self.chosen == Some(x.thread));
                        row.col(|ui| {
                            cell_text(ui, &name(t));
                        });
                        row.col(|ui| {
                            ui.label(yes_no(x.daemon));
                        });
                        row.col(|ui| {
                            ui.label(x.state.map_or("?", ThreadState::name));
                        });
                        row.col(|ui| {
                            ui.label(thousands(t.frames.len() as u64));
                        });
                        row.col(|ui| {
                            ui.label(thousands(x.held as u64));
                        });
                        row.col(|ui| size(ui, x.held_retained));
                        row.col(|ui| size(ui, x.retained));
                        row.col(|ui| {
                            ui.label(thousands(x.locals.len() as u64));
                        });
                        row.col(|ui| size(ui, x.locals_retained));
                        let response = row.response();
                        if response.clicked() {
                            self.chosen = Some(x.thread);
                        }
                        if let Some(o) = t.object {
                            if response.double_clicked() {
                                out.push(Command::Select(ctx.dump(), ObjectIx(o)));
                                out.push(Command::Show(View::Inspector));
                            }
                            response.context_menu(|ui| {
                                actions::object_menu(ui, &heap, ctx.dump(), ObjectIx(o), out)
                            });
                        }
                    });
                });
        });
        self.sort = sort;
        let Some(x) = self.chosen.and_then(|i| s.iter().find(|x| x.thread == i)) else {
            return;
        };
        let t = &threads[x.thread];
        ui.separator();
        ui.horizontal(|ui| {
            ui.label(RichText::new(format!("\"{}\"", name(t))).strong());
            let state = x.state.map_or("state unknown", ThreadState::name);
            let daemon = match x.daemon {
                Some(true) => "daemon, ",
                _ => "",
            };
            ui.label(RichText::new(format!("{daemon}{state}")).weak());
            if let Some(o) = t.object {
                ui.label(RichText::new("thread object").weak());
                object_link(ui, &heap, ctx.dump(), ObjectIx(o), out);
            }
        });
        let doms = ctx.tree().map(|t| &t.doms);
        egui::ScrollArea::vertical()
            .id_salt("thread_frames")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                let retained = |o: u32| doms.map(|d| d.retained(o));
                frames_ui(ui, &heap, ctx.dump(), t, &retained, out);
                if x.locals.iter().any(|l| l.value.is_some()) {
                    ui.add_space(6.0);
                    ui.label(RichText::new("Thread-local values").strong());
                    for l in &x.locals {
                        let Some(v) = l.value else { continue };
                        held_ui(ui, &heap, ctx.dump(), v, retained(v), out, |ui| {
                            let what = if l.inheritable {
                                "inheritable"
                            } else {
                                "value"
                            };
                            ui.label(RichText::new(what).weak());
                        });
                    }
                }
            });
    }
}

/// An object a thread holds: what holds it, a link, its retained size.
fn held_ui(
    ui: &mut egui::Ui,
    heap: &Heap,
    dump: DumpId,
    o: u32,
    retained: Option<u64>,
    out: &mut Vec<Command>,
    what: impl FnOnce(&mut egui::Ui),
) {
    ui.horizontal(|ui| {
        ui.add_space(24.0);
        what(ui);
        object_link(ui, heap, dump, ObjectIx(o), out);
        if let Some(r) = retained {
            ui.label(RichText::new("retains").weak());
            size_label(ui, r);
        }
    });
}

/// A thread's frames, innermost first, with the objects each one holds
/// and (when known) their retained sizes.
pub fn frames_ui(
    ui: &mut egui::Ui,
    heap: &Heap,
    dump: DumpId,
    t: &Thread,
    retained: &dyn Fn(u32) -> Option<u64>,
    out: &mut Vec<Command>,
) {
    for f in &t.frames {
        ui.label(RichText::new(format!("at {}", f.display())).monospace());
        for &o in &f.locals {
            held_ui(ui, heap, dump, o, retained(o), out, |ui| {
                ui.label(RichText::new("holds").weak());
            });
        }
    }
}
