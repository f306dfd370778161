//! Leak suspects: the objects and the classes whose instances hold a large
//! share of the heap, and where in each the memory accumulates.
//!
//! Computed over a dominator tree (the strong-only one, what a GC keeps),
//! as Eclipse MAT's Leak Suspects report does:
//! - a *big holder* is an object of the tree's top level (dominated only by
//!   the GC roots) that retains at least the threshold share of the
//!   reachable heap; a *class group* is a class whose top-level instances
//!   together do, none of them alone;
//! - its *accumulation point* is found by walking down the tree while one
//!   child keeps at least [`BIG_CHILD`] of its parent's retained size, and
//!   stopping where the size spreads over many children (a collection's
//!   backing array, a map's table) or where a chain of one class begins (a
//!   linked list); a child of the accumulation point that is itself above
//!   the threshold is a suspect of its own;
//! - the *holder* named in the sentence is the object below the deepest
//!   class object on that walk (the one a static field refers to), or the
//!   top-level object itself.

use serde::Serialize;

use super::dominators::{Children, Dominators, Idom};
use super::paths::{Filter, PathOptions, RootPath, Step, describe_reference, paths_to_roots};
use super::patterns::{self, Patterns};
use super::sets::{SetRow, histogram_rows, subtree_counts};
use crate::heap::Heap;
use crate::progress::{Cancelled, Progress};
use crate::units::{bytes, count_of, thousands};

/// The walk to the accumulation point goes on while the biggest child
/// retains at least this share of its parent (MAT's "big drop" ratio).
pub const BIG_CHILD: f64 = 0.7;

/// The share of the reachable heap a big holder retains at least, unless
/// told otherwise.
pub const THRESHOLD: f64 = 0.10;

/// How severe a suspect is, by its share of the reachable heap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// 30% of the heap or more.
    High,
    /// At least 10%.
    Medium,
    /// Less: a known pattern worth a look, or a holder above a lowered
    /// threshold.
    Low,
}

impl Severity {
    pub fn of_share(share: f64) -> Severity {
        if share >= 0.30 {
            Severity::High
        } else if share >= 0.10 {
            Severity::Medium
        } else {
            Severity::Low
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
}

/// How the holder of a suspect is held.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Held {
    /// By a static field of a class (class index).
    Static { class: u32, field: String },
    /// By a field or an array slot of another object.
    Field { owner: u32, field: String },
    /// It is a GC root itself: the root's description.
    Root { root: String },
    /// Several GC roots reach it, none through another.
    Roots,
}

/// Objects of one class, and what they retain together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ClassShare {
    pub class: u32,
    pub objects: u64,
    pub retained: u64,
}

/// Where a suspect's memory accumulates.
#[derive(Clone, Debug, Serialize)]
pub struct Accumulation {
    /// The dominator-tree walk, from the top-level object (or a group's
    /// biggest member) down to the accumulation point, its last element.
    pub chain: Vec<u32>,
    /// When the accumulation point begins a chain of objects of its own
    /// class (a linked list): how many follow one another.
    pub run: u64,
    /// How many objects it immediately dominates.
    pub children: u64,
    /// Those children by class, largest retained first (at most 5).
    pub content: Vec<ClassShare>,
    /// Its shortest strong path to a GC root, if one was found.
    pub path: Option<RootPath>,
    /// The biggest classes of its retained set by shallow size (at most 8).
    pub top_classes: Vec<SetRow>,
}

impl Accumulation {
    pub fn point(&self) -> u32 {
        *self.chain.last().expect("a chain has its start")
    }
}

/// A big holder: one object retaining much of the heap.
#[derive(Clone, Debug, Serialize)]
pub struct BigHolder {
    /// The object the sentence names (see the module's documentation).
    pub holder: u32,
    pub held: Held,
    pub retained: u64,
    pub share: f64,
    pub severity: Severity,
    pub accumulation: Accumulation,
}

