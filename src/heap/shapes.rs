//! The size of every class's instances: how HotSpot places fields, by JDK
//! version. The dump lists each class's own fields; HotSpot adds fields
//! the dump does not list (injected by the VM), pads `@Contended` fields
//! and classes, and before JDK 15 starts each class's fields after its
//! superclass's fields rounded up to the reference size.
//!
//! Sources: `classFileParser.cpp` `layout_fields` (JDK 6-14),
//! `fieldLayoutBuilder.cpp` (JDK 15+), `javaClasses.hpp` (injected
//! fields), and the `@Contended` annotations of the JDK's own classes; every
//! rule is checked against `jcmd GC.class_histogram` on real JVMs in
//! `tests/jvm.rs`.

use super::classes::{Class, ClassTable};
use super::layout::Layout;
use crate::hprof::BasicType;

/// How HotSpot places a class's own fields after its superclass's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum FieldOrder {
    /// JDK 6-14 (`classFileParser.cpp`): a class's fields start after its
    /// superclass's, rounded up to the reference size, and never fill the
    /// superclass's trailing gap; within a class longs and doubles come
    /// first (one smaller field may fill the gap before them), then ints,
    /// shorts, bytes, then references. Without compressed oops instance
    /// fields start at byte 16 even with compressed class pointers.
    Legacy,
    /// JDK 15+ (`fieldLayoutBuilder.cpp`): fields fill any gap, the
    /// superclass's included.
    Packed,
}

impl FieldOrder {
    /// The order a JDK feature release uses.
    pub fn of_feature(feature: u32) -> FieldOrder {
        if feature < 15 {
            FieldOrder::Legacy
        } else {
            FieldOrder::Packed
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            FieldOrder::Legacy => "JDK 6-14 field layout",
            FieldOrder::Packed => "JDK 15+ field layout",
        }
    }
}

/// What instance sizes depend on besides the object layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct SizeRules {
    pub order: FieldOrder,
    /// The JDK feature release (6, 8, 11, 17, ...) whose injected fields
    /// and `@Contended` classes apply.
    pub feature: u32,
}

impl SizeRules {
    /// The rules of a JDK feature release.
    pub fn of_feature(feature: u32) -> SizeRules {
        SizeRules {
            order: FieldOrder::of_feature(feature),
            feature,
        }
    }
}

/// `-XX:ContendedPaddingWidth`, whose default is 128 bytes.
const PADDING: u64 = 128;

