//! Ports of the 23 buggy `CS.*` programs of SCTBench (Thomson, Donaldson, Betts,
//! *Concurrency testing using schedule bounding: an empirical study*, PPoPP 2014; the
//! programs come from the ESBMC concurrency benchmarks), written once in `programs.rs`
//! and compiled three times: against `forkwait::sync` + `forkwait::thread`, `loom` and
//! `shuttle`. The CI test `tests/sctbench.rs` includes the forkwait copy only.
//!
//! SCTBench's list of buggy `CS.*` programs has 29 entries: these 23 and the six
//! `din_phil{2..7}_sat` dining philosophers, left out here.

#![allow(dead_code)]

/// The programs on forkwait.
pub mod fw {
    use forkwait::sync::atomic::Ordering::SeqCst;
    use forkwait::sync::atomic::{AtomicBool, AtomicI32};
    use forkwait::sync::{Arc, Condvar, Mutex};
    use forkwait::thread;
    include!("programs.rs");
}

/// The programs on loom.
pub mod lm {
    use loom::sync::atomic::Ordering::SeqCst;
    use loom::sync::atomic::{AtomicBool, AtomicI32};
    use loom::sync::{Arc, Condvar, Mutex};
    use loom::thread;
    include!("programs.rs");
}

/// The programs on shuttle.
pub mod sh {
    use shuttle::sync::atomic::Ordering::SeqCst;
    use shuttle::sync::atomic::{AtomicBool, AtomicI32};
    use shuttle::sync::{Arc, Condvar, Mutex};
    use shuttle::thread;
    include!("programs.rs");
}
