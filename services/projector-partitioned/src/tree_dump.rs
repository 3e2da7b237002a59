//! Test support: every entry of a projection's trees, to show what folding an event
//! removed and that it left everything else byte for byte.

use learnlog_projection::Projection;

/// One stored entry: tree name, key, value.
pub(crate) type Entry = (&'static str, Vec<u8>, Vec<u8>);

/// Every entry of `trees`, tree by tree in the order given, keys in order.
pub(crate) fn entries(projection: &Projection, trees: &[&'static str]) -> Vec<Entry> {
    let mut found = Vec::new();
    for &name in trees {
        for entry in projection.tree(name).iter() {
            let (key, value) = entry.unwrap();
            found.push((name, key.to_vec(), value.to_vec()));
        }
    }
    found
}

/// The names of the trees that hold at least one of `entries`, in order, once each.
pub(crate) fn trees_of(entries: &[Entry]) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = entries.iter().map(|(name, _, _)| *name).collect();
    names.dedup();
    names
}
