use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use super::{Cursor, Error, Short};
use crate::progress::{Phase, Progress};

/// The format version named by the file's magic text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Version {
    V101,
    V102,
    /// Android (ART).
    V103,
}

impl Version {
    pub fn magic(self) -> &'static str {
        match self {
            Version::V101 => "JAVA PROFILE 1.0.1",
            Version::V102 => "JAVA PROFILE 1.0.2",
            Version::V103 => "JAVA PROFILE 1.0.3",
        }
    }
}

#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub struct Header {
    pub version: Version,
    /// Identifier size: 4 or 8.
    pub id_size: u32,
    /// Milliseconds since the epoch when the dump was written.
    pub timestamp_ms: u64,
    /// File offset of the first record.
    pub records_start: u64,
}

/// Parses the file header.
pub fn parse_header(data: &[u8]) -> Result<Header, Error> {
    const PREFIX: &[u8] = b"JAVA PROFILE ";
    let nul = data.iter().take(64).position(|&b| b == 0);
    let Some(nul) = nul.filter(|_| data.starts_with(PREFIX)) else {
        let shown: String = data
            .iter()
            .take(20)
            .map(|&b| {
                if (32..127).contains(&b) {
                    b as char
                } else {
                    '.'
                }
            })
            .collect();
        return Err(Error::at(
            0,
            format!(
                "not an HPROF heap dump: expected the text \"JAVA PROFILE 1.0.1\", \"JAVA PROFILE 1.0.2\" or \"JAVA PROFILE 1.0.3\" ending in a NUL byte, found \"{shown}\""
            ),
        ));
    };
    let magic = &data[..nul];
    let version = match magic {
        b"JAVA PROFILE 1.0.1" => Version::V101,
        b"JAVA PROFILE 1.0.2" => Version::V102,
        b"JAVA PROFILE 1.0.3" => Version::V103,
        _ => {
            return Err(Error::at(
                0,
                format!(
                    "unsupported HPROF version \"{}\": expected 1.0.1, 1.0.2 or 1.0.3",
                    String::from_utf8_lossy(magic)
                ),
            ));
        }
    };
    let mut c = Cursor::new(&data[nul + 1..], nul as u64 + 1, 4);
    let short = |s: Short| {
        Error::at(
            s.offset,
            "the file ends inside the header: expected the identifier size and the timestamp",
        )
    };
    let id_size = c.u4().map_err(short)?;
    if id_size != 4 && id_size != 8 {
        return Err(Error::at(
            nul as u64 + 1,
            format!("identifier size is {id_size}: expected 4 or 8"),
        ));
    }
    let timestamp_ms = c.u8().map_err(short)?;
    Ok(Header {
        version,
        id_size,
        timestamp_ms,
        records_start: c.offset(),
    })
}

/// A top-level record for messages: `HEAP DUMP SEGMENT record`, or
/// `record of unknown tag 0x99`.
fn record_name(tag: u8) -> String {
    match tag_name(tag) {
        "unknown" => format!("record of unknown tag 0x{tag:02X}"),
        name => format!("{name} record"),
    }
}

/// A top-level record's name, for messages; `unknown` for other tags.
pub fn tag_name(tag: u8) -> &'static str {
    match tag {
        0x01 => "STRING IN UTF8",
        0x02 => "LOAD CLASS",
        0x03 => "UNLOAD CLASS",
        0x04 => "STACK FRAME",
        0x05 => "STACK TRACE",
        0x06 => "ALLOC SITES",
        0x07 => "HEAP SUMMARY",
        0x0A => "START THREAD",
        0x0B => "END THREAD",
        0x0C => "HEAP DUMP",
        0x0D => "CPU SAMPLES",
        0x0E => "CONTROL SETTINGS",
        0x1C => "HEAP DUMP SEGMENT",
        0x2C => "HEAP DUMP END",
        _ => "unknown",
    }
}

#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub struct LoadClass {
    pub serial: u32,
    pub class_id: u64,
    pub trace_serial: u32,
    pub name_id: u64,
}

#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub struct StackFrame {
    pub id: u64,
    pub method_name_id: u64,
    pub signature_id: u64,
    pub source_file_id: u64,
    pub class_serial: u32,
    /// >0 line number, -1 unknown, -2 compiled, -3 native.
    pub line: i32,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct StackTrace {
    pub serial: u32,
    pub thread_serial: u32,
    pub frame_ids: Vec<u64>,
}

