//! The watchdog: says which task is stuck when an execution reaches no scheduling point
//! for a long time.
//!
//! The simulator can only interrupt a task at a scheduling point. Code that never reaches
//! one — a blocking call the simulator cannot see (a `std::sync` lock held by a suspended
//! task, a real channel, I/O, a sleep), or a loop over uninstrumented state — hangs the
//! execution, and neither `max_steps` nor `max_time` can end it. Rather than a silent
//! hang, one background thread per process watches every running execution and, when one
//! has not moved for the checker's watchdog period, prints which task it is and where its
//! last scheduling point was (once per stall). It decides nothing: schedules and findings
//! never depend on it, so determinism is untouched.
//!
//! Cost on the hot path: each recorded step stores the step number, the task and the
//! site into the execution's slot (relaxed stores to a cache line only this thread
//! writes).

use super::exec::Where;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

/// What one running execution last did, as the watchdog sees it.
#[derive(Default)]
pub(crate) struct Slot {
    /// A sequence lock over the fields below: odd while the simulating thread writes them.
    /// It grows by 2 per recorded step, so it is also the execution's progress counter.
    seq: AtomicU64,
    task: AtomicU32,
    rust_site: AtomicPtr<Location<'static>>,
    file: AtomicPtr<u8>,
    file_len: AtomicUsize,
    line_col: AtomicU64,
    /// The watchdog period in milliseconds; 0 = off.
    period_ms: AtomicU64,
    /// The execution has ended (the slot is dropped soon after).
    done: AtomicBool,
}

impl Slot {
    /// Notes a recorded step.
    #[inline]
    pub(crate) fn note(&self, task: u32, site: &Where) {
        // Only this thread writes: a plain increment to odd, the fields, then even.
        let seq = self.seq.load(Ordering::Relaxed);
        self.seq.store(seq + 1, Ordering::Relaxed);
        std::sync::atomic::fence(Ordering::Release);
        self.task.store(task, Ordering::Relaxed);
        match site {
            Where::Rust(l) => {
                self.rust_site
                    .store(*l as *const Location<'static> as *mut _, Ordering::Relaxed);
            }
            Where::Model(s) => {
                self.rust_site
                    .store(std::ptr::null_mut(), Ordering::Relaxed);
                self.file
                    .store(s.file.as_ptr() as *mut u8, Ordering::Relaxed);
                self.file_len.store(s.file.len(), Ordering::Relaxed);
                self.line_col
                    .store((s.line as u64) << 32 | s.col as u64, Ordering::Relaxed);
            }
        }
        self.seq.store(seq + 2, Ordering::Release);
    }

    /// The last task and site, as text; `None` if the simulating thread is writing them
    /// right now (then it is not stalled anyway).
    fn last(&self) -> Option<(u32, String)> {
        let before = self.seq.load(Ordering::Acquire);
        if before % 2 == 1 {
            return None;
        }
        let task = self.task.load(Ordering::Relaxed);
        let p = self.rust_site.load(Ordering::Relaxed);
        let f = self.file.load(Ordering::Relaxed);
        let len = self.file_len.load(Ordering::Relaxed);
        let lc = self.line_col.load(Ordering::Relaxed);
        std::sync::atomic::fence(Ordering::Acquire);
        if self.seq.load(Ordering::Relaxed) != before {
            return None;
        }
        let site = if !p.is_null() {
            // SAFETY: only `&'static Location`s are stored.
            unsafe { &*p }.to_string()
        } else if f.is_null() {
            "its start".to_string()
        } else {
            // SAFETY: the sequence lock saw no write between the loads, so pointer and
            // length come from one `&'static str` (a model's file name).
            let bytes = unsafe { std::slice::from_raw_parts(f, len) };
            let file = std::str::from_utf8(bytes).unwrap_or("?");
            format!("{file}:{}:{}", lc >> 32, lc & 0xFFFF_FFFF)
        };
        Some((task, site))
    }
}

/// The slots of running executions.
fn registry() -> &'static Mutex<Vec<Weak<Slot>>> {
    static SLOTS: OnceLock<Mutex<Vec<Weak<Slot>>>> = OnceLock::new();
    SLOTS.get_or_init(|| {
        // The watchdog thread, started with the first execution that has a period.
        let _ = std::thread::Builder::new()
            .name("forkwait-watchdog".into())
            .spawn(watch);
        Mutex::new(Vec::new())
    })
}

thread_local! {
    /// This thread's slot, registered with the watchdog on first use (an execution runs
    /// on one thread, and one thread runs one execution at a time).
    static SLOT: Arc<Slot> = {
        let slot = Arc::new(Slot::default());
        slot.done.store(true, Ordering::Relaxed);
        let mut slots = registry().lock().unwrap_or_else(|e| e.into_inner());
        slots.retain(|w| w.strong_count() > 0);
        slots.push(Arc::downgrade(&slot));
        slot
    };
}

/// This thread's slot, set up for a new execution watched with `period` (`None`: not
/// watched).
pub(crate) fn begin(period: Option<Duration>) -> Arc<Slot> {
    SLOT.with(|slot| {
        let ms = period.map_or(0, |p| p.as_millis().max(1) as u64);
        slot.period_ms.store(ms, Ordering::Relaxed);
        slot.done.store(ms == 0, Ordering::Relaxed);
        slot.clone()
    })
}

/// The execution of `slot` ended.
pub(crate) fn finish(slot: &Slot) {
    slot.done.store(true, Ordering::Relaxed);
}

/// The watchdog thread's loop: compares each slot's step with what it saw last time.
fn watch() {
    // (slot, last step seen, since when, already reported)
    let mut seen: Vec<(Weak<Slot>, u64, Instant, bool)> = Vec::new();
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let live: Vec<Weak<Slot>> = match registry().try_lock() {
            Ok(s) => s.clone(),
            Err(_) => continue,
        };
        seen.retain(|(w, ..)| w.strong_count() > 0);
        for w in live {
            let Some(slot) = w.upgrade() else { continue };
            if slot.done.load(Ordering::Relaxed) {
                continue;
            }
            let step = slot.seq.load(Ordering::Relaxed);
            let now = Instant::now();
            let entry = match seen.iter_mut().find(|(x, ..)| Weak::ptr_eq(x, &w)) {
                Some(e) => e,
                None => {
                    seen.push((w.clone(), step, now, false));
                    continue;
                }
            };
            if entry.1 != step {
                *entry = (w.clone(), step, now, false);
                continue;
            }
            let period = Duration::from_millis(slot.period_ms.load(Ordering::Relaxed));
            if !entry.3 && now.duration_since(entry.2) >= period {
                let Some((task, site)) = slot.last() else {
                    continue;
                };
                entry.3 = true;
                eprintln!(
                    "forkwait: watchdog: task {} has reached no scheduling point for {:.1} s; \
                     its last one was at {}. The simulator can only switch tasks at a \
                     scheduling point: a blocking call it cannot see (a std::sync lock held \
                     by a suspended task, a real channel, I/O, a sleep) or a loop over \
                     uninstrumented state hangs the execution. Use forkwait::sync types, \
                     or forkwait::yield_now() in the loop.",
                    task,
                    period.as_secs_f64(),
                    site
                );
            }
        }
    }
}
