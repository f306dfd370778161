//! Object sizes on JVMs the tests cannot run: hand-made heaps of JDK 6, 8,
//! 11 and 17 (their system properties, the version classes, the classes
//! whose layout rules changed) and of the old hprof agent (4-byte serial
//! numbers as ids on a 64-bit JVM). Each expected size is worked out by
//! hand in the comment beside it, from HotSpot's layout code.

mod common;

use std::collections::HashMap;

use common::{BasicType, Body, ClassDef, Hprof, Value, temp_file};
use heapscope::heap::layout::LAYOUTS_64;
use heapscope::heap::shapes::FieldOrder;
use heapscope::heap::{Heap, Layout, LayoutSource, LoadOptions};
use heapscope::progress::Progress;

use BasicType::{Boolean, Byte, Char, Int, Long, Object as Ref};

/// How the heap's Strings and Properties are built.
#[derive(Clone, Copy, PartialEq)]
enum Jdk {
    /// `char[] value` with offset and count; Properties is a Hashtable.
    Six,
    /// `char[] value`, hash; Properties is a Hashtable.
    Eight,
    /// `byte[] value` and coder; Properties holds a ConcurrentHashMap.
    Nine,
}

/// A small heap written record by record: classes by name, objects with
/// ids from a bump allocator (`step` apart, or sized by the caller).
struct HeapWriter {
    w: Hprof,
    classes_body: Body,
    objects: Body,
    symbols: HashMap<String, u64>,
    classes: HashMap<String, u64>,
    next_symbol: u64,
    next_id: u64,
    /// Address space of a class or an object of no given size: 0x40, or
    /// 1 for 4-byte ids (serial numbers, as the old hprof agent writes).
    step: u64,
    serial: u32,
    jdk: Jdk,
}

impl HeapWriter {
    fn new(id_size: u32, jdk: Jdk, first_id: u64) -> HeapWriter {
        let mut h = HeapWriter {
            w: Hprof::new("1.0.2", id_size),
            classes_body: Body::new(id_size),
            objects: Body::new(id_size),
            symbols: HashMap::new(),
            classes: HashMap::new(),
            next_symbol: 0x10,
            next_id: first_id,
            step: if id_size == 4 { 1 } else { 0x40 },
            serial: 1,
            jdk,
        };
        h.class("java.lang.Object", None, &[]);
        match jdk {
            Jdk::Six => {
                h.class(
                    "java.lang.String",
                    Some("java.lang.Object"),
                    &[
                        ("value", Ref),
                        ("offset", Int),
                        ("count", Int),
                        ("hash", Int),
                    ],
                );
            }
            Jdk::Eight => {
                h.class(
                    "java.lang.String",
                    Some("java.lang.Object"),
                    &[("value", Ref), ("hash", Int)],
                );
            }
            Jdk::Nine => {
                h.class(
                    "java.lang.String",
                    Some("java.lang.Object"),
                    &[("value", Ref), ("coder", Byte), ("hash", Int)],
                );
            }
        }
        h.array_class("[C");
        h.array_class("[B");
        h
    }

    fn symbol(&mut self, text: &str) -> u64 {
        if let Some(&id) = self.symbols.get(text) {
            return id;
        }
        let id = self.next_symbol;
        self.next_symbol += 1;
        self.w.string(id, text);
        self.symbols.insert(text.to_string(), id);
        id
    }

    fn alloc(&mut self, size: u64) -> u64 {
        let id = self.next_id;
        self.next_id += size;
        id
    }

    fn load(&mut self, name: &str, id: u64) {
        let internal = if name.starts_with('[') {
            name.to_string()
        } else {
            name.replace('.', "/")
        };
        let name_id = self.symbol(&internal);
        self.w.load_class(self.serial, id, name_id);
        self.serial += 1;
        self.classes.insert(name.to_string(), id);
    }

    fn array_class(&mut self, name: &str) -> u64 {
        let id = self.alloc(self.step);
        self.load(name, id);
        let object = self.classes["java.lang.Object"];
        self.classes_body.class_dump(&ClassDef::new(id, object));
        id
    }