/// A START THREAD record (old JVMTI agent dumps only).
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub struct ThreadStart {
    pub thread_serial: u32,
    pub thread_id: u64,
    pub trace_serial: u32,
    pub name_id: u64,
    pub group_name_id: u64,
}

/// A HEAP DUMP or HEAP DUMP SEGMENT body.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub struct Segment {
    /// File offset of the first sub-record.
    pub offset: u64,
    /// Bytes of sub-records present (less than declared when truncated).
    pub len: u64,
}

/// One heap dump (snapshot) in the file: a HEAP DUMP record, or a run of
/// HEAP DUMP SEGMENT records up to a HEAP DUMP END. Most files hold one;
/// the old `-agentlib:hprof` agent writes one per dump request.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct HeapDump {
    /// 0-based, in file order, as Eclipse MAT numbers them (`#0`, `#1`).
    pub index: usize,
    /// File offset of its first record.
    pub offset: u64,
    /// When it was taken, ms since the epoch: the header's timestamp plus
    /// its first record's time field (microseconds after the header's).
    pub timestamp_ms: u64,
    /// Its bodies, in file order (zero-length ones left out).
    pub segments: Vec<Segment>,
    /// A HEAP DUMP record, or segments ended by HEAP DUMP END.
    pub complete: bool,
}

/// Everything the top-level records say, with heap segments located but not
/// parsed. Built by one sequential pass that reads record headers only.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct RecordIndex {
    pub header: Header,
    /// STRING IN UTF8: id -> (file offset of the text, its length).
    pub strings: FxHashMap<u64, (u64, u32)>,
    pub load_classes: Vec<LoadClass>,
    pub frames: Vec<StackFrame>,
    pub traces: Vec<StackTrace>,
    pub thread_starts: Vec<ThreadStart>,
    /// The segments of the selected heap dump: what the census reads.
    pub segments: Vec<Segment>,
    /// Every heap dump in the file, in order.
    pub heap_dumps: Vec<HeapDump>,
    /// The index of the selected heap dump (`None` if the file has none):
    /// the last one unless [`RecordIndex::select_heap_dump`] picks another.
    pub heap_dump: Option<usize>,
    /// The selection was the default (the last) in a file of several.
    pub heap_dump_defaulted: bool,
    /// How many records of each tag.
    pub record_counts: BTreeMap<u8, u64>,
    pub warnings: Vec<String>,
    /// Where the data stops, when the dump is cut short.
    pub truncated_at: Option<u64>,
    pub has_heap_dump_end: bool,
}

