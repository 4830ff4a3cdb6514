//! Lists and dicts: their items as instrumented locations (see the table in `value.rs`).

use super::{Dict, List, Value, key_eq, lock, norm_index};
use forkwait::sync::{Shared, StateClass};
use std::sync::Arc;

impl List {
    /// A new list of `items` with the purity class `class`.
    #[track_caller]
    pub(crate) fn new(items: Vec<Value>, class: StateClass) -> Arc<List> {
        let cells = items
            .into_iter()
            .map(|v| Arc::new(Shared::with_class(v, class)))
            .collect();
        Arc::new(List {
            shape: Shared::with_class((), class),
            items: std::sync::Mutex::new(cells),
            class,
        })
    }

    fn cell(&self, v: Value) -> Arc<Shared<Value>> {
        Arc::new(Shared::with_class(v, self.class))
    }

    /// The number of items (reads the structure).
    pub(crate) fn len(&self) -> usize {
        self.shape.read();
        lock(&self.items).len()
    }

    /// All items in order (reads the structure, then every item).
    pub(crate) fn items(&self) -> Vec<Value> {
        self.shape.read();
        let cells = lock(&self.items).clone();
        cells.iter().map(|c| c.read()).collect()
    }

    /// The cell of item `i` (a Python index, may be negative), after reading the structure.
    fn item_cell(&self, i: i64) -> Option<Arc<Shared<Value>>> {
        self.shape.read();
        let cells = lock(&self.items);
        norm_index(i, cells.len()).map(|j| cells[j].clone())
    }

    /// Item `i` (reads the structure and that item); `None` if out of range.
    pub(crate) fn get(&self, i: i64) -> Option<Value> {
        self.item_cell(i).map(|c| c.read())
    }

    /// Sets item `i` (reads the structure, writes that item); `Err(v)` if out of range.
    pub(crate) fn set(&self, i: i64, v: Value) -> Result<(), Value> {
        match self.item_cell(i) {
            Some(c) => {
                c.write(v);
                Ok(())
            }
            None => Err(v),
        }
    }

    /// Changes the structure: writes the structure location, then runs `f` on the cells.
    fn restructure<R>(&self, f: impl FnOnce(&mut Vec<Arc<Shared<Value>>>) -> R) -> R {
        self.shape.write(());
        let mut cells = lock(&self.items);
        f(&mut cells)
    }

    /// `append`.
    pub(crate) fn push(&self, v: Value) {
        let c = self.cell(v);
        self.restructure(|cells| cells.push(c));
    }

    /// `extend` / `+=` (the items already read).
    pub(crate) fn extend(&self, items: Vec<Value>) {
        let new: Vec<_> = items.into_iter().map(|v| self.cell(v)).collect();
        self.restructure(|cells| cells.extend(new));
    }

    /// `insert(i, v)`.
    pub(crate) fn insert(&self, i: i64, v: Value) {
        let c = self.cell(v);
        self.restructure(|cells| {
            let n = cells.len() as i64;
            let j = if i < 0 { (i + n).max(0) } else { i.min(n) };
            cells.insert(j as usize, c);
        });
    }

    /// `pop(i)`: the removed item (whose cell is then read once), or the error message.
    pub(crate) fn pop(&self, i: i64) -> Result<Value, &'static str> {
        let removed = self.restructure(|cells| {
            if cells.is_empty() {
                return Err("pop from empty list");
            }
            let j = norm_index(i, cells.len()).ok_or("pop index out of range")?;
            Ok(cells.remove(j))
        })?;
        Ok(removed.read())
    }

    /// `clear()`.
    pub(crate) fn clear(&self) {
        let old = self.restructure(std::mem::take);
        drop(old);
    }
}

impl Dict {
    /// A new dict of `entries` (keys already unique) with the purity class `class`.
    #[track_caller]
    pub(crate) fn new(entries: Vec<(Value, Value)>, class: StateClass) -> Arc<Dict> {
        let cells = entries
            .into_iter()
            .map(|(k, v)| (k, Arc::new(Shared::with_class(v, class))))
            .collect();
        Arc::new(Dict {
            shape: Shared::with_class((), class),
            entries: std::sync::Mutex::new(cells),
            class,
        })
    }

    /// The number of entries (reads the structure).
    pub(crate) fn len(&self) -> usize {
        self.shape.read();
        lock(&self.entries).len()
    }

    /// The keys in insertion order (reads the structure only: keys are immutable).
    pub(crate) fn keys(&self) -> Vec<Value> {
        self.shape.read();
        lock(&self.entries).iter().map(|(k, _)| k.clone()).collect()
    }

    /// Whether `key` (hashable) is a key (reads the structure).
    pub(crate) fn contains(&self, key: &Value) -> bool {
        self.shape.read();
        lock(&self.entries).iter().any(|(k, _)| key_eq(k, key))
    }

    /// All entries in order (reads the structure, then every value).
    pub(crate) fn entries(&self) -> Vec<(Value, Value)> {
        self.shape.read();
        let cells = lock(&self.entries).clone();
        cells.into_iter().map(|(k, c)| (k, c.read())).collect()
    }

    /// The value of `key` (reads the structure and that entry), if present.
    pub(crate) fn get(&self, key: &Value) -> Option<Value> {
        self.shape.read();
        let cell = {
            let entries = lock(&self.entries);
            entries
                .iter()
                .find(|(k, _)| key_eq(k, key))
                .map(|(_, c)| c.clone())
        };
        cell.map(|c| c.read())
    }

    /// `d[key] = v`: an existing key's entry is written after reading the structure; a new
    /// key writes the structure.
    pub(crate) fn set(&self, key: Value, v: Value) {
        self.shape.read();
        let cell = {
            let entries = lock(&self.entries);
            entries
                .iter()
                .find(|(k, _)| key_eq(k, &key))
                .map(|(_, c)| c.clone())
        };
        if let Some(c) = cell {
            return c.write(v);
        }
        let c = Arc::new(Shared::with_class(v, self.class));
        self.shape.write(());
        let mut entries = lock(&self.entries);
        // Another task may have added the key between the two points (a race, reported).
        match entries.iter_mut().find(|(k, _)| key_eq(k, &key)) {
            Some((_, slot)) => *slot = c,
            None => entries.push((key, c)),
        }
    }

    /// `pop(key)`: the removed value (its cell then read once), if the key was present.
    pub(crate) fn pop(&self, key: &Value) -> Option<Value> {
        self.shape.write(());
        let removed = {
            let mut entries = lock(&self.entries);
            let i = entries.iter().position(|(k, _)| key_eq(k, key));
            i.map(|i| entries.remove(i).1)
        };
        removed.map(|c| c.read())
    }
}
