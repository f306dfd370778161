//! The heap model built from a dump: objects numbered densely in id order,
//! classes, shallow sizes, references in both directions, GC roots and
//! threads. Loading runs in three passes over the mapped file (see
//! [`census`], [`objects`], [`refs`]); the model is immutable afterwards.

pub mod census;
pub mod classes;
pub mod jvm;
pub mod layout;
pub mod objects;
pub mod refs;
pub mod shapes;
pub mod store;
pub mod strings;
mod threads;

use std::path::Path;
use std::time::{Duration, Instant};

pub use census::{ArrayTally, Census, ClassCount, RawRoot};
pub use classes::{Class, ClassKind, ClassTable, Field, Static};
pub use layout::{Layout, LayoutChoice, LayoutSource};
pub use threads::{Frame, Thread, ThreadLocalValue, ThreadState};

use crate::hprof::{BasicType, Dump, Error, RecordIndex, RootKind, Value, read_id, read_u32};
use crate::progress::{Phase, Progress};
pub(crate) use objects::IdIndex;
use objects::Objects;
pub(crate) use refs::Csr;
use store::{ClassIdxs, U64s};

/// How to load a dump.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Use this object layout instead of inferring it.
    pub layout: Option<Layout>,
    /// Which heap dump of the file to load (0-based, see
    /// [`crate::hprof::HeapDump`]); the last one if `None`.
    pub heap_dump: Option<usize>,
}

/// Opens a dump and takes its census: enough for the summary figures and
/// the class histogram, without numbering objects.
pub fn open_census(
    path: &Path,
    options: &LoadOptions,
    progress: &Progress,
) -> Result<(Dump, Census), Error> {
    let dump = Dump::open(path, progress)?;
    let census = take_census(&dump, options, progress).map_err(|e| e.in_file(path))?;
    Ok((dump, census))
}

fn take_census(dump: &Dump, options: &LoadOptions, progress: &Progress) -> Result<Census, Error> {
    let data = dump.bytes();
    let mut records = RecordIndex::scan(data, progress)?;
    // Only the selected heap dump's segments, and so its CLASS DUMPs and
    // roots, go into the census; the top-level records are shared.
    records.select_heap_dump(options.heap_dump)?;
    records
        .warnings
        .splice(0..0, dump.warnings().iter().cloned());
    Census::take(data, records, options.layout, progress)
}

/// One heap dump of a file with its figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeapDumpFigures {
    pub index: usize,
    pub timestamp_ms: u64,
    /// Objects, class objects included.
    pub objects: u64,
    pub shallow_bytes: u64,
}

/// The figures of every heap dump in the file of `census`: the selected
/// one's from `census`, the others' from a census of their own (taken with
/// the same options, so each one's figures are those it shows when picked).
pub fn heap_dump_figures(
    dump: &Dump,
    census: &Census,
    options: &LoadOptions,
    progress: &Progress,
) -> Result<Vec<HeapDumpFigures>, Error> {
    let records = &census.records;
    let mut out = Vec::with_capacity(records.heap_dumps.len());
    for d in &records.heap_dumps {
        let (objects, shallow_bytes) = if Some(d.index) == records.heap_dump {
            (census.objects, census.shallow_total())
        } else {
            let mut other = records.clone();
            other.warnings.clear();
            other.select_heap_dump(Some(d.index))?;
            let c = Census::take(dump.bytes(), other, options.layout, progress)?;
            (c.objects, c.shallow_total())
        };
        out.push(HeapDumpFigures {
            index: d.index,
            timestamp_ms: d.timestamp_ms,
            objects,
            shallow_bytes,
        });
    }
    Ok(out)
}

/// A GC root, resolved to an object when the id has a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Root {
    pub kind: RootKind,
    pub id: u64,
    pub object: Option<u32>,
    pub thread_serial: Option<u32>,
    /// 0-based frame in the thread's stack, for frame and JNI local roots.
    pub frame_index: Option<u32>,
}

/// One field of an object with its value.
#[derive(Clone, Copy, Debug)]
pub struct FieldValue<'h> {
    /// Class index of the class that declares the field.
    pub declared_by: u32,
    pub name: &'h str,
    pub ty: BasicType,
    pub value: Value,
}

/// The elements of an array, still in dump bytes.
#[derive(Clone, Copy, Debug)]
pub struct Array<'h> {
    /// `Object` for object arrays.
    pub elem: BasicType,
    pub len: u32,
    /// `None` for Android arrays dumped without data.
    data: Option<&'h [u8]>,
    id_size: u32,
}

