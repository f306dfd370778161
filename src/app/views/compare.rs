//! The comparison of the current dump with a baseline: classes, owners of
//! the growth and finalizers, each row linking into either dump.

use std::path::PathBuf;

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

use super::waiting;
use crate::analysis::diff::{ClassDelta, Diff, FinalizerCounts, OwnerDelta, delta};
use crate::app::widgets::table_area;
use crate::app::widgets::{class_filter, sort_header};
use crate::app::{Command, Comparison, Document, View};
use crate::report::diff::{path_text, percent};
use crate::units::{bytes, signed, signed_bytes, thousands};

/// What the view draws from.
pub struct Parts<'a> {
    pub compare: &'a mut Option<Comparison>,
    pub doc: &'a Document,
    pub other: Option<&'a Document>,
    pub recent: &'a [PathBuf],
}

pub fn ui(ui: &mut Ui, parts: Parts<'_>, out: &mut Vec<Command>) {
    let Some(c) = parts.compare.as_mut() else {
        choose_ui(ui, &parts, out);
        return;
    };
    let document = |p: &PathBuf| {
        std::iter::once(parts.doc)
            .chain(parts.other)
            .find(|d| &d.path == p)
    };
    let name = |p: &PathBuf| {
        document(p)
            .map(Document::label)
            .unwrap_or_else(|| p.display().to_string())
    };
    // Once compared, the names the comparison gives (with the heap dump
    // of a file holding several: `app.hprof #0`).
    let names = match &c.diff {
        Some(d) => [d.before.file.clone(), d.after.file.clone()],
        None => [name(&c.baseline), name(&c.current)],
    };
    ui.horizontal_wrapped(|ui| {
        let sides = [("Baseline", &c.baseline), ("->  current", &c.current)];
        for ((label, path), name) in sides.into_iter().zip(names) {
            ui.label(label);
            if ui
                .link(RichText::new(name).strong())
                .on_hover_text("Explore this dump")
                .clicked()
            {
                out.push(Command::Activate(path.clone()));
                out.push(Command::Show(View::Overview));
            }
        }
        ui.separator();
        if ui
            .button("Swap")
            .on_hover_text("Make the current dump the baseline")
            .clicked()
        {
            out.push(Command::SwapComparison);
        }
        if ui.button("Compare with another...").clicked() {
            out.push(Command::CloseComparison);
        }
    });
    if let Some(e) = &c.error {
        ui.add_space(12.0);
        ui.colored_label(
            ui.visuals().error_fg_color,
            format!("The comparison failed: {e}"),
        );
        return;
    }
    let Some(diff) = c.diff.clone() else {
        let loading: Vec<String> = [&c.baseline, &c.current]
            .into_iter()
            .filter_map(document)
            .filter(|d| d.heap.is_none())
            .map(Document::label)
            .collect();
        if !loading.is_empty() {
            waiting(ui, &format!("Loading {}", loading.join(" and ")));
        } else if let Some(p) = c.progress() {
            let f = p.fraction();
            ui.add_space(12.0);
            ui.add(egui::ProgressBar::new(f).desired_width(320.0).text(format!(
                "{}: {:.0}%",
                p.phase().label(),
                f * 100.0
            )));
            ui.label(
                RichText::new(
                    "Computing each dump's dominator tree over strong references, then matching classes and owners by name",
                )
                .weak(),
            );
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(250));
        } else {
            waiting(ui, "Starting the comparison");
        }
        return;
    };
    summary_ui(ui, &diff, c, out);
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        for (i, title) in ["Classes", "Owners of the growth", "Finalizer states"]
            .iter()
            .enumerate()
        {
            if ui
                .selectable_label(c.ui.section == i, RichText::new(*title).strong())
                .clicked()
            {
                c.ui.section = i;
            }
        }
    });
    ui.separator();
    match c.ui.section {
        0 => classes_ui(ui, &diff, c, out),
        1 => owners_ui(ui, &diff, c, out),
        _ => finalizers_ui(ui, &diff, &c.current, out),
    }
}

