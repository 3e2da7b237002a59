//! Posting blocks: an index value's entries from one partition within one second of
//! stored time, kept together under one key, so a batch that files many statements
//! under a common value (a verb, a course, the authority) writes that value's key once
//! per second of statements instead of once per statement. `by_stored` keeps every
//! statement of a tenant the same way, as the entries of one value.
//!
//! Key `value_prefix second_start_µs(8 BE) partition(4 BE)`, where the value prefix is
//! `tenant \0 value_hash(16)` in an index (`index::value_prefix`) and `tenant \0` in
//! `by_stored`; value the
//! entries `stored_µs(8 BE) offset(8 BE) body_at(8 BE)` in (stored, offset) order, each
//! once. A block's content is the set of its entries, which the partition's events
//! alone decide, so replaying the log writes the same bytes whatever the batches were.
//! A query reads a second's blocks of every partition and sorts their entries into
//! stored order (`scan`).

use super::codec::{Record, StorePosition};
use learnlog_projection::{FoldError, FoldTree};

/// The span of stored time one block covers.
const BLOCK_MICROS: i64 = 1_000_000;
const ENTRY_LEN: usize = 8 + 8 + 8;

/// The first instant of the block holding `stored_micros`.
fn block_start(stored_micros: i64) -> i64 {
    stored_micros.div_euclid(BLOCK_MICROS) * BLOCK_MICROS
}

/// The key of the block of `value_prefix` holding `position`.
pub(super) fn block_key(value_prefix: &[u8], position: StorePosition) -> Vec<u8> {
    let mut key = Vec::with_capacity(value_prefix.len() + 12);
    key.extend_from_slice(value_prefix);
    key.extend_from_slice(&block_start(position.stored_micros).to_be_bytes());
    key.extend_from_slice(&position.partition.to_be_bytes());
    key
}

/// Files the statement `at` under its block of `value_prefix` in `tree`; filing it again
/// changes nothing.
pub(super) fn add(tree: &FoldTree<'_>, value_prefix: &[u8], at: Record) -> Result<(), FoldError> {
    let key = block_key(value_prefix, at.position);
    let mut block = tree
        .get(&key)?
        .map(|block| block.to_vec())
        .unwrap_or_default();
    if insert(&mut block, at.position, at.body_at) {
        tree.insert(key, block)?;
    }
    Ok(())
}

/// Inserts an entry into `block` at its place; `false` when it was there already.
fn insert(block: &mut Vec<u8>, position: StorePosition, body_at: u64) -> bool {
    let order = |block: &[u8], at: usize| {
        let (stored, offset, _) = decode(&block[at * ENTRY_LEN..(at + 1) * ENTRY_LEN]);
        (stored, offset)
    };
    let wanted = (position.stored_micros, position.offset);
    let count = block.len() / ENTRY_LEN;
    // statements mostly come in order, so their place is mostly the end
    let (mut low, mut high) = match count.checked_sub(1) {
        Some(last) if order(block, last) < wanted => (count, count),
        _ => (0, count),
    };
    while low < high {
        let middle = (low + high) / 2;
        if order(block, middle) < wanted {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    if low < count && order(block, low) == wanted {
        return false;
    }
    let mut entry = [0; ENTRY_LEN];
    entry[0..8].copy_from_slice(&position.stored_micros.to_be_bytes());
    entry[8..16].copy_from_slice(&position.offset.to_be_bytes());
    entry[16..24].copy_from_slice(&body_at.to_be_bytes());
    let at_byte = low * ENTRY_LEN;
    block.splice(at_byte..at_byte, entry);
    true
}

/// An entry's `(stored_µs, offset, body_at)`.
fn decode(entry: &[u8]) -> (i64, u64, u64) {
    let number = |at: usize| u64::from_be_bytes(entry[at..at + 8].try_into().unwrap_or_default());
    (number(0) as i64, number(8), number(16))
}

/// The entries of the block under `key` (its last 4 bytes are the partition):
/// `(position, body_at)` in block order; `None` when the block is malformed.
pub(super) fn entries(key: &[u8], block: &[u8]) -> Option<Vec<(StorePosition, u64)>> {
    let partition = u32::from_be_bytes(key.get(key.len().checked_sub(4)?..)?.try_into().ok()?);
    if !block.len().is_multiple_of(ENTRY_LEN) {
        return None;
    }
    Some(
        block
            .chunks_exact(ENTRY_LEN)
            .map(|entry| {
                let (stored_micros, offset, body_at) = decode(entry);
                let position = StorePosition {
                    stored_micros,
                    partition,
                    offset,
                };
                (position, body_at)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(stored_micros: i64, offset: u64) -> (StorePosition, u64) {
        let position = StorePosition {
            stored_micros,
            partition: 2,
            offset,
        };
        (position, offset * 10)
    }

    #[test]
    fn a_block_keeps_its_entries_once_in_order_whatever_order_they_come_in() {
        let key = block_key(b"t\0value", entry(5_300_000, 0).0);
        assert_eq!(
            &key[key.len() - 12..key.len() - 4],
            &5_000_000i64.to_be_bytes()
        );
        let wanted = vec![
            entry(5_000_001, 4),
            entry(5_100_000, 1),
            entry(5_100_000, 3),
            entry(5_999_999, 2),
        ];
        let fold = |order: &[usize]| {
            let mut block = Vec::new();
            for &at in order {
                let (position, body_at) = wanted[at];
                insert(&mut block, position, body_at);
            }
            entries(&key, &block).unwrap()
        };
        assert_eq!(fold(&[0, 1, 2, 3]), wanted);
        assert_eq!(fold(&[3, 1, 0, 2, 2, 3]), wanted);
        assert_eq!(fold(&[2, 3, 0, 1, 0]), wanted);
        assert!(entries(&key, &[0; ENTRY_LEN + 1]).is_none());
    }
}
