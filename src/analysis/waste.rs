//! Waste: memory a program holds for nothing, and what sharing or trimming
//! would save. Four sections, each with totals per class and per owner:
//! duplicate `java.lang.String` values, collections whose backing array is
//! mostly empty, primitive arrays that are all zero, and boxed primitives
//! that repeat a value.
//!
//! One parallel pass over every object sorts out the objects of interest
//! (per-class plans decide, with field offsets read once per class); then
//! each section sorts its flat list. The owner of a wasteful object is
//! found up the strong dominator tree (see [`Owner`]).

use std::hash::Hasher;

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHasher};

use super::dominators::{Dominators, Idom};
use crate::heap::{ClassKind, Heap, strings};
use crate::hprof::{BasicType, Value};
use crate::progress::{Cancelled, Phase, Progress};

/// Groups of duplicate strings whose holders [`analyze`] lists (the rest
/// can be asked for with [`string_holders`]).
pub const HOLDER_GROUPS: usize = 100;

/// Characters of a string value kept as its preview.
pub const PREVIEW_CHARS: usize = 100;

/// Most-repeated values kept per boxed class.
pub const BOXED_VALUES: usize = 20;

/// Dominators climbed at most to find an owner.
const MAX_CLIMB: usize = 64;

/// The fill-ratio buckets of collections, as labels: `size == 0`, then
/// `size / capacity` up to 10%, 25%, 50%, 75%, and above 75%.
pub const FILL_BUCKETS: [&str; 6] = ["empty", "≤10%", "≤25%", "≤50%", "≤75%", ">75%"];

/// The whole waste picture of a heap.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct WasteReport {
    pub strings: StringWaste,
    pub collections: CollectionWaste,
    pub zero_arrays: ZeroArrayWaste,
    pub boxed: BoxedWaste,
    /// Bytes the four sections could save together.
    pub wasted: u64,
}

/// Who holds a wasteful object: the first object up its strong dominator
/// chain that is neither an array nor of a `java.util.` class (those are
/// the insides of collections), and the field by which that object refers
/// to the chain below it. A static field's owner is the class declaring it
/// (`LeakPatterns.sparse`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Owner {
    /// The owner's class (for a static field, the class that declares it);
    /// `None` when the chain reaches the GC roots first.
    pub class: Option<u32>,
    /// Whether `field` is a static field of `class`.
    pub is_static: bool,
    /// The referring field; `None` for GC roots or a reference that is no
    /// field (a class's loader, say).
    pub field: Option<String>,
}

impl Owner {
    /// `Class.field`, `Class` alone, or `GC roots`, for people.
    pub fn label(&self, heap: &Heap) -> String {
        match (self.class, &self.field) {
            (None, _) => "GC roots".to_string(),
            (Some(c), Some(f)) => format!("{}.{f}", heap.class(c).name),
            (Some(c), None) => heap.class(c).name.clone(),
        }
    }
}

/// Wasteful objects of one class under one owner.
#[derive(Clone, Debug, serde::Serialize)]
pub struct OwnerRow {
    pub owner: Owner,
    /// The class of the wasteful objects.
    pub class: u32,
    pub count: u64,
    pub wasted: u64,
    /// One of the wasteful objects.
    pub example: u32,
    /// The owning object (a class object for a static field), if any.
    pub owner_example: Option<u32>,
}

/// Duplicate strings.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct StringWaste {
    /// `java.lang.String` objects read.
    pub strings: u64,
    /// Strings whose value another String also holds.
    pub duplicates: u64,
    pub wasted: u64,
    /// One row per duplicated value, most wasted bytes first.
    pub values: Vec<DuplicateString>,
    /// The copies beyond the first of each value, by owner.
    pub by_owner: Vec<OwnerRow>,
}

/// One value held by several Strings.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DuplicateString {
    /// The first [`PREVIEW_CHARS`] characters on one line (`\n`, `\t`,
    /// control characters escaped), with `…` when cut.
    pub preview: String,
    /// Length in characters (UTF-16 units).
    pub length: u64,
    pub count: u64,
    /// Distinct value arrays among the copies.
    pub arrays: u64,
    /// Shallow bytes of all the Strings and their distinct arrays.
    pub shallow: u64,
    /// `shallow` minus one String and its array: what one copy would save.
    pub wasted: u64,
    /// The Strings, in object order.
    pub objects: Vec<u32>,
    /// Who refers to the copies; `None` beyond the first [`HOLDER_GROUPS`]
    /// values (see [`string_holders`]).
    pub holders: Option<Vec<Holder>>,
}

/// Referrers of a set of objects of one class and field.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Holder {
    /// The referrer's class (for a static field, the class declaring it).
    pub class: u32,
    pub is_static: bool,
    /// The field; `None` for an array's elements or a reference that is no
    /// field.
    pub field: Option<String>,
    /// References (one per referrer and referred object).
    pub count: u64,
    pub example: u32,
}

/// Which collection implementation a class is (or extends).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum CollectionKind {
    ArrayList,
    HashMap,
    /// Figures of its backing `map`.
    HashSet,
    ConcurrentHashMap,
    ArrayDeque,
    Vector,
    Hashtable,
}

impl CollectionKind {
    const ALL: [CollectionKind; 7] = [
        CollectionKind::ArrayList,
        CollectionKind::HashMap,
        CollectionKind::HashSet,
        CollectionKind::ConcurrentHashMap,
        CollectionKind::ArrayDeque,
        CollectionKind::Vector,
        CollectionKind::Hashtable,
    ];

