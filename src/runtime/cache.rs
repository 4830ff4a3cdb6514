//! Task blocks: their memory, and a per-worker cache of free blocks.
//!
//! Design notes:
//!
//! * **Why.** Every `fork` on the pool allocates one block (the task's header, closure and
//!   result slot, see `task.rs`) and the last reference frees it. On the fork+wait hot
//!   path malloc and free were about a quarter of the pair's instructions (callgrind,
//!   `examples/profile_pair.rs`); a pool worker that forks and waits in a loop frees a
//!   block and allocates one of the same size right after, so a small free-list turns
//!   both into a few loads and stores.
//! * **Size classes.** Blocks differ in size (the closure `F` and result `T` are generic),
//!   so a block whose layout fits a class is always allocated with the class's layout (its
//!   size rounded up to a power of two, [`CLASS_ALIGN`] alignment), whichever thread
//!   allocates it and whether or not a cache is at hand. Blocks of one class are therefore
//!   interchangeable, and a block freed into a cache, or from a cache back to the global
//!   allocator, is always freed with the layout it was allocated with. A block too large
//!   or too aligned for every class bypasses the cache with its exact layout.
//! * **Who frees.** The last reference to a task may drop on any thread. A block freed on
//!   a pool thread goes into *that* thread's cache (blocks are plain memory of the global
//!   allocator, so moving them between threads is fine); on any other thread, or when the
//!   cache's class is full, it goes back to the global allocator. A thread that only frees
//!   (a worker running tasks injected from outside) thus fills its cache to the bound and
//!   then frees as before; a thread that only allocates gets no help from the others —
//!   the common fork-then-wait pattern allocates and frees on the same worker.
//! * **Bounded.** At most [`PER_CLASS`] blocks per class per pool thread (under 64 KiB in
//!   all), released when the thread leaves the pool.
//! * **No synchronization.** A cache is owned by one pool thread (it lives in its
//!   `WorkerThread`, on that thread's stack) and only that thread touches it: plain
//!   `Cell`s, no atomics. Blocks are handed between threads only through a task's
//!   reference count (`task.rs`), whose release/acquire pair orders every use of a block
//!   on one thread before its reuse on another; `tests/loom_pool.rs` models a task whose
//!   last reference drops on a thief, on the waiter and on an outside thread.
//! * **Reentrancy.** Freeing a block first drops its contents (which may drop futures and
//!   so free other blocks into the same cache); the block is linked into the list only
//!   afterwards, so no list operation is ever interrupted by another.

use std::alloc::{Layout, alloc, dealloc, handle_alloc_error};
use std::cell::Cell;
use std::ptr::{self, NonNull};

/// Alignment of every cached block; a task type aligned more strictly is not cached.
pub(crate) const CLASS_ALIGN: usize = 16;
/// Size of the smallest class; class `c` holds blocks of `MIN_CLASS << c` bytes.
const MIN_CLASS: usize = 128;
/// Number of size classes: 128, 256, 512 and 1024 bytes.
const CLASSES: usize = 4;
/// Free blocks kept per class and thread.
pub(crate) const PER_CLASS: u32 = 24;

/// The class a block of `layout` is allocated in, if any.
#[inline]
pub(crate) const fn class_of(layout: Layout) -> Option<usize> {
    if layout.align() > CLASS_ALIGN || layout.size() > MIN_CLASS << (CLASSES - 1) {
        return None;
    }
    let mut c = 0;
    while layout.size() > MIN_CLASS << c {
        c += 1;
    }
    Some(c)
}

/// The layout every block of class `c` is allocated with.
#[inline]
const fn class_layout(c: usize) -> Layout {
    match Layout::from_size_align(MIN_CLASS << c, CLASS_ALIGN) {
        Ok(l) => l,
        Err(_) => panic!("forkwait: invalid block class"),
    }
}

/// The layout a block of `layout` is really allocated with (see "Size classes").
#[inline]
pub(crate) const fn block_layout(layout: Layout) -> Layout {
    match class_of(layout) {
        Some(c) => class_layout(c),
        None => layout,
    }
}

/// A pool thread's free blocks: one intrusive singly linked list per class, linked
/// through each free block's first word.
pub(crate) struct BlockCache {
    heads: [Cell<*mut u8>; CLASSES],
    lens: [Cell<u32>; CLASSES],
}

impl BlockCache {
    pub(crate) const fn new() -> Self {
        BlockCache {
            heads: [const { Cell::new(ptr::null_mut()) }; CLASSES],
            lens: [const { Cell::new(0) }; CLASSES],
        }
    }

    /// Takes a free block of class `c`, if there is one.
    #[inline]
    fn pop(&self, c: usize) -> Option<NonNull<u8>> {
        let head = NonNull::new(self.heads[c].get())?;
        // SAFETY: a block in the list is at least `MIN_CLASS` bytes and `CLASS_ALIGN`
        // aligned, owned by this list, and its first word holds the next block's address
        // (written by `push`); only this thread touches the list.
        let next = unsafe { head.as_ptr().cast::<*mut u8>().read() };
        self.heads[c].set(next);
        self.lens[c].set(self.lens[c].get() - 1);
        Some(head)
    }

