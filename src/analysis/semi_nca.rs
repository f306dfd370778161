//! Dominators of a rooted directed graph with the SEMI-NCA algorithm
//! (Georgiadis and Tarjan) over flat `u32` arrays: a depth-first search,
//! semidominators with path compression, then nearest common ancestors.
//! Linear space, near-linear time, and no recursion: a chain of millions
//! of nodes (a Finalizer list) is as easy as a tree.

use rayon::prelude::*;

use crate::heap::store::BufMut;
use crate::progress::{Cancelled, Progress};

/// No node: unreachable, or the root's dominator.
pub const NONE: u32 = u32::MAX;

/// A graph over nodes `0..node_count()` entered at `root()`. Successors are
/// numbered so that a depth-first search can resume where it left off;
/// `successor` may return `None` for an edge that does not count.
pub trait Graph {
    fn node_count(&self) -> usize;
    fn root(&self) -> u32;
    fn degree(&self, v: u32) -> u32;
    fn successor(&self, v: u32, k: u32) -> Option<u32>;
    /// Calls `f` with every `u` that has a counted edge `u -> v`
    /// (repeats allowed).
    fn for_each_predecessor(&self, v: u32, f: impl FnMut(u32));
}

/// The dominator tree as parent links in node space, and the nodes in the
/// depth-first preorder used (reachable nodes only, the root first).
pub struct DomTree {
    /// `idom[v]`: the immediate dominator of `v`; `NONE` for the root and
    /// for nodes the root does not reach.
    pub idom: BufMut<u32>,
    /// Reachable nodes in preorder; every node comes after its dominators.
    pub preorder: BufMut<u32>,
}

/// Computes the dominator tree of `g`. Checks `progress` for cancellation
/// and counts the reachable nodes done, twice (search, then dominators).
pub fn dominators<G: Graph + Sync>(g: &G, progress: &Progress) -> Result<DomTree, Cancelled> {
    let n = g.node_count();
    let root = g.root();
    // Depth-first search: preorder numbers and tree parents (in preorder).
    let mut pre = BufMut::filled(n, NONE);
    // Preorder: the nodes, and each one's tree parent (a preorder number).
    let mut vertex = BufMut::<u32>::zeroed(n);
    let mut parent = BufMut::<u32>::zeroed(n);
    let mut stack: Vec<(u32, u32, u32)> = vec![(root, 0, g.degree(root))];
    pre[root as usize] = 0;
    vertex[0] = root;
    let mut m = 1usize;
    while let Some(top) = stack.last_mut() {
        let (v, k, degree) = *top;
        if k == degree {
            stack.pop();
            continue;
        }
        top.1 += 1;
        let Some(w) = g.successor(v, k) else { continue };
        if pre[w as usize] == NONE {
            pre[w as usize] = m as u32;
            parent[m] = pre[v as usize];
            vertex[m] = w;
            m += 1;
            stack.push((w, 0, g.degree(w)));
            if m % (1 << 20) == 0 {
                progress.set(m as u64);
                progress.check()?;
            }
        }
    }
    drop(stack);
    vertex.truncate(m);
    parent.truncate(m);
    progress.set(m as u64);

    // Predecessors in preorder numbers, gathered in parallel chunks: the
    // random lookups overlap, and the sequential pass below streams them.
    const CHUNK: usize = 1 << 16;
    let preds: Vec<(BufMut<u32>, BufMut<u32>)> = (0..m.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let (lo, hi) = (c * CHUNK, ((c + 1) * CHUNK).min(m));
            let mut offsets = Vec::with_capacity(hi - lo + 1);
            let mut list = Vec::new();
            offsets.push(0u32);
            for &v in &vertex[lo..hi] {
                g.for_each_predecessor(v, |u| {
                    let pu = pre[u as usize];
                    if pu != NONE {
                        list.push(pu);
                    }
                });
                offsets.push(list.len() as u32);
            }
            // Into scratch files when in use: all lists together are as
            // big as the incoming references.
            (BufMut::spilled(offsets), BufMut::spilled(list))
        })
        .collect();
    progress.check()?;
    drop(pre);

    // Semidominators, in reverse preorder, with a compressed forest
    // (ancestor, label) for the minimum semidominator on a path.
    let mut semi = BufMut::<u32>::zeroed(m);
    semi.par_iter_mut()
        .enumerate()
        .for_each(|(v, s)| *s = v as u32);
    // [ancestor, label] side by side: eval reads both of a vertex.
    let mut forest = BufMut::<[u32; 2]>::zeroed(m);
    forest
        .par_iter_mut()
        .enumerate()
        .for_each(|(v, f)| *f = [NONE, v as u32]);
    let mut path: Vec<u32> = Vec::new();
    for w in (1..m).rev() {
        let (offsets, list) = &preds[w / CHUNK];
        let k = w % CHUNK;
        let mut s = semi[w];
        for &pu in &list[offsets[k] as usize..offsets[k + 1] as usize] {
            let x = eval(pu, &mut forest, &semi, &mut path);
            s = s.min(semi[x as usize]);
        }
        semi[w] = s;
        forest[w][0] = parent[w];
        if w % (1 << 20) == 0 {
            progress.set((2 * m - w) as u64);
            progress.check()?;
        }
    }
    drop(preds);
    let mut idom_pre = BufMut::<u32>::zeroed(m);
    idom_pre
        .par_iter_mut()
        .zip(forest.par_iter())
        .for_each(|(d, f)| *d = f[0]);
    drop(forest);

    // Immediate dominators: the nearest ancestor of the parent at or
    // above the semidominator, in preorder so that ancestors are final.
    idom_pre[0] = 0;
    for w in 1..m {
        let mut x = parent[w];
        while x > semi[w] {
            x = idom_pre[x as usize];
        }
        idom_pre[w] = x;
    }
    drop(semi);
    drop(parent);
    let mut idom = BufMut::filled(n, NONE);
    for w in 1..m {
        idom[vertex[w] as usize] = vertex[idom_pre[w] as usize];
    }
    Ok(DomTree {
        idom,
        preorder: vertex,
    })
}