impl<'h> Array<'h> {
    /// Element `k`, if the array has data and `k` is in range.
    pub fn get(&self, k: u32) -> Option<Value> {
        let size = self.elem.size(self.id_size) as usize;
        let data = self.data?;
        let at = k as usize * size;
        Value::decode(self.elem, data.get(at..at + size)?, self.id_size)
    }

    /// The raw big-endian element bytes.
    pub fn bytes(&self) -> Option<&'h [u8]> {
        self.data
    }
}

/// An object of the model: its number, from 0 in id order (not its HPROF
/// id). The model's own arrays take the bare `u32`; this names it where an
/// object travels with other numbers (the window's commands and caches).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectIx(pub u32);

/// A class of the model: its index in [`Heap::classes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClassIx(pub u32);

impl Heap {
    /// The class of an object, typed.
    pub fn class_ix(&self, o: ObjectIx) -> ClassIx {
        ClassIx(self.class_of(o.0))
    }
}

/// The loaded heap. Immutable; share it with `Arc`. Its arrays are in
/// memory when just built, or views of a mapped index file (see
/// [`crate::index`]).
pub struct Heap {
    pub(crate) dump: Dump,
    pub(crate) census: Census,
    /// Per object: its id (increasing), record offset and class index.
    pub(crate) ids: U64s,
    pub(crate) offsets: U64s,
    pub(crate) classes: ClassIdxs,
    pub(crate) index: IdIndex,
    pub(crate) out: Csr,
    /// Built from `out` on first use when the heap was reopened from an
    /// index (which does not store it).
    pub(crate) inc: std::sync::OnceLock<Csr>,
    pub(crate) dangling: Vec<(u32, u64)>,
    pub(crate) roots: Vec<Root>,
    /// (object, index into `roots`), sorted.
    pub(crate) roots_by_object: Vec<(u32, u32)>,
    pub(crate) threads: Vec<Thread>,
    pub(crate) warnings: Vec<String>,
    /// How long each loading phase took.
    pub timings: Vec<(&'static str, Duration)>,
}

impl Heap {
    /// Opens and loads a dump.
    pub fn open(path: &Path, options: &LoadOptions, progress: &Progress) -> Result<Heap, Error> {
        let t = Instant::now();
        let dump = Dump::open(path, progress)?;
        let opened = t.elapsed();
        let mut heap = Heap::load(dump, options, progress).map_err(|e| e.in_file(path))?;
        heap.timings.insert(0, ("open", opened));
        Ok(heap)
    }

    /// Loads an opened dump.
    pub fn load(dump: Dump, options: &LoadOptions, progress: &Progress) -> Result<Heap, Error> {
        let t = Instant::now();
        let census = take_census(&dump, options, progress)?;
        let took = t.elapsed();
        let mut heap = Heap::from_census(dump, census, progress)?;
        heap.timings.insert(0, ("census", took));
        Ok(heap)
    }

    /// Takes the census of an opened dump: the first pass, which gives the
    /// summary figures and the class histogram (see [`Heap::from_census`]).
    pub fn take_census(
        dump: &Dump,
        options: &LoadOptions,
        progress: &Progress,
    ) -> Result<Census, Error> {
        take_census(dump, options, progress).map_err(|e| e.in_file(dump.path()))
    }

    /// Builds the rest of the model on a census of the same dump.
    pub fn from_census(dump: Dump, census: Census, progress: &Progress) -> Result<Heap, Error> {
        let mut timings = Vec::new();
        let mut t = Instant::now();
        let mut lap = |name, timings: &mut Vec<_>| {
            timings.push((name, t.elapsed()));
            t = Instant::now();
        };
        let data = dump.bytes();
        let mut warnings = census.warnings.clone();
        let objects = Objects::number(data, &census, progress, &mut warnings)?;
        let index = IdIndex::build(&objects.ids);
        lap("objects", &mut timings);
        let (out, dangling) = refs::outgoing(data, &census, &objects, &index, progress)?;
        lap("outgoing", &mut timings);
        progress.check()?;
        let inc = refs::incoming(&out, objects.len());
        lap("incoming", &mut timings);
        let roots = census
            .roots
            .iter()
            .map(|r| Root {
                kind: r.kind,
                id: r.id,
                object: index.find_in(&objects.ids, r.id),
                thread_serial: r.thread_serial,
                frame_index: if r.kind == RootKind::ThreadObject {
                    None
                } else {
                    r.extra
                },
            })
            .collect::<Vec<Root>>();
        let mut roots_by_object: Vec<(u32, u32)> = roots
            .iter()
            .enumerate()
            .filter_map(|(i, r)| Some((r.object?, i as u32)))
            .collect();
        roots_by_object.sort_unstable();
        let Objects {
            ids,
            offsets,
            classes,
        } = objects;
        let mut heap = Heap {
            dump,
            census,
            ids: ids.into(),
            offsets: offsets.into(),
            classes: ClassIdxs::Wide(classes.into()),
            index,
            out,
            inc: inc.into(),
            dangling,
            roots,
            roots_by_object,
            threads: Vec::new(),
            warnings,
            timings,
        };
        heap.threads = threads::build(&heap);
        lap("threads", &mut heap.timings);
        progress.start(Phase::Done, 0);
        Ok(heap)
    }

