//! A small HPROF writer for tests: builds dumps byte by byte so that tests
//! can make what a real JVM never writes (Android records, odd orders,
//! cut or corrupt files). See `shared/docs/HPROF.md` for the format.
//!
//! [`Hprof`] writes the header and top-level records; [`Body`] writes the
//! sub-records of a HEAP DUMP or HEAP DUMP SEGMENT; [`ClassDef`] describes
//! one CLASS DUMP. Values use the library's [`Value`] and [`BasicType`] as
//! plain data; the encoding here is written independently of the reader.
#![allow(dead_code)]

#[cfg(feature = "gui")]
pub mod window;

pub use heapscope::hprof::{BasicType, Value};

/// The HPROF type code of a basic type.
pub fn type_code(ty: BasicType) -> u8 {
    match ty {
        BasicType::Object => 2,
        BasicType::Boolean => 4,
        BasicType::Char => 5,
        BasicType::Float => 6,
        BasicType::Double => 7,
        BasicType::Byte => 8,
        BasicType::Short => 9,
        BasicType::Int => 10,
        BasicType::Long => 11,
    }
}

/// The basic type of a value.
pub fn type_of(v: Value) -> BasicType {
    match v {
        Value::Object(_) => BasicType::Object,
        Value::Boolean(_) => BasicType::Boolean,
        Value::Char(_) => BasicType::Char,
        Value::Float(_) => BasicType::Float,
        Value::Double(_) => BasicType::Double,
        Value::Byte(_) => BasicType::Byte,
        Value::Short(_) => BasicType::Short,
        Value::Int(_) => BasicType::Int,
        Value::Long(_) => BasicType::Long,
    }
}

/// Appends an identifier of `id_size` bytes, big-endian.
fn put_id(buf: &mut Vec<u8>, id: u64, id_size: u32) {
    match id_size {
        4 => {
            let small = u32::try_from(id).expect("a 4-byte id must fit in 32 bits");
            buf.extend_from_slice(&small.to_be_bytes());
        }
        8 => buf.extend_from_slice(&id.to_be_bytes()),
        other => panic!("id size {other}"),
    }
}

/// Appends a value in its dump encoding (big-endian, references as ids).
fn put_value(buf: &mut Vec<u8>, v: Value, id_size: u32) {
    match v {
        Value::Object(id) => put_id(buf, id, id_size),
        Value::Boolean(b) => buf.push(b as u8),
        Value::Char(c) => buf.extend_from_slice(&c.to_be_bytes()),
        Value::Float(x) => buf.extend_from_slice(&x.to_bits().to_be_bytes()),
        Value::Double(x) => buf.extend_from_slice(&x.to_bits().to_be_bytes()),
        Value::Byte(x) => buf.extend_from_slice(&x.to_be_bytes()),
        Value::Short(x) => buf.extend_from_slice(&x.to_be_bytes()),
        Value::Int(x) => buf.extend_from_slice(&x.to_be_bytes()),
        Value::Long(x) => buf.extend_from_slice(&x.to_be_bytes()),
    }
}

/// Java's modified UTF-8: NUL as `C0 80`, characters above U+FFFF as two
/// 3-byte surrogates.
pub fn modified_utf8(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for unit in text.encode_utf16() {
        match unit {
            1..=0x7F => out.push(unit as u8),
            0 | 0x80..=0x7FF => {
                out.push(0xC0 | (unit >> 6) as u8);
                out.push(0x80 | (unit & 0x3F) as u8);
            }
            _ => {
                out.push(0xE0 | (unit >> 12) as u8);
                out.push(0x80 | ((unit >> 6) & 0x3F) as u8);
                out.push(0x80 | (unit & 0x3F) as u8);
            }
        }
    }
    out
}

/// A whole dump: the header, then records appended in call order.
pub struct Hprof {
    pub id_size: u32,
    bytes: Vec<u8>,
}

/// Length of the header of a `JAVA PROFILE 1.0.x` dump.
pub const HEADER_LEN: usize = 31;

impl Hprof {
    /// A dump of format `version` ("1.0.1", "1.0.2" or "1.0.3", or anything
    /// else for bad headers) with `id_size`-byte identifiers.
    pub fn new(version: &str, id_size: u32) -> Hprof {
        let mut bytes = format!("JAVA PROFILE {version}\0").into_bytes();
        bytes.extend_from_slice(&id_size.to_be_bytes());
        // 2026-11-24 21:03:55.296 UTC, as high and low u4.
        bytes.extend_from_slice(&0x0000_01a2_0f5f_53a0u64.to_be_bytes());
        Hprof { id_size, bytes }
    }

