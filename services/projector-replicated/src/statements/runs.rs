//! Runs: the entries filed under one value (an index value, a tenant's stored order,
//! a learner's sealed statements) from one partition, sorted and each held once, kept
//! in blocks of about [`BLOCK_ENTRIES`] under one sled key each, so a value costs one
//! key per block of its statements instead of one per statement.
//!
//! Where blocks begin is decided by the entries alone: an entry whose order hashes to
//! a multiple of [`BLOCK_ENTRIES`] (a *boundary*) begins a block. So a run's blocks are
//! a function of the set of its entries, whatever order and batches they came in:
//! replaying the log writes the same bytes, also when a StatementRef target's fold
//! files entries in another partition's runs.
//!
//! A run is every key under its prefix (`run`): the block beginning at boundary `b`
//! under `run b`, the entries before the first boundary under `run 00…00`, and the
//! block of the greatest boundary (the *tail*) under `run FF…FF` (one byte longer than
//! an order, so it sorts after every other block), whose value is its boundary's order
//! then its entries. Statements come mostly in order, so an entry mostly goes to the
//! tail: one read. An entry below the tail's boundary goes to the block with the
//! greatest key at or below it.
//!
//! An entry is fixed-width bytes whose first `order_len` bytes order it and name it:
//! an entry with the same order as one already held is not added again.

use learnlog_projection::{FoldError, FoldTree, StoreTree};
use sled::IVec;

/// The entries a block holds on average: one entry in this many is a boundary.
const BLOCK_ENTRIES: usize = 32;

/// The shape of a run's entries.
#[derive(Clone, Copy, Debug)]
pub(super) struct Layout {
    pub(super) entry_len: usize,
    /// The leading bytes of an entry that order it.
    pub(super) order_len: usize,
}

impl Layout {
    /// The key of the tail of `run`.
    pub(super) fn tail_key(self, run: &[u8]) -> Vec<u8> {
        let mut key = run.to_vec();
        key.resize(run.len() + self.order_len + 1, 0xFF);
        key
    }

    fn block_key(self, run: &[u8], lower_bound: &[u8]) -> Vec<u8> {
        [run, lower_bound].concat()
    }