    /// The first pass's findings: classes, counts, layout, records.
    pub fn census(&self) -> &Census {
        &self.census
    }

    pub fn dump(&self) -> &Dump {
        &self.dump
    }

    pub fn classes(&self) -> &ClassTable {
        &self.census.classes
    }

    pub fn class(&self, c: u32) -> &Class {
        self.census.classes.get(c)
    }

    pub fn id_size(&self) -> u32 {
        self.census.id_size()
    }

    /// Number of objects (class objects included).
    pub fn object_count(&self) -> u32 {
        self.ids.len() as u32
    }

    pub fn id(&self, o: u32) -> u64 {
        self.ids.get(o as usize)
    }

    /// The class index of object `o`.
    pub fn class_of(&self, o: u32) -> u32 {
        self.classes.get(o as usize)
    }

    /// The instances of class `c` (exactly that class), in object order:
    /// a scan of every object.
    pub fn instances_of(&self, c: u32) -> Vec<u32> {
        self.objects_of(|k| k == c)
    }

    /// The objects whose class `wanted` accepts, in object order: a
    /// parallel scan of every object.
    pub fn objects_of(&self, wanted: impl Fn(u32) -> bool + Sync) -> Vec<u32> {
        use rayon::prelude::*;
        (0..self.object_count())
            .into_par_iter()
            .filter(|&o| wanted(self.class_of(o)))
            .collect()
    }

    /// File offset of object `o`'s record.
    pub fn record_offset(&self, o: u32) -> u64 {
        self.offsets.get(o as usize)
    }

    /// The object with this id.
    pub fn find(&self, id: u64) -> Option<u32> {
        self.index.find(&self.ids, id)
    }

    /// If `o` is a class object: its class index.
    pub fn as_class(&self, o: u32) -> Option<u32> {
        // Class objects are java.lang.Class's: most objects are told apart
        // without reading their record.
        if self.class_of(o) == self.census.class_class && self.tag(o) == 0x20 {
            self.census.classes.by_id(self.id(o))
        } else {
            None
        }
    }

    /// The object of class `c`'s class object, if the dump has one.
    pub fn class_object(&self, c: u32) -> Option<u32> {
        match self.class(c).id {
            0 => None,
            id => self.find(id),
        }
    }

    fn tag(&self, o: u32) -> u8 {
        self.dump.bytes()[self.record_offset(o) as usize]
    }

    /// Shallow size of object `o` under the layout in use.
    pub fn shallow_size(&self, o: u32) -> u64 {
        let l = &self.census.layout.layout;
        let c = self.class_of(o);
        match self.tag(o) {
            0x21 => self.census.instance_sizes[c as usize],
            0x20 => self
                .as_class(o)
                .map(|k| self.census.mirror_sizes[k as usize])
                .unwrap_or(0),
            _ => match self.array(o) {
                Some(a) => l.array_size(
                    if a.elem == BasicType::Object {
                        l.reference
                    } else {
                        a.elem.size(8)
                    },
                    a.len as u64,
                ),
                None => 0,
            },
        }
    }

    /// Every reference `(from, to)` whose target `wanted(to)` accepts, by
    /// one parallel scan of the outgoing references: incoming references
    /// of a few objects without building them all (see [`Heap::incoming`]).
    pub fn references_to(&self, wanted: impl Fn(u32) -> bool + Sync) -> Vec<(u32, u32)> {
        use rayon::prelude::*;
        let n = self.object_count();
        let chunk = 1u32 << 16;
        (0..n.div_ceil(chunk))
            .into_par_iter()
            .flat_map_iter(|k| {
                let (start, end) = (k * chunk, ((k + 1) * chunk).min(n));
                let mut found = Vec::new();
                for u in start..end {
                    for &w in self.out.get(u) {
                        if wanted(w) {
                            found.push((u, w));
                        }
                    }
                }
                found
            })
            .collect()
    }

