//! Retained sizes of sets of objects, as Eclipse MAT computes them over the
//! dominator tree: the retained size of a group of objects (a package, all
//! instances of a class, a thread's locals) counts each byte once, however
//! the members dominate one another; the retained set itself, as a class
//! histogram; the immediate dominators of a set; and paths to GC roots
//! with long chains of one class folded.
//!
//! The dominator-tree figures are MAT's "minimum retained size": the
//! objects some member dominates. Objects that only several members hold
//! together are freed with the set too, without any one member dominating
//! them; [`precise_retained_set`] finds those with a walk of the graph.
//!
//! Everything here is iterative: dominator trees can be millions of levels
//! deep (a `java.lang.ref.Finalizer` list, a long linked list).

use rustc_hash::FxHashMap;

use super::dominators::{Children, Dominators, Idom};
use super::graph::HeapGraph;
use super::paths::Step;
use super::semi_nca::Graph;
use crate::heap::Heap;

/// Retained bytes of disjoint groups of objects, each taken as a set.
///
/// `group_of(o)` gives object `o`'s group (in `0..groups`), or `None` for
/// objects in no group. A group's retained size is the summed retained
/// size of its members that have no dominator-tree ancestor in the same
/// group, each byte counted once: the bytes of the objects some member
/// dominates. That is a lower bound of what freeing the whole group frees
/// (see [`precise_retained_set`]), exact for a single object. Groups can
/// overlap in retained bytes (a member of one group can dominate members
/// of another), so the figures of all groups can add up to more than the
/// reachable heap. Unreachable objects are not in the tree and retain
/// nothing.
///
/// One depth-first walk over the whole tree, with per group the number of
/// its members open above the current object; leaves are never pushed.
///
/// # Panics
/// If `group_of` returns a group `>= groups`.
pub fn group_retained(
    doms: &Dominators,
    children: &Children,
    group_of: impl Fn(u32) -> Option<u32>,
    groups: usize,
) -> Vec<u64> {
    let mut total = vec![0u64; groups];
    let mut open = vec![0u32; groups];
    // (object, next child, group of the object or NO_GROUP).
    const NO_GROUP: u32 = u32::MAX;
    let mut stack: Vec<(u32, u32, u32)> = Vec::new();
    let mut visit = |o: u32, open: &mut [u32], stack: &mut Vec<(u32, u32, u32)>| {
        let g = group_of(o);
        if let Some(g) = g {
            if open[g as usize] == 0 {
                total[g as usize] += doms.retained(o);
            }
        }
        if !children.of(o).is_empty() {
            let g = match g {
                Some(g) => {
                    open[g as usize] += 1;
                    g
                }
                None => NO_GROUP,
            };
            stack.push((o, 0, g));
        }
    };
    for &top in children.roots() {
        visit(top, &mut open, &mut stack);
        while let Some(&(o, i, g)) = stack.last() {
            let kids = children.of(o);
            if (i as usize) < kids.len() {
                stack.last_mut().expect("non-empty").1 += 1;
                visit(kids[i as usize], &mut open, &mut stack);
            } else {
                stack.pop();
                if g != NO_GROUP {
                    open[g as usize] -= 1;
                }
            }
        }
    }
    total
}

/// Marks of the objects met while walking dominator chains: a hash map for
/// small sets, an array over all objects for big ones.
enum Marks {
    Sparse(FxHashMap<u32, u8>),
    Dense(Vec<u8>),
}

/// Not met yet.
const UNKNOWN: u8 = 0;
/// A member of the set.
const MEMBER: u8 = 1;
/// Not a member, but a member dominates it.
const COVERED: u8 = 2;
/// Neither a member nor dominated by one.
const FREE: u8 = 3;
/// A member whose answer is known (a repeat of it is skipped).
const DONE: u8 = 4;

impl Marks {
    /// Marks for a set of `members` objects of a heap of `n`.
    fn new(n: usize, members: usize) -> Marks {
        if members >= n / 32 {
            Marks::Dense(vec![UNKNOWN; n])
        } else {
            let mut map = FxHashMap::default();
            map.reserve(members * 2);
            Marks::Sparse(map)
        }
    }