    /// A class with these own fields and statics.
    fn class_with(
        &mut self,
        name: &str,
        sup: Option<&str>,
        fields: &[(&str, BasicType)],
        statics: &[(&str, Value)],
    ) -> u64 {
        let id = self.alloc(self.step);
        self.load(name, id);
        let mut def = ClassDef::new(id, sup.map_or(0, |s| self.classes[s]));
        for &(f, ty) in fields {
            def = def.field(self.symbol(f), ty);
        }
        for &(f, v) in statics {
            def = def.static_field(self.symbol(f), v);
        }
        self.classes_body.class_dump(&def);
        id
    }

    fn class(&mut self, name: &str, sup: Option<&str>, fields: &[(&str, BasicType)]) -> u64 {
        self.class_with(name, sup, fields, &[])
    }

    /// An instance of `class`, `values` in dump order, `size` bytes of
    /// address space.
    fn instance_sized(&mut self, class: &str, values: &[Value], size: u64) -> u64 {
        let id = self.alloc(size);
        let c = self.classes[class];
        self.objects.instance(id, c, values);
        id
    }

    fn instance(&mut self, class: &str, values: &[Value]) -> u64 {
        self.instance_sized(class, values, self.step)
    }

    /// A `java.lang.String` of `text` (ASCII) and its array.
    fn string(&mut self, text: &str) -> u64 {
        let array = self.alloc(self.step);
        let value = Value::Object(array);
        match self.jdk {
            Jdk::Nine => {
                self.objects.byte_array(array, text.as_bytes());
                self.instance("java.lang.String", &[value, Value::Byte(0), Value::Int(0)])
            }
            jdk => {
                let chars: Vec<Value> = text.encode_utf16().map(Value::Char).collect();
                self.objects.primitive_array(array, Char, &chars);
                let mut values = vec![value];
                if jdk == Jdk::Six {
                    values.extend([Value::Int(0), Value::Int(chars.len() as i32)]);
                }
                values.push(Value::Int(0));
                self.instance("java.lang.String", &values)
            }
        }
    }

    /// `java.util.Properties` with these entries, and `java.lang.System`
    /// whose static `props` holds it.
    fn system_properties(&mut self, entries: &[(&str, &str)]) {
        let props = match self.jdk {
            Jdk::Nine => {
                self.class(
                    "java.util.concurrent.ConcurrentHashMap",
                    Some("java.lang.Object"),
                    &[("table", Ref), ("sizeCtl", Int)],
                );
                self.class(
                    "java.util.concurrent.ConcurrentHashMap$Node",
                    Some("java.lang.Object"),
                    &[("hash", Int), ("key", Ref), ("val", Ref), ("next", Ref)],
                );
                self.array_class("[Ljava.util.concurrent.ConcurrentHashMap$Node;");
                self.class(
                    "java.util.Properties",
                    Some("java.lang.Object"),
                    &[("defaults", Ref), ("map", Ref)],
                );
                // Two entries per bin: chains are followed.
                let nodes = self.chained("java.util.concurrent.ConcurrentHashMap$Node", entries);
                let table = self.alloc(self.step);
                let array_class = self.classes["[Ljava.util.concurrent.ConcurrentHashMap$Node;"];
                self.objects.object_array(table, array_class, &nodes);
                let map = self.instance(
                    "java.util.concurrent.ConcurrentHashMap",
                    &[Value::Object(table), Value::Int(0)],
                );
                self.instance(
                    "java.util.Properties",
                    &[Value::Object(0), Value::Object(map)],
                )
            }
            _ => {
                self.class(
                    "java.util.Hashtable",
                    Some("java.lang.Object"),
                    &[("table", Ref), ("count", Int)],
                );
                self.class(
                    "java.util.Hashtable$Entry",
                    Some("java.lang.Object"),
                    &[("hash", Int), ("key", Ref), ("value", Ref), ("next", Ref)],
                );
                self.array_class("[Ljava.util.Hashtable$Entry;");
                self.class(
                    "java.util.Properties",
                    Some("java.util.Hashtable"),
                    &[("defaults", Ref)],
                );
                let nodes = self.chained("java.util.Hashtable$Entry", entries);
                let table = self.alloc(self.step);
                let array_class = self.classes["[Ljava.util.Hashtable$Entry;"];
                self.objects.object_array(table, array_class, &nodes);
                // Properties' own field, then Hashtable's.
                self.instance(
                    "java.util.Properties",
                    &[Value::Object(0), Value::Object(table), Value::Int(0)],
                )
            }
        };
        self.class_with(
            "java.lang.System",
            Some("java.lang.Object"),
            &[],
            &[("props", Value::Object(props))],
        );
    }