/// A class whose top-level instances together retain much of the heap.
#[derive(Clone, Debug, Serialize)]
pub struct ClassGroup {
    pub class: u32,
    /// Its top-level instances.
    pub objects: u64,
    pub retained: u64,
    pub share: f64,
    pub severity: Severity,
    /// The biggest instances, largest first (at most 10).
    pub biggest: Vec<u32>,
    pub biggest_retained: u64,
    /// The biggest instance's accumulation point.
    pub accumulation: Accumulation,
}

/// The big holders and class groups of a dump.
#[derive(Clone, Debug, Serialize)]
pub struct Suspects {
    /// The share of the reachable heap a suspect must retain.
    pub threshold: f64,
    /// Bytes the GC roots reach over the tree's references.
    pub reachable_bytes: u64,
    pub holders: Vec<BigHolder>,
    pub groups: Vec<ClassGroup>,
}

/// Finds the big holders and class groups over `doms` (whose child lists
/// `children` may be in any order) retaining at least `threshold` of the
/// reachable heap.
pub fn find(
    heap: &Heap,
    doms: &Dominators,
    children: &Children,
    threshold: f64,
    progress: &Progress,
) -> Result<Suspects, Cancelled> {
    let total = doms.reachable_bytes();
    let floor = (threshold * total as f64).ceil().max(1.0) as u64;
    let share = |r: u64| share_of(r, total);
    let mut holders = Vec::new();
    let mut tops = TopPaths::default();
    let mut starts: Vec<u32> = children
        .roots()
        .iter()
        .copied()
        .filter(|&o| doms.retained(o) >= floor)
        .collect();
    starts.sort_by_key(|&o| (std::cmp::Reverse(doms.retained(o)), o));
    let top_level_suspects: Vec<u32> = starts.clone();
    while let Some(start) = starts.first().copied() {
        starts.remove(0);
        progress.check()?;
        let chain = walk_down(heap, doms, children, start);
        let point = *chain.last().expect("chain");
        // Children of the point above the threshold are suspects of their own.
        // Not the next link of a chain of the point's class: the chain is
        // where this suspect's memory is.
        let chained =
            |c: u32| heap.as_class(point).is_none() && heap.class_of(c) == heap.class_of(point);
        let big: Vec<u32> = children
            .of(point)
            .iter()
            .copied()
            .filter(|&c| doms.retained(c) >= floor && !chained(c))
            .collect();
        let rest = doms.retained(point) - big.iter().map(|&c| doms.retained(c)).sum::<u64>();
        for (k, &c) in big.iter().enumerate() {
            starts.insert(k, c);
        }
        if !big.is_empty() && rest < floor {
            continue;
        }
        let (at, held) = holder_on(heap, doms, &chain);
        let holder = chain[at];
        let retained = doms.retained(holder);
        holders.push(BigHolder {
            holder,
            held,
            retained,
            share: share(retained),
            severity: Severity::of_share(share(retained)),
            accumulation: accumulation(heap, doms, children, chain, &mut tops),
        });
    }
    holders.sort_by_key(|h| std::cmp::Reverse(h.retained));

    // Class groups: top-level objects by class, those already suspects apart.
    let mut per_class = vec![(0u64, 0u64); heap.classes().len()];
    for &o in children.roots() {
        if top_level_suspects.contains(&o) {
            continue;
        }
        let e = &mut per_class[heap.class_of(o) as usize];
        e.0 += 1;
        e.1 += doms.retained(o);
    }
    let mut groups = Vec::new();
    for (c, &(objects, retained)) in per_class.iter().enumerate() {
        if objects < 2 || retained < floor {
            continue;
        }
        progress.check()?;
        let mut members: Vec<u32> = children
            .roots()
            .iter()
            .copied()
            .filter(|&o| heap.class_of(o) == c as u32 && !top_level_suspects.contains(&o))
            .collect();
        members.sort_by_key(|&o| (std::cmp::Reverse(doms.retained(o)), o));
        members.truncate(10);
        let chain = walk_down(heap, doms, children, members[0]);
        groups.push(ClassGroup {
            class: c as u32,
            objects,
            retained,
            share: share(retained),
            severity: Severity::of_share(share(retained)),
            biggest_retained: doms.retained(members[0]),
            biggest: members,
            accumulation: accumulation(heap, doms, children, chain, &mut tops),
        });
    }
    groups.sort_by_key(|g| std::cmp::Reverse(g.retained));
    let mut all: Vec<&mut Accumulation> = holders
        .iter_mut()
        .map(|h| &mut h.accumulation)
        .chain(groups.iter_mut().map(|g| &mut g.accumulation))
        .collect();
    fill_top_classes(heap, doms, children, &mut all);
    Ok(Suspects {
        threshold,
        reachable_bytes: total,
        holders,
        groups,
    })
}

