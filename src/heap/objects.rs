//! The second pass: every object gets a dense number, in id order, with its
//! class and the position of its record; and ids are made fast to look up.

use rayon::prelude::*;

use super::census::{Census, SegmentObjects};
use super::store::{Buf, BufMut, U64s};
use crate::hprof::{Error, SubRecord, SubRecords, push_warning};
use crate::progress::{Phase, Progress};

/// Per-object facts in flat arrays indexed by object number.
pub struct Objects {
    /// Object ids, strictly increasing.
    pub ids: BufMut<u64>,
    /// File offset of each object's record (its tag byte).
    pub offsets: BufMut<u64>,
    /// Class index of each object (`java.lang.Class` for class objects).
    pub classes: BufMut<u32>,
}

impl Objects {
    /// Numbers the objects of the heap segments `census` counted.
    pub fn number(
        data: &[u8],
        census: &Census,
        progress: &Progress,
        warnings: &mut Vec<String>,
    ) -> Result<Objects, Error> {
        let n = census.objects as usize;
        if n > u32::MAX as usize - 1 {
            return Err(Error::new(format!(
                "the dump holds {n} objects; heapscope handles up to {}",
                u32::MAX - 1
            )));
        }
        let mut ids = BufMut::<u64>::zeroed(n);
        let mut offsets = BufMut::<u64>::zeroed(n);
        let mut classes = BufMut::<u32>::zeroed(n);
        progress.start(Phase::Indexing, n as u64);
        let segments = &census.records.segments;
        let stats = &census.segment_objects;
        // Class objects are scattered over the heap: they are merged into
        // place from a sorted list when the other objects come in order.
        let mut class_objects: Vec<(u64, u64)> = census
            .class_dumps
            .iter()
            .map(|&(at, id)| (id, at))
            .collect();
        class_objects.sort_unstable();
        let order = id_order(stats);
        // Per segment: (position of its first object, class objects merged in).
        let mut plan: Vec<(usize, &[(u64, u64)])> = vec![(0, &[]); segments.len()];
        let mut at = 0usize;
        match &order {
            Some(order) => {
                let mut rest = &class_objects[..];
                let first_min = order.first().map(|&s| stats[s].min_id).unwrap_or(u64::MAX);
                // Class objects below every segment come first.
                let before = rest.partition_point(|&(id, _)| id < first_min);
                let (head, tail) = rest.split_at(before);
                for (k, &(id, off)) in head.iter().enumerate() {
                    ids[k] = id;
                    offsets[k] = off;
                    classes[k] = census.class_class;
                }
                at += head.len();
                rest = tail;
                for (k, &s) in order.iter().enumerate() {
                    let next_min = order
                        .get(k + 1)
                        .map(|&t| stats[t].min_id)
                        .unwrap_or(u64::MAX);
                    let take = rest.partition_point(|&(id, _)| id < next_min);
                    let (mine, tail) = rest.split_at(take);
                    plan[s] = (at, mine);
                    at += stats[s].count as usize + mine.len();
                    rest = tail;
                }
            }
            None => {
                for (s, st) in stats.iter().enumerate() {
                    plan[s] = (at, &[]);
                    at += (st.count + st.class_objects) as usize;
                }
            }
        }
        {
            let mut by_start: Vec<usize> = (0..segments.len()).collect();
            by_start.sort_by_key(|&s| plan[s].0);
            let mut parts = Vec::with_capacity(segments.len());
            let first = plan.iter().map(|p| p.0).min().unwrap_or(n).min(n);
            let (mut ri, mut ro, mut rc) = (
                &mut ids[first..],
                &mut offsets[first..],
                &mut classes[first..],
            );
            for s in by_start {
                let (_, merged) = plan[s];
                let k = match order {
                    Some(_) => stats[s].count as usize + merged.len(),
                    None => (stats[s].count + stats[s].class_objects) as usize,
                };
                let (a, b) = ri.split_at_mut(k);
                let (c, d) = ro.split_at_mut(k);
                let (e, f) = rc.split_at_mut(k);
                parts.push((&segments[s], merged, a, c, e));
                (ri, ro, rc) = (b, d, f);
            }
            let id_size = census.id_size();
            let in_order = order.is_some();
            parts
                .into_par_iter()
                .for_each(|(seg, mut merged, ids, offsets, classes)| {
                    if progress.is_cancelled() {
                        return;
                    }
                    let body = &data[seg.offset as usize..(seg.offset + seg.len) as usize];
                    let mut k = 0;
                    let mut put = |id: u64, at: u64, class: u32, k: &mut usize| {
                        if *k < ids.len() {
                            ids[*k] = id;
                            offsets[*k] = at;
                            classes[*k] = class;
                            *k += 1;
                        }
                    };
                    for item in SubRecords::new(body, seg.offset, id_size) {
                        let Ok((at, rec)) = item else { break };
                        let (id, class) = match rec {
                            SubRecord::Instance { id, class_id, .. }
                            | SubRecord::ObjectArray { id, class_id, .. } => (
                                id,
                                census
                                    .classes
                                    .by_id(class_id)
                                    .expect("census made every class"),
                            ),
                            SubRecord::PrimitiveArray { id, elem, .. } => (
                                id,
                                census
                                    .classes
                                    .prim_array(elem)
                                    .expect("census made every class"),
                            ),
                            SubRecord::ClassDump { id } if !in_order => (id, census.class_class),
                            _ => continue,
                        };
                        while let Some((&(cid, cat), tail)) = merged.split_first() {
                            if cid > id {
                                break;
                            }
                            put(cid, cat, census.class_class, &mut k);
                            merged = tail;
                        }
                        put(id, at, class, &mut k);
                    }
                    for &(cid, cat) in merged {
                        put(cid, cat, census.class_class, &mut k);
                    }
                    progress.add(k as u64);
                });
        }
        progress.check()?;
        let mut objects = Objects {
            ids,
            offsets,
            classes,
        };
        objects.sort_and_dedup(warnings);
        Ok(objects)
    }