/// Which fields of a class HotSpot pads: `@Contended` on the class
/// (padding before and after all its fields) and `@Contended("group")`
/// fields (each group padded before, the last one after).
#[derive(Clone, Copy, Debug)]
struct Contended {
    class: bool,
    groups: &'static [&'static [&'static str]],
}

const CLASS: Contended = Contended {
    class: true,
    groups: &[],
};

const fn fields(groups: &'static [&'static [&'static str]]) -> Contended {
    Contended {
        class: false,
        groups,
    }
}

/// The JDK's own `@Contended` classes and fields (user classes need
/// `-XX:-RestrictContended`, which the dump does not show): (class, first
/// and last JDK feature release, what is padded).
const CONTENDED: &[(&str, u32, u32, Contended)] = &[
    (
        "java.lang.Thread",
        8,
        18,
        fields(&[&[
            "threadLocalRandomSeed",
            "threadLocalRandomProbe",
            "threadLocalRandomSecondarySeed",
        ]]),
    ),
    (
        "java.util.concurrent.atomic.Striped64$Cell",
        8,
        u32::MAX,
        CLASS,
    ),
    (
        "java.util.concurrent.ConcurrentHashMap$CounterCell",
        8,
        u32::MAX,
        CLASS,
    ),
    // JDK 25 pads a new Exchanger$Slot instead (seen on Temurin 25; the
    // release that changed it is not known, 22-24 are assumed as 21).
    ("java.util.concurrent.Exchanger$Node", 8, 24, CLASS),
    ("java.util.concurrent.Exchanger$Slot", 25, u32::MAX, CLASS),
    ("java.util.concurrent.ForkJoinPool", 8, 13, CLASS),
    (
        "java.util.concurrent.ForkJoinPool",
        14,
        u32::MAX,
        // parallelism joined ctl's group in a later release.
        fields(&[&["ctl", "parallelism"]]),
    ),
    ("java.util.concurrent.ForkJoinPool$WorkQueue", 8, 13, CLASS),
    (
        "java.util.concurrent.ForkJoinPool$WorkQueue",
        14,
        u32::MAX,
        fields(&[&["top", "source", "nsteals"]]),
    ),
    // Both the class and a group.
    (
        "java.util.concurrent.SubmissionPublisher$BufferedSubscription",
        9,
        u32::MAX,
        Contended {
            class: true,
            groups: &[&["demand", "waiting"]],
        },
    ),
];

/// Boot classes whose field offsets HotSpot hard-codes (JDK 6-14): their
/// references come first and no field fills an alignment gap.
const PREDEFINED_OFFSETS: [&str; 16] = [
    "java.lang.AssertionStatusDirectives",
    "java.lang.Class",
    "java.lang.ClassLoader",
    "java.lang.ref.Reference",
    "java.lang.ref.SoftReference",
    "java.lang.StackTraceElement",
    "java.lang.String",
    "java.lang.Throwable",
    "java.lang.Boolean",
    "java.lang.Character",
    "java.lang.Float",
    "java.lang.Double",
    "java.lang.Byte",
    "java.lang.Short",
    "java.lang.Integer",
    "java.lang.Long",
];

/// A field the VM adds to a class without the dump listing it.
#[derive(Clone, Copy, Debug)]
enum Injected {
    /// A native pointer or `intptr_t` (8 bytes on 64-bit, 4 on 32-bit).
    Pointer,
    Reference,
    Bytes(u32),
}

/// `javaClasses.hpp`'s injected fields: (class, first and last JDK feature
/// release, fields). Subclasses inherit them.
const INJECTED: &[(&str, u32, u32, &[Injected])] = {
    use Injected::*;
    &[
        // klass, array_klass, oop_size, static_oop_field_count;
        // protection_domain, signers, source_file (an estimate: a mirror's
        // size also holds the statics, see `Census::class_object_size`).
        (
            "java.lang.Class",
            0,
            u32::MAX,
            &[Bytes(24), Reference, Reference, Reference],
        ),
        // loader_data, since the class metadata moved out of PermGen.
        ("java.lang.ClassLoader", 8, u32::MAX, &[Pointer]),
        ("java.lang.Module", 9, u32::MAX, &[Pointer]),
        // vmloader, vmindex, vmtarget; from JDK 10 vmtarget lives in
        // ResolvedMethodName and vmloader is gone.
        (
            "java.lang.invoke.MemberName",
            7,
            9,
            &[Reference, Pointer, Pointer],
        ),
        ("java.lang.invoke.MemberName", 10, u32::MAX, &[Pointer]),
        // vmtarget and vmholder (vmholder is a declared field from JDK 22,
        // see `injected`).
        (
            "java.lang.invoke.ResolvedMethodName",
            10,
            u32::MAX,
            &[Pointer, Reference],
        ),
        // vmdependencies, and from JDK 12 last_cleanup; from JDK 22 the
        // same two live in CallSite.
        (
            "java.lang.invoke.MethodHandleNatives$CallSiteContext",
            9,
            11,
            &[Pointer],
        ),
        (
            "java.lang.invoke.MethodHandleNatives$CallSiteContext",
            12,
            21,
            &[Pointer, Bytes(8)],
        ),
        (
            "java.lang.invoke.CallSite",
            22,
            u32::MAX,
            &[Pointer, Bytes(8)],
        ),
        ("java.lang.StackFrameInfo", 9, u32::MAX, &[Bytes(2)]),
        // during_unsafe_access.
        ("java.lang.InternalError", 18, u32::MAX, &[Bytes(1)]),
        // jvmti_thread_state, jvmti_VTMS_transition_disable_count,
        // jvmti_is_in_VTMS_transition, jfr_epoch.
        (
            "java.lang.Thread",
            19,
            u32::MAX,
            &[Pointer, Bytes(4), Bytes(1), Bytes(2)],
        ),
    ]
};

/// One class's own fields, by size, as HotSpot lays them out.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    /// 8-byte primitives (long, double).
    longs: u32,
    /// 4-byte primitives (int, float).
    ints: u32,
    /// 2-byte primitives (short, char).
    shorts: u32,
    /// 1-byte primitives (byte, boolean).
    bytes: u32,
    refs: u32,
}

impl Counts {
    fn add_bytes(&mut self, size: u32) {
        match size {
            8 => self.longs += 1,
            4 => self.ints += 1,
            2 => self.shorts += 1,
            _ => self.bytes += size,
        }
    }

    fn add(&mut self, ty: BasicType) {
        if ty == BasicType::Object {
            self.refs += 1;
        } else {
            self.add_bytes(ty.size(8));
        }
    }

