//! Checks a dump while it streams in (from gzip or a pipe), before it is
//! whole: the header as soon as its bytes are there, then each top-level
//! record's header (tag, time, length), so that a stream which stops being
//! HPROF (a gzip bomb of zeros, a file that is not a dump) is refused at
//! the first bytes that cannot be a dump instead of being written out whole.

use super::{Error, parse_header, tag_name};

/// The longest header: a magic of up to 64 bytes with its NUL, the id size
/// and the timestamp.
const HEADER_MAX: usize = 64 + 12;

/// Top-level tags a dump may hold (HotSpot, ART and the old JVMTI agent).
fn known_tag(tag: u8) -> bool {
    matches!(tag, 0x01..=0x07 | 0x0A..=0x0E | 0x1C | 0x2C)
}

/// Records of other tags are skipped by their length, as the format asks,
/// but not this many in a row: a stream of them is not a dump.
const UNKNOWN_IN_A_ROW: u64 = 1000;

/// Heap sub-record tags, for the first byte of a HEAP DUMP (SEGMENT) body.
fn known_sub_tag(tag: u8) -> bool {
    matches!(
        tag,
        0x01..=0x08 | 0xFF | 0x20..=0x23 | 0xFE | 0x89..=0x8E | 0x90 | 0xC3
    )
}

/// The incremental checker: feed it the stream's bytes in order.
#[derive(Debug, Default)]
pub struct StreamCheck {
    /// Bytes seen so far (the offset of the next byte fed).
    seen: u64,
    /// The header bytes, until the header is parsed.
    header: Vec<u8>,
    header_done: bool,
    /// The record header being collected (9 bytes).
    record: [u8; 9],
    record_len: usize,
    /// Body bytes of the current record still to pass.
    body_left: u64,
    /// The current record is a heap dump whose first sub-record tag is next.
    heap_body_start: bool,
    /// Offset and tag of the record whose body is being passed.
    record_at: u64,
    records: u64,
    /// Records of unknown tags since the last known one.
    unknown_in_a_row: u64,
    /// HEAP DUMP (SEGMENT) records whose body began with a sub-record tag.
    heap_records: u64,
}

impl StreamCheck {
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes checked so far.
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// Top-level records whose header was checked.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// HEAP DUMP and HEAP DUMP SEGMENT records whose body began well: if
    /// there are none, what came before a bad stretch holds no heap.
    pub fn heap_records(&self) -> u64 {
        self.heap_records
    }

