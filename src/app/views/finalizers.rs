//! Finalization: registered, pending and in-processing objects by class,
//! the finalizer thread's stack, and the Finalizers and referents of the
//! chosen class.

use std::sync::Arc;

use egui::RichText;
use egui_extras::{Column, TableBuilder};

use super::{ViewContext, waiting};
use crate::analysis::dominators::Dominators;
use crate::analysis::finalizers::{Entry, FinalizerReport, State};
use crate::app::actions;
use crate::app::command::{Command, DumpId, Retention};
use crate::app::widgets::{
    Columns, Sort, cell_text, object_link, size_label, sort_headers, table_area,
};
use crate::heap::{ClassIx, Heap, ObjectIx};
use crate::units::{count_of, thousands};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClassCol {
    Class,
    Finalizers,
    Registered,
    Pending,
    InProcessing,
    KeptOnlyByFinalization,
}

impl Columns for ClassCol {
    const ALL: &'static [ClassCol] = &[
        ClassCol::Class,
        ClassCol::Finalizers,
        ClassCol::Registered,
        ClassCol::Pending,
        ClassCol::InProcessing,
        ClassCol::KeptOnlyByFinalization,
    ];
    fn title(self) -> &'static str {
        match self {
            ClassCol::Class => "Referent class",
            ClassCol::Finalizers => "Finalizers",
            ClassCol::Registered => "Registered",
            ClassCol::Pending => "Pending",
            ClassCol::InProcessing => "In processing",
            ClassCol::KeptOnlyByFinalization => "Kept only by finalization",
        }
    }
    fn hint(self) -> &'static str {
        match self {
            ClassCol::KeptOnlyByFinalization => {
                "the retained size of the referents no strong path reaches: freed once finalized"
            }
            ClassCol::Pending => "waiting for the finalizer thread",
            _ => "",
        }
    }
    fn is_text(self) -> bool {
        self == ClassCol::Class
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntryCol {
    Referent,
    State,
    Retained,
    Finalizer,
}

impl Columns for EntryCol {
    const ALL: &'static [EntryCol] = &[
        EntryCol::Referent,
        EntryCol::State,
        EntryCol::Retained,
        EntryCol::Finalizer,
    ];
    fn title(self) -> &'static str {
        match self {
            EntryCol::Referent => "Referent",
            EntryCol::State => "State",
            EntryCol::Retained => "Retained",
            EntryCol::Finalizer => "Its Finalizer",
        }
    }
    fn is_text(self) -> bool {
        self != EntryCol::Retained
    }
}

/// Which Finalizers of the class are listed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum StateFilter {
    #[default]
    All,
    Registered,
    Pending,
    InProcessing,
}

impl StateFilter {
    const ALL: [StateFilter; 4] = [
        StateFilter::All,
        StateFilter::Registered,
        StateFilter::Pending,
        StateFilter::InProcessing,
    ];

    fn label(self) -> &'static str {
        match self {
            StateFilter::All => "all",
            StateFilter::Registered => "registered only",
            StateFilter::Pending => "pending only",
            StateFilter::InProcessing => "in processing only",
        }
    }

    fn wants(self, s: State) -> bool {
        match self {
            StateFilter::All => true,
            StateFilter::Registered => s == State::Registered,
            StateFilter::Pending => s.is_pending(),
            StateFilter::InProcessing => s == State::InProcessing,
        }
    }
}

type EntriesKey = (DumpId, ClassIx, StateFilter, Sort<EntryCol>, Retention);

pub struct FinalizerView {
    class: Option<ClassIx>,
    class_sort: Sort<ClassCol>,
    entry_sort: Sort<EntryCol>,
    state: StateFilter,
    /// The Finalizers listed, as indexes into the report's entries.
    entries: Option<(EntriesKey, Arc<Vec<u32>>)>,
}

impl Default for FinalizerView {
    fn default() -> Self {
        FinalizerView {
            class: None,
            class_sort: Sort::by(ClassCol::Finalizers),
            entry_sort: Sort::by(EntryCol::Retained),
            state: StateFilter::All,
            entries: None,
        }
    }
}