/// The biggest child of `o`, if any.
fn biggest_child(doms: &Dominators, children: &Children, o: u32) -> Option<u32> {
    children
        .of(o)
        .iter()
        .copied()
        .max_by_key(|&c| (doms.retained(c), std::cmp::Reverse(c)))
}

/// The walk from `start` down to its accumulation point.
fn walk_down(heap: &Heap, doms: &Dominators, children: &Children, start: u32) -> Vec<u32> {
    let mut chain = vec![start];
    let mut cur = start;
    while let Some(next) = biggest_child(doms, children, cur) {
        if (doms.retained(next) as f64) < BIG_CHILD * doms.retained(cur) as f64 {
            break;
        }
        // A chain of one class (a linked list, a Finalizer list) starts here.
        if heap.class_of(next) == heap.class_of(cur) && heap.as_class(cur).is_none() {
            break;
        }
        chain.push(next);
        cur = next;
    }
    chain
}

/// How `parent` holds `o`.
fn held_by(heap: &Heap, parent: u32, o: u32) -> Held {
    let how = describe_reference(heap, parent, o);
    match (heap.as_class(parent), how.strip_prefix("static ")) {
        (Some(class), Some(field)) => Held::Static {
            class,
            field: field.to_string(),
        },
        _ => Held::Field {
            owner: parent,
            field: how,
        },
    }
}

/// Which object of `chain` the sentence names, and how it is held.
fn holder_on(heap: &Heap, doms: &Dominators, chain: &[u32]) -> (usize, Held) {
    let last = chain.len() - 1;
    let at = match chain.iter().rposition(|&o| heap.as_class(o).is_some()) {
        Some(k) if k < last => k + 1,
        Some(k) => k,
        None => 0,
    };
    let o = chain[at];
    let parent = match (at, doms.idom(o)) {
        (0, Idom::Object(p)) => Some(p),
        (0, _) => None,
        _ => Some(chain[at - 1]),
    };
    let held = match parent {
        Some(parent) => held_by(heap, parent, o),
        None => match heap.roots_of(o).next() {
            Some(root) => Held::Root {
                root: heap.describe_root(root),
            },
            None => Held::Roots,
        },
    };
    (at, held)
}

/// Paths from a GC root to top-level objects, found once for all
/// suspects below them.
type TopPaths = rustc_hash::FxHashMap<u32, Option<Vec<u32>>>;

