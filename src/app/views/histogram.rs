//! The class histogram: instances, shallow and retained size per class,
//! sortable by every column, filterable, grouped by package on request
//! (packages expand into their classes); double-click a class to list its
//! instances, right-click it for the actions on its instances.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use egui::RichText;
use egui_extras::{Column, TableBuilder};

use super::instances::InstanceList;
use super::{ViewContext, retained_note, waiting};
use crate::app::actions;
use crate::app::command::{Command, DumpId, Retention};
use crate::app::task::{Keyed, Task};
use crate::app::widgets::{
    Columns, Sort, cell_text, class_filter, passes, share_bar, size_label, sort_headers, table_area,
};
use crate::heap::{ClassIx, Heap};
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
                "what would be freed with all the instances (a package: all its objects), counted once; unreachable objects retain nothing, so it can be below the shallow size"
            }
            Col::Share => "shallow size as a share of the heap",
            _ => "",
        }
    }
    fn is_text(self) -> bool {
        self == Col::Class
    }
}

/// A row: a class, a package, or a class under its expanded package.
struct Line {
    name: String,
    class: Option<ClassIx>,
    /// Classes in a package row; 0 for a class.
    classes: usize,
    nested: bool,
    instances: u64,
    shallow: u64,
    retained: Option<u64>,
}

/// What the rows shown depend on.
#[derive(Clone, PartialEq)]
struct LinesKey {
    dump: DumpId,
    filter: String,
    group: bool,
    expanded: Vec<String>,
    sort: Sort<Col>,
    retention: Retention,
    retained: bool,
    package_retained: bool,
}

pub struct HistogramView {
    filter: String,
    sort: Sort<Col>,
    group: bool,
    expanded: HashSet<String>,
    lines: Option<(LinesKey, Arc<Vec<Line>>)>,
    /// Per package (in name order): its retained size as a set.
    /// Per package: its retained size as a set.
    package_retained: Keyed<(DumpId, Retention), Arc<HashMap<String, u64>>>,
    instances: InstanceList,
}

impl Default for HistogramView {
    fn default() -> Self {
        HistogramView {
            filter: String::new(),
            sort: Sort::by(Col::Shallow),
            group: false,
            expanded: HashSet::new(),
            lines: None,
            package_retained: Keyed::default(),
            instances: InstanceList::default(),
        }
    }
}

const PRIMITIVES: [&str; 8] = [
    "boolean", "byte", "char", "short", "int", "long", "float", "double",
];

/// The package of a class name; primitive arrays have one of their own.
pub fn package(name: &str) -> &str {
    let element = name.trim_end_matches("[]");
    match element.rfind('.') {
        Some(i) => &element[..i],
        None if element != name && PRIMITIVES.contains(&element) => "(primitive arrays)",
        None => "(default package)",
    }
}

