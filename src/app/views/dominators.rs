//! The dominator tree as a tree-table: retained size and share of the heap,
//! children expanded on demand and paged, so that a node with a million
//! children costs no more than the rows on screen; grouped on request by
//! class, class loader or package (see `dominator_groups`).

use std::collections::HashMap;
use std::sync::Arc;

use egui::RichText;
use egui_extras::{Column, TableBuilder};

use super::dominator_groups::{Frame, Grouped};
use super::dominator_rows::{Clicked, Line, Paged, Rows};
use super::{ViewContext, waiting};
use crate::analysis::dominators::{Children, Idom};
use crate::analysis::groups::GroupBy;
use crate::app::command::{Command, DumpId, Retention};
use crate::app::document::Tree;
use crate::app::widgets::{
    Columns, Sort, class_filter, object_text, passes, sort_header, sort_header_as,
};
use crate::heap::{Heap, ObjectIx};
use crate::units::thousands;

/// Rows of a list shown at first, and added by "show more".
pub(super) const PAGE: usize = 100;

/// Lists longer than this keep the retained order (re-sorting them would
/// hold up a frame); the filter still applies.
pub(super) const RESORT_MAX: usize = 200_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Col {
    Object,
    /// A group's object count (grouped only).
    Objects,
    Retained,
    Shallow,
}

impl Columns for Col {
    const ALL: &'static [Col] = &[Col::Object, Col::Retained, Col::Shallow];
    fn title(self) -> &'static str {
        match self {
            Col::Object => "Object",
            Col::Objects => "Objects",
            Col::Retained => "Retained",
            Col::Shallow => "Shallow",
        }
    }
    fn hint(self) -> &'static str {
        match self {
            Col::Objects => "objects of the group at this level",
            Col::Retained => {
                "what would be freed with the object; a group's is the plain sum of its objects' (siblings in the tree never retain one another)"
            }
            Col::Shallow => "the object's own size; a group's is the sum",
            Col::Object => "",
        }
    }
    fn is_text(self) -> bool {
        self == Col::Object
    }
}

/// The columns grouped.
const GROUPED: [Col; 4] = [Col::Object, Col::Objects, Col::Retained, Col::Shallow];

/// A node whose children are listed: the tree's top level (what the GC
/// roots dominate together) or an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Parent {
    Top,
    Object(ObjectIx),
}

/// A child list in an order, for a filter (the top level only).
#[derive(Clone, PartialEq, Eq, Hash)]
struct ListKey {
    dump: DumpId,
    retention: Retention,
    parent: Parent,
    sort: Sort<Col>,
    filter: String,
}

pub struct DominatorView {
    filter: String,
    sort: Sort<Col>,
    /// Grouped by a property of the objects' classes, or not.
    group: Option<GroupBy>,
    grouped: Grouped,
    /// Expand the first row (and the first member of a group) when shown.
    expand_first: bool,
    /// Expanded nodes and how many children each shows.
    expanded: HashMap<Parent, usize>,
    /// Child lists as shown, made once per order and filter.
    lists: HashMap<ListKey, Arc<Vec<u32>>>,
    /// An object to show, its dominators expanded, once the tree is there.
    reveal: Option<ObjectIx>,
    scroll_to: Option<ObjectIx>,
}

impl Default for DominatorView {
    fn default() -> Self {
        DominatorView {
            filter: String::new(),
            sort: Sort::by(Col::Retained),
            group: None,
            grouped: Grouped::default(),
            expand_first: false,
            expanded: HashMap::from([(Parent::Top, PAGE)]),
            lists: HashMap::new(),
            reveal: None,
            scroll_to: None,
        }
    }
}

/// The children of a node, largest retained first.
pub(super) fn kids(children: &Children, parent: Parent) -> &[u32] {
    match parent {
        Parent::Top => children.roots(),
        Parent::Object(o) => children.of(o.0),
    }
}

impl DominatorView {
    /// Shows `o` with its dominators expanded.
    pub fn reveal(&mut self, o: ObjectIx) {
        self.reveal = Some(o);
    }

    /// Expands the top level's first row once shown, and grouped its
    /// first object (for screenshots).
    pub fn expand_first(&mut self) {
        self.expand_first = true;
    }

    /// Groups the tree (`None`: no grouping).
    pub fn set_group(&mut self, group: Option<GroupBy>) {
        if group != self.group {
            self.group = group;
            self.grouped.regroup();
            if group.is_none() && self.sort.column == Col::Objects {
                self.sort = Sort::by(Col::Retained);
            }
        }
    }

    /// A level is being grouped (for screenshots).
    pub fn is_busy(&self) -> bool {
        self.grouped.is_busy()
    }

    /// Shows `n` rows of the top level (for the frame-time benchmark).
    pub fn show_top(&mut self, n: usize) {
        self.expanded.insert(Parent::Top, n);
    }

    /// How many top-level lists are cached, and for which filters.
    pub fn cached_top_filters(&self) -> Vec<String> {
        self.lists
            .keys()
            .filter(|k| k.parent == Parent::Top)
            .map(|k| k.filter.clone())
            .collect()
    }