/// The accumulation at the end of `chain`; its `top_classes` are filled in
/// by [`fill_top_classes`].
fn accumulation(
    heap: &Heap,
    doms: &Dominators,
    children: &Children,
    chain: Vec<u32>,
    tops: &mut TopPaths,
) -> Accumulation {
    let point = *chain.last().expect("chain");
    let kids = children.of(point);
    let mut content: Vec<ClassShare> = Vec::new();
    {
        let mut per_class: Vec<(u32, u64, u64)> = Vec::new();
        let mut slot = rustc_hash::FxHashMap::default();
        for &c in kids {
            let class = heap.class_of(c);
            let k = *slot.entry(class).or_insert_with(|| {
                per_class.push((class, 0, 0));
                per_class.len() - 1
            });
            per_class[k].1 += 1;
            per_class[k].2 += doms.retained(c);
        }
        content.extend(
            per_class
                .into_iter()
                .map(|(class, objects, retained)| ClassShare {
                    class,
                    objects,
                    retained,
                }),
        );
        content.sort_by_key(|s| (std::cmp::Reverse(s.retained), s.class));
        content.truncate(5);
    }
    // The length of a chain of the point's class that starts at it.
    let mut run = 1u64;
    let mut cur = point;
    while let Some(next) = biggest_child(doms, children, cur) {
        if heap.class_of(next) != heap.class_of(point) || heap.as_class(point).is_some() {
            break;
        }
        run += 1;
        cur = next;
    }
    let path = path_down_the_tree(heap, doms, point, tops).or_else(|| {
        paths_to_roots(
            heap,
            point,
            &PathOptions {
                max: 1,
                ..PathOptions::default()
            },
        )
        .paths
        .into_iter()
        .next()
    });
    Accumulation {
        chain,
        run: if run > 1 { run } else { 0 },
        children: kids.len() as u64,
        content,
        path,
        top_classes: Vec::new(),
    }
}

/// The shortest strong path from a GC root to `target` found forwards
/// along its dominators: every path from the roots passes through each of
/// them, so the shortest one joins the shortest paths between consecutive
/// dominators. This needs no incoming references (which a reopened index
/// would have to build, a second for 20 M objects). `None` when the top of
/// the chain is not itself a GC root or a step needs a long search; the
/// caller then searches backwards.
fn path_down_the_tree(
    heap: &Heap,
    doms: &Dominators,
    target: u32,
    tops: &mut TopPaths,
) -> Option<RootPath> {
    const BUDGET: usize = 100_000;
    let mut chain = vec![target];
    while let Idom::Object(d) = doms.idom(*chain.last().expect("chain")) {
        chain.push(d);
    }
    let top = *chain.last().expect("chain");
    if doms.idom(top) != Idom::Root {
        return None;
    }
    let filter = Filter::new(heap, doms.referents, &[]);
    // Objects from the root down to the target.
    let mut objects = tops
        .entry(top)
        .or_insert_with(|| path_to_top(heap, &filter, top))
        .clone()?;
    let root = objects[0];
    for pair in chain.windows(2).rev() {
        let (to, from) = (pair[0], pair[1]);
        let mut parent: rustc_hash::FxHashMap<u32, u32> = rustc_hash::FxHashMap::default();
        let mut queue = std::collections::VecDeque::from([from]);
        parent.insert(from, from);
        'search: while let Some(u) = queue.pop_front() {
            for &w in heap.outgoing(u) {
                if parent.contains_key(&w) || !filter.follows(u, w) {
                    continue;
                }
                parent.insert(w, u);
                if w == to {
                    break 'search;
                }
                if parent.len() > BUDGET {
                    return None;
                }
                queue.push_back(w);
            }
        }
        let mut segment = vec![to];
        let mut x = to;
        while x != from {
            x = *parent.get(&x)?;
            segment.push(x);
        }
        segment.pop();
        objects.extend(segment.into_iter().rev());
    }
    objects.reverse();
    let steps = (0..objects.len())
        .map(|k| Step {
            object: objects[k],
            field: (k > 0).then(|| describe_reference(heap, objects[k], objects[k - 1])),
        })
        .collect();
    let mut roots: Vec<String> = heap.roots_of(root).map(|r| heap.describe_root(r)).collect();
    roots.dedup();
    let mut root_kinds: Vec<_> = heap.roots_of(root).map(|r| r.kind).collect();
    root_kinds.sort();
    root_kinds.dedup();
    Some(RootPath {
        steps,
        root_kinds,
        roots,
    })
}