/// No comparison yet: pick a baseline.
fn choose_ui(ui: &mut Ui, parts: &Parts<'_>, out: &mut Vec<Command>) {
    ui.add_space(12.0);
    ui.heading("Compare with a baseline");
    ui.add_space(4.0);
    ui.label(format!(
        "Take two dumps of the same process some time apart: heapscope shows what grew per class and per finalizer state, and which owner holds the growth. {} is the current dump; choose the earlier one.",
        parts.doc.label()
    ));
    ui.add_space(8.0);
    if ui.button("Choose a file...").clicked() {
        out.push(Command::CompareDialog);
    }
    if let Some(other) = parts.other {
        ui.add_space(4.0);
        if ui
            .button(format!("Compare with {} (open)", other.label()))
            .clicked()
        {
            out.push(Command::CompareWith(other.path.clone()));
        }
    }
    let recent: Vec<&PathBuf> = parts
        .recent
        .iter()
        .filter(|p| **p != parts.doc.path && parts.other.is_none_or(|o| o.path != **p))
        .collect();
    if !recent.is_empty() {
        ui.add_space(8.0);
        ui.label(RichText::new("Recent files").strong());
        for p in recent {
            if ui.link(p.display().to_string()).clicked() {
                out.push(Command::CompareWith(p.clone()));
            }
        }
    }
}

/// The two dumps in figures, warnings, and the biggest owner of growth.
fn summary_ui(ui: &mut Ui, diff: &Diff, c: &mut Comparison, out: &mut Vec<Command>) {
    let (b, a) = (&diff.before, &diff.after);
    let count = |s: &str| diff.classes.iter().filter(|c| c.status() == s).count();
    let took = c
        .took
        .map(|t| format!("; compared in {t:.1} s"))
        .unwrap_or_default();
    ui.label(format!(
        "{} objects ({}), {} shallow ({}); {} classes new, {} gone; written {:.1} s apart{took}",
        signed(a.objects as i64 - b.objects as i64),
        percent(b.objects, a.objects),
        signed_bytes(a.shallow as i64 - b.shallow as i64),
        percent(b.shallow, a.shallow),
        count("new"),
        count("gone"),
        (a.timestamp_ms as f64 - b.timestamp_ms as f64) / 1000.0
    ));
    for w in &diff.warnings {
        ui.colored_label(ui.visuals().warn_fg_color, format!("Warning: {w}"));
    }
    if let Some(top) = diff
        .owners
        .as_ref()
        .and_then(|o| o.first())
        .filter(|o| o.growth > 0)
    {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new("Most growth is held by").strong());
            if ui
                .link(RichText::new(short_path(&top.path)).strong())
                .on_hover_text(path_text(&top.path))
                .clicked()
            {
                c.ui.section = 1;
            }
            ui.label(format!(
                "{}: {}",
                signed_bytes(top.growth),
                growth_text(top, 3)
            ));
            if let Some((o, _)) = top.example_after {
                if ui.small_button("inspect").clicked() {
                    inspect(out, &c.current, o);
                }
            }
        });
    }
}

fn inspect(out: &mut Vec<Command>, dump: &std::path::Path, o: u32) {
    out.push(Command::Activate(dump.to_path_buf()));
    out.push(Command::Select(o));
    out.push(Command::Show(View::Inspector));
}