    /// The JDK class that defines the kind.
    pub fn class_name(self) -> &'static str {
        match self {
            CollectionKind::ArrayList => "java.util.ArrayList",
            CollectionKind::HashMap => "java.util.HashMap",
            CollectionKind::HashSet => "java.util.HashSet",
            CollectionKind::ConcurrentHashMap => "java.util.concurrent.ConcurrentHashMap",
            CollectionKind::ArrayDeque => "java.util.ArrayDeque",
            CollectionKind::Vector => "java.util.Vector",
            CollectionKind::Hashtable => "java.util.Hashtable",
        }
    }
}

/// Collections with unused capacity.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct CollectionWaste {
    /// Collections read.
    pub collections: u64,
    pub empty: u64,
    pub wasted: u64,
    /// Objects of a collection class whose fields could not be read.
    pub skipped: u64,
    /// One row per class, most wasted bytes first.
    pub classes: Vec<CollectionClass>,
    /// The collections that waste something, by owner.
    pub by_owner: Vec<OwnerRow>,
}

/// The collections of one class.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CollectionClass {
    pub class: u32,
    pub kind: CollectionKind,
    pub count: u64,
    /// Of size 0.
    pub empty: u64,
    /// Counts per [`FILL_BUCKETS`].
    pub fill: [u64; 6],
    /// Sums of the sizes and capacities (backing array lengths).
    pub size: u64,
    pub capacity: u64,
    pub wasted: u64,
    /// The instance that wastes the most.
    pub example: u32,
    /// One (capacity, size) per row, most wasted bytes first.
    pub shapes: Vec<Shape>,
}

/// Collections of one class, capacity and size.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Shape {
    pub capacity: u64,
    pub size: u64,
    pub count: u64,
    pub wasted: u64,
    pub example: u32,
}

/// The figures of one collection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CollectionFigures {
    pub kind: CollectionKind,
    /// Elements or entries, from the collection's own count.
    pub size: u64,
    /// The backing array's length; 0 when none is allocated.
    pub capacity: u64,
    /// The backing array (a HashSet's map's table).
    pub array: Option<u32>,
    /// Unused slots times the reference size; for an empty collection the
    /// whole backing array's shallow size.
    pub wasted: u64,
}

/// Primitive arrays of length > 0 with only zeros.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct ZeroArrayWaste {
    pub arrays: u64,
    pub wasted: u64,
    /// One row per array class, most bytes first.
    pub classes: Vec<ZeroArrayClass>,
    pub by_owner: Vec<OwnerRow>,
}

/// The all-zero arrays of one class.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ZeroArrayClass {
    pub class: u32,
    pub count: u64,
    /// Their shallow bytes.
    pub wasted: u64,
    pub example: u32,
    /// One row per length, most bytes first.
    pub lengths: Vec<ZeroArrayLength>,
}

/// All-zero arrays of one class and length.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ZeroArrayLength {
    pub length: u64,
    pub count: u64,
    pub wasted: u64,
    pub example: u32,
}

/// Boxed primitives.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct BoxedWaste {
    pub objects: u64,
    pub wasted: u64,
    /// One row per box class (`java.lang.Integer`...), most wasted first.
    pub classes: Vec<BoxedClass>,
    /// The duplicates (all but the first object of each value), by owner.
    pub by_owner: Vec<OwnerRow>,
}

/// The boxes of one class.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BoxedClass {
    pub class: u32,
    pub count: u64,
    pub shallow: u64,
    /// Distinct values.
    pub distinct: u64,
    /// `(count - distinct) x` the instance size.
    pub wasted: u64,
    /// The most repeated values (at most [`BOXED_VALUES`], each held by two
    /// objects or more), most first.
    pub values: Vec<BoxedValue>,
}

/// One repeated boxed value.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BoxedValue {
    /// As Java prints it (`42`, `0.5`, `'a'`, `true`).
    pub value: String,
    pub count: u64,
    pub example: u32,
}

/// What the pass does with the objects of a class.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Role {
    Other,
    String,
    Collection(u16),
    Boxed(u16),
    PrimArray,
}

/// Where a field is in an instance's values.
#[derive(Clone, Copy, Debug)]
struct Slot {
    at: usize,
    ty: BasicType,
}

/// How to read one collection class.
#[derive(Clone, Copy, Debug)]
struct CollectionPlan {
    kind: CollectionKind,
    /// `size`, `elementCount`, `count`, `baseCount` or `head`.
    size: Slot,
    /// `tail` (ArrayDeque) or `counterCells` (ConcurrentHashMap).
    second: Option<Slot>,
    /// The backing array, or a HashSet's `map`.
    array: Slot,
}

/// How to read a String.
#[derive(Clone, Copy, Debug)]
struct StringPlan {
    value: Slot,
    coder: Option<Slot>,
    offset: Option<Slot>,
    count: Option<Slot>,
}

/// Per class: its role, and how to read its objects.
struct Plan {
    roles: Vec<Role>,
    /// Per class: whether owners are looked for above its objects.
    climbs: Vec<bool>,
    string: Option<StringPlan>,
    collections: Vec<CollectionPlan>,
    /// (class, value slot) per box class.
    boxes: Vec<(u32, Slot)>,
    /// Reference size in bytes under the layout in use.
    reference: u64,
}

/// The position of field `name` declared by the class called `declaring`
/// in the instance values of class `c`.
fn slot(heap: &Heap, c: u32, declaring: &str, name: &str) -> Option<Slot> {
    let id_size = heap.id_size();
    let mut at = 0usize;
    for (_, class) in heap.classes().ancestors(c) {
        for f in &class.fields {
            if f.name == name && class.name == declaring {
                return Some(Slot { at, ty: f.ty });
            }
            at += f.ty.size(id_size) as usize;
        }
    }
    None
}