    /// Checks the next bytes of the stream; the error names the offset in
    /// the (decompressed) stream and what was expected there.
    pub fn feed(&mut self, mut chunk: &[u8]) -> Result<(), Error> {
        if !self.header_done {
            let take = (HEADER_MAX - self.header.len()).min(chunk.len());
            self.header.extend_from_slice(&chunk[..take]);
            let nul = self.header.iter().take(64).position(|&b| b == 0);
            let complete = match nul {
                Some(n) => self.header.len() >= n + 13,
                None => self.header.len() >= 64,
            };
            if !complete {
                self.seen += take as u64;
                return Ok(());
            }
            let header = parse_header(&self.header)?;
            let used = header.records_start as usize - (self.header.len() - take);
            self.header_done = true;
            self.header = Vec::new();
            self.seen += used as u64;
            chunk = &chunk[used..];
        }
        while !chunk.is_empty() {
            if self.body_left > 0 {
                if self.heap_body_start {
                    self.heap_body_start = false;
                    let tag = chunk[0];
                    if !known_sub_tag(tag) {
                        return Err(Error::at(
                            self.seen,
                            format!(
                                "the {} record at byte {} begins with 0x{tag:02X}: expected a heap sub-record tag (a root 0x01-0x08 or 0xFF, a CLASS DUMP 0x20, an object 0x21-0x23 or an Android record); this is not an HPROF heap dump from here on",
                                tag_name(self.record[0]),
                                self.record_at
                            ),
                        ));
                    }
                    self.heap_records += 1;
                }
                let n = self.body_left.min(chunk.len() as u64);
                self.body_left -= n;
                self.seen += n;
                chunk = &chunk[n as usize..];
                continue;
            }
            let take = (9 - self.record_len).min(chunk.len());
            self.record[self.record_len..self.record_len + take].copy_from_slice(&chunk[..take]);
            self.record_len += take;
            chunk = &chunk[take..];
            if self.record_len < 9 {
                self.seen += take as u64;
                break;
            }
            let at = self.seen + take as u64 - 9;
            self.seen += take as u64;
            self.record_len = 0;
            let tag = self.record[0];
            if known_tag(tag) {
                self.unknown_in_a_row = 0;
            } else {
                self.unknown_in_a_row += 1;
            }
            if tag == 0 || self.unknown_in_a_row > UNKNOWN_IN_A_ROW {
                let what = if tag == 0 {
                    String::new()
                } else {
                    format!(" (the {UNKNOWN_IN_A_ROW}th record of an unknown tag in a row)")
                };
                return Err(Error::at(
                    at,
                    format!(
                        "found 0x{tag:02X}{what} where a record tag was expected (0x01-0x0E, 0x1C or 0x2C) after {} records; this is not an HPROF heap dump from here on",
                        self.records
                    ),
                ));
            }
            self.records += 1;
            self.record_at = at;
            self.body_left =
                u32::from_be_bytes(self.record[5..9].try_into().expect("4 bytes")) as u64;
            self.heap_body_start = matches!(tag, 0x0C | 0x1C) && self.body_left > 0;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Vec<u8> {
        let mut h = b"JAVA PROFILE 1.0.2\0".to_vec();
        h.extend_from_slice(&8u32.to_be_bytes());
        h.extend_from_slice(&0u64.to_be_bytes());
        h
    }

    fn record(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut r = vec![tag, 0, 0, 0, 0];
        r.extend_from_slice(&(body.len() as u32).to_be_bytes());
        r.extend_from_slice(body);
        r
    }

    /// Feeds `data` in pieces of `step` bytes.
    fn check(data: &[u8], step: usize) -> Result<(), Error> {
        let mut c = StreamCheck::new();
        for piece in data.chunks(step) {
            c.feed(piece)?;
        }
        Ok(())
    }

    #[test]
    fn a_dump_passes_in_any_pieces() {
        let mut d = header();
        d.extend(record(0x01, b"\0\0\0\0\0\0\0\x01abc"));
        d.extend(record(0x1C, &[0x05, 0, 0, 0, 0, 0, 0, 0, 1]));
        d.extend(record(0x2C, &[]));
        for step in 1..d.len() {
            check(&d, step).unwrap();
        }
    }

    #[test]
    fn zeros_after_the_header_stop_at_the_first_record() {
        let mut d = header();
        d.extend(vec![0u8; 4096]);
        for step in [1, 7, 31, 4096] {
            let e = check(&d, step).unwrap_err();
            assert_eq!(e.offset, Some(31), "{e}");
            assert!(e.message.contains("expected (0x01-0x0E"), "{e}");
        }
    }

    #[test]
    fn unknown_tags_are_skipped_but_not_forever() {
        let mut d = header();
        d.extend(record(0x99, b"anything"));
        d.extend(record(0x2C, &[]));
        check(&d, 5).unwrap();
        for _ in 0..UNKNOWN_IN_A_ROW {
            d.extend(record(0x42, &[]));
        }
        check(&d, 64).unwrap();
        let at = d.len() as u64;
        d.extend(record(0x42, &[]));
        let e = check(&d, 64).unwrap_err();
        assert_eq!(e.offset, Some(at), "{e}");
        assert!(e.message.contains("unknown tag in a row"), "{e}");
    }

    #[test]
    fn a_heap_segment_of_zeros_stops_at_its_first_byte() {
        let mut d = header();
        d.extend(record(0x1C, &[0u8; 100]));
        let e = check(&d, 13).unwrap_err();
        assert_eq!(e.offset, Some(40), "{e}");
        assert!(
            e.message.contains("HEAP DUMP SEGMENT record at byte 31"),
            "{e}"
        );
    }

    #[test]
    fn a_bad_header_is_refused_at_once() {
        let e = check(&[0u8; 100], 100).unwrap_err();
        assert!(e.message.contains("not an HPROF heap dump"), "{e}");
        let e = check(b"JAVA PROFILE 1.0.9\0\0\0\0\x08\0\0\0\0\0\0\0\0", 3).unwrap_err();
        assert!(e.message.contains("unsupported HPROF version"), "{e}");
    }
}