    /// A parent's children in the chosen order; the top level filtered.
    fn ordered(
        &mut self,
        ctx: &ViewContext,
        heap: &Heap,
        tree: &Tree,
        parent: Parent,
    ) -> Arc<Vec<u32>> {
        let key = ListKey {
            dump: ctx.dump(),
            retention: ctx.retention,
            parent,
            sort: self.sort,
            filter: if parent == Parent::Top {
                self.filter.clone()
            } else {
                String::new()
            },
        };
        if let Some(l) = self.lists.get(&key) {
            return l.clone();
        }
        let filter = super::super::widgets::filter_regex(&key.filter);
        let mut l: Vec<u32> = kids(&tree.children, parent)
            .iter()
            .copied()
            .filter(|&o| key.filter.is_empty() || passes(&filter, &object_text(heap, o)))
            .collect();
        let sort = self.sort;
        if sort != Sort::by(Col::Retained) && l.len() <= RESORT_MAX {
            match sort.column {
                Col::Object => l.sort_by_cached_key(|&o| object_text(heap, o)),
                Col::Shallow => l.sort_by_key(|&o| heap.shallow_size(o)),
                Col::Retained | Col::Objects => l.sort_by_key(|&o| tree.doms.retained(o)),
            }
            if !sort.ascending {
                l.reverse();
            }
        }
        let l = Arc::new(l);
        if parent == Parent::Top {
            // One filtered top level at a time, not one per keystroke.
            self.lists.retain(|k, _| k.parent != Parent::Top);
        }
        self.lists.insert(key, l.clone());
        l
    }

    /// Expands the dominators of the object to reveal, each far enough
    /// to show the next (grouped: their groups too). False while a level
    /// on the way is still being grouped.
    fn expand_to(&mut self, f: &Frame, o: ObjectIx) -> bool {
        let tree = f.tree;
        let mut chain = vec![Parent::Object(o)];
        let mut cur = o.0;
        while let Idom::Object(d) = tree.doms.idom(cur) {
            chain.push(Parent::Object(ObjectIx(d)));
            cur = d;
        }
        if tree.doms.idom(cur) == Idom::Unreachable {
            return true;
        }
        chain.push(Parent::Top);
        self.filter.clear();
        // (child, parent), top first.
        let pairs: Vec<(ObjectIx, Parent)> = chain
            .windows(2)
            .rev()
            .filter_map(|p| match p[0] {
                Parent::Object(child) => Some((child, p[1])),
                Parent::Top => None,
            })
            .collect();
        if self.group.is_some() {
            let f = Frame { filter: "", ..*f };
            if !self.grouped.reveal(&f, &pairs, &mut self.expanded) {
                return false;
            }
        } else {
            for (child, parent) in pairs {
                let list = self.ordered(f.ctx, f.heap, tree, parent);
                let at = list.iter().position(|&x| x == child.0).unwrap_or(0);
                let shown = self.expanded.get(&parent).copied().unwrap_or(PAGE);
                self.expanded.insert(parent, shown.max(at + 1));
            }
        }
        self.scroll_to = Some(o);
        true
    }

