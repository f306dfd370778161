//! The instances of a class, below the histogram: listed and sorted off
//! the UI thread (a class can have millions), drawn only where on screen.

use std::sync::Arc;

use egui::RichText;
use egui_extras::{Column, TableBuilder};

use super::{ViewContext, waiting};
use crate::app::command::{Command, DumpId, Retention};
use crate::app::task::{Keyed, Task};
use crate::app::widgets::{Columns, Sort, object_link, size_label, sort_headers, table_area};
use crate::heap::{ClassIx, ObjectIx};
use crate::units::count_of;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InstanceCol {
    Object,
    Shallow,
    Retained,
}

impl Columns for InstanceCol {
    const ALL: &'static [InstanceCol] = &[
        InstanceCol::Object,
        InstanceCol::Shallow,
        InstanceCol::Retained,
    ];
    fn title(self) -> &'static str {
        match self {
            InstanceCol::Object => "Object",
            InstanceCol::Shallow => "Shallow",
            InstanceCol::Retained => "Retained",
        }
    }
    fn is_text(self) -> bool {
        self == InstanceCol::Object
    }
}

type Key = (DumpId, ClassIx, Sort<InstanceCol>, Retention);

pub struct InstanceList {
    pub class: Option<ClassIx>,
    sort: Sort<InstanceCol>,
    list: Keyed<Key, Arc<Vec<u32>>>,
}

impl Default for InstanceList {
    fn default() -> Self {
        InstanceList {
            class: None,
            sort: Sort::by(InstanceCol::Retained),
            list: Keyed::default(),
        }
    }
}

impl InstanceList {
    pub fn is_listed(&self) -> bool {
        self.list.last().is_some()
    }

    /// The instances of the chosen class in a table that draws only the
    /// rows on screen; listed and sorted off the UI thread (a class can
    /// have millions).
    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &ViewContext, out: &mut Vec<Command>) {
        let (Some(c), Some(heap)) = (self.class, ctx.heap().cloned()) else {
            return;
        };
        let tree = ctx.tree().cloned();
        let key = (ctx.dump(), c, self.sort, ctx.retention);
        let sort = self.sort;
        self.list.get(&key, || {
            let (heap, tree) = (heap.clone(), tree.clone());
            Task::compute("instances", ctx.waker.clone(), move |_| {
                let mut list = heap.instances_of(c.0);
                match sort.column {
                    InstanceCol::Object => {}
                    InstanceCol::Shallow => list.sort_by_key(|&o| heap.shallow_size(o)),
                    InstanceCol::Retained => {
                        if let Some(t) = &tree {
                            list.sort_by_key(|&o| t.doms.retained(o));
                        }
                    }
                }
                if !sort.ascending {
                    list.reverse();
                }
                Arc::new(list)
            })
        });
        ui.separator();
        ui.horizontal(|ui| {
            ui.label(RichText::new(format!("Instances of {}", heap.class(c.0).name)).strong());
            if ui.small_button("close").clicked() {
                self.class = None;
            }
        });
        // The last list of this class while a new order is being sorted.
        let Some(list) = self
            .list
            .last()
            .filter(|(k, _)| k.0 == ctx.dump() && k.1 == c)
            .map(|(_, l)| l.clone())
        else {
            waiting(ui, "Listing the instances");
            return;
        };
        ui.label(RichText::new(count_of(list.len() as u64, "instance")).weak());
        let mut sort = self.sort;
        let selection = ctx.doc.selection();
        table_area(ui, "instances_table", |ui, row_height| {
            TableBuilder::new(ui)
                .striped(true)
                .column(Column::remainder().at_least(300.0).clip(true))
                .columns(Column::auto().at_least(90.0), 2)
                .header(row_height + 4.0, |mut header| {
                    sort_headers(&mut header, &mut sort)
                })
                .body(|body| {
                    body.rows(row_height, list.len(), |mut row| {
                        let o = ObjectIx(list[row.index()]);
                        row.set_selected(selection == Some(o));
                        row.col(|ui| {
                            object_link(ui, &heap, ctx.dump(), o, out);
                        });
                        row.col(|ui| {
                            size_label(ui, heap.shallow_size(o.0));
                        });
                        row.col(|ui| {
                            if let Some(t) = &tree {
                                size_label(ui, t.doms.retained(o.0));
                            }
                        });
                    });
                });
        });
        self.sort = sort;
    }
}
