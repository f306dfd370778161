//! Integration tests on hand-made dumps: formats, orders and damage that a
//! real JVM does not produce. The dumps come from the writer in
//! `tests/common`; every test loads them through the public API.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{BasicType, Body, ClassDef, HEADER_LEN, Hprof, Value, temp_file};
use heapscope::analysis::histogram::{SortBy, histogram};
use heapscope::heap::layout::{LAYOUT_32, LAYOUTS_64};
use heapscope::heap::{Heap, LayoutSource, LoadOptions, Root, open_census};
use heapscope::hprof::{Compression, RecordIndex, RootKind};
use heapscope::progress::Progress;

// ---------------------------------------------------------------------------
// Helpers

fn open(path: &Path) -> Result<Heap, heapscope::hprof::Error> {
    Heap::open(path, &LoadOptions::default(), &Progress::new())
}

fn load(bytes: &[u8]) -> Heap {
    let f = temp_file(bytes);
    open(f.path()).unwrap_or_else(|e| panic!("the dump should load: {e}"))
}

/// The object layout of the JVM a sample pretends to come from, written
/// out again here as the oracle for shallow sizes.
#[derive(Clone, Copy, Debug)]
struct Jvm {
    header: u64,
    reference: u64,
    array_header: u64,
}

/// A 32-bit JVM.
const JVM_32: Jvm = Jvm {
    header: 8,
    reference: 4,
    array_header: 12,
};

/// 64-bit HotSpot with compressed oops and class pointers.
const JVM_COMPRESSED: Jvm = Jvm {
    header: 12,
    reference: 4,
    array_header: 16,
};

fn align8(n: u64) -> u64 {
    n.div_ceil(8) * 8
}

impl Jvm {
    fn instance(&self, prim_bytes: u64, refs: u64) -> u64 {
        align8(self.header + prim_bytes + refs * self.reference)
    }

    /// An array of `n` elements of `elem` bytes; the first element is
    /// aligned to its own size.
    fn array(&self, elem: u64, n: u64) -> u64 {
        align8(self.array_header.div_ceil(elem) * elem + n * elem)
    }

    fn object_array(&self, n: u64) -> u64 {
        self.array(self.reference, n)
    }
}

/// Hands out string ids and remembers the texts for the STRING records.
struct Symbols {
    next: u64,
    step: u64,
    texts: Vec<(u64, String)>,
}

impl Symbols {
    fn id(&mut self, text: &str) -> u64 {
        if let Some(&(id, _)) = self.texts.iter().find(|(_, t)| t == text) {
            return id;
        }
        let id = self.next;
        self.next += self.step;
        self.texts.push((id, text.to_string()));
        id
    }
}

/// The primitive types in the order of the sample's primitive arrays.
const PRIMS: [(BasicType, &str, &str); 8] = [
    (BasicType::Boolean, "[Z", "boolean[]"),
    (BasicType::Char, "[C", "char[]"),
    (BasicType::Float, "[F", "float[]"),
    (BasicType::Double, "[D", "double[]"),
    (BasicType::Byte, "[B", "byte[]"),
    (BasicType::Short, "[S", "short[]"),
    (BasicType::Int, "[I", "int[]"),
    (BasicType::Long, "[J", "long[]"),
];

/// The contents of the sample's primitive array of each type.
fn prim_values(ty: BasicType) -> Vec<Value> {
    match ty {
        BasicType::Boolean => vec![Value::Boolean(true), Value::Boolean(false)],
        BasicType::Char => vec![Value::Char('a' as u16), Value::Char(0x20ac)],
        BasicType::Float => vec![Value::Float(1.5), Value::Float(-0.0), Value::Float(7.0)],
        BasicType::Double => vec![Value::Double(2.25)],
        BasicType::Byte => vec![Value::Byte(1), Value::Byte(-2), Value::Byte(3)],
        BasicType::Short => vec![Value::Short(-1), Value::Short(0x1234)],
        BasicType::Int => vec![Value::Int(1), Value::Int(2), Value::Int(0x01020304)],
        BasicType::Long => vec![Value::Long(0x0102030405060708), Value::Long(-1)],
        BasicType::Object => unreachable!(),
    }
}

/// Values of `Derived`'s statics, in dump order, by name.
fn derived_statics(d1: u64, s_main: u64) -> Vec<(&'static str, Value)> {
    vec![
        ("sZ", Value::Boolean(true)),
        ("sC", Value::Char('q' as u16)),
        ("sF", Value::Float(-0.5)),
        ("sD", Value::Double(1e300)),
        ("sB", Value::Byte(-1)),
        ("sS", Value::Short(-2)),
        ("COUNT", Value::Int(42)),
        ("sJ", Value::Long(-3)),
        ("INSTANCE", Value::Object(d1)),
        ("NAME", Value::Object(s_main)),
        ("nul\0 π 𝒳", Value::Double(3.5)),
    ]
}

/// A tiny but complete heap, as HotSpot would write it: `Object`, `Class`,
/// `String` (JDK 9+: byte[] value and coder), `Thread`, `Base` and its
/// subclass `Derived` with fields of every basic type, an `Object[]`, one
/// primitive array of each type, roots of every HotSpot kind and a thread
/// with a two-frame stack. Object ids grow by each object's size under
/// `jvm`, as in a real heap, so the layout can be inferred from the gaps.
struct Sample {
    id_size: u32,
    jvm: Jvm,
    /// STRING, LOAD CLASS, STACK FRAME and STACK TRACE records (no header).
    prelude: Vec<u8>,
    classes: Body,
    objects: Body,
    roots: Body,

    // Class ids.
    c_object: u64,
    c_class: u64,
    c_string: u64,
    c_thread: u64,
    c_base: u64,
    c_derived: u64,
    c_object_array: u64,
    c_prims: [u64; 8],

    // Object ids.
    b_latin1: u64,
    s_latin1: u64,
    b_utf16: u64,
    s_utf16: u64,
    b_main: u64,
    s_main: u64,
    thread: u64,
    b1: u64,
    d1: u64,
    arr: u64,
    prims: [u64; 8],
}

/// Primitive bytes of the sample's `java.lang.Thread`: its `long` field
/// (not one of the @Contended thread-local random fields, so no padding;
/// `tests/sizes.rs` has those).
const THREAD_PRIM: u64 = 8;
const LATIN1: &str = "héllo";
const UTF16: &str = "héllo €世";
/// Objects in the sample: 15 classes and 18 others.
const SAMPLE_OBJECTS: u32 = 33;
const SAMPLE_CLASSES: usize = 15;

impl Sample {
    fn new(id_size: u32) -> Sample {
        // Class ids lie below and above the objects; 8-byte ids use the
        // upper half to prove that all 8 bytes are read.
        let (class_low, class_high, object_base, symbol_base, jvm) = if id_size == 4 {
            (
                0x1000u64,
                0x0020_0000u64,
                0x0010_0000u64,
                0x0040_0000u64,
                JVM_32,
            )
        } else {
            (
                0x0000_0007_c000_0000,
                0x0000_0008_8000_0000,
                0x0000_0007_f000_0000,
                0x0000_7f00_0000_0000,
                JVM_COMPRESSED,
            )
        };
        let mut syms = Symbols {
            next: symbol_base,
            step: if id_size == 4 { 1 } else { 0x10 },
            texts: Vec::new(),
        };
        let class_id = |k: u64| {
            if k < 8 {
                class_low + k * 0x100
            } else {
                class_high + k * 0x100
            }
        };
        let c_object = class_id(0);
        let c_class = class_id(1);
        let c_string = class_id(2);
        let c_thread = class_id(3);
        let c_base = class_id(4);
        let c_derived = class_id(5);
        let c_object_array = class_id(6);
        let c_prims: [u64; 8] = std::array::from_fn(|k| class_id(7 + k as u64));

        // Objects, in address order.
        let mut next = object_base;
        let mut alloc = |size: u64| {
            let id = next;
            next += size;
            id
        };
        let latin1: Vec<u8> = LATIN1.chars().map(|c| c as u8).collect();
        let utf16: Vec<u8> = UTF16.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let string_size = jvm.instance(5, 1);
        let b_latin1 = alloc(jvm.array(1, latin1.len() as u64));
        let s_latin1 = alloc(string_size);
        let b_utf16 = alloc(jvm.array(1, utf16.len() as u64));
        let s_utf16 = alloc(string_size);
        let b_main = alloc(jvm.array(1, 4));
        let s_main = alloc(string_size);
        let thread = alloc(jvm.instance(THREAD_PRIM, 1));
        let b1 = alloc(jvm.instance(4, 1));
        let d1 = alloc(jvm.instance(34, 2));
        let arr = alloc(jvm.object_array(5));
        let prims: [u64; 8] = std::array::from_fn(|k| {
            let ty = PRIMS[k].0;
            let size = match ty {
                BasicType::Boolean | BasicType::Byte => 1,
                BasicType::Char | BasicType::Short => 2,
                BasicType::Float | BasicType::Int => 4,
                _ => 8,
            };
            alloc(jvm.array(size, prim_values(ty).len() as u64))
        });

        // Class dumps.
        let i = id_size;
        let mut classes = Body::new(id_size);
        classes
            .class_dump(&ClassDef::new(c_object, 0))
            .class_dump(&ClassDef::new(c_class, c_object))
            .class_dump(
                &ClassDef::new(c_string, c_object)
                    .field(syms.id("value"), BasicType::Object)
                    .field(syms.id("coder"), BasicType::Byte)
                    .field(syms.id("hash"), BasicType::Int)
                    .instance_size(i + 5),
            )
            .class_dump(
                &ClassDef::new(c_thread, c_object)
                    .field(syms.id("name"), BasicType::Object)
                    .field(syms.id("tid"), BasicType::Long)
                    .instance_size(i + 8),
            )
            .class_dump(
                &ClassDef::new(c_base, c_object)
                    .field(syms.id("x"), BasicType::Int)
                    .field(syms.id("baseRef"), BasicType::Object)
                    .instance_size(4 + i),
            );
        let mut derived = ClassDef::new(c_derived, c_base)
            .constant(1, Value::Long(5))
            .constant(2, Value::Object(s_main))
            .field(syms.id("x"), BasicType::Int)
            .field(syms.id("dRef"), BasicType::Object)
            .field(syms.id("flag"), BasicType::Boolean)
            .field(syms.id("ch"), BasicType::Char)
            .field(syms.id("fl"), BasicType::Float)
            .field(syms.id("db"), BasicType::Double)
            .field(syms.id("by"), BasicType::Byte)
            .field(syms.id("sh"), BasicType::Short)
            .field(syms.id("lg"), BasicType::Long)
            .instance_size(30 + i + 4 + i);
        for (name, v) in derived_statics(d1, s_main) {
            derived = derived.static_field(syms.id(name), v);
        }
        classes
            .class_dump(&derived)
            .class_dump(&ClassDef::new(c_object_array, c_object));
        for &c in &c_prims {
            classes.class_dump(&ClassDef::new(c, c_object));
        }

        // Objects.
        let string =
            |value: u64, coder: i8| [Value::Object(value), Value::Byte(coder), Value::Int(0)];
        let mut objects = Body::new(id_size);
        objects
            .byte_array(b_latin1, &latin1)
            .instance(s_latin1, c_string, &string(b_latin1, 0))
            .byte_array(b_utf16, &utf16)
            .instance(s_utf16, c_string, &string(b_utf16, 1))
            .byte_array(b_main, b"main")
            .instance(s_main, c_string, &string(b_main, 0))
            .instance(thread, c_thread, &[Value::Object(s_main), Value::Long(1)])
            .instance(b1, c_base, &[Value::Int(7), Value::Object(d1)])
            .instance(
                d1,
                c_derived,
                &[
                    // Derived's own fields...
                    Value::Int(0x55667788),
                    Value::Object(s_latin1),
                    Value::Boolean(true),
                    Value::Char('Z' as u16),
                    Value::Float(1.5),
                    Value::Double(2.25),
                    Value::Byte(0x7f),
                    Value::Short(0x1234),
                    Value::Long(0x0102030405060708),
                    // ...then Base's.
                    Value::Int(0x11223344),
                    Value::Object(arr),
                ],
            )
            .object_array(arr, c_object_array, &[s_latin1, 0, d1, b1, s_utf16]);
        for (k, &(ty, _, _)) in PRIMS.iter().enumerate() {
            objects.primitive_array(prims[k], ty, &prim_values(ty));
        }

        // Roots of every HotSpot kind.
        let mut roots = Body::new(id_size);
        roots
            .root_unknown(b1)
            .root_jni_global(arr, 0x7f00_1234)
            .root_jni_local(s_utf16, 1, 1)
            .root_java_frame(d1, 1, 0)
            .root_native_stack(s_main, 1)
            .root_sticky_class(c_object)
            .root_sticky_class(c_string)
            .root_thread_block(thread, 1)
            .root_monitor_used(s_latin1)
            .root_thread_object(thread, 1, 2);

        // Top-level records: strings first, as HotSpot writes them.
        let names = [
            (c_object, "java/lang/Object"),
            (c_class, "java/lang/Class"),
            (c_string, "java/lang/String"),
            (c_thread, "java/lang/Thread"),
            (c_base, "Base"),
            (c_derived, "Derived"),
            (c_object_array, "[Ljava/lang/Object;"),
        ]
        .into_iter()
        .chain((0..8).map(|k| (c_prims[k], PRIMS[k].1)));
        let mut load = Vec::new();
        for (serial, (id, name)) in names.enumerate() {
            load.push((serial as u32 + 1, id, syms.id(name)));
        }
        let frames = [
            (1u64, "sleep", "(J)V", "Thread.java", 4u32, -3i32),
            (2, "run", "()V", "Main.java", 6, 42),
        ];
        let frames: Vec<_> = frames
            .iter()
            .map(|&(id, m, sig, src, serial, line)| {
                (id, syms.id(m), syms.id(sig), syms.id(src), serial, line)
            })
            .collect();
        let mut w = Hprof::new("1.0.2", id_size);
        for (id, text) in &syms.texts {
            w.string(*id, text);
        }
        for &(serial, id, name) in &load {
            w.load_class(serial, id, name);
        }
        w.stack_trace(1, 0, &[]);
        for &(id, m, sig, src, serial, line) in &frames {
            w.stack_frame(id, m, sig, src, serial, line);
        }
        w.stack_trace(2, 1, &[1, 2]);
        let prelude = w.bytes()[HEADER_LEN..].to_vec();

        Sample {
            id_size,
            jvm,
            prelude,
            classes,
            objects,
            roots,
            c_object,
            c_class,
            c_string,
            c_thread,
            c_base,
            c_derived,
            c_object_array,
            c_prims,
            b_latin1,
            s_latin1,
            b_utf16,
            s_utf16,
            b_main,
            s_main,
            thread,
            b1,
            d1,
            arr,
            prims,
        }
    }

