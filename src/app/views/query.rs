//! The results of an action on an object or a class: paths to GC roots
//! (merged over a class's instances), the retained set as a histogram,
//! immediate dominators by class. One query at a time, computed off the
//! UI thread; a new one cancels the last.

use egui::RichText;
use egui_extras::{Column, TableBuilder};

use super::{ViewContext, waiting};
use crate::analysis::paths::{self, ExcludedField, MergedPaths, PathSearch, ShortestPaths};
use crate::analysis::sets::{self, DominatorRow, SetRow};
use crate::app::actions;
use crate::app::command::{Command, DumpId, Exclude, Query, Retention, Target};
use crate::app::task::{Keyed, Task};
use crate::app::widgets::{object_link, object_text, size_label, table_area};
use crate::heap::{ClassIx, Heap, ObjectIx};
use crate::units::{bytes, count_of, thousands};

pub enum QueryResult {
    Paths(PathSearch),
    Merged(MergedPaths),
    /// The retained set: rows by class, objects, shallow bytes.
    Histogram(Vec<SetRow>, u64, u64),
    Dominators(Vec<DominatorRow>),
    Failed(String),
}

type Key = (DumpId, Query, Retention);

#[derive(Default)]
pub struct QueryView {
    query: Option<(DumpId, Query)>,
    result: Keyed<Key, QueryResult>,
    field: String,
}

fn objects(heap: &Heap, target: Target) -> Vec<u32> {
    match target {
        Target::Object(o) => vec![o.0],
        Target::Class(c) => heap.instances_of(c.0),
    }
}

fn target_text(heap: &Heap, target: Target) -> String {
    match target {
        Target::Object(o) => object_text(heap, o.0),
        Target::Class(c) => format!("all instances of {}", heap.class(c.0).name),
    }
}

fn run(
    heap: &Heap,
    tree: Option<&crate::app::document::Tree>,
    query: &Query,
    p: &crate::progress::Progress,
) -> QueryResult {
    let tree = || tree.ok_or("the dominator tree is not computed yet");
    let result = match query {
        Query::Paths(target, exclude) => {
            let fields: Result<Vec<ExcludedField>, String> = match exclude {
                Exclude::Field(f) => f
                    .split(',')
                    .map(|f| ExcludedField::parse(f.trim()))
                    .collect(),
                _ => Ok(Vec::new()),
            };
            fields.and_then(|fields| {
                let filter = paths::Filter::new(heap, exclude.referents(), &fields);
                match target {
                    Target::Object(o) => paths::paths_cancellable(&filter, o.0, 10, 200_000, p)
                        .map(QueryResult::Paths)
                        .map_err(|_| "cancelled".into()),
                    Target::Class(c) => ShortestPaths::compute(&filter, p)
                        .map(|sp| {
                            QueryResult::Merged(paths::merge_paths(&sp, &heap.instances_of(c.0)))
                        })
                        .map_err(|_| "cancelled".into()),
                }
            })
        }
        Query::RetainedSet(target) => tree()
            .map(|t| {
                let set = sets::retained_set(&t.doms, &t.children, &objects(heap, *target));
                let shallow = set.iter().map(|&o| heap.shallow_size(o)).sum();
                QueryResult::Histogram(sets::set_histogram(heap, &set), set.len() as u64, shallow)
            })
            .map_err(String::from),
        Query::ImmediateDominators(target) => tree()
            .map(|t| {
                QueryResult::Dominators(sets::immediate_dominators(
                    heap,
                    &t.doms,
                    &objects(heap, *target),
                ))
            })
            .map_err(String::from),
    };
    result.unwrap_or_else(QueryResult::Failed)
}