/// A shortest path from a GC root to `top` (root first), searched
/// backwards a level at a time, each level one scan of all references;
/// `None` beyond a few levels. Objects of the tree's top level are GC
/// roots or one or two references from them.
fn path_to_top(heap: &Heap, filter: &Filter<'_>, top: u32) -> Option<Vec<u32>> {
    const LEVELS: usize = 6;
    let n = heap.object_count() as usize;
    let mut toward: rustc_hash::FxHashMap<u32, u32> = rustc_hash::FxHashMap::default();
    toward.insert(top, top);
    let mut frontier = vec![top];
    for _ in 0..=LEVELS {
        if let Some(&root) = frontier.iter().filter(|&&o| heap.is_root(o)).min() {
            let mut path = vec![root];
            let mut x = root;
            while x != top {
                x = toward[&x];
                path.push(x);
            }
            return Some(path);
        }
        let mut bits = vec![0u64; n.div_ceil(64)];
        for &o in &frontier {
            bits[o as usize / 64] |= 1 << (o % 64);
        }
        let mut found = heap.references_to(|w| bits[w as usize / 64] & (1 << (w % 64)) != 0);
        found.sort_unstable();
        frontier.clear();
        for (u, w) in found {
            if !toward.contains_key(&u) && filter.follows(u, w) {
                toward.insert(u, w);
                frontier.push(u);
            }
        }
        if frontier.is_empty() {
            return None;
        }
    }
    None
}

/// Fills in the biggest classes of each accumulation point's retained set.
/// Points nested in another one's subtree are counted first and added
/// whole when the bigger walk reaches them, so no object is counted twice.
fn fill_top_classes(
    heap: &Heap,
    doms: &Dominators,
    children: &Children,
    all: &mut [&mut Accumulation],
) {
    let mut points: Vec<u32> = all.iter().map(|a| a.point()).collect();
    points.sort_by_key(|&p| (doms.retained(p), p));
    points.dedup();
    let mut done: rustc_hash::FxHashMap<u32, Vec<(u64, u64)>> = Default::default();
    for p in points {
        let counts = subtree_counts(heap, doms, children, &[p], &done);
        done.insert(p, counts);
    }
    for a in all.iter_mut() {
        let mut rows = histogram_rows(&done[&a.point()]);
        rows.truncate(8);
        a.top_classes = rows;
    }
}

/// `java.util.HashMap` for an object, `class java.util.HashMap` for a
/// class object, in backticks.
fn what(heap: &Heap, o: u32) -> String {
    match heap.as_class(o) {
        Some(c) => format!("the class `{}`", heap.class(c).name),
        None => format!("`{}`", heap.class(heap.class_of(o)).name),
    }
}

/// The name of a thread object, if `o` is one.
fn thread_name(heap: &Heap, o: u32) -> Option<String> {
    heap.threads()
        .iter()
        .find(|t| t.object == Some(o))
        .map(|t| {
            t.name
                .clone()
                .unwrap_or_else(|| format!("serial {}", t.serial))
        })
}

fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

impl Accumulation {
    /// Where the memory is, as the end of a sentence: "the memory is in
    /// 20,000 `Session` held by one `java.lang.Object[]`".
    pub fn clause(&self, heap: &Heap) -> String {
        let point = self.point();
        if self.run > 1 {
            return format!(
                "the memory is along a chain of {} {}",
                thousands(self.run),
                what(heap, point)
            );
        }
        let Some(first) = self.content.first() else {
            return format!("the memory is in {} itself", what(heap, point));
        };
        let owner = if self.chain.len() > 1 || heap.as_class(point).is_none() {
            format!("one {}", what(heap, point))
        } else {
            what(heap, point)
        };
        if self.content.len() == 1 || self.children > 0 && first.objects * 2 >= self.children {
            format!(
                "the memory is in {} `{}` held by {owner}",
                thousands(first.objects),
                heap.class(first.class).name
            )
        } else {
            let parts: Vec<String> = self
                .content
                .iter()
                .take(3)
                .map(|s| {
                    format!(
                        "{} `{}` ({})",
                        thousands(s.objects),
                        heap.class(s.class).name,
                        bytes(s.retained)
                    )
                })
                .collect();
            format!(
                "the memory is spread over {} held by {owner}: {}",
                count_of(self.children, "object"),
                parts.join(", ")
            )
        }
    }
}