impl FinalizerView {
    pub fn show_class(&mut self, class: ClassIx) {
        self.class = Some(class);
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &ViewContext, out: &mut Vec<Command>) {
        let (Some(heap), Some(report)) = (ctx.heap().cloned(), ctx.doc.finalizers.clone()) else {
            waiting(ui, "Finding objects waiting for finalization");
            return;
        };
        if report.entries.is_empty() {
            ui.label(
                "No java.lang.ref.Finalizer in this dump: nothing is registered for finalization.",
            );
            return;
        }
        let dump = ctx.dump();
        ui.heading(format!(
            "{} finalizers: {} registered, {} pending, {} in processing",
            thousands(report.entries.len() as u64),
            thousands(report.registered),
            thousands(report.pending),
            thousands(report.in_processing)
        ));
        ui.label(
            RichText::new(format!(
                "Pending: {} in Finalizer.queue (queueLength {}), {} discovered by the GC, {} no longer strongly reachable.",
                thousands(report.queued),
                report.queue_length.map(|n| n.to_string()).unwrap_or_else(|| "?".into()),
                thousands(report.vm_pending),
                thousands(report.unreachable),
            ))
            .weak(),
        );
        for t in &report.threads {
            let thread = &heap.threads()[t.thread];
            let name = thread.name.as_deref().unwrap_or("?");
            let title = match &t.in_finalize_of {
                Some(c) => format!("Thread \"{name}\" is stuck in {c}.finalize()"),
                None => format!("Thread \"{name}\" is idle"),
            };
            egui::CollapsingHeader::new(RichText::new(title).strong())
                .id_salt(("finalizer_thread", t.thread))
                .default_open(false)
                .show(ui, |ui| {
                    egui::ScrollArea::vertical()
                        .max_height(160.0)
                        .id_salt(("frames", t.thread))
                        .show(ui, |ui| {
                            super::threads::frames_ui(ui, &heap, dump, thread, &|_| None, out)
                        });
                });
        }
        ui.add_space(6.0);
        ui.label(RichText::new("By referent class (click a class for its objects)").strong());
        let mut rows: Vec<_> = report.by_class.iter().collect();
        let sort = self.class_sort;
        rows.sort_by(|a, b| {
            sort.order(match sort.column {
                ClassCol::Class => heap.class(a.class).name.cmp(&heap.class(b.class).name),
                ClassCol::Finalizers => a.finalizers.cmp(&b.finalizers),
                ClassCol::Registered => a.registered.cmp(&b.registered),
                ClassCol::Pending => a.pending.cmp(&b.pending),
                ClassCol::InProcessing => a.in_processing.cmp(&b.in_processing),
                ClassCol::KeptOnlyByFinalization => a.retained.cmp(&b.retained),
            })
        });
        let mut class_sort = self.class_sort;
        let classes_height = if self.class.is_some() {
            ui.available_height() * 0.3
        } else {
            ui.available_height()
        };
        table_area(ui, "finalizer_classes", |ui, row_height| {
            TableBuilder::new(ui)
                .striped(true)
                .max_scroll_height(classes_height)
                .column(Column::remainder().at_least(220.0).clip(true))
                .columns(Column::auto().at_least(80.0), 5)
                .header(row_height + 4.0, |mut header| {
                    sort_headers(&mut header, &mut class_sort)
                })
                .body(|body| {
                    body.rows(row_height, rows.len(), |mut r| {
                        let row = rows[r.index()];
                        let class = ClassIx(row.class);
                        r.col(|ui| {
                            let chosen = self.class == Some(class);
                            let name = ui.selectable_label(chosen, &heap.class(row.class).name);
                            if name.clicked() {
                                out.push(Command::FinalizerClass(dump, class));
                            }
                            name.context_menu(|ui| {
                                actions::class_menu(ui, &heap, dump, class, out)
                            });
                        });
                        for n in [
                            row.finalizers,
                            row.registered,
                            row.pending,
                            row.in_processing,
                        ] {
                            r.col(|ui| {
                                ui.label(thousands(n));
                            });
                        }
                        r.col(|ui| {
                            size_label(ui, row.retained);
                        });
                    });
                });
        });
        self.class_sort = class_sort;
        let Some(class) = self.class else { return };
        self.entries_ui(ui, ctx, &heap, &report, class, out);
    }

