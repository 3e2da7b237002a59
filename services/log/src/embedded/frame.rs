//! The record framing and a positional frame reader.
//!
//! Frames lie back to back in a segment file:
//!
//! ```text
//! body_len: u32 LE | crc32(body): u32 LE | body
//! body = offset: u64 LE | key_len: u32 LE | value_len: u32 LE | key | value
//! ```
//!
//! The CRC covers the offset and both lengths as well as the bytes, and `body_len` must
//! agree with them, so a torn tail (a partial header or body), garbage, a flipped bit or a
//! frame from the wrong place are all detected. Files are read positionally (`pread`),
//! never through a shared cursor.

use std::fs::File;
use std::os::unix::fs::FileExt;

use crate::MAX_RECORD_BYTES;

/// Bytes before the body: length and CRC.
const HEADER_BYTES: usize = 8;
/// Fixed bytes at the start of a body: offset, key length, value length.
const BODY_FIXED_BYTES: usize = 16;

/// Appends the frame of one record to `out`.
pub(crate) fn encode_frame(out: &mut Vec<u8>, offset: u64, key: &[u8], value: &[u8]) {
    let body_len = BODY_FIXED_BYTES + key.len() + value.len();
    let start = out.len();
    out.reserve(HEADER_BYTES + body_len);
    out.extend_from_slice(&(body_len as u32).to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&offset.to_le_bytes());
    out.extend_from_slice(&(key.len() as u32).to_le_bytes());
    out.extend_from_slice(&(value.len() as u32).to_le_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(value);
    let crc = crc32fast::hash(&out[start + HEADER_BYTES..]);
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
}

/// One decoded frame.
#[derive(Debug)]
pub(crate) struct Frame {
    pub offset: u64,
    pub key: Vec<u8>,
    pub value: Vec<u8>,
    /// Byte position of the frame in its file.
    pub position: u64,
    /// Frame length in bytes, header included.
    pub len: u64,
}

/// What the next bytes of a segment hold.
#[derive(Debug)]
pub(crate) enum Scan {
    Frame(Frame),
    /// The file ends exactly at a frame boundary.
    End,
    /// The bytes at `position` are not a whole valid frame (torn write or corruption).
    Invalid {
        position: u64,
        reason: &'static str,
    },
}

/// Reads frames from a file with `pread`, `chunk` bytes at a time.
pub(crate) struct FrameReader<'a> {
    file: &'a File,
    /// File position of `buf[0]`.
    buf_pos: u64,
    buf: Vec<u8>,
    /// Index in `buf` of the next unread byte.
    start: usize,
    chunk: usize,
    /// Bytes past this file position are never fetched (they are not whole records).
    limit: u64,
    eof: bool,
}

impl<'a> FrameReader<'a> {
    /// Reads frames from `position` up to `limit` (the file length, or the end of the
    /// records known to be whole), fetching at most `chunk` bytes ahead.
    pub(crate) fn new(file: &'a File, position: u64, limit: u64, chunk: usize) -> Self {
        FrameReader {
            file,
            buf_pos: position,
            buf: Vec::new(),
            start: 0,
            chunk,
            limit,
            eof: false,
        }
    }

    /// The file position of the next frame.
    pub(crate) fn position(&self) -> u64 {
        self.buf_pos + self.start as u64
    }

    /// Makes at least `need` unread bytes available, unless the file ends first.
    fn fill(&mut self, need: usize) -> std::io::Result<usize> {
        while self.buf.len() - self.start < need && !self.eof {
            if self.start > 0 {
                self.buf.drain(..self.start);
                self.buf_pos += self.start as u64;
                self.start = 0;
            }
            let have = self.buf.len();
            let ahead = self.limit.saturating_sub(self.buf_pos + have as u64);
            let want = need.max(self.chunk.min(have + ahead as usize));
            self.buf.resize(want, 0);
            let read = self
                .file
                .read_at(&mut self.buf[have..], self.buf_pos + have as u64)?;
            self.buf.truncate(have + read);
            if read == 0 {
                self.eof = true;
            }
        }
        Ok(self.buf.len() - self.start)
    }

    /// Moves past the frames before the one of `offset` reading only their headers and
    /// offsets (no CRC, no copy: they are not returned), so that [`FrameReader::next_frame`]
    /// decodes the frame of `offset` or whatever stands where it should be. Stops where
    /// the bytes are not a plausible frame, leaving them to `next_frame` to judge.
    pub(crate) fn skip_to(&mut self, offset: u64) -> std::io::Result<()> {
        const PEEK: usize = HEADER_BYTES + 8;
        loop {
            if self.fill(PEEK)? < PEEK {
                return Ok(());
            }
            let head = &self.buf[self.start..self.start + PEEK];
            let body_len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
            let at = u64::from_le_bytes(head[HEADER_BYTES..PEEK].try_into().unwrap_or_default());
            if at >= offset
                || !(BODY_FIXED_BYTES..=BODY_FIXED_BYTES + MAX_RECORD_BYTES).contains(&body_len)
            {
                return Ok(());
            }
            let frame_len = HEADER_BYTES + body_len;
            if frame_len <= self.buf.len() - self.start {
                self.start += frame_len;
            } else {
                // the next frame starts past what is buffered: read from there
                self.buf_pos += (self.start + frame_len) as u64;
                self.buf.clear();
                self.start = 0;
            }
        }
    }