    /// The file offset the next record will start at.
    pub fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// Any record: tag, time 0, length, body.
    pub fn record(&mut self, tag: u8, body: &[u8]) -> &mut Self {
        let len = u32::try_from(body.len()).expect("record body under 4 GiB");
        self.record_header(tag, len);
        self.bytes.extend_from_slice(body);
        self
    }

    /// Any record with its time field: microseconds after the header's
    /// timestamp.
    pub fn record_at(&mut self, tag: u8, time_us: u32, body: &[u8]) -> &mut Self {
        let at = self.bytes.len();
        self.record(tag, body);
        self.bytes[at + 1..at + 5].copy_from_slice(&time_us.to_be_bytes());
        self
    }

    /// A record header alone, declaring `len` body bytes (for records
    /// whose body is written separately, cut short or left as a hole).
    pub fn record_header(&mut self, tag: u8, len: u32) -> &mut Self {
        self.bytes.push(tag);
        self.bytes.extend_from_slice(&0u32.to_be_bytes());
        self.bytes.extend_from_slice(&len.to_be_bytes());
        self
    }

    /// Bytes appended as they are.
    pub fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.bytes.extend_from_slice(bytes);
        self
    }

    /// STRING IN UTF8 (0x01), text in modified UTF-8.
    pub fn string(&mut self, id: u64, text: &str) -> &mut Self {
        let mut b = Vec::new();
        put_id(&mut b, id, self.id_size);
        b.extend_from_slice(&modified_utf8(text));
        self.record(0x01, &b)
    }

    /// LOAD CLASS (0x02), with stack-trace serial 1.
    pub fn load_class(&mut self, serial: u32, class_id: u64, name_id: u64) -> &mut Self {
        let mut b = Vec::new();
        b.extend_from_slice(&serial.to_be_bytes());
        put_id(&mut b, class_id, self.id_size);
        b.extend_from_slice(&1u32.to_be_bytes());
        put_id(&mut b, name_id, self.id_size);
        self.record(0x02, &b)
    }

    /// STACK FRAME (0x04); `line` > 0, or -1 unknown, -2 compiled, -3 native.
    pub fn stack_frame(
        &mut self,
        id: u64,
        method_id: u64,
        signature_id: u64,
        source_id: u64,
        class_serial: u32,
        line: i32,
    ) -> &mut Self {
        let mut b = Vec::new();
        for x in [id, method_id, signature_id, source_id] {
            put_id(&mut b, x, self.id_size);
        }
        b.extend_from_slice(&class_serial.to_be_bytes());
        b.extend_from_slice(&line.to_be_bytes());
        self.record(0x04, &b)
    }

    /// STACK TRACE (0x05).
    pub fn stack_trace(&mut self, serial: u32, thread_serial: u32, frames: &[u64]) -> &mut Self {
        let mut b = Vec::new();
        b.extend_from_slice(&serial.to_be_bytes());
        b.extend_from_slice(&thread_serial.to_be_bytes());
        b.extend_from_slice(&(frames.len() as u32).to_be_bytes());
        for &f in frames {
            put_id(&mut b, f, self.id_size);
        }
        self.record(0x05, &b)
    }

    /// HEAP DUMP (0x0C) holding `body`.
    pub fn heap_dump(&mut self, body: &Body) -> &mut Self {
        self.record(0x0C, &body.bytes)
    }

    /// HEAP DUMP SEGMENT (0x1C) holding `body`.
    pub fn segment(&mut self, body: &Body) -> &mut Self {
        self.record(0x1C, &body.bytes)
    }

    /// HEAP DUMP SEGMENT (0x1C) holding `bytes` (parts of a [`Body`]).
    pub fn segment_bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.record(0x1C, bytes)
    }

    /// HEAP DUMP END (0x2C).
    pub fn heap_dump_end(&mut self) -> &mut Self {
        self.record(0x2C, &[])
    }
}

/// One CLASS DUMP.
#[derive(Clone, Debug)]
pub struct ClassDef {
    pub id: u64,
    pub super_id: u64,
    pub loader_id: u64,
    /// The dump's own figure (HotSpot: the chain's value bytes).
    pub instance_size: u32,
    pub constants: Vec<(u16, Value)>,
    /// (name string id, value).
    pub statics: Vec<(u64, Value)>,
    /// Own instance fields: (name string id, type).
    pub fields: Vec<(u64, BasicType)>,
}

impl ClassDef {
    pub fn new(id: u64, super_id: u64) -> ClassDef {
        ClassDef {
            id,
            super_id,
            loader_id: 0,
            instance_size: 0,
            constants: Vec::new(),
            statics: Vec::new(),
            fields: Vec::new(),
        }
    }

