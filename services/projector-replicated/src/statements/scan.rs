//! Scanning in stored order: every statement of a tenant (`by_stored`), or one value's
//! entries in an index, gathered from posting blocks (`postings`) a second at a time,
//! with a related kind's tree merged with its direct kind's (see `index`: an entry both
//! kinds have is filed only under the direct one).

use super::codec::StorePosition;
use super::index::IndexKind;
use super::postings;
use super::reader::StatementReader;
use learnlog_projector::{Error, Result};
use std::iter::Peekable;
use std::ops::{Bound, RangeBounds};

/// Lower and upper bound of a scan, in stored order.
pub(super) type PositionRange = (Bound<StorePosition>, Bound<StorePosition>);

/// Statements `(position, body offset)`, in the order a query asked for.
pub(super) type Scan = Box<dyn Iterator<Item = Result<(StorePosition, u64)>>>;

type Entries = Box<dyn Iterator<Item = sled::Result<(sled::IVec, sled::IVec)>>>;

impl StatementReader {
    /// Every statement of `tenant` within `bounds`; descending unless `ascending`.
    pub(super) fn scan_stored(&self, tenant: &str, bounds: PositionRange, ascending: bool) -> Scan {
        let every_statement = learnlog_projector::tenant_prefix(tenant);
        blocks(&self.by_stored, &every_statement, bounds, ascending)
    }

    /// The statements filed under `value_prefix` (`index::value_prefix`) in the index
    /// of `kind` within `bounds`, and for a related kind those filed under its direct
    /// kind too; descending unless `ascending`.
    pub(super) fn scan_index(
        &self,
        kind: IndexKind,
        value_prefix: &[u8],
        bounds: PositionRange,
        ascending: bool,
    ) -> Scan {
        let filed = |kind: IndexKind| blocks(self.index(kind), value_prefix, bounds, ascending);
        match kind.direct() {
            Some(direct) => Box::new(Union {
                one: filed(kind).peekable(),
                other: filed(direct).peekable(),
                ascending,
            }),
            None => filed(kind),
        }
    }
}

/// The statements in the posting blocks of `value_prefix` in `tree` within `bounds`:
/// every partition's blocks of the seconds from the first position to the last.
fn blocks(
    tree: &learnlog_projection::StoreTree,
    value_prefix: &[u8],
    bounds: PositionRange,
    ascending: bool,
) -> Scan {
    let (first, last) = span(&bounds);
    let block = |at: StorePosition, partition: u32| {
        postings::block_key(value_prefix, StorePosition { partition, ..at })
    };
    let keys = block(first, 0)..=block(last, u32::MAX);
    Box::new(Blocks {
        blocks: ordered(tree.range(keys), ascending).peekable(),
        bounds,
        ascending,
        ready: Vec::new().into_iter(),
    })
}

/// The first and the last position `bounds` may hold, ends included; an open end is
/// the first or the last position from the epoch on (keys order `stored` as big-endian
/// bytes, see `query::range`).
fn span(bounds: &PositionRange) -> (StorePosition, StorePosition) {
    let first = match bounds.0 {
        Bound::Included(at) | Bound::Excluded(at) => at,
        Bound::Unbounded => StorePosition::first_at(0),
    };
    let last = match bounds.1 {
        Bound::Included(at) | Bound::Excluded(at) => at,
        Bound::Unbounded => StorePosition::last_at(i64::MAX),
    };
    (first, last)
}

fn ordered(scan: learnlog_projection::StoreIter, ascending: bool) -> Entries {
    if ascending {
        Box::new(scan)
    } else {
        Box::new(scan.rev())
    }
}

/// One value's blocks, a second (every partition's block of it) at a time, as
/// statements in order within the bounds.
struct Blocks {
    blocks: Peekable<Entries>,
    bounds: PositionRange,
    ascending: bool,
    ready: std::vec::IntoIter<(StorePosition, u64)>,
}

/// The second a block key names (the 8 bytes before the partition).
fn second_of(key: &[u8]) -> Option<&[u8]> {
    key.get(key.len().checked_sub(12)?..key.len() - 4)
}

impl Blocks {
    /// The statements of the next second's blocks within the bounds, in order.
    fn next_second(&mut self) -> Result<Option<Vec<(StorePosition, u64)>>> {
        let Some(first) = self.blocks.next() else {
            return Ok(None);
        };
        let corrupt = || Error::Corrupt("posting block".into());
        let (key, block) = first?;
        let mut statements = postings::entries(&key, &block).ok_or_else(corrupt)?;
        let second = second_of(&key).ok_or_else(corrupt)?;
        while let Some(Ok((next, _))) = self.blocks.peek() {
            if second_of(next) != Some(second) {
                break;
            }
            let Some(Ok((key, block))) = self.blocks.next() else {
                break;
            };
            statements.extend(postings::entries(&key, &block).ok_or_else(corrupt)?);
        }
        statements.retain(|(position, _)| self.bounds.contains(position));
        statements.sort_unstable_by_key(|(position, _)| *position);
        if !self.ascending {
            statements.reverse();
        }
        Ok(Some(statements))
    }
}

impl Iterator for Blocks {
    type Item = Result<(StorePosition, u64)>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(statement) = self.ready.next() {
                return Some(Ok(statement));
            }
            match self.next_second() {
                Ok(Some(statements)) => self.ready = statements.into_iter(),
                Ok(None) => return None,
                Err(error) => return Some(Err(error)),
            }
        }
    }
}

/// Two scans in the same order merged into one; a statement both hold comes once (a
/// statement indexed under a related kind before a StatementRef target gave it the
/// direct kind too). Errors come as soon as they are met.
struct Union {
    one: Peekable<Scan>,
    other: Peekable<Scan>,
    ascending: bool,
}

impl Iterator for Union {
    type Item = Result<(StorePosition, u64)>;

    fn next(&mut self) -> Option<Self::Item> {
        use std::cmp::Ordering;
        let first = match (self.one.peek(), self.other.peek()) {
            (None, None) => return None,
            (Some(_), None) | (Some(Err(_)), _) => Ordering::Less,
            (None, Some(_)) | (_, Some(Err(_))) => Ordering::Greater,
            (Some(Ok((one, _))), Some(Ok((other, _)))) if self.ascending => one.cmp(other),
            (Some(Ok((one, _))), Some(Ok((other, _)))) => other.cmp(one),
        };
        match first {
            Ordering::Less => self.one.next(),
            Ordering::Greater => self.other.next(),
            Ordering::Equal => {
                self.other.next();
                self.one.next()
            }
        }
    }
}
