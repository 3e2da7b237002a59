//! One segment file: the record framing, a positional frame reader, and the in-memory
//! sparse index from offset to byte position.
//!
//! A segment is named by the offset of its first record (`<20-digit base>.log`) and holds
//! frames back to back:
//!
//! ```text
//! body_len: u32 LE | crc32(body): u32 LE | body
//! body = offset: u64 LE | key_len: u32 LE | value_len: u32 LE | key | value
//! ```
//!
//! The CRC covers the offset and both lengths as well as the bytes, and `body_len` must
//! agree with them, so a torn tail (a partial header or body), garbage, a flipped bit or a
//! frame from the wrong place are all detected. Files are written and read positionally
//! (`pwrite`/`pread`), never through a shared cursor.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::{Error, Result, MAX_RECORD_BYTES};

/// Bytes before the body: length and CRC.
pub(crate) const HEADER_BYTES: usize = 8;
/// Fixed bytes at the start of a body: offset, key length, value length.
const BODY_FIXED_BYTES: usize = 16;
/// An index entry is added when this many bytes have been written since the last one.
const INDEX_INTERVAL_BYTES: u64 = 4096;

/// The file name of the segment whose first record has offset `base`.
pub(crate) fn file_name(base: u64) -> String {
    format!("{base:020}.log")
}

/// The base offset of a segment file name, or `None` for any other file.
pub(crate) fn parse_file_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".log")?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

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

/// An open segment file and what is known about its records.
#[derive(Debug)]
pub(crate) struct Segment {
    /// Offset of the first record (also the file name).
    pub base: u64,
    pub path: PathBuf,
    pub file: Arc<File>,
    /// Bytes of whole records written (durable or not yet).
    pub size: u64,
    /// Offset the next record written here gets.
    pub next_offset: u64,
    /// Sparse index: (offset, byte position), ascending; the first record is always in it.
    index: Vec<(u64, u64)>,
}

impl Segment {
    /// Creates an empty segment file; the caller fsyncs the directory.
    pub(crate) fn create(dir: &Path, base: u64) -> Result<Segment> {
        let path = dir.join(file_name(base));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::io(format!("creating segment {}", path.display()), e))?;
        Ok(Segment::new(base, path, file))
    }

    /// Opens an existing segment file for recovery; it starts out empty in memory and
    /// [`Segment::note_record`] adds each valid record found.
    pub(crate) fn open(path: PathBuf, base: u64) -> Result<Segment> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(format!("opening segment {}", path.display()), e))?;
        Ok(Segment::new(base, path, file))
    }

    fn new(base: u64, path: PathBuf, file: File) -> Segment {
        Segment {
            base,
            path,
            file: Arc::new(file),
            size: 0,
            next_offset: base,
            index: Vec::new(),
        }
    }

    /// Records that a frame of `len` bytes for `offset` now ends the segment.
    pub(crate) fn note_record(&mut self, offset: u64, len: u64) {
        let indexed_at = self.index.last().map(|&(_, position)| position);
        if indexed_at.is_none_or(|at| self.size - at >= INDEX_INTERVAL_BYTES) {
            self.index.push((offset, self.size));
        }
        self.size += len;
        self.next_offset = offset + 1;
    }

    /// The byte position of the last indexed record at or before `offset`.
    pub(crate) fn locate(&self, offset: u64) -> u64 {
        let after = self.index.partition_point(|&(o, _)| o <= offset);
        after.checked_sub(1).map_or(0, |i| self.index[i].1)
    }
}