    /// The header and the top-level records before the heap.
    fn start(&self, version: &str) -> Hprof {
        let mut w = Hprof::new(version, self.id_size);
        w.raw(&self.prelude);
        w
    }

    /// The whole dump, its heap packed as `packing` says.
    fn dump(&self, version: &str, packing: Packing) -> Vec<u8> {
        let mut w = self.start(version);
        match packing {
            Packing::Segments => {
                w.segment(&self.classes)
                    .segment(&self.objects)
                    .segment(&self.roots)
                    .heap_dump_end();
            }
            Packing::OneHeapDump => {
                let mut all = self.classes.clone();
                all.append(&self.objects).append(&self.roots);
                w.heap_dump(&all);
            }
            Packing::ManySegments => {
                // One sub-record per segment, with empty segments and
                // unknown top-level records in between.
                let mut all = self.classes.clone();
                all.append(&self.objects).append(&self.roots);
                for (k, r) in all.records().into_iter().enumerate() {
                    w.segment_bytes(r);
                    match k % 3 {
                        0 => w.segment_bytes(&[]),
                        1 => w.record(0x99, b"not a record anyone knows"),
                        _ => w.record(0x42, &[]),
                    };
                }
                w.heap_dump_end();
            }
            Packing::ArtOrder => {
                // Roots first, then objects, classes after their instances.
                let objects = self.objects.records();
                let (first, second) = objects.split_at(objects.len() / 2);
                let mut a = self.roots.clone();
                for r in first {
                    a.raw(r);
                }
                let mut b = Body::new(self.id_size);
                for r in second {
                    b.raw(r);
                }
                b.append(&self.classes);
                w.segment(&a).segment(&b).heap_dump_end();
            }
        }
        w.into_bytes()
    }
}

#[derive(Clone, Copy, Debug)]
enum Packing {
    /// 1.0.2 as HotSpot writes it: class dumps, objects, roots, END.
    Segments,
    /// 1.0.1: the whole heap in one HEAP DUMP record, no END.
    OneHeapDump,
    /// Every sub-record in its own segment, empty segments and unknown tags.
    ManySegments,
    /// ART's order: roots, then objects, with classes after their instances.
    ArtOrder,
}

/// Looks up an object that must be there.
fn obj(heap: &Heap, id: u64) -> u32 {
    heap.find(id)
        .unwrap_or_else(|| panic!("no object with id {id:#x}"))
}

fn sorted(mut v: Vec<u32>) -> Vec<u32> {
    v.sort_unstable();
    v
}