impl RecordIndex {
    /// Scans the records of `data`. Fails only on a bad header; a cut or
    /// malformed record becomes a warning and ends the scan.
    pub fn scan(data: &[u8], progress: &Progress) -> Result<RecordIndex, Error> {
        let header = parse_header(data)?;
        let id = header.id_size;
        let mut index = RecordIndex {
            header,
            strings: FxHashMap::default(),
            load_classes: Vec::new(),
            frames: Vec::new(),
            traces: Vec::new(),
            thread_starts: Vec::new(),
            segments: Vec::new(),
            heap_dumps: Vec::new(),
            heap_dump: None,
            heap_dump_defaulted: false,
            record_counts: BTreeMap::new(),
            warnings: Vec::new(),
            truncated_at: None,
            has_heap_dump_end: false,
        };
        progress.start(Phase::Reading, data.len() as u64);
        let mut at = header.records_start as usize;
        let mut records = 0u64;
        // A run of segments not yet ended by HEAP DUMP END.
        let mut open_run = false;
        while at < data.len() {
            records += 1;
            if records % 65536 == 0 {
                progress.set(at as u64);
                progress.check()?;
            }
            let record_offset = at as u64;
            if data.len() - at < 9 {
                index.truncate(
                    record_offset,
                    format!(
                        "the dump is truncated at byte {}: {} bytes of a 9-byte record header",
                        data.len(),
                        data.len() - at
                    ),
                );
                break;
            }
            let tag = data[at];
            let time_us = u32::from_be_bytes(data[at + 1..at + 5].try_into().expect("4 bytes"));
            let len = u32::from_be_bytes(data[at + 5..at + 9].try_into().expect("4 bytes")) as u64;
            let body_start = at + 9;
            let available = (data.len() - body_start) as u64;
            *index.record_counts.entry(tag).or_default() += 1;
            if len > available {
                if tag == 0x0C || tag == 0x1C {
                    let segment = Segment {
                        offset: body_start as u64,
                        len: available,
                    };
                    index.add_segment(tag, record_offset, time_us, segment, &mut open_run);
                }
                index.truncate(
                    data.len() as u64,
                    format!(
                        "the dump is truncated at byte {}: the {} at byte {record_offset} declares {len} bytes, only {available} are present",
                        data.len(),
                        record_name(tag)
                    ),
                );
                break;
            }
            let body = &data[body_start..body_start + len as usize];
            let mut c = Cursor::new(body, body_start as u64, id);
            let parsed: Result<(), Short> = match tag {
                0x01 => c.id().map(|sid| {
                    index
                        .strings
                        .insert(sid, (c.offset(), (len - id as u64) as u32));
                }),
                0x02 => (|| {
                    index.load_classes.push(LoadClass {
                        serial: c.u4()?,
                        class_id: c.id()?,
                        trace_serial: c.u4()?,
                        name_id: c.id()?,
                    });
                    Ok(())
                })(),
                0x04 => (|| {
                    index.frames.push(StackFrame {
                        id: c.id()?,
                        method_name_id: c.id()?,
                        signature_id: c.id()?,
                        source_file_id: c.id()?,
                        class_serial: c.u4()?,
                        line: c.u4()? as i32,
                    });
                    Ok(())
                })(),
                0x05 => (|| {
                    let serial = c.u4()?;
                    let thread_serial = c.u4()?;
                    let n = c.u4()? as u64;
                    // Checked against the bytes there before allocating.
                    if n * id as u64 > c.remaining() as u64 {
                        return Err(Short {
                            offset: c.offset(),
                            needed: n * id as u64,
                        });
                    }
                    let mut frame_ids = Vec::with_capacity(n as usize);
                    for _ in 0..n {
                        frame_ids.push(c.id()?);
                    }
                    index.traces.push(StackTrace {
                        serial,
                        thread_serial,
                        frame_ids,
                    });
                    Ok(())
                })(),
                0x0A => (|| {
                    index.thread_starts.push(ThreadStart {
                        thread_serial: c.u4()?,
                        thread_id: c.id()?,
                        trace_serial: c.u4()?,
                        name_id: c.id()?,
                        group_name_id: c.id()?,
                    });
                    Ok(())
                })(),
                0x0C | 0x1C => {
                    if len > 0 {
                        let segment = Segment {
                            offset: body_start as u64,
                            len,
                        };
                        index.add_segment(tag, record_offset, time_us, segment, &mut open_run);
                    }
                    Ok(())
                }
                0x2C => {
                    index.has_heap_dump_end = true;
                    if open_run {
                        open_run = false;
                        if let Some(d) = index.heap_dumps.last_mut() {
                            d.complete = true;
                        }
                    }
                    Ok(())
                }
                // UNLOAD CLASS, ALLOC SITES, HEAP SUMMARY, END THREAD, CPU
                // SAMPLES, CONTROL SETTINGS and unknown tags: not modelled.
                _ => Ok(()),
            };
            if let Err(short) = parsed {
                index.warn(format!(
                    "malformed {} at byte {record_offset}: its length {len} ends before the field at byte {} ({} more bytes expected); record skipped",
                    record_name(tag),
                    short.offset,
                    short.needed
                ));
            }
            at = body_start + len as usize;
        }
        progress.set(data.len() as u64);
        if let Some(last) = index.heap_dumps.last() {
            index.heap_dump = Some(last.index);
            index.segments = last.segments.clone();
        }
        if index.truncated_at.is_none() {
            // Segmented dumps end with HEAP DUMP END; a single HEAP DUMP
            // record (1.0.1, old agents) has none. A file cut exactly
            // between two records shows only this way.
            let end = data.len();
            let unended =
                open_run || (!index.has_heap_dump_end && index.record_counts.contains_key(&0x1C));
            if unended {
                index.warn(format!(
                    "the dump may be truncated at byte {end}: its HEAP DUMP SEGMENTs are not followed by a HEAP DUMP END record"
                ));
            } else if !index.has_heap_dump_end && !index.record_counts.contains_key(&0x0C) {
                index.warn(format!(
                    "the dump may be truncated at byte {end}: it has no HEAP DUMP or HEAP DUMP SEGMENT record"
                ));
            }
        }
        Ok(index)
    }