impl Plan {
    fn new(heap: &Heap) -> Plan {
        let classes = heap.classes();
        let n = classes.len();
        let mut plan = Plan {
            roles: vec![Role::Other; n],
            climbs: vec![false; n],
            string: None,
            collections: Vec::new(),
            boxes: Vec::new(),
            reference: heap.census().layout.layout.reference as u64,
        };
        let box_names = [
            "java.lang.Integer",
            "java.lang.Long",
            "java.lang.Short",
            "java.lang.Byte",
            "java.lang.Character",
            "java.lang.Boolean",
            "java.lang.Float",
            "java.lang.Double",
        ];
        for (c, class) in classes.iter() {
            let ci = c as usize;
            plan.climbs[ci] =
                class.kind != ClassKind::Instance || class.name.starts_with("java.util.");
            if heap
                .census()
                .counts
                .get(ci)
                .is_some_and(|k| k.instances == 0)
            {
                continue;
            }
            match class.kind {
                ClassKind::PrimitiveArray(_) => {
                    plan.roles[ci] = Role::PrimArray;
                    continue;
                }
                ClassKind::ObjectArray => continue,
                ClassKind::Instance => {}
            }
            if class.name == "java.lang.String" {
                if let Some(value) = slot(heap, c, "java.lang.String", "value") {
                    let field = |name| slot(heap, c, "java.lang.String", name);
                    plan.string = Some(StringPlan {
                        value,
                        coder: field("coder"),
                        offset: field("offset"),
                        count: field("count"),
                    });
                    plan.roles[ci] = Role::String;
                }
                continue;
            }
            if box_names.contains(&class.name.as_str()) {
                if let Some(s) = slot(heap, c, &class.name, "value") {
                    plan.roles[ci] = Role::Boxed(plan.boxes.len() as u16);
                    plan.boxes.push((c, s));
                }
                continue;
            }
            if let Some(p) = collection_plan(heap, c) {
                plan.roles[ci] = Role::Collection(plan.collections.len() as u16);
                plan.collections.push(p);
            }
        }
        plan
    }
}

/// How to read class `c` as a collection: the kind of its nearest JDK
/// collection ancestor, if the fields are there. `java.util.Properties`
/// of JDK 9+ (which keeps its entries in a `map` of its own, not in its
/// Hashtable) is no Hashtable.
fn collection_plan(heap: &Heap, c: u32) -> Option<CollectionPlan> {
    let kind = heap.classes().ancestors(c).find_map(|(_, class)| {
        if class.name == "java.util.Properties" && class.fields.iter().any(|f| f.name == "map") {
            return Some(None);
        }
        CollectionKind::ALL
            .into_iter()
            .find(|k| k.class_name() == class.name)
            .map(Some)
    })??;
    let base = kind.class_name();
    let field = |name| slot(heap, c, base, name);
    let (size, second, array) = match kind {
        CollectionKind::ArrayList => (field("size")?, None, field("elementData")?),
        CollectionKind::Vector => (field("elementCount")?, None, field("elementData")?),
        CollectionKind::HashMap => (field("size")?, None, field("table")?),
        CollectionKind::Hashtable => (field("count")?, None, field("table")?),
        CollectionKind::HashSet => (field("map")?, None, field("map")?),
        CollectionKind::ConcurrentHashMap => (
            field("baseCount")?,
            Some(field("counterCells")?),
            field("table")?,
        ),
        CollectionKind::ArrayDeque => (field("head")?, Some(field("tail")?), field("elements")?),
    };
    Some(CollectionPlan {
        kind,
        size,
        second,
        array,
    })
}

fn read(heap: &Heap, values: &[u8], s: Slot) -> Option<Value> {
    Value::decode(s.ty, values.get(s.at..)?, heap.id_size())
}

fn read_int(heap: &Heap, values: &[u8], s: Slot) -> Option<i64> {
    read(heap, values, s)?.as_i64()
}

/// The object a reference slot points to: `Some(None)` for null, `None`
/// when the id has no record or the slot is no reference.
fn read_ref(heap: &Heap, values: &[u8], s: Slot) -> Option<Option<u32>> {
    match read(heap, values, s)? {
        Value::Object(0) => Some(None),
        Value::Object(id) => heap.find(id).map(Some),
        _ => None,
    }
}

/// The figures of collection `o`, if its class is one of the collections
/// and its fields read sensibly (else `None`: nothing is guessed).
pub fn collection_figures(heap: &Heap, o: u32) -> Option<CollectionFigures> {
    let plan = collection_plan(heap, heap.class_of(o))?;
    figures(heap, o, &plan, heap.census().layout.layout.reference as u64)
}

fn figures(heap: &Heap, o: u32, p: &CollectionPlan, reference: u64) -> Option<CollectionFigures> {
    let values = heap.instance_values(o)?;
    if p.kind == CollectionKind::HashSet {
        let map = read_ref(heap, values, p.array)??;
        let inner = collection_plan(heap, heap.class_of(map))?;
        if !matches!(
            inner.kind,
            CollectionKind::HashMap | CollectionKind::ConcurrentHashMap | CollectionKind::Hashtable
        ) {
            return None;
        }
        let f = figures(heap, map, &inner, reference)?;
        return Some(CollectionFigures {
            kind: CollectionKind::HashSet,
            ..f
        });
    }
    let array = read_ref(heap, values, p.array)?;
    let (capacity, array_shallow) = match array {
        None => (0, 0),
        Some(a) => {
            let arr = heap.array(a)?;
            if arr.elem != BasicType::Object {
                return None;
            }
            (arr.len as u64, heap.shallow_size(a))
        }
    };
    let first = read_int(heap, values, p.size)?;
    let size = match p.kind {
        CollectionKind::ArrayDeque => {
            let tail = read_int(heap, values, p.second?)?;
            let len = capacity as i64;
            if len == 0 {
                if first != 0 || tail != 0 {
                    return None;
                }
                0
            } else {
                if !(0..len).contains(&first) || !(0..len).contains(&tail) {
                    return None;
                }
                (tail - first).rem_euclid(len)
            }
        }
        CollectionKind::ConcurrentHashMap => {
            // sumCount(): baseCount plus every CounterCell's value.
            let mut sum = first;
            if let Some(cells) = read_ref(heap, values, p.second?)? {
                let arr = heap.array(cells)?;
                for k in 0..arr.len {
                    if let Some(cell) = arr.get(k).and_then(|v| heap.object(v)) {
                        sum += heap.field(cell, "value").and_then(Value::as_i64)?;
                    }
                }
            }
            sum.max(0)
        }
        _ => {
            if first < 0 {
                return None;
            }
            first
        }
    } as u64;
    let wasted = if size == 0 {
        if capacity > 0 { array_shallow } else { 0 }
    } else {
        capacity.saturating_sub(size) * reference
    };
    Some(CollectionFigures {
        kind: p.kind,
        size,
        capacity,
        array,
        wasted,
    })
}