/// Checks every fact the sample's heap should show.
fn check_sample(heap: &Heap, s: &Sample) {
    let o = |id| obj(heap, id);
    let class_name = |o: u32| heap.class(heap.class_of(o)).name.as_str();
    assert_eq!(heap.id_size(), s.id_size);
    assert!(
        heap.warnings().is_empty(),
        "a complete dump loads without warnings: {:?}",
        heap.warnings()
    );
    assert_eq!(heap.object_count(), SAMPLE_OBJECTS);
    assert_eq!(heap.classes().len(), SAMPLE_CLASSES);

    // Objects and their classes.
    for (id, name) in [
        (s.b_latin1, "byte[]"),
        (s.s_latin1, "java.lang.String"),
        (s.s_utf16, "java.lang.String"),
        (s.s_main, "java.lang.String"),
        (s.thread, "java.lang.Thread"),
        (s.b1, "Base"),
        (s.d1, "Derived"),
        (s.arr, "java.lang.Object[]"),
    ] {
        assert_eq!(class_name(o(id)), name, "class of {id:#x}");
    }
    for (&id, &(_, _, name)) in s.prims.iter().zip(&PRIMS) {
        assert_eq!(class_name(o(id)), name);
    }
    let ids: Vec<u64> = (0..heap.object_count()).map(|i| heap.id(i)).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "objects in id order");

    // Class objects.
    for (id, name) in [
        (s.c_object, "java.lang.Object"),
        (s.c_class, "java.lang.Class"),
        (s.c_string, "java.lang.String"),
        (s.c_thread, "java.lang.Thread"),
        (s.c_base, "Base"),
        (s.c_derived, "Derived"),
        (s.c_object_array, "java.lang.Object[]"),
    ] {
        let c = heap.as_class(o(id)).expect("a class object");
        assert_eq!(heap.class(c).name, name);
        assert_eq!(heap.class(c).id, id);
        assert_eq!(class_name(o(id)), "java.lang.Class");
        assert_eq!(heap.class_object(c), Some(o(id)));
    }
    let classes = heap.classes();
    let derived = classes.find("Derived").unwrap();
    let base = classes.find("Base").unwrap();
    let object = classes.find("java.lang.Object").unwrap();
    assert_eq!(heap.class(derived).super_class, Some(base));
    assert_eq!(heap.class(base).super_class, Some(object));
    assert_eq!(heap.class(object).super_class, None);
    assert!(classes.is_subclass(derived, object));
    assert!(!classes.is_subclass(base, derived));

    // Fields, decoded by the class chain: Derived.x shadows Base.x.
    let d1 = o(s.d1);
    let fields: Vec<(&str, &str, Value)> = heap
        .fields(d1)
        .iter()
        .map(|f| (heap.class(f.declared_by).name.as_str(), f.name, f.value))
        .collect();
    assert_eq!(
        fields,
        vec![
            ("Derived", "x", Value::Int(0x55667788)),
            ("Derived", "dRef", Value::Object(s.s_latin1)),
            ("Derived", "flag", Value::Boolean(true)),
            ("Derived", "ch", Value::Char('Z' as u16)),
            ("Derived", "fl", Value::Float(1.5)),
            ("Derived", "db", Value::Double(2.25)),
            ("Derived", "by", Value::Byte(0x7f)),
            ("Derived", "sh", Value::Short(0x1234)),
            ("Derived", "lg", Value::Long(0x0102030405060708)),
            ("Base", "x", Value::Int(0x11223344)),
            ("Base", "baseRef", Value::Object(s.arr)),
        ]
    );
    assert_eq!(heap.field(d1, "x"), Some(Value::Int(0x55667788)));
    assert_eq!(heap.field_of(d1, "Base", "x"), Some(Value::Int(0x11223344)));
    assert_eq!(
        heap.field_of(d1, "Derived", "x"),
        Some(Value::Int(0x55667788))
    );
    assert_eq!(heap.field_of(d1, "Derived", "baseRef"), None);
    assert_eq!(heap.field(d1, "nope"), None);
    assert_eq!(heap.field_object(d1, "baseRef"), Some(o(s.arr)));
    assert_eq!(heap.field_of(o(s.b1), "Base", "x"), Some(Value::Int(7)));
    assert_eq!(heap.field_object(o(s.b1), "baseRef"), Some(d1));
    assert!(heap.fields(o(s.arr)).is_empty(), "arrays have no fields");

    // Statics (and a constant pool, which is skipped).
    let statics: Vec<(&str, Value)> = heap
        .class(derived)
        .statics
        .iter()
        .map(|st| (st.name.as_str(), st.value))
        .collect();
    assert_eq!(statics, derived_statics(s.d1, s.s_main));

    // Strings.
    assert_eq!(heap.string(o(s.s_latin1)).as_deref(), Some(LATIN1));
    assert_eq!(heap.string(o(s.s_utf16)).as_deref(), Some(UTF16));
    assert_eq!(heap.string(o(s.s_main)).as_deref(), Some("main"));
    assert_eq!(heap.string(d1), None);
    assert_eq!(heap.string(o(s.b_latin1)), None);

    // Arrays.
    for (&id, &(ty, _, _)) in s.prims.iter().zip(&PRIMS) {
        let a = heap.array(o(id)).expect("an array");
        let want = prim_values(ty);
        assert_eq!(a.elem, ty);
        assert_eq!(a.len as usize, want.len());
        let got: Vec<Value> = (0..a.len).map(|i| a.get(i).unwrap()).collect();
        // Compared as text, where -0.0 differs from 0.0.
        assert_eq!(format!("{got:?}"), format!("{want:?}"));
        assert_eq!(a.get(a.len), None);
    }
    let a = heap.array(o(s.arr)).expect("an array");
    assert_eq!((a.elem, a.len), (BasicType::Object, 5));
    assert_eq!(a.get(1), Some(Value::Object(0)));
    assert_eq!(a.get(4), Some(Value::Object(s.s_utf16)));
    assert_eq!(heap.array(o(s.b_main)).unwrap().bytes(), Some(&b"main"[..]));
    assert!(heap.array(d1).is_none());

    // References, both ways, exactly.
    let out = |id| heap.outgoing(o(id)).to_vec();
    let inc = |id| heap.incoming(o(id)).to_vec();
    assert_eq!(out(s.d1), vec![o(s.s_latin1), o(s.arr)]);
    assert_eq!(out(s.b1), vec![d1]);
    assert_eq!(out(s.arr), vec![o(s.s_latin1), d1, o(s.b1), o(s.s_utf16)]);
    assert_eq!(out(s.s_latin1), vec![o(s.b_latin1)]);
    assert_eq!(out(s.thread), vec![o(s.s_main)]);
    assert_eq!(out(s.b_latin1), Vec::<u32>::new());
    assert_eq!(out(s.c_object), Vec::<u32>::new());
    assert_eq!(out(s.c_base), vec![o(s.c_object)]);
    // A class object refers to its superclass and its static values.
    assert_eq!(out(s.c_derived), vec![o(s.c_base), d1, o(s.s_main)]);

    assert_eq!(inc(s.s_latin1), sorted(vec![d1, o(s.arr)]));
    assert_eq!(inc(s.d1), sorted(vec![o(s.b1), o(s.arr), o(s.c_derived)]));
    assert_eq!(inc(s.s_main), sorted(vec![o(s.thread), o(s.c_derived)]));
    assert_eq!(inc(s.arr), vec![d1]);
    assert_eq!(inc(s.b1), vec![o(s.arr)]);
    assert_eq!(inc(s.b_utf16), vec![o(s.s_utf16)]);
    assert_eq!(inc(s.thread), Vec::<u32>::new());
    assert_eq!(inc(s.c_derived), Vec::<u32>::new());
    assert_eq!(inc(s.c_base), vec![o(s.c_derived)]);
    let mut subclasses_of_object: Vec<u32> = [
        s.c_class,
        s.c_string,
        s.c_thread,
        s.c_base,
        s.c_object_array,
    ]
    .iter()
    .chain(&s.c_prims)
    .map(|&id| o(id))
    .collect();
    subclasses_of_object.sort_unstable();
    assert_eq!(inc(s.c_object), subclasses_of_object);
    // 3 String values, thread name, b1, d1 (2), arr (4), and class objects:
    // 13 superclasses Object, Derived's superclass and 2 statics.
    assert_eq!(heap.reference_count(), 27);
    assert!(heap.dangling().is_empty());
    let total: usize = (0..heap.object_count())
        .map(|i| heap.outgoing(i).len())
        .sum();
    let total_in: usize = (0..heap.object_count())
        .map(|i| heap.incoming(i).len())
        .sum();
    assert_eq!((total as u64, total_in as u64), (27, 27));

    // Roots.
    let root = |kind, id: u64, thread: Option<u32>, frame: Option<u32>| Root {
        kind,
        id,
        object: Some(o(id)),
        thread_serial: thread,
        frame_index: frame,
    };
    let mut roots = heap.roots().to_vec();
    roots.sort_by_key(|r| (r.kind, r.id));
    let mut want = vec![
        root(RootKind::Unknown, s.b1, None, None),
        root(RootKind::JniGlobal, s.arr, None, None),
        root(RootKind::JniLocal, s.s_utf16, Some(1), Some(1)),
        root(RootKind::JavaFrame, s.d1, Some(1), Some(0)),
        root(RootKind::NativeStack, s.s_main, Some(1), None),
        root(RootKind::StickyClass, s.c_object, None, None),
        root(RootKind::StickyClass, s.c_string, None, None),
        root(RootKind::ThreadBlock, s.thread, Some(1), None),
        root(RootKind::MonitorUsed, s.s_latin1, None, None),
        root(RootKind::ThreadObject, s.thread, Some(1), None),
    ];
    want.sort_by_key(|r| (r.kind, r.id));
    assert_eq!(roots, want);

    // The thread, its name and its stack with the objects each frame holds.
    let threads = heap.threads();
    assert_eq!(threads.len(), 1);
    let t = &threads[0];
    assert_eq!(
        (t.serial, t.object_id, t.object),
        (1, s.thread, Some(o(s.thread)))
    );
    assert_eq!(t.name.as_deref(), Some("main"));
    let frames: Vec<(String, Vec<u32>)> = t
        .frames
        .iter()
        .map(|f| (f.display(), f.locals.clone()))
        .collect();
    assert_eq!(
        frames,
        vec![
            (
                "java.lang.Thread.sleep(Native Method)".to_string(),
                vec![d1]
            ),
            ("Derived.run(Main.java:42)".to_string(), vec![o(s.s_utf16)]),
        ]
    );
    assert_eq!(t.frames[1].signature, "()V");

    // Shallow sizes and the histogram, under the sample's layout.
    let j = s.jvm;
    let byte_arrays = [
        j.array(1, LATIN1.chars().count() as u64),
        j.array(1, 2 * UTF16.encode_utf16().count() as u64),
        j.array(1, 4),
        j.array(1, 3),
    ];
    assert_eq!(heap.shallow_size(d1), j.instance(34, 2));
    assert_eq!(heap.shallow_size(o(s.b1)), j.instance(4, 1));
    assert_eq!(heap.shallow_size(o(s.s_main)), j.instance(5, 1));
    assert_eq!(heap.shallow_size(o(s.arr)), j.object_array(5));
    assert_eq!(heap.shallow_size(o(s.b_utf16)), byte_arrays[1]);
    let want: BTreeMap<&str, (u64, u64)> = BTreeMap::from([
        ("Derived", (1, j.instance(34, 2))),
        ("Base", (1, j.instance(4, 1))),
        ("java.lang.String", (3, 3 * j.instance(5, 1))),
        ("java.lang.Thread", (1, j.instance(THREAD_PRIM, 1))),
        ("java.lang.Object[]", (1, j.object_array(5))),
        ("byte[]", (4, byte_arrays.iter().sum())),
        ("boolean[]", (1, j.array(1, 2))),
        ("char[]", (1, j.array(2, 2))),
        ("float[]", (1, j.array(4, 3))),
        ("double[]", (1, j.array(8, 1))),
        ("short[]", (1, j.array(2, 2))),
        ("int[]", (1, j.array(4, 3))),
        ("long[]", (1, j.array(8, 2))),
    ]);
    let rows = histogram(heap.census(), SortBy::Shallow);
    let class_row = rows
        .iter()
        .find(|r| r.name == "java.lang.Class")
        .expect("a java.lang.Class row");
    assert_eq!(class_row.instances, SAMPLE_CLASSES as u64);
    let got: BTreeMap<&str, (u64, u64)> = rows
        .iter()
        .filter(|r| r.name != "java.lang.Class")
        .map(|r| (r.name.as_str(), (r.instances, r.shallow)))
        .collect();
    assert_eq!(got, want);
    let derived_row = rows.iter().find(|r| r.name == "Derived").unwrap();
    assert_eq!(derived_row.class_id, s.c_derived);
    // Every object's shallow size adds up to the histogram's total.
    let sum: u64 = (0..heap.object_count()).map(|i| heap.shallow_size(i)).sum();
    assert_eq!(sum, heap.census().shallow_total());
}

/// Everything a load produces, as text, to compare two loads.
fn fingerprint(heap: &Heap) -> String {
    let mut s = String::new();
    for i in 0..heap.object_count() {
        s += &format!(
            "{:#x} @{} {} {} out{:?} in{:?} {:?} {:?}\n",
            heap.id(i),
            heap.record_offset(i),
            heap.class(heap.class_of(i)).name,
            heap.shallow_size(i),
            heap.outgoing(i),
            heap.incoming(i),
            heap.fields(i)
                .iter()
                .map(|f| (f.name, f.value))
                .collect::<Vec<_>>(),
            heap.string(i),
        );
    }
    s += &format!("{:?}\n{:?}\n", heap.roots(), heap.dangling());
    s += &format!("{:?}\n", histogram(heap.census(), SortBy::Shallow));
    s += &format!("{:?}\n", heap.census().layout);
    s
}

/// Calls every accessor on every object, to shake out panics on damaged
/// dumps.
fn exercise(heap: &Heap) {
    for i in 0..heap.object_count() {
        let _ = heap.class(heap.class_of(i));
        let _ = heap.shallow_size(i);
        let _ = heap.fields(i);
        let _ = heap.string(i);
        let _ = heap.as_class(i);
        if let Some(a) = heap.array(i) {
            for k in 0..a.len.min(64) {
                let _ = a.get(k);
            }
        }
        assert!(heap.outgoing(i).iter().all(|&t| t < heap.object_count()));
        assert!(heap.incoming(i).iter().all(|&t| t < heap.object_count()));
    }
    for t in heap.threads() {
        for f in &t.frames {
            let _ = f.display();
        }
    }
    let _ = heapscope::report::summary::json(heap);
    let _ = heapscope::report::summary::text(heap);
    let rows = histogram(heap.census(), SortBy::Instances);
    let _ = heapscope::report::histogram::text(&rows, &rows);
}

// ---------------------------------------------------------------------------
// 1, 2. The sample heap with 4-byte and 8-byte ids.

#[test]
fn four_byte_ids() {
    let s = Sample::new(4);
    let heap = load(&s.dump("1.0.2", Packing::Segments));
    check_sample(&heap, &s);
    // 4-byte ids and no 64-bit VM in the heap: a 32-bit JVM, whose ids
    // are addresses that the 32-bit layout predicts (the sample was laid
    // out with it).
    let layout = &heap.census().layout;
    assert_eq!(layout.layout, LAYOUT_32.layout);
    match &layout.source {
        LayoutSource::Inferred { gaps, matched, .. } => assert_eq!(gaps, matched),
        other => panic!("layout should be inferred, was {other:?}"),
    }
}

#[test]
fn eight_byte_ids() {
    let s = Sample::new(8);
    assert!(s.d1 > u32::MAX as u64, "8-byte ids above 4 GiB");
    let heap = load(&s.dump("1.0.2", Packing::Segments));
    check_sample(&heap, &s);
    // The ids were laid out with compressed-oops sizes: every gap between
    // the 18 neighbouring objects says so.
    let layout = &heap.census().layout;
    assert_eq!(layout.layout, LAYOUTS_64[0].layout);
    match &layout.source {
        LayoutSource::Inferred { gaps, matched, .. } => assert_eq!((*gaps, *matched), (17, 17)),
        other => panic!("layout should be inferred, was {other:?}"),
    }
}

/// Object, a JDK 8 String class (0x200: `char[] value`, then `offset` and
/// `count` of type `ty`) and `char[]` (0x300).
fn jdk8_string_classes(id_size: u32, ty: BasicType) -> (Hprof, Body) {
    let (c_object, c_string, c_chars) = (0x100, 0x200, 0x300);
    let mut w = Hprof::new("1.0.2", id_size);
    w.string(1, "java/lang/Object")
        .string(2, "java/lang/String")
        .string(3, "[C")
        .string(4, "value")
        .string(5, "offset")
        .string(6, "count")
        .load_class(1, c_object, 1)
        .load_class(2, c_string, 2)
        .load_class(3, c_chars, 3);
    let mut b = Body::new(id_size);
    b.class_dump(&ClassDef::new(c_object, 0))
        .class_dump(
            &ClassDef::new(c_string, c_object)
                .field(4, BasicType::Object)
                .field(5, ty)
                .field(6, ty),
        )
        .class_dump(&ClassDef::new(c_chars, c_object));
    (w, b)
}

