//! Flat arrays that live either in memory or in a mapped index file, so the
//! model reads the same whether it was just built or reopened from disk.

use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bytemuck::Pod;
use memmap2::{Mmap, MmapMut};
use rayon::prelude::*;

/// Where big arrays being built live: `None` for anonymous memory, else a
/// folder for scratch files (deleted as soon as they are made, so a killed
/// process leaves nothing), whose pages the kernel can write out and evict
/// when memory is short.
static SCRATCH: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Bytes of arrays that went to anonymous memory because no scratch file
/// could be made (the disk full, say).
static SHORTFALL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Bytes that should have gone to scratch files but did not, so far.
pub fn scratch_shortfall() -> u64 {
    SHORTFALL.load(std::sync::atomic::Ordering::Relaxed)
}

/// Arrays smaller than this stay in anonymous memory.
const FILE_MIN: usize = 1 << 20;

/// Builds big arrays in scratch files in `dir` from now on (`None`: in
/// anonymous memory, the default).
pub fn set_scratch_dir(dir: Option<PathBuf>) {
    *SCRATCH.lock().unwrap_or_else(|e| e.into_inner()) = dir;
}

/// The scratch folder in use, if any.
pub fn scratch_dir() -> Option<PathBuf> {
    SCRATCH.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// A file-backed writable mapping of `bytes` zero bytes, with its blocks
/// reserved up front so that a full disk fails here, not as a fault later.
fn scratch_map(bytes: usize) -> Option<MmapMut> {
    let dir = scratch_dir()?;
    let file = tempfile::tempfile_in(dir).ok()?;
    rustix::fs::fallocate(&file, rustix::fs::FallocateFlags::empty(), 0, bytes as u64).ok()?;
    // SAFETY: the file is unnamed and private to this process: nothing
    // else can change or truncate it while mapped.
    unsafe { MmapMut::map_mut(&file) }.ok()
}

/// A writable array of plain values being built: in anonymous memory, or
/// in a scratch file when [`set_scratch_dir`] named a folder.
pub struct BufMut<T: Pod> {
    inner: MutInner<T>,
    /// The values, cached: the hot loops index them billions of times.
    ptr: *mut T,
    len: usize,
}

// SAFETY: a BufMut owns its values like a Vec does; the raw pointer only
// caches where they are.
unsafe impl<T: Pod + Send> Send for BufMut<T> {}
unsafe impl<T: Pod + Sync> Sync for BufMut<T> {}

enum MutInner<T: Pod> {
    Owned(Vec<T>),
    File {
        map: MmapMut,
        len: usize,
        _t: PhantomData<T>,
    },
}

impl<T: Pod> BufMut<T> {
    /// `len` zero values.
    pub fn zeroed(len: usize) -> BufMut<T> {
        let bytes = len * size_of::<T>();
        if bytes >= FILE_MIN {
            if let Some(map) = scratch_map(bytes) {
                return BufMut::new(MutInner::File {
                    map,
                    len,
                    _t: PhantomData,
                });
            }
            if scratch_dir().is_some() {
                SHORTFALL.fetch_add(bytes as u64, std::sync::atomic::Ordering::Relaxed);
            }
        }
        vec![T::zeroed(); len].into()
    }

    /// `len` copies of `value`.
    pub fn filled(len: usize, value: T) -> BufMut<T>
    where
        T: Send + Sync,
    {
        let mut b = BufMut::zeroed(len);
        b.par_iter_mut().for_each(|x| *x = value);
        b
    }

    /// A copy of `values`.
    pub fn copy_of(values: &[T]) -> BufMut<T> {
        let mut b = BufMut::zeroed(values.len());
        b.copy_from_slice(values);
        b
    }

    fn new(mut inner: MutInner<T>) -> BufMut<T> {
        let slice: &mut [T] = match &mut inner {
            MutInner::Owned(v) => v,
            MutInner::File { map, len, .. } => {
                bytemuck::cast_slice_mut(&mut map[..*len * size_of::<T>()])
            }
        };
        let (ptr, len) = (slice.as_mut_ptr(), slice.len());
        BufMut { inner, ptr, len }
    }

    /// `values`, moved to a scratch file if they are big and one is in use
    /// (else kept as they are, without a copy).
    pub fn spilled(values: Vec<T>) -> BufMut<T> {
        if values.len() * size_of::<T>() >= FILE_MIN && scratch_dir().is_some() {
            BufMut::copy_of(&values)
        } else {
            values.into()
        }
    }

    /// Keeps the first `len` values.
    pub fn truncate(&mut self, new_len: usize) {
        let inner = std::mem::replace(&mut self.inner, MutInner::Owned(Vec::new()));
        let inner = match inner {
            MutInner::Owned(mut v) => {
                v.truncate(new_len);
                v.shrink_to_fit();
                MutInner::Owned(v)
            }
            MutInner::File { map, len, _t } => MutInner::File {
                map,
                len: new_len.min(len),
                _t,
            },
        };
        *self = BufMut::new(inner);
    }

    pub fn memory_bytes(&self) -> u64 {
        match &self.inner {
            MutInner::Owned(v) => (v.capacity() * size_of::<T>()) as u64,
            MutInner::File { .. } => 0,
        }
    }
}

impl<T: Pod> From<Vec<T>> for BufMut<T> {
    fn from(v: Vec<T>) -> Self {
        BufMut::new(MutInner::Owned(v))
    }
}

impl<T: Pod> Deref for BufMut<T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        // SAFETY: `ptr` and `len` describe the values `inner` owns, which
        // do not move while it lives (set by `new`, renewed by `truncate`).
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl<T: Pod> DerefMut for BufMut<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in `deref`, with `&mut self` for exclusive access.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

impl<T: Pod> From<BufMut<T>> for Buf<T> {
    /// The finished array, read-only from now on.
    fn from(b: BufMut<T>) -> Self {
        match b.inner {
            MutInner::Owned(v) => v.into(),
            MutInner::File { map, len, .. } => Buf::new(Inner::Scratch {
                map,
                len,
                _t: PhantomData,
            }),
        }
    }
}

impl From<BufMut<u64>> for U64s {
    fn from(b: BufMut<u64>) -> Self {
        U64s::Plain(b.into())
    }
}

/// A read-only array of plain values: a `Vec`, or a range of a mapping.
pub struct Buf<T: Pod> {
    inner: Inner<T>,
    /// The values, cached: the hot loops index them billions of times.
    ptr: *const T,
    len: usize,
}

// SAFETY: a Buf owns (or shares, read-only) its values; the raw pointer
// only caches where they are.
unsafe impl<T: Pod + Sync> Send for Buf<T> {}
unsafe impl<T: Pod + Sync> Sync for Buf<T> {}

enum Inner<T: Pod> {
    Owned(Vec<T>),
    /// A finished scratch array (see [`BufMut`]).
    Scratch {
        map: MmapMut,
        len: usize,
        _t: PhantomData<T>,
    },
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
        Some(Buf::new(Inner::Mapped {
            map: map.clone(),
            at,
            len,
            _t: PhantomData,
        }))
    }

    fn new(inner: Inner<T>) -> Buf<T> {
        let slice = Buf::slice_of(&inner);
        let (ptr, len) = (slice.as_ptr(), slice.len());
        Buf { inner, ptr, len }
    }

    #[inline]
    pub fn as_slice(&self) -> &[T] {
        // SAFETY: `ptr` and `len` describe the values `inner` holds, which
        // never move or change while it lives.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    fn slice_of(inner: &Inner<T>) -> &[T] {
        match inner {
            Inner::Owned(v) => v,
            Inner::Mapped { map, at, len, .. } => {
                bytemuck::cast_slice(&map[*at..*at + *len * size_of::<T>()])
            }
            Inner::Scratch { map, len, .. } => bytemuck::cast_slice(&map[..*len * size_of::<T>()]),
        }
    }

    /// Bytes held in memory (a mapped array holds none).
    pub fn memory_bytes(&self) -> u64 {
        match &self.inner {
            Inner::Owned(v) => (v.capacity() * size_of::<T>()) as u64,
            Inner::Mapped { .. } | Inner::Scratch { .. } => 0,
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
        Buf::new(Inner::Owned(v))
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
        let mut delta = BufMut::<u32>::zeroed(values.len());
        // Per block: its base and the (position, value) pairs kept apart.
        let blocks: Vec<(u64, Vec<(u32, u64)>)> = delta
            .par_chunks_mut(BLOCK)
            .zip(values.par_chunks(BLOCK))
            .enumerate()
            .map(|(b, (deltas, chunk))| {
                // A base near the median: a few values far from the rest
                // (class objects among instances) do not push it away.
                let mut sorted = chunk.to_vec();
                let mid = sorted.len() / 2;
                let (_, &mut median, _) = sorted.select_nth_unstable(mid);
                let min = *chunk.iter().min().expect("non-empty chunk");
                let base = median - (median - min).min(1 << 31);
                let mut far = Vec::new();
                for (k, (d, &v)) in deltas.iter_mut().zip(chunk).enumerate() {
                    *d = match v.checked_sub(base) {
                        Some(d) if d < FAR as u64 => d as u32,
                        _ => {
                            far.push(((b * BLOCK + k) as u32, v));
                            FAR
                        }
                    };
                }
                (base, far)
            })
            .collect();
        let mut base = Vec::with_capacity(blocks.len());
        let (mut far_at, mut far) = (Vec::new(), Vec::new());
        for (b, f) in blocks {
            base.push(b);
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

/// A class index per object: 2 bytes when there are at most 65,536
/// classes (an index narrows them), else 4.
pub enum ClassIdxs {
    Wide(Buf<u32>),
    Narrow(Buf<u16>),
}

impl ClassIdxs {
    #[inline]
    pub fn get(&self, i: usize) -> u32 {
        match self {
            ClassIdxs::Wide(v) => v[i],
            ClassIdxs::Narrow(v) => v[i] as u32,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            ClassIdxs::Wide(v) => v.len(),
            ClassIdxs::Narrow(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The 2-byte form, if every index fits.
    pub fn narrowed(&self) -> Option<BufMut<u16>> {
        let mut out = BufMut::<u16>::zeroed(self.len());
        let fits = out.par_iter_mut().enumerate().all(|(i, c)| {
            let v = self.get(i);
            *c = v as u16;
            v <= u16::MAX as u32
        });
        fits.then_some(out)
    }

    pub fn memory_bytes(&self) -> u64 {
        match self {
            ClassIdxs::Wide(v) => v.memory_bytes(),
            ClassIdxs::Narrow(v) => v.memory_bytes(),
        }
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
