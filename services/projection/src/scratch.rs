//! A fold tree over a temporary sled database, for testing fold code that reads and
//! writes keys without running a whole projection (`test-support` feature).

use crate::fold::{into_batch, FoldTree, Writes};
use crate::store::StoreTree;
use std::cell::{Cell, RefCell};

/// One tree, written in batches as a fold writes it: [`ScratchTree::batch`] sees the
/// committed state under the batch's own writes until [`ScratchTree::commit`].
pub struct ScratchTree {
    tree: sled::Tree,
    store: StoreTree,
    writes: RefCell<Writes>,
    wrote: Cell<bool>,
}

impl Default for ScratchTree {
    fn default() -> Self {
        let db = sled::Config::new()
            .temporary(true)
            .open()
            .expect("a temporary sled database opens");
        let tree = db.open_tree("scratch").expect("a sled tree opens");
        Self {
            store: StoreTree::new(tree.clone(), 0),
            tree,
            writes: RefCell::default(),
            wrote: Cell::default(),
        }
    }
}

impl ScratchTree {
    /// The tree as the open batch sees it.
    pub fn batch(&self) -> FoldTree<'_> {
        FoldTree::new(&self.store, &self.writes, &self.wrote)
    }

    /// The committed tree, as readers see it.
    pub fn committed(&self) -> &StoreTree {
        &self.store
    }

    /// Commits the open batch's writes.
    pub fn commit(&self) {
        let writes = std::mem::take(&mut *self.writes.borrow_mut());
        (self.tree.apply_batch(into_batch(writes))).expect("a sled batch applies");
    }
}