/// A JDK 8 String: `char[] value` with `offset` and `count`.
fn jdk8_strings(id_size: u32) {
    let c_string = 0x200;
    let (chars, hello, xx, empty) = (0x1000, 0x2000, 0x2100, 0x2200);
    let text = "xxHello, wörld €yy";
    let units: Vec<Value> = text.encode_utf16().map(Value::Char).collect();
    let (mut w, mut b) = jdk8_string_classes(id_size, BasicType::Int);
    let string = |value: u64, offset: i32, count: i32| {
        [Value::Object(value), Value::Int(offset), Value::Int(count)]
    };
    b.primitive_array(chars, BasicType::Char, &units)
        .instance(hello, c_string, &string(chars, 2, units.len() as i32 - 4))
        .instance(xx, c_string, &string(chars, 0, 2))
        .instance(empty, c_string, &string(0, 0, 0));
    w.segment(&b).heap_dump_end();
    let heap = load(w.bytes());
    assert!(heap.warnings().is_empty(), "{:?}", heap.warnings());
    assert_eq!(
        heap.string(obj(&heap, hello)).as_deref(),
        Some("Hello, wörld €")
    );
    assert_eq!(heap.string(obj(&heap, xx)).as_deref(), Some("xx"));
    assert_eq!(heap.string(obj(&heap, empty)).as_deref(), Some(""));
    // A char[] is big-endian in the dump.
    let a = heap.array(obj(&heap, chars)).unwrap();
    assert_eq!(a.get(2), Some(Value::Char('H' as u16)));
    assert_eq!(&a.bytes().unwrap()[4..6], &[0, b'H']);
}

/// A String class whose `offset` and `count` are `long`s (only a corrupt
/// or hostile dump has that) with extreme values.
#[test]
fn jdk8_string_with_absurd_offset_and_count() {
    let (c_string, chars) = (0x200, 0x1000);
    let (mut w, mut b) = jdk8_string_classes(4, BasicType::Long);
    b.primitive_array(chars, BasicType::Char, &[Value::Char('a' as u16); 4]);
    let cases = [
        (0x2000, i64::MAX, i64::MAX),
        (0x2100, 1 << 62, (1 << 62) + 1),
        (0x2200, 1, i64::MAX),
        (0x2300, i64::MIN, i64::MIN),
        (0x2400, 1, 2),
    ];
    for (id, offset, count) in cases {
        b.instance(
            id,
            c_string,
            &[
                Value::Object(chars),
                Value::Long(offset),
                Value::Long(count),
            ],
        );
    }
    w.segment(&b).heap_dump_end();
    let heap = load(w.bytes());
    let text: Vec<Option<String>> = cases
        .iter()
        .map(|&(id, _, _)| heap.string(obj(&heap, id)))
        .collect();
    let some = |t: &str| Some(t.to_string());
    assert_eq!(
        text,
        vec![some(""), some(""), some("aaa"), some(""), some("aa")]
    );
}

#[test]
fn jdk8_strings_with_4_and_8_byte_ids() {
    jdk8_strings(4);
    jdk8_strings(8);
}

// ---------------------------------------------------------------------------
// 3. Android.

#[test]
fn android_records() {
    let i = 4;
    let (c_object, c_class, c_thread, c_int_array, c_byte_array, c_node) = (
        0x7000_0000u64,
        0x7000_0100,
        0x7000_0200,
        0x7000_0300,
        0x7000_0400,
        0x7000_0500,
    );
    let (thread, n1, n2, n3, ints, nodata_ints, nodata_bytes, image_obj) = (
        0x1200_0000u64,
        0x1200_0010,
        0x1200_0020,
        0x1200_0030,
        0x1200_0040,
        0x1200_0060,
        0x1200_1000,
        0x7100_0000,
    );
    let mut w = Hprof::new("1.0.3", i);
    // ART string ids count up from 0x400000; class names in Java form.
    let names = [
        "java.lang.Object",
        "java.lang.Class",
        "java.lang.Thread",
        "int[]",
        "byte[]",
        "com.example.Node",
        "next",
        "app",
        "zygote",
        "image",
    ];
    for (k, n) in names.iter().enumerate() {
        w.string(0x40_0000 + k as u64, n);
    }
    let sym = |n: &str| 0x40_0000 + names.iter().position(|&x| x == n).unwrap() as u64;
    for (serial, (id, name)) in [
        (c_object, "java.lang.Object"),
        (c_class, "java.lang.Class"),
        (c_thread, "java.lang.Thread"),
        (c_int_array, "int[]"),
        (c_byte_array, "byte[]"),
        (c_node, "com.example.Node"),
    ]
    .into_iter()
    .enumerate()
    {
        w.load_class(serial as u32 + 1, id, sym(name));
    }
    // Roots of the Android kinds first, then objects before their classes.
    let mut a = Body::new(i);
    a.heap_dump_info(0x41, sym("app"))
        .root_interned_string(n1)
        .root_finalizing(n1)
        .root_debugger(n2)
        .root_reference_cleanup(n2)
        .root_vm_internal(c_object)
        .root_jni_monitor(n3, 1, u32::MAX)
        .unreachable(n3)
        .root_thread_object(thread, 1, u32::MAX)
        .instance(thread, c_thread, &[])
        .instance(n1, c_node, &[Value::Object(n2)])
        .instance(n2, c_node, &[Value::Object(n3)])
        .instance(n3, c_node, &[Value::Object(0)])
        .primitive_array(
            ints,
            BasicType::Int,
            &[Value::Int(1), Value::Int(2), Value::Int(3)],
        )
        .primitive_array_nodata(nodata_ints, BasicType::Int, 1000)
        .primitive_array_nodata(nodata_bytes, BasicType::Byte, 7);
    let mut b = Body::new(i);
    b.heap_dump_info(0x5A, sym("zygote"))
        .class_dump(&ClassDef::new(c_object, 0))
        .class_dump(&ClassDef::new(c_class, c_object))
        .class_dump(&ClassDef::new(c_thread, c_object))
        .class_dump(&ClassDef::new(c_int_array, c_object))
        .class_dump(&ClassDef::new(c_byte_array, c_object))
        .class_dump(
            &ClassDef::new(c_node, c_object)
                .field(sym("next"), BasicType::Object)
                .instance_size(4),
        )
        .heap_dump_info(0x49, sym("image"))
        .instance(image_obj, c_node, &[Value::Object(n1)]);
    w.segment(&a).segment(&b).heap_dump_end();
    let heap = load(w.bytes());

    assert!(heap.warnings().is_empty(), "{:?}", heap.warnings());
    assert_eq!(
        heap.census().records.header.version.magic(),
        "JAVA PROFILE 1.0.3"
    );
    // 6 classes, thread, 4 nodes, 3 arrays; no object for HEAP DUMP INFO.
    assert_eq!(heap.object_count(), 14);
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for r in heap.roots() {
        *kinds.entry(r.kind.label()).or_default() += 1;
    }
    assert_eq!(
        kinds,
        BTreeMap::from([
            ("debugger", 1),
            ("finalizing", 1),
            ("interned string", 1),
            ("jni monitor", 1),
            ("reference cleanup", 1),
            ("thread object", 1),
            ("unreachable", 1),
            ("vm internal", 1),
        ])
    );
    let monitor = heap
        .roots()
        .iter()
        .find(|r| r.kind == RootKind::JniMonitor)
        .unwrap();
    assert_eq!(
        (monitor.object, monitor.thread_serial, monitor.frame_index),
        (heap.find(n3), Some(1), Some(u32::MAX))
    );
    let vm = heap
        .roots()
        .iter()
        .find(|r| r.kind == RootKind::VmInternal)
        .unwrap();
    assert_eq!(vm.object, heap.find(c_object));
    // A thread whose trace serial is -1 has no frames.
    assert_eq!(heap.threads().len(), 1);
    assert!(heap.threads()[0].frames.is_empty());

    // NODATA arrays are arrays with a length and no elements.
    let a = heap.array(obj(&heap, nodata_ints)).unwrap();
    assert_eq!(
        (a.elem, a.len, a.bytes(), a.get(0)),
        (BasicType::Int, 1000, None, None)
    );
    let a = heap.array(obj(&heap, nodata_bytes)).unwrap();
    assert_eq!((a.elem, a.len), (BasicType::Byte, 7));
    let j = JVM_32;
    assert_eq!(heap.shallow_size(obj(&heap, nodata_ints)), j.array(4, 1000));
    let rows = histogram(heap.census(), SortBy::Shallow);
    let row = |name: &str| {
        rows.iter()
            .find(|r| r.name == name)
            .map(|r| (r.instances, r.shallow))
    };
    assert_eq!(row("int[]"), Some((2, j.array(4, 1000) + j.array(4, 3))));
    assert_eq!(row("byte[]"), Some((1, j.array(1, 7))));
    assert_eq!(row("com.example.Node"), Some((4, 4 * j.instance(0, 1))));
    assert_eq!(row("java.lang.Class").map(|(n, _)| n), Some(6));

    // Classes after their instances: fields still decode, references resolve.
    let n1o = obj(&heap, n1);
    assert_eq!(heap.field_object(n1o, "next"), Some(obj(&heap, n2)));
    assert_eq!(heap.outgoing(obj(&heap, image_obj)), &[n1o]);
    assert_eq!(
        heap.incoming(n1o),
        &[obj(&heap, image_obj)],
        "the image object refers to n1"
    );
}

// ---------------------------------------------------------------------------
// 4. 1.0.1, many segments, unknown tags, ART order.

#[test]
fn packings_load_the_same_heap() {
    for id_size in [4, 8] {
        let s = Sample::new(id_size);
        for (version, packing) in [
            ("1.0.1", Packing::OneHeapDump),
            ("1.0.2", Packing::ManySegments),
            ("1.0.2", Packing::ArtOrder),
            ("1.0.3", Packing::ArtOrder),
        ] {
            let bytes = s.dump(version, packing);
            let heap = load(&bytes);
            check_sample(&heap, &s);
            let index = RecordIndex::scan(&bytes, &Progress::new()).unwrap();
            assert_eq!(
                index.header.version.magic(),
                format!("JAVA PROFILE {version}")
            );
            assert_eq!(index.header.id_size, id_size);
            assert_eq!(index.truncated_at, None);
            assert!(
                index.warnings.is_empty(),
                "{packing:?}: {:?}",
                index.warnings
            );
            if let Packing::ManySegments = packing {
                // 33 classes and objects and 10 roots, one per segment; the
                // 15 empty segments are not listed. After sub-record k comes
                // an empty segment, a 0x99 or a 0x42 record as k % 3 says.
                let subrecords = SAMPLE_OBJECTS as usize + 10;
                assert_eq!(index.segments.len(), subrecords);
                assert_eq!(index.record_counts[&0x1C], subrecords as u64 + 15);
                assert_eq!(index.record_counts[&0x99], 14);
                assert_eq!(index.record_counts[&0x42], 14);
            }
        }
    }
}

