//! A cursor over untrusted bytes, shared by the binary parsers (QR summary, sealed envelope).
//! Every read checks the remaining length first, so a parser built on it cannot index out of
//! range or allocate from a length field before the bytes exist.

/// The input ended before the value being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Short;

/// Reads from the front of a byte slice.
pub(crate) struct ByteReader<'a>(&'a [u8]);

impl<'a> ByteReader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        ByteReader(bytes)
    }

    /// What is left.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.0
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], Short> {
        if self.0.len() < n {
            return Err(Short);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    pub(crate) fn byte(&mut self) -> Result<u8, Short> {
        Ok(self.take(1)?[0])
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], Short> {
        self.take(N)?.try_into().map_err(|_| Short)
    }

    /// A length-prefixed field: a u32 big-endian length, then that many bytes.
    pub(crate) fn long(&mut self) -> Result<&'a [u8], Short> {
        let len = u32::from_be_bytes(self.array()?);
        self.take(usize::try_from(len).map_err(|_| Short)?)
    }

    /// An unsigned LEB128 value of at most 64 bits; `None` inside `Ok` when it overflows.
    pub(crate) fn varint(&mut self) -> Result<Option<u64>, Short> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            let Some(part) = u64::from(byte & 0x7f).checked_shl(shift) else {
                return Ok(None);
            };
            value |= part;
            if byte & 0x80 == 0 {
                return Ok(Some(value));
            }
        }
        Ok(None)
    }
}