    /// Sorts by id unless already sorted: when segments overlap (ART, or a
    /// writer that does not go in address order), increasing runs are
    /// merged, and only a scattered order falls back to a full sort. Of
    /// repeated ids the first record is kept.
    fn sort_and_dedup(&mut self, warnings: &mut Vec<String>) {
        if self.ids.par_windows(2).all(|w| w[0] < w[1]) {
            return;
        }
        let n = self.ids.len();
        let mut runs = vec![0usize];
        for i in 1..n {
            if self.ids[i] <= self.ids[i - 1] {
                runs.push(i);
                if runs.len() > MAX_RUNS {
                    break;
                }
            }
        }
        if runs.len() == 1 {
            return;
        }
        let perm = if runs.len() <= MAX_RUNS {
            runs.push(n);
            merge_runs(&self.ids, &runs)
        } else {
            let mut perm: Vec<u32> = (0..n as u32).collect();
            // Stable: of duplicate ids the record that comes first is kept.
            perm.par_sort_by_key(|&i| self.ids[i as usize]);
            perm
        };
        let permuted = |from: &[u64]| {
            let mut to = BufMut::<u64>::zeroed(n);
            to.par_iter_mut()
                .zip(perm.par_iter())
                .for_each(|(t, &i)| *t = from[i as usize]);
            to
        };
        let mut ids = permuted(&self.ids);
        let mut offsets = permuted(&self.offsets);
        let mut classes = BufMut::<u32>::zeroed(n);
        classes
            .par_iter_mut()
            .zip(perm.par_iter())
            .for_each(|(t, &i)| *t = self.classes[i as usize]);
        drop(perm);
        let duplicates = dedup_sorted(&mut ids, &mut offsets, &mut classes);
        if duplicates > 0 {
            push_warning(
                warnings,
                format!(
                    "{duplicates} object records repeat an id seen before; the first record of each id is kept"
                ),
            );
        }
        *self = Objects {
            ids,
            offsets,
            classes,
        };
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Finds an object's number from its id: buckets over the id range point
/// into the sorted id array, and a short search finishes.
#[derive(Default)]
pub struct IdIndex {
    pub min: u64,
    pub shift: u32,
    /// `starts[b]`: the first object whose bucket is `b` or later.
    pub starts: Buf<u32>,
}

impl IdIndex {
    pub fn build(ids: &[u64]) -> IdIndex {
        let (Some(&min), Some(&max)) = (ids.first(), ids.last()) else {
            return IdIndex::default();
        };
        let span = max - min;
        let want = (ids.len() / 2).max(1) as u64;
        let mut shift = 0;
        while (span >> shift) >= want {
            shift += 1;
        }
        let buckets = (span >> shift) as usize + 1;
        let mut starts = BufMut::<u32>::zeroed(buckets + 1);
        // starts[b] = number of ids in buckets before b.
        for &id in ids {
            starts[((id - min) >> shift) as usize + 1] += 1;
        }
        for b in 1..starts.len() {
            starts[b] += starts[b - 1];
        }
        IdIndex {
            min,
            shift,
            starts: starts.into(),
        }
    }

    /// The positions in the id array where `id` can be.
    #[inline]
    fn bucket(&self, id: u64) -> Option<(usize, usize)> {
        let off = id.checked_sub(self.min)?;
        let b = (off >> self.shift) as usize;
        if b + 1 >= self.starts.len() {
            return None;
        }
        Some((self.starts[b] as usize, self.starts[b + 1] as usize))
    }

    /// The object with this id, in plain sorted `ids`.
    #[inline]
    pub fn find_in(&self, ids: &[u64], id: u64) -> Option<u32> {
        let (lo, hi) = self.bucket(id)?;
        let slice = ids.get(lo..hi)?;
        match slice.len() {
            0 => None,
            1..=8 => slice.iter().position(|&x| x == id).map(|p| (lo + p) as u32),
            _ => slice.binary_search(&id).ok().map(|p| (lo + p) as u32),
        }
    }

    /// The object with this id.
    #[inline]
    pub fn find(&self, ids: &U64s, id: u64) -> Option<u32> {
        if let Some(plain) = ids.as_plain() {
            return self.find_in(plain, id);
        }
        let (mut lo, mut hi) = self.bucket(id)?;
        hi = hi.min(ids.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match ids.get(mid).cmp(&id) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid as u32),
            }
        }
        None
    }

