//! The index file's bytes: a 4 KiB header with a table of sections, then
//! the sections, each aligned to 4 KiB.
//!
//! Header: magic, format version, section count, the dump's size, mtime
//! (ns) and head-and-tail hash, the options key, the sections (name,
//! offset, bytes, CRC-32, element size), and the header's own CRC-32.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use memmap2::Mmap;
use rayon::prelude::*;

use crate::heap::store::Buf;
use crate::hprof::Error;
use crate::progress::{Phase, Progress};

const MAGIC: &[u8; 8] = b"HSIDX\r\n\x1a";
/// Bumped whenever the layout of the file or of the meta section changes.
pub const FORMAT: u32 = 2;
const HEADER: usize = 4096;
const ALIGN: u64 = 4096;
const NAME: usize = 24;
const ENTRY: usize = NAME + 8 + 8 + 4 + 4;
const MAX_SECTIONS: usize = 64;
const MAX_KEY: usize = 512;
/// Bytes hashed at each end of the dump to notice that it changed.
const EDGE: u64 = 1 << 20;

/// What an index must match: the dump file as it is now, and the options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub dump_bytes: u64,
    pub mtime_ns: u64,
    pub edges_hash: u64,
    pub key: String,
}

impl Identity {
    /// The identity of the dump at `path` as it is now.
    pub fn of(path: &Path, key: &str) -> std::io::Result<Identity> {
        let mut file = File::open(path)?;
        let meta = file.metadata()?;
        let mtime_ns = meta
            .modified()?
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let size = meta.len();
        let mut head = vec![0u8; size.min(EDGE) as usize];
        file.read_exact(&mut head)?;
        let mut tail = vec![0u8; size.min(EDGE) as usize];
        file.seek(SeekFrom::Start(size - tail.len() as u64))?;
        file.read_exact(&mut tail)?;
        let edges_hash = (crc32fast::hash(&head) as u64) << 32 | crc32fast::hash(&tail) as u64;
        Ok(Identity {
            dump_bytes: size,
            mtime_ns,
            edges_hash,
            key: key.to_string(),
        })
    }
}

/// One section to write: a name and its bytes.
pub struct Section<'a> {
    pub name: String,
    pub elem: u32,
    pub bytes: &'a [u8],
}

impl<'a> Section<'a> {
    pub fn of<T: bytemuck::Pod>(name: impl Into<String>, values: &'a [T]) -> Section<'a> {
        Section {
            name: name.into(),
            elem: size_of::<T>() as u32,
            bytes: bytemuck::cast_slice(values),
        }
    }
}

fn align(x: u64) -> u64 {
    x.div_ceil(ALIGN) * ALIGN
}

/// The size of the index holding `sections`.
pub fn planned_bytes(sections: &[Section<'_>]) -> u64 {
    sections
        .iter()
        .fold(HEADER as u64, |at, s| align(at) + s.bytes.len() as u64)
}

/// CRC-32 of `bytes`, 64 MiB pieces in parallel.
fn crc(bytes: &[u8], progress: &Progress) -> u32 {
    const PIECE: usize = 64 << 20;
    let hashers: Vec<crc32fast::Hasher> = bytes
        .par_chunks(PIECE)
        .map(|piece| {
            let mut h = crc32fast::Hasher::new();
            h.update(piece);
            progress.add(piece.len() as u64);
            h
        })
        .collect();
    let mut all = crc32fast::Hasher::new();
    for h in &hashers {
        all.combine(h);
    }
    all.finalize()
}

/// Writes an index to `path` atomically: into a temporary file of the same
/// folder, renamed over `path` once complete. A process killed meanwhile
/// leaves only the temporary file, which the next write removes.
pub fn write(
    path: &Path,
    identity: &Identity,
    sections: &[Section<'_>],
    progress: &Progress,
) -> std::io::Result<u64> {
    assert!(sections.len() <= MAX_SECTIONS && identity.key.len() <= MAX_KEY);
    let total = planned_bytes(sections);
    progress.start(Phase::WritingIndex, 2 * total);
    let mut header = Vec::with_capacity(HEADER);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&FORMAT.to_le_bytes());
    header.extend_from_slice(&(sections.len() as u32).to_le_bytes());
    header.extend_from_slice(&identity.dump_bytes.to_le_bytes());
    header.extend_from_slice(&identity.mtime_ns.to_le_bytes());
    header.extend_from_slice(&identity.edges_hash.to_le_bytes());
    header.extend_from_slice(&(identity.key.len() as u32).to_le_bytes());
    header.extend_from_slice(identity.key.as_bytes());
    let mut at = HEADER as u64;
    let mut offsets = Vec::with_capacity(sections.len());
    for s in sections {
        at = align(at);
        let mut name = [0u8; NAME];
        let n = s.name.len().min(NAME);
        name[..n].copy_from_slice(&s.name.as_bytes()[..n]);
        header.extend_from_slice(&name);
        header.extend_from_slice(&at.to_le_bytes());
        header.extend_from_slice(&(s.bytes.len() as u64).to_le_bytes());
        header.extend_from_slice(&crc(s.bytes, progress).to_le_bytes());
        header.extend_from_slice(&s.elem.to_le_bytes());
        offsets.push(at);
        at += s.bytes.len() as u64;
    }
    let header_crc = crc32fast::hash(&header);
    header.extend_from_slice(&header_crc.to_le_bytes());
    header.resize(HEADER, 0);

    remove_leftovers(path);
    let tmp = Temporary(temporary_name(path, std::process::id()));
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp.0)?;
    {
        let mut w = BufWriter::with_capacity(1 << 20, &file);
        w.write_all(&header)?;
        let mut pos = HEADER as u64;
        for (s, &off) in sections.iter().zip(&offsets) {
            w.write_all(&vec![0u8; (off - pos) as usize])?;
            for piece in s.bytes.chunks(16 << 20) {
                if progress.is_cancelled() {
                    return Err(std::io::Error::other("cancelled"));
                }
                w.write_all(piece)?;
                progress.add(piece.len() as u64);
            }
            pos = off + s.bytes.len() as u64;
        }
        w.flush()?;
    }
    drop(file);
    std::fs::rename(&tmp.0, path)?;
    std::mem::forget(tmp);
    Ok(total)
}

/// Where the index for `path` is written by process `pid` before it is
/// complete: `.NAME.PID.tmp` in the same folder.
fn temporary_name(path: &Path, pid: u32) -> PathBuf {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!(".{name}.{pid}.tmp"))
}