    pub fn field(mut self, name_id: u64, ty: BasicType) -> Self {
        self.fields.push((name_id, ty));
        self
    }

    pub fn static_field(mut self, name_id: u64, value: Value) -> Self {
        self.statics.push((name_id, value));
        self
    }

    pub fn constant(mut self, index: u16, value: Value) -> Self {
        self.constants.push((index, value));
        self
    }

    pub fn instance_size(mut self, size: u32) -> Self {
        self.instance_size = size;
        self
    }

    pub fn loader(mut self, loader_id: u64) -> Self {
        self.loader_id = loader_id;
        self
    }
}

/// The sub-records of one HEAP DUMP or HEAP DUMP SEGMENT. Remembers where
/// each sub-record starts so that a body can be split over segments.
#[derive(Clone, Debug)]
pub struct Body {
    pub id_size: u32,
    bytes: Vec<u8>,
    starts: Vec<usize>,
}

impl Body {
    pub fn new(id_size: u32) -> Body {
        Body {
            id_size,
            bytes: Vec::new(),
            starts: Vec::new(),
        }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Each sub-record's bytes, in order.
    pub fn records(&self) -> Vec<&[u8]> {
        let mut ends = self.starts[1..].to_vec();
        ends.push(self.bytes.len());
        self.starts
            .iter()
            .zip(ends)
            .map(|(&a, b)| &self.bytes[a..b])
            .collect()
    }

    /// Starts a sub-record with tag `tag`.
    fn begin(&mut self, tag: u8) -> &mut Self {
        self.starts.push(self.bytes.len());
        self.bytes.push(tag);
        self
    }

    fn id(&mut self, id: u64) -> &mut Self {
        put_id(&mut self.bytes, id, self.id_size);
        self
    }

    fn u1(&mut self, x: u8) -> &mut Self {
        self.bytes.push(x);
        self
    }

    fn u2(&mut self, x: u16) -> &mut Self {
        self.bytes.extend_from_slice(&x.to_be_bytes());
        self
    }

    fn u4(&mut self, x: u32) -> &mut Self {
        self.bytes.extend_from_slice(&x.to_be_bytes());
        self
    }

    fn value(&mut self, v: Value) -> &mut Self {
        put_value(&mut self.bytes, v, self.id_size);
        self
    }

    /// Bytes appended as they are, as one sub-record (or garbage).
    pub fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.starts.push(self.bytes.len());
        self.bytes.extend_from_slice(bytes);
        self
    }

    /// Appends another body's sub-records.
    pub fn append(&mut self, other: &Body) -> &mut Self {
        for r in other.records() {
            self.raw(r);
        }
        self
    }

    // Roots.

    /// ROOT UNKNOWN (0xFF).
    pub fn root_unknown(&mut self, id: u64) -> &mut Self {
        self.begin(0xFF).id(id)
    }

    /// ROOT JNI GLOBAL (0x01).
    pub fn root_jni_global(&mut self, id: u64, jni_ref: u64) -> &mut Self {
        self.begin(0x01).id(id).id(jni_ref)
    }

    /// ROOT JNI LOCAL (0x02).
    pub fn root_jni_local(&mut self, id: u64, thread: u32, frame: u32) -> &mut Self {
        self.begin(0x02).id(id).u4(thread).u4(frame)
    }

    /// ROOT JAVA FRAME (0x03).
    pub fn root_java_frame(&mut self, id: u64, thread: u32, frame: u32) -> &mut Self {
        self.begin(0x03).id(id).u4(thread).u4(frame)
    }

    /// ROOT NATIVE STACK (0x04).
    pub fn root_native_stack(&mut self, id: u64, thread: u32) -> &mut Self {
        self.begin(0x04).id(id).u4(thread)
    }

    /// ROOT STICKY CLASS (0x05).
    pub fn root_sticky_class(&mut self, id: u64) -> &mut Self {
        self.begin(0x05).id(id)
    }

    /// ROOT THREAD BLOCK (0x06).
    pub fn root_thread_block(&mut self, id: u64, thread: u32) -> &mut Self {
        self.begin(0x06).id(id).u4(thread)
    }

    /// ROOT MONITOR USED (0x07).
    pub fn root_monitor_used(&mut self, id: u64) -> &mut Self {
        self.begin(0x07).id(id)
    }

    /// ROOT THREAD OBJECT (0x08).
    pub fn root_thread_object(&mut self, id: u64, thread: u32, trace: u32) -> &mut Self {
        self.begin(0x08).id(id).u4(thread).u4(trace)
    }

    // Objects.