#[test]
fn record_index_lists_the_top_level_records() {
    let s = Sample::new(8);
    let bytes = s.dump("1.0.2", Packing::Segments);
    let index = RecordIndex::scan(&bytes, &Progress::new()).unwrap();
    assert_eq!(index.header.records_start, HEADER_LEN as u64);
    assert_eq!(index.header.timestamp_ms, 0x0000_01a2_0f5f_53a0);
    assert_eq!(index.load_classes.len(), SAMPLE_CLASSES);
    assert_eq!(index.load_classes[5].class_id, s.c_derived);
    let name = index.string_bytes(&bytes, index.load_classes[5].name_id);
    assert_eq!(name, Some(&b"Derived"[..]));
    assert_eq!(index.frames.len(), 2);
    assert_eq!((index.frames[0].line, index.frames[1].line), (-3, 42));
    let traces: Vec<(u32, u32, Vec<u64>)> = index
        .traces
        .iter()
        .map(|t| (t.serial, t.thread_serial, t.frame_ids.clone()))
        .collect();
    assert_eq!(traces, vec![(1, 0, vec![]), (2, 1, vec![1, 2])]);
    assert_eq!(index.segments.len(), 3);
    assert_eq!(index.segments[1].len, s.objects.len() as u64);
    assert!(index.has_heap_dump_end);
    assert!(index.warnings.is_empty(), "{:?}", index.warnings);
    // The STRING for the name with a NUL and a supplementary character is
    // modified UTF-8: C0 80 and two 3-byte surrogates.
    let odd = index
        .strings
        .keys()
        .filter_map(|&id| index.string_bytes(&bytes, id))
        .find(|b| b.starts_with(b"nul"))
        .unwrap();
    assert_eq!(&odd[3..5], &[0xC0, 0x80]);
    assert_eq!(odd.len(), 3 + 2 + 1 + 2 + 1 + 6);
}

// ---------------------------------------------------------------------------
// 5. Dangling references.

#[test]
fn dangling_references() {
    let (c_object, c_array, c_holder) = (0x100u64, 0x200, 0x300);
    let (v1, v2, arr, holder) = (0x1000u64, 0x1010, 0x1020, 0x1040);
    let mut w = Hprof::new("1.0.2", 4);
    w.string(1, "java/lang/Object")
        .string(2, "[Ljava/lang/Object;")
        .string(3, "Holder")
        .string(4, "ref")
        .load_class(1, c_object, 1)
        .load_class(2, c_array, 2)
        .load_class(3, c_holder, 3);
    let mut b = Body::new(4);
    b.class_dump(&ClassDef::new(c_object, 0))
        .class_dump(&ClassDef::new(c_array, c_object))
        .class_dump(
            &ClassDef::new(c_holder, c_object)
                .field(4, BasicType::Object)
                .instance_size(4),
        )
        .instance(v1, c_object, &[])
        .instance(v2, c_object, &[])
        .object_array(arr, c_array, &[v1, 0xdead0, 0, 0xdead8, v2])
        .instance(holder, c_holder, &[Value::Object(0xbeef0)])
        .root_jni_global(0xfeed0, 0);
    w.segment(&b).heap_dump_end();
    let heap = load(w.bytes());
    assert!(heap.warnings().is_empty(), "{:?}", heap.warnings());
    let o = |id| obj(&heap, id);
    for missing in [0xdead0, 0xdead8, 0xbeef0, 0xfeed0] {
        assert_eq!(heap.find(missing), None);
    }
    let mut want = [(o(arr), 0xdead0), (o(arr), 0xdead8), (o(holder), 0xbeef0)];
    want.sort_unstable();
    assert_eq!(heap.dangling(), &want[..]);
    assert_eq!(heap.outgoing(o(arr)), &[o(v1), o(v2)]);
    assert_eq!(heap.outgoing(o(holder)), &[] as &[u32]);
    assert_eq!(heap.incoming(o(v1)), &[o(arr)]);
    // arr's two elements and two classes' superclass references.
    assert_eq!(heap.reference_count(), 4);
    assert_eq!(heap.field(o(holder), "ref"), Some(Value::Object(0xbeef0)));
    assert_eq!(heap.field_object(o(holder), "ref"), None);
    // A root on a missing id is kept, without an object.
    assert_eq!(heap.roots().len(), 1);
    assert_eq!(
        (heap.roots()[0].id, heap.roots()[0].object),
        (0xfeed0, None)
    );
    let json = heapscope::report::summary::json(&heap);
    assert_eq!(json["dangling_references"], 3);
    assert_eq!(json["references"], 4);
}

// ---------------------------------------------------------------------------
// 6. Truncation at every byte.

/// The byte offset a "truncated at byte N" warning names.
fn truncated_at(warnings: &[String]) -> Option<u64> {
    let re = regex::Regex::new(r"truncated at byte (\d+)").unwrap();
    warnings
        .iter()
        .find_map(|w| re.captures(w).map(|c| c[1].parse().unwrap()))
}

fn cut_everywhere(full: &[u8]) {
    let file = tempfile::NamedTempFile::new().unwrap();
    let whole = load(full);
    assert!(whole.warnings().is_empty(), "{:?}", whole.warnings());
    let all = whole.object_count();
    for cut in 0..full.len() {
        std::fs::write(file.path(), &full[..cut]).unwrap();
        match open(file.path()) {
            Err(e) => {
                assert!(
                    cut < HEADER_LEN,
                    "cut at {cut}: only a cut header fails: {e}"
                );
                let text = e.to_string();
                assert!(text.contains("at byte"), "{text}");
                assert!(text.contains(&file.path().display().to_string()), "{text}");
            }
            Ok(heap) => {
                assert!(cut >= HEADER_LEN, "cut at {cut} inside the header loaded");
                assert_eq!(
                    truncated_at(heap.warnings()),
                    Some(cut as u64),
                    "cut at {cut}: warnings {:?}",
                    heap.warnings()
                );
                assert!(heap.object_count() <= all, "cut at {cut}");
                exercise(&heap);
            }
        }
    }
}

#[test]
fn truncated_at_every_byte_1_0_2() {
    let s = Sample::new(4);
    cut_everywhere(&s.dump("1.0.2", Packing::Segments));
}

#[test]
fn truncated_at_every_byte_1_0_1_and_art_order() {
    let s = Sample::new(8);
    cut_everywhere(&s.dump("1.0.1", Packing::OneHeapDump));
    cut_everywhere(&s.dump("1.0.3", Packing::ArtOrder));
}

// ---------------------------------------------------------------------------
// 7. Corrupt lengths and types.

/// The warning that names byte `offset` and says `what`.
fn warning_at<'h>(heap: &'h Heap, offset: u64, what: &str) -> &'h str {
    let at = format!("at byte {offset}");
    heap.warnings()
        .iter()
        .find(|w| w.contains(&at) && w.contains(what))
        .unwrap_or_else(|| {
            panic!(
                "no warning naming byte {offset} and \"{what}\": {:?}",
                heap.warnings()
            )
        })
}

/// Big-endian bytes of a sub-record or record body made of u1/u4 parts.
fn be(parts: &[(u8, u64)]) -> Vec<u8> {
    let mut out = Vec::new();
    for &(size, v) in parts {
        match size {
            1 => out.push(v as u8),
            2 => out.extend_from_slice(&(v as u16).to_be_bytes()),
            4 => out.extend_from_slice(&(v as u32).to_be_bytes()),
            8 => out.extend_from_slice(&v.to_be_bytes()),
            _ => unreachable!(),
        }
    }
    out
}

/// The 4-byte sample with one more segment between the class dumps and
/// the objects: a good object (id 0x3000_0000), then `bad`. Returns the
/// dump and the file offset of `bad`.
fn sample_with_bad_segment(s: &Sample, bad: &[u8]) -> (Vec<u8>, u64) {
    assert_eq!(s.id_size, 4);
    let mut w = s.start("1.0.2");
    w.segment(&s.classes);
    let mut b = Body::new(4);
    b.instance(0x3000_0000, s.c_object, &[]);
    let bad_at = w.len() + 9 + b.len() as u64;
    b.raw(bad);
    w.segment(&b)
        .segment(&s.objects)
        .segment(&s.roots)
        .heap_dump_end();
    (w.into_bytes(), bad_at)
}

/// Peak resident memory of this process, if Linux says.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? * 1024)
}

#[test]
fn corrupt_sub_records_are_skipped_with_a_warning() {
    let s = Sample::new(4);
    let huge = 0xFFFF_FFF0u64;
    let mut bad_class = Body::new(4);
    bad_class.class_dump(&ClassDef::new(0x3100_0000, s.c_object).field(1, BasicType::Int));
    let mut bad_class = bad_class.bytes().to_vec();
    *bad_class.last_mut().unwrap() = 3; // not a basic type
    let mut bad_static = Body::new(4);
    bad_static.class_dump(&ClassDef::new(0x3100_0000, s.c_object).static_field(1, Value::Int(5)));
    let mut bad_static = bad_static.bytes().to_vec();
    let type_at = bad_static.len() - 2 - 4 - 1;
    bad_static[type_at] = 12;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "object array of ~4 billion elements",
            be(&[
                (1, 0x22),
                (4, 0x3000_0100),
                (4, 1),
                (4, huge),
                (4, s.c_object_array),
                (4, s.d1),
            ]),
            "OBJECT ARRAY DUMP",
        ),
        (
            "long array of ~4 billion elements",
            be(&[
                (1, 0x23),
                (4, 0x3000_0100),
                (4, 1),
                (4, u32::MAX as u64),
                (1, 11),
                (8, 7),
            ]),
            "PRIMITIVE ARRAY DUMP",
        ),
        (
            "instance with ~4 billion bytes of fields",
            be(&[
                (1, 0x21),
                (4, 0x3000_0100),
                (4, 1),
                (4, s.c_base),
                (4, huge),
                (4, 7),
                (4, 0),
            ]),
            "INSTANCE DUMP",
        ),
        (
            "unknown sub-record tag",
            be(&[(1, 0x55), (4, 0x3000_0100), (4, 0)]),
            "unknown heap sub-record tag 0x55",
        ),
        ("CLASS DUMP field of type 3", bad_class, "value type 3"),
        ("CLASS DUMP static of type 12", bad_static, "value type 12"),
        (
            "primitive array of objects",
            be(&[
                (1, 0x23),
                (4, 0x3000_0100),
                (4, 1),
                (4, 1),
                (1, 2),
                (4, s.d1),
            ]),
            "value type 2",
        ),
        (
            "CLASS DUMP claiming 65535 statics",
            be(&[(1, 0x20), (4, 0x3100_0000), (4, 1), (4, s.c_object)])
                .into_iter()
                .chain([0; 5 * 4 + 4 + 2])
                .chain([0xFF, 0xFF, 0, 0, 0, 1, 10])
                .collect(),
            "CLASS DUMP",
        ),
    ];
    for (what, bad, says) in cases {
        let (bytes, bad_at) = sample_with_bad_segment(&s, &bad);
        let heap = load(&bytes);
        let w = warning_at(&heap, bad_at, says);
        assert!(w.contains("skipped"), "{what}: {w}");
        // The object before the bad record and every other segment load.
        assert_eq!(heap.object_count(), SAMPLE_OBJECTS + 1, "{what}");
        assert!(heap.find(0x3000_0000).is_some(), "{what}");
        assert!(heap.find(0x3000_0100).is_none(), "{what}");
        assert_eq!(heap.string(obj(&heap, s.s_utf16)).as_deref(), Some(UTF16));
        assert_eq!(heap.reference_count(), 27, "{what}");
        exercise(&heap);
    }
    if let Some(peak) = peak_rss() {
        assert!(
            peak < 1 << 30,
            "peak memory {peak} bytes: something allocated by a bad count"
        );
    }
}