/// The vertex with the smallest semidominator on the forest path from `v`
/// to its tree root, compressing the path on the way. `forest[v]` is
/// (ancestor, label).
#[inline]
fn eval(v: u32, forest: &mut [[u32; 2]], semi: &[u32], path: &mut Vec<u32>) -> u32 {
    let a = forest[v as usize][0];
    if a == NONE {
        return v;
    }
    if forest[a as usize][0] != NONE {
        let mut x = v;
        while forest[forest[x as usize][0] as usize][0] != NONE {
            path.push(x);
            x = forest[x as usize][0];
        }
        while let Some(y) = path.pop() {
            let [a, a_label] = forest[forest[y as usize][0] as usize];
            let y = &mut forest[y as usize];
            if semi[a_label as usize] < semi[y[1] as usize] {
                y[1] = a_label;
            }
            y[0] = a;
        }
    }
    forest[v as usize][1]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small graph from an edge list, entered at node 0.
    struct Edges {
        succ: Vec<Vec<u32>>,
        pred: Vec<Vec<u32>>,
    }

    impl Edges {
        fn new(n: usize, edges: &[(u32, u32)]) -> Edges {
            let mut succ = vec![Vec::new(); n];
            let mut pred = vec![Vec::new(); n];
            for &(a, b) in edges {
                succ[a as usize].push(b);
                pred[b as usize].push(a);
            }
            Edges { succ, pred }
        }
    }

    impl Graph for Edges {
        fn node_count(&self) -> usize {
            self.succ.len()
        }
        fn root(&self) -> u32 {
            0
        }
        fn degree(&self, v: u32) -> u32 {
            self.succ[v as usize].len() as u32
        }
        fn successor(&self, v: u32, k: u32) -> Option<u32> {
            Some(self.succ[v as usize][k as usize])
        }
        fn for_each_predecessor(&self, v: u32, f: impl FnMut(u32)) {
            self.pred[v as usize].iter().copied().for_each(f);
        }
    }

    fn reachable(g: &Edges, removed: Option<u32>) -> Vec<bool> {
        let mut seen = vec![false; g.node_count()];
        let mut stack = vec![0u32];
        seen[0] = true;
        while let Some(v) = stack.pop() {
            for &w in &g.succ[v as usize] {
                if Some(w) != removed && !seen[w as usize] {
                    seen[w as usize] = true;
                    stack.push(w);
                }
            }
        }
        seen
    }

    /// By definition: d dominates v if removing d makes v unreachable; the
    /// immediate dominator is the strict dominator dominated by all others,
    /// that is the one with the most dominators itself.
    fn brute_force(g: &Edges) -> Vec<u32> {
        let n = g.node_count();
        let base = reachable(g, None);
        let mut doms: Vec<Vec<u32>> = vec![Vec::new(); n];
        for d in 1..n as u32 {
            let without = reachable(g, Some(d));
            for v in 0..n {
                if base[v] && !without[v] && v as u32 != d {
                    doms[v].push(d);
                }
            }
        }
        (0..n)
            .map(|v| {
                if v == 0 || !base[v] {
                    return NONE;
                }
                doms[v]
                    .iter()
                    .copied()
                    .max_by_key(|&d| doms[d as usize].len())
                    .unwrap_or(0)
            })
            .collect()
    }

    #[test]
    fn matches_the_definition_on_random_graphs() {
        let mut seed = 0x9E3779B97F4A7C15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..400 {
            let n = 2 + (next() % 40) as usize;
            let m = (next() % (3 * n as u64 + 1)) as usize;
            let edges: Vec<(u32, u32)> = (0..m)
                .map(|_| ((next() % n as u64) as u32, (next() % n as u64) as u32))
                .collect();
            let g = Edges::new(n, &edges);
            let tree = dominators(&g, &Progress::new()).unwrap();
            assert_eq!(
                tree.idom.to_vec(),
                brute_force(&g),
                "round {round}: {edges:?}"
            );
            let reach = reachable(&g, None);
            assert_eq!(tree.preorder.len(), reach.iter().filter(|&&r| r).count());
        }
    }

    #[test]
    fn a_long_chain_and_a_diamond() {
        // 0 -> 1 -> ... -> 199999, plus 0 -> 5 making 1..4 skippable.
        let n = 200_000;
        let mut edges: Vec<(u32, u32)> = (0..n - 1).map(|i| (i, i + 1)).collect();
        edges.push((0, 5));
        let g = Edges::new(n as usize, &edges);
        let tree = dominators(&g, &Progress::new()).unwrap();
        assert_eq!(tree.idom[5], 0);
        assert_eq!(tree.idom[4], 3);
        assert_eq!(tree.idom[6], 5);
        assert_eq!(tree.idom[n as usize - 1], n - 2);
    }
}
