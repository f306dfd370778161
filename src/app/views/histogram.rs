//! The class histogram: instances, shallow and retained size per class,
//! sortable by every column, filterable, grouped by package on request;
//! double-click a class to list its instances.

use std::collections::BTreeMap;
use std::sync::Arc;

use egui::RichText;
use egui_extras::{Column, TableBuilder};

use super::waiting;
use crate::app::widgets::table_area;
use crate::app::widgets::{class_filter, object_link, share_bar, size_label, sort_header};
use crate::app::{Command, Document, jobs};
use crate::units::thousands;

struct Line {
    name: String,
    class: Option<u32>,
    instances: u64,
    shallow: u64,
    retained: Option<u64>,
}

const COLUMNS: [&str; 5] = ["Class", "Instances", "Shallow", "Retained", "% of heap"];

fn package(name: &str) -> &str {
    let element = name.trim_end_matches("[]");
    match element.rfind('.') {
        Some(i) => &element[..i],
        None => "(default package)",
    }
}

pub fn ui(ui: &mut egui::Ui, doc: &mut Document, out: &mut Vec<Command>) {
    let Some(rows) = doc.histogram.clone() else {
        waiting(ui, "Counting classes");
        return;
    };
    let retained = doc.class_retained.clone();
    let total: u64 = rows.iter().map(|r| r.shallow).sum();
    let state = &mut doc.ui;
    let filter = ui
        .horizontal(|ui| {
            let filter = class_filter(ui, "Filter:", &mut state.histogram_filter);
            ui.checkbox(&mut state.group_by_package, "Group by package");
            if retained.is_none() {
                ui.label(RichText::new("retained sizes are being computed...").weak());
            }
            filter
        })
        .inner;
    let mut lines: Vec<Line> = rows
        .iter()
        .filter(|r| filter.as_ref().is_none_or(|f| f.is_match(&r.name)))
        .map(|r| Line {
            name: r.name.clone(),
            class: Some(r.class),
            instances: r.instances,
            shallow: r.shallow,
            retained: retained.as_ref().map(|c| c[r.class as usize]),
        })
        .collect();
    if state.group_by_package {
        let mut packages: BTreeMap<String, Line> = BTreeMap::new();
        for l in lines {
            let p = packages
                .entry(package(&l.name).to_string())
                .or_insert_with(|| Line {
                    name: package(&l.name).to_string(),
                    class: None,
                    instances: 0,
                    shallow: 0,
                    retained: l.retained.map(|_| 0),
                });
            p.instances += l.instances;
            p.shallow += l.shallow;
            p.retained = p.retained.zip(l.retained).map(|(a, b)| a + b);
        }
        lines = packages.into_values().collect();
    }
    let (sort, ascending) = state.histogram_sort;
    lines.sort_by(|a, b| {
        let o = match sort {
            0 => a.name.cmp(&b.name),
            1 => a.instances.cmp(&b.instances),
            3 => a.retained.cmp(&b.retained),
            _ => a.shallow.cmp(&b.shallow),
        };
        let o = if ascending { o } else { o.reverse() };
        o.then_with(|| a.name.cmp(&b.name))
    });
    ui.label(
        RichText::new(format!(
            "{} classes shown, {} instances, {} of {} shallow{}",
            thousands(lines.len() as u64),
            thousands(lines.iter().map(|l| l.instances).sum()),
            crate::units::bytes(lines.iter().map(|l| l.shallow).sum()),
            crate::units::bytes(total),
            if state.group_by_package {
                ""
            } else {
                "; double-click a class for its instances"
            }
        ))
        .weak(),
    );
    let list_height = if state.instances_of.is_some() {
        ui.available_height() * 0.55
    } else {
        ui.available_height()
    };
    let mut new_sort = state.histogram_sort;
    let mut open_instances = None;
    table_area(ui, "histogram_table", |ui, row_height| {
        TableBuilder::new(ui)
            .striped(true)
            .resizable(true)
            .sense(egui::Sense::click())
            .max_scroll_height(list_height)
            .column(Column::remainder().at_least(260.0).clip(true))
            .column(Column::auto().at_least(90.0))
            .column(Column::auto().at_least(90.0))
            .column(Column::auto().at_least(90.0))
            .column(Column::auto().at_least(110.0))
            .header(row_height + 4.0, |mut header| {
                for (i, title) in COLUMNS.iter().enumerate() {
                    header.col(|ui| sort_header(ui, title, i, &mut new_sort, i == 0));
                }
            })
            .body(|body| {
                body.rows(row_height, lines.len(), |mut row| {
                    let l = &lines[row.index()];
                    row.set_selected(l.class.is_some() && l.class == state.instances_of);
                    row.col(|ui| {
                        ui.label(&l.name);
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
                    if row.response().double_clicked() {
                        open_instances = l.class;
                    }
                });
            });
    });
    state.histogram_sort = new_sort;
    if let Some(c) = open_instances {
        out.push(Command::Instances(c));
    }
    instances_ui(ui, doc, out);
}

/// The instances of the chosen class in a table that draws only the rows
/// on screen; listed and sorted off the UI thread (a class can have
/// millions).
fn instances_ui(ui: &mut egui::Ui, doc: &mut Document, out: &mut Vec<Command>) {
    let (Some(c), Some(heap)) = (doc.ui.instances_of, doc.heap.clone()) else {
        return;
    };
    let key = (c, doc.ui.instances_sort.0, doc.ui.instances_sort.1);
    let state = &mut doc.ui;
    if let Some((k, rx)) = &state.instances_job {
        if let Ok(list) = rx.try_recv() {
            state.instances = Some((*k, Arc::new(list)));
            state.instances_job = None;
        }
    }
    let have = state.instances.as_ref().is_some_and(|(k, _)| *k == key);
    let running = state.instances_job.as_ref().is_some_and(|(k, _)| *k == key);
    if !have && !running {
        let (heap, doms, ctx) = (heap.clone(), doc.doms.clone(), ui.ctx().clone());
        let rx = jobs::run(
            "instances",
            move || ctx.request_repaint(),
            move || {
                let mut list = heap.instances_of(c);
                match key.1 {
                    0 => {}
                    1 => list.sort_by_key(|&o| heap.shallow_size(o)),
                    _ => {
                        if let Some(d) = doms {
                            list.sort_by_key(|&o| d.retained(o));
                        }
                    }
                }
                if !key.2 {
                    list.reverse();
                }
                list
            },
        );
        state.instances_job = Some((key, rx));
    }
    ui.separator();
    ui.horizontal(|ui| {
        ui.label(RichText::new(format!("Instances of {}", heap.class(c).name)).strong());
        if ui.small_button("close").clicked() {
            doc.ui.instances_of = None;
        }
    });
    // The last list of this class while a new order is being sorted.
    let Some(list) = doc
        .ui
        .instances
        .as_ref()
        .filter(|(k, _)| k.0 == c)
        .map(|(_, l)| l.clone())
    else {
        waiting(ui, "Listing the instances");
        return;
    };
    ui.label(RichText::new(format!("{} instances", thousands(list.len() as u64))).weak());
    table_area(ui, "instances_table", |ui, row_height| {
        TableBuilder::new(ui)
            .striped(true)
            .column(Column::remainder().at_least(300.0).clip(true))
            .column(Column::auto().at_least(90.0))
            .column(Column::auto().at_least(90.0))
            .header(row_height + 4.0, |mut header| {
                for (k, title) in ["Object", "Shallow", "Retained"].iter().enumerate() {
                    header.col(|ui| sort_header(ui, title, k, &mut doc.ui.instances_sort, k == 0));
                }
            })
            .body(|body| {
                body.rows(row_height, list.len(), |mut row| {
                    let o = list[row.index()];
                    row.set_selected(doc.selection == Some(o));
                    row.col(|ui| {
                        object_link(ui, &heap, o, out);
                    });
                    row.col(|ui| {
                        size_label(ui, heap.shallow_size(o));
                    });
                    row.col(|ui| {
                        if let Some(d) = &doc.doms {
                            size_label(ui, d.retained(o));
                        }
                    });
                });
            });
    });
}