/// A corrupt last segment followed by a record cut short: both are told.
#[test]
fn corruption_before_a_truncation_is_still_reported() {
    let s = Sample::new(4);
    let mut w = s.start("1.0.2");
    w.segment(&s.classes).segment(&s.roots);
    let mut b = s.objects.clone();
    let bad_at = w.len() + 9 + b.len() as u64;
    b.raw(&be(&[(1, 0x55), (4, 0)]));
    w.segment(&b);
    let cut_record = w.len();
    w.record_header(0x01, 100).raw(&[0, 0, 0, 1]);
    let end = w.len();
    let heap = load(w.bytes());
    warning_at(&heap, bad_at, "unknown heap sub-record tag 0x55");
    warning_at(&heap, cut_record, &format!("truncated at byte {end}"));
    assert_eq!(heap.object_count(), SAMPLE_OBJECTS);

    // The same with the cut inside the next record's header.
    let heap = load(&w.bytes()[..cut_record as usize + 4]);
    warning_at(&heap, bad_at, "unknown heap sub-record tag 0x55");
    assert_eq!(truncated_at(heap.warnings()), Some(cut_record + 4));
}

#[test]
fn corrupt_record_lengths() {
    let s = Sample::new(4);

    // A STACK TRACE claiming ~4 billion frames in a 20-byte record: the
    // record is skipped and the scan goes on.
    let mut w = s.start("1.0.2");
    let trace_at = w.len();
    w.record(
        0x05,
        &be(&[(4, 9), (4, 1), (4, u32::MAX as u64), (4, 1), (4, 2)]),
    );
    // A LOAD CLASS and a STRING too short for their fields.
    let load_at = w.len();
    w.record(0x02, &[0, 0, 0]);
    let string_at = w.len();
    w.record(0x01, &[0, 0]);
    w.segment(&s.classes)
        .segment(&s.objects)
        .segment(&s.roots)
        .heap_dump_end();
    let heap = load(w.bytes());
    assert!(warning_at(&heap, trace_at, "malformed STACK TRACE").contains("skipped"));
    warning_at(&heap, load_at, "malformed LOAD CLASS");
    warning_at(&heap, string_at, "malformed STRING IN UTF8");
    assert_eq!(heap.warnings().len(), 3, "{:?}", heap.warnings());
    assert_eq!(heap.object_count(), SAMPLE_OBJECTS);
    assert_eq!(heap.census().records.traces.len(), 2);
    assert_eq!(heap.threads()[0].frames.len(), 2);

    // A STRING record declaring 4 GiB - 1 bytes, at the end of the file.
    let mut w = Hprof::new("1.0.2", 4);
    w.raw(&s.dump("1.0.2", Packing::Segments)[HEADER_LEN..]);
    let string_at = w.len();
    w.record_header(0x01, u32::MAX).raw(&[0, 0, 0, 1, b'a']);
    let end = w.len();
    let heap = load(w.bytes());
    let warning = warning_at(&heap, string_at, "truncated");
    assert!(
        warning.contains(&format!("truncated at byte {end}")),
        "{warning}"
    );
    assert_eq!(heap.object_count(), SAMPLE_OBJECTS);
    assert_eq!(heap.census().records.truncated_at, Some(end));

    // A HEAP DUMP SEGMENT declaring 4 GiB - 256 bytes holding the objects:
    // they load; the roots after them were never written.
    let mut w = s.start("1.0.2");
    w.segment(&s.classes);
    let segment_at = w.len();
    w.record_header(0x1C, 0xFFFF_FF00).raw(s.objects.bytes());
    let end = w.len();
    let heap = load(w.bytes());
    let warning = warning_at(&heap, segment_at, "HEAP DUMP SEGMENT");
    assert!(
        warning.contains(&format!("truncated at byte {end}")),
        "{warning}"
    );
    assert_eq!(heap.object_count(), SAMPLE_OBJECTS);
    assert_eq!(heap.string(obj(&heap, s.s_latin1)).as_deref(), Some(LATIN1));
    assert!(heap.roots().is_empty());

    // An Android array without data may claim any length: it costs nothing.
    let mut w = s.start("1.0.3");
    let mut b = s.objects.clone();
    b.primitive_array_nodata(0x3000_0000, BasicType::Long, u32::MAX);
    w.segment(&s.classes).segment(&b).heap_dump_end();
    let heap = load(w.bytes());
    let a = heap.array(obj(&heap, 0x3000_0000)).unwrap();
    assert_eq!((a.len, a.get(12345)), (u32::MAX, None));
    assert_eq!(
        heap.shallow_size(obj(&heap, 0x3000_0000)),
        JVM_32.array(8, u32::MAX as u64)
    );
}

#[test]
fn objects_of_class_zero_or_of_a_class_without_a_dump() {
    // Found by the random-damage test: an object whose class id is 0.
    let s = Sample::new(4);
    let mut w = s.start("1.0.2");
    let mut b = s.objects.clone();
    b.instance(0x3000_0000, 0, &[Value::Int(1)])
        .object_array(0x3000_0100, 0, &[s.d1])
        .instance(0x3000_0200, 0x0bad_0000, &[]);
    w.segment(&s.classes).segment(&b).heap_dump_end();
    let heap = load(w.bytes());
    let class_name = |id| heap.class(heap.class_of(obj(&heap, id))).name.clone();
    assert_eq!(class_name(0x3000_0000), "<unknown class 0x0>");
    assert_eq!(class_name(0x3000_0100), "<unknown class 0x0>");
    assert_eq!(class_name(0x3000_0200), "<unknown class 0xbad0000>");
    has_warning(
        &heap,
        "2 classes have objects in the dump but no CLASS DUMP",
    );
    assert!(heap.fields(obj(&heap, 0x3000_0000)).is_empty());
    exercise(&heap);
}

/// Asserts a warning (that names no offset) says `what`.
fn has_warning(heap: &Heap, what: &str) {
    assert!(
        heap.warnings().iter().any(|w| w.contains(what)),
        "no warning \"{what}\": {:?}",
        heap.warnings()
    );
}

// ---------------------------------------------------------------------------
// 8. Files that are not dumps.

#[test]
fn not_a_dump_is_an_error_naming_file_and_offset() {
    let id_size_5 = {
        let mut h = b"JAVA PROFILE 1.0.2\0".to_vec();
        h.extend_from_slice(&5u32.to_be_bytes());
        h.extend_from_slice(&[0; 8]);
        h
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "text",
            b"Lorem ipsum dolor sit amet, this is not a heap dump at all.\n".repeat(20),
            "not an HPROF heap dump: expected the text \"JAVA PROFILE 1.0.1\", \"JAVA PROFILE 1.0.2\" or \"JAVA PROFILE 1.0.3\"",
        ),
        ("empty", Vec::new(), "the file is empty"),
        (
            "png",
            vec![
                0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, b'I', b'H', b'D',
                b'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0,
            ],
            "not an HPROF heap dump",
        ),
        (
            "version 1.0.9",
            Hprof::new("1.0.9", 8).into_bytes(),
            "unsupported HPROF version \"JAVA PROFILE 1.0.9\": expected 1.0.1, 1.0.2 or 1.0.3",
        ),
        (
            "id size 5",
            id_size_5,
            "at byte 19: identifier size is 5: expected 4 or 8",
        ),
        (
            "header cut after the magic",
            b"JAVA PROFILE 1.0.2\0\0\0".to_vec(),
            "ends inside the header: expected the identifier size",
        ),
    ];
    for (what, bytes, says) in cases {
        let f = temp_file(&bytes);
        let path = f.path().display().to_string();
        for result in [
            open(f.path()).map(|_| ()),
            open_census(f.path(), &LoadOptions::default(), &Progress::new()).map(|_| ()),
        ] {
            let e = result.expect_err(what).to_string();
            assert!(e.starts_with(&format!("{path}: at byte ")), "{what}: {e}");
            assert!(e.contains(says), "{what}: {e}");
            assert!(e.contains("expected"), "{what}: {e}");
        }
    }
    // gzip magic with garbage after it: an error naming the file.
    let f = temp_file(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xde, 0xad, 0xbe, 0xef]);
    let e = open(f.path()).err().expect("bad gzip").to_string();
    assert!(
        e.contains(&f.path().display().to_string()) && e.contains("gzip"),
        "{e}"
    );
}

// ---------------------------------------------------------------------------
// 9. gzip.

