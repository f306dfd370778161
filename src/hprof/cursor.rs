/// Reading ran past the bytes there: `needed` bytes at file offset `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Short {
    pub offset: u64,
    pub needed: u64,
}

/// A big-endian reader over a slice of the dump that knows the file offset of
/// its first byte, so that every error can name where it happened.
#[derive(Clone, Copy, Debug)]
pub struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    base: u64,
    id_size: u32,
}

impl<'a> Cursor<'a> {
    /// `base` is the file offset of `data[0]`; `id_size` is 4 or 8.
    pub fn new(data: &'a [u8], base: u64, id_size: u32) -> Self {
        Cursor {
            data,
            pos: 0,
            base,
            id_size,
        }
    }

    #[inline]
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    #[inline]
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    pub fn id_size(&self) -> u32 {
        self.id_size
    }

    #[inline]
    fn short(&self, needed: usize) -> Short {
        Short {
            offset: self.offset(),
            needed: needed as u64,
        }
    }

    #[inline]
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], Short> {
        if self.remaining() < n {
            return Err(self.short(n));
        }
        let b = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(b)
    }

    #[inline]
    pub fn skip(&mut self, n: u64) -> Result<(), Short> {
        if (self.remaining() as u64) < n {
            return Err(self.short(n as usize));
        }
        self.pos += n as usize;
        Ok(())
    }

    #[inline]
    pub fn u1(&mut self) -> Result<u8, Short> {
        let b = self.bytes(1)?;
        Ok(b[0])
    }

    #[inline]
    pub fn u2(&mut self) -> Result<u16, Short> {
        let b = self.bytes(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    #[inline]
    pub fn u4(&mut self) -> Result<u32, Short> {
        let b = self.bytes(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    #[inline]
    pub fn u8(&mut self) -> Result<u64, Short> {
        let b = self.bytes(8)?;
        Ok(u64::from_be_bytes(b.try_into().expect("8 bytes")))
    }

    /// An identifier of the dump's identifier size.
    #[inline]
    pub fn id(&mut self) -> Result<u64, Short> {
        if self.id_size == 8 {
            self.u8()
        } else {
            self.u4().map(u64::from)
        }
    }
}

/// Reads a big-endian identifier of `id_size` bytes at `at`, if there.
#[inline]
pub fn read_id(data: &[u8], at: usize, id_size: u32) -> Option<u64> {
    if id_size == 8 {
        let b = data.get(at..at + 8)?;
        Some(u64::from_be_bytes(b.try_into().ok()?))
    } else {
        let b = data.get(at..at + 4)?;
        Some(u32::from_be_bytes(b.try_into().ok()?) as u64)
    }
}

/// Reads a big-endian u32 at `at`, if there.
#[inline]
pub fn read_u32(data: &[u8], at: usize) -> Option<u32> {
    let b = data.get(at..at + 4)?;
    Some(u32::from_be_bytes(b.try_into().ok()?))
}