    /// (count, size, alignment) of the fields, primitives largest first,
    /// then references of `r` bytes.
    fn by_size(&self, r: u64) -> [(u32, u64, u64); 5] {
        [
            (self.longs, 8, 8),
            (self.ints, 4, 4),
            (self.shorts, 2, 2),
            (self.bytes, 1, 1),
            (self.refs, r, r),
        ]
    }

    fn prim_bytes(&self) -> u64 {
        self.longs as u64 * 8 + self.ints as u64 * 4 + self.shorts as u64 * 2 + self.bytes as u64
    }
}

/// The fields of a class and its superclasses as laid out so far: where
/// the last one ends and the gaps before it that fields may still fill.
#[derive(Clone, Debug)]
struct Laid {
    end: u64,
    /// (offset, size) of unused bytes before `end`.
    holes: Vec<(u64, u64)>,
    /// The class has `@Contended` fields: subclasses may not use its holes.
    contended: bool,
}

impl Laid {
    /// Places a field in the smallest hole it fits (when `fill`), else at
    /// the end, aligned; alignment leaves a hole before it.
    fn place(&mut self, size: u64, alignment: u64, fill: bool) {
        let fits = |&(at, len): &(u64, u64)| align(at, alignment) + size <= at + len;
        let best = if fill {
            self.holes
                .iter()
                .enumerate()
                .filter(|(_, h)| fits(h))
                .min_by_key(|&(i, h)| (h.1, std::cmp::Reverse(i)))
                .map(|(i, _)| i)
        } else {
            None
        };
        let (at, len) = match best {
            Some(i) => self.holes.remove(i),
            None => {
                let at = self.end;
                self.end = align(at, alignment) + size;
                (at, self.end - at)
            }
        };
        let start = align(at, alignment);
        if start > at {
            self.holes.push((at, start - at));
        }
        if at + len > start + size {
            self.holes.push((start + size, at + len - start - size));
        }
        self.holes.sort_unstable();
    }
}

fn align(n: u64, a: u64) -> u64 {
    n.div_ceil(a) * a
}

/// Sizes under one layout and set of rules.
pub struct SizeModel<'a> {
    layout: &'a Layout,
    rules: SizeRules,
}

impl<'a> SizeModel<'a> {
    pub fn new(layout: &'a Layout, rules: SizeRules) -> Self {
        SizeModel { layout, rules }
    }

    fn pointer_size(&self) -> u32 {
        // 32-bit JVMs have 8-byte headers.
        if self.layout.header <= 8 { 4 } else { 8 }
    }

    /// The fields HotSpot injects into `class` in this release.
    fn injected(&self, class: &Class, counts: &mut Counts) {
        let f = self.rules.feature;
        for &(name, since, until, fields) in INJECTED {
            if name != class.name || f < since || f > until {
                continue;
            }
            for field in fields {
                match field {
                    Injected::Pointer => counts.add_bytes(self.pointer_size()),
                    Injected::Reference => {
                        // A declared field since JDK 22 (ResolvedMethodName.vmholder).
                        if !class.fields.iter().any(|f| f.name == "vmholder") {
                            counts.refs += 1;
                        }
                    }
                    Injected::Bytes(n) => counts.add_bytes(*n),
                }
            }
        }
    }

    fn contended(&self, class: &Class) -> Option<Contended> {
        let f = self.rules.feature;
        CONTENDED
            .iter()
            .find(|&&(name, since, until, _)| name == class.name && f >= since && f <= until)
            .map(|&(_, _, _, c)| c)
    }

    /// The regular fields of `class` (injected ones included), the
    /// `@Contended` groups apart, and whether the whole class is padded.
    fn level(&self, class: &Class) -> (Counts, Vec<Counts>, bool) {
        let contended = self.contended(class).unwrap_or(fields(&[]));
        let mut regular = Counts::default();
        let mut groups = vec![Counts::default(); contended.groups.len()];
        for field in &class.fields {
            match contended
                .groups
                .iter()
                .position(|g| g.contains(&field.name.as_str()))
            {
                Some(g) => groups[g].add(field.ty),
                None => regular.add(field.ty),
            }
        }
        self.injected(class, &mut regular);
        groups.retain(|g| g.prim_bytes() > 0 || g.refs > 0);
        (regular, groups, contended.class)
    }

