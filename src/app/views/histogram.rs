//! The class histogram: instances, shallow and retained size per class,
//! sortable by every column, filterable, grouped on request by package,
//! by superclass or by class loader (groups expand into their classes);
//! double-click a class to list its instances, right-click it for the
//! actions on its instances.

use std::collections::HashSet;
use std::sync::Arc;

use egui::RichText;
use egui_extras::{Column, TableBuilder};

use super::histogram_groups::{Group, Line, group_has_menu, group_menu, group_retained, grouped};
use super::instances::InstanceList;
use super::{ViewContext, retained_note, waiting};
use crate::analysis::groups::{ClassGroups, GroupBy};
use crate::app::actions;
use crate::app::command::{Command, DumpId, Retention};
use crate::app::task::{Keyed, Task};
use crate::app::widgets::{
    Columns, Sort, cell_text, class_filter, passes, share_bar, size_label, sort_headers, table_area,
};
use crate::heap::ClassIx;
use crate::units::{bytes, count_of, thousands};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Col {
    Class,
    Instances,
    Shallow,
    Retained,
    Share,
}

impl Columns for Col {
    const ALL: &'static [Col] = &[
        Col::Class,
        Col::Instances,
        Col::Shallow,
        Col::Retained,
        Col::Share,
    ];
    fn title(self) -> &'static str {
        match self {
            Col::Class => "Class",
            Col::Instances => "Instances",
            Col::Shallow => "Shallow",
            Col::Retained => "Retained",
            Col::Share => "% of heap",
        }
    }
    fn hint(self) -> &'static str {
        match self {
            Col::Retained => {
                "what would be freed with all the instances (a group: all its classes' instances as one set), counted once; unreachable objects retain nothing, so it can be below the shallow size"
            }
            Col::Share => "shallow size as a share of the heap",
            _ => "",
        }
    }
    fn is_text(self) -> bool {
        self == Col::Class
    }
}

/// What the rows shown depend on.
#[derive(Clone, PartialEq)]
struct LinesKey {
    dump: DumpId,
    filter: String,
    group: Group,
    expanded: Vec<(Group, u32)>,
    sort: Sort<Col>,
    retention: Retention,
    retained: bool,
    group_retained: bool,
}

/// The rows, and the instances and shallow bytes of the classes in them
/// (each class once: superclass groups share classes).
struct Lines {
    lines: Vec<Line>,
    instances: u64,
    shallow: u64,
}

pub struct HistogramView {
    filter: String,
    sort: Sort<Col>,
    group: Group,
    expanded: HashSet<(Group, u32)>,
    lines: Option<(LinesKey, Arc<Lines>)>,
    /// Classes in groups, per dump and grouping.
    groups: Option<((DumpId, GroupBy), Arc<ClassGroups>)>,
    /// Per group: its retained size as a set.
    group_retained: Keyed<(DumpId, Retention, Group), Arc<Vec<u64>>>,
    instances: InstanceList,
}

impl Default for HistogramView {
    fn default() -> Self {
        HistogramView {
            filter: String::new(),
            sort: Sort::by(Col::Shallow),
            group: Group::None,
            expanded: HashSet::new(),
            lines: None,
            groups: None,
            group_retained: Keyed::default(),
            instances: InstanceList::default(),
        }
    }
}

impl HistogramView {
    /// Lists the instances of `class` below the table.
    pub fn show_instances(&mut self, class: ClassIx) {
        self.instances.class = Some(class);
    }

