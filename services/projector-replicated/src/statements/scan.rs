//! Scanning one value's index entries in stored order: a direct kind's tree, or a
//! related kind's tree merged with its direct kind's (see `index`: an entry both kinds
//! have is filed only under the direct one).

use super::index::IndexKind;
use super::reader::StatementReader;
use sled::IVec;
use std::cmp::Ordering;
use std::iter::Peekable;
use std::ops::Bound;

/// Lower and upper bound of a range of index keys.
pub(super) type KeyRange = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// Index entries `(key, body offset)`, in the order a query asked for.
pub(super) type Scan = Box<dyn Iterator<Item = sled::Result<(IVec, IVec)>>>;

impl StatementReader {
    /// The entries of `kind` within `bounds` (the keys of one value), or of every
    /// stored statement when `kind` is `None`; descending unless `ascending`.
    pub(super) fn scan(&self, kind: Option<IndexKind>, bounds: KeyRange, ascending: bool) -> Scan {
        let tree = match kind {
            Some(kind) => self.index(kind),
            None => &self.by_stored,
        };
        let own = ordered(tree.range::<Vec<u8>, _>(bounds.clone()), ascending);
        match kind.and_then(IndexKind::direct) {
            Some(direct) => {
                let direct = ordered(self.index(direct).range::<Vec<u8>, _>(bounds), ascending);
                Box::new(Union {
                    one: own.peekable(),
                    other: direct.peekable(),
                    ascending,
                })
            }
            None => own,
        }
    }
}

fn ordered(scan: learnlog_projection::StoreIter, ascending: bool) -> Scan {
    if ascending {
        Box::new(scan)
    } else {
        Box::new(scan.rev())
    }
}

/// Two scans in the same order merged into one; a key both hold comes once (a
/// statement indexed under a related kind before a StatementRef target gave it the
/// direct kind too). Errors come as soon as they are met.
struct Union {
    one: Peekable<Scan>,
    other: Peekable<Scan>,
    ascending: bool,
}

impl Iterator for Union {
    type Item = sled::Result<(IVec, IVec)>;

    fn next(&mut self) -> Option<Self::Item> {
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
