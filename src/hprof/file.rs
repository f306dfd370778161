use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use memmap2::Mmap;

use super::Error;
use super::stream::StreamCheck;
use crate::progress::{Phase, Progress};
use crate::units::bytes;

/// How the file on disk was compressed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    /// gzip; `block_size` is set for the chunked, many-member files
    /// `jcmd GC.heap_dump -gz=N` writes (its first member's comment says
    /// `HPROF BLOCKSIZE=N`).
    Gzip {
        compressed_bytes: u64,
        block_size: Option<u64>,
    },
}

/// A dump opened read-only and mapped into memory. A gzip file, or any
/// stream that is not a regular file (a pipe, a FIFO, stdin as `-`), is
/// copied once into an anonymous temporary file, which is mapped instead.
pub struct Dump {
    path: PathBuf,
    map: Option<Mmap>,
    compression: Compression,
    warnings: Vec<String>,
}

/// Where streams are copied to, and how much room that folder has.
#[derive(Clone, Debug)]
pub struct Spool {
    /// The folder of the temporary file: `TMPDIR`, or `/tmp`.
    pub dir: PathBuf,
    /// Free bytes for an unprivileged user in a folder.
    pub free_space: fn(&Path) -> io::Result<u64>,
    /// Free space is checked again every this many bytes written.
    pub check_every: u64,
    /// Bytes always left free in the folder.
    pub margin: u64,
}

impl Default for Spool {
    fn default() -> Self {
        Spool {
            dir: std::env::temp_dir(),
            free_space,
            check_every: 64 << 20,
            margin: 64 << 20,
        }
    }
}

