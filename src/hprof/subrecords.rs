use super::{BasicType, Cursor, Error, Short, Value};

/// Why a sub-record could not be read.
enum Bad {
    Short(Short),
    UnknownTag,
    WrongType { offset: u64, ty: u8 },
}

impl From<Short> for Bad {
    fn from(s: Short) -> Self {
        Bad::Short(s)
    }
}

/// What kind of GC root a ROOT sub-record declares.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum RootKind {
    Unknown,
    JniGlobal,
    JniLocal,
    JavaFrame,
    NativeStack,
    StickyClass,
    ThreadBlock,
    MonitorUsed,
    ThreadObject,
    // Android (ART) additions.
    InternedString,
    Finalizing,
    Debugger,
    ReferenceCleanup,
    VmInternal,
    JniMonitor,
    Unreachable,
}

impl RootKind {
    /// The name used in reports and JSON: `"java frame"`, `"sticky class"`...
    pub fn label(self) -> &'static str {
        match self {
            RootKind::Unknown => "unknown",
            RootKind::JniGlobal => "jni global",
            RootKind::JniLocal => "jni local",
            RootKind::JavaFrame => "java frame",
            RootKind::NativeStack => "native stack",
            RootKind::StickyClass => "sticky class",
            RootKind::ThreadBlock => "thread block",
            RootKind::MonitorUsed => "monitor used",
            RootKind::ThreadObject => "thread object",
            RootKind::InternedString => "interned string",
            RootKind::Finalizing => "finalizing",
            RootKind::Debugger => "debugger",
            RootKind::ReferenceCleanup => "reference cleanup",
            RootKind::VmInternal => "vm internal",
            RootKind::JniMonitor => "jni monitor",
            RootKind::Unreachable => "unreachable",
        }
    }
}

/// One heap sub-record, borrowing its bytes from the dump.
#[derive(Clone, Copy, Debug)]
pub enum SubRecord<'a> {
    Root {
        kind: RootKind,
        id: u64,
        thread_serial: Option<u32>,
        frame_index: Option<u32>,
    },
    ThreadObject {
        id: u64,
        thread_serial: u32,
        trace_serial: u32,
    },
    /// A CLASS DUMP; decode it with [`ClassDump::parse`] at its offset.
    ClassDump { id: u64 },
    Instance {
        id: u64,
        class_id: u64,
        values: &'a [u8],
    },
    ObjectArray {
        id: u64,
        class_id: u64,
        count: u32,
        elements: &'a [u8],
    },
    /// `data` is `None` for Android's PRIMITIVE ARRAY NODATA.
    PrimitiveArray {
        id: u64,
        elem: BasicType,
        count: u32,
        data: Option<&'a [u8]>,
    },
    /// Android: the heap the following objects belong to.
    HeapDumpInfo { heap_id: u32, name_id: u64 },
}

/// Iterates the sub-records of one heap segment, yielding each with the file
/// offset of its tag byte. The first error ends the iteration.
pub struct SubRecords<'a> {
    cursor: Cursor<'a>,
    end: u64,
    failed: bool,
}

impl<'a> SubRecords<'a> {
    /// `body` is the segment's bytes, starting at file offset `offset`.
    pub fn new(body: &'a [u8], offset: u64, id_size: u32) -> Self {
        SubRecords {
            cursor: Cursor::new(body, offset, id_size),
            end: offset + body.len() as u64,
            failed: false,
        }
    }

    fn error(&self, start: u64, tag: u8, bad: Bad) -> Error {
        match bad {
            Bad::Short(short) => Error::at(
                start,
                format!(
                    "heap sub-record 0x{tag:02X} ({}) runs past the end of its segment at byte {}: {} bytes expected at byte {}",
                    sub_tag_name(tag),
                    self.end,
                    short.needed,
                    short.offset
                ),
            ),
            Bad::UnknownTag => Error::at(
                start,
                format!(
                    "unknown heap sub-record tag 0x{tag:02X}: expected a root (0x01-0x08, 0xFF), a CLASS DUMP (0x20), an object (0x21-0x23) or an Android record"
                ),
            ),
            Bad::WrongType { offset, ty } => Error::at(
                offset,
                format!(
                    "{} at byte {start} has value type {ty}: expected {}",
                    sub_tag_name(tag),
                    if tag == 0x20 {
                        "2 or 4-11"
                    } else {
                        "a primitive type 4-11"
                    }
                ),
            ),
        }
    }