    #[inline]
    fn get(&self, o: u32) -> u8 {
        match self {
            Marks::Sparse(m) => m.get(&o).copied().unwrap_or(UNKNOWN),
            Marks::Dense(v) => v[o as usize],
        }
    }

    #[inline]
    fn set(&mut self, o: u32, mark: u8) {
        match self {
            Marks::Sparse(m) => {
                m.insert(o, mark);
            }
            Marks::Dense(v) => v[o as usize] = mark,
        }
    }
}

/// The members of `objects` that no other member dominates (no strict
/// ancestor in the dominator tree is in the set), each once, in order of
/// first appearance; unreachable members are left out.
///
/// Each member's chain of dominators is walked up to the first object
/// whose answer is known (a member, or an object walked before), so a long
/// chain shared by many members is walked once.
pub fn top_members(doms: &Dominators, objects: &[u32]) -> Vec<u32> {
    let n = doms.idom.len();
    let mut marks = Marks::new(n, objects.len());
    for &o in objects {
        if doms.idom(o) != Idom::Unreachable {
            marks.set(o, MEMBER);
        }
    }
    let mut path: Vec<u32> = Vec::new();
    let mut top = Vec::new();
    for &o in objects {
        if marks.get(o) != MEMBER {
            continue; // unreachable, or a duplicate already answered
        }
        // Is some strict ancestor of `o` a member?
        let mut covered = false;
        let mut p = doms.idom(o);
        while let Idom::Object(d) = p {
            match marks.get(d) {
                MEMBER | DONE | COVERED => {
                    covered = true;
                    break;
                }
                FREE => break,
                _ => {
                    path.push(d);
                    p = doms.idom(d);
                }
            }
        }
        let mark = if covered { COVERED } else { FREE };
        for &d in &path {
            marks.set(d, mark);
        }
        path.clear();
        if !covered {
            top.push(o);
        }
        marks.set(o, DONE);
    }
    top
}

/// The retained size of an arbitrary set of objects over the dominator
/// tree: the sum of `retained(o)` over the members no other member
/// dominates (see [`top_members`]), that is the bytes of every object a
/// member dominates; duplicates count once, unreachable members retain
/// nothing. As MAT's "minimum retained size" this can be less than what
/// freeing all the members frees, when objects are held by several
/// members and by nothing else (see [`precise_retained_set`]).
///
/// This is, for example, the retained size of a thread's locals or of all
/// instances of a class.
pub fn set_retained(doms: &Dominators, objects: &[u32]) -> u64 {
    top_members(doms, objects)
        .iter()
        .map(|&o| doms.retained(o))
        .sum()
}

/// Every object of the retained set of `objects` over the dominator tree:
/// the top-most members (see [`top_members`]) and all their dominator-tree
/// descendants, each once (a subset of [`precise_retained_set`]). Each top member comes first, followed by its subtree in
/// depth-first preorder. The shallow sizes add up to [`set_retained`].
pub fn retained_set(doms: &Dominators, children: &Children, objects: &[u32]) -> Vec<u32> {
    let top = top_members(doms, objects);
    let mut out = Vec::with_capacity(top.len());
    let mut stack: Vec<u32> = Vec::new();
    for o in top {
        stack.push(o);
        while let Some(x) = stack.pop() {
            out.push(x);
            // Reversed so that children come out in their list order.
            stack.extend(children.of(x).iter().rev());
        }
    }
    out
}

