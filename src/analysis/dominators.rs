//! The dominator tree of the heap and retained sizes, as MAT defines them:
//! an object's retained size is the sum of the shallow sizes of the objects
//! it dominates (itself included), over the graph from all GC roots.

use rayon::prelude::*;

use super::graph::{HeapGraph, Referents};
use super::semi_nca::{self, NONE};
use crate::heap::Heap;
use crate::heap::store::{Buf, BufMut, U64s};
use crate::progress::{Cancelled, Phase, Progress};

/// What dominates an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Idom {
    /// Only the virtual root: several GC roots reach it, or it is one.
    Root,
    Object(u32),
    /// No GC root reaches it (objects kept by a `-all` dump).
    Unreachable,
}

/// The dominator tree with retained sizes.
pub struct Dominators {
    /// Which referent edges counted.
    pub referents: Referents,
    /// Per object: its immediate dominator; `ROOT` or `NONE`.
    pub(crate) idom: Buf<u32>,
    /// Per object: retained bytes (0 when unreachable).
    pub(crate) retained: U64s,
    /// Objects the roots reach.
    pub reachable: u64,
}

pub(crate) const ROOT: u32 = u32::MAX - 1;

impl Dominators {
    /// Computes dominators and retained sizes. Progress: `Dominators`
    /// (objects, twice over), then `Retained`.
    pub fn compute(
        heap: &Heap,
        referents: Referents,
        progress: &Progress,
    ) -> Result<Dominators, Cancelled> {
        let n = heap.object_count() as usize;
        progress.start(Phase::Dominators, 2 * n as u64 + 2);
        let graph = HeapGraph::new(heap, referents);
        let tree = semi_nca::dominators(&graph, progress)?;
        drop(graph);
        progress.start(Phase::Retained, n as u64);
        let virtual_root = n as u32;
        let mut idom = tree.idom;
        idom.truncate(n);
        for d in idom.iter_mut() {
            if *d == virtual_root {
                *d = ROOT;
            }
        }
        // Shallow sizes in object order (sequential record reads), then
        // each object adds its total to its dominator, children first.
        let mut retained = BufMut::<u64>::zeroed(n);
        retained
            .par_iter_mut()
            .enumerate()
            .with_min_len(1 << 12)
            .for_each(|(o, r)| {
                if idom[o] != NONE {
                    *r = heap.shallow_size(o as u32);
                }
            });
        progress.check()?;
        for &v in tree.preorder.iter().skip(1).rev() {
            let d = idom[v as usize];
            if d != ROOT {
                retained[d as usize] += retained[v as usize];
            }
        }
        progress.set(n as u64);
        Ok(Dominators {
            referents,
            idom: idom.into(),
            retained: retained.into(),
            reachable: tree.preorder.len() as u64 - 1,
        })
    }

    pub fn idom(&self, o: u32) -> Idom {
        match self.idom[o as usize] {
            ROOT => Idom::Root,
            NONE => Idom::Unreachable,
            d => Idom::Object(d),
        }
    }

    /// Bytes freed if `o` were freed: its dominator subtree's shallow sizes.
    pub fn retained(&self, o: u32) -> u64 {
        self.retained.get(o as usize)
    }

    /// Objects no GC root reaches.
    pub fn unreachable(&self) -> u64 {
        self.idom.len() as u64 - self.reachable
    }

    /// Sum of the retained sizes of the tree's top level: the reachable heap.
    pub fn reachable_bytes(&self) -> u64 {
        self.idom
            .par_iter()
            .enumerate()
            .filter(|&(_, &d)| d == ROOT)
            .map(|(o, _)| self.retained.get(o))
            .sum()
    }

    /// The `n` objects with the largest retained sizes, largest first.
    pub fn biggest(&self, n: usize) -> Vec<u32> {
        top_by(self.retained.len(), n, |o| self.retained.get(o as usize))
    }

    /// The dominator tree downwards: children of every object and of the
    /// root, each list largest retained first.
    pub fn children(&self) -> Children {
        let mut children = self.children_unsorted();
        self.sort_children(&mut children);
        children
    }

    /// [`Dominators::children`] with each list in object order.
    pub fn children_unsorted(&self) -> Children {
        let n = self.idom.len();
        let slot = |d: u32| if d == ROOT { n } else { d as usize };
        let mut offsets = BufMut::<u32>::zeroed(n + 2);
        for &d in self.idom.iter() {
            if d != NONE {
                offsets[slot(d) + 1] += 1;
            }
        }
        for i in 1..offsets.len() {
            offsets[i] += offsets[i - 1];
        }
        let mut cursor = BufMut::copy_of(&offsets);
        let mut list = BufMut::<u32>::zeroed(self.reachable as usize);
        for (o, &d) in self.idom.iter().enumerate() {
            if d != NONE {
                let s = slot(d);
                list[cursor[s] as usize] = o as u32;
                cursor[s] += 1;
            }
        }
        Children { offsets, list }
    }