impl QueryView {
    pub fn show(&mut self, dump: DumpId, query: Query) {
        self.query = Some((dump, query));
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &ViewContext, out: &mut Vec<Command>) {
        let Some(heap) = ctx.heap().cloned() else {
            waiting(ui, "Reading the dump");
            return;
        };
        let Some((dump, query)) = self.query.clone().filter(|(d, _)| *d == ctx.dump()) else {
            ui.add_space(16.0);
            ui.label("Right-click an object or a class anywhere (or use the Inspector's Actions) for its paths to GC roots, its retained set or its immediate dominators.");
            return;
        };
        let (target, title) = match &query {
            Query::Paths(t, e) => (*t, format!("Paths to GC roots {}", e.label())),
            Query::RetainedSet(t) => (*t, format!("Retained set over {}", ctx.retention.label())),
            Query::ImmediateDominators(t) => (
                *t,
                format!("Immediate dominators over {}", ctx.retention.label()),
            ),
        };
        ui.horizontal(|ui| {
            ui.label(RichText::new(title).strong());
            ui.label("of");
            match target {
                Target::Object(o) => {
                    object_link(ui, &heap, dump, o, out);
                }
                Target::Class(c) => {
                    ui.label(target_text(&heap, target))
                        .context_menu(|ui| actions::class_menu(ui, &heap, dump, c, out));
                }
            }
        });
        if let Query::Paths(t, _) = &query {
            ui.horizontal(|ui| {
                let label = ui.label("Exclude fields:");
                ui.add(
                    egui::TextEdit::singleline(&mut self.field)
                        .hint_text("java.lang.Thread:threadLocals, ...")
                        .desired_width(300.0),
                )
                .labelled_by(label.id);
                if ui.button("Search again").clicked() && !self.field.trim().is_empty() {
                    self.query = Some((
                        dump,
                        Query::Paths(*t, Exclude::Field(self.field.trim().to_string())),
                    ));
                }
            });
        }
        ui.separator();
        let key = (dump, query.clone(), ctx.retention);
        let tree = ctx.tree().cloned();
        let result = self.result.get(&key, || {
            let heap = heap.clone();
            Task::compute("query", ctx.waker.clone(), move |p| {
                run(&heap, tree.as_deref(), &query, p)
            })
        });
        match result {
            None => waiting(ui, "Computing"),
            Some(QueryResult::Failed(e)) => {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
            Some(QueryResult::Paths(s)) if s.paths.is_empty() => {
                ui.label("No GC root reaches it by these references.");
            }
            Some(QueryResult::Paths(s)) => {
                egui::ScrollArea::vertical()
                    .auto_shrink([false, false])
                    .show(ui, |ui| super::why_alive::paths_ui(ui, &heap, dump, s, out));
            }
            Some(QueryResult::Merged(m)) => merged_ui(ui, &heap, dump, m, out),
            Some(QueryResult::Histogram(rows, n, shallow)) => {
                histogram_ui(ui, &heap, dump, rows, *n, *shallow, out)
            }
            Some(QueryResult::Dominators(rows)) => dominators_ui(ui, &heap, dump, rows, out),
        }
    }
}

/// Merged shortest paths as a tree from the roots down to the instances.
fn merged_ui(
    ui: &mut egui::Ui,
    heap: &Heap,
    dump: DumpId,
    m: &MergedPaths,
    out: &mut Vec<Command>,
) {
    ui.label(RichText::new(format!(
        "Each row: an object on the shortest paths, how many of the instances' paths pass through it; {} no root reaches.",
        count_of(m.unreachable, "instance")
    )).weak());
    fn node_ui(
        ui: &mut egui::Ui,
        heap: &Heap,
        dump: DumpId,
        m: &MergedPaths,
        i: usize,
        out: &mut Vec<Command>,
    ) {
        let n = &m.nodes[i];
        let id = ui.make_persistent_id(("merged", i));
        let header = |ui: &mut egui::Ui, out: &mut Vec<Command>| {
            ui.label(RichText::new(format!("{} paths", thousands(n.count))).weak());
            object_link(ui, heap, dump, ObjectIx(n.object), out);
            if n.targets > 0 {
                ui.label(
                    RichText::new(format!("({} of the instances)", thousands(n.targets))).weak(),
                );
            }
        };
        if n.children.is_empty() {
            ui.horizontal(|ui| {
                ui.add_space(18.0);
                header(ui, out)
            });
            return;
        }
        egui::collapsing_header::CollapsingState::load_with_default_open(
            ui.ctx(),
            id,
            m.nodes[i].children.len() == 1,
        )
        .show_header(ui, |ui| header(ui, out))
        .body(|ui| {
            for &k in n.children.iter().take(200) {
                node_ui(ui, heap, dump, m, k, out);
            }
        });
    }
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for &r in m.roots.iter().take(200) {
                node_ui(ui, heap, dump, m, r, out);
            }
        });
}