    /// Map entries of class `node` (hash, key, value, next), two to a
    /// chain; returns the chain heads.
    fn chained(&mut self, node: &str, entries: &[(&str, &str)]) -> Vec<u64> {
        let mut heads = Vec::new();
        for pair in entries.chunks(2) {
            let mut next = 0;
            for &(k, v) in pair.iter().rev() {
                let (k, v) = (self.string(k), self.string(v));
                next = self.instance(
                    node,
                    &[
                        Value::Int(0),
                        Value::Object(k),
                        Value::Object(v),
                        Value::Object(next),
                    ],
                );
            }
            heads.push(next);
            heads.push(0);
        }
        heads
    }

    /// The dump: every class dump in one segment, then the objects in
    /// another (`one_record`: both in a single HEAP DUMP record).
    fn finish(mut self, one_record: bool) -> Vec<u8> {
        if one_record {
            let mut all = self.classes_body.clone();
            all.append(&self.objects);
            self.w.heap_dump(&all);
        } else {
            self.w.segment(&self.classes_body);
            self.w.segment(&self.objects);
            self.w.heap_dump_end();
        }
        self.w.into_bytes()
    }
}

fn open(bytes: &[u8], layout: Option<Layout>) -> Heap {
    let f = temp_file(bytes);
    let options = LoadOptions {
        layout,
        ..LoadOptions::default()
    };
    Heap::open(f.path(), &options, &Progress::new())
        .unwrap_or_else(|e| panic!("the dump should load: {e}"))
}

/// The shallow size of the first instance of `class`.
fn size_of(heap: &Heap, class: &str) -> u64 {
    let c = heap.classes().find(class).expect(class);
    let o = heap.instances_of(c)[0];
    heap.shallow_size(o)
}

fn hotspot_props(version: &str, vm: &str, vendor: &str) -> Vec<(&'static str, String)> {
    vec![
        ("java.version", version.to_string()),
        ("java.vm.name", vm.to_string()),
        ("java.vendor", vendor.to_string()),
        ("os.arch", "amd64".to_string()),
        ("sun.arch.data.model", "64".to_string()),
    ]
}

/// A JDK 6/8 heap (Hashtable properties) with the classes whose sizes
/// differ between releases.
fn old_heap(id_size: u32, jdk: Jdk, version: &str) -> HeapWriter {
    let mut h = HeapWriter::new(
        id_size,
        jdk,
        if id_size == 4 { 1 } else { 0x7f00_0000_0000 },
    );
    let props = hotspot_props(
        version,
        "Java HotSpot(TM) 64-Bit Server VM",
        "Sun Microsystems Inc.",
    );
    let props: Vec<(&str, &str)> = props.iter().map(|(k, v)| (*k, v.as_str())).collect();
    h.system_properties(&props);
    h.class(
        "java.lang.ClassLoader",
        Some("java.lang.Object"),
        &[("parent", Ref), ("classes", Ref), ("packages", Ref)],
    );
    h.class("AppLoader", Some("java.lang.ClassLoader"), &[]);
    h.instance(
        "AppLoader",
        &[Value::Object(0), Value::Object(0), Value::Object(0)],
    );
    h.class(
        "java.lang.Thread",
        Some("java.lang.Object"),
        &[
            ("name", Ref),
            ("priority", Int),
            ("threadLocalRandomSeed", Long),
            ("threadLocalRandomProbe", Int),
            ("threadLocalRandomSecondarySeed", Int),
        ],
    );
    h.instance(
        "java.lang.Thread",
        &[
            Value::Object(0),
            Value::Int(5),
            Value::Long(0),
            Value::Int(0),
            Value::Int(0),
        ],
    );
    h
}