    fn sort_children(&self, children: &mut Children) {
        let Children { offsets, list } = children;
        let n = self.idom.len();
        // Sort each child list by retained size, largest first: parents in
        // a few dozen contiguous groups of similar total length, one task
        // each (a task per parent would be 45 M tasks).
        let retained = &self.retained;
        let groups = 64.min(n + 1).max(1);
        let target = list.len().div_ceil(groups).max(1);
        let mut bounds = vec![0usize];
        for p in 0..=n {
            if offsets[p + 1] as usize - offsets[*bounds.last().expect("non-empty")] as usize
                >= target
            {
                bounds.push(p + 1);
            }
        }
        if *bounds.last().expect("non-empty") != n + 1 {
            bounds.push(n + 1);
        }
        let mut parts = Vec::with_capacity(bounds.len());
        let mut rest = &mut list[..];
        for w in bounds.windows(2) {
            let (a, b) = (w[0], w[1]);
            let (part, tail) = rest.split_at_mut((offsets[b] - offsets[a]) as usize);
            parts.push((a, b, part));
            rest = tail;
        }
        parts.into_par_iter().for_each(|(a, b, part)| {
            let base = offsets[a] as usize;
            for p in a..b {
                let kids = &mut part[offsets[p] as usize - base..offsets[p + 1] as usize - base];
                if kids.len() > 1 {
                    kids.sort_unstable_by(|&x, &y| {
                        retained
                            .get(y as usize)
                            .cmp(&retained.get(x as usize))
                            .then(x.cmp(&y))
                    });
                }
            }
        });
    }

    /// Retained bytes per class index: the summed retained sizes of the
    /// class's instances that no other instance of the class dominates.
    pub fn class_retained(&self, heap: &Heap, children: &Children) -> Vec<u64> {
        let mut sums = ClassRetained::new(heap.classes().len());
        // Depth-first over the dominator tree; leaves (most objects) are
        // never pushed.
        let mut stack: Vec<(u32, u32)> = Vec::new();
        let visit = |o: u32, sums: &mut ClassRetained, stack: &mut Vec<(u32, u32)>| {
            let c = heap.class_of(o);
            sums.visit(c, self.retained.get(o as usize));
            if !children.of(o).is_empty() {
                sums.enter(c);
                stack.push((o, 0));
            }
        };
        for &top in children.roots() {
            visit(top, &mut sums, &mut stack);
            while let Some(&(o, i)) = stack.last() {
                let kids = children.of(o);
                if (i as usize) < kids.len() {
                    stack.last_mut().expect("non-empty").1 += 1;
                    visit(kids[i as usize], &mut sums, &mut stack);
                } else {
                    stack.pop();
                    sums.leave(heap.class_of(o));
                }
            }
        }
        sums.total
    }
}

/// Retained bytes per class, summed during a depth-first walk of the
/// dominator tree: an object counts unless an instance of its class
/// dominates it (is open above it on the walk).
pub struct ClassRetained {
    open: Vec<u32>,
    pub total: Vec<u64>,
}

impl ClassRetained {
    pub fn new(classes: usize) -> ClassRetained {
        ClassRetained {
            open: vec![0; classes],
            total: vec![0; classes],
        }
    }

    /// An object of class `c` retaining `retained` bytes is reached.
    pub fn visit(&mut self, c: u32, retained: u64) {
        if self.open[c as usize] == 0 {
            self.total[c as usize] += retained;
        }
    }

    /// The walk goes below an object of class `c`...
    pub fn enter(&mut self, c: u32) {
        self.open[c as usize] += 1;
    }

    /// ...and comes back up.
    pub fn leave(&mut self, c: u32) {
        self.open[c as usize] -= 1;
    }
}

/// The `n` indexes in `0..len` with the largest keys (ties: lower index),
/// largest first: each chunk keeps its best `n` in a small heap.
pub fn top_by(len: usize, n: usize, key: impl Fn(u32) -> u64 + Sync) -> Vec<u32> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    if n == 0 {
        return Vec::new();
    }
    const CHUNK: usize = 1 << 16;
    let rank = |o: u32| (key(o), Reverse(o));
    let mut best: Vec<u32> = (0..len.div_ceil(CHUNK))
        .into_par_iter()
        .flat_map_iter(|c| {
            let mut heap = BinaryHeap::with_capacity(n + 1);
            for o in (c * CHUNK..len.min((c + 1) * CHUNK)).map(|o| o as u32) {
                let r = rank(o);
                if heap.len() < n {
                    heap.push(Reverse(r));
                } else if heap.peek().is_some_and(|Reverse(worst)| r > *worst) {
                    heap.pop();
                    heap.push(Reverse(r));
                }
            }
            heap.into_iter()
                .map(|Reverse((_, Reverse(o)))| o)
                .collect::<Vec<_>>()
        })
        .collect();
    best.sort_unstable_by_key(|&o| Reverse(rank(o)));
    best.truncate(n);
    best
}

/// The dominator tree's child lists (CSR); the virtual root's children are
/// the tree's top level.
pub struct Children {
    offsets: BufMut<u32>,
    list: BufMut<u32>,
}

impl Children {
    /// Objects `o` immediately dominates, largest retained first.
    pub fn of(&self, o: u32) -> &[u32] {
        let o = o as usize;
        &self.list[self.offsets[o] as usize..self.offsets[o + 1] as usize]
    }

    /// Objects dominated only by the virtual root, largest first.
    pub fn roots(&self) -> &[u32] {
        let n = self.offsets.len() - 2;
        &self.list[self.offsets[n] as usize..self.offsets[n + 1] as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::top_by;

    #[test]
    fn top_by_keeps_the_largest_in_order() {
        let keys: Vec<u64> = (0..200_000u64).map(|i| (i * 7919) % 1000).collect();
        let top = top_by(keys.len(), 5, |o| keys[o as usize]);
        let mut expected: Vec<u32> = (0..keys.len() as u32).collect();
        expected.sort_by_key(|&o| (std::cmp::Reverse(keys[o as usize]), o));
        assert_eq!(top, expected[..5].to_vec());
        assert!(top_by(3, 0, |o| o as u64).is_empty());
        assert_eq!(top_by(3, 10, |o| o as u64), vec![2, 1, 0]);
    }
}