    /// Objects `o` refers to (fields, elements, class references; not its
    /// class, see [`Heap::class_object`]).
    pub fn outgoing(&self, o: u32) -> &[u32] {
        self.out.get(o)
    }

    /// Objects that refer to `o`.
    pub fn incoming(&self, o: u32) -> &[u32] {
        self.inc
            .get_or_init(|| refs::incoming(&self.out, self.object_count() as usize))
            .get(o)
    }

    /// References between objects that both have records.
    pub fn reference_count(&self) -> u64 {
        self.out.edges()
    }

    /// References to ids with no record: (source object, id).
    pub fn dangling(&self) -> &[(u32, u64)] {
        &self.dangling
    }

    pub fn roots(&self) -> &[Root] {
        &self.roots
    }

    /// The root records that name object `o` (an object can be rooted
    /// many times, by several kinds).
    pub fn roots_of(&self, o: u32) -> impl Iterator<Item = &Root> {
        let start = self.roots_by_object.partition_point(|&(x, _)| x < o);
        self.roots_by_object[start..]
            .iter()
            .take_while(move |&&(x, _)| x == o)
            .map(|&(_, i)| &self.roots[i as usize])
    }

    /// Whether some GC root names object `o`.
    pub fn is_root(&self, o: u32) -> bool {
        self.roots_of(o).next().is_some()
    }

    /// The distinct objects GC roots name, in increasing order.
    pub fn root_objects(&self) -> Vec<u32> {
        let mut v: Vec<u32> = self.roots_by_object.iter().map(|&(o, _)| o).collect();
        v.dedup();
        v
    }

    /// The thread with this serial number.
    pub fn thread(&self, serial: u32) -> Option<&Thread> {
        self.threads
            .binary_search_by_key(&serial, |t| t.serial)
            .ok()
            .map(|i| &self.threads[i])
    }

    /// A root for people: its kind, and for thread roots the thread and
    /// frame, e.g. `java frame of "main" in Demo.main(Demo.java:12)`.
    pub fn describe_root(&self, root: &Root) -> String {
        let kind = root.kind.label();
        let Some(thread) = root.thread_serial.and_then(|s| self.thread(s)) else {
            return kind.to_string();
        };
        let name = thread.name.as_deref().unwrap_or("?");
        match root.frame_index.and_then(|f| thread.frames.get(f as usize)) {
            Some(frame) => format!("{kind} of \"{name}\" in {}", frame.display()),
            None => format!("{kind} of \"{name}\""),
        }
    }

    pub fn threads(&self) -> &[Thread] {
        &self.threads
    }

    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Bytes of memory the model holds beyond the mapped file.
    pub fn memory_bytes(&self) -> u64 {
        self.ids.memory_bytes()
            + self.offsets.memory_bytes()
            + self.classes.memory_bytes()
            + self.index.memory_bytes()
            + self.out.memory_bytes()
            + self.inc.get().map_or(0, Csr::memory_bytes)
            + self.dangling.capacity() as u64 * 16
            + self.roots_by_object.capacity() as u64 * 8
    }

    /// The fields of instance `o`, most derived class first, each class's
    /// fields in dump order.
    pub fn fields(&self, o: u32) -> Vec<FieldValue<'_>> {
        let mut out = Vec::new();
        let Some(values) = self.instance_values(o) else {
            return out;
        };
        let id_size = self.id_size();
        let mut at = 0usize;
        for (c, class) in self.classes().ancestors(self.class_of(o)) {
            for f in &class.fields {
                let size = f.ty.size(id_size) as usize;
                let Some(value) = values
                    .get(at..at + size)
                    .and_then(|b| Value::decode(f.ty, b, id_size))
                else {
                    return out;
                };
                out.push(FieldValue {
                    declared_by: c,
                    name: &f.name,
                    ty: f.ty,
                    value,
                });
                at += size;
            }
        }
        out
    }

