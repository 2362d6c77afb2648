//! Big-endian field access shared by the RTP and RTCP codecs: reads that
//! never panic and a bounded output cursor that never allocates.

/// Reads a big-endian `u16` at `at`, or 0 past the end (callers validate first).
#[inline]
pub(crate) fn u16_at(buf: &[u8], at: usize) -> u16 {
    match buf.get(at..at.wrapping_add(2)) {
        Some(&[a, b]) => u16::from_be_bytes([a, b]),
        _ => 0,
    }
}

/// Reads a big-endian 24-bit value at `at`, or 0 past the end.
#[inline]
pub(crate) fn u24_at(buf: &[u8], at: usize) -> u32 {
    match buf.get(at..at.wrapping_add(3)) {
        Some(&[a, b, c]) => u32::from_be_bytes([0, a, b, c]),
        _ => 0,
    }
}

/// Reads a big-endian `u32` at `at`, or 0 past the end.
#[inline]
pub(crate) fn u32_at(buf: &[u8], at: usize) -> u32 {
    match buf.get(at..at.wrapping_add(4)) {
        Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
        _ => 0,
    }
}

/// Reads a big-endian `u64` at `at`, or 0 past the end.
#[inline]
pub(crate) fn u64_at(buf: &[u8], at: usize) -> u64 {
    (u64::from(u32_at(buf, at)) << 32) | u64::from(u32_at(buf, at.wrapping_add(4)))
}

/// Reads the byte at `at`, or 0 past the end.
#[inline]
pub(crate) fn u8_at(buf: &[u8], at: usize) -> u8 {
    buf.get(at).copied().unwrap_or(0)
}

/// The output ran out of room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Overflow;

/// Appends to a caller-owned buffer; every write checks its bounds.
#[derive(Debug)]
pub(crate) struct Cursor<'b> {
    buf: &'b mut [u8],
    pos: usize,
}

impl<'b> Cursor<'b> {
    pub(crate) fn at(buf: &'b mut [u8], pos: usize) -> Self {
        Cursor { buf, pos }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    #[inline]
    pub(crate) fn put(&mut self, bytes: &[u8]) -> Result<(), Overflow> {
        let end = self.pos.checked_add(bytes.len()).ok_or(Overflow)?;
        self.buf
            .get_mut(self.pos..end)
            .ok_or(Overflow)?
            .copy_from_slice(bytes);
        self.pos = end;
        Ok(())
    }

    #[inline]
    pub(crate) fn put_u8(&mut self, v: u8) -> Result<(), Overflow> {
        let slot = self.buf.get_mut(self.pos).ok_or(Overflow)?;
        *slot = v;
        self.pos += 1;
        Ok(())
    }

    #[inline]
    pub(crate) fn put_u16(&mut self, v: u16) -> Result<(), Overflow> {
        self.put(&v.to_be_bytes())
    }

    #[inline]
    pub(crate) fn put_u32(&mut self, v: u32) -> Result<(), Overflow> {
        self.put(&v.to_be_bytes())
    }

    #[inline]
    pub(crate) fn put_zeros(&mut self, n: usize) -> Result<(), Overflow> {
        let end = self.pos.checked_add(n).ok_or(Overflow)?;
        self.buf.get_mut(self.pos..end).ok_or(Overflow)?.fill(0);
        self.pos = end;
        Ok(())
    }
}