#[test]
fn jdk6_version_and_sizes_from_the_system_properties() {
    let heap = open(&old_heap(8, Jdk::Six, "1.6.0_45").finish(false), None);
    let jvm = &heap.census().jvm;
    assert_eq!(jvm.version.as_deref(), Some("1.6.0_45"));
    assert_eq!(jvm.feature, Some(6));
    assert_eq!(jvm.vendor.as_deref(), Some("Sun Microsystems Inc."));
    assert_eq!(
        jvm.vm_name.as_deref(),
        Some("Java HotSpot(TM) 64-Bit Server VM")
    );
    assert_eq!(jvm.source.as_deref(), Some("the system properties"));
    let layout = &heap.census().layout;
    assert_eq!(layout.rules.order, FieldOrder::Legacy);
    assert!(
        layout.describe().contains("JDK 6-14 field layout (JDK 6)"),
        "{}",
        layout.describe()
    );
    // The ids are 0x40 apart whatever the size: no layout predicts them,
    // the first (compressed) is taken.
    assert_eq!(layout.layout, LAYOUTS_64[0].layout);
    // String: header 12, three ints to 24, the reference to 28: 32.
    assert_eq!(size_of(&heap, "java.lang.String"), 32);
    // A JDK 6 class loader has no injected loader_data: 12 + 3 x 4 = 24.
    assert_eq!(size_of(&heap, "AppLoader"), 24);
    // No @Contended before JDK 8: the int fills the gap before the long
    // (12..16), long to 24, ints to 32, the reference to 36: 40.
    assert_eq!(size_of(&heap, "java.lang.Thread"), 40);

    // The same heap without compressed oops: fields start at 16, not 12
    // (HotSpot's base offset is 12 only with both compressed oops and
    // compressed class pointers), so String is 16 + 12 = 28, the
    // reference aligned to 32, then 40.
    for name in ["wide-oops", "wide"] {
        let wide = open(
            &old_heap(8, Jdk::Six, "1.6.0_45").finish(false),
            Some(Layout::parse(name).unwrap()),
        );
        assert_eq!(size_of(&wide, "java.lang.String"), 40, "{name}");
    }
}

#[test]
fn jdk8_adds_loader_data_and_contended_padding() {
    let heap = open(&old_heap(8, Jdk::Eight, "1.8.0_292").finish(false), None);
    assert_eq!(heap.census().jvm.feature, Some(8));
    assert_eq!(heap.census().layout.rules.order, FieldOrder::Legacy);
    // String: header 12, the int to 16, the reference to 20: 24.
    assert_eq!(size_of(&heap, "java.lang.String"), 24);
    // loader_data (8 bytes) is injected from JDK 8: the first reference
    // fills 12..16, the pointer 16..24, two references to 32.
    assert_eq!(size_of(&heap, "AppLoader"), 32);
    // Thread's "tlr" group is padded: priority 12..16, name 16..20, then
    // 128 bytes to 148, the long at 152..160, the ints to 168, and 128
    // bytes after the group: 296.
    assert_eq!(size_of(&heap, "java.lang.Thread"), 296);
}

#[test]
fn jdk6_strings_of_the_agent_with_serial_number_ids() {
    // The old hprof agent writes 4-byte serial numbers as ids on a 64-bit
    // JVM: the gaps measure nothing, the system properties say 64-bit.
    let bytes = old_heap(4, Jdk::Six, "1.6.0_45").finish(true);
    let heap = open(&bytes, None);
    let layout = &heap.census().layout;
    let LayoutSource::Assumed(why) = &layout.source else {
        panic!("assumed, not {:?}", layout.source);
    };
    assert!(
        why.contains("not addresses") && why.contains("64-Bit"),
        "{why}"
    );
    assert!(
        layout.describe().contains("--layout overrides"),
        "{}",
        layout.describe()
    );
    // Compressed oops, the 64-bit default from 6u23; references are 4
    // bytes because the layout says so, not because the ids are.
    assert_eq!(layout.layout, LAYOUTS_64[0].layout);
    assert_eq!(size_of(&heap, "java.lang.String"), 32);
    let wide = open(&bytes, Some(Layout::parse("wide-oops").unwrap()));
    assert_eq!(size_of(&wide, "java.lang.String"), 40);

    // Before 6u23 a 64-bit JVM had wide references by default.
    let early = open(&old_heap(4, Jdk::Six, "1.6.0_20").finish(true), None);
    assert_eq!(early.census().layout.layout, LAYOUTS_64[2].layout);
    assert_eq!(size_of(&early, "java.lang.String"), 40);
}

#[test]
fn thirty_two_bit_agent_dump_stays_32_bit() {
    // The same agent dump from a 32-bit JVM: nothing says 64-bit.
    let mut h = HeapWriter::new(4, Jdk::Six, 1);
    let props = [
        ("java.version", "1.6.0_45"),
        ("java.vm.name", "Java HotSpot(TM) Client VM"),
        ("os.arch", "i386"),
        ("sun.arch.data.model", "32"),
    ];
    h.system_properties(&props);
    let heap = open(&h.finish(true), None);
    assert_eq!(heap.census().jvm.data_model, Some(32));
    let layout = &heap.census().layout;
    assert_eq!(layout.layout.name(), Some("32-bit"));
    // 8-byte header, three ints and a 4-byte reference: 24.
    assert_eq!(size_of(&heap, "java.lang.String"), 24);
}