/// The precise retained set of `objects`: every reachable object that no
/// GC root reaches once all of `objects` are removed, in object order, over
/// the graph `doms` was computed on (the same referent edges, and the
/// edges to class objects and from class loaders).
///
/// This can be more than [`retained_set`]: an object held only by two
/// members, through two paths, is freed with the set although neither
/// member dominates it. The dominator figures ([`set_retained`],
/// [`group_retained`]) are MAT's quick "minimum retained size"; this is
/// its "precise retained size". It costs one walk of the whole graph.
pub fn precise_retained_set(heap: &Heap, doms: &Dominators, objects: &[u32]) -> Vec<u32> {
    let n = heap.object_count() as usize;
    let graph = HeapGraph::new(heap, doms.referents);
    let words = (n + 1).div_ceil(64);
    let mut removed = vec![0u64; words];
    let mut seen = vec![0u64; words];
    let test = |bits: &[u64], o: u32| bits[o as usize / 64] & (1 << (o % 64)) != 0;
    let mark = |bits: &mut [u64], o: u32| bits[o as usize / 64] |= 1 << (o % 64);
    for &o in objects {
        mark(&mut removed, o);
    }
    let root = graph.root();
    mark(&mut seen, root);
    let mut stack = vec![root];
    while let Some(v) = stack.pop() {
        for k in 0..graph.degree(v) {
            if let Some(w) = graph.successor(v, k) {
                if !test(&seen, w) && !test(&removed, w) {
                    mark(&mut seen, w);
                    stack.push(w);
                }
            }
        }
    }
    (0..n as u32)
        .filter(|&o| !test(&seen, o) && doms.idom(o) != Idom::Unreachable)
        .collect()
}

/// Objects and shallow bytes per class index of the dominator subtrees of
/// `roots` (pass disjoint subtrees, such as [`top_members`]' answer): their
/// retained set as [`set_histogram`] counts it, without a list of its
/// objects and without reading records in the dump (an object's shallow
/// size is what it retains less what its children do). Subtrees found in
/// `done` (other than the roots themselves) are added from there rather
/// than walked. The walk is cut into parts that run in parallel.
pub fn subtree_counts(
    heap: &Heap,
    doms: &Dominators,
    children: &Children,
    roots: &[u32],
    done: &FxHashMap<u32, Vec<(u64, u64)>>,
) -> Vec<(u64, u64)> {
    use rayon::prelude::*;
    let classes = heap.classes().len();
    // Counts `x`, returning what is left to walk below it.
    let count = |x: u32, counts: &mut [(u64, u64)], root: bool| -> &[u32] {
        if !root {
            if let Some(known) = done.get(&x) {
                for (c, (n, b)) in counts.iter_mut().zip(known) {
                    c.0 += n;
                    c.1 += b;
                }
                return &[];
            }
        }
        let kids = children.of(x);
        let below: u64 = kids.iter().map(|&k| doms.retained(k)).sum();
        let c = &mut counts[heap.class_of(x) as usize];
        c.0 += 1;
        c.1 += doms.retained(x).saturating_sub(below);
        kids
    };
    let mut counts = vec![(0u64, 0u64); classes];
    // A level below the roots, then breadth-first until the frontier is
    // wide enough to share.
    let mut frontier = Vec::new();
    for &r in roots {
        frontier.extend_from_slice(count(r, &mut counts, true));
    }
    while !frontier.is_empty() && frontier.len() < 256 {
        let mut next = Vec::new();
        for x in frontier {
            next.extend_from_slice(count(x, &mut counts, false));
        }
        frontier = next;
    }
    let parts = frontier
        .par_chunks(frontier.len().div_ceil(64).max(1))
        .map(|part| {
            let mut counts = vec![(0u64, 0u64); classes];
            let mut stack = part.to_vec();
            while let Some(x) = stack.pop() {
                stack.extend_from_slice(count(x, &mut counts, false));
            }
            counts
        })
        .collect::<Vec<_>>();
    for part in parts {
        for (c, (n, b)) in counts.iter_mut().zip(part) {
            c.0 += n;
            c.1 += b;
        }
    }
    counts
}

/// Counts per class index (from [`subtree_counts`]) as histogram rows,
/// largest shallow first, as [`set_histogram`] orders them.
pub fn histogram_rows(counts: &[(u64, u64)]) -> Vec<SetRow> {
    let mut rows: Vec<SetRow> = counts
        .iter()
        .enumerate()
        .filter(|(_, (n, _))| *n > 0)
        .map(|(class, &(objects, shallow))| SetRow {
            class: class as u32,
            objects,
            shallow,
        })
        .collect();
    rows.sort_by(|a, b| {
        (b.shallow, b.objects)
            .cmp(&(a.shallow, a.objects))
            .then(a.class.cmp(&b.class))
    });
    rows
}

