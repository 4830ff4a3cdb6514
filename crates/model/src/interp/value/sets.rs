//! What a set needs of its dict beyond the dict's own operations (see `interp/sets.rs`).

use super::{Dict, lock};

impl Dict {
    /// `clear()`: one write of the structure.
    pub(crate) fn clear(&self) {
        self.shape.write(());
        let old = std::mem::take(&mut *lock(&self.entries));
        drop(old);
    }
}