#[test]
fn gaps_are_measured_after_all_the_class_dumps_of_one_record() {
    // An old single-record dump from a JVM without compressed oops: 600
    // class dumps, then objects at their true addresses. No version:
    // the gaps choose both the layout and the field rules.
    let mut h = HeapWriter::new(8, Jdk::Six, 0x7f00_0000_0000);
    for i in 0..600 {
        h.class(&format!("Filler{i}"), Some("java.lang.Object"), &[]);
    }
    h.class("OneByte", Some("java.lang.Object"), &[("a", Byte)]);
    h.class("TwoBytes", Some("OneByte"), &[("b", Byte)]);
    for i in 0..200 {
        let text = format!("s{i}");
        // char[n]: 24-byte header, then the chars, aligned to 8.
        let chars = (24 + 2 * text.len() as u64).div_ceil(8) * 8;
        let array = h.alloc(chars);
        let utf16: Vec<Value> = text.encode_utf16().map(Value::Char).collect();
        h.objects.primitive_array(array, Char, &utf16);
        // String: 16 + 3 ints = 28, the reference at 32: 40.
        h.instance_sized(
            "java.lang.String",
            &[
                Value::Object(array),
                Value::Int(0),
                Value::Int(utf16.len() as i32),
                Value::Int(0),
            ],
            40,
        );
        // TwoBytes: OneByte's byte at 16 rounds up to 24, its own byte
        // there: 32 (fields that fill gaps would give 24).
        h.instance_sized("TwoBytes", &[Value::Byte(2), Value::Byte(1)], 32);
    }
    let heap = open(&h.finish(true), None);
    let layout = &heap.census().layout;
    assert_eq!(layout.layout.name(), Some("wide"), "{}", layout.describe());
    assert_eq!(layout.rules.order, FieldOrder::Legacy);
    let LayoutSource::Inferred { gaps, matched, .. } = layout.source else {
        panic!("inferred, not {:?}", layout.source);
    };
    assert!(gaps >= 250 && matched * 10 >= gaps * 9, "{gaps} {matched}");
    assert!(
        layout.describe().contains("chosen by the address gaps"),
        "{}",
        layout.describe()
    );
    assert_eq!(size_of(&heap, "java.lang.String"), 40);
    assert_eq!(size_of(&heap, "TwoBytes"), 32);
}

/// A JDK 9+ heap (ConcurrentHashMap properties, byte[] strings) with the
/// classes whose field layout changed in JDK 14 and 15.
fn modern_heap(version: &str) -> Vec<u8> {
    let mut h = HeapWriter::new(8, Jdk::Nine, 0x0000_0000_f000_0000);
    h.class(
        "java.lang.Module",
        Some("java.lang.Object"),
        &[("name", Ref)],
    );
    let props = hotspot_props(version, "OpenJDK 64-Bit Server VM", "Eclipse Adoptium");
    let props: Vec<(&str, &str)> = props.iter().map(|(k, v)| (*k, v.as_str())).collect();
    h.system_properties(&props);
    h.class("OneByte", Some("java.lang.Object"), &[("a", Byte)]);
    h.class("TwoBytes", Some("OneByte"), &[("b", Byte)]);
    h.instance("TwoBytes", &[Value::Byte(2), Value::Byte(1)]);
    h.class(
        "Mixed",
        Some("TwoBytes"),
        &[
            ("z", Boolean),
            ("c", Char),
            ("d", BasicType::Double),
            ("r", Ref),
        ],
    );
    h.instance(
        "Mixed",
        &[
            Value::Boolean(true),
            Value::Char(0),
            Value::Double(1.0),
            Value::Object(0),
            Value::Byte(2),
            Value::Byte(1),
        ],
    );
    h.class(
        "java.util.concurrent.ForkJoinPool",
        Some("java.lang.Object"),
        &[("ctl", Long), ("mode", Int), ("queues", Ref)],
    );
    h.instance(
        "java.util.concurrent.ForkJoinPool",
        &[Value::Long(0), Value::Int(0), Value::Object(0)],
    );
    h.finish(false)
}

