//! The little binary codec the mastery trees use: fixed-width big-endian numbers and
//! length-prefixed strings. Floats are stored as their exact bits, so a state read
//! back is the state written (a JSON round trip can move the last digit, and then an
//! incremental fold and a re-fold of the same evidence would differ).

// Kept, not postcard: bytes `digest` hashes; postcard: 316 bytes a skill record, not 346.
pub(crate) fn put_str(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(&(text.len() as u32).to_be_bytes());
    out.extend_from_slice(text.as_bytes());
}

/// Reads what the `put_*` calls wrote, in order; every read is `None` past the end.
pub(crate) struct Cursor<'a>(pub(crate) &'a [u8]);

impl Cursor<'_> {
    pub(crate) fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    pub(crate) fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    pub(crate) fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }
    pub(crate) fn i64(&mut self) -> Option<i64> {
        Some(i64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }
    pub(crate) fn f64(&mut self) -> Option<f64> {
        Some(f64::from_bits(u64::from_be_bytes(
            self.take(8)?.try_into().ok()?,
        )))
    }
    pub(crate) fn string(&mut self) -> Option<String> {
        let n = self.u32()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
