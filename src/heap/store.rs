//! Flat arrays that live either in memory or in a mapped index file, so the
//! model reads the same whether it was just built or reopened from disk.

use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::Arc;

use bytemuck::Pod;
use memmap2::Mmap;
use rayon::prelude::*;

/// A read-only array of plain values: a `Vec`, or a range of a mapping.
pub struct Buf<T: Pod> {
    inner: Inner<T>,
}

enum Inner<T: Pod> {
    Owned(Vec<T>),
    Mapped {
        map: Arc<Mmap>,
        at: usize,
        len: usize,
        _t: PhantomData<T>,
    },
}

impl<T: Pod> Buf<T> {
    /// `len` values at byte `at` of `map`, if they lie inside it and `at`
    /// is aligned for `T`.
    pub fn mapped(map: &Arc<Mmap>, at: usize, len: usize) -> Option<Buf<T>> {
        let bytes = len.checked_mul(size_of::<T>())?;
        let end = at.checked_add(bytes)?;
        let slice = map.get(at..end)?;
        if (slice.as_ptr() as usize) % align_of::<T>() != 0 {
            return None;
        }
        Some(Buf {
            inner: Inner::Mapped {
                map: map.clone(),
                at,
                len,
                _t: PhantomData,
            },
        })
    }

    pub fn as_slice(&self) -> &[T] {
        match &self.inner {
            Inner::Owned(v) => v,
            Inner::Mapped { map, at, len, .. } => {
                bytemuck::cast_slice(&map[*at..*at + *len * size_of::<T>()])
            }
        }
    }

    /// Bytes held in memory (a mapped array holds none).
    pub fn memory_bytes(&self) -> u64 {
        match &self.inner {
            Inner::Owned(v) => (v.capacity() * size_of::<T>()) as u64,
            Inner::Mapped { .. } => 0,
        }
    }
}

impl<T: Pod> Default for Buf<T> {
    fn default() -> Self {
        Vec::new().into()
    }
}

impl<T: Pod> From<Vec<T>> for Buf<T> {
    fn from(v: Vec<T>) -> Self {
        Buf {
            inner: Inner::Owned(v),
        }
    }
}

impl<T: Pod> Deref for Buf<T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

/// Values per block of a [`Packed`] array.
pub const BLOCK: usize = 256;
/// A delta that did not fit: the value is in the exceptions.
const FAR: u32 = u32::MAX;

/// A `u64` array stored in about 4 bytes a value: per block of [`BLOCK`]
/// values a base, and per value its distance from the base; values more
/// than 4 GiB away from their block's base are listed apart. Ids, record
/// offsets and retained sizes all pack this way.
pub struct Packed {
    pub base: Buf<u64>,
    pub delta: Buf<u32>,
    /// Positions of the values kept apart, increasing, and their values.
    pub far_at: Buf<u32>,
    pub far: Buf<u64>,
}

impl Packed {
    pub fn pack(values: &[u64]) -> Packed {
        // Per block: base, deltas, and the (position, value) kept apart.
        type Block = (u64, Vec<u32>, Vec<(u32, u64)>);
        let blocks: Vec<Block> = values
            .par_chunks(BLOCK)
            .enumerate()
            .map(|(b, chunk)| {
                // A base near the median: a few values far from the rest
                // (class objects among instances) do not push it away.
                let mut sorted = chunk.to_vec();
                let mid = sorted.len() / 2;
                let (_, &mut median, _) = sorted.select_nth_unstable(mid);
                let min = *chunk.iter().min().expect("non-empty chunk");
                let base = median - (median - min).min(1 << 31);
                let mut far = Vec::new();
                let delta = chunk
                    .iter()
                    .enumerate()
                    .map(|(k, &v)| match v.checked_sub(base) {
                        Some(d) if d < FAR as u64 => d as u32,
                        _ => {
                            far.push(((b * BLOCK + k) as u32, v));
                            FAR
                        }
                    })
                    .collect();
                (base, delta, far)
            })
            .collect();
        let mut base = Vec::with_capacity(blocks.len());
        let mut delta = Vec::with_capacity(values.len());
        let (mut far_at, mut far) = (Vec::new(), Vec::new());
        for (b, d, f) in blocks {
            base.push(b);
            delta.extend_from_slice(&d);
            for (at, v) in f {
                far_at.push(at);
                far.push(v);
            }
        }
        Packed {
            base: base.into(),
            delta: delta.into(),
            far_at: far_at.into(),
            far: far.into(),
        }
    }

    /// Whether the parts fit together: one base per block, one value per
    /// exception, exceptions at increasing positions marked in `delta`.
    pub fn is_consistent(&self) -> bool {
        self.base.len() == self.delta.len().div_ceil(BLOCK)
            && self.far_at.len() == self.far.len()
            && self.far_at.windows(2).all(|w| w[0] < w[1])
            && self
                .far_at
                .iter()
                .all(|&at| self.delta.get(at as usize) == Some(&FAR))
            && self.delta.par_iter().filter(|&&d| d == FAR).count() == self.far.len()
    }

    pub fn len(&self) -> usize {
        self.delta.len()
    }

    pub fn is_empty(&self) -> bool {
        self.delta.is_empty()
    }

    #[inline]
    pub fn get(&self, i: usize) -> u64 {
        match self.delta[i] {
            FAR => {
                let k = self
                    .far_at
                    .binary_search(&(i as u32))
                    .expect("checked when loaded");
                self.far[k]
            }
            d => self.base[i / BLOCK] + d as u64,
        }
    }

    pub fn memory_bytes(&self) -> u64 {
        self.base.memory_bytes()
            + self.delta.memory_bytes()
            + self.far_at.memory_bytes()
            + self.far.memory_bytes()
    }
}

/// A `u64` per object: plain while the model is built, packed in an index.
pub enum U64s {
    Plain(Buf<u64>),
    Packed(Packed),
}

impl U64s {
    #[inline]
    pub fn get(&self, i: usize) -> u64 {
        match self {
            U64s::Plain(v) => v[i],
            U64s::Packed(p) => p.get(i),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            U64s::Plain(v) => v.len(),
            U64s::Packed(p) => p.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values, as a slice when they are plain.
    pub fn as_plain(&self) -> Option<&[u64]> {
        match self {
            U64s::Plain(v) => Some(v),
            U64s::Packed(_) => None,
        }
    }

    pub fn memory_bytes(&self) -> u64 {
        match self {
            U64s::Plain(v) => v.memory_bytes(),
            U64s::Packed(p) => p.memory_bytes(),
        }
    }
}

impl Default for U64s {
    fn default() -> Self {
        U64s::Plain(Buf::default())
    }
}

impl From<Vec<u64>> for U64s {
    fn from(v: Vec<u64>) -> Self {
        U64s::Plain(v.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_and_reads_back_every_value() {
        let mut values: Vec<u64> = (0..10_000u64).map(|i| 0x7_0000_0000 + i * 24).collect();
        // Far values: a class dump at the start of a big file, huge sizes.
        values[300] = 40;
        values[301] = u64::MAX;
        values[9_999] = 1 << 40;
        let p = Packed::pack(&values);
        assert!(p.is_consistent());
        assert_eq!(p.far.len(), 3);
        for (i, &v) in values.iter().enumerate() {
            assert_eq!(p.get(i), v, "value {i}");
        }
        assert!(p.memory_bytes() < 10_000 * 5);
        let empty = Packed::pack(&[]);
        assert_eq!(empty.len(), 0);
        assert!(empty.is_consistent());
    }
}
