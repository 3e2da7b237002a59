//! Where a projection's trees live: every tree the runtime and the fold declare is a
//! range of one sled tree, under a one-byte prefix (the tree's place in the list), so
//! that everything a batch writes — the fold's trees, the checkpoint, the outcomes —
//! commits as one atomic `sled::Batch`. A batch of one sled tree writes blindly, where
//! a transaction over several reads every key it writes and holds sled's process-wide
//! write lock while the fold runs (see `folding::batch`).
//!
//! [`StoreTree`] is one of those trees as readers see it: keys without the prefix.

use sled::IVec;
use std::ops::{Bound, RangeBounds};

/// One tree of a projection: a prefix of the projection's sled tree. Cheap to clone.
#[derive(Clone)]
pub struct StoreTree {
    tree: sled::Tree,
    prefix: u8,
}

impl StoreTree {
    pub(crate) fn new(tree: sled::Tree, prefix: u8) -> Self {
        Self { tree, prefix }
    }

    /// `key` as the projection's sled tree holds it.
    pub(crate) fn stored_key(&self, key: &[u8]) -> Vec<u8> {
        let mut stored = Vec::with_capacity(key.len() + 1);
        stored.push(self.prefix);
        stored.extend_from_slice(key);
        stored
    }

    /// The value under a key as [`StoreTree::stored_key`] gave it.
    pub(crate) fn get_stored(&self, stored_key: &[u8]) -> sled::Result<Option<IVec>> {
        self.tree.get(stored_key)
    }

    /// The value under `key`.
    pub fn get(&self, key: impl AsRef<[u8]>) -> sled::Result<Option<IVec>> {
        self.tree.get(self.stored_key(key.as_ref()))
    }

    /// Whether the tree holds `key`.
    pub fn contains_key(&self, key: impl AsRef<[u8]>) -> sled::Result<bool> {
        self.tree.contains_key(self.stored_key(key.as_ref()))
    }

    /// Every entry, in key order.
    pub fn iter(&self) -> StoreIter {
        self.range::<&[u8], _>(..)
    }

    /// The entries whose keys start with `prefix`, in key order.
    pub fn scan_prefix(&self, prefix: impl AsRef<[u8]>) -> StoreIter {
        StoreIter(self.tree.scan_prefix(self.stored_key(prefix.as_ref())))
    }

    /// The entries with keys in `range`, in key order.
    pub fn range<K: AsRef<[u8]>, R: RangeBounds<K>>(&self, range: R) -> StoreIter {
        let start = match range.start_bound() {
            Bound::Included(key) => Bound::Included(self.stored_key(key.as_ref())),
            Bound::Excluded(key) => Bound::Excluded(self.stored_key(key.as_ref())),
            Bound::Unbounded => Bound::Included(vec![self.prefix]),
        };
        let end = match range.end_bound() {
            Bound::Included(key) => Bound::Included(self.stored_key(key.as_ref())),
            Bound::Excluded(key) => Bound::Excluded(self.stored_key(key.as_ref())),
            Bound::Unbounded => match self.prefix.checked_add(1) {
                Some(next) => Bound::Excluded(vec![next]),
                None => Bound::Unbounded,
            },
        };
        StoreIter(self.tree.range::<Vec<u8>, _>((start, end)))
    }

    /// The first entry, if any.
    pub fn first(&self) -> sled::Result<Option<(IVec, IVec)>> {
        self.iter().next().transpose()
    }

    /// The last entry, if any.
    pub fn last(&self) -> sled::Result<Option<(IVec, IVec)>> {
        self.iter().next_back().transpose()
    }

    /// Whether the tree holds no entry.
    pub fn is_empty(&self) -> sled::Result<bool> {
        Ok(self.first()?.is_none())
    }
}

/// Entries of a [`StoreTree`], keys without the tree's prefix.
pub struct StoreIter(sled::Iter);

fn unprefixed((key, value): (IVec, IVec)) -> (IVec, IVec) {
    (key.subslice(1, key.len() - 1), value)
}

impl Iterator for StoreIter {
    type Item = sled::Result<(IVec, IVec)>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.0.next()?.map(unprefixed))
    }
}

impl DoubleEndedIterator for StoreIter {
    fn next_back(&mut self) -> Option<Self::Item> {
        Some(self.0.next_back()?.map(unprefixed))
    }
}

impl StoreIter {
    /// The keys alone.
    pub fn keys(self) -> impl DoubleEndedIterator<Item = sled::Result<IVec>> {
        self.map(|entry| entry.map(|(key, _)| key))
    }

    /// The values alone.
    pub fn values(self) -> impl DoubleEndedIterator<Item = sled::Result<IVec>> {
        self.map(|entry| entry.map(|(_, value)| value))
    }
}

#[cfg(test)]
mod tests {
    use super::StoreTree;
    use sled::IVec;

    /// Trees at prefixes 0, 1 and 255 of one sled tree, each holding `a`, `b`, `c`
    /// with values naming the tree.
    fn neighbours() -> (sled::Db, Vec<StoreTree>) {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let store = db.open_tree("trees").unwrap();
        let trees: Vec<_> = [0u8, 1, 255]
            .into_iter()
            .map(|prefix| StoreTree::new(store.clone(), prefix))
            .collect();
        for tree in &trees {
            for key in ["a", "b", "c"] {
                let value = format!("{}:{key}", tree.prefix);
                store
                    .insert(tree.stored_key(key.as_bytes()), value.as_bytes())
                    .unwrap();
            }
        }
        (db, trees)
    }

    fn text(entries: impl Iterator<Item = sled::Result<(IVec, IVec)>>) -> Vec<String> {
        entries
            .map(|entry| {
                let (key, value) = entry.unwrap();
                format!(
                    "{}={}",
                    String::from_utf8_lossy(&key),
                    String::from_utf8_lossy(&value)
                )
            })
            .collect()
    }

    #[test]
    fn each_tree_reads_only_its_own_keys_without_the_prefix() {
        let (_db, trees) = neighbours();
        for tree in &trees {
            let p = tree.prefix;
            let all = vec![format!("a={p}:a"), format!("b={p}:b"), format!("c={p}:c")];
            assert_eq!(text(tree.iter()), all);
            assert_eq!(
                text(tree.iter().rev()),
                all.iter().rev().cloned().collect::<Vec<_>>()
            );
            assert_eq!(text(tree.range::<&[u8], _>(b"b".as_slice()..)), all[1..]);
            assert_eq!(text(tree.range::<&[u8], _>(..b"b".as_slice())), all[..1]);
            assert_eq!(
                text(tree.range(b"a".as_slice()..=b"b".as_slice())),
                all[..2]
            );
            assert_eq!(text(tree.scan_prefix("c")), all[2..]);
            assert_eq!(tree.get("b").unwrap().unwrap(), format!("{p}:b").as_bytes());
            assert!(tree.contains_key("a").unwrap());
            assert!(!tree.contains_key("d").unwrap());
            assert_eq!(tree.first().unwrap().unwrap().0, b"a".as_slice());
            assert_eq!(tree.last().unwrap().unwrap().0, b"c".as_slice());
            assert_eq!(tree.iter().keys().count(), 3);
        }
    }

    #[test]
    fn an_empty_tree_between_two_full_ones_reads_empty() {
        let (db, _trees) = neighbours();
        let empty = StoreTree::new(db.open_tree("trees").unwrap(), 2);
        assert!(empty.is_empty().unwrap());
        assert_eq!(empty.iter().count(), 0);
        assert_eq!(empty.iter().rev().count(), 0);
        assert!(empty.last().unwrap().is_none());
    }
}
