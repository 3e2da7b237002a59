use super::*;
use learnlog_projection::scratch::ScratchTree;

const LAYOUT: Layout = Layout {
    entry_len: 4,
    order_len: 3,
};
const RUN: &[u8] = b"run";

/// An entry ordered by `order` whose last byte is a tag of it.
fn entry(order: u32) -> Vec<u8> {
    let mut entry = order.to_be_bytes()[1..].to_vec();
    entry.push(order as u8);
    entry
}

/// Files `orders`, `per_batch` at a time.
fn file(scratch: &ScratchTree, orders: &[u32], per_batch: usize) {
    for batch in orders.chunks(per_batch) {
        for &order in batch {
            add(&scratch.batch(), LAYOUT, RUN, &entry(order)).unwrap();
        }
        scratch.commit();
    }
}

fn scan(scratch: &ScratchTree, from: u32, ascending: bool) -> Vec<u32> {
    let from = &from.to_be_bytes()[1..];
    RunScan::new(scratch.committed(), LAYOUT, RUN, from, ascending)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            assert_eq!(entry[3], entry[2], "an entry comes back whole");
            u32::from_be_bytes([0, entry[0], entry[1], entry[2]])
        })
        .collect()
}

fn content(scratch: &ScratchTree) -> Vec<(sled::IVec, sled::IVec)> {
    scratch.committed().iter().map(Result::unwrap).collect()
}

/// `0..count` in a scrambled order.
fn scrambled(count: u32) -> Vec<u32> {
    (0..count).map(|n| (n * 7919) % count).collect()
}

#[test]
fn a_run_reads_back_in_order_both_ways_from_any_start() {
    let scratch = ScratchTree::default();
    let orders: Vec<u32> = (1..=3000).map(|n| n * 10).collect();
    file(&scratch, &orders, 1);
    assert_eq!(scan(&scratch, 0, true), orders);
    let mut descending = orders.clone();
    descending.reverse();
    assert_eq!(scan(&scratch, u32::MAX >> 8, false), descending);
    // a scan starts in the block covering its start; the caller drops what precedes it
    for from in [5, 15_005, 29_995, 30_005] {
        let up = scan(&scratch, from, true);
        let expected: Vec<u32> = orders.iter().copied().filter(|o| *o >= from).collect();
        assert!(up.ends_with(&expected), "ascending from {from}");
        assert!(up.len() - expected.len() < 20 * BLOCK_ENTRIES);
        let down = scan(&scratch, from, false);
        let expected: Vec<u32> = descending.iter().copied().filter(|o| *o <= from).collect();
        assert!(down.ends_with(&expected), "descending from {from}");
    }
}

#[test]
fn blocks_gather_entries_and_depend_on_the_entries_alone() {
    let in_order = ScratchTree::default();
    file(&in_order, &(0..5000).collect::<Vec<_>>(), 1);
    let keys = content(&in_order).len();
    let expected = 5000 / BLOCK_ENTRIES;
    assert!(
        (expected / 2..expected * 2).contains(&keys),
        "{keys} blocks for 5000 entries"
    );

    let scrambled_in_batches = ScratchTree::default();
    file(&scrambled_in_batches, &scrambled(5000), 100);
    assert_eq!(content(&scrambled_in_batches), content(&in_order));
    let descending = ScratchTree::default();
    file(&descending, &(0..5000).rev().collect::<Vec<_>>(), 7);
    assert_eq!(content(&descending), content(&in_order));
    assert_eq!(scan(&descending, 0, true), (0..5000).collect::<Vec<_>>());
}

#[test]
fn filing_an_entry_again_changes_nothing() {
    let scratch = ScratchTree::default();
    file(&scratch, &scrambled(500), 50);
    let before = content(&scratch);
    file(&scratch, &scrambled(500), 1);
    assert_eq!(content(&scratch), before);
}

#[test]
fn a_scan_meeting_a_commit_that_moves_entries_gives_each_entry_once() {
    let boundary = (1..)
        .find(|&order| LAYOUT.is_boundary(&entry(order)))
        .unwrap();
    let after = (boundary + 1..)
        .find(|&order| LAYOUT.is_boundary(&entry(order)))
        .unwrap();
    for ascending in [false, true] {
        let scratch = ScratchTree::default();
        // a tail from `boundary` holding every entry up to `after`
        file(&scratch, &(0..after).collect::<Vec<_>>(), 1000);
        let from = if ascending { 0 } else { u32::MAX >> 8 };
        let from = &from.to_be_bytes()[1..];
        let mut scan = RunScan::new(scratch.committed(), LAYOUT, RUN, from, ascending).unwrap();
        let first = scan.next().unwrap().unwrap();
        // the next boundary seals the tail: its entries move under the old boundary
        file(&scratch, &[after], 1);
        let mut seen = vec![first];
        seen.extend(scan.map(Result::unwrap));
        let unique: std::collections::HashSet<&Vec<u8>> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "ascending: {ascending}");
        assert!(seen.len() >= after as usize, "ascending: {ascending}");
    }
}

#[test]
fn a_malformed_block_is_an_error_not_entries() {
    let scratch = ScratchTree::default();
    file(&scratch, &[1, 2], 1);
    (scratch.batch())
        .insert(LAYOUT.tail_key(RUN), vec![0, 0, 0, 1, 2])
        .unwrap();
    scratch.commit();
    let mut read = RunScan::new(scratch.committed(), LAYOUT, RUN, &[0, 0, 0], true).unwrap();
    assert!(read.any(|entry| entry.is_err()));
    assert!(add(&scratch.batch(), LAYOUT, RUN, &entry(3)).is_err());
}