/// `class BigHeap > Caches > ArrayList > Object[]`: class names without
/// their packages.
fn short_path(path: &[String]) -> String {
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

fn growth_text(o: &OwnerDelta, n: usize) -> String {
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
fn delta_label(ui: &mut Ui, text: String, d: i64) {
    let color = if d > 0 {
        ui.visuals().warn_fg_color
    } else if d < 0 {
        egui::Color32::from_rgb(60, 150, 90)
    } else {
        ui.visuals().weak_text_color()
    };
    ui.label(RichText::new(text).color(color));
}

const CLASS_COLUMNS: [&str; 11] = [
    "Class",
    "Instances before",
    "after",
    "delta",
    "Shallow before",
    "after",
    "delta",
    "change",
    "Retained before",
    "after",
    "delta",
];

fn class_key(c: &ClassDelta, column: usize) -> i128 {
    let (ib, ia) = c.instances();
    let (sb, sa) = c.shallow();
    let (rb, ra) = c.retained().unwrap_or((0, 0));
    match column {
        1 => ib as i128,
        2 => ia as i128,
        3 => c.instances_delta() as i128,
        4 => sb as i128,
        5 => sa as i128,
        7 => c
            .change_percent()
            .map_or(i128::MAX, |p| (p * 1000.0) as i128),
        8 => rb as i128,
        9 => ra as i128,
        10 => ra as i128 - rb as i128,
        _ => c.shallow_delta() as i128,
    }
}

fn classes_ui(ui: &mut Ui, diff: &Diff, c: &mut Comparison, out: &mut Vec<Command>) {
    let state = &mut c.ui;
    let filter = ui
        .horizontal(|ui| {
            let filter = class_filter(ui, "Filter:", &mut state.filter);
            ui.checkbox(&mut state.changed_only, "Changed only");
            filter
        })
        .inner;
    let mut rows: Vec<&ClassDelta> = diff
        .classes
        .iter()
        .filter(|c| filter.as_ref().is_none_or(|f| f.is_match(&c.name)))
        .filter(|c| !state.changed_only || c.instances_delta() != 0 || c.shallow_delta() != 0)
        .collect();
    let (sort, ascending) = state.class_sort;
    if sort == 0 {
        rows.sort_by(|x, y| x.name.cmp(&y.name));
    } else {
        rows.sort_by_key(|r| class_key(r, sort));
    }
    if !ascending {
        rows.reverse();
    }
    ui.label(
        RichText::new(format!(
            "{} of {} classes; retained sizes count strong references only; double-click a class for its instances in the current dump, right-click for the baseline",
            thousands(rows.len() as u64),
            thousands(diff.classes.len() as u64)
        ))
        .weak(),
    );
    let (baseline, current) = (c.baseline.clone(), c.current.clone());
    table_area(ui, "compare_classes", |ui, row_height| {
        let mut table = TableBuilder::new(ui)
            .striped(true)
            .resizable(true)
            .sense(egui::Sense::click())
            .column(Column::remainder().at_least(220.0).clip(true));
        for title in &CLASS_COLUMNS[1..] {
            let width = match *title {
                t if t.ends_with("before") => 118.0,
                "delta" => 88.0,
                "change" => 70.0,
                _ => 78.0,
            };
            table = table.column(Column::exact(width));
        }
        table
            .header(row_height + 4.0, |mut header| {
                for (i, title) in CLASS_COLUMNS.iter().enumerate() {
                    header.col(|ui| sort_header(ui, title, i, &mut c.ui.class_sort, i == 0));
                }
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
                        let text = match r.status() {
                            "" => percent(sb, sa),
                            s => s.to_string(),
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
                            out.push(Command::Activate(current.clone()));
                            out.push(Command::Instances(k));
                        }
                    }
                    response.context_menu(|ui| {
                        for (label, dump, class) in [
                            ("Instances in the current dump", &current, r.class_after),
                            ("Instances in the baseline", &baseline, r.class_before),
                        ] {
                            if ui
                                .add_enabled(class.is_some(), egui::Button::new(label))
                                .clicked()
                            {
                                out.push(Command::Activate(dump.clone()));
                                out.push(Command::Instances(class.expect("enabled")));
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
}

const OWNER_COLUMNS: [&str; 8] = [
    "Owner (dominator path by class)",
    "Growth held",
    "Retained before",
    "after",
    "Objects delta",
    "Containers",
    "Growth by class",
    "Open in",
];

fn owners_ui(ui: &mut Ui, diff: &Diff, c: &mut Comparison, out: &mut Vec<Command>) {
    let Some(owners) = &diff.owners else {
        ui.label("Owners need the dominator trees of both dumps.");
        return;
    };
    let mut rows: Vec<&OwnerDelta> = owners.iter().collect();
    let (sort, ascending) = c.ui.owner_sort;
    match sort {
        0 => rows.sort_by(|x, y| x.path.cmp(&y.path)),
        2 => rows.sort_by_key(|o| o.before.retained),
        3 => rows.sort_by_key(|o| o.after.retained),
        4 => rows.sort_by_key(|o| o.objects_delta()),
        5 => rows.sort_by_key(|o| o.after.entries),
        _ => rows.sort_by_key(|o| o.growth),
    }
    if !ascending {
        rows.reverse();
    }
    ui.label(
        RichText::new(
            "Each owner is a path down the strong dominator tree, matched between the dumps by class names. Its growth is its own objects' change plus that of the paths below it whose number of containers changed. Open the container in either dump.",
        )
        .weak(),
    );
    let (baseline, current) = (c.baseline.clone(), c.current.clone());
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
                for (i, title) in OWNER_COLUMNS.iter().enumerate() {
                    header.col(|ui| {
                        if i < 6 {
                            sort_header(ui, title, i, &mut c.ui.owner_sort, i == 0);
                        } else {
                            ui.label(RichText::new(*title).strong());
                        }
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
                        ui.label(growth_text(o, 3)).on_hover_text(all.join("\n"));
                    });
                    row.col(|ui| {
                        ui.horizontal(|ui| {
                            for (label, dump, example) in [
                                ("current", &current, o.example_after),
                                ("baseline", &baseline, o.example_before),
                            ] {
                                if let Some((x, _)) = example {
                                    if ui
                                        .small_button(label)
                                        .on_hover_text("Inspect the biggest such container there")
                                        .clicked()
                                    {
                                        inspect(out, dump, x);
                                    }
                                }
                            }
                        });
                    });
                });
            });
    });
}

fn finalizers_ui(ui: &mut Ui, diff: &Diff, current: &std::path::Path, out: &mut Vec<Command>) {
    let Some(f) = &diff.finalizers else {
        ui.label("The finalizer picture needs both dumps loaded.");
        return;
    };
    let line = |c: &FinalizerCounts| [c.finalizers, c.registered, c.pending, c.in_processing];
    egui::Grid::new("finalizer_totals")
        .striped(true)
        .spacing([24.0, 4.0])
        .show(ui, |ui| {
            for title in [
                "",
                "Finalizers",
                "Registered",
                "Pending",
                "In processing",
                "queueLength",
            ] {
                ui.label(RichText::new(title).strong());
            }
            ui.end_row();
            for (label, counts, q) in [
                ("Baseline", &f.before, f.queue_length.0),
                ("Current", &f.after, f.queue_length.1),
            ] {
                ui.label(label);
                for n in line(counts) {
                    ui.label(thousands(n));
                }
                ui.label(q.map(|n| n.to_string()).unwrap_or_else(|| "?".into()));
                ui.end_row();
            }
            ui.label("Delta");
            for (b, a) in line(&f.before).into_iter().zip(line(&f.after)) {
                delta_label(ui, signed(delta(b, a)), delta(b, a));
            }
            if let (Some(x), Some(y)) = f.queue_length {
                delta_label(ui, signed(y - x), y - x);
            }
            ui.end_row();
        });
    ui.add_space(16.0);
    ui.label(RichText::new("By referent class").strong());
    ui.add_space(4.0);
    table_area(ui, "compare_finalizers", |ui, row_height| {
        let mut table = TableBuilder::new(ui)
            .striped(true)
            .column(Column::remainder().at_least(240.0).clip(true));
        for _ in 0..7 {
            table = table.column(Column::auto().at_least(80.0));
        }
        table
            .header(row_height + 4.0, |mut header| {
                for title in [
                    "Referent class",
                    "Registered",
                    "delta",
                    "Pending",
                    "delta",
                    "In processing",
                    "delta",
                    "Open in",
                ] {
                    header.col(|ui| {
                        ui.label(RichText::new(title).strong());
                    });
                }
            })
            .body(|body| {
                body.rows(row_height, f.by_class.len(), |mut row| {
                    let r = &f.by_class[row.index()];
                    row.col(|ui| {
                        ui.label(&r.name);
                    });
                    for (b, a) in [
                        (r.before.registered, r.after.registered),
                        (r.before.pending, r.after.pending),
                        (r.before.in_processing, r.after.in_processing),
                    ] {
                        row.col(|ui| {
                            ui.label(format!("{} -> {}", thousands(b), thousands(a)));
                        });
                        row.col(|ui| delta_label(ui, signed(delta(b, a)), delta(b, a)));
                    }
                    row.col(|ui| {
                        if let Some(k) = r.class_after {
                            if ui
                                .small_button("current")
                                .on_hover_text(
                                    "The Finalizers view of the current dump on this class",
                                )
                                .clicked()
                            {
                                out.push(Command::Activate(current.to_path_buf()));
                                out.push(Command::FinalizerClass(k));
                            }
                        }
                    });
                });
            });
    });
}
