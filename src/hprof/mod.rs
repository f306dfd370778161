//! The HPROF file format: header, top-level records and heap sub-records.
//!
//! This module knows bytes, not heaps: it opens a dump (plain or gzip),
//! maps it read-only, lists its records and decodes heap sub-records without
//! copying. See `shared/docs/HPROF.md` for the format.

mod cursor;
mod error;
mod file;
mod records;
mod stream;
mod subrecords;
mod types;

pub use cursor::{Cursor, Short, read_id, read_u32};
pub use error::Error;
pub use file::{Compression, Dump, Spool, free_space};
pub use records::{
    Header, HeapDump, LoadClass, RecordIndex, Segment, StackFrame, StackTrace, ThreadStart,
    Version, is_missing_heap_dump, parse_header, push_warning, tag_name,
};
pub use stream::StreamCheck;
pub use subrecords::{ClassDump, RootKind, SubRecord, SubRecords, sub_tag_name};
pub use types::{BasicType, Value};