    /// The rows on display: expanded nodes' children, depth first, each
    /// list cut after the number of children it shows.
    fn lines(&mut self, ctx: &ViewContext, heap: &Heap, tree: &Tree) -> Vec<Line> {
        let mut out = Vec::new();
        // (parent, depth, index of the next child to list, the children)
        let top = self.ordered(ctx, heap, tree, Parent::Top);
        let mut stack = vec![(Parent::Top, 0usize, 0usize, top)];
        while let Some(last) = stack.last_mut() {
            let (parent, depth) = (last.0, last.1);
            let list = last.3.clone();
            let shown = self
                .expanded
                .get(&parent)
                .copied()
                .unwrap_or(PAGE)
                .min(list.len());
            if last.2 < shown {
                let o = ObjectIx(list[last.2]);
                last.2 += 1;
                out.push(Line::Node { o, depth });
                let p = Parent::Object(o);
                if self.expanded.contains_key(&p) && !tree.children.of(o.0).is_empty() {
                    let kids = self.ordered(ctx, heap, tree, p);
                    stack.push((p, depth + 1, 0, kids));
                }
            } else {
                if shown < list.len() {
                    out.push(Line::More {
                        paged: Paged::Children(parent),
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

    /// The first row expanded, and grouped its first member (once).
    fn expand_first_rows(&mut self, rows: &[Line]) {
        self.expand_first = false;
        match rows.first() {
            Some(&Line::Node { o, .. }) => {
                self.expanded.insert(Parent::Object(o), PAGE);
            }
            Some(&Line::Group { parent, group, .. }) => {
                self.grouped.expanded.insert((parent, group), PAGE);
                // The member shows next frame; expand it then.
                self.expand_first = true;
                if let Some(&Line::Node { o, .. }) = rows.get(1) {
                    self.expanded.insert(Parent::Object(o), PAGE);
                    self.expand_first = false;
                }
            }
            Some(Line::Pending { .. }) => self.expand_first = true,
            _ => {}
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &ViewContext, out: &mut Vec<Command>) {
        let (Some(heap), Some(tree)) = (ctx.heap().cloned(), ctx.tree().cloned()) else {
            waiting(
                ui,
                &format!(
                    "Computing the dominator tree over {}",
                    ctx.retention.label()
                ),
            );
            return;
        };
        let doms = &tree.doms;
        let total = doms.reachable_bytes();
        let caption = match self.group {
            None => "Each object retains what it dominates; click the triangle to expand, right-click an object for more.".to_string(),
            Some(by) => format!(
                "Grouped by {}: one row per {0} at each level; a group's retained size is the plain sum of its objects' (siblings in the tree: none retains another, nothing counts twice).",
                by.label()
            ),
        };
        ui.label(
            RichText::new(format!(
                "Over {}: {} reachable objects ({}), {} unreachable. {caption}",
                ctx.retention.label(),
                thousands(doms.reachable),
                crate::units::bytes(total),
                thousands(doms.unreachable())
            ))
            .weak(),
        );
        let mut group = self.group;
        ui.horizontal(|ui| {
            let _ = class_filter(ui, "Filter top level:", &mut self.filter);
            ui.label("Group by:");
            ui.selectable_value(&mut group, None, "none");
            for by in GroupBy::ALL {
                ui.selectable_value(&mut group, Some(by), by.label());
            }
        });
        self.set_group(group);
        let filter = self.filter.clone();
        let frame = self.group.map(|by| Frame {
            ctx,
            heap: &heap,
            tree: &tree,
            by,
            sort: self.sort,
            filter: &filter,
        });
        if let Some(o) = self.reveal.take() {
            let done = match &frame {
                Some(f) => self.expand_to(f, o),
                None => {
                    let f = Frame {
                        ctx,
                        heap: &heap,
                        tree: &tree,
                        by: GroupBy::Class,
                        sort: self.sort,
                        filter: "",
                    };
                    self.expand_to(&f, o)
                }
            };
            if !done {
                self.reveal = Some(o);
            }
        }
        let rows = match &frame {
            Some(f) => self.grouped.lines(f, &self.expanded),
            None => self.lines(ctx, &heap, &tree),
        };
        if self.expand_first {
            self.expand_first_rows(&rows);
        }
        let scroll = self.scroll_to.take().and_then(|o| {
            rows.iter()
                .position(|l| matches!(l, Line::Node { o: x, .. } if *x == o))
        });
        let classes = self
            .group
            .map(|by| self.grouped.classes(&heap, ctx.dump(), by));
        let mut clicked = None;
        let mut sort = self.sort;
        let grouped = self.group.is_some();
        let cols: &[Col] = if grouped { &GROUPED } else { Col::ALL };
        let drawn = Rows {
            ctx,
            heap: &heap,
            tree: &tree,
            classes: classes.as_deref(),
            total,
            selection: ctx.doc.selection(),
            expanded: &self.expanded,
            groups_expanded: &self.grouped.expanded,
            columns: cols.len() + 1,
        };
        super::super::widgets::table_area(ui, "dominator_tree", |ui, row_height| {
            let mut table = TableBuilder::new(ui)
                .striped(true)
                .resizable(true)
                .column(Column::remainder().at_least(280.0).clip(true));
            if grouped {
                table = table.column(Column::auto().at_least(70.0));
            }
            table = table
                .column(Column::auto().at_least(90.0))
                .column(Column::auto().at_least(80.0))
                .column(Column::auto().at_least(110.0));
            if let Some(i) = scroll {
                table = table.scroll_to_row(i, Some(egui::Align::Center));
            }
            table
                .header(row_height + 4.0, |mut header| {
                    for &c in cols {
                        header.col(|ui| match (c, self.group) {
                            (Col::Object, Some(by)) => {
                                let title = format!("{} / object", capitalized(by.label()));
                                sort_header_as(ui, c, &title, &mut sort)
                            }
                            _ => sort_header(ui, c, &mut sort),
                        });
                    }
                    header.col(|ui| {
                        ui.label(RichText::new("% of heap").strong());
                    });
                })
                .body(|body| {
                    body.rows(row_height, rows.len(), |mut row| {
                        let line = rows[row.index()];
                        if let Some(c) = drawn.row(&mut row, line, out) {
                            clicked = Some(c);
                        }
                    });
                });
        });
        self.sort = sort;
        match clicked {
            Some(Clicked::Toggle(Paged::Children(p))) => toggle(&mut self.expanded, p),
            Some(Clicked::Toggle(Paged::Group(p, g))) => toggle(&mut self.grouped.expanded, (p, g)),
            Some(Clicked::More(Paged::Children(p), n)) => {
                self.expanded.insert(p, n);
            }
            Some(Clicked::More(Paged::Group(p, g), n)) => {
                self.grouped.expanded.insert((p, g), n);
            }
            None => {}
        }
    }
}

/// Expands a collapsed list to its first page, or collapses it.
fn toggle<K: std::hash::Hash + Eq>(expanded: &mut HashMap<K, usize>, k: K) {
    if expanded.remove(&k).is_none() {
        expanded.insert(k, PAGE);
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
