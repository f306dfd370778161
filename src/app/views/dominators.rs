//! The dominator tree as a tree-table: retained size and share of the heap,
//! children expanded on demand and paged, so that a node with a million
//! children costs no more than the rows on screen.

use std::collections::HashMap;
use std::sync::Arc;

use egui::RichText;
use egui_extras::{Column, TableBuilder};

use super::{ViewContext, waiting};
use crate::analysis::dominators::{Children, Idom};
use crate::app::command::{Command, DumpId, Retention};
use crate::app::document::Tree;
use crate::app::widgets::{
    Columns, Sort, class_filter, object_link, object_text, passes, share_bar, show_more,
    size_label, sort_header,
};
use crate::heap::{Heap, ObjectIx};
use crate::units::thousands;

const PAGE: usize = 100;

/// Lists longer than this keep the retained order (re-sorting them would
/// hold up a frame); the filter still applies.
const RESORT_MAX: usize = 200_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Col {
    Object,
    Retained,
    Shallow,
}

impl Columns for Col {
    const ALL: &'static [Col] = &[Col::Object, Col::Retained, Col::Shallow];
    fn title(self) -> &'static str {
        match self {
            Col::Object => "Object",
            Col::Retained => "Retained",
            Col::Shallow => "Shallow",
        }
    }
    fn is_text(self) -> bool {
        self == Col::Object
    }
}

/// A node whose children are listed: the tree's top level (what the GC
/// roots dominate together) or an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Parent {
    Top,
    Object(ObjectIx),
}

#[derive(Clone, Copy)]
enum Line {
    Node {
        o: ObjectIx,
        depth: usize,
    },
    More {
        parent: Parent,
        depth: usize,
        shown: usize,
        total: usize,
    },
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
            expanded: HashMap::from([(Parent::Top, PAGE)]),
            lists: HashMap::new(),
            reveal: None,
            scroll_to: None,
        }
    }
}

fn kids(children: &Children, parent: Parent) -> &[u32] {
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

    /// Expands the top level's first node (for screenshots).
    pub fn expand_first(&mut self, tree: &Tree) {
        if let Some(&o) = tree.children.roots().first() {
            self.expanded.insert(Parent::Object(ObjectIx(o)), PAGE);
        }
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
                Col::Retained => l.sort_by_key(|&o| tree.doms.retained(o)),
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
    /// to show the next.
    fn expand_to(&mut self, ctx: &ViewContext, heap: &Heap, tree: &Tree, o: ObjectIx) {
        let mut chain = vec![Parent::Object(o)];
        let mut cur = o.0;
        while let Idom::Object(d) = tree.doms.idom(cur) {
            chain.push(Parent::Object(ObjectIx(d)));
            cur = d;
        }
        if tree.doms.idom(cur) == Idom::Unreachable {
            return;
        }
        chain.push(Parent::Top);
        self.filter.clear();
        for pair in chain.windows(2).rev() {
            let (Parent::Object(child), parent) = (pair[0], pair[1]) else {
                continue;
            };
            let list = self.ordered(ctx, heap, tree, parent);
            let at = list.iter().position(|&x| x == child.0).unwrap_or(0);
            let shown = self.expanded.get(&parent).copied().unwrap_or(PAGE);
            self.expanded.insert(parent, shown.max(at + 1));
        }
        self.scroll_to = Some(o);
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
        if let Some(o) = self.reveal.take() {
            self.expand_to(ctx, &heap, &tree, o);
        }
        let doms = &tree.doms;
        let total = doms.reachable_bytes();
        ui.label(
            RichText::new(format!(
                "Over {}: {} reachable objects ({}), {} unreachable. Each object retains what it dominates; click the triangle to expand, right-click an object for more.",
                ctx.retention.label(),
                thousands(doms.reachable),
                crate::units::bytes(total),
                thousands(doms.unreachable())
            ))
            .weak(),
        );
        ui.horizontal(|ui| class_filter(ui, "Filter top level:", &mut self.filter));
        let rows = self.lines(ctx, &heap, &tree);
        let scroll = self.scroll_to.take().and_then(|o| {
            rows.iter()
                .position(|l| matches!(l, Line::Node { o: x, .. } if *x == o))
        });
        let (mut toggle, mut more) = (None, None);
        let mut sort = self.sort;
        let selection = ctx.doc.selection();
        super::super::widgets::table_area(ui, "dominator_tree", |ui, row_height| {
            let mut table = TableBuilder::new(ui)
                .striped(true)
                .resizable(true)
                .column(Column::remainder().at_least(320.0).clip(true))
                .column(Column::auto().at_least(90.0))
                .column(Column::auto().at_least(80.0))
                .column(Column::auto().at_least(110.0));
            if let Some(i) = scroll {
                table = table.scroll_to_row(i, Some(egui::Align::Center));
            }
            table
                .header(row_height + 4.0, |mut header| {
                    for &c in Col::ALL {
                        header.col(|ui| sort_header(ui, c, &mut sort));
                    }
                    header.col(|ui| {
                        ui.label(RichText::new("% of heap").strong());
                    });
                })
                .body(|body| {
                    body.rows(row_height, rows.len(), |mut row| match rows[row.index()] {
                        Line::Node { o, depth } => {
                            row.set_selected(selection == Some(o));
                            row.col(|ui| {
                                ui.horizontal(|ui| {
                                    ui.add_space(depth as f32 * 16.0);
                                    let n = tree.children.of(o.0).len();
                                    if n > 0 {
                                        let open = self.expanded.contains_key(&Parent::Object(o));
                                        if ui
                                            .small_button(if open { "v" } else { ">" })
                                            .on_hover_text(format!(
                                                "{} children",
                                                thousands(n as u64)
                                            ))
                                            .clicked()
                                        {
                                            toggle = Some(o);
                                        }
                                    } else {
                                        ui.add_space(18.0);
                                    }
                                    object_link(ui, &heap, ctx.dump(), o, out);
                                });
                            });
                            row.col(|ui| {
                                size_label(ui, doms.retained(o.0));
                            });
                            row.col(|ui| {
                                size_label(ui, heap.shallow_size(o.0));
                            });
                            row.col(|ui| share_bar(ui, doms.retained(o.0), total));
                        }
                        Line::More {
                            parent,
                            depth,
                            shown,
                            total,
                        } => {
                            row.col(|ui| {
                                ui.horizontal(|ui| {
                                    ui.add_space(depth as f32 * 16.0 + 18.0);
                                    let next = show_more(ui, shown, total, PAGE);
                                    if next != shown {
                                        more = Some((parent, next));
                                    }
                                });
                            });
                            for _ in 0..3 {
                                row.col(|_| {});
                            }
                        }
                    });
                });
        });
        self.sort = sort;
        if let Some(o) = toggle {
            let p = Parent::Object(o);
            if self.expanded.remove(&p).is_none() {
                self.expanded.insert(p, PAGE);
            }
        }
        if let Some((parent, n)) = more {
            self.expanded.insert(parent, n);
        }
    }
}