fn histogram_ui(
    ui: &mut egui::Ui,
    heap: &Heap,
    dump: DumpId,
    rows: &[SetRow],
    n: u64,
    shallow: u64,
    out: &mut Vec<Command>,
) {
    ui.label(
        RichText::new(format!(
            "{} ({}) in the retained set; right-click a class for more",
            count_of(n, "object"),
            bytes(shallow)
        ))
        .weak(),
    );
    table_area(ui, "retained_set", |ui, row_height| {
        TableBuilder::new(ui)
            .striped(true)
            .sense(egui::Sense::click())
            .column(Column::remainder().at_least(280.0).clip(true))
            .columns(Column::auto().at_least(100.0), 2)
            .header(row_height + 4.0, |mut h| {
                for t in ["Class", "Objects", "Shallow"] {
                    h.col(|ui| {
                        ui.label(RichText::new(t).strong());
                    });
                }
            })
            .body(|body| {
                body.rows(row_height, rows.len(), |mut row| {
                    let r = &rows[row.index()];
                    row.col(|ui| {
                        ui.label(&heap.class(r.class).name);
                    });
                    row.col(|ui| {
                        ui.label(thousands(r.objects));
                    });
                    row.col(|ui| {
                        size_label(ui, r.shallow);
                    });
                    row.response().context_menu(|ui| {
                        actions::class_menu(ui, heap, dump, ClassIx(r.class), out)
                    });
                });
            });
    });
}

fn dominators_ui(
    ui: &mut egui::Ui,
    heap: &Heap,
    dump: DumpId,
    rows: &[DominatorRow],
    out: &mut Vec<Command>,
) {
    ui.label(
        RichText::new(
            "The objects that immediately dominate the set, by class: what to free to free them",
        )
        .weak(),
    );
    table_area(ui, "immediate_dominators", |ui, row_height| {
        TableBuilder::new(ui)
            .striped(true)
            .column(Column::remainder().at_least(260.0).clip(true))
            .columns(Column::auto().at_least(100.0), 3)
            .header(row_height + 4.0, |mut h| {
                for t in [
                    "Dominator class",
                    "Dominators",
                    "Objects dominated",
                    "Their shallow size",
                ] {
                    h.col(|ui| {
                        ui.label(RichText::new(t).strong());
                    });
                }
            })
            .body(|body| {
                body.rows(row_height, rows.len(), |mut row| {
                    let r = &rows[row.index()];
                    row.col(|ui| match (r.class, r.dominators.first()) {
                        (Some(_), Some(&o)) if r.dominators.len() == 1 => {
                            object_link(ui, heap, dump, ObjectIx(o), out);
                        }
                        (Some(c), _) => {
                            ui.label(&heap.class(c).name).context_menu(|ui| {
                                actions::class_menu(ui, heap, dump, ClassIx(c), out)
                            });
                        }
                        (None, _) => {
                            ui.label("(the GC roots: no single object)");
                        }
                    });
                    row.col(|ui| {
                        ui.label(thousands(r.dominators.len() as u64));
                    });
                    row.col(|ui| {
                        ui.label(thousands(r.dominated));
                    });
                    row.col(|ui| {
                        size_label(ui, r.dominated_shallow);
                    });
                });
            });
    });
}