    /// Whether the buckets fit `objects` ids: they never decrease and end
    /// at the object count.
    pub fn is_consistent(&self, objects: usize) -> bool {
        self.starts.is_empty() && objects == 0
            || self.starts.first() == Some(&0)
                && self.starts.last() == Some(&(objects as u32))
                && self.starts.par_windows(2).all(|w| w[0] <= w[1])
    }

    pub fn memory_bytes(&self) -> u64 {
        self.starts.memory_bytes()
    }
}

/// The order of segments that puts all ids (class objects aside) in
/// increasing order, if each segment is increasing and their id ranges do
/// not overlap. HotSpot writes
/// each segment in address order, but with parallel dumping the segments
/// of different threads interleave in the file.
fn id_order(segments: &[SegmentObjects]) -> Option<Vec<usize>> {
    if segments.iter().any(|s| !s.increasing) {
        return None;
    }
    let mut order: Vec<usize> = (0..segments.len())
        .filter(|&s| segments[s].count > 0)
        .collect();
    order.sort_by_key(|&s| segments[s].min_id);
    let disjoint = order
        .windows(2)
        .all(|w| segments[w[0]].max_id < segments[w[1]].min_id);
    if !disjoint {
        return None;
    }
    order.extend((0..segments.len()).filter(|&s| segments[s].count == 0));
    Some(order)
}

/// Beyond this many increasing runs the ids are sorted instead of merged.
const MAX_RUNS: usize = 1 << 16;

/// Merges the increasing runs `ids[bounds[k]..bounds[k + 1]]` into one
/// order of positions; equal ids keep file order.
fn merge_runs(ids: &[u64], bounds: &[usize]) -> Vec<u32> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let mut heads: Vec<(usize, usize)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();
    let mut heap: BinaryHeap<Reverse<(u64, usize)>> = heads
        .iter()
        .enumerate()
        .filter(|(_, (a, b))| a < b)
        .map(|(r, &(a, _))| Reverse((ids[a], r)))
        .collect();
    let mut perm = Vec::with_capacity(ids.len());
    while let Some(Reverse((_, r))) = heap.pop() {
        let (pos, end) = &mut heads[r];
        // Drain this run while it stays below every other run's head.
        let limit = heap.peek().map(|Reverse(top)| *top);
        loop {
            perm.push(*pos as u32);
            *pos += 1;
            if *pos == *end {
                break;
            }
            if let Some(top) = limit {
                if (ids[*pos], r) > top {
                    heap.push(Reverse((ids[*pos], r)));
                    break;
                }
            }
        }
    }
    perm
}

/// Removes repeated ids from sorted `ids`, keeping the first of each, and
/// the matching entries of the other arrays; returns how many went.
fn dedup_sorted(
    ids: &mut BufMut<u64>,
    offsets: &mut BufMut<u64>,
    classes: &mut BufMut<u32>,
) -> u64 {
    if ids.windows(2).all(|w| w[0] < w[1]) {
        return 0;
    }
    let mut w = 0;
    for r in 0..ids.len() {
        if r > 0 && ids[r] == ids[w - 1] {
            continue;
        }
        ids[w] = ids[r];
        offsets[w] = offsets[r];
        classes[w] = classes[r];
        w += 1;
    }
    let removed = (ids.len() - w) as u64;
    ids.truncate(w);
    offsets.truncate(w);
    classes.truncate(w);
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_runs_keeping_the_first_duplicate() {
        let mut o = Objects {
            ids: vec![5, 9, 20, 1, 9, 30, 2, 3].into(),
            offsets: vec![50, 90, 200, 10, 91, 300, 20, 30].into(),
            classes: vec![0; 8].into(),
        };
        let mut warnings = Vec::new();
        o.sort_and_dedup(&mut warnings);
        assert_eq!(*o.ids, [1, 2, 3, 5, 9, 20, 30]);
        assert_eq!(*o.offsets, [10, 20, 30, 50, 90, 200, 300]);
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn finds_every_id_and_nothing_else() {
        let ids: Vec<u64> = (0..10_000u64)
            .map(|i| 0xf000_0000 + i * 24 + (i % 7) * 8)
            .collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        let index = IdIndex::build(&sorted);
        for (i, &id) in sorted.iter().enumerate() {
            assert_eq!(index.find_in(&sorted, id), Some(i as u32));
            assert_eq!(index.find_in(&sorted, id + 1), None);
        }
        assert_eq!(index.find_in(&sorted, 0), None);
        assert_eq!(index.find_in(&sorted, u64::MAX), None);
        assert_eq!(IdIndex::build(&[]).find_in(&[], 5), None);
        // The same through packed ids, as an index file holds them.
        let packed = U64s::Packed(crate::heap::store::Packed::pack(&sorted));
        for (i, &id) in sorted.iter().enumerate().step_by(7) {
            assert_eq!(index.find(&packed, id), Some(i as u32));
            assert_eq!(index.find(&packed, id + 1), None);
        }
    }
}