    /// CLASS DUMP (0x20).
    pub fn class_dump(&mut self, c: &ClassDef) -> &mut Self {
        self.begin(0x20)
            .id(c.id)
            .u4(1)
            .id(c.super_id)
            .id(c.loader_id);
        // signers, protection domain, two reserved
        self.id(0).id(0).id(0).id(0).u4(c.instance_size);
        self.u2(c.constants.len() as u16);
        for &(index, v) in &c.constants {
            self.u2(index).u1(type_code(type_of(v))).value(v);
        }
        self.u2(c.statics.len() as u16);
        for &(name, v) in &c.statics {
            self.id(name).u1(type_code(type_of(v))).value(v);
        }
        self.u2(c.fields.len() as u16);
        for &(name, ty) in &c.fields {
            self.id(name).u1(type_code(ty));
        }
        self
    }

    /// INSTANCE DUMP (0x21): `values` in dump order (own class's fields,
    /// then the superclass's, up the chain).
    pub fn instance(&mut self, id: u64, class_id: u64, values: &[Value]) -> &mut Self {
        let mut data = Vec::new();
        for &v in values {
            put_value(&mut data, v, self.id_size);
        }
        self.begin(0x21)
            .id(id)
            .u4(1)
            .id(class_id)
            .u4(data.len() as u32);
        self.bytes.extend_from_slice(&data);
        self
    }

    /// OBJECT ARRAY DUMP (0x22).
    pub fn object_array(&mut self, id: u64, class_id: u64, elements: &[u64]) -> &mut Self {
        self.begin(0x22)
            .id(id)
            .u4(1)
            .u4(elements.len() as u32)
            .id(class_id);
        for &e in elements {
            self.id(e);
        }
        self
    }

    /// PRIMITIVE ARRAY DUMP (0x23); every value must be of type `elem`.
    pub fn primitive_array(&mut self, id: u64, elem: BasicType, values: &[Value]) -> &mut Self {
        self.begin(0x23)
            .id(id)
            .u4(1)
            .u4(values.len() as u32)
            .u1(type_code(elem));
        for &v in values {
            assert_eq!(type_of(v), elem, "array element of the wrong type");
            self.value(v);
        }
        self
    }

    /// A `byte[]` of `bytes` (0x23).
    pub fn byte_array(&mut self, id: u64, bytes: &[u8]) -> &mut Self {
        self.begin(0x23)
            .id(id)
            .u4(1)
            .u4(bytes.len() as u32)
            .u1(type_code(BasicType::Byte));
        self.bytes.extend_from_slice(bytes);
        self
    }

    // Android (ART) records.

    /// HEAP DUMP INFO (0xFE): the heap the following objects belong to.
    pub fn heap_dump_info(&mut self, heap_id: u32, name_id: u64) -> &mut Self {
        self.begin(0xFE).u4(heap_id).id(name_id)
    }

    /// ROOT INTERNED STRING (0x89).
    pub fn root_interned_string(&mut self, id: u64) -> &mut Self {
        self.begin(0x89).id(id)
    }

    /// ROOT FINALIZING (0x8A).
    pub fn root_finalizing(&mut self, id: u64) -> &mut Self {
        self.begin(0x8A).id(id)
    }

    /// ROOT DEBUGGER (0x8B).
    pub fn root_debugger(&mut self, id: u64) -> &mut Self {
        self.begin(0x8B).id(id)
    }

    /// ROOT REFERENCE CLEANUP (0x8C).
    pub fn root_reference_cleanup(&mut self, id: u64) -> &mut Self {
        self.begin(0x8C).id(id)
    }

    /// ROOT VM INTERNAL (0x8D).
    pub fn root_vm_internal(&mut self, id: u64) -> &mut Self {
        self.begin(0x8D).id(id)
    }

    /// ROOT JNI MONITOR (0x8E).
    pub fn root_jni_monitor(&mut self, id: u64, thread: u32, frame: u32) -> &mut Self {
        self.begin(0x8E).id(id).u4(thread).u4(frame)
    }

    /// UNREACHABLE (0x90).
    pub fn unreachable(&mut self, id: u64) -> &mut Self {
        self.begin(0x90).id(id)
    }

    /// PRIMITIVE ARRAY NODATA (0xC3): an array of `count` elements whose
    /// data is not in the dump.
    pub fn primitive_array_nodata(&mut self, id: u64, elem: BasicType, count: u32) -> &mut Self {
        self.begin(0xC3).id(id).u4(1).u4(count).u1(type_code(elem))
    }
}