/// The bucket of [`FILL_BUCKETS`] a collection falls in.
pub fn fill_bucket(size: u64, capacity: u64) -> usize {
    if size == 0 {
        return 0;
    }
    if capacity == 0 {
        return 5;
    }
    let r = size as f64 / capacity as f64;
    match r {
        r if r <= 0.10 => 1,
        r if r <= 0.25 => 2,
        r if r <= 0.50 => 3,
        r if r <= 0.75 => 4,
        _ => 5,
    }
}

/// A String's value as stored: (encoding, bytes, value array).
/// Encodings: 0 Latin-1, 1 UTF-16 little-endian (byte[] with coder 1), 2
/// UTF-16 big-endian (a JDK 8 char[]).
fn string_key<'h>(heap: &'h Heap, o: u32, p: &StringPlan) -> Option<(u8, &'h [u8], u32)> {
    let values = heap.instance_values(o)?;
    let a = read_ref(heap, values, p.value)??;
    let arr = heap.array(a)?;
    let bytes = arr.bytes()?;
    match arr.elem {
        BasicType::Byte => {
            let coder = p.coder.and_then(|s| read_int(heap, values, s)).unwrap_or(0);
            Some((u8::from(coder == 1), bytes, a))
        }
        BasicType::Char => {
            let offset = p
                .offset
                .and_then(|s| read_int(heap, values, s))
                .unwrap_or(0)
                .max(0) as usize;
            let count = p
                .count
                .and_then(|s| read_int(heap, values, s))
                .map(|c| c.max(0) as usize)
                .unwrap_or(arr.len as usize);
            let start = offset.saturating_mul(2).min(bytes.len());
            let end = start
                .saturating_add(count.saturating_mul(2))
                .min(bytes.len());
            Some((2, &bytes[start..end], a))
        }
        _ => None,
    }
}

fn hash_key(encoding: u8, bytes: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write_u8(encoding);
    h.write_usize(bytes.len());
    h.write(bytes);
    h.finish()
}

/// A value's first [`PREVIEW_CHARS`] characters on one line, and its
/// length in UTF-16 units.
fn preview(encoding: u8, bytes: &[u8]) -> (String, u64) {
    let (text, length) = match encoding {
        0 => (
            strings::decode_latin1(&bytes[..bytes.len().min(PREVIEW_CHARS + 1)]),
            bytes.len() as u64,
        ),
        e => (
            strings::decode_utf16(&bytes[..bytes.len().min(2 * PREVIEW_CHARS + 2)], e == 2),
            bytes.len() as u64 / 2,
        ),
    };
    (one_line(&text, PREVIEW_CHARS), length)
}

/// `text` cut to `max` characters with `…`, newlines, tabs, backslashes and
/// control characters escaped.
pub fn one_line(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, ch) in text.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        match ch {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn all_zero(bytes: &[u8]) -> bool {
    bytes
        .chunks(64)
        .all(|c| c.iter().fold(0u8, |a, &b| a | b) == 0)
}

/// What the pass found in one range of objects.
#[derive(Default)]
struct Found {
    /// (value hash, String).
    strings: Vec<(u64, u32)>,
    string_count: u64,
    /// (plan index, object, figures).
    collections: Vec<(u16, u32, CollectionFigures)>,
    skipped: u64,
    /// HashSets' maps: not counted as maps of their own.
    set_maps: Vec<u32>,
    /// (class, length, array).
    zeros: Vec<(u32, u64, u32)>,
    /// (box index, value bits, object).
    boxes: Vec<(u16, u64, u32)>,
}

impl Found {
    /// The chunks' findings in chunk order, each list copied once.
    fn concat(parts: Vec<Found>) -> Found {
        fn join<T: Copy>(parts: &[Found], list: impl Fn(&Found) -> &Vec<T>) -> Vec<T> {
            let mut v = Vec::with_capacity(parts.iter().map(|p| list(p).len()).sum());
            for p in parts {
                v.extend_from_slice(list(p));
            }
            v
        }
        Found {
            strings: join(&parts, |p| &p.strings),
            string_count: parts.iter().map(|p| p.string_count).sum(),
            collections: join(&parts, |p| &p.collections),
            skipped: parts.iter().map(|p| p.skipped).sum(),
            set_maps: join(&parts, |p| &p.set_maps),
            zeros: join(&parts, |p| &p.zeros),
            boxes: join(&parts, |p| &p.boxes),
        }
    }
}

fn scan(heap: &Heap, plan: &Plan, progress: &Progress) -> Result<Found, Cancelled> {
    const CHUNK: u32 = 1 << 16;
    let n = heap.object_count();
    let found = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|chunk| {
            let mut f = Found::default();
            if progress.is_cancelled() {
                return f;
            }
            let end = n.min((chunk + 1) * CHUNK);
            for o in chunk * CHUNK..end {
                match plan.roles[heap.class_of(o) as usize] {
                    Role::Other => {}
                    Role::String => {
                        let Some(p) = &plan.string else { continue };
                        f.string_count += 1;
                        if let Some((e, bytes, _)) = string_key(heap, o, p) {
                            f.strings.push((hash_key(e, bytes), o));
                        }
                    }
                    Role::Collection(i) => {
                        let p = &plan.collections[i as usize];
                        match figures(heap, o, p, plan.reference) {
                            Some(fig) => {
                                if p.kind == CollectionKind::HashSet {
                                    if let Some(Some(map)) = heap
                                        .instance_values(o)
                                        .and_then(|v| read_ref(heap, v, p.array))
                                    {
                                        f.set_maps.push(map);
                                    }
                                }
                                f.collections.push((i, o, fig));
                            }
                            None => f.skipped += 1,
                        }
                    }
                    Role::Boxed(i) => {
                        let s = plan.boxes[i as usize].1;
                        let bits = heap
                            .instance_values(o)
                            .and_then(|v| v.get(s.at..s.at + s.ty.size(heap.id_size()) as usize))
                            .map(|b| b.iter().fold(0u64, |a, &x| a << 8 | x as u64));
                        if let Some(bits) = bits {
                            f.boxes.push((i, bits, o));
                        }
                    }
                    Role::PrimArray => {
                        if let Some(arr) = heap.array(o) {
                            if arr.len > 0 && arr.bytes().is_some_and(all_zero) {
                                f.zeros.push((heap.class_of(o), arr.len as u64, o));
                            }
                        }
                    }
                }
            }
            progress.add((end - chunk * CHUNK) as u64);
            f
        })
        .collect::<Vec<Found>>();
    progress.check()?;
    Ok(Found::concat(found))
}

