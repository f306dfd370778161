use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use memmap2::Mmap;

use super::Error;
use crate::progress::{Phase, Progress};

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

/// A dump opened read-only and mapped into memory. A gzip file is inflated
/// once into an anonymous temporary file, which is mapped instead.
pub struct Dump {
    path: PathBuf,
    map: Option<Mmap>,
    compression: Compression,
    warnings: Vec<String>,
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

impl Dump {
    /// Opens `path`, detecting gzip by content. Progress: `Decompressing` in
    /// compressed bytes, for gzip files only.
    pub fn open(path: &Path, progress: &Progress) -> Result<Dump, Error> {
        let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
        let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        let mut magic = [0u8; 2];
        let got = read_up_to(&mut file, &mut magic).map_err(|e| Error::io(path, e))?;
        let mut warnings = Vec::new();
        let (file, compression) = if got == 2 && magic == GZIP_MAGIC {
            drop(file);
            let block_size = chunked_block_size(path).map_err(|e| Error::io(path, e))?;
            let inflated = inflate(path, len, progress, &mut warnings)?;
            (
                inflated,
                Compression::Gzip {
                    compressed_bytes: len,
                    block_size,
                },
            )
        } else {
            (
                File::open(path).map_err(|e| Error::io(path, e))?,
                Compression::None,
            )
        };
        let mapped_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        let map = if mapped_len == 0 {
            None
        } else {
            // SAFETY: the map is read-only. Like every mmap-based reader we
            // accept that another process truncating the file while we read
            // it is undefined; the gzip case maps our own unlinked file.
            Some(unsafe { Mmap::map(&file) }.map_err(|e| Error::io(path, e))?)
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

fn read_up_to(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

/// The block size named in the comment of a jcmd chunked gzip dump.
fn chunked_block_size(path: &Path) -> io::Result<Option<u64>> {
    let mut head = [0u8; 64];
    let got = read_up_to(&mut File::open(path)?, &mut head)?;
    let head = &head[..got];
    // 10-byte gzip header; FLG bit 4 = FCOMMENT; no FEXTRA/FNAME in jcmd's.
    if head.len() < 10 || head[3] & 0x1c != 0x10 {
        return Ok(None);
    }
    let comment = &head[10..];
    let end = comment
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(comment.len());
    let text = String::from_utf8_lossy(&comment[..end]);
    Ok(text
        .strip_prefix("HPROF BLOCKSIZE=")
        .and_then(|n| n.parse().ok()))
}

/// Counts the compressed bytes read, for progress and error offsets.
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

/// Inflates every gzip member of `path` into an unlinked temporary file.
fn inflate(
    path: &Path,
    compressed_len: u64,
    progress: &Progress,
    warnings: &mut Vec<String>,
) -> Result<File, Error> {
    progress.start(Phase::Decompressing, compressed_len);
    let input = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut decoder = MultiGzDecoder::new(Counting {
        inner: BufReader::with_capacity(1 << 20, input),
        read: 0,
        progress,
    });
    let out = tempfile::tempfile().map_err(|e| {
        Error::new(format!(
            "cannot create a temporary file to decompress into: {e}"
        ))
        .in_file(path)
    })?;
    let mut writer = BufWriter::with_capacity(1 << 20, out);
    let mut buf = vec![0u8; 1 << 20];
    let mut written = 0u64;
    loop {
        if progress.is_cancelled() {
            return Err(Error::new("cancelled").in_file(path));
        }
        match decoder.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                writer.write_all(&buf[..n]).map_err(|e| {
                    Error::new(format!("writing the decompressed dump: {e}")).in_file(path)
                })?;
                written += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                warnings.push(format!(
                    "the gzip stream ends early after {} compressed bytes; kept the {} decompressed bytes before that",
                    decoder.get_ref().read, written
                ));
                break;
            }
            Err(e) => {
                let at = decoder.get_ref().read;
                if written == 0 {
                    return Err(Error {
                        path: Some(path.to_path_buf()),
                        offset: None,
                        message: format!(
                            "not a valid gzip file (failed near compressed byte {at}): {e}"
                        ),
                    });
                }
                warnings.push(format!(
                    "the gzip stream is corrupt near compressed byte {at} ({e}); kept the {written} decompressed bytes before that"
                ));
                break;
            }
        }
    }
    writer
        .flush()
        .map_err(|e| Error::new(format!("writing the decompressed dump: {e}")).in_file(path))?;
    writer
        .into_inner()
        .map_err(|e| Error::new(format!("writing the decompressed dump: {e}")).in_file(path))
}