impl BigHolder {
    /// The suspect in one sentence.
    pub fn sentence(&self, heap: &Heap) -> String {
        let o = self.holder;
        let subject = if let Some(name) = thread_name(heap, o) {
            format!("The thread \"{name}\" ({})", what(heap, o))
        } else if heap.as_class(o).is_some() {
            let w = what(heap, o);
            format!("T{}", &w[1..])
        } else {
            format!("One instance of {}", what(heap, o))
        };
        let held = match &self.held {
            Held::Static { class, field } => format!(
                " held by the static field `{field}` of `{}`",
                heap.class(*class).name
            ),
            Held::Field { owner, field } if field != "?" => {
                format!(" held by `{field}` of {}", what(heap, *owner))
            }
            Held::Field { owner, .. } => format!(" held by {}", what(heap, *owner)),
            Held::Root { root } => format!(" held by a GC root ({root})"),
            Held::Roots => " reached from several GC roots".to_string(),
        };
        let statics = if heap.as_class(o).is_some() {
            " in its static fields"
        } else {
            ""
        };
        format!(
            "{subject}{held} retains {}{statics} ({}); {}.",
            bytes(self.retained),
            percent(self.share),
            self.accumulation.clause(heap)
        )
    }
}

impl ClassGroup {
    /// The suspect in one sentence.
    pub fn sentence(&self, heap: &Heap) -> String {
        format!(
            "{} instances of `{}`, each held from the GC roots on its own, retain {} ({}) together; the biggest retains {}: {}.",
            thousands(self.objects),
            heap.class(self.class).name,
            bytes(self.retained),
            percent(self.share),
            bytes(self.biggest_retained),
            self.accumulation.clause(heap)
        )
    }
}

/// What found a [`Finding`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    BigHolder,
    ClassGroup,
    FinalizerBacklog,
    CancelledTimerTasks,
    ThreadLocals,
    ClassLoaderLeak,
    DirectBuffers,
}

impl FindingKind {
    pub fn title(self) -> &'static str {
        match self {
            FindingKind::BigHolder => "Big holder",
            FindingKind::ClassGroup => "Class group",
            FindingKind::FinalizerBacklog => "Finalizer backlog",
            FindingKind::CancelledTimerTasks => "Cancelled timer tasks",
            FindingKind::ThreadLocals => "Thread-local values",
            FindingKind::ClassLoaderLeak => "Class loader leak",
            FindingKind::DirectBuffers => "Direct buffers",
        }
    }
}

/// One entry of the Leak Suspects report, whatever found it, with what the
/// window links and the reports print.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub severity: Severity,
    /// Bytes it retains (for direct buffers: native bytes, which no
    /// retained size counts).
    pub retained: u64,
    /// Of the reachable heap.
    pub share: f64,
    pub sentence: String,
    /// The object to show in the dominator tree and the Inspector.
    pub focus: Option<u32>,
    /// A class to list in the histogram.
    pub class: Option<u32>,
    /// Where its memory accumulates, when that was looked for.
    pub accumulation: Option<Accumulation>,
}

/// The Leak Suspects report: big holders, class groups and known patterns
/// as one list, most severe and biggest first.
#[derive(Clone, Debug, Serialize)]
pub struct LeakReport {
    pub threshold: f64,
    pub reachable_bytes: u64,
    pub findings: Vec<Finding>,
}

/// The Leak Suspects report of a dump over its strong dominator tree
/// `doms` (`children` in any order): big holders and class groups above
/// `threshold`, and the known patterns.
pub fn report(
    heap: &Heap,
    doms: &Dominators,
    children: &Children,
    finalizers: &crate::analysis::finalizers::FinalizerReport,
    threshold: f64,
    progress: &Progress,
) -> Result<LeakReport, Cancelled> {
    let suspects = find(heap, doms, children, threshold, progress)?;
    let mut report = LeakReport::new(heap, suspects);
    let patterns = patterns::analyze(heap, doms, children, finalizers, progress)?;
    report.add_patterns(heap, &patterns);
    Ok(report)
}

/// `part` as a share of `total` (0 of nothing).
fn share_of(part: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        part as f64 / total as f64
    }
}