    /// Adds a heap dump body: a HEAP DUMP (0x0C) is a heap dump of its own,
    /// a HEAP DUMP SEGMENT (0x1C) joins the open run or starts one.
    fn add_segment(
        &mut self,
        tag: u8,
        record_offset: u64,
        time_us: u32,
        segment: Segment,
        open_run: &mut bool,
    ) {
        if tag == 0x0C || !*open_run {
            self.heap_dumps.push(HeapDump {
                index: self.heap_dumps.len(),
                offset: record_offset,
                timestamp_ms: self.header.timestamp_ms + time_us as u64 / 1000,
                segments: Vec::new(),
                complete: tag == 0x0C,
            });
        }
        *open_run = tag == 0x1C;
        self.heap_dumps
            .last_mut()
            .expect("pushed")
            .segments
            .push(segment);
    }

    /// Selects the heap dump the census reads: `wanted`, or by default the
    /// last one, with a warning naming the others when there are several.
    /// Fails when `wanted` is not in the file (see [`is_missing_heap_dump`]).
    pub fn select_heap_dump(&mut self, wanted: Option<usize>) -> Result<(), Error> {
        let n = self.heap_dumps.len();
        let chosen = match wanted {
            Some(k) if k < n => k,
            Some(k) => {
                let held = match n {
                    0 => "no heap dump".to_string(),
                    1 => "1 heap dump, #0".to_string(),
                    n => format!("{n} heap dumps, #0 to #{}", n - 1),
                };
                return Err(Error::new(format!(
                    "{MISSING_HEAP_DUMP}{k}: the file holds {held}"
                )));
            }
            None if n == 0 => return Ok(()),
            None => n - 1,
        };
        self.heap_dump = Some(chosen);
        self.heap_dump_defaulted = wanted.is_none() && n > 1;
        self.segments = self.heap_dumps[chosen].segments.clone();
        if self.heap_dump_defaulted {
            let warning = self.heap_dumps_warning("--heap-dump");
            self.warnings.insert(0, warning);
        }
        Ok(())
    }

    /// "this file holds 2 heap dumps (#0 at ..., #1 at ...); showing #1;
    /// pick one with `flag` N".
    pub fn heap_dumps_warning(&self, flag: &str) -> String {
        let list: Vec<String> = self
            .heap_dumps
            .iter()
            .map(|d| format!("#{} at {}", d.index, crate::units::utc_time(d.timestamp_ms)))
            .collect();
        format!(
            "this file holds {} heap dumps ({}); showing #{}; pick one with {flag} N",
            self.heap_dumps.len(),
            list.join(", "),
            self.heap_dump.unwrap_or(0)
        )
    }

    /// When the selected heap dump was taken (the header's time if none).
    pub fn timestamp_ms(&self) -> u64 {
        self.heap_dump
            .map(|k| self.heap_dumps[k].timestamp_ms)
            .unwrap_or(self.header.timestamp_ms)
    }

    fn truncate(&mut self, at: u64, message: String) {
        self.truncated_at = Some(at);
        self.warnings.push(message);
    }

    /// Records a warning; after 100 only the count grows.
    pub fn warn(&mut self, message: String) {
        push_warning(&mut self.warnings, message);
    }

    /// The raw modified-UTF-8 bytes of a STRING record.
    pub fn string_bytes<'d>(&self, data: &'d [u8], id: u64) -> Option<&'d [u8]> {
        let &(offset, len) = self.strings.get(&id)?;
        data.get(offset as usize..offset as usize + len as usize)
    }
}

const MISSING_HEAP_DUMP: &str = "there is no heap dump #";

/// Whether `e` says that the heap dump asked for is not in the file (a
/// usage error rather than a bad dump), also once its message was passed
/// on as text with context in front.
pub fn is_missing_heap_dump(e: &Error) -> bool {
    e.offset.is_none() && e.message.contains(MISSING_HEAP_DUMP)
}

/// Adds a warning to a list capped at 100 messages plus a final count line.
pub fn push_warning(warnings: &mut Vec<String>, message: String) {
    const CAP: usize = 100;
    match warnings.len() {
        n if n < CAP => warnings.push(message),
        CAP => warnings.push("1 more warning not shown".to_string()),
        _ => {
            let last = warnings.last_mut().expect("non-empty");
            let n: u64 = last
                .split(' ')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(1);
            *last = format!("{} more warnings not shown", n + 1);
        }
    }
}