    /// The instances of the class listed are known (for the benchmark).
    pub fn instances_listed(&self) -> bool {
        self.instances.is_listed()
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    pub fn sort(&self) -> Sort<Col> {
        self.sort
    }

    /// Groups the classes (for screenshots).
    pub fn set_group(&mut self, group: Group) {
        self.group = group;
    }

    /// Expands the first group row shown (for screenshots).
    pub fn expand_first(&mut self) {
        if let Some(g) = self
            .lines
            .as_ref()
            .and_then(|(_, l)| l.lines.iter().find_map(|l| l.group))
        {
            self.expanded.insert((self.group, g));
        }
    }

    /// A task the view waits for is running (for screenshots).
    pub fn is_busy(&self) -> bool {
        self.group_retained.is_running()
    }

    /// The classes in groups of the grouping chosen.
    fn class_groups(&mut self, ctx: &ViewContext) -> Option<Arc<ClassGroups>> {
        let by = self.group.class_groups()?;
        let heap = ctx.heap()?;
        let key = (ctx.dump(), by);
        if self.groups.as_ref().is_none_or(|(k, _)| *k != key) {
            self.groups = Some((key, Arc::new(ClassGroups::new(heap, by))));
        }
        self.groups.as_ref().map(|(_, g)| g.clone())
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &ViewContext, out: &mut Vec<Command>) {
        let Some(rows) = ctx.doc.histogram.clone() else {
            waiting(ui, "Counting classes");
            return;
        };
        let total: u64 = rows.iter().map(|r| r.shallow).sum();
        let tree = ctx.tree().cloned();
        let regex = ui
            .horizontal(|ui| {
                let f = class_filter(ui, "Filter:", &mut self.filter);
                ui.label("Group by:");
                for g in Group::ALL {
                    ui.selectable_value(&mut self.group, g, g.label());
                }
                if tree.is_none() {
                    ui.label(RichText::new("retained sizes are being computed...").weak());
                }
                f
            })
            .inner;
        let groups = self.class_groups(ctx);
        let group_retained = match (&groups, ctx.heap(), &tree) {
            (Some(groups), Some(heap), Some(tree)) => {
                let (heap, tree, groups, group) =
                    (heap.clone(), tree.clone(), groups.clone(), self.group);
                self.group_retained
                    .get(&(ctx.dump(), ctx.retention, self.group), || {
                        Task::compute("group-retained", ctx.waker.clone(), move |_| {
                            group_retained(group, &heap, &groups, &tree.doms, &tree.children)
                        })
                    })
                    .cloned()
            }
            _ => None,
        };
        let key = LinesKey {
            dump: ctx.dump(),
            filter: self.filter.clone(),
            group: self.group,
            expanded: {
                let mut e: Vec<(Group, u32)> = self.expanded.iter().copied().collect();
                e.sort();
                e
            },
            sort: self.sort,
            retention: ctx.retention,
            retained: tree.is_some(),
            group_retained: group_retained.is_some(),
        };
        if self.lines.as_ref().is_none_or(|(k, _)| *k != key) {
            let retained = tree.as_ref().map(|t| t.class_retained.as_slice());
            let lines = self.make_lines(
                ctx,
                &rows,
                &regex,
                retained,
                groups.as_deref(),
                group_retained.as_deref().map(Vec::as_slice),
            );
            self.lines = Some((key, Arc::new(lines)));
        }
        let lines = match &self.lines {
            Some((_, l)) => l.clone(),
            None => return,
        };
        let grouped = self.group != Group::None;
        let top = lines.lines.iter().filter(|l| !l.nested).count();
        let hint = if grouped {
            format!("click a {}'s triangle for its classes", self.group.noun())
        } else {
            "double-click a class for its instances, right-click for more".to_string()
        };
        ui.label(
            RichText::new(format!(
                "{} shown, {} instances, {} of {} shallow; {}; {hint}",
                count_of(top as u64, self.group.noun()),
                thousands(lines.instances),
                bytes(lines.shallow),
                bytes(total),
                retained_note(ctx),
            ))
            .weak(),
        );
        let list_height = if self.instances.class.is_some() {
            ui.available_height() * 0.55
        } else {
            ui.available_height()
        };
        let mut sort = self.sort;
        let (mut open, mut toggle) = (None, None);
        let heap = ctx.heap().cloned();
        let group = self.group;
        table_area(ui, "histogram_table", |ui, row_height| {
            TableBuilder::new(ui)
                .striped(true)
                .resizable(true)
                .sense(egui::Sense::click())
                .max_scroll_height(list_height)
                .column(Column::remainder().at_least(240.0).clip(true))
                .columns(Column::auto().at_least(90.0), 3)
                .column(Column::auto().at_least(110.0))
                .header(row_height + 4.0, |mut header| {
                    sort_headers(&mut header, &mut sort)
                })
                .body(|body| {
                    body.rows(row_height, lines.lines.len(), |mut row| {
                        let l = &lines.lines[row.index()];
                        row.set_selected(l.class.is_some() && l.class == self.instances.class);
                        row.col(|ui| {
                            ui.horizontal(|ui| {
                                if let Some(g) = l.group {
                                    let open = self.expanded.contains(&(group, g));
                                    if ui
                                        .small_button(if open { "v" } else { ">" })
                                        .on_hover_text(l.group_hint(group))
                                        .clicked()
                                    {
                                        toggle = Some(g);
                                    }
                                } else if l.nested {
                                    ui.add_space(24.0);
                                }
                                let name = cell_text(ui, &l.name);
                                if l.group.is_some() {
                                    name.on_hover_text(l.group_hint(group));
                                }
                            });
                        });
                        row.col(|ui| {
                            ui.label(thousands(l.instances));
                        });
                        row.col(|ui| {
                            size_label(ui, l.shallow);
                        });
                        row.col(|ui| match l.retained {
                            Some(r) => {
                                size_label(ui, r);
                            }
                            None => {
                                ui.label(RichText::new("...").weak());
                            }
                        });
                        row.col(|ui| share_bar(ui, l.shallow, total));
                        // Labels take no clicks in tables (`table_area`): a
                        // double-click anywhere on the row opens it.
                        let response = row.response();
                        let Some(heap) = &heap else { return };
                        match (l.class, l.group) {
                            (Some(c), _) => {
                                if response.double_clicked() {
                                    open = Some(c);
                                }
                                response.context_menu(|ui| {
                                    actions::class_menu(ui, heap, ctx.dump(), c, out)
                                });
                            }
                            (None, Some(g)) => {
                                if response.double_clicked() {
                                    toggle = Some(g);
                                }
                                if group_has_menu(group, l) {
                                    response.context_menu(|ui| {
                                        group_menu(ui, heap, ctx.dump(), group, l, out)
                                    });
                                }
                            }
                            (None, None) => {}
                        }
                    });
                });
        });
        self.sort = sort;
        if let Some(g) = toggle {
            if !self.expanded.remove(&(group, g)) {
                self.expanded.insert((group, g));
            }
        }
        if let Some(c) = open {
            self.instances.class = Some(c);
        }
        self.instances.ui(ui, ctx, out);
    }

    /// The rows for the filter, grouping and order.
    fn make_lines(
        &self,
        ctx: &ViewContext,
        rows: &[crate::analysis::histogram::Row],
        regex: &Result<Option<regex::Regex>, String>,
        retained: Option<&[u64]>,
        groups: Option<&ClassGroups>,
        group_retained: Option<&[u64]>,
    ) -> Lines {
        let classes: Vec<Line> = rows
            .iter()
            .filter(|r| passes(regex, &r.name))
            .map(|r| {
                let retained = retained.map(|c| c[r.class as usize]);
                Line::class(&r.name, r.class, r.instances, r.shallow, retained)
            })
            .collect();
        let instances = classes.iter().map(|l| l.instances).sum();
        let shallow = classes.iter().map(|l| l.shallow).sum();
        let sort = self.sort;
        let order = |a: &Line, b: &Line| {
            let o = match sort.column {
                Col::Class => a.name.cmp(&b.name),
                Col::Instances => a.instances.cmp(&b.instances),
                Col::Retained => a.retained.cmp(&b.retained),
                Col::Shallow | Col::Share => a.shallow.cmp(&b.shallow),
            };
            sort.order(o).then_with(|| a.name.cmp(&b.name))
        };
        let lines = match (groups, ctx.heap()) {
            (Some(groups), Some(heap)) => grouped(
                heap,
                classes,
                self.group,
                groups,
                // Groups: retained as a set when known (never the sum of
                // their classes', which counts shared objects more than once).
                group_retained,
                &self.expanded,
                order,
            ),
            _ => {
                let mut classes = classes;
                classes.sort_by(order);
                classes
            }
        };
        Lines {
            lines,
            instances,
            shallow,
        }
    }
}
