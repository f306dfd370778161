//! The rows of the dominator tree-table: an object, a group of the
//! objects of one level, "show more", a level being grouped.

use std::collections::HashMap;

use egui::RichText;
use egui_extras::TableRow;

use super::ViewContext;
use super::dominators::{PAGE, Parent};
use crate::analysis::groups::{ClassGroups, GroupBy};
use crate::app::actions;
use crate::app::command::Command;
use crate::app::document::Tree;
use crate::app::widgets::{object_link, share_bar, show_more, size_label};
use crate::heap::{ClassIx, Heap, ObjectIx};
use crate::units::{bytes, count_of, thousands};

/// A list shown in pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Paged {
    /// A node's children, or (grouped) the groups of its children.
    Children(Parent),
    /// A group's members: the group of the children of a node.
    Group(Parent, u32),
}

/// A row of the tree-table.
#[derive(Clone, Copy)]
pub enum Line {
    Node {
        o: ObjectIx,
        depth: usize,
    },
    /// The group `group` of the children of `parent`.
    Group {
        parent: Parent,
        group: u32,
        depth: usize,
        objects: u64,
        shallow: u64,
        retained: u64,
    },
    More {
        paged: Paged,
        depth: usize,
        shown: usize,
        total: usize,
    },
    /// A level being grouped off the UI thread.
    Pending {
        depth: usize,
        objects: usize,
    },
}

/// What a click in a row asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clicked {
    /// Expand or fold a node's children or a group's members.
    Toggle(Paged),
    /// Show this many entries of a list.
    More(Paged, usize),
}

/// What the rows read.
pub struct Rows<'a> {
    pub ctx: &'a ViewContext<'a>,
    pub heap: &'a Heap,
    pub tree: &'a Tree,
    /// The groups, when grouped.
    pub classes: Option<&'a ClassGroups>,
    /// The reachable heap (for shares).
    pub total: u64,
    pub selection: Option<ObjectIx>,
    pub expanded: &'a HashMap<Parent, usize>,
    pub groups_expanded: &'a HashMap<(Parent, u32), usize>,
    /// Columns of the table.
    pub columns: usize,
}

fn indent(ui: &mut egui::Ui, depth: usize) {
    ui.add_space(depth as f32 * 16.0);
}

/// An expand/collapse button; true when clicked.
fn triangle(ui: &mut egui::Ui, open: bool, hint: &str) -> bool {
    ui.small_button(if open { "v" } else { ">" })
        .on_hover_text(hint)
        .clicked()
}

impl Rows<'_> {
    /// Draws `line` in `row`.
    pub fn row(&self, row: &mut TableRow, line: Line, out: &mut Vec<Command>) -> Option<Clicked> {
        match line {
            Line::Node { o, depth } => self.node(row, o, depth, out),
            Line::Group {
                parent,
                group,
                depth,
                objects,
                shallow,
                retained,
            } => {
                let figures = [objects, shallow, retained];
                self.group(row, parent, group, depth, figures, out)
            }
            Line::More {
                paged,
                depth,
                shown,
                total,
            } => {
                let mut clicked = None;
                row.col(|ui| {
                    ui.horizontal(|ui| {
                        ui.add_space(depth as f32 * 16.0 + 18.0);
                        let next = show_more(ui, shown, total, PAGE);
                        if next != shown {
                            clicked = Some(Clicked::More(paged, next));
                        }
                    });
                });
                self.blank(row);
                clicked
            }
            Line::Pending { depth, objects } => {
                row.col(|ui| {
                    ui.horizontal(|ui| {
                        ui.add_space(depth as f32 * 16.0 + 18.0);
                        let what = format!("grouping {}...", count_of(objects as u64, "object"));
                        ui.label(RichText::new(what).weak());
                    });
                });
                self.blank(row);
                None
            }
        }
    }

    /// The columns after the first, empty.
    fn blank(&self, row: &mut TableRow) {
        for _ in 1..self.columns {
            row.col(|_| {});
        }
    }

    fn node(
        &self,
        row: &mut TableRow,
        o: ObjectIx,
        depth: usize,
        out: &mut Vec<Command>,
    ) -> Option<Clicked> {
        let (heap, doms) = (self.heap, &self.tree.doms);
        let mut clicked = None;
        row.set_selected(self.selection == Some(o));
        row.col(|ui| {
            ui.horizontal(|ui| {
                indent(ui, depth);
                let n = self.tree.children.of(o.0).len();
                if n > 0 {
                    let open = self.expanded.contains_key(&Parent::Object(o));
                    let what = match self.classes {
                        Some(c) => format!("children, by {}", c.by.label()),
                        None => "children".to_string(),
                    };
                    if triangle(ui, open, &format!("{} {what}", thousands(n as u64))) {
                        clicked = Some(Clicked::Toggle(Paged::Children(Parent::Object(o))));
                    }
                } else {
                    ui.add_space(18.0);
                }
                object_link(ui, heap, self.ctx.dump(), o, out);
            });
        });
        if self.classes.is_some() {
            row.col(|_| {});
        }
        row.col(|ui| {
            size_label(ui, doms.retained(o.0));
        });
        row.col(|ui| {
            size_label(ui, heap.shallow_size(o.0));
        });
        row.col(|ui| share_bar(ui, doms.retained(o.0), self.total));
        clicked
    }

    /// A group row: `[objects, shallow, retained]`.
    fn group(
        &self,
        row: &mut TableRow,
        parent: Parent,
        group: u32,
        depth: usize,
        [objects, shallow, retained]: [u64; 3],
        out: &mut Vec<Command>,
    ) -> Option<Clicked> {
        let classes = self.classes?;
        let name = &classes.names[group as usize];
        let toggle = Clicked::Toggle(Paged::Group(parent, group));
        let mut clicked = None;
        row.col(|ui| {
            ui.horizontal(|ui| {
                indent(ui, depth);
                let open = self.groups_expanded.contains_key(&(parent, group));
                if triangle(ui, open, &count_of(objects, "object")) {
                    clicked = Some(toggle);
                }
                let of = match classes.by {
                    GroupBy::Class => "of class",
                    GroupBy::Loader => "of classes defined by",
                    GroupBy::Package => "of classes in",
                };
                let hint = format!(
                    "{} {of} {name} at this level; click to expand, right-click for more",
                    count_of(objects, "object"),
                );
                let label = egui::Label::new(RichText::new(name.as_str()).strong())
                    .truncate()
                    .sense(egui::Sense::click());
                let r = ui.add(label).on_hover_text(hint);
                if r.clicked() {
                    clicked = Some(toggle);
                }
                let dump = self.ctx.dump();
                match (classes.by, classes.objects[group as usize]) {
                    (GroupBy::Class, _) => {
                        r.context_menu(|ui| {
                            actions::class_menu(ui, self.heap, dump, ClassIx(group), out)
                        });
                    }
                    (GroupBy::Loader, Some(l)) => {
                        r.context_menu(|ui| {
                            actions::object_menu(ui, self.heap, dump, ObjectIx(l), out)
                        });
                    }
                    _ => {}
                }
            });
        });
        row.col(|ui| {
            ui.label(thousands(objects));
        });
        row.col(|ui| {
            ui.label(bytes(retained)).on_hover_text(format!(
                "{} bytes: the plain sum of the retained sizes of these {}, siblings in the dominator tree (none retains another, so nothing counts twice)",
                thousands(retained),
                count_of(objects, "object")
            ));
        });
        row.col(|ui| {
            size_label(ui, shallow);
        });
        row.col(|ui| share_bar(ui, retained, self.total));
        clicked
    }
}