/// The waste of a heap. `strong` is the dominator tree over strong
/// references (the index's `doms[1]`); it gives the owners. Progress:
/// `Waste` (objects).
pub fn analyze(
    heap: &Heap,
    strong: &Dominators,
    progress: &Progress,
) -> Result<WasteReport, Cancelled> {
    progress.start(Phase::Waste, heap.object_count() as u64);
    let plan = Plan::new(heap);
    let mut found = scan(heap, &plan, progress)?;
    let owners = Owners {
        heap,
        doms: strong,
        climbs: &plan.climbs,
    };
    let strings = duplicate_strings(heap, &plan, &owners, &mut found, progress)?;
    progress.check()?;
    let collections = collections(heap, &plan, &owners, &mut found);
    progress.check()?;
    let zero_arrays = zero_arrays(heap, &owners, &mut found);
    progress.check()?;
    let boxed = boxed(heap, &plan, &owners, &mut found);
    let wasted = strings.wasted + collections.wasted + zero_arrays.wasted + boxed.wasted;
    Ok(WasteReport {
        strings,
        collections,
        zero_arrays,
        boxed,
        wasted,
    })
}

/// An [`Owner`] before its field name is copied: (class, static, field).
type OwnerKey<'h> = (Option<u32>, bool, Option<&'h str>);

/// (encoding, bytes, [(String, value array)]): the Strings of one value.
type ExactValue<'h> = (u8, &'h [u8], Vec<(u32, u32)>);

/// (referrer class, static, field).
type HolderKey<'h> = (u32, bool, Option<&'h str>);

/// Finds owners up the strong dominator tree.
struct Owners<'a> {
    heap: &'a Heap,
    doms: &'a Dominators,
    climbs: &'a [bool],
}

impl<'a> Owners<'a> {
    /// The owner of `x` as (class, static, field), with the owning object.
    fn of(&self, x: u32) -> (OwnerKey<'a>, Option<u32>) {
        let mut child = x;
        let mut p = self.doms.idom(x);
        let mut steps = 0;
        let stop = loop {
            match p {
                Idom::Object(d) if steps < MAX_CLIMB => {
                    if self.climbs[self.heap.class_of(d) as usize] {
                        child = d;
                        p = self.doms.idom(d);
                        steps += 1;
                    } else {
                        break Some(d);
                    }
                }
                Idom::Object(d) => break Some(d),
                _ => break None,
            }
        };
        let Some(s) = stop else {
            return ((None, false, None), None);
        };
        let (class, is_static, field) = reference_field(self.heap, s, child);
        ((Some(class), is_static, field), Some(s))
    }

    /// Owner rows of `(object, wasted bytes)`, most wasted first.
    fn rows(&self, objects: &[(u32, u64)]) -> Vec<OwnerRow> {
        let heap = self.heap;
        type Rows<'h> = FxHashMap<(OwnerKey<'h>, u32), OwnerRow>;
        let add = |mut rows: Rows<'a>, &(o, w): &(u32, u64)| {
            let (key, at) = self.of(o);
            let class = heap.class_of(o);
            let row = rows.entry((key, class)).or_insert_with(|| OwnerRow {
                owner: Owner {
                    class: key.0,
                    is_static: key.1,
                    field: key.2.map(str::to_string),
                },
                class,
                count: 0,
                wasted: 0,
                example: o,
                owner_example: at,
            });
            row.count += 1;
            row.wasted += w;
            rows
        };
        let merged = objects
            .par_iter()
            .with_min_len(1 << 12)
            .fold(Rows::default, add)
            .reduce(Rows::default, |mut a, b| {
                for (k, r) in b {
                    match a.entry(k) {
                        std::collections::hash_map::Entry::Occupied(mut e) => {
                            let e = e.get_mut();
                            e.count += r.count;
                            e.wasted += r.wasted;
                            if r.example < e.example {
                                e.example = r.example;
                                e.owner_example = r.owner_example;
                            }
                        }
                        std::collections::hash_map::Entry::Vacant(e) => {
                            e.insert(r);
                        }
                    }
                }
                a
            });
        let mut out: Vec<OwnerRow> = merged.into_values().collect();
        out.sort_by(|a, b| {
            (b.wasted, b.count, &a.owner, a.class).cmp(&(a.wasted, a.count, &b.owner, b.class))
        });
        out
    }
}