/// Direct buffers are a finding when they own at least this share of the
/// reachable heap in native memory (every JVM has a few small ones).
pub const DIRECT_SHARE: f64 = 0.01;

impl LeakReport {
    /// The report of `suspects` (the known patterns are added with [`LeakReport::add_patterns`]).
    pub fn new(heap: &Heap, suspects: Suspects) -> LeakReport {
        let mut findings = Vec::new();
        for h in suspects.holders {
            findings.push(Finding {
                kind: FindingKind::BigHolder,
                severity: h.severity,
                retained: h.retained,
                share: h.share,
                sentence: h.sentence(heap),
                focus: Some(h.holder),
                class: heap
                    .as_class(h.holder)
                    .is_none()
                    .then(|| heap.class_of(h.holder)),
                accumulation: Some(h.accumulation),
            });
        }
        for g in suspects.groups {
            findings.push(Finding {
                kind: FindingKind::ClassGroup,
                severity: g.severity,
                retained: g.retained,
                share: g.share,
                sentence: g.sentence(heap),
                focus: g.biggest.first().copied(),
                class: Some(g.class),
                accumulation: Some(g.accumulation),
            });
        }
        let mut report = LeakReport {
            threshold: suspects.threshold,
            reachable_bytes: suspects.reachable_bytes,
            findings,
        };
        report.order();
        report
    }

    /// Adds the findings of the known patterns: each timer queue with
    /// cancelled tasks, the thread-local values of pool threads, each
    /// leaked class loader, the native memory of direct buffers, and the
    /// finalizer backlog.
    pub fn add_patterns(&mut self, heap: &Heap, p: &Patterns) {
        let total = self.reachable_bytes;
        let mut found = Vec::new();
        let mut add = |kind, retained: u64, sentence, focus, class| {
            let share = share_of(retained, total);
            found.push(Finding {
                kind,
                severity: Severity::of_share(share),
                retained,
                share,
                sentence,
                focus,
                class,
                accumulation: None,
            });
        };
        for t in p.timers.iter().filter(|t| t.cancelled() > 0) {
            add(
                FindingKind::CancelledTimerTasks,
                t.cancelled_retained,
                t.sentence(heap),
                Some(t.queue),
                t.cancelled_classes.first().map(|c| c.class),
            );
        }
        let locals = &p.thread_locals;
        if locals.pool_values > 0 {
            let biggest = locals
                .threads
                .iter()
                .filter(|t| t.pool.is_some())
                .max_by_key(|t| (t.retained, std::cmp::Reverse(t.thread)));
            add(
                FindingKind::ThreadLocals,
                locals.pool_retained,
                locals.sentence(heap),
                biggest.map(|t| t.thread),
                locals.pool_classes.first().map(|c| c.class),
            );
        }
        for l in &p.loaders {
            add(
                FindingKind::ClassLoaderLeak,
                l.holder_retained.max(l.loader_retained),
                l.sentence(heap),
                Some(l.loader),
                Some(l.class),
            );
        }
        let d = &p.direct_buffers;
        if d.owned_capacity > 0 && share_of(d.owned_capacity, total) >= DIRECT_SHARE {
            add(
                FindingKind::DirectBuffers,
                d.owned_capacity,
                d.sentence(heap),
                d.biggest.first().map(|b| b.buffer),
                d.biggest.first().map(|b| heap.class_of(b.buffer)),
            );
        }
        let f = &p.finalizers;
        if f.pending > 0 {
            let thread = f
                .stuck_thread
                .and_then(|t| heap.threads().get(t))
                .and_then(|t| t.object);
            add(
                FindingKind::FinalizerBacklog,
                f.retained,
                f.sentence(heap),
                thread,
                f.top_class.as_ref().map(|c| c.class),
            );
        }
        self.findings.extend(found);
        self.order();
    }

    fn order(&mut self) {
        self.findings
            .sort_by_key(|f| (f.severity, std::cmp::Reverse(f.retained)));
    }
}
