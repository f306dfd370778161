//! The dominator tree in groups (MAT's "group by class", by class loader,
//! by package): each level shows one row per group with its object count
//! and summed sizes; a group expands into its objects, an object into its
//! children grouped again. Levels are grouped once per (tree, parent,
//! grouping), big ones off the UI thread.

use std::collections::HashMap;
use std::sync::Arc;

use super::ViewContext;
use super::dominator_rows::{Line, Paged};
use super::dominators::{Col, PAGE, Parent, RESORT_MAX, kids};
use crate::analysis::groups::{ClassGroups, GroupBy, GroupedLevel};
use crate::app::command::{DumpId, Retention};
use crate::app::document::Tree;
use crate::app::task::Task;
use crate::app::widgets::{Sort, filter_regex, object_text, passes};
use crate::heap::{Heap, ObjectIx};

/// Levels up to this many objects are grouped in the frame; bigger ones
/// (a top level can have millions) in a task.
const INLINE_MAX: usize = 20_000;

/// One level of one tree in one grouping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LevelKey {
    dump: DumpId,
    retention: Retention,
    parent: Parent,
    by: GroupBy,
}

/// A level's groups in an order, for a filter (the top level only).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct OrderKey {
    level: LevelKey,
    sort: Sort<Col>,
    filter: String,
}

/// A group's members in the order shown.
#[derive(Clone)]
pub enum Members {
    /// The level's order (largest retained first).
    Level(Arc<GroupedLevel>, usize),
    Sorted(Arc<Vec<u32>>),
}

impl Members {
    pub fn as_slice(&self) -> &[u32] {
        match self {
            Members::Level(l, k) => l.members(*k),
            Members::Sorted(v) => v,
        }
    }
}

/// What the grouped tree keeps.
#[derive(Default)]
pub struct Grouped {
    classes: Option<((DumpId, GroupBy), Arc<ClassGroups>)>,
    levels: HashMap<LevelKey, Arc<GroupedLevel>>,
    pending: HashMap<LevelKey, Task<GroupedLevel>>,
    orders: HashMap<OrderKey, Arc<Vec<u32>>>,
    members: HashMap<(LevelKey, u32, Sort<Col>), Arc<Vec<u32>>>,
    /// Expanded groups (the level's parent and the group) and how many
    /// members each shows.
    pub expanded: HashMap<(Parent, u32), usize>,
}

/// What the grouped lines read: the view's state for this frame.
pub struct Frame<'a> {
    pub ctx: &'a ViewContext<'a>,
    pub heap: &'a Arc<Heap>,
    pub tree: &'a Arc<Tree>,
    pub by: GroupBy,
    pub sort: Sort<Col>,
    pub filter: &'a str,
}

impl Frame<'_> {
    fn key(&self, parent: Parent) -> LevelKey {
        LevelKey {
            dump: self.ctx.dump(),
            retention: self.ctx.retention,
            parent,
            by: self.by,
        }
    }
}

impl Grouped {
    /// Forgets what belongs to another grouping (its group numbers).
    pub fn regroup(&mut self) {
        self.expanded.clear();
        self.pending.clear();
    }

    /// Some level is being grouped.
    pub fn is_busy(&self) -> bool {
        !self.pending.is_empty()
    }

    /// The classes in groups.
    pub fn classes(&mut self, heap: &Heap, dump: DumpId, by: GroupBy) -> Arc<ClassGroups> {
        let key = (dump, by);
        if self.classes.as_ref().is_none_or(|(k, _)| *k != key) {
            self.classes = Some((key, Arc::new(ClassGroups::new(heap, by))));
        }
        self.classes.as_ref().expect("set").1.clone()
    }