    /// The value of the first field of instance `o`, most derived class
    /// first, that `wanted(declaring class, field)` accepts; only that
    /// field is decoded.
    fn find_field(&self, o: u32, wanted: impl Fn(u32, &Field) -> bool) -> Option<Value> {
        let values = self.instance_values(o)?;
        let id_size = self.id_size();
        let mut at = 0usize;
        for (c, class) in self.classes().ancestors(self.class_of(o)) {
            for f in &class.fields {
                let size = f.ty.size(id_size) as usize;
                if wanted(c, f) {
                    return Value::decode(f.ty, values.get(at..at + size)?, id_size);
                }
                at += size;
            }
        }
        None
    }

    /// The value of the most derived field called `name`.
    pub fn field(&self, o: u32, name: &str) -> Option<Value> {
        self.find_field(o, |_, f| f.name == name)
    }

    /// The value of field `name` declared by the class called `class`
    /// (for names declared twice, like `Finalizer.next` and `Reference.next`).
    pub fn field_of(&self, o: u32, class: &str, name: &str) -> Option<Value> {
        self.find_field(o, |c, f| f.name == name && self.class(c).name == class)
    }

    /// The object a reference value points to, if non-null and present.
    pub fn object(&self, v: Value) -> Option<u32> {
        match v {
            Value::Object(0) => None,
            Value::Object(id) => self.find(id),
            _ => None,
        }
    }

    /// The object a reference field points to, if non-null and present.
    pub fn field_object(&self, o: u32, name: &str) -> Option<u32> {
        self.object(self.field(o, name)?)
    }

    /// The field bytes of instance `o`, as the dump stores them.
    pub fn instance_values(&self, o: u32) -> Option<&[u8]> {
        let data = self.dump.bytes();
        let p = self.record_offset(o) as usize;
        if data[p] != 0x21 {
            return None;
        }
        let isz = self.id_size() as usize;
        let len_at = p + 1 + 2 * isz + 4;
        let n = read_u32(data, len_at)? as usize;
        data.get(len_at + 4..len_at + 4 + n)
    }

    /// The elements of array `o`.
    pub fn array(&self, o: u32) -> Option<Array<'_>> {
        let data = self.dump.bytes();
        let p = self.record_offset(o) as usize;
        let id_size = self.id_size();
        let isz = id_size as usize;
        let count_at = p + 1 + isz + 4;
        let len = read_u32(data, count_at)?;
        match data[p] {
            0x22 => {
                read_id(data, count_at + 4, id_size)?;
                let start = count_at + 4 + isz;
                Some(Array {
                    elem: BasicType::Object,
                    len,
                    data: data.get(start..start + len as usize * isz),
                    id_size,
                })
            }
            tag @ (0x23 | 0xC3) => {
                let elem = BasicType::from_u8(*data.get(count_at + 4)?)?;
                let start = count_at + 5;
                Some(Array {
                    elem,
                    len,
                    data: if tag == 0x23 {
                        data.get(start..start + len as usize * elem.size(id_size) as usize)
                    } else {
                        None
                    },
                    id_size,
                })
            }
            _ => None,
        }
    }

    /// The text of a `java.lang.String` (JDK 9+ byte[] with coder, JDK 8
    /// char[] with offset and count).
    pub fn string(&self, o: u32) -> Option<String> {
        if self.class(self.class_of(o)).name != "java.lang.String" {
            return None;
        }
        let fields = self.fields(o);
        let get = |n: &str| fields.iter().find(|f| f.name == n).map(|f| f.value);
        let value = match get("value")? {
            Value::Object(0) => return Some(String::new()),
            Value::Object(id) => self.find(id)?,
            _ => return None,
        };
        let array = self.array(value)?;
        let bytes = array.bytes()?;
        match array.elem {
            BasicType::Char => {
                let offset = get("offset").and_then(Value::as_i64).unwrap_or(0).max(0) as usize;
                let count = get("count")
                    .and_then(Value::as_i64)
                    .map(|c| c.max(0) as usize)
                    .unwrap_or(array.len as usize);
                // Saturating: a corrupt dump may hold any value here.
                let start = offset.saturating_mul(2).min(bytes.len());
                let end = start
                    .saturating_add(count.saturating_mul(2))
                    .min(bytes.len());
                Some(strings::decode_utf16(&bytes[start..end], true))
            }
            BasicType::Byte => match get("coder").and_then(Value::as_i64) {
                // UTF-16 in the dumping machine's byte order; x86 and ARM are
                // little-endian.
                Some(1) => Some(strings::decode_utf16(bytes, false)),
                _ => Some(strings::decode_latin1(bytes)),
            },
            _ => None,
        }
    }
}