/// How [`two_heap_dumps`] writes its snapshots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Snapshots {
    /// JAVA PROFILE 1.0.1 with 4-byte ids and one HEAP DUMP record per
    /// snapshot, as the old `-agentlib:hprof` agent writes.
    Agent,
    /// JAVA PROFILE 1.0.2 with 8-byte ids: two segments and a HEAP DUMP
    /// END, then one segment and a HEAP DUMP END.
    Segments,
}

/// Time fields of the two snapshots of [`two_heap_dumps`]: 1 s and 3.5 s
/// after the header's timestamp, in microseconds.
pub const SNAPSHOT_TIMES_US: [u32; 2] = [1_000_000, 3_500_000];

/// One file holding two heap dumps of one program; the top-level records
/// (strings, LOAD CLASS) are written once, before both.
///
/// - #0: classes Object and Apple (an int field `n`); Apples 0x1000 (n = 7),
///   0x1010, 0x1020; roots: sticky class Object, JNI global 0x1000. 5 objects.
/// - #1: classes Object, Apple and Pear (`n`, and `apple` -> 0x1000);
///   Apple 0x1000 (n = 8); Pears 0x2000, 0x2010, 0x2020, 0x2030; an int[10]
///   0x3000; roots: sticky class Object, JNI globals 0x2000 and 0x2010.
///   9 objects.
pub fn two_heap_dumps(kind: Snapshots) -> Vec<u8> {
    let (version, id_size) = match kind {
        Snapshots::Agent => ("1.0.1", 4),
        Snapshots::Segments => ("1.0.2", 8),
    };
    let (c_object, c_apple, c_pear) = (0x100u64, 0x200, 0x300);
    let mut w = Hprof::new(version, id_size);
    w.string(1, "java/lang/Object")
        .string(2, "Apple")
        .string(3, "Pear")
        .string(4, "n")
        .string(5, "apple")
        .load_class(1, c_object, 1)
        .load_class(2, c_apple, 2)
        .load_class(3, c_pear, 3);
    let object = ClassDef::new(c_object, 0);
    let apple = ClassDef::new(c_apple, c_object)
        .field(4, BasicType::Int)
        .instance_size(4);
    let pear = ClassDef::new(c_pear, c_object)
        .field(4, BasicType::Int)
        .field(5, BasicType::Object)
        .instance_size(4 + id_size);

    let mut classes0 = Body::new(id_size);
    classes0
        .class_dump(&object)
        .class_dump(&apple)
        .root_sticky_class(c_object)
        .root_jni_global(0x1000, 0);
    let mut objects0 = Body::new(id_size);
    for (id, n) in [(0x1000u64, 7), (0x1010, 1), (0x1020, 2)] {
        objects0.instance(id, c_apple, &[Value::Int(n)]);
    }
    let mut first = Body::new(id_size);
    first.append(&classes0).append(&objects0);

    let mut second = Body::new(id_size);
    second
        .class_dump(&object)
        .class_dump(&apple)
        .class_dump(&pear)
        .root_sticky_class(c_object)
        .root_jni_global(0x2000, 0)
        .root_jni_global(0x2010, 0)
        .instance(0x1000, c_apple, &[Value::Int(8)]);
    for (k, id) in [0x2000u64, 0x2010, 0x2020, 0x2030].into_iter().enumerate() {
        second.instance(id, c_pear, &[Value::Int(k as i32), Value::Object(0x1000)]);
    }
    second.primitive_array(0x3000, BasicType::Int, &[Value::Int(3); 10]);

    let [t0, t1] = SNAPSHOT_TIMES_US;
    match kind {
        Snapshots::Agent => {
            w.record_at(0x0C, t0, first.bytes())
                .record_at(0x0C, t1, second.bytes());
        }
        Snapshots::Segments => {
            w.record_at(0x1C, t0, classes0.bytes())
                .record_at(0x1C, t0 + 10, objects0.bytes())
                .record_at(0x2C, t0 + 20, &[])
                .record_at(0x1C, t1, second.bytes())
                .record_at(0x2C, t1 + 10, &[]);
        }
    }
    w.into_bytes()
}

/// A dump written for a test, in a folder of its own so that the index
/// heapscope writes beside it goes when it does.
pub struct TempDump {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

impl TempDump {
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

/// Writes `bytes` to a new temporary file, deleted (with its folder and
/// index) when the handle drops.
pub fn temp_file(bytes: &[u8]) -> TempDump {
    let dir = tempfile::Builder::new()
        .prefix("heapscope-test-")
        .tempdir()
        .expect("create a temporary folder");
    let path = dir.path().join("dump.hprof");
    std::fs::write(&path, bytes).expect("write the temporary file");
    TempDump { _dir: dir, path }
}