#[test]
fn jdk11_subclass_fields_start_after_the_superclass_rounded_up() {
    let heap = open(&modern_heap("11.0.13"), Some(LAYOUTS_64[0].layout));
    assert_eq!(heap.census().jvm.feature, Some(11));
    assert_eq!(
        heap.census().jvm.vendor.as_deref(),
        Some("Eclipse Adoptium")
    );
    assert_eq!(heap.census().layout.rules.order, FieldOrder::Legacy);
    // OneByte's byte at 12 rounds up to 16; TwoBytes' byte at 16: 24.
    assert_eq!(size_of(&heap, "TwoBytes"), 24);
    // Mixed starts at 20 (TwoBytes ends at 17): the char fills 20..22 and
    // the boolean 22 before the double at 24..32, the reference to 36: 40.
    assert_eq!(size_of(&heap, "Mixed"), 40);
    // @Contended class (JDK 8-13 ForkJoinPool): 12 + 128 = 140, the int
    // fills 140..144, the long to 152, the reference to 156, 128 after:
    // 284, aligned 288.
    assert_eq!(size_of(&heap, "java.util.concurrent.ForkJoinPool"), 288);
}

#[test]
fn jdk17_fields_fill_the_gaps_and_pad_the_contended_group() {
    // The ids are 0x40 apart, which some layouts predict for a few
    // objects: the field rules are what is tested, under compressed oops.
    let heap = open(&modern_heap("17.0.15"), Some(LAYOUTS_64[0].layout));
    assert_eq!(heap.census().jvm.feature, Some(17));
    assert_eq!(heap.census().layout.rules.order, FieldOrder::Packed);
    // Both bytes after the 12-byte header: 14, aligned 16.
    assert_eq!(size_of(&heap, "TwoBytes"), 16);
    // 12 + 2 bytes + boolean + char + double + reference = 29: 32.
    assert_eq!(size_of(&heap, "Mixed"), 32);
    // JDK 14+ pads only ctl: mode and queues to 20, 128 bytes to 148, ctl
    // at 152..160, 128 after: 288.
    assert_eq!(size_of(&heap, "java.util.concurrent.ForkJoinPool"), 288);
}

#[test]
fn version_from_the_version_classes_without_system_properties() {
    // JDK 9+: java.lang.VersionProps holds the version as constants.
    let mut h = HeapWriter::new(8, Jdk::Nine, 0xf000_0000);
    let version = h.string("21.0.8");
    let vendor = h.string("Eclipse Adoptium");
    h.class_with(
        "java.lang.VersionProps",
        Some("java.lang.Object"),
        &[],
        &[
            ("java_version", Value::Object(version)),
            ("VENDOR", Value::Object(vendor)),
        ],
    );
    let heap = open(&h.finish(false), None);
    let jvm = &heap.census().jvm;
    assert_eq!(
        (jvm.version.as_deref(), jvm.feature, jvm.source.as_deref()),
        (Some("21.0.8"), Some(21), Some("java.lang.VersionProps"))
    );
    assert_eq!(jvm.vendor.as_deref(), Some("Eclipse Adoptium"));

    // Up to JDK 8: sun.misc.Version, with char[] strings.
    let mut h = HeapWriter::new(8, Jdk::Six, 0xf000_0000);
    let version = h.string("1.7.0_80");
    h.class_with(
        "sun.misc.Version",
        Some("java.lang.Object"),
        &[],
        &[("java_version", Value::Object(version))],
    );
    let heap = open(&h.finish(true), None);
    let jvm = &heap.census().jvm;
    assert_eq!(
        (jvm.version.as_deref(), jvm.feature, jvm.source.as_deref()),
        (Some("1.7.0_80"), Some(7), Some("sun.misc.Version"))
    );
    assert!(
        heap.census().jvm.describe().starts_with("1.7.0_80"),
        "{}",
        heap.census().jvm.describe()
    );
}

#[test]
fn unknown_version_says_so() {
    let h = HeapWriter::new(8, Jdk::Nine, 0xf000_0000);
    let heap = open(&h.finish(false), None);
    let jvm = &heap.census().jvm;
    assert_eq!((jvm.version.as_deref(), jvm.feature), (None, None));
    assert!(jvm.describe().starts_with("unknown"), "{}", jvm.describe());
    assert!(
        heap.census()
            .layout
            .describe()
            .contains("JVM version unknown"),
        "{}",
        heap.census().layout.describe()
    );
}
