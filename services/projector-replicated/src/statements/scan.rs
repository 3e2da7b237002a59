//! Scanning in stored order: every statement of a tenant (`by_stored`), or one value's
//! entries in an index, merged from the value's runs (`runs`: one per partition, or one
//! for all, see `IndexKind::shard`), with a related kind's tree merged with its direct
//! kind's (see `index`: an entry both kinds have is filed only under the direct one).

use super::codec::{self, Record, StorePosition};
use super::index::IndexKind;
use super::reader::StatementReader;
use super::runs::RunScan;
use learnlog_projector::{Error, Result};
use std::iter::Peekable;
use std::ops::{Bound, RangeBounds};

/// Lower and upper bound of a scan, in stored order.
pub(super) type PositionRange = (Bound<StorePosition>, Bound<StorePosition>);

/// Statements `(position, body offset)`, in the order a query asked for.
pub(super) type Scan = Box<dyn Iterator<Item = Result<(StorePosition, u64)>>>;

impl StatementReader {
    /// Every statement of `tenant` within `bounds`; descending unless `ascending`.
    pub(super) fn scan_stored(&self, tenant: &str, bounds: PositionRange, ascending: bool) -> Scan {
        let every_statement = learnlog_projector::tenant_prefix(tenant);
        runs(&self.by_stored, &every_statement, bounds, ascending)
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
        let filed = |kind: IndexKind| runs(self.index(kind), value_prefix, bounds, ascending);
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

/// The statements filed under `value_prefix` in `tree` within `bounds`: its runs,
/// merged.
fn runs(
    tree: &learnlog_projection::StoreTree,
    value_prefix: &[u8],
    bounds: PositionRange,
    ascending: bool,
) -> Scan {
    match value_runs(tree, value_prefix, bounds, ascending) {
        Ok(runs) => Box::new(Merge { runs, ascending }),
        Err(error) => Box::new(std::iter::once(Err(error))),
    }
}

/// One scan per run under `value_prefix`, found by seeking from each shard to the next
/// one holding a key.
fn value_runs(
    tree: &learnlog_projection::StoreTree,
    value_prefix: &[u8],
    bounds: PositionRange,
    ascending: bool,
) -> Result<Vec<Peekable<InBounds>>> {
    let (first, last) = span(&bounds);
    let from = if ascending { first } else { last }.to_bytes();
    let mut runs = Vec::new();
    let mut next = Some(0u32);
    while let Some(shard) = next {
        let Some(found) = tree.range(codec::run(value_prefix, shard)..).keys().next() else {
            break;
        };
        let found = found?;
        let Some(shard) = (found.strip_prefix(value_prefix))
            .and_then(|rest| rest.get(..4))
            .map(|bytes| u32::from_be_bytes(bytes.try_into().unwrap_or_default()))
        else {
            break;
        };
        let run = codec::run(value_prefix, shard);
        let scan = RunScan::new(tree, codec::POSITIONS, &run, &from, ascending)?;
        runs.push(
            InBounds {
                scan,
                bounds,
                ascending,
            }
            .peekable(),
        );
        next = shard.checked_add(1);
    }
    Ok(runs)
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

/// One run's statements within the bounds, in the scan's order; it ends at the first
/// entry past the far bound (a run is in stored order).
struct InBounds {
    scan: RunScan,
    bounds: PositionRange,
    ascending: bool,
}

impl InBounds {
    /// Whether `position` lies beyond the bound the scan moves towards.
    fn past_end(&self, position: &StorePosition) -> bool {
        let (end, beyond) = if self.ascending {
            (self.bounds.1, std::cmp::Ordering::Greater)
        } else {
            (self.bounds.0, std::cmp::Ordering::Less)
        };
        match end {
            Bound::Included(end) => position.cmp(&end) == beyond,
            Bound::Excluded(end) => position.cmp(&end) != beyond.reverse(),
            Bound::Unbounded => false,
        }
    }
}

impl Iterator for InBounds {
    type Item = Result<(StorePosition, u64)>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let entry = match self.scan.next()? {
                Ok(entry) => entry,
                Err(error) => return Some(Err(Error::Corrupt(error))),
            };
            let Some(record) = Record::decode(&entry) else {
                return Some(Err(Error::Corrupt("statement run entry".into())));
            };
            if self.past_end(&record.position) {
                return None;
            }
            if self.bounds.contains(&record.position) {
                return Some(Ok((record.position, record.body_at)));
            }
        }
    }
}

/// A value's runs merged into one scan in stored order (a statement is in one of them
/// at most once).
struct Merge {
    runs: Vec<Peekable<InBounds>>,
    ascending: bool,
}

impl Iterator for Merge {
    type Item = Result<(StorePosition, u64)>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut chosen: Option<(usize, StorePosition)> = None;
        for (index, run) in self.runs.iter_mut().enumerate() {
            match run.peek() {
                None => {}
                Some(Err(_)) => return run.next(),
                Some(Ok((position, _))) => {
                    let better = chosen.is_none_or(|(_, best)| {
                        if self.ascending {
                            *position < best
                        } else {
                            *position > best
                        }
                    });
                    if better {
                        chosen = Some((index, *position));
                    }
                }
            }
        }
        self.runs[chosen?.0].next()
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