    /// Decodes the next frame.
    pub(crate) fn next_frame(&mut self) -> std::io::Result<Scan> {
        let position = self.position();
        let invalid = |reason| Ok(Scan::Invalid { position, reason });
        let available = self.fill(HEADER_BYTES)?;
        if available == 0 {
            return Ok(Scan::End);
        }
        if available < HEADER_BYTES {
            return invalid("partial frame header");
        }
        let head = &self.buf[self.start..self.start + HEADER_BYTES];
        let body_len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        if !(BODY_FIXED_BYTES..=BODY_FIXED_BYTES + MAX_RECORD_BYTES).contains(&body_len) {
            return invalid("frame length out of range");
        }
        if self.fill(HEADER_BYTES + body_len)? < HEADER_BYTES + body_len {
            return invalid("partial frame body");
        }
        let body = &self.buf[self.start + HEADER_BYTES..self.start + HEADER_BYTES + body_len];
        if crc32fast::hash(body) != crc {
            return invalid("crc mismatch");
        }
        let offset = u64::from_le_bytes(body[0..8].try_into().unwrap_or_default());
        let key_len = u32::from_le_bytes(body[8..12].try_into().unwrap_or_default()) as usize;
        let value_len = u32::from_le_bytes(body[12..16].try_into().unwrap_or_default()) as usize;
        if BODY_FIXED_BYTES + key_len + value_len != body_len {
            return invalid("frame lengths disagree");
        }
        let key = body[BODY_FIXED_BYTES..BODY_FIXED_BYTES + key_len].to_vec();
        let value = body[BODY_FIXED_BYTES + key_len..].to_vec();
        self.start += HEADER_BYTES + body_len;
        Ok(Scan::Frame(Frame {
            offset,
            key,
            value,
            position,
            len: (HEADER_BYTES + body_len) as u64,
        }))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn file_with(bytes: &[u8]) -> File {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(bytes).unwrap();
        file
    }

    fn scan_all(bytes: &[u8]) -> (Vec<Frame>, Scan) {
        let file = file_with(bytes);
        let mut reader = FrameReader::new(&file, 0, bytes.len() as u64, 7);
        let mut frames = Vec::new();
        loop {
            match reader.next_frame().unwrap() {
                Scan::Frame(frame) => frames.push(frame),
                other => return (frames, other),
            }
        }
    }

    #[test]
    fn skipping_to_an_offset_reads_the_frames_before_it_by_their_headers_alone() {
        let mut bytes = Vec::new();
        for offset in 10..20 {
            encode_frame(
                &mut bytes,
                offset,
                b"k",
                &vec![offset as u8; 100 * offset as usize],
            );
        }
        let file = file_with(&bytes);
        for (chunk, wanted) in [(7, 15), (64, 19), (4096, 10), (16, 12)] {
            let mut reader = FrameReader::new(&file, 0, bytes.len() as u64, chunk);
            reader.skip_to(wanted).unwrap();
            let Scan::Frame(frame) = reader.next_frame().unwrap() else {
                panic!("frame {wanted} with chunks of {chunk}");
            };
            assert_eq!(frame.offset, wanted);
            assert_eq!(frame.value, vec![wanted as u8; 100 * wanted as usize]);
        }
        // past the last frame: nothing left to decode
        let mut reader = FrameReader::new(&file, 0, bytes.len() as u64, 64);
        reader.skip_to(20).unwrap();
        assert!(matches!(reader.next_frame().unwrap(), Scan::End));
    }

    #[test]
    fn frames_round_trip_through_a_file() {
        let mut bytes = Vec::new();
        encode_frame(&mut bytes, 7, b"key", b"value");
        encode_frame(&mut bytes, 8, b"", &[0; 300]);
        let (frames, end) = scan_all(&bytes);
        assert!(matches!(end, Scan::End));
        assert_eq!(frames.len(), 2);
        assert_eq!(
            (frames[0].offset, &frames[0].key[..], &frames[0].value[..]),
            (7, &b"key"[..], &b"value"[..])
        );
        assert_eq!(frames[1].position, frames[0].len);
        assert_eq!(frames[1].value.len(), 300);
    }

    #[test]
    fn every_torn_prefix_of_a_frame_is_invalid() {
        let mut bytes = Vec::new();
        encode_frame(&mut bytes, 0, b"k", b"v");
        let whole = bytes.len();
        encode_frame(&mut bytes, 1, b"key", b"a longer value");
        for cut in whole + 1..bytes.len() {
            let (frames, end) = scan_all(&bytes[..cut]);
            assert_eq!(frames.len(), 1, "cut at {cut}");
            assert!(
                matches!(end, Scan::Invalid { position, .. } if position == whole as u64),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn every_flipped_bit_is_detected() {
        let mut bytes = Vec::new();
        encode_frame(&mut bytes, 3, b"key", b"value");
        for byte in 0..bytes.len() {
            for bit in 0..8 {
                let mut damaged = bytes.clone();
                damaged[byte] ^= 1 << bit;
                let (frames, end) = scan_all(&damaged);
                assert!(frames.is_empty(), "byte {byte} bit {bit}");
                assert!(matches!(end, Scan::Invalid { .. }), "byte {byte} bit {bit}");
            }
        }
    }
}