    /// The entries of the block under `key` of a run whose prefix is `run_len` bytes
    /// long; `None` when the block is malformed.
    pub(super) fn entries<'a>(
        self,
        run_len: usize,
        key: &[u8],
        block: &'a [u8],
    ) -> Option<&'a [u8]> {
        let entries = if key.len() == run_len + self.order_len + 1 {
            block.get(self.order_len..)?
        } else {
            block
        };
        entries
            .len()
            .is_multiple_of(self.entry_len)
            .then_some(entries)
    }

    fn order(self, entry: &[u8]) -> &[u8] {
        &entry[..self.order_len]
    }

    /// A tail's boundary order and its entries.
    fn split_tail(self, tail: &[u8]) -> Result<(&[u8], &[u8]), FoldError> {
        tail.split_at_checked(self.order_len)
            .filter(|(_, entries)| entries.len().is_multiple_of(self.entry_len))
            .ok_or_else(corrupt)
    }

    /// Whether `entry` begins a block.
    fn is_boundary(self, entry: &[u8]) -> bool {
        spread(self.order(entry)).is_multiple_of(BLOCK_ENTRIES as u64)
    }

    /// `entry` placed among the sorted `entries` of a block: `None` when an entry of
    /// the same order is there already; else the entries before it and it (with those
    /// after it), or, when it is a boundary, the entries before it and (apart) it with
    /// those after it: the block it begins.
    fn place(self, entries: &[u8], entry: &[u8]) -> Result<Option<Placed>, FoldError> {
        if !entries.len().is_multiple_of(self.entry_len) {
            return Err(corrupt());
        }
        let count = entries.len() / self.entry_len;
        let at = |index: usize| self.order(&entries[index * self.entry_len..]);
        let wanted = self.order(entry);
        // entries mostly come in order, so their place is mostly the end
        let (mut low, mut high) = match count.checked_sub(1) {
            Some(last) if at(last) < wanted => (count, count),
            _ => (0, count),
        };
        while low < high {
            let middle = (low + high) / 2;
            if at(middle) < wanted {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        if low < count && at(low) == wanted {
            return Ok(None);
        }
        let (before, after) = entries.split_at(low * self.entry_len);
        Ok(Some(if self.is_boundary(entry) {
            (before.to_vec(), Some([entry, after].concat()))
        } else {
            ([before, entry, after].concat(), None)
        }))
    }
}

/// Where an entry went: the block's entries before the entry (with it, unless it is a
/// boundary), and the block a boundary begins.
type Placed = (Vec<u8>, Option<Vec<u8>>);

fn corrupt() -> FoldError {
    FoldError::BadEvent("statement run block corrupt".into())
}

/// A well-mixed 64-bit hash of `bytes` (FNV-1a, then SplitMix64's finalizer), which
/// decides boundaries; it is part of the data format.
fn spread(bytes: &[u8]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for byte in bytes {
        hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
    }
    hash = (hash ^ (hash >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    hash = (hash ^ (hash >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    hash ^ (hash >> 31)
}

/// Files `entry` in the run under `run` in `tree`; filing it again changes nothing.
pub(super) fn add(
    tree: &FoldTree<'_>,
    layout: Layout,
    run: &[u8],
    entry: &[u8],
) -> Result<(), FoldError> {
    debug_assert_eq!(entry.len(), layout.entry_len);
    let order = layout.order(entry);
    let tail_key = layout.tail_key(run);
    let tail = tree.get(&tail_key)?;
    let zeros = vec![0; layout.order_len];
    let (bound, entries) = match &tail {
        Some(tail) => layout.split_tail(tail)?,
        None => (zeros.as_slice(), &[][..]),
    };
    if order >= bound {
        let Some((lower, upper)) = layout.place(entries, entry)? else {
            return Ok(());
        };
        let tail = match upper {
            // `entry` begins the new tail; the old one is sealed under its boundary
            Some(upper) => {
                if !lower.is_empty() {
                    tree.insert(layout.block_key(run, bound), lower)?;
                }
                [order, &upper].concat()
            }
            None => [bound, &lower].concat(),
        };
        return Ok(tree.insert(tail_key, tail)?);
    }
    let first = layout.block_key(run, &zeros);
    let (key, block) = match tree.last_between(&first, &layout.block_key(run, order))? {
        Some((key, block)) => (key, block.to_vec()),
        None => (first, Vec::new()),
    };
    let Some((lower, upper)) = layout.place(&block, entry)? else {
        return Ok(());
    };
    if let Some(upper) = upper {
        tree.insert(layout.block_key(run, order), upper)?;
    }
    if lower.is_empty() {
        tree.remove(key)?;
    } else {
        tree.insert(key, lower)?;
    }
    Ok(())
}

/// One run's entries in order, ascending or descending, from the block that covers
/// `from` (an order) on; lazily, a block at a time.
///
/// A scan is not a snapshot: a commit may seal the tail or split a block while it
/// reads, so it may meet entries it has already passed under their new key (never lose
/// one it has not: entries only move to a key the scan reaches later, or to one it has
/// read with them). It passes only entries strictly beyond the last one it gave.
pub(super) struct RunScan {
    layout: Layout,
    run_len: usize,
    /// Blocks still to read, in the scan's order.
    blocks: Box<dyn Iterator<Item = sled::Result<(IVec, IVec)>>>,
    /// Entries of the block being read, in the scan's order.
    ready: std::vec::IntoIter<Vec<u8>>,
    ascending: bool,
    /// The order of the last entry given.
    last: Option<Vec<u8>>,
}

impl RunScan {
    pub(super) fn new(
        tree: &StoreTree,
        layout: Layout,
        run: &[u8],
        from: &[u8],
        ascending: bool,
    ) -> sled::Result<Self> {
        let first = layout.block_key(run, &vec![0; layout.order_len]);
        let covering = layout.block_key(run, from);
        let tail_key = layout.tail_key(run);
        let blocks: Box<dyn Iterator<Item = sled::Result<(IVec, IVec)>>> = if ascending {
            let start = match tree
                .range(first.as_slice()..=covering.as_slice())
                .next_back()
            {
                Some(entry) => entry?.0.to_vec(),
                None => first,
            };
            Box::new(tree.range(start..=tail_key))
        } else {
            // the tail sorts last but covers the highest entries: read it first
            let tail = tree.get(&tail_key)?.filter(|tail| {
                tail.get(..layout.order_len)
                    .is_none_or(|bound| bound <= from)
            });
            let tail = tail.map(|tail| Ok((IVec::from(tail_key), tail)));
            Box::new(tail.into_iter().chain(tree.range(first..=covering).rev()))
        };
        Ok(Self {
            layout,
            run_len: run.len(),
            blocks,
            ready: Vec::new().into_iter(),
            ascending,
            last: None,
        })
    }
}

impl Iterator for RunScan {
    type Item = Result<Vec<u8>, String>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(entry) = self.ready.next() {
                let order = self.layout.order(&entry);
                let beyond = self.last.as_deref().is_none_or(|last| {
                    if self.ascending {
                        order > last
                    } else {
                        order < last
                    }
                });
                if beyond {
                    self.last = Some(order.to_vec());
                    return Some(Ok(entry));
                }
                continue;
            }
            let (key, block) = match self.blocks.next()? {
                Ok(block) => block,
                Err(error) => return Some(Err(error.to_string())),
            };
            let Some(entries) = self.layout.entries(self.run_len, &key, &block) else {
                return Some(Err("statement run block malformed".into()));
            };
            let mut entries: Vec<Vec<u8>> = entries
                .chunks_exact(self.layout.entry_len)
                .map(<[u8]>::to_vec)
                .collect();
            if !self.ascending {
                entries.reverse();
            }
            self.ready = entries.into_iter();
        }
    }
}

#[cfg(test)]
mod tests;
