//! The dominator tree as a tree-table: retained size and share of the heap,
//! children expanded on demand and paged, so that a node with a million
//! children costs no more than the rows on screen.

use egui::RichText;
use egui_extras::{Column, TableBuilder};

use super::waiting;
use crate::analysis::dominators::Children;
use std::sync::Arc;

use crate::app::widgets::{
    class_filter, filter_regex, object_link, object_text, share_bar, show_more, size_label,
    sort_header,
};
use crate::app::{Command, Document};
use crate::units::thousands;

const PAGE: usize = 100;
/// The key of the tree's top level in `ViewState::expanded`.
const TOP: u32 = u32::MAX;

enum Line {
    Node {
        o: u32,
        depth: usize,
    },
    More {
        parent: u32,
        depth: usize,
        shown: usize,
        total: usize,
    },
}

fn kids(children: &Children, parent: u32) -> &[u32] {
    if parent == TOP {
        children.roots()
    } else {
        children.of(parent)
    }
}

/// Lists longer than this keep the retained order (re-sorting them would
/// hold up a frame); the filter still applies.
const RESORT_MAX: usize = 200_000;

/// A parent's children in the chosen order; the top level filtered by the
/// filter text. Each list is made once per order and filter, then cached.
fn ordered(doc: &mut Document, children: &Children, parent: u32) -> Arc<Vec<u32>> {
    let (col, asc) = doc.ui.tree_sort;
    let filter_text = if parent == TOP {
        doc.ui.tree_filter.clone()
    } else {
        String::new()
    };
    let key = (parent, col, asc, filter_text);
    if let Some(l) = doc.ui.tree_sorted.get(&key) {
        return l.clone();
    }
    let heap = doc.heap.clone().expect("loaded");
    let doms = doc.doms.clone().expect("loaded");
    let filter = filter_regex(&key.3).filter(|_| !key.3.is_empty());
    let mut l: Vec<u32> = kids(children, parent)
        .iter()
        .copied()
        .filter(|&o| {
            filter
                .as_ref()
                .is_none_or(|f| f.is_match(&object_text(&heap, o)))
        })
        .collect();
    if (col, asc) != (1, false) && l.len() <= RESORT_MAX {
        match col {
            0 => l.sort_by_cached_key(|&o| object_text(&heap, o)),
            2 => l.sort_by_key(|&o| heap.shallow_size(o)),
            _ => l.sort_by_key(|&o| doms.retained(o)),
        }
        if !asc {
            l.reverse();
        }
    }
    let l = Arc::new(l);
    if parent == TOP {
        // One filtered top level at a time, not one per keystroke.
        doc.ui.tree_sorted.retain(|k, _| k.0 != TOP);
    }
    doc.ui.tree_sorted.insert(key, l.clone());
    l
}

/// The rows on display: expanded nodes' children, depth first, each list
/// cut after the number of children it shows.
fn lines(doc: &mut Document, children: &Children) -> Vec<Line> {
    let mut out = Vec::new();
    // (parent, depth, index of the next child to list, the children)
    let mut stack = vec![(TOP, 0usize, 0usize, ordered(doc, children, TOP))];
    while let Some(top) = stack.last_mut() {
        let (parent, depth) = (top.0, top.1);
        let list = top.3.clone();
        let shown = doc
            .ui
            .expanded
            .get(&parent)
            .copied()
            .unwrap_or(PAGE)
            .min(list.len());
        if top.2 < shown {
            let o = list[top.2];
            top.2 += 1;
            out.push(Line::Node { o, depth });
            if doc.ui.expanded.contains_key(&o) && !children.of(o).is_empty() {
                let kids = ordered(doc, children, o);
                stack.push((o, depth + 1, 0, kids));
            }
        } else {
            if shown < list.len() {
                out.push(Line::More {
                    parent,
                    depth,
                    shown,
                    total: list.len(),
                });
            }
            stack.pop();
        }
    }
    out
}

pub fn ui(ui: &mut egui::Ui, doc: &mut Document, out: &mut Vec<Command>) {
    let (Some(heap), Some(doms), Some(children)) =
        (doc.heap.clone(), doc.doms.clone(), doc.children.clone())
    else {
        waiting(ui, "Computing the dominator tree");
        return;
    };
    let total = doms.reachable_bytes();
    ui.label(
        RichText::new(format!(
            "{}: {} reachable objects ({}), {} unreachable. Each object retains what it dominates; click the triangle to expand.",
            doms.referents.describe(),
            thousands(doms.reachable),
            crate::units::bytes(total),
            thousands(doms.unreachable())
        ))
        .weak(),
    );
    ui.horizontal(|ui| class_filter(ui, "Filter top level:", &mut doc.ui.tree_filter));
    let rows = lines(doc, &children);
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
    let mut toggle = None;
    let mut more = None;
    let mut sort = doc.ui.tree_sort;
    // One line per row: rows have a fixed height.
    ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
    TableBuilder::new(ui)
        .striped(true)
        .resizable(true)
        .column(Column::remainder().at_least(360.0).clip(true))
        .column(Column::auto().at_least(90.0))
        .column(Column::auto().at_least(80.0))
        .column(Column::auto().at_least(110.0))
        .header(row_height + 4.0, |mut header| {
            for (k, title) in ["Object", "Retained", "Shallow"].iter().enumerate() {
                header.col(|ui| sort_header(ui, title, k, &mut sort, k == 0));
            }
            header.col(|ui| {
                ui.label(RichText::new("% of heap").strong());
            });
        })
        .body(|body| {
            body.rows(row_height, rows.len(), |mut row| match &rows[row.index()] {
                Line::Node { o, depth } => {
                    let o = *o;
                    row.set_selected(doc.selection == Some(o));
                    row.col(|ui| {
                        ui.horizontal(|ui| {
                            ui.add_space(*depth as f32 * 16.0);
                            let n = children.of(o).len();
                            if n > 0 {
                                let open = doc.ui.expanded.contains_key(&o);
                                let icon = if open { "v" } else { ">" };
                                if ui
                                    .small_button(icon)
                                    .on_hover_text(format!("{} children", thousands(n as u64)))
                                    .clicked()
                                {
                                    toggle = Some(o);
                                }
                            } else {
                                ui.add_space(18.0);
                            }
                            object_link(ui, &heap, o, out);
                        });
                    });
                    row.col(|ui| {
                        size_label(ui, doms.retained(o));
                    });
                    row.col(|ui| {
                        size_label(ui, heap.shallow_size(o));
                    });
                    row.col(|ui| share_bar(ui, doms.retained(o), total));
                }
                Line::More {
                    parent,
                    depth,
                    shown,
                    total,
                } => {
                    row.col(|ui| {
                        ui.horizontal(|ui| {
                            ui.add_space(*depth as f32 * 16.0 + 18.0);
                            let next = show_more(ui, *shown, *total, PAGE);
                            if next != *shown {
                                more = Some((*parent, next));
                            }
                        });
                    });
                    row.col(|_| {});
                    row.col(|_| {});
                    row.col(|_| {});
                }
            });
        });
    doc.ui.tree_sort = sort;
    if let Some(o) = toggle {
        if doc.ui.expanded.remove(&o).is_none() {
            doc.ui.expanded.insert(o, PAGE);
        }
    }
    if let Some((parent, n)) = more {
        doc.ui.expanded.insert(parent, n);
    }
}