fn gzip_member(data: &[u8], comment: Option<&str>) -> Vec<u8> {
    let mut b = flate2::GzBuilder::new();
    if let Some(c) = comment {
        b = b.comment(c);
    }
    let mut enc = b.write(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

#[test]
fn gzip_dumps_load_like_the_plain_file() {
    let s = Sample::new(8);
    let plain = s.dump("1.0.2", Packing::Segments);
    let want = fingerprint(&load(&plain));

    // One plain gzip member.
    let single = gzip_member(&plain, None);
    let heap = load(&single);
    check_sample(&heap, &s);
    assert_eq!(fingerprint(&heap), want);
    assert_eq!(heap.dump().bytes(), &plain[..]);
    assert_eq!(
        heap.dump().compression(),
        &Compression::Gzip {
            compressed_bytes: single.len() as u64,
            block_size: None
        }
    );

    // Many members, as jcmd GC.heap_dump -gz writes: blocks of 256 bytes,
    // the first member's comment naming the block size.
    const BLOCK: usize = 256;
    let members: Vec<Vec<u8>> = plain
        .chunks(BLOCK)
        .enumerate()
        .map(|(k, c)| gzip_member(c, (k == 0).then_some("HPROF BLOCKSIZE=256")))
        .collect();
    assert!(members.len() > 4);
    let multi = members.concat();
    let heap = load(&multi);
    assert_eq!(fingerprint(&heap), want);
    assert!(heap.warnings().is_empty(), "{:?}", heap.warnings());
    assert_eq!(
        heap.dump().compression(),
        &Compression::Gzip {
            compressed_bytes: multi.len() as u64,
            block_size: Some(BLOCK as u64)
        }
    );
    let f = temp_file(&multi);
    let (_, census) = open_census(f.path(), &LoadOptions::default(), &Progress::new()).unwrap();
    assert_eq!(census.objects, SAMPLE_OBJECTS as u64);

    // Cut inside the fourth member: the three before it are all there.
    let cut: usize = members[..3].iter().map(Vec::len).sum::<usize>() + members[3].len() / 2;
    let heap = load(&multi[..cut]);
    let got = heap.dump().bytes();
    assert!(
        got.len() >= 3 * BLOCK && got.len() < plain.len(),
        "{}",
        got.len()
    );
    assert_eq!(got, &plain[..got.len()]);
    assert!(
        heap.warnings()[0].contains("gzip stream ends early"),
        "{:?}",
        heap.warnings()
    );
    assert_eq!(truncated_at(heap.warnings()), Some(got.len() as u64));
    assert!(heap.object_count() < SAMPLE_OBJECTS);
    exercise(&heap);

    // A single member cut in the middle.
    let heap = load(&single[..single.len() / 2]);
    let got = heap.dump().bytes();
    assert_eq!(got, &plain[..got.len()]);
    assert!(heap.warnings()[0].contains("gzip"), "{:?}", heap.warnings());
    assert!(heap.object_count() <= SAMPLE_OBJECTS);
}

// ---------------------------------------------------------------------------
// 10. Random damage.

/// xorshift64: a small deterministic generator.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Where the top-level records of `bytes` start, by their lengths.
fn record_starts(bytes: &[u8]) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut at = HEADER_LEN;
    while at + 9 <= bytes.len() {
        starts.push(at);
        let len = u32::from_be_bytes(bytes[at + 5..at + 9].try_into().unwrap()) as usize;
        at += 9 + len;
    }
    starts
}

/// Damages a copy of `original` in 1 to 4 places: a bit flip, a random or
/// extreme byte, a truncation, an inserted or deleted span, a u4 anywhere
/// or a record's length field set to an extreme.
fn mutate(original: &[u8], rng: &mut XorShift) -> Vec<u8> {
    let mut bytes = original.to_vec();
    let records = record_starts(original);
    for _ in 0..1 + rng.below(4) {
        if bytes.len() <= HEADER_LEN + 1 {
            break;
        }
        // Mostly past the header, where the parser has to cope.
        let at = if rng.below(16) == 0 {
            rng.below(bytes.len())
        } else {
            HEADER_LEN + rng.below(bytes.len() - HEADER_LEN)
        };
        let extreme = |rng: &mut XorShift| -> u32 {
            [
                0,
                1,
                0xFFFF_FFFF,
                0x8000_0000,
                0x7FFF_FFFF,
                rng.next() as u32,
            ][rng.below(6)]
        };
        match rng.below(9) {
            0 => bytes[at] ^= 1 << rng.below(8),
            1 => bytes[at] = rng.next() as u8,
            2 => bytes[at] = [0, 0xFF][rng.below(2)],
            3 => bytes.truncate(at),
            4 => {
                // Random bytes, or a copy of another part of the dump.
                let n = 1 + rng.below(64);
                let span: Vec<u8> = if rng.below(2) == 0 {
                    (0..n).map(|_| rng.next() as u8).collect()
                } else {
                    let from = rng.below(original.len());
                    original[from..(from + n).min(original.len())].to_vec()
                };
                bytes.splice(at..at, span);
            }
            5 => {
                let end = (at + 1 + rng.below(64)).min(bytes.len());
                bytes.drain(at..end);
            }
            6 | 7 if !records.is_empty() => {
                // A record's length field (or, past a change in length,
                // whatever is there now).
                let r = records[rng.below(records.len())] + 5;
                if r + 4 <= bytes.len() {
                    let v = if rng.below(2) == 0 {
                        extreme(rng)
                    } else {
                        let old = u32::from_be_bytes(bytes[r..r + 4].try_into().unwrap());
                        old.wrapping_add(rng.below(33) as u32).wrapping_sub(16)
                    };
                    bytes[r..r + 4].copy_from_slice(&v.to_be_bytes());
                }
            }
            _ => {
                // A whole u4 (a count or a length) set to an extreme.
                let v = extreme(rng);
                let end = (at + 4).min(bytes.len());
                bytes[at..end].copy_from_slice(&v.to_be_bytes()[..end - at]);
            }
        }
    }
    bytes
}

/// Runs every analysis the command line offers on `heap`, with the
/// reports of each: summary, histogram with retained sizes, dominators
/// over all and over strong references, paths of single objects and of a
/// class, finalizers.
fn analyze_everything(heap: &Heap) {
    use heapscope::analysis::dominators::Dominators;
    use heapscope::analysis::finalizers;
    use heapscope::analysis::graph::Referents;
    use heapscope::analysis::paths::{self, Filter, PathOptions, ShortestPaths};
    use heapscope::report;
    let p = Progress::new();
    exercise(heap);
    let n = heap.object_count();
    let mut all = None;
    for referents in [Referents::ALL, Referents::NONE] {
        let doms = Dominators::compute(heap, referents, &p).expect("not cancelled");
        assert!(doms.reachable <= n as u64);
        let biggest = doms.biggest(20);
        let children = doms.children();
        let _ = report::dominators::json(heap, &doms, &biggest, Some((&children, 10)));
        let _ = report::dominators::text(heap, &doms, &biggest, Some((&children, 10)));
        let per_class = doms.class_retained(heap, &children);
        let rows = heapscope::analysis::histogram::histogram_with(
            heap.census(),
            Some(&per_class),
            SortBy::Retained,
        );
        let _ = report::histogram::json(&rows, &rows);
        let _ = report::histogram::text(&rows, &rows);
        all.get_or_insert(doms);
    }
    let options = PathOptions::default();
    for o in [0, n / 2, n.saturating_sub(1)] {
        if o < n {
            let found = paths::paths_to_roots(heap, o, &options);
            let _ = report::paths::json(heap, o, "strong", &found);
            let _ = report::paths::text(heap, o, "strong", &found);
        }
    }
    if n > 0 {
        let filter = Filter::new(heap, Referents::NONE, &[]);
        let shortest = ShortestPaths::compute(&filter, &p).expect("not cancelled");
        let set = heap.instances_of(heap.class_of(n / 2));
        let merged = paths::merge_paths(&shortest, &set);
        let _ = report::paths::merged_json(heap, &merged, set.len());
        let _ = report::paths::merged_text(heap, &merged, set.len(), 10);
    }
    let r = finalizers::analyze(heap, all.as_ref(), &p).expect("not cancelled");
    let _ = report::finalizers::json(heap, &r);
    let _ = report::finalizers::text(heap, &r);
}

/// Mutates several dumps (the sample with 4-byte ids, a 1.0.1 single-record
/// dump, an Android dump, a jcmd-style chunked gzip one) and runs every
/// analysis on each mutant that loads, for 20 s or 20,000 mutants
/// (`HEAPSCOPE_FUZZ_SECONDS`, `HEAPSCOPE_FUZZ_ITERATIONS` and
/// `HEAPSCOPE_FUZZ_SEED` make a longer or different run). Any panic fails
/// the test and keeps the mutant in the temporary folder.
#[test]
fn random_damage_never_panics() {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let budget = Duration::from_secs(env("HEAPSCOPE_FUZZ_SECONDS").unwrap_or(20));
    let max = env("HEAPSCOPE_FUZZ_ITERATIONS").unwrap_or(20_000);
    let seed = env("HEAPSCOPE_FUZZ_SEED").unwrap_or(0x9E37_79B9_7F4A_7C15);
    let (s4, s8) = (Sample::new(4), Sample::new(8));
    let sample = s4.dump("1.0.2", Packing::Segments);
    let chunked = |plain: &[u8]| -> Vec<u8> {
        plain
            .chunks(256)
            .enumerate()
            .flat_map(|(k, c)| gzip_member(c, (k == 0).then_some("HPROF BLOCKSIZE=256")))
            .collect()
    };
    // The last one is gzipped: damaged before compression (a damaged
    // dump, compressed) or after (a damaged gzip stream).
    let fixtures: [(&str, Vec<u8>); 4] = [
        ("sample 1.0.2", sample),
        (
            "1.0.1 single HEAP DUMP",
            s8.dump("1.0.1", Packing::OneHeapDump),
        ),
        ("Android 1.0.3", s8.dump("1.0.3", Packing::ArtOrder)),
        ("chunked gzip", s8.dump("1.0.2", Packing::ManySegments)),
    ];
    let gzipped = chunked(&fixtures[3].1);
    let file = tempfile::NamedTempFile::new().unwrap();
    let start = Instant::now();
    let mut ran = [0u64; 4];
    let mut loaded = [0u64; 4];
    let mut iteration = 0u64;
    while iteration < max && start.elapsed() < budget {
        let k = (iteration % 4) as usize;
        let (name, original) = &fixtures[k];
        let mut rng = XorShift(seed ^ iteration.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1);
        let bytes = match k {
            3 if rng.below(2) == 0 => chunked(&mutate(original, &mut rng)),
            3 => mutate(&gzipped, &mut rng),
            _ => mutate(original, &mut rng),
        };
        std::fs::write(file.path(), &bytes).unwrap();
        let result = std::panic::catch_unwind(|| match open(file.path()) {
            Ok(heap) => {
                analyze_everything(&heap);
                true
            }
            Err(e) => {
                // A refusal names the file.
                assert!(
                    e.to_string().contains(&file.path().display().to_string()),
                    "{e}"
                );
                false
            }
        });
        match result {
            Ok(ok) => loaded[k] += ok as u64,
            Err(_) => {
                let kept =
                    std::env::temp_dir().join(format!("heapscope-fuzz-{seed:x}-{iteration}.hprof"));
                std::fs::write(&kept, &bytes).unwrap();
                panic!(
                    "seed {seed:#x}, iteration {iteration} ({name}): a panic; the input is in {}",
                    kept.display()
                );
            }
        }
        ran[k] += 1;
        iteration += 1;
    }
    eprintln!(
        "fuzz: {iteration} mutants in {:.1} s; per fixture ran/loaded: {}",
        start.elapsed().as_secs_f64(),
        fixtures
            .iter()
            .zip(ran.iter().zip(&loaded))
            .map(|((name, _), (r, l))| format!("{name} {r}/{l}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    assert!(iteration >= 40, "only {iteration} mutants in {budget:?}");
    for (k, (name, _)) in fixtures.iter().enumerate() {
        // Most damage still loads (as a truncated or damaged dump).
        assert!(
            loaded[k] * 4 > ran[k],
            "{name}: only {} of {} mutants loaded",
            loaded[k],
            ran[k]
        );
    }
}

// ---------------------------------------------------------------------------
// 11. Past 4 GiB.

/// A dump of more than 4 GiB made as a sparse file: two 2 GiB records of an
/// unknown tag whose bodies are holes, then the sample's heap.
#[test]
fn objects_after_4_gib() {
    use std::io::{Seek, SeekFrom};
    use std::os::unix::fs::MetadataExt;

    const HOLE: u32 = 0x8000_0000;
    let s = Sample::new(8);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.hprof");
    let mut file = std::fs::File::create(&path).unwrap();
    file.write_all(s.start("1.0.2").bytes()).unwrap();
    for _ in 0..2 {
        let mut header = Hprof::new("1.0.2", 8);
        header.record_header(0x99, HOLE);
        file.write_all(&header.bytes()[HEADER_LEN..]).unwrap();
        file.seek(SeekFrom::Current(HOLE as i64)).unwrap();
    }
    let heap_at = file.stream_position().unwrap();
    assert!(heap_at > 1 << 32);
    let mut rest = Hprof::new("1.0.2", 8);
    rest.segment(&s.classes)
        .segment(&s.objects)
        .segment(&s.roots)
        .heap_dump_end();
    if let Err(e) = file.write_all(&rest.bytes()[HEADER_LEN..]) {
        eprintln!(
            "skipped: cannot write past 4 GiB in {}: {e}",
            dir.path().display()
        );
        return;
    }
    file.sync_all().unwrap();
    let meta = file.metadata().unwrap();
    let allocated = meta.blocks() * 512;
    if allocated > 64 << 20 {
        eprintln!(
            "skipped: the filesystem of {} does not keep holes ({allocated} bytes allocated)",
            dir.path().display()
        );
        return;
    }
    assert_eq!(meta.len(), heap_at + rest.len() - HEADER_LEN as u64);

    let heap = open(&path).unwrap();
    check_sample(&heap, &s);
    for o in 0..heap.object_count() {
        assert!(
            heap.record_offset(o) > heap_at,
            "object {o} at {}",
            heap.record_offset(o)
        );
    }
    let d1 = obj(&heap, s.d1);
    assert!(heap.record_offset(d1) > 1 << 32);
    let derived = heap.classes().find("Derived").unwrap();
    assert!(heap.class(derived).dump_offset.unwrap() > 1 << 32);
    let records = &heap.census().records;
    assert_eq!(records.record_counts[&0x99], 2);
    assert!(records.segments.iter().all(|seg| seg.offset > heap_at));
}

// ---------------------------------------------------------------------------
// 12. The command line.

fn heapscope(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_heapscope"))
        .args(args)
        .output()
        .expect("run heapscope")
}

#[test]
fn command_line_exit_codes_and_json() {
    let s = Sample::new(8);
    let f = temp_file(&s.dump("1.0.2", Packing::Segments));
    let path = f.path().to_str().unwrap();

    let out = heapscope(&["summary", "--json", path]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for key in [
        "file",
        "format",
        "id_size",
        "timestamp_ms",
        "compression",
        "dump_bytes",
        "objects",
        "classes",
        "shallow_bytes",
        "gc_roots",
        "gc_root_kinds",
        "references",
        "dangling_references",
        "threads",
        "layout",
        "truncated",
        "model_bytes",
        "warnings",
    ] {
        assert!(keys.contains(&key), "summary JSON lacks {key}: {keys:?}");
    }
    assert_eq!(json["file"], path);
    assert_eq!(json["format"], "JAVA PROFILE 1.0.2");
    assert_eq!(json["id_size"], 8);
    assert_eq!(json["timestamp_ms"], 0x0000_01a2_0f5f_53a0u64);
    assert_eq!(json["compression"], serde_json::Value::Null);
    assert_eq!(json["objects"], SAMPLE_OBJECTS);
    assert_eq!(json["classes"], SAMPLE_CLASSES);
    assert_eq!(json["gc_roots"], 10);
    assert_eq!(json["gc_root_kinds"]["sticky class"], 2);
    assert_eq!(json["references"], 27);
    assert_eq!(json["dangling_references"], 0);
    assert_eq!(json["threads"], 1);
    assert_eq!(json["layout"]["name"], "compressed");
    assert_eq!(json["layout"]["source"], "inferred");
    assert_eq!(json["layout"]["gaps_checked"], 17);
    assert_eq!(json["truncated"], false);
    assert_eq!(json["warnings"], serde_json::json!([]));

    let out = heapscope(&["histogram", "--json", "--sort", "instances", path]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let classes = json["classes"].as_array().unwrap();
    assert_eq!(classes[0]["name"], "java.lang.Class");
    assert_eq!(classes[0]["class_id"], format!("{:#x}", s.c_class));
    let derived = classes.iter().find(|c| c["name"] == "Derived").unwrap();
    assert_eq!(derived["class_id"], format!("{:#x}", s.c_derived));
    assert_eq!(derived["class_id"], "0x7c0000500");
    assert_eq!(derived["instances"], 1);
    assert_eq!(derived["shallow_bytes"], JVM_COMPRESSED.instance(34, 2));
    assert!(
        classes.iter().all(|c| c["class_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("0x"))),
        "class ids are hex strings"
    );
    assert_eq!(json["total_instances"], SAMPLE_OBJECTS);

    // A file that is not a dump: exit 1, the reason on stderr.
    let bad = temp_file(b"this is not a heap dump\n");
    let bad_path = bad.path().to_str().unwrap();
    for command in ["summary", "histogram"] {
        let out = heapscope(&[command, bad_path]);
        assert_eq!(out.status.code(), Some(1), "{command}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("{bad_path}: at byte 0: not an HPROF heap dump")),
            "{command}: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{command}");
    }
    let out = heapscope(&["summary", "/nonexistent/dump.hprof"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/dump.hprof"));

    // Bad usage: exit 2.
    for args in [
        &["summary", "--bogus", path][..],
        &["histogram", "--top", "many", path],
        &["histogram", "--filter", "(", path],
        &["summary", "--layout", "round", path],
        &["frobnicate", path],
    ] {
        let out = heapscope(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
}

// ---------------------------------------------------------------------------
// 8. The owner tree of a comparison on known shapes.

/// A root holding a chain that alternates classes A and B, `pairs` pairs
/// long, each link's `next` field pointing at the following one.
fn alternating_chain(pairs: u64) -> Vec<u8> {
    let (c_object, c_a, c_b) = (0x100u64, 0x200, 0x300);
    let mut w = Hprof::new("1.0.2", 4);
    w.string(1, "java/lang/Object")
        .string(2, "A")
        .string(3, "B")
        .string(4, "next")
        .load_class(1, c_object, 1)
        .load_class(2, c_a, 2)
        .load_class(3, c_b, 3);
    let mut b = Body::new(4);
    b.class_dump(&ClassDef::new(c_object, 0));
    for c in [c_a, c_b] {
        b.class_dump(
            &ClassDef::new(c, c_object)
                .field(4, BasicType::Object)
                .instance_size(4),
        );
    }
    let ids: Vec<u64> = (0..2 * pairs).map(|i| 0x10000 + 16 * i).collect();
    for (i, &id) in ids.iter().enumerate() {
        let next = ids.get(i + 1).copied().unwrap_or(0);
        let class = if i % 2 == 0 { c_a } else { c_b };
        b.instance(id, class, &[Value::Object(next)]);
    }
    b.root_jni_global(ids[0], 0);
    w.segment(&b).heap_dump_end();
    w.into_bytes()
}

#[test]
fn owner_tree_folds_repeated_classes_without_counting_twice() {
    use heapscope::analysis::diff::{self, Snapshot};
    let snapshot = |pairs| {
        let heap = load(&alternating_chain(pairs));
        Snapshot::of_model(&heap, "chain", &Progress::new()).unwrap()
    };
    let before = snapshot(10);
    let tree = before.owners.as_ref().unwrap();
    let node = |path: &[&str]| {
        (0..tree.nodes.len() as u32)
            .find(|&n| tree.path(n) == path)
            .unwrap_or_else(|| panic!("{path:?}"))
    };
    // A > B > A > B ... folds into the two nodes A and A > B.
    let (a, ab) = (node(&["A"]), node(&["A", "B"]));
    let (ca, cb) = (
        tree.nodes[a as usize].counts,
        tree.nodes[ab as usize].counts,
    );
    assert_eq!((ca.objects, cb.objects), (10, 10));
    // One container each: the first A and the first B; every later link is
    // inside them, and their retained sizes are not added again. The first
    // A holds the whole heap: 20 links and the class objects A, B and
    // Object, which only the links reach (object -> class edges); the first
    // B holds 19 links and class B.
    assert_eq!((ca.entries, cb.entries), (1, 1));
    let all = tree.nodes[0].counts;
    assert_eq!((all.retained_objects, ca.retained_objects), (23, 23));
    assert_eq!(ca.retained, all.retained);
    assert_eq!(cb.retained_objects, 20);
    let class_b = tree.nodes[node(&["A", "B", "class B"]) as usize].counts;
    assert_eq!(
        cb.retained,
        cb.shallow + ca.shallow / 10 * 9 + class_b.shallow
    );
    // Five more pairs. Both nodes keep one container, so each owns the
    // links folded into it; the A row retains all ten new links.
    let result = diff::compare(&before, &snapshot(15));
    let owners = result.owners.unwrap();
    let row = |path: &[&str]| {
        let o = owners.iter().find(|o| o.path == path).unwrap();
        let classes: Vec<(&str, i64)> = o.classes.iter().map(|c| (c.0.as_str(), c.1)).collect();
        (
            o.before.entries,
            o.after.entries,
            o.objects_delta(),
            classes,
        )
    };
    assert_eq!(row(&["A"]), (1, 1, 10, vec![("A", 5)]));
    assert_eq!(row(&["A", "B"]), (1, 1, 10, vec![("B", 5)]));
    assert_eq!(owners.len(), 2);
    assert_eq!(
        owners[0].growth + owners[1].growth,
        owners[0].retained_delta()
    );
}

/// A class that is its own superclass: loading stops following the chain
/// and says so, and reading an instance's fields ends.
#[test]
fn superclass_cycle_is_a_warning() {
    let (c_loop, o) = (0x100u64, 0x1000u64);
    let mut w = Hprof::new("1.0.2", 4);
    w.string(1, "Loop").string(2, "x").load_class(1, c_loop, 1);
    let mut b = Body::new(4);
    b.class_dump(
        &ClassDef::new(c_loop, c_loop)
            .field(2, BasicType::Int)
            .instance_size(4),
    )
    .instance(o, c_loop, &[Value::Int(7)])
    .root_jni_global(o, 0);
    w.segment(&b).heap_dump_end();
    let heap = load(w.bytes());
    assert!(
        heap.warnings()
            .iter()
            .any(|w| w.contains("superclass cycle")),
        "{:?}",
        heap.warnings()
    );
    let x = heap.find(o).unwrap();
    assert_eq!(heap.field(x, "x"), Some(Value::Int(7)));
    assert_eq!(heap.fields(x).len(), 1);

    // A two-class cycle, A > B > A: cut once, where it comes back.
    let (c_a, c_b) = (0x100u64, 0x200u64);
    let mut w = Hprof::new("1.0.2", 4);
    w.string(1, "A")
        .string(2, "B")
        .string(3, "a")
        .string(4, "b")
        .load_class(1, c_a, 1)
        .load_class(2, c_b, 2);
    let mut b = Body::new(4);
    b.class_dump(&ClassDef::new(c_a, c_b).field(3, BasicType::Int))
        .class_dump(&ClassDef::new(c_b, c_a).field(4, BasicType::Int))
        .instance(o, c_a, &[Value::Int(1), Value::Int(2)])
        .root_jni_global(o, 0);
    w.segment(&b).heap_dump_end();
    let heap = load(w.bytes());
    let cycles: Vec<&String> = heap
        .warnings()
        .iter()
        .filter(|w| w.contains("superclass cycle"))
        .collect();
    assert_eq!(cycles.len(), 1, "{:?}", heap.warnings());
    assert!(
        cycles[0].starts_with("1 superclass cycle (the first through class B"),
        "{}",
        cycles[0]
    );
    let x = heap.find(o).unwrap();
    let names: Vec<&str> = heap.fields(x).iter().map(|f| f.name).collect();
    assert_eq!(names, ["a", "b"]);
}

/// A 10,000-deep superclass chain is no cycle: it loads without a warning
/// and the deepest class's instance has every level's field.
#[test]
fn a_deep_superclass_chain_is_not_a_cycle() {
    const DEPTH: u64 = 10_000;
    let class_id = |k: u64| 0x10_0000 + 16 * k;
    let mut w = Hprof::new("1.0.2", 8);
    w.string(1, "java/lang/Object").string(2, "f");
    w.load_class(1, 0x100, 1);
    for k in 0..DEPTH {
        w.string(10 + k, &format!("C{k}"));
        w.load_class(2 + k as u32, class_id(k), 10 + k);
    }
    let mut b = Body::new(8);
    b.class_dump(&ClassDef::new(0x100, 0));
    for k in 0..DEPTH {
        let sup = if k == 0 { 0x100 } else { class_id(k - 1) };
        b.class_dump(&ClassDef::new(class_id(k), sup).field(2, BasicType::Int));
    }
    // Own fields first, then the superclass's: C9999's, ..., C0's.
    let values: Vec<Value> = (0..DEPTH).rev().map(|k| Value::Int(k as i32)).collect();
    let o = 0x1000_0000u64;
    b.instance(o, class_id(DEPTH - 1), &values)
        .root_jni_global(o, 0);
    w.segment(&b).heap_dump_end();
    let heap = load(w.bytes());
    assert!(heap.warnings().is_empty(), "{:?}", heap.warnings());
    let deepest = heap.classes().find(&format!("C{}", DEPTH - 1)).unwrap();
    assert_eq!(heap.classes().ancestors(deepest).count() as u64, DEPTH + 1);
    assert_eq!(heap.class(deepest).value_bytes as u64, 4 * DEPTH);
    let x = heap.find(o).unwrap();
    let fields = heap.fields(x);
    assert_eq!(fields.len() as u64, DEPTH);
    for (i, f) in fields.iter().enumerate() {
        let k = DEPTH - 1 - i as u64;
        assert_eq!(heap.class(f.declared_by).name, format!("C{k}"));
        assert_eq!(f.value, Value::Int(k as i32));
    }
    assert!(
        heap.classes()
            .is_subclass(deepest, heap.classes().find("C0").unwrap())
    );
}