    /// A level in groups; `None` while a task groups it.
    pub fn level(&mut self, f: &Frame, parent: Parent) -> Option<Arc<GroupedLevel>> {
        let key = f.key(parent);
        if let Some(l) = self.levels.get(&key) {
            return Some(l.clone());
        }
        let classes = self.classes(f.heap, f.ctx.dump(), f.by);
        let level = match self.pending.get_mut(&key) {
            Some(task) => {
                let done = task.poll()?;
                self.pending.remove(&key);
                done
            }
            None if kids(&f.tree.children, parent).len() <= INLINE_MAX => GroupedLevel::new(
                f.heap,
                &f.tree.doms,
                kids(&f.tree.children, parent),
                &classes,
            ),
            None => {
                let (heap, tree) = (f.heap.clone(), f.tree.clone());
                let task = Task::compute("group-level", f.ctx.waker.clone(), move |_| {
                    GroupedLevel::new(&heap, &tree.doms, kids(&tree.children, parent), &classes)
                });
                self.pending.insert(key, task);
                return None;
            }
        };
        if self.levels.len() > 4096 {
            self.levels.retain(|k, _| k.parent == Parent::Top);
            self.members.clear();
            self.orders.clear();
        }
        let level = Arc::new(level);
        self.levels.insert(key, level.clone());
        Some(level)
    }

    /// A level's groups in the order chosen (indices into its groups);
    /// the top level's filtered by group name.
    pub fn order(&mut self, f: &Frame, parent: Parent, level: &GroupedLevel) -> Arc<Vec<u32>> {
        let key = OrderKey {
            level: f.key(parent),
            sort: f.sort,
            filter: if parent == Parent::Top {
                f.filter.to_string()
            } else {
                String::new()
            },
        };
        if let Some(o) = self.orders.get(&key) {
            return o.clone();
        }
        let classes = self.classes(f.heap, f.ctx.dump(), f.by);
        let name = |k: u32| classes.names[level.groups[k as usize].group as usize].as_str();
        let filter = filter_regex(&key.filter);
        let mut order: Vec<u32> = (0..level.groups.len() as u32)
            .filter(|&k| key.filter.is_empty() || passes(&filter, name(k)))
            .collect();
        let sort = f.sort;
        order.sort_by(|&a, &b| {
            let (x, y) = (&level.groups[a as usize], &level.groups[b as usize]);
            let o = match sort.column {
                Col::Object => name(a).cmp(name(b)),
                Col::Objects => x.objects.cmp(&y.objects),
                Col::Retained => x.retained.cmp(&y.retained),
                Col::Shallow => x.shallow.cmp(&y.shallow),
            };
            sort.order(o).then_with(|| name(a).cmp(name(b)))
        });
        let order = Arc::new(order);
        if parent == Parent::Top {
            // One filtered top level at a time, not one per keystroke.
            self.orders.retain(|k, _| k.level.parent != Parent::Top);
        }
        self.orders.insert(key, order.clone());
        order
    }

    /// The members of a level's `k`-th group in the order chosen (the
    /// tree's for lists too long to sort in a frame).
    pub fn members(
        &mut self,
        f: &Frame,
        parent: Parent,
        level: &Arc<GroupedLevel>,
        k: usize,
    ) -> Members {
        let in_level = level.members(k);
        if f.sort == Sort::by(Col::Retained) || in_level.len() > RESORT_MAX {
            return Members::Level(level.clone(), k);
        }
        let key = (f.key(parent), level.groups[k].group, f.sort);
        if let Some(m) = self.members.get(&key) {
            return Members::Sorted(m.clone());
        }
        let mut m = in_level.to_vec();
        let (heap, doms) = (f.heap, &f.tree.doms);
        match f.sort.column {
            Col::Object => m.sort_by_cached_key(|&o| object_text(heap, o)),
            Col::Shallow => m.sort_by_key(|&o| heap.shallow_size(o)),
            Col::Retained | Col::Objects => m.sort_by_key(|&o| doms.retained(o)),
        }
        if !f.sort.ascending {
            m.reverse();
        }
        let m = Arc::new(m);
        self.members.insert(key, m.clone());
        Members::Sorted(m)
    }