/// The class histogram of the retained set of `objects` (as
/// [`set_histogram`] of [`retained_set`], without listing the set).
pub fn retained_histogram(
    heap: &Heap,
    doms: &Dominators,
    children: &Children,
    objects: &[u32],
) -> Vec<SetRow> {
    let top = top_members(doms, objects);
    histogram_rows(&subtree_counts(
        heap,
        doms,
        children,
        &top,
        &FxHashMap::default(),
    ))
}

/// One class's line in the histogram of a set of objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SetRow {
    /// Class index in the class table.
    pub class: u32,
    pub objects: u64,
    /// Summed shallow bytes of the class's objects in the set.
    pub shallow: u64,
}

/// A set of objects as a class histogram (MAT's "show retained set"):
/// objects and shallow bytes per class, largest shallow first (then most
/// objects, then class index). Every entry of `objects` counts, so pass a
/// set without duplicates, such as [`retained_set`]'s.
pub fn set_histogram(heap: &Heap, objects: &[u32]) -> Vec<SetRow> {
    let mut counts = vec![(0u64, 0u64); heap.classes().len()];
    for &o in objects {
        let c = &mut counts[heap.class_of(o) as usize];
        c.0 += 1;
        c.1 += heap.shallow_size(o);
    }
    histogram_rows(&counts)
}

/// The dominators of a set's objects of one class (MAT's "Immediate
/// Dominators" query).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DominatorRow {
    /// Class index of the dominators; `None` for the GC roots (objects only
    /// the virtual root dominates).
    pub class: Option<u32>,
    /// The distinct dominating objects, in increasing order (empty for the
    /// GC roots).
    pub dominators: Vec<u32>,
    /// How many (distinct) objects of the set they dominate.
    pub dominated: u64,
    /// The summed shallow bytes of those objects.
    pub dominated_shallow: u64,
}

/// For each distinct object of `objects`, the object that dominates it,
/// grouped by the dominator's class, largest `dominated_shallow` first
/// (then most dominated, then class, the GC roots first).
///
/// The dominator reported for `o` is the nearest one up its dominator
/// chain that is neither in the set itself nor of `o`'s class: as MAT
/// skips objects of the same class, a linked list's nodes all report what
/// holds the list, not each other. When the chain reaches the top of the
/// tree first, `o` counts under the GC roots (`class: None`). Unreachable
/// objects of the set have no dominator and are left out.
pub fn immediate_dominators(heap: &Heap, doms: &Dominators, objects: &[u32]) -> Vec<DominatorRow> {
    // The reachable members: a bitset over all objects, and each once.
    let mut bits = vec![0u64; doms.idom.len().div_ceil(64)];
    let mut distinct: Vec<u32> = Vec::with_capacity(objects.len());
    for &o in objects {
        let (word, bit) = (o as usize / 64, 1u64 << (o % 64));
        if bits[word] & bit == 0 && doms.idom(o) != Idom::Unreachable {
            bits[word] |= bit;
            distinct.push(o);
        }
    }
    distinct.sort_unstable();
    let is_member = |o: u32| bits[o as usize / 64] & (1 << (o % 64)) != 0;
    // Per (object, class): the first object at or above it on the
    // dominator chain that is not in the set and not of that class, or
    // NO_DOMINATOR for the top of the tree.
    const NO_DOMINATOR: u32 = u32::MAX;
    let mut memo: FxHashMap<(u32, u32), u32> = FxHashMap::default();
    let mut path: Vec<u32> = Vec::new();
    // Per dominator class (None keyed as u32::MAX): dominators, count, bytes.
    let mut rows: FxHashMap<u32, (Vec<u32>, u64, u64)> = FxHashMap::default();
    for o in distinct {
        let c = heap.class_of(o);
        let mut p = doms.idom(o);
        let found = loop {
            let Idom::Object(d) = p else {
                break NO_DOMINATOR;
            };
            if let Some(&known) = memo.get(&(d, c)) {
                break known;
            }
            if !is_member(d) && heap.class_of(d) != c {
                break d;
            }
            path.push(d);
            p = doms.idom(d);
        };
        for &d in &path {
            memo.insert((d, c), found);
        }
        path.clear();
        let key = if found == NO_DOMINATOR {
            u32::MAX
        } else {
            heap.class_of(found)
        };
        let row = rows.entry(key).or_default();
        if found != NO_DOMINATOR {
            row.0.push(found);
        }
        row.1 += 1;
        row.2 += heap.shallow_size(o);
    }
    let mut out: Vec<DominatorRow> = rows
        .into_iter()
        .map(|(key, (mut dominators, dominated, dominated_shallow))| {
            dominators.sort_unstable();
            dominators.dedup();
            DominatorRow {
                class: (key != u32::MAX).then_some(key),
                dominators,
                dominated,
                dominated_shallow,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (b.dominated_shallow, b.dominated)
            .cmp(&(a.dominated_shallow, a.dominated))
            .then(a.class.cmp(&b.class))
    });
    out
}

/// A path to a GC root with long runs folded (see [`fold_runs`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Folded {
    /// One step, shown as it is: an index into the steps.
    Step(usize),
    /// `len` consecutive steps from index `first`, all objects of `class`
    /// each referring to the step before by `field` (array indexes shown
    /// as `[]`).
    Run {
        first: usize,
        len: usize,
        class: u32,
        field: String,
    },
}