    fn next_record(&mut self, tag: u8) -> Result<SubRecord<'a>, Bad> {
        let c = &mut self.cursor;
        let id_size = c.id_size();
        let root = |c: &mut Cursor<'a>, kind: RootKind| -> Result<SubRecord<'a>, Bad> {
            Ok(SubRecord::Root {
                kind,
                id: c.id()?,
                thread_serial: None,
                frame_index: None,
            })
        };
        Ok(match tag {
            0x21 => {
                let id = c.id()?;
                c.skip(4)?;
                let class_id = c.id()?;
                let n = c.u4()?;
                SubRecord::Instance {
                    id,
                    class_id,
                    values: c.bytes(n as usize)?,
                }
            }
            0x22 => {
                let id = c.id()?;
                c.skip(4)?;
                let count = c.u4()?;
                let class_id = c.id()?;
                let elements = c.bytes(count as usize * id_size as usize)?;
                SubRecord::ObjectArray {
                    id,
                    class_id,
                    count,
                    elements,
                }
            }
            0x23 | 0xC3 => {
                let id = c.id()?;
                c.skip(4)?;
                let count = c.u4()?;
                let type_at = c.offset();
                let ty = c.u1()?;
                let elem = match BasicType::from_u8(ty) {
                    Some(BasicType::Object) | None => {
                        return Err(Bad::WrongType {
                            offset: type_at,
                            ty,
                        });
                    }
                    Some(t) => t,
                };
                let data = if tag == 0x23 {
                    Some(c.bytes(count as usize * elem.size(id_size) as usize)?)
                } else {
                    None
                };
                SubRecord::PrimitiveArray {
                    id,
                    elem,
                    count,
                    data,
                }
            }
            0x20 => {
                let id = c.id()?;
                // Walk to the end without allocating; the caller parses it
                // again with ClassDump::parse when it needs the fields.
                skip_class_body(c)?;
                SubRecord::ClassDump { id }
            }
            0x08 => SubRecord::ThreadObject {
                id: c.id()?,
                thread_serial: c.u4()?,
                trace_serial: c.u4()?,
            },
            0x01 => {
                let id = c.id()?;
                c.skip(id_size as u64)?;
                SubRecord::Root {
                    kind: RootKind::JniGlobal,
                    id,
                    thread_serial: None,
                    frame_index: None,
                }
            }
            0x02 | 0x03 | 0x8E => SubRecord::Root {
                kind: match tag {
                    0x02 => RootKind::JniLocal,
                    0x03 => RootKind::JavaFrame,
                    _ => RootKind::JniMonitor,
                },
                id: c.id()?,
                thread_serial: Some(c.u4()?),
                frame_index: Some(c.u4()?),
            },
            0x04 | 0x06 => SubRecord::Root {
                kind: if tag == 0x04 {
                    RootKind::NativeStack
                } else {
                    RootKind::ThreadBlock
                },
                id: c.id()?,
                thread_serial: Some(c.u4()?),
                frame_index: None,
            },
            0xFF => root(c, RootKind::Unknown)?,
            0x05 => root(c, RootKind::StickyClass)?,
            0x07 => root(c, RootKind::MonitorUsed)?,
            0x89 => root(c, RootKind::InternedString)?,
            0x8A => root(c, RootKind::Finalizing)?,
            0x8B => root(c, RootKind::Debugger)?,
            0x8C => root(c, RootKind::ReferenceCleanup)?,
            0x8D => root(c, RootKind::VmInternal)?,
            0x90 => root(c, RootKind::Unreachable)?,
            0xFE => SubRecord::HeapDumpInfo {
                heap_id: c.u4()?,
                name_id: c.id()?,
            },
            _ => return Err(Bad::UnknownTag),
        })
    }
}

impl<'a> Iterator for SubRecords<'a> {
    type Item = Result<(u64, SubRecord<'a>), Error>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.cursor.is_empty() {
            return None;
        }
        let start = self.cursor.offset();
        let tag = self.cursor.u1().ok()?;
        match self.next_record(tag) {
            Ok(rec) => Some(Ok((start, rec))),
            Err(bad) => {
                self.failed = true;
                Some(Err(self.error(start, tag, bad)))
            }
        }
    }
}