/// How `from` refers to `to`: (class, static, field). A class object's
/// static fields name its class; an array's element or another reference
/// has no field.
fn reference_field(heap: &Heap, from: u32, to: u32) -> (u32, bool, Option<&str>) {
    let id = heap.id(to);
    if let Some(c) = heap.as_class(from) {
        let class = heap.class(c);
        let s = class.statics.iter().find(|s| s.value == Value::Object(id));
        return (c, true, s.map(|s| s.name.as_str()));
    }
    let c = heap.class_of(from);
    if heap.class(c).kind != ClassKind::Instance {
        return (c, false, None);
    }
    let Some(values) = heap.instance_values(from) else {
        return (c, false, None);
    };
    let id_size = heap.id_size();
    let mut at = 0usize;
    for (_, class) in heap.classes().ancestors(c) {
        for f in &class.fields {
            let size = f.ty.size(id_size) as usize;
            if f.ty == BasicType::Object
                && values
                    .get(at..at + size)
                    .and_then(|b| Value::decode(f.ty, b, id_size))
                    == Some(Value::Object(id))
            {
                return (c, false, Some(&f.name));
            }
            at += size;
        }
    }
    (c, false, None)
}

fn duplicate_strings(
    heap: &Heap,
    plan: &Plan,
    owners: &Owners<'_>,
    found: &mut Found,
    progress: &Progress,
) -> Result<StringWaste, Cancelled> {
    let mut out = StringWaste {
        strings: found.string_count,
        ..StringWaste::default()
    };
    let Some(p) = plan.string else {
        return Ok(out);
    };
    let mut hashed = std::mem::take(&mut found.strings);
    hashed.par_sort_unstable();
    progress.check()?;
    // Runs of one hash, two strings or more.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < hashed.len() {
        let mut j = i + 1;
        while j < hashed.len() && hashed[j].0 == hashed[i].0 {
            j += 1;
        }
        if j - i > 1 {
            runs.push((i, j));
        }
        i = j;
    }
    let string_shallow = |o: u32| heap.shallow_size(o);
    let mut values: Vec<DuplicateString> = runs
        .par_iter()
        .flat_map_iter(|&(i, j)| {
            // Exact values within the run (a hash collision splits it).
            let mut classes: Vec<ExactValue<'_>> = Vec::new();
            for &(_, o) in &hashed[i..j] {
                let Some((e, bytes, a)) = string_key(heap, o, &p) else {
                    continue;
                };
                match classes
                    .iter_mut()
                    .find(|(e2, b2, _)| *e2 == e && *b2 == bytes)
                {
                    Some(class) => class.2.push((o, a)),
                    None => classes.push((e, bytes, vec![(o, a)])),
                }
            }
            classes
                .into_iter()
                .filter(|c| c.2.len() > 1)
                .map(|(e, bytes, members)| {
                    let mut objects: Vec<u32> = members.iter().map(|m| m.0).collect();
                    objects.sort_unstable();
                    let mut arrays: Vec<u32> = members.iter().map(|m| m.1).collect();
                    arrays.sort_unstable();
                    arrays.dedup();
                    let strings: u64 = objects.iter().map(|&o| string_shallow(o)).sum();
                    let array_sizes: Vec<u64> =
                        arrays.iter().map(|&a| heap.shallow_size(a)).collect();
                    let shallow = strings + array_sizes.iter().sum::<u64>();
                    let keep =
                        string_shallow(objects[0]) + array_sizes.iter().copied().min().unwrap_or(0);
                    let (preview, length) = preview(e, bytes);
                    DuplicateString {
                        preview,
                        length,
                        count: objects.len() as u64,
                        arrays: arrays.len() as u64,
                        shallow,
                        wasted: shallow.saturating_sub(keep),
                        objects,
                        holders: None,
                    }
                })
                .collect::<Vec<_>>()
        })
        .collect();
    drop(hashed);
    values
        .sort_by(|a, b| (b.wasted, b.count, a.objects[0]).cmp(&(a.wasted, a.count, b.objects[0])));
    out.duplicates = values.iter().map(|v| v.count).sum();
    out.wasted = values.iter().map(|v| v.wasted).sum();
    progress.check()?;
    // Holders of the first values, in one pass over the references.
    let top = values.len().min(HOLDER_GROUPS);
    let sets: Vec<&[u32]> = values[..top].iter().map(|v| &v.objects[..]).collect();
    let holders = holders_of_sets(heap, &sets);
    for (v, h) in values.iter_mut().zip(holders) {
        v.holders = Some(h);
    }
    // By owner: the copies beyond the first of each value, each for its
    // String and (when not shared) its array.
    let copies: Vec<(u32, u64)> = values
        .iter()
        .flat_map(|v| {
            let per_copy = v.wasted / (v.count - 1).max(1);
            v.objects[1..].iter().map(move |&o| (o, per_copy))
        })
        .collect();
    out.by_owner = owners.rows(&copies);
    out.values = values;
    Ok(out)
}

/// Who refers to the objects of `set`: referrers grouped by class and
/// field, most references first (one pass over every reference).
pub fn string_holders(heap: &Heap, set: &[u32]) -> Vec<Holder> {
    holders_of_sets(heap, &[set]).pop().unwrap_or_default()
}