/// Every package of the heap in name order, and each class's package.
fn packages(heap: &Heap) -> (Vec<String>, Vec<u32>) {
    let mut names: BTreeMap<&str, u32> = BTreeMap::new();
    for (_, c) in heap.classes().iter() {
        names.insert(package(&c.name), 0);
    }
    for (i, v) in names.values_mut().enumerate() {
        *v = i as u32;
    }
    let of_class = heap
        .classes()
        .iter()
        .map(|(_, c)| names[package(&c.name)])
        .collect();
    (names.keys().map(|s| s.to_string()).collect(), of_class)
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
                ui.checkbox(&mut self.group, "Group by package");
                if tree.is_none() {
                    ui.label(RichText::new("retained sizes are being computed...").weak());
                }
                f
            })
            .inner;
        let package_retained = match (self.group, ctx.heap(), &tree) {
            (true, Some(heap), Some(tree)) => {
                let (heap, tree) = (heap.clone(), tree.clone());
                self.package_retained
                    .get(&(ctx.dump(), ctx.retention), || {
                        Task::compute("package-retained", ctx.waker.clone(), move |_| {
                            let (names, of_class) = packages(&heap);
                            let sizes = crate::analysis::sets::group_retained(
                                &tree.doms,
                                &tree.children,
                                |o| Some(of_class[heap.class_of(o) as usize]),
                                names.len(),
                            );
                            Arc::new(names.into_iter().zip(sizes).collect())
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
                let mut e: Vec<String> = self.expanded.iter().cloned().collect();
                e.sort();
                e
            },
            sort: self.sort,
            retention: ctx.retention,
            retained: tree.is_some(),
            package_retained: package_retained.is_some(),
        };
        if self.lines.as_ref().is_none_or(|(k, _)| *k != key) {
            let retained = tree.as_ref().map(|t| t.class_retained.as_slice());
            let lines = self.make_lines(&rows, &regex, retained, package_retained.as_deref());
            self.lines = Some((key, Arc::new(lines)));
        }
        let lines = self
            .lines
            .as_ref()
            .map(|(_, l)| l.clone())
            .unwrap_or_default();
        let top: Vec<&Line> = lines.iter().filter(|l| !l.nested).collect();
        let shown = if self.group {
            count_of(top.len() as u64, "package")
        } else {
            count_of(top.len() as u64, "class")
        };
        let hint = if self.group {
            "click a package's triangle for its classes"
        } else {
            "double-click a class for its instances, right-click for more"
        };
        ui.label(
            RichText::new(format!(
                "{shown} shown, {} instances, {} of {} shallow; {}; {hint}",
                thousands(top.iter().map(|l| l.instances).sum()),
                bytes(top.iter().map(|l| l.shallow).sum()),
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
                    body.rows(row_height, lines.len(), |mut row| {
                        let l = &lines[row.index()];
                        row.set_selected(l.class.is_some() && l.class == self.instances.class);
                        row.col(|ui| {
                            ui.horizontal(|ui| {
                                if l.class.is_none() {
                                    let open = self.expanded.contains(&l.name);
                                    if ui
                                        .small_button(if open { "v" } else { ">" })
                                        .on_hover_text(count_of(l.classes as u64, "class"))
                                        .clicked()
                                    {
                                        toggle = Some(l.name.clone());
                                    }
                                } else if l.nested {
                                    ui.add_space(24.0);
                                }
                                cell_text(ui, &l.name);
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
                        match l.class {
                            Some(c) => {
                                if response.double_clicked() {
                                    open = Some(c);
                                }
                                if let Some(heap) = &heap {
                                    response.context_menu(|ui| {
                                        actions::class_menu(ui, heap, ctx.dump(), c, out)
                                    });
                                }
                            }
                            None if response.double_clicked() => toggle = Some(l.name.clone()),
                            None => {}
                        }
                    });
                });
        });
        self.sort = sort;
        if let Some(p) = toggle {
            if !self.expanded.remove(&p) {
                self.expanded.insert(p);
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
        rows: &[crate::analysis::histogram::Row],
        regex: &Result<Option<regex::Regex>, String>,
        retained: Option<&[u64]>,
        package_retained: Option<&HashMap<String, u64>>,
    ) -> Vec<Line> {
        let classes: Vec<Line> = rows
            .iter()
            .filter(|r| passes(regex, &r.name))
            .map(|r| Line {
                name: r.name.clone(),
                class: Some(ClassIx(r.class)),
                classes: 0,
                nested: false,
                instances: r.instances,
                shallow: r.shallow,
                retained: retained.map(|c| c[r.class as usize]),
            })
            .collect();
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
        if !self.group {
            let mut classes = classes;
            classes.sort_by(order);
            return classes;
        }
        // Packages: retained as a set when known (never the sum of their
        // classes', which counts shared objects more than once).
        let mut groups: BTreeMap<String, (Line, Vec<Line>)> = BTreeMap::new();
        for l in classes {
            let p = package(&l.name).to_string();
            let set = package_retained.and_then(|r| r.get(&p).copied());
            let g = groups.entry(p.clone()).or_insert_with(|| {
                let line = Line {
                    name: p,
                    class: None,
                    classes: 0,
                    nested: false,
                    instances: 0,
                    shallow: 0,
                    retained: set,
                };
                (line, Vec::new())
            });
            g.0.classes += 1;
            g.0.instances += l.instances;
            g.0.shallow += l.shallow;
            g.1.push(Line { nested: true, ..l });
        }
        let mut groups: Vec<(Line, Vec<Line>)> = groups.into_values().collect();
        groups.sort_by(|a, b| order(&a.0, &b.0));
        let mut out = Vec::new();
        for (package, mut members) in groups {
            let open = self.expanded.contains(&package.name);
            out.push(package);
            if open {
                members.sort_by(order);
                out.extend(members);
            }
        }
        out
    }
}