/// A temporary index, removed unless renamed into place.
struct Temporary(PathBuf);

impl Drop for Temporary {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Removes the temporary indexes for `path` that killed processes left.
fn remove_leftovers(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let prefix = format!(".{}.", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let pid = file
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .and_then(|pid| pid.parse::<u32>().ok());
        if let Some(pid) = pid {
            // Our own pid's is stale too: this process writes it now.
            if pid == std::process::id() || !Path::new(&format!("/proc/{pid}")).exists() {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// An index file mapped read-only, with its header checked and every
/// section's checksum verified.
pub struct IndexFile {
    pub map: Arc<Mmap>,
    pub path: PathBuf,
    sections: Vec<(String, u64, u64, u32)>,
}

/// Why an index could not be used.
pub fn damaged(path: &Path, offset: u64, what: impl std::fmt::Display) -> Error {
    Error::at(offset, format!("damaged index: {what}")).in_file(path)
}

impl IndexFile {
    /// Opens and checks the index at `path` against `identity`. `Ok(None)`
    /// when there is no file there.
    pub fn open(
        path: &Path,
        identity: &Identity,
        progress: &Progress,
    ) -> Result<Option<IndexFile>, Error> {
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(path, e)),
        };
        // SAFETY: the index is opened read-only and only read through the
        // map; heapscope replaces an index by renaming a new file over it,
        // which leaves this mapping's file intact.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
        let bad = |offset: u64, what: String| damaged(path, offset, what);
        if map.len() < HEADER {
            return Err(bad(
                0,
                format!("{} bytes, shorter than its {HEADER}-byte header", map.len()),
            ));
        }
        if &map[..8] != MAGIC {
            return Err(bad(0, "not a heapscope index (wrong magic)".into()));
        }
        let u32_at = |at: usize| u32::from_le_bytes(map[at..at + 4].try_into().expect("4 bytes"));
        let u64_at = |at: usize| u64::from_le_bytes(map[at..at + 8].try_into().expect("8 bytes"));
        let format = u32_at(8);
        if format != FORMAT {
            return Err(Error::new(format!(
                "stale index: format {format}, this heapscope writes format {FORMAT}"
            ))
            .in_file(path));
        }
        let count = u32_at(12) as usize;
        let key_len = u32_at(40) as usize;
        if count > MAX_SECTIONS || key_len > MAX_KEY {
            return Err(bad(12, format!("{count} sections, key of {key_len} bytes")));
        }
        let table = 44 + key_len;
        let end = table + count * ENTRY;
        let stored_crc = u32_at(end);
        if crc32fast::hash(&map[..end]) != stored_crc {
            return Err(bad(
                end as u64,
                "the header's checksum does not match".into(),
            ));
        }
        let found = Identity {
            dump_bytes: u64_at(16),
            mtime_ns: u64_at(24),
            edges_hash: u64_at(32),
            key: String::from_utf8_lossy(&map[44..table]).into_owned(),
        };
        if found.key != identity.key {
            return Err(Error::new(format!(
                "stale index: built with options {:?}, not {:?}",
                found.key, identity.key
            ))
            .in_file(path));
        }
        if found != *identity {
            return Err(Error::new(
                "stale index: the dump changed since it was built (size, time or content)",
            )
            .in_file(path));
        }
        let mut sections = Vec::with_capacity(count);
        let mut total = 0u64;
        for k in 0..count {
            let e = table + k * ENTRY;
            let name = String::from_utf8_lossy(&map[e..e + NAME])
                .trim_end_matches('\0')
                .to_string();
            let (offset, bytes) = (u64_at(e + NAME), u64_at(e + NAME + 8));
            let (crc, elem) = (u32_at(e + NAME + 16), u32_at(e + NAME + 20));
            let fits = offset >= HEADER as u64
                && offset % ALIGN == 0
                && offset
                    .checked_add(bytes)
                    .is_some_and(|x| x <= map.len() as u64)
                && matches!(elem, 1 | 2 | 4 | 8)
                && bytes % elem as u64 == 0;
            if !fits {
                return Err(bad(
                    e as u64,
                    format!(
                        "section {name:?} at {offset} of {bytes} bytes does not fit the file of {} bytes",
                        map.len()
                    ),
                ));
            }
            total += bytes;
            sections.push((name, offset, bytes, crc));
        }
        progress.start(Phase::ReadingIndex, total);
        let failed = sections
            .par_iter()
            .find_map_any(|(name, offset, bytes, want)| {
                let body = &map[*offset as usize..(*offset + *bytes) as usize];
                (crc(body, progress) != *want).then(|| (name.clone(), *offset))
            });
        if let Some((name, offset)) = failed {
            return Err(bad(
                offset,
                format!("section {name:?}: its checksum does not match"),
            ));
        }
        Ok(Some(IndexFile {
            map: Arc::new(map),
            path: path.to_path_buf(),
            sections,
        }))
    }

    fn section(&self, name: &str) -> Result<(u64, u64), Error> {
        self.sections
            .iter()
            .find(|s| s.0 == name)
            .map(|s| (s.1, s.2))
            .ok_or_else(|| damaged(&self.path, 0, format!("no section {name:?}")))
    }

    /// The bytes of section `name`.
    pub fn bytes(&self, name: &str) -> Result<&[u8], Error> {
        let (offset, bytes) = self.section(name)?;
        Ok(&self.map[offset as usize..(offset + bytes) as usize])
    }

    /// Section `name` as an array of `T`.
    pub fn array<T: bytemuck::Pod>(&self, name: &str) -> Result<Buf<T>, Error> {
        let (offset, bytes) = self.section(name)?;
        let size = size_of::<T>() as u64;
        if bytes % size != 0 {
            return Err(damaged(
                &self.path,
                offset,
                format!("section {name:?} of {bytes} bytes is not an array of {size}-byte values"),
            ));
        }
        Buf::mapped(&self.map, offset as usize, (bytes / size) as usize)
            .ok_or_else(|| damaged(&self.path, offset, format!("section {name:?} is misplaced")))
    }

    /// The file's size.
    pub fn len(&self) -> u64 {
        self.map.len() as u64
    }
}

/// Where a dump's index is, or would be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// Beside the dump.
    pub beside: PathBuf,
    /// In the cache folder, for dumps in folders heapscope cannot write.
    pub cache: Option<PathBuf>,
}

impl Location {
    /// Both places, in the order they are tried.
    pub fn candidates(&self) -> impl Iterator<Item = &PathBuf> {
        std::iter::once(&self.beside).chain(self.cache.as_ref())
    }
}

/// The index places for the dump at `dump` built with options `key`
/// (empty for the defaults): `DUMP.hsidx` beside it, and
/// `$XDG_CACHE_HOME/heapscope/NAME-HASH.hsidx` (default `~/.cache`), the
/// hash being that of the dump's absolute path.
pub fn locate(dump: &Path, key: &str) -> Location {
    let suffix = if key.is_empty() {
        ".hsidx".to_string()
    } else {
        format!(".{key}.hsidx")
    };
    let name = dump
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "dump".into());
    let beside = dump.with_file_name(format!("{name}{suffix}"));
    let cache_dir = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")));
    let absolute = std::path::absolute(dump).unwrap_or_else(|_| dump.to_path_buf());
    let hash = crc32fast::hash(absolute.as_os_str().as_encoded_bytes());
    let cache = cache_dir.map(|d| {
        d.join("heapscope")
            .join(format!("{name}-{hash:08x}{suffix}"))
    });
    Location { beside, cache }
}

/// What `heapscope index --status` tells.
#[derive(Debug)]
pub enum IndexStatus {
    /// None in either place.
    Missing,
    /// Usable: where, and its size.
    Valid(PathBuf, u64),
    /// Present but not usable, and why.
    Unusable(PathBuf, String),
}

/// The state of the index of `dump` for options `key`.
pub fn status(dump: &Path, key: &str) -> Result<IndexStatus, Error> {
    let identity = Identity::of(dump, key).map_err(|e| Error::io(dump, e))?;
    let mut unusable = None;
    for path in locate(dump, key).candidates() {
        match IndexFile::open(path, &identity, &Progress::new()) {
            Ok(Some(f)) => return Ok(IndexStatus::Valid(path.clone(), f.len())),
            Ok(None) => {}
            Err(e) => {
                unusable.get_or_insert(IndexStatus::Unusable(path.clone(), e.to_string()));
            }
        }
    }
    Ok(unusable.unwrap_or(IndexStatus::Missing))
}