fn holders_of_sets(heap: &Heap, sets: &[&[u32]]) -> Vec<Vec<Holder>> {
    if sets.is_empty() {
        return Vec::new();
    }
    let n = heap.object_count() as usize;
    let mut bits = vec![0u64; n.div_ceil(64)];
    // (object, set), sorted.
    let mut member: Vec<(u32, u32)> = Vec::new();
    for (k, set) in sets.iter().enumerate() {
        for &o in set.iter() {
            if (o as usize) < n {
                bits[o as usize / 64] |= 1 << (o % 64);
                member.push((o, k as u32));
            }
        }
    }
    member.sort_unstable();
    let marked = |o: u32| bits[o as usize / 64] & (1 << (o % 64)) != 0;
    const CHUNK: u32 = 1 << 16;
    // (referred object, referrer).
    let pairs: Vec<(u32, u32)> = (0..(n as u32).div_ceil(CHUNK))
        .into_par_iter()
        .flat_map_iter(|chunk| {
            let mut v = Vec::new();
            for o in chunk * CHUNK..(n as u32).min((chunk + 1) * CHUNK) {
                for &t in heap.outgoing(o) {
                    if marked(t) {
                        v.push((t, o));
                    }
                }
            }
            v
        })
        .collect();
    let mut rows: Vec<FxHashMap<HolderKey<'_>, Holder>> =
        (0..sets.len()).map(|_| FxHashMap::default()).collect();
    for (t, from) in pairs {
        let Ok(at) = member.binary_search_by_key(&t, |m| m.0) else {
            continue;
        };
        let (class, is_static, field) = reference_field(heap, from, t);
        // Every set holding t (a set may repeat in `sets`).
        let mut k = at;
        while k > 0 && member[k - 1].0 == t {
            k -= 1;
        }
        while k < member.len() && member[k].0 == t {
            let row = rows[member[k].1 as usize]
                .entry((class, is_static, field))
                .or_insert(Holder {
                    class,
                    is_static,
                    field: field.map(str::to_string),
                    count: 0,
                    example: from,
                });
            row.count += 1;
            k += 1;
        }
    }
    rows.into_iter()
        .map(|m| {
            let mut v: Vec<Holder> = m.into_values().collect();
            v.sort_by(|a, b| (b.count, a.class, &a.field).cmp(&(a.count, b.class, &b.field)));
            v
        })
        .collect()
}

fn collections(
    heap: &Heap,
    plan: &Plan,
    owners: &Owners<'_>,
    found: &mut Found,
) -> CollectionWaste {
    let mut set_maps = std::mem::take(&mut found.set_maps);
    set_maps.par_sort_unstable();
    let mut list = std::mem::take(&mut found.collections);
    list.retain(|&(_, o, _)| set_maps.binary_search(&o).is_err());
    // By class, then capacity and size.
    list.par_sort_unstable_by_key(|&(i, o, f)| (heap.class_of(o), i, f.capacity, f.size, o));
    let mut out = CollectionWaste {
        skipped: found.skipped,
        ..CollectionWaste::default()
    };
    let mut at = 0;
    while at < list.len() {
        let c = heap.class_of(list[at].1);
        let mut end = at;
        while end < list.len() && heap.class_of(list[end].1) == c {
            end += 1;
        }
        let rows = &list[at..end];
        let kind = plan.collections[rows[0].0 as usize].kind;
        let mut class = CollectionClass {
            class: c,
            kind,
            count: rows.len() as u64,
            empty: 0,
            fill: [0; 6],
            size: 0,
            capacity: 0,
            wasted: 0,
            example: rows[0].1,
            shapes: Vec::new(),
        };
        let mut most = 0;
        for &(_, o, f) in rows {
            class.fill[fill_bucket(f.size, f.capacity)] += 1;
            class.empty += u64::from(f.size == 0);
            class.size += f.size;
            class.capacity += f.capacity;
            class.wasted += f.wasted;
            if f.wasted > most {
                most = f.wasted;
                class.example = o;
            }
            match class.shapes.last_mut() {
                Some(s) if s.capacity == f.capacity && s.size == f.size => {
                    s.count += 1;
                    s.wasted += f.wasted;
                }
                _ => class.shapes.push(Shape {
                    capacity: f.capacity,
                    size: f.size,
                    count: 1,
                    wasted: f.wasted,
                    example: o,
                }),
            }
        }
        class
            .shapes
            .sort_by(|a, b| (b.wasted, b.count, a.capacity).cmp(&(a.wasted, a.count, b.capacity)));
        out.collections += class.count;
        out.empty += class.empty;
        out.wasted += class.wasted;
        out.classes.push(class);
        at = end;
    }
    out.classes
        .sort_by(|a, b| (b.wasted, b.count, a.class).cmp(&(a.wasted, a.count, b.class)));
    let wasteful: Vec<(u32, u64)> = list
        .iter()
        .filter(|r| r.2.wasted > 0)
        .map(|r| (r.1, r.2.wasted))
        .collect();
    out.by_owner = owners.rows(&wasteful);
    out
}

