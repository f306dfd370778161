//! The comparison's tables: classes, owners of the growth, finalizers.

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

use super::compare::CompareView;
use crate::analysis::diff::{ClassDelta, Diff, OwnerDelta, Presence, delta};
use crate::app::command::{Command, DumpId, View};
use crate::app::widgets::{
    Columns, Sort, class_filter, passes, sort_headers, table_area, tooltip_lines,
};
use crate::heap::{ClassIx, ObjectIx};
use crate::report::diff::{path_text, percent};
use crate::units::{bytes, signed, signed_bytes, thousands};

/// `class BigHeap > Caches > ArrayList > Object[]`: class names without
/// their packages.
pub(super) fn short_path(path: &[String]) -> String {
    if path.is_empty() {
        return path_text(path);
    }
    path.iter()
        .map(|p| {
            let (prefix, name) = match p.strip_prefix("class ") {
                Some(n) => ("class ", n),
                None => ("", p.as_str()),
            };
            let element = name.trim_end_matches("[]");
            let simple = element.rsplit('.').next().unwrap_or(element);
            format!("{prefix}{simple}{}", &name[element.len()..])
        })
        .collect::<Vec<_>>()
        .join(" > ")
}

pub(super) fn growth_text(o: &OwnerDelta, n: usize) -> String {
    o.classes
        .iter()
        .filter(|c| c.1 != 0)
        .take(n)
        .map(|(name, objects, _)| {
            format!(
                "{} {}",
                signed(*objects),
                short_path(std::slice::from_ref(name))
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A signed count coloured by direction (growth is the warning colour).
pub(super) fn delta_label(ui: &mut Ui, text: String, d: i64) {
    let color = if d > 0 {
        ui.visuals().warn_fg_color
    } else if d < 0 {
        egui::Color32::from_rgb(60, 150, 90)
    } else {
        ui.visuals().weak_text_color()
    };
    ui.label(RichText::new(text).color(color));
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClassCol {
    Class,
    InstancesBefore,
    InstancesAfter,
    InstancesDelta,
    ShallowBefore,
    ShallowAfter,
    ShallowDelta,
    Change,
    RetainedBefore,
    RetainedAfter,
    RetainedDelta,
}

impl Columns for ClassCol {
    const ALL: &'static [ClassCol] = &[
        ClassCol::Class,
        ClassCol::InstancesBefore,
        ClassCol::InstancesAfter,
        ClassCol::InstancesDelta,
        ClassCol::ShallowBefore,
        ClassCol::ShallowAfter,
        ClassCol::ShallowDelta,
        ClassCol::Change,
        ClassCol::RetainedBefore,
        ClassCol::RetainedAfter,
        ClassCol::RetainedDelta,
    ];
    fn title(self) -> &'static str {
        match self {
            ClassCol::Class => "Class",
            ClassCol::InstancesBefore => "Instances before",
            ClassCol::ShallowBefore => "Shallow before",
            ClassCol::RetainedBefore => "Retained before",
            ClassCol::InstancesAfter | ClassCol::ShallowAfter | ClassCol::RetainedAfter => "after",
            ClassCol::InstancesDelta | ClassCol::ShallowDelta | ClassCol::RetainedDelta => "delta",
            ClassCol::Change => "change",
        }
    }
    fn hint(self) -> &'static str {
        match self {
            ClassCol::RetainedBefore | ClassCol::RetainedAfter | ClassCol::RetainedDelta => {
                "retained size of all instances as a set, over strong references"
            }
            ClassCol::Change => "shallow size change in percent",
            _ => "",
        }
    }
    fn is_text(self) -> bool {
        self == ClassCol::Class
    }
}

fn class_key(c: &ClassDelta, column: ClassCol) -> i128 {
    let (ib, ia) = c.instances();
    let (sb, sa) = c.shallow();
    let (rb, ra) = c.retained().unwrap_or((0, 0));
    match column {
        ClassCol::InstancesBefore => ib as i128,
        ClassCol::InstancesAfter => ia as i128,
        ClassCol::InstancesDelta => c.instances_delta() as i128,
        ClassCol::ShallowBefore => sb as i128,
        ClassCol::ShallowAfter => sa as i128,
        ClassCol::Change => c
            .change_percent()
            .map_or(i128::MAX, |p| (p * 1000.0) as i128),
        ClassCol::RetainedBefore => rb as i128,
        ClassCol::RetainedAfter => ra as i128,
        ClassCol::RetainedDelta => ra as i128 - rb as i128,
        ClassCol::Class | ClassCol::ShallowDelta => c.shallow_delta() as i128,
    }
}

/// The class rows shown: for a filter and an order, made once.
pub type ClassRowsKey = (String, bool, Sort<ClassCol>);

pub(super) fn classes_ui(
    ui: &mut Ui,
    diff: &Diff,
    view: &mut CompareView,
    [baseline, current]: [DumpId; 2],
    out: &mut Vec<Command>,
) {
    let filter = ui
        .horizontal(|ui| {
            let filter = class_filter(ui, "Filter:", &mut view.filter);
            ui.checkbox(&mut view.changed_only, "Changed only");
            filter
        })
        .inner;
    let key = (view.filter.clone(), view.changed_only, view.class_sort);
    if view.class_rows.as_ref().is_none_or(|(k, _)| *k != key) {
        let mut rows: Vec<u32> = (0..diff.classes.len() as u32)
            .filter(|&i| {
                let c = &diff.classes[i as usize];
                passes(&filter, &c.name)
                    && (!key.1 || c.instances_delta() != 0 || c.shallow_delta() != 0)
            })
            .collect();
        let sort = key.2;
        let row = |i: &u32| &diff.classes[*i as usize];
        if sort.column == ClassCol::Class {
            rows.sort_by(|x, y| row(x).name.cmp(&row(y).name));
        } else {
            rows.sort_by_key(|r| class_key(row(r), sort.column));
        }
        if !sort.ascending {
            rows.reverse();
        }
        view.class_rows = Some((key, rows));
    }
    let rows: Vec<&ClassDelta> = view
        .class_rows
        .as_ref()
        .map(|(_, r)| r.iter().map(|&i| &diff.classes[i as usize]).collect())
        .unwrap_or_default();
    ui.label(
        RichText::new(format!(
            "{} of {} classes; retained sizes over strong references; double-click a class for its instances in the current dump, right-click for the baseline",
            thousands(rows.len() as u64),
            thousands(diff.classes.len() as u64)
        ))
        .weak(),
    );
    let mut sort = view.class_sort;
    table_area(ui, "compare_classes", |ui, row_height| {
        let mut table = TableBuilder::new(ui)
            .striped(true)
            .resizable(true)
            .sense(egui::Sense::click())
            .column(Column::remainder().at_least(220.0).clip(true));
        for &c in &ClassCol::ALL[1..] {
            let width = match c.title() {
                t if t.ends_with("before") => 118.0,
                "delta" => 88.0,
                "change" => 70.0,
                _ => 78.0,
            };
            table = table.column(Column::exact(width));
        }
        table
            .header(row_height + 4.0, |mut header| {
                sort_headers(&mut header, &mut sort)
            })
            .body(|body| {
                body.rows(row_height, rows.len(), |mut row| {
                    let r = rows[row.index()];
                    let (ib, ia) = r.instances();
                    let (sb, sa) = r.shallow();
                    row.col(|ui| {
                        ui.label(&r.name);
                    });
                    row.col(|ui| {
                        ui.label(thousands(ib));
                    });
                    row.col(|ui| {
                        ui.label(thousands(ia));
                    });
                    row.col(|ui| delta_label(ui, signed(delta(ib, ia)), delta(ib, ia)));
                    row.col(|ui| {
                        ui.label(bytes(sb));
                    });
                    row.col(|ui| {
                        ui.label(bytes(sa));
                    });
                    row.col(|ui| delta_label(ui, signed_bytes(delta(sb, sa)), delta(sb, sa)));
                    row.col(|ui| {
                        let text = match r.presence() {
                            Presence::Both => percent(sb, sa),
                            p => p.label().to_string(),
                        };
                        delta_label(ui, text, delta(sb, sa));
                    });
                    match r.retained() {
                        Some((rb, ra)) => {
                            row.col(|ui| {
                                ui.label(bytes(rb));
                            });
                            row.col(|ui| {
                                ui.label(bytes(ra));
                            });
                            row.col(|ui| {
                                delta_label(ui, signed_bytes(delta(rb, ra)), delta(rb, ra))
                            });
                        }
                        None => {
                            for _ in 0..3 {
                                row.col(|ui| {
                                    ui.label(RichText::new("-").weak());
                                });
                            }
                        }
                    }
                    let response = row.response();
                    if response.double_clicked() {
                        if let Some(k) = r.class_after {
                            out.push(Command::Instances(current, ClassIx(k)));
                        }
                    }
                    response.context_menu(|ui| {
                        for (label, dump, class) in [
                            ("Instances in the current dump", current, r.class_after),
                            ("Instances in the baseline", baseline, r.class_before),
                        ] {
                            if ui
                                .add_enabled(class.is_some(), egui::Button::new(label))
                                .clicked()
                            {
                                out.push(Command::Instances(
                                    dump,
                                    ClassIx(class.expect("enabled")),
                                ));
                                ui.close();
                            }
                        }
                        if ui.button("Copy class name").clicked() {
                            ui.ctx().copy_text(r.name.clone());
                            ui.close();
                        }
                    });
                });
            });
    });
    view.class_sort = sort;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OwnerCol {
    Owner,
    Growth,
    RetainedBefore,
    RetainedAfter,
    ObjectsDelta,
    Containers,
}

impl Columns for OwnerCol {
    const ALL: &'static [OwnerCol] = &[
        OwnerCol::Owner,
        OwnerCol::Growth,
        OwnerCol::RetainedBefore,
        OwnerCol::RetainedAfter,
        OwnerCol::ObjectsDelta,
        OwnerCol::Containers,
    ];
    fn title(self) -> &'static str {
        match self {
            OwnerCol::Owner => "Owner (dominator path by class)",
            OwnerCol::Growth => "Growth held",
            OwnerCol::RetainedBefore => "Retained before",
            OwnerCol::RetainedAfter => "after",
            OwnerCol::ObjectsDelta => "Objects delta",
            OwnerCol::Containers => "Containers",
        }
    }
    fn hint(self) -> &'static str {
        match self {
            OwnerCol::RetainedBefore | OwnerCol::RetainedAfter => "over strong references",
            _ => "",
        }
    }
    fn is_text(self) -> bool {
        self == OwnerCol::Owner
    }
}