    fn entries_ui(
        &mut self,
        ui: &mut egui::Ui,
        ctx: &ViewContext,
        heap: &Heap,
        report: &FinalizerReport,
        class: ClassIx,
        out: &mut Vec<Command>,
    ) {
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            ui.label(
                RichText::new(format!("Objects of class {}", heap.class(class.0).name)).strong(),
            );
            ui.label("  show:");
            for f in StateFilter::ALL {
                if ui.selectable_label(self.state == f, f.label()).clicked() {
                    self.state = f;
                }
            }
        });
        // Filtered and sorted once per (class, state, order), not per
        // frame: a class can have a million Finalizers.
        let tree = ctx.tree().cloned();
        let key = (
            ctx.dump(),
            class,
            self.state,
            self.entry_sort,
            ctx.retention,
        );
        if self.entries.as_ref().is_none_or(|(k, _)| *k != key) {
            let list = entries(heap, report, tree.as_ref().map(|t| &t.doms), key);
            self.entries = Some((key, Arc::new(list)));
        }
        let list = self
            .entries
            .as_ref()
            .map(|(_, l)| l.clone())
            .unwrap_or_default();
        let retained = |e: &Entry| {
            tree.as_ref()
                .zip(e.referent)
                .map(|(t, r)| t.doms.retained(r))
                .unwrap_or(0)
        };
        ui.label(RichText::new(count_of(list.len() as u64, "object")).weak());
        let selection = ctx.doc.selection();
        let mut sort = self.entry_sort;
        table_area(ui, "finalizer_entries", |ui, row_height| {
            TableBuilder::new(ui)
                .striped(true)
                .column(Column::initial(300.0).at_least(200.0).clip(true))
                .column(Column::auto().at_least(140.0))
                .column(Column::auto().at_least(80.0))
                .column(Column::remainder().at_least(160.0).clip(true))
                .header(row_height + 4.0, |mut header| {
                    sort_headers(&mut header, &mut sort)
                })
                .body(|body| {
                    body.rows(row_height, list.len(), |mut r| {
                        let e = &report.entries[list[r.index()] as usize];
                        r.set_selected(
                            e.referent.is_some() && e.referent.map(ObjectIx) == selection,
                        );
                        r.col(|ui| {
                            if let Some(o) = e.referent {
                                object_link(ui, heap, ctx.dump(), ObjectIx(o), out);
                            }
                        });
                        r.col(|ui| {
                            cell_text(ui, e.state.label());
                        });
                        r.col(|ui| {
                            size_label(ui, retained(e));
                        });
                        r.col(|ui| {
                            object_link(ui, heap, ctx.dump(), ObjectIx(e.finalizer), out);
                        });
                    });
                });
        });
        self.entry_sort = sort;
    }
}

/// Indexes into `report.entries` of the Finalizers of the class in the
/// state wanted, in the order asked.
fn entries(
    heap: &Heap,
    report: &FinalizerReport,
    doms: Option<&Dominators>,
    (_, class, state, sort, _): EntriesKey,
) -> Vec<u32> {
    let retained = |e: &Entry| {
        doms.zip(e.referent)
            .map(|(d, r)| d.retained(r))
            .unwrap_or(0)
    };
    let mut list: Vec<u32> = (0..report.entries.len() as u32)
        .filter(|&i| {
            let e = &report.entries[i as usize];
            state.wants(e.state) && e.referent.is_some_and(|r| heap.class_of(r) == class.0)
        })
        .collect();
    list.sort_by(|&a, &b| {
        let (a, b) = (&report.entries[a as usize], &report.entries[b as usize]);
        sort.order(match sort.column {
            EntryCol::Referent => a.referent.cmp(&b.referent),
            EntryCol::State => a.state.cmp(&b.state),
            EntryCol::Finalizer => a.finalizer.cmp(&b.finalizer),
            EntryCol::Retained => retained(a).cmp(&retained(b)),
        })
    });
    list
}