    /// Keeps the free block `block` of class `c`, unless the class is full: then hands it
    /// back.
    #[inline]
    fn push(&self, c: usize, block: NonNull<u8>) -> Result<(), NonNull<u8>> {
        let len = self.lens[c].get();
        if len >= PER_CLASS {
            return Err(block);
        }
        // SAFETY: the caller gives up `block` (a class-`c` block whose contents were
        // already dropped); its first word becomes the link.
        unsafe { block.as_ptr().cast::<*mut u8>().write(self.heads[c].get()) };
        self.heads[c].set(block.as_ptr());
        self.lens[c].set(len + 1);
        Ok(())
    }

    /// The number of free blocks kept, over every class.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn len(&self) -> u32 {
        self.lens.iter().map(Cell::get).sum()
    }
}

impl Drop for BlockCache {
    fn drop(&mut self) {
        for c in 0..CLASSES {
            while let Some(b) = self.pop(c) {
                // SAFETY: every cached block of class `c` was allocated with
                // `class_layout(c)` (see "Size classes") and is owned by the cache.
                unsafe { dealloc(b.as_ptr(), class_layout(c)) };
            }
        }
    }
}

/// Allocates a block for a value of `layout` (size > 0), from `cache` if it has one.
#[inline]
pub(crate) fn alloc_block(layout: Layout, cache: Option<&BlockCache>) -> NonNull<u8> {
    let real = match class_of(layout) {
        Some(c) => {
            if let Some(b) = cache.and_then(|k| k.pop(c)) {
                return b;
            }
            class_layout(c)
        }
        None => layout,
    };
    // SAFETY: `real` has a non-zero size (a task block holds at least its header).
    let p = unsafe { alloc(real) };
    NonNull::new(p).unwrap_or_else(|| handle_alloc_error(real))
}

/// Frees a block allocated by [`alloc_block`] for `layout`, whose contents were dropped:
/// into `cache` if there is room, else to the global allocator.
///
/// # Safety
///
/// `block` comes from `alloc_block(layout, _)`, nothing uses it any more, and `cache` (if
/// any) belongs to the current thread.
#[inline]
pub(crate) unsafe fn free_block(block: NonNull<u8>, layout: Layout, cache: Option<&BlockCache>) {
    let block = match (class_of(layout), cache) {
        (Some(c), Some(k)) => match k.push(c, block) {
            Ok(()) => return,
            Err(b) => b,
        },
        _ => block,
    };
    // SAFETY: allocated by `alloc_block` with exactly `block_layout(layout)`.
    unsafe { dealloc(block.as_ptr(), block_layout(layout)) };
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn classes_round_up_and_large_or_aligned_blocks_bypass() {
        assert_eq!(class_of(Layout::from_size_align(1, 1).unwrap()), Some(0));
        assert_eq!(class_of(Layout::from_size_align(128, 8).unwrap()), Some(0));
        assert_eq!(class_of(Layout::from_size_align(129, 8).unwrap()), Some(1));
        assert_eq!(
            class_of(Layout::from_size_align(1024, 16).unwrap()),
            Some(3)
        );
        assert_eq!(class_of(Layout::from_size_align(1025, 8).unwrap()), None);
        assert_eq!(class_of(Layout::from_size_align(64, 64).unwrap()), None);
        let l = Layout::from_size_align(200, 8).unwrap();
        assert_eq!(block_layout(l).size(), 256);
        assert_eq!(block_layout(l).align(), CLASS_ALIGN);
        let big = Layout::from_size_align(5000, 8).unwrap();
        assert_eq!(block_layout(big), big);
    }

    #[test]
    fn a_freed_block_is_reused_and_the_cache_is_bounded() {
        let cache = BlockCache::new();
        let l = Layout::from_size_align(100, 8).unwrap();
        let a = alloc_block(l, Some(&cache));
        // SAFETY: `a` was just allocated for `l` and is unused.
        unsafe { free_block(a, l, Some(&cache)) };
        assert_eq!(cache.len(), 1);
        let b = alloc_block(l, Some(&cache));
        assert_eq!(a, b, "the cached block is handed out again");
        assert_eq!(cache.len(), 0);
        // Fill one class past its bound: the surplus goes back to the allocator.
        let blocks: Vec<_> = (0..PER_CLASS + 5)
            .map(|_| alloc_block(l, Some(&cache)))
            .collect();
        for blk in blocks.into_iter().chain([b]) {
            // SAFETY: each block was allocated for `l` and is unused.
            unsafe { free_block(blk, l, Some(&cache)) };
        }
        assert_eq!(cache.len(), PER_CLASS);
        // A block of another class does not come from this list.
        let other = Layout::from_size_align(300, 8).unwrap();
        let c = alloc_block(other, Some(&cache));
        assert_eq!(cache.len(), PER_CLASS);
        // SAFETY: allocated for `other`; freed without a cache, to the allocator.
        unsafe { free_block(c, other, None) };
        // Large blocks are never cached.
        let big = Layout::from_size_align(4096, 8).unwrap();
        let d = alloc_block(big, Some(&cache));
        // SAFETY: allocated for `big` and unused.
        unsafe { free_block(d, big, Some(&cache)) };
        assert_eq!(cache.len(), PER_CLASS);
        // Dropping the cache frees what it kept (checked by Miri/valgrind, not here).
    }
}