/// Free bytes for an unprivileged user in the file system of `dir`.
pub fn free_space(dir: &Path) -> io::Result<u64> {
    let s = rustix::fs::statvfs(dir)?;
    Ok(s.f_bavail.saturating_mul(s.f_frsize))
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// `-` names standard input.
fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

impl Dump {
    /// Opens `path` (`-` for standard input), detecting gzip by content.
    /// Progress: `Decompressing` in compressed bytes for gzip, `Copying`
    /// for a plain stream.
    pub fn open(path: &Path, progress: &Progress) -> Result<Dump, Error> {
        Dump::open_with(path, progress, &Spool::default())
    }

    /// [`Dump::open`], copying streams as `spool` says. The path is opened
    /// exactly once: a FIFO or `<(zcat dump.gz)` gives its bytes only once.
    pub fn open_with(path: &Path, progress: &Progress, spool: &Spool) -> Result<Dump, Error> {
        let io_err = |e| Error::io(path, e);
        let file = if is_stdin(path) {
            use std::os::fd::AsFd;
            File::from(
                std::io::stdin()
                    .as_fd()
                    .try_clone_to_owned()
                    .map_err(io_err)?,
            )
        } else {
            File::open(path).map_err(io_err)?
        };
        let meta = file.metadata().map_err(io_err)?;
        let mut head = [0u8; 64];
        let mut warnings = Vec::new();
        let (file, compression) = if meta.is_file() {
            let len = meta.len();
            let got = read_at_up_to(&file, &mut head).map_err(io_err)?;
            if got == 0 {
                return Err(empty(path, "file"));
            }
            if got >= 2 && head[..2] == GZIP_MAGIC {
                // Start at byte 0 even for a stdin redirected from a file
                // that was read from already.
                let input = ReadAt { file: &file, at: 0 };
                let (inflated, _) =
                    inflate(path, input, Some(len), progress, spool, &mut warnings)?;
                let compression = Compression::Gzip {
                    compressed_bytes: len,
                    block_size: chunked_block_size(&head[..got]),
                };
                (inflated, compression)
            } else {
                (file, Compression::None)
            }
        } else {
            let mut file = file;
            let got = read_up_to(&mut file, &mut head).map_err(io_err)?;
            if got == 0 {
                return Err(empty(path, "input"));
            }
            let input = io::Cursor::new(head[..got].to_vec()).chain(file);
            if got >= 2 && head[..2] == GZIP_MAGIC {
                let (inflated, read) = inflate(path, input, None, progress, spool, &mut warnings)?;
                let compression = Compression::Gzip {
                    compressed_bytes: read,
                    block_size: chunked_block_size(&head[..got]),
                };
                (inflated, compression)
            } else {
                (
                    copy(path, input, progress, spool, &mut warnings)?,
                    Compression::None,
                )
            }
        };
        let mapped_len = file.metadata().map_err(io_err)?.len();
        let map = if mapped_len == 0 {
            None
        } else {
            // SAFETY: the map is read-only. Like every mmap-based reader we
            // accept that another process truncating the file while we read
            // it is undefined; the gzip case maps our own unlinked file.
            Some(unsafe { Mmap::map(&file) }.map_err(|e| {
                Error::new(format!("mapping {} of the dump: {e}", bytes(mapped_len))).in_file(path)
            })?)
        };
        Ok(Dump {
            path: path.to_path_buf(),
            map,
            compression,
            warnings,
        })
    }

    /// The (decompressed) dump bytes.
    pub fn bytes(&self) -> &[u8] {
        self.map.as_deref().unwrap_or(&[])
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn compression(&self) -> &Compression {
        &self.compression
    }

    /// Problems met while opening (a truncated gzip stream).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

/// `what` is "file" or "input".
fn empty(path: &Path, what: &str) -> Error {
    Error::at(
        0,
        format!("the {what} is empty: expected an HPROF heap dump (the text \"JAVA PROFILE 1.0.2\") or a gzip file"),
    )
    .in_file(path)
}

fn read_up_to(file: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

fn read_at_up_to(file: &File, buf: &mut [u8]) -> io::Result<usize> {
    read_up_to(&mut ReadAt { file, at: 0 }, buf)
}

/// Reads a regular file from an offset, whatever its cursor.
struct ReadAt<'f> {
    file: &'f File,
    at: u64,
}

impl Read for ReadAt<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read_at(buf, self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

/// The block size named in the comment of a jcmd chunked gzip dump, from
/// the file's first bytes.
fn chunked_block_size(head: &[u8]) -> Option<u64> {
    // 10-byte gzip header; FLG bit 4 = FCOMMENT; no FEXTRA/FNAME in jcmd's.
    if head.len() < 10 || head[3] & 0x1c != 0x10 {
        return None;
    }
    let comment = &head[10..];
    let end = comment
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(comment.len());
    let text = String::from_utf8_lossy(&comment[..end]);
    text.strip_prefix("HPROF BLOCKSIZE=")
        .and_then(|n| n.parse().ok())
}

/// Counts the bytes read, for progress and error offsets.
struct Counting<'p, R> {
    inner: R,
    read: u64,
    progress: &'p Progress,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        self.progress.set(self.read);
        Ok(n)
    }
}

/// The temporary file a stream is written to, checked as it grows: every
/// chunk goes through the HPROF stream check first, and free space in the
/// folder is checked before the first byte and every `check_every` bytes.
struct SpoolFile<'a> {
    path: &'a Path,
    spool: &'a Spool,
    writer: BufWriter<File>,
    check: StreamCheck,
    written: u64,
    next_space_check: u64,
    /// What is being written, for messages: "decompress" or "copy".
    verb: &'static str,
}

impl<'a> SpoolFile<'a> {
    /// `expected`: bytes the stream will at least take, if known.
    fn create(
        path: &'a Path,
        spool: &'a Spool,
        expected: u64,
        verb: &'static str,
    ) -> Result<Self, Error> {
        let dir = &spool.dir;
        let free = (spool.free_space)(dir).map_err(|e| {
            Error::new(format!(
                "cannot tell the free space of the temporary folder {}: {e}",
                dir.display()
            ))
            .in_file(path)
        })?;
        let needed = expected + spool.margin;
        if free < needed {
            return Err(no_space(path, spool, verb, needed, 0, free));
        }
        let out = tempfile::tempfile_in(dir).map_err(|e| {
            Error::new(format!(
                "cannot create a temporary file in {} to {verb} the dump into: {e}",
                dir.display()
            ))
            .in_file(path)
        })?;
        Ok(SpoolFile {
            path,
            spool,
            writer: BufWriter::with_capacity(1 << 20, out),
            check: StreamCheck::new(),
            written: 0,
            next_space_check: spool.check_every,
            verb,
        })
    }

    /// Checks and writes the next chunk. When the stream stops being HPROF
    /// after some heap records, the part before is kept and the warning
    /// saying so returned (`Ok(Some(..))`: stop reading); with no heap
    /// record before, it is an error.
    fn write(&mut self, chunk: &[u8]) -> Result<Option<String>, Error> {
        let (chunk, stop) = match self.check.feed(chunk) {
            Ok(()) => (chunk, None),
            Err(e) => {
                let at = e.offset.unwrap_or(self.written);
                let how = if self.verb == "copy" {
                    "stopped reading the input there".to_string()
                } else {
                    format!("stopped decompressing there (byte {at} of the decompressed data)")
                };
                if self.check.heap_records() == 0 {
                    return Err(Error {
                        path: Some(self.path.to_path_buf()),
                        offset: e.offset,
                        message: format!("{}; {how}", e.message),
                    });
                }
                let keep = (at.saturating_sub(self.written) as usize).min(chunk.len());
                let warning = format!(
                    "at byte {at}: {}; {how} and kept the {at} bytes before it",
                    e.message
                );
                (&chunk[..keep], Some(warning))
            }
        };
        if self.written + chunk.len() as u64 > self.next_space_check {
            let dir = &self.spool.dir;
            let free = (self.spool.free_space)(dir).unwrap_or(u64::MAX);
            let needed = self.spool.check_every + self.spool.margin;
            if free < needed {
                return Err(no_space(
                    self.path,
                    self.spool,
                    self.verb,
                    self.written + needed,
                    self.written,
                    free,
                ));
            }
            self.next_space_check = self.written + self.spool.check_every;
        }
        self.writer
            .write_all(chunk)
            .map_err(|e| self.write_error(e))?;
        self.written += chunk.len() as u64;
        Ok(stop)
    }

    fn write_error(&self, e: io::Error) -> Error {
        Error::new(format!(
            "writing the dump to a temporary file in {} after {}: {e}",
            self.spool.dir.display(),
            bytes(self.written)
        ))
        .in_file(self.path)
    }

    fn finish(self) -> Result<File, Error> {
        let written = self.written;
        let dir = self.spool.dir.clone();
        let path = self.path;
        self.writer.into_inner().map_err(|e| {
            Error::new(format!(
                "writing the dump to a temporary file in {} after {}: {}",
                dir.display(),
                bytes(written),
                e.error()
            ))
            .in_file(path)
        })
    }
}

fn no_space(path: &Path, spool: &Spool, verb: &str, needed: u64, written: u64, free: u64) -> Error {
    let so_far = if written > 0 {
        format!(", {} written so far", bytes(written))
    } else {
        String::new()
    };
    Error::new(format!(
        "not enough free space in the temporary folder {} to {verb} the dump: at least {} needed{so_far}, {} free; set TMPDIR to a folder with more space",
        spool.dir.display(),
        bytes(needed),
        bytes(free)
    ))
    .in_file(path)
}

/// Inflates every gzip member of `input` into an unlinked temporary file;
/// returns it and the compressed bytes read. `compressed_len` is the
/// input's size, if known, for progress and the free-space check.
fn inflate(
    path: &Path,
    input: impl Read,
    compressed_len: Option<u64>,
    progress: &Progress,
    spool: &Spool,
    warnings: &mut Vec<String>,
) -> Result<(File, u64), Error> {
    progress.start(Phase::Decompressing, compressed_len.unwrap_or(0));
    let mut decoder = MultiGzDecoder::new(Counting {
        inner: BufReader::with_capacity(1 << 20, input),
        read: 0,
        progress,
    });
    // A dump inflates to more than its compressed size.
    let mut out = SpoolFile::create(path, spool, compressed_len.unwrap_or(0), "decompress")?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        if progress.is_cancelled() {
            return Err(Error::new("cancelled").in_file(path));
        }
        match decoder.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if let Some(w) = out.write(&buf[..n])? {
                    warnings.push(w);
                    break;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                warnings.push(format!(
                    "the gzip stream ends early after {} compressed bytes; kept the {} decompressed bytes before that",
                    decoder.get_ref().read,
                    out.written
                ));
                break;
            }
            Err(e) => {
                let at = decoder.get_ref().read;
                if out.written == 0 {
                    return Err(Error {
                        path: Some(path.to_path_buf()),
                        offset: None,
                        message: format!(
                            "not a valid gzip file (failed near compressed byte {at}): {e}"
                        ),
                    });
                }
                warnings.push(format!(
                    "the gzip stream is corrupt near compressed byte {at} ({e}); kept the {} decompressed bytes before that",
                    out.written
                ));
                break;
            }
        }
    }
    let read = decoder.get_ref().read;
    Ok((out.finish()?, read))
}

/// Copies a plain stream (a pipe, a FIFO, stdin) into an unlinked
/// temporary file.
fn copy(
    path: &Path,
    input: impl Read,
    progress: &Progress,
    spool: &Spool,
    warnings: &mut Vec<String>,
) -> Result<File, Error> {
    progress.start(Phase::Copying, 0);
    let mut input = Counting {
        inner: input,
        read: 0,
        progress,
    };
    let mut out = SpoolFile::create(path, spool, 0, "copy")?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        if progress.is_cancelled() {
            return Err(Error::new("cancelled").in_file(path));
        }
        match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if let Some(w) = out.write(&buf[..n])? {
                    warnings.push(w);
                    break;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(Error::new(format!(
                    "reading the input after {}: {e}",
                    bytes(input.read)
                ))
                .in_file(path));
            }
        }
    }
    out.finish()
}