    /// Lays out `class`'s own fields after its superclass's (`None` for a
    /// root class).
    fn lay_out(&self, sup: Option<&Laid>, class: &Class) -> Laid {
        let (regular, groups, whole) = self.level(class);
        let r = self.layout.reference as u64;
        let contended = whole || !groups.is_empty();
        match self.rules.order {
            FieldOrder::Packed => {
                // fieldLayoutBuilder.cpp: the superclass's holes stay
                // usable unless it has @Contended fields.
                let mut l = match sup {
                    Some(s) if s.contended => Laid {
                        end: s.end,
                        holes: Vec::new(),
                        contended: false,
                    },
                    Some(s) => s.clone(),
                    None => Laid {
                        end: self.layout.header as u64,
                        holes: Vec::new(),
                        contended: false,
                    },
                };
                if whole {
                    // Padding first; the fields then go after it only.
                    l.holes.clear();
                    l.end += PADDING;
                }
                // Primitives largest first, then references, each in the
                // smallest hole it fits, else at the end.
                for (n, size, align) in regular.by_size(r) {
                    for _ in 0..n {
                        l.place(size, align, !whole);
                    }
                }
                for g in &groups {
                    l.end += PADDING;
                    for (n, size, align) in g.by_size(r) {
                        for _ in 0..n {
                            l.place(size, align, false);
                        }
                    }
                }
                if contended {
                    l.end += PADDING;
                    l.holes.clear();
                }
                l.contended = contended;
                l
            }
            FieldOrder::Legacy => {
                let start = match sup {
                    Some(s) => align(s.end, r),
                    // base_offset_in_bytes: 12 only with both compressed
                    // oops and compressed class pointers.
                    None if r == 8 => (self.layout.header as u64).max(16),
                    None => self.layout.header as u64,
                };
                let mut c = regular;
                let mut off = start;
                if whole {
                    off += PADDING;
                }
                if class.loader_id == 0 && PREDEFINED_OFFSETS.contains(&class.name.as_str()) {
                    off += c.refs as u64 * r;
                    if c.longs > 0 {
                        off = align(off, 8);
                    }
                    c.refs = 0;
                } else if c.longs > 0 && off % 8 != 0 {
                    // CompactFields: one int, or shorts and bytes, or one
                    // reference fill the gap before the first long.
                    let mut gap = align(off, 8) - off;
                    if c.ints > 0 {
                        c.ints -= 1;
                        gap -= 4;
                    }
                    while gap >= 2 && c.shorts > 0 {
                        c.shorts -= 1;
                        gap -= 2;
                    }
                    while gap >= 1 && c.bytes > 0 {
                        c.bytes -= 1;
                        gap -= 1;
                    }
                    if gap >= r && c.refs > 0 {
                        c.refs -= 1;
                    }
                    off = align(off, 8);
                }
                off += c.prim_bytes();
                if c.refs > 0 {
                    off = align(off, r) + c.refs as u64 * r;
                }
                if !groups.is_empty() {
                    off += PADDING;
                    for g in &groups {
                        for (n, size, _) in g.by_size(r) {
                            if n > 0 {
                                off = align(off, size) + n as u64 * size;
                            }
                        }
                        off += PADDING;
                    }
                }
                if whole {
                    off += PADDING;
                }
                Laid {
                    end: off,
                    holes: Vec::new(),
                    contended,
                }
            }
        }
    }

    /// The shallow size of an instance of every class of `classes`.
    pub fn instance_sizes(&self, classes: &ClassTable) -> Vec<u64> {
        let n = classes.len();
        let mut laid: Vec<Option<Laid>> = vec![None; n];
        let mut path = Vec::new();
        for idx in 0..n as u32 {
            // Walk up to the first class already done, then lay out the
            // chain down from there: every class is laid out once.
            path.clear();
            let mut from = None;
            for (c, _) in classes.ancestors(idx) {
                if laid[c as usize].is_some() {
                    from = Some(c);
                    break;
                }
                path.push(c);
            }
            for &c in path.iter().rev() {
                let sup = from.and_then(|f: u32| laid[f as usize].as_ref());
                let l = self.lay_out(sup, classes.get(c));
                laid[c as usize] = Some(l);
                from = Some(c);
            }
        }
        laid.into_iter()
            .map(|l| {
                self.layout
                    .align_up(l.map_or(self.layout.header as u64, |l| l.end))
            })
            .collect()
    }

    /// Primitive bytes and references of `class`'s instance fields, the
    /// injected ones included, summed over its superclasses.
    pub fn field_totals(&self, classes: &ClassTable, class: u32) -> (u64, u64) {
        let (mut prim, mut refs) = (0, 0);
        for (_, c) in classes.ancestors(class) {
            let (regular, groups, _) = self.level(c);
            for g in std::iter::once(&regular).chain(&groups) {
                prim += g.prim_bytes();
                refs += g.refs as u64;
            }
        }
        (prim, refs)
    }
}