pub(super) fn owners_ui(
    ui: &mut Ui,
    diff: &Diff,
    view: &mut CompareView,
    [baseline, current]: [DumpId; 2],
    out: &mut Vec<Command>,
) {
    let Some(owners) = &diff.owners else {
        ui.label("Owners need the dominator trees of both dumps.");
        return;
    };
    let mut rows: Vec<&OwnerDelta> = owners.iter().collect();
    let sort = view.owner_sort;
    match sort.column {
        OwnerCol::Owner => rows.sort_by(|x, y| x.path.cmp(&y.path)),
        OwnerCol::RetainedBefore => rows.sort_by_key(|o| o.before.retained),
        OwnerCol::RetainedAfter => rows.sort_by_key(|o| o.after.retained),
        OwnerCol::ObjectsDelta => rows.sort_by_key(|o| o.objects_delta()),
        OwnerCol::Containers => rows.sort_by_key(|o| o.after.entries),
        OwnerCol::Growth => rows.sort_by_key(|o| o.growth),
    }
    if !sort.ascending {
        rows.reverse();
    }
    let mut sort = view.owner_sort;
    ui.label(
        RichText::new(
            "Each owner is a path down the strong dominator tree, matched between the dumps by class names. Its growth is its own objects' change plus that of the paths below it whose number of containers changed. Open the container in either dump.",
        )
        .weak(),
    );
    table_area(ui, "compare_owners", |ui, row_height| {
        TableBuilder::new(ui)
            .striped(true)
            .resizable(true)
            .column(Column::initial(320.0).at_least(200.0).clip(true))
            .column(Column::initial(100.0).at_least(60.0))
            .column(Column::initial(110.0).at_least(60.0))
            .column(Column::initial(80.0).at_least(60.0))
            .column(Column::initial(100.0).at_least(60.0))
            .column(Column::initial(90.0).at_least(60.0))
            .column(Column::initial(220.0).at_least(120.0).clip(true))
            .column(Column::remainder().at_least(150.0))
            .header(row_height + 4.0, |mut header| {
                sort_headers(&mut header, &mut sort);
                for title in ["Growth by class", "Open in"] {
                    header.col(|ui| {
                        ui.label(RichText::new(title).strong());
                    });
                }
            })
            .body(|body| {
                body.rows(row_height, rows.len(), |mut row| {
                    let o = rows[row.index()];
                    row.col(|ui| {
                        // The container matters most: long paths lose their top.
                        let tail = o.path.len().saturating_sub(3);
                        let text = short_path(&o.path[tail..]);
                        let text = if tail > 0 {
                            format!("... > {text}")
                        } else {
                            text
                        };
                        ui.label(text).on_hover_text(path_text(&o.path));
                    });
                    row.col(|ui| delta_label(ui, signed_bytes(o.growth), o.growth));
                    row.col(|ui| {
                        ui.label(bytes(o.before.retained));
                    });
                    row.col(|ui| {
                        ui.label(bytes(o.after.retained));
                    });
                    row.col(|ui| delta_label(ui, signed(o.objects_delta()), o.objects_delta()));
                    row.col(|ui| {
                        ui.label(format!("{} -> {}", o.before.entries, o.after.entries));
                    });
                    row.col(|ui| {
                        let all: Vec<String> = o
                            .classes
                            .iter()
                            .map(|(n, objects, shallow)| {
                                format!("{} {n} ({})", signed(*objects), signed_bytes(*shallow))
                            })
                            .collect();
                        ui.label(growth_text(o, 3))
                            .on_hover_text(tooltip_lines(&all, 25));
                    });
                    row.col(|ui| {
                        ui.horizontal(|ui| {
                            for (label, dump, example) in [
                                ("current", current, o.example_after),
                                ("baseline", baseline, o.example_before),
                            ] {
                                if let Some((x, _)) = example {
                                    if ui
                                        .small_button(label)
                                        .on_hover_text("Inspect the biggest such container there")
                                        .clicked()
                                    {
                                        out.push(Command::Select(dump, ObjectIx(x)));
                                        out.push(Command::Show(View::Inspector));
                                    }
                                }
                            }
                        });
                    });
                });
            });
    });
    view.owner_sort = sort;
}