    /// The rows on display: groups of the expanded levels, the members of
    /// expanded groups, depth first, each list cut after the number of
    /// entries it shows (`expanded`: per level, how many groups).
    pub fn lines(&mut self, f: &Frame, expanded: &HashMap<Parent, usize>) -> Vec<Line> {
        enum Entries {
            Groups(Arc<GroupedLevel>, Arc<Vec<u32>>),
            Members(u32, Members),
        }
        let mut out = Vec::new();
        // (parent, depth, next entry, the entries)
        let mut stack: Vec<(Parent, usize, usize, Entries)> = Vec::new();
        let open = |this: &mut Self, out: &mut Vec<Line>, parent: Parent, depth: usize| match this
            .level(f, parent)
        {
            Some(level) => {
                let order = this.order(f, parent, &level);
                Some((parent, depth, 0, Entries::Groups(level, order)))
            }
            None => {
                let objects = kids(&f.tree.children, parent).len();
                out.push(Line::Pending { depth, objects });
                None
            }
        };
        stack.extend(open(self, &mut out, Parent::Top, 0));
        while let Some(last) = stack.last_mut() {
            let (parent, depth, next) = (last.0, last.1, last.2);
            match &last.3 {
                Entries::Groups(level, order) => {
                    let shown = expanded.get(&parent).copied().unwrap_or(PAGE);
                    let shown = shown.min(order.len());
                    if next < shown {
                        last.2 += 1;
                        let k = order[next] as usize;
                        let g = level.groups[k];
                        let level = level.clone();
                        out.push(Line::Group {
                            parent,
                            group: g.group,
                            depth,
                            objects: g.objects,
                            shallow: g.shallow,
                            retained: g.retained,
                        });
                        if self.expanded.contains_key(&(parent, g.group)) {
                            let members = self.members(f, parent, &level, k);
                            stack.push((parent, depth + 1, 0, Entries::Members(g.group, members)));
                        }
                    } else {
                        if shown < order.len() {
                            out.push(Line::More {
                                paged: Paged::Children(parent),
                                depth,
                                shown,
                                total: order.len(),
                            });
                        }
                        stack.pop();
                    }
                }
                Entries::Members(g, members) => {
                    let g = *g;
                    let list = members.as_slice();
                    let shown = self.expanded.get(&(parent, g)).copied().unwrap_or(PAGE);
                    let shown = shown.min(list.len());
                    if next < shown {
                        let o = ObjectIx(list[next]);
                        last.2 += 1;
                        out.push(Line::Node { o, depth });
                        let p = Parent::Object(o);
                        if expanded.contains_key(&p) && !f.tree.children.of(o.0).is_empty() {
                            stack.extend(open(self, &mut out, p, depth + 1));
                        }
                    } else {
                        if shown < list.len() {
                            out.push(Line::More {
                                paged: Paged::Group(parent, g),
                                depth,
                                shown,
                                total: list.len(),
                            });
                        }
                        stack.pop();
                    }
                }
            }
        }
        out
    }

    /// Expands the groups and their member lists down a chain of
    /// (child, parent) pairs, top first, far enough to show each child;
    /// the levels' shown counts go to `expanded`. False while a level is
    /// still being grouped (try again next frame).
    pub fn reveal(
        &mut self,
        f: &Frame,
        chain: &[(ObjectIx, Parent)],
        expanded: &mut HashMap<Parent, usize>,
    ) -> bool {
        let classes = self.classes(f.heap, f.ctx.dump(), f.by);
        for &(child, parent) in chain {
            let Some(level) = self.level(f, parent) else {
                return false;
            };
            let g = classes.of_object(f.heap, child.0);
            let Some(k) = level.position(g) else {
                continue;
            };
            let order = self.order(f, parent, &level);
            let at = order.iter().position(|&x| x as usize == k).unwrap_or(0);
            let shown = expanded.get(&parent).copied().unwrap_or(PAGE);
            expanded.insert(parent, shown.max(at + 1));
            let members = self.members(f, parent, &level, k);
            let at = members
                .as_slice()
                .iter()
                .position(|&x| x == child.0)
                .unwrap_or(0);
            let shown = self.expanded.get(&(parent, g)).copied().unwrap_or(PAGE);
            self.expanded.insert((parent, g), shown.max(at + 1));
        }
        true
    }
}