/// A sub-record tag's name, for messages.
pub fn sub_tag_name(tag: u8) -> &'static str {
    match tag {
        0xFF => "ROOT UNKNOWN",
        0x01 => "ROOT JNI GLOBAL",
        0x02 => "ROOT JNI LOCAL",
        0x03 => "ROOT JAVA FRAME",
        0x04 => "ROOT NATIVE STACK",
        0x05 => "ROOT STICKY CLASS",
        0x06 => "ROOT THREAD BLOCK",
        0x07 => "ROOT MONITOR USED",
        0x08 => "ROOT THREAD OBJECT",
        0x20 => "CLASS DUMP",
        0x21 => "INSTANCE DUMP",
        0x22 => "OBJECT ARRAY DUMP",
        0x23 => "PRIMITIVE ARRAY DUMP",
        0x89 => "ROOT INTERNED STRING",
        0x8A => "ROOT FINALIZING",
        0x8B => "ROOT DEBUGGER",
        0x8C => "ROOT REFERENCE CLEANUP",
        0x8D => "ROOT VM INTERNAL",
        0x8E => "ROOT JNI MONITOR",
        0x90 => "UNREACHABLE",
        0xC3 => "PRIMITIVE ARRAY NODATA",
        0xFE => "HEAP DUMP INFO",
        _ => "unknown",
    }
}

fn basic_type(c: &mut Cursor<'_>) -> Result<BasicType, Bad> {
    let offset = c.offset();
    let ty = c.u1()?;
    BasicType::from_u8(ty).ok_or(Bad::WrongType { offset, ty })
}

/// Walks a CLASS DUMP body after its id.
fn skip_class_body(c: &mut Cursor<'_>) -> Result<(), Bad> {
    let id = c.id_size() as u64;
    c.skip(4 + 6 * id + 4)?;
    let pool = c.u2()?;
    for _ in 0..pool {
        c.skip(2)?;
        let ty = basic_type(c)?;
        c.skip(ty.size(id as u32) as u64)?;
    }
    let statics = c.u2()?;
    for _ in 0..statics {
        c.skip(id)?;
        let ty = basic_type(c)?;
        c.skip(ty.size(id as u32) as u64)?;
    }
    let fields = c.u2()?;
    for _ in 0..fields {
        c.skip(id)?;
        basic_type(c)?;
    }
    Ok(())
}

/// A decoded CLASS DUMP.
#[derive(Clone, Debug)]
pub struct ClassDump {
    pub id: u64,
    pub super_id: u64,
    pub loader_id: u64,
    pub signers_id: u64,
    pub protection_domain_id: u64,
    /// The dump's own figure: the class chain's field bytes in dump sizes.
    pub instance_size: u32,
    /// (name string id, type, value).
    pub statics: Vec<(u64, BasicType, Value)>,
    /// Own instance fields in descriptor order: (name string id, type).
    pub fields: Vec<(u64, BasicType)>,
}

impl ClassDump {
    /// Parses the CLASS DUMP whose tag byte is at `offset` in `data`.
    pub fn parse(data: &[u8], offset: u64, id_size: u32) -> Result<ClassDump, Error> {
        let start = offset as usize + 1;
        let bytes = data.get(start..).unwrap_or(&[]);
        let mut c = Cursor::new(bytes, start as u64, id_size);
        Self::parse_body(&mut c).map_err(|bad| match bad {
            Bad::WrongType { offset: at, ty } => Error::at(
                at,
                format!("CLASS DUMP at byte {offset} has value type {ty}: expected 2 or 4-11"),
            ),
            Bad::Short(short) => Error::at(
                offset,
                format!(
                    "CLASS DUMP runs past the end of the data: {} bytes expected at byte {}",
                    short.needed, short.offset
                ),
            ),
            Bad::UnknownTag => unreachable!("no tags inside a CLASS DUMP"),
        })
    }

    fn parse_body(c: &mut Cursor<'_>) -> Result<ClassDump, Bad> {
        let id_size = c.id_size();
        let id = c.id()?;
        c.skip(4)?;
        let super_id = c.id()?;
        let loader_id = c.id()?;
        let signers_id = c.id()?;
        let protection_domain_id = c.id()?;
        c.skip(2 * id_size as u64)?;
        let instance_size = c.u4()?;
        let pool = c.u2()?;
        for _ in 0..pool {
            c.skip(2)?;
            let ty = basic_type(c)?;
            c.skip(ty.size(id_size) as u64)?;
        }
        let n = c.u2()?;
        let mut statics = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let name = c.id()?;
            let ty = basic_type(c)?;
            let bytes = c.bytes(ty.size(id_size) as usize)?;
            let value = Value::decode(ty, bytes, id_size).expect("sized");
            statics.push((name, ty, value));
        }
        let n = c.u2()?;
        let mut fields = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let name = c.id()?;
            fields.push((name, basic_type(c)?));
        }
        Ok(ClassDump {
            id,
            super_id,
            loader_id,
            signers_id,
            protection_domain_id,
            instance_size,
            statics,
            fields,
        })
    }
}