/// A reference's text without a trailing array index `[n]`, for folding:
/// `elementData[3]` and `elementData[4]` are both `elementData`, `[0]` and
/// `[7]` (the elements of an array, as paths name them) both `""`.
pub fn field_key(field: &str) -> &str {
    if let Some(open) = field.rfind('[') {
        let inside = &field[open + 1..];
        if let Some(digits) = inside.strip_suffix(']') {
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                return &field[..open];
            }
        }
    }
    field
}

/// Folds the long chains of a path to a GC root (steps from the target to
/// the root, as [`super::paths::RootPath`] has them).
///
/// A run is a maximal stretch of consecutive steps whose objects have the
/// same class and whose `field` texts are equal once a trailing `[n]` is
/// dropped (see [`field_key`]; `[3]` and `[4]` match, `x[3]` and `x` do
/// not); a step with no field (the target) is a run
/// of its own. A run of `len` steps with `len > keep + 2` is shown as its
/// first `keep` steps, one [`Folded::Run`] of the `len - keep - 1` steps
/// after them, then its last step (so the object that links the chain to
/// the rest of the path stays visible). Shorter runs are shown step by
/// step. A run of 1,903 `Finalizer`s by `next` with `keep = 2` is
/// `Step, Step, Run { len: 1900 }, Step`.
pub fn fold_runs(steps: &[Step], heap: &Heap, keep: usize) -> Vec<Folded> {
    let mut out = Vec::new();
    // (class, field without its index, whether it had one).
    let key = |i: usize| {
        steps[i].field.as_deref().map(|f| {
            let k = field_key(f);
            (heap.class_of(steps[i].object), k, k.len() != f.len())
        })
    };
    let mut start = 0;
    while start < steps.len() {
        let k = key(start);
        let mut end = start + 1;
        if k.is_some() {
            while end < steps.len() && key(end) == k {
                end += 1;
            }
        }
        let len = end - start;
        match k {
            Some((class, field, indexed)) if len > keep + 2 => {
                out.extend((start..start + keep).map(Folded::Step));
                let field = if indexed {
                    format!("{field}[]")
                } else {
                    field.to_string()
                };
                out.push(Folded::Run {
                    first: start + keep,
                    len: len - keep - 1,
                    class,
                    field,
                });
                out.push(Folded::Step(end - 1));
            }
            _ => out.extend((start..end).map(Folded::Step)),
        }
        start = end;
    }
    out
}
