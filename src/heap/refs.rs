//! References between objects, both directions, as CSR arrays: the
//! targets of object `i` are `targets[offsets[i]..offsets[i + 1]]`.

use rayon::prelude::*;

use super::census::Census;
use super::objects::{IdIndex, Objects};
use super::store::{Buf, BufMut};
use crate::hprof::{Error, read_id, read_u32};
use crate::progress::{Phase, Progress};

/// Compressed sparse rows: one list of object numbers per object.
#[derive(Default)]
pub struct Csr {
    pub offsets: Buf<u32>,
    pub targets: Buf<u32>,
}

impl Csr {
    #[inline]
    pub fn get(&self, i: u32) -> &[u32] {
        let i = i as usize;
        &self.targets[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }

    /// Number of edges.
    pub fn edges(&self) -> u64 {
        self.targets.len() as u64
    }

    pub fn memory_bytes(&self) -> u64 {
        self.offsets.memory_bytes() + self.targets.memory_bytes()
    }

    /// Whether the rows fit `rows` objects and `objects` targets: offsets
    /// start at 0, never decrease and end at the number of targets, and
    /// every target is an object.
    pub fn is_consistent(&self, rows: usize, objects: usize) -> bool {
        self.offsets.len() == rows + 1
            && self.offsets[0] == 0
            && self.offsets[rows] as usize == self.targets.len()
            && self.offsets.par_windows(2).all(|w| w[0] <= w[1])
            && self.targets.par_iter().all(|&t| (t as usize) < objects)
    }
}

const CHUNK: usize = 1 << 15;
const DANGLING: u32 = u32::MAX;

/// Calls `f` with every non-null id object `i` refers to: instance fields,
/// object-array elements, and for class objects their superclass, loader,
/// signers, protection domain and statics.
#[inline]
pub fn for_each_ref(
    data: &[u8],
    census: &Census,
    objects: &Objects,
    i: usize,
    mut f: impl FnMut(u64),
) {
    let id_size = census.id_size();
    let isz = id_size as usize;
    let p = objects.offsets[i] as usize;
    match data[p] {
        0x21 => {
            let len_at = p + 1 + 2 * isz + 4;
            let Some(n) = read_u32(data, len_at) else {
                return;
            };
            let values = len_at + 4;
            let class = census.classes.get(objects.classes[i]);
            for &off in &class.ref_offsets {
                if off as usize + isz > n as usize {
                    break;
                }
                match read_id(data, values + off as usize, id_size) {
                    Some(0) | None => {}
                    Some(id) => f(id),
                }
            }
        }
        0x22 => {
            let count_at = p + 1 + isz + 4;
            let Some(count) = read_u32(data, count_at) else {
                return;
            };
            let start = count_at + 4 + isz;
            let Some(elements) = data.get(start..start + count as usize * isz) else {
                return;
            };
            if isz == 8 {
                for e in elements.chunks_exact(8) {
                    let id = u64::from_be_bytes(e.try_into().expect("8 bytes"));
                    if id != 0 {
                        f(id);
                    }
                }
            } else {
                for e in elements.chunks_exact(4) {
                    let id = u32::from_be_bytes(e.try_into().expect("4 bytes")) as u64;
                    if id != 0 {
                        f(id);
                    }
                }
            }
        }
        0x20 => {
            if let Some(c) = census.classes.by_id(objects.ids[i]) {
                census.classes.get(c).referenced_ids().for_each(f);
            }
        }
        _ => {}
    }
}

/// Builds the outgoing references; returns them and the references to ids
/// that have no record (source object, id).
pub fn outgoing(
    data: &[u8],
    census: &Census,
    objects: &Objects,
    index: &IdIndex,
    progress: &Progress,
) -> Result<(Csr, Vec<(u32, u64)>), Error> {
    let n = objects.len();
    progress.start(Phase::References, 2 * n as u64);
    let mut offsets = BufMut::<u32>::zeroed(n + 1);
    // Count, per object, into offsets[i + 1].
    let counted: u64 = offsets[1..]
        .par_chunks_mut(CHUNK)
        .enumerate()
        .map(|(c, chunk)| {
            let mut sum = 0u64;
            if !progress.is_cancelled() {
                for (k, slot) in chunk.iter_mut().enumerate() {
                    let mut m = 0u32;
                    for_each_ref(data, census, objects, c * CHUNK + k, |_| m += 1);
                    *slot = m;
                    sum += m as u64;
                }
                progress.add(chunk.len() as u64);
            }
            sum
        })
        .sum();
    progress.check()?;
    if counted > u32::MAX as u64 - 1 {
        return Err(Error::new(format!(
            "the dump holds {counted} references; heapscope handles up to {}",
            u32::MAX - 1
        )));
    }
    for i in 1..=n {
        offsets[i] += offsets[i - 1];
    }
    let mut targets = BufMut::<u32>::zeroed(counted as usize);
    let mut dangling: Vec<(u32, u64)> = {
        let mut parts = Vec::new();
        let mut rest = &mut targets[..];
        for c in 0..n.div_ceil(CHUNK) {
            let (lo, hi) = (c * CHUNK, ((c + 1) * CHUNK).min(n));
            let (part, tail) = rest.split_at_mut((offsets[hi] - offsets[lo]) as usize);
            parts.push((lo, hi, part));
            rest = tail;
        }
        parts
            .into_par_iter()
            .flat_map_iter(|(lo, hi, part)| {
                let mut dangling = Vec::new();
                let mut w = 0;
                for i in lo..hi {
                    for_each_ref(data, census, objects, i, |id| {
                        part[w] = match index.find_in(&objects.ids, id) {
                            Some(t) => t,
                            None => {
                                dangling.push((i as u32, id));
                                DANGLING
                            }
                        };
                        w += 1;
                    });
                }
                progress.add((hi - lo) as u64);
                dangling
            })
            .collect()
    };
    dangling.sort_unstable();
    if !dangling.is_empty() {
        // Squeeze the dangling slots out.
        let mut w = 0usize;
        let mut start = 0usize;
        for i in 0..n {
            let end = offsets[i + 1] as usize;
            offsets[i] = w as u32;
            for r in start..end {
                let t = targets[r];
                if t != DANGLING {
                    targets[w] = t;
                    w += 1;
                }
            }
            start = end;
        }
        offsets[n] = w as u32;
        targets.truncate(w);
    }
    Ok((
        Csr {
            offsets: offsets.into(),
            targets: targets.into(),
        },
        dangling,
    ))
}

/// Reverses `out`: for every object, the objects that refer to it, in
/// increasing order. Work is split by target ranges, one per thread.
pub fn incoming(out: &Csr, n: usize) -> Csr {
    let parts = rayon::current_num_threads().clamp(1, 64);
    let step = n.div_ceil(parts).max(1);
    let ranges: Vec<(usize, usize)> = (0..parts)
        .map(|p| ((p * step).min(n), ((p + 1) * step).min(n)))
        .collect();
    let mut offsets = BufMut::<u32>::zeroed(n + 1);
    {
        let mut slices = Vec::new();
        let mut rest = &mut offsets[1..];
        for &(lo, hi) in &ranges {
            let (s, tail) = rest.split_at_mut(hi - lo);
            slices.push((lo, hi, s));
            rest = tail;
        }
        slices.into_par_iter().for_each(|(lo, hi, counts)| {
            for &t in out.targets.iter() {
                let t = t as usize;
                if t >= lo && t < hi {
                    counts[t - lo] += 1;
                }
            }
        });
    }
    for i in 1..=n {
        offsets[i] += offsets[i - 1];
    }
    let mut targets = BufMut::<u32>::zeroed(out.targets.len());
    let mut cursor = BufMut::copy_of(&offsets[..n]);
    {
        let mut slices = Vec::new();
        let mut rest_t = &mut targets[..];
        let mut rest_c = &mut cursor[..];
        for &(lo, hi) in &ranges {
            let (t, tail_t) = rest_t.split_at_mut((offsets[hi] - offsets[lo]) as usize);
            let (c, tail_c) = rest_c.split_at_mut(hi - lo);
            slices.push((lo, hi, offsets[lo], t, c));
            rest_t = tail_t;
            rest_c = tail_c;
        }
        slices
            .into_par_iter()
            .for_each(|(lo, hi, base, into, cursor)| {
                for src in 0..n {
                    let (a, b) = (out.offsets[src] as usize, out.offsets[src + 1] as usize);
                    for &t in &out.targets[a..b] {
                        let t = t as usize;
                        if t >= lo && t < hi {
                            let slot = &mut cursor[t - lo];
                            into[(*slot - base) as usize] = src as u32;
                            *slot += 1;
                        }
                    }
                }
            });
    }
    Csr {
        offsets: offsets.into(),
        targets: targets.into(),
    }
}