fn zero_arrays(heap: &Heap, owners: &Owners<'_>, found: &mut Found) -> ZeroArrayWaste {
    let mut list = std::mem::take(&mut found.zeros);
    list.par_sort_unstable();
    let sized: Vec<(u32, u64)> = list
        .par_iter()
        .map(|&(_, _, o)| (o, heap.shallow_size(o)))
        .collect();
    let mut out = ZeroArrayWaste {
        arrays: list.len() as u64,
        wasted: sized.iter().map(|s| s.1).sum(),
        ..ZeroArrayWaste::default()
    };
    for (&(c, len, o), &(_, bytes)) in list.iter().zip(&sized) {
        if out.classes.last().is_none_or(|k| k.class != c) {
            out.classes.push(ZeroArrayClass {
                class: c,
                count: 0,
                wasted: 0,
                example: o,
                lengths: Vec::new(),
            });
        }
        let class = out.classes.last_mut().expect("pushed");
        class.count += 1;
        class.wasted += bytes;
        match class.lengths.last_mut() {
            Some(l) if l.length == len => {
                l.count += 1;
                l.wasted += bytes;
            }
            _ => class.lengths.push(ZeroArrayLength {
                length: len,
                count: 1,
                wasted: bytes,
                example: o,
            }),
        }
    }
    for class in &mut out.classes {
        class
            .lengths
            .sort_by(|a, b| (b.wasted, a.length).cmp(&(a.wasted, b.length)));
        class.example = class.lengths[0].example;
    }
    out.classes
        .sort_by(|a, b| (b.wasted, a.class).cmp(&(a.wasted, b.class)));
    out.by_owner = owners.rows(&sized);
    out
}

/// A box's value bits as Java prints the value.
fn box_value(name: &str, bits: u64) -> String {
    match name {
        "java.lang.Integer" => (bits as u32 as i32).to_string(),
        "java.lang.Long" => (bits as i64).to_string(),
        "java.lang.Short" => (bits as u16 as i16).to_string(),
        "java.lang.Byte" => (bits as u8 as i8).to_string(),
        "java.lang.Boolean" => (bits != 0).to_string(),
        "java.lang.Character" => Value::Char(bits as u16).to_string(),
        "java.lang.Float" => format!("{:?}", f32::from_bits(bits as u32)),
        "java.lang.Double" => format!("{:?}", f64::from_bits(bits)),
        _ => format!("{bits:#x}"),
    }
}

fn boxed(heap: &Heap, plan: &Plan, owners: &Owners<'_>, found: &mut Found) -> BoxedWaste {
    let mut list = std::mem::take(&mut found.boxes);
    list.par_sort_unstable();
    let mut out = BoxedWaste {
        objects: list.len() as u64,
        ..BoxedWaste::default()
    };
    let mut duplicates: Vec<(u32, u64)> = Vec::new();
    let mut at = 0;
    while at < list.len() {
        let i = list[at].0;
        let mut end = at;
        while end < list.len() && list[end].0 == i {
            end += 1;
        }
        let c = plan.boxes[i as usize].0;
        let size = heap
            .census()
            .instance_sizes
            .get(c as usize)
            .copied()
            .unwrap_or(0);
        let name = &heap.class(c).name;
        let mut class = BoxedClass {
            class: c,
            count: (end - at) as u64,
            shallow: (end - at) as u64 * size,
            distinct: 0,
            wasted: 0,
            values: Vec::new(),
        };
        // Runs of one value: (count, bits, first object).
        let mut runs: Vec<(u64, u64, u32)> = Vec::new();
        let mut k = at;
        while k < end {
            let bits = list[k].1;
            let mut j = k + 1;
            while j < end && list[j].1 == bits {
                duplicates.push((list[j].2, size));
                j += 1;
            }
            class.distinct += 1;
            if j - k > 1 {
                runs.push(((j - k) as u64, bits, list[k].2));
            }
            k = j;
        }
        class.wasted = (class.count - class.distinct) * size;
        runs.sort_by(|a, b| (b.0, a.1).cmp(&(a.0, b.1)));
        class.values = runs
            .into_iter()
            .take(BOXED_VALUES)
            .map(|(count, bits, example)| BoxedValue {
                value: box_value(name, bits),
                count,
                example,
            })
            .collect();
        out.wasted += class.wasted;
        out.classes.push(class);
        at = end;
    }
    out.classes
        .sort_by(|a, b| (b.wasted, b.count, a.class).cmp(&(a.wasted, a.count, b.class)));
    out.by_owner = owners.rows(&duplicates);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets() {
        assert_eq!(fill_bucket(0, 0), 0);
        assert_eq!(fill_bucket(0, 16), 0);
        assert_eq!(fill_bucket(2, 256), 1);
        assert_eq!(fill_bucket(4, 16), 2);
        assert_eq!(fill_bucket(8, 16), 3);
        assert_eq!(fill_bucket(12, 16), 4);
        assert_eq!(fill_bucket(13, 16), 5);
        assert_eq!(fill_bucket(20, 16), 5);
        assert_eq!(fill_bucket(3, 0), 5);
    }

    #[test]
    fn previews() {
        assert_eq!(one_line("a\nb\tc\\", 10), "a\\nb\\tc\\\\");
        assert_eq!(one_line("abcdef", 3), "abc…");
        assert_eq!(one_line("\u{1}", 3), "\\u{1}");
        let (p, len) = preview(0, b"hello");
        assert_eq!((p.as_str(), len), ("hello", 5));
        let (p, len) = preview(1, &[0x68, 0, 0xe9, 0]);
        assert_eq!((p.as_str(), len), ("hé", 2));
        let (p, len) = preview(2, &[0, 0x68, 0, 0xe9]);
        assert_eq!((p.as_str(), len), ("hé", 2));
        let long = vec![b'x'; 500];
        let (p, len) = preview(0, &long);
        assert_eq!(p.chars().count(), PREVIEW_CHARS + 1);
        assert_eq!(len, 500);
    }

    #[test]
    fn zeros() {
        assert!(all_zero(&[0; 200]));
        let mut b = [0u8; 200];
        b[150] = 1;
        assert!(!all_zero(&b));
        assert_eq!(box_value("java.lang.Integer", 0xffff_ffff), "-1");
        assert_eq!(box_value("java.lang.Double", 0.5f64.to_bits()), "0.5");
        assert_eq!(box_value("java.lang.Character", 'a' as u64), "'a'");
    }
}
