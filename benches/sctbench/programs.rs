// The SCTBench CS.* programs, written once against std-shaped names and included three
// times (forkwait, loom, shuttle) by `mod.rs`, so that every tool runs the same code. The
// including module brings `Arc`, `Mutex`, `Condvar`, `AtomicBool`, `AtomicI32`, `SeqCst`
// and `thread` into scope from one tool.
//
// Porting rules (the C programs are pthread code from the ESBMC "concurrency software"
// benchmarks, as collected in SCTBench; ported for this crate, no code copied):
// * a global protected by a mutex lives inside that `Mutex`; an unprotected global is an
//   `AtomicI32`/`AtomicBool` accessed with `SeqCst` loads and stores (`x++` is a load
//   then a store: two scheduling points, as the C data race is);
// * an `__ESBMC_atomic_begin/end` block is a critical section of one extra mutex;
// * `pthread_create` is `thread::spawn`, `pthread_join` is `join().unwrap()`; programs
//   whose `main` returns without joining join their threads at the end (the bug does not
//   depend on it);
// * `assert(c)` is `assert!(c)`; a deadlock is left for the tool to detect;
// * a lock never released in C (`phase01`) is a guard passed to `std::mem::forget`.

/// One ported program: its name (SCTBench's, without `CS.` and `_bad`), its body and its
/// thread count (the main thread included: loom runs at most 5).
#[derive(Clone, Copy)]
pub struct Program {
    /// The SCTBench name.
    pub name: &'static str,
    /// The program: panics (an assertion) or deadlocks in some schedules.
    pub body: fn(),
    /// Threads, the main thread included.
    pub threads: usize,
}

/// Every port, in SCTBench's order.
pub const PROGRAMS: &[Program] = &[
    Program { name: "account", body: account, threads: 4 },
    Program { name: "arithmetic_prog", body: arithmetic_prog, threads: 3 },
    Program { name: "bluetooth_driver", body: bluetooth_driver, threads: 2 },
    Program { name: "carter01", body: carter01, threads: 5 },
    Program { name: "circular_buffer", body: circular_buffer, threads: 3 },
    Program { name: "deadlock01", body: deadlock01, threads: 3 },
    Program { name: "fsbench", body: fsbench, threads: 28 },
    Program { name: "lazy01", body: lazy01, threads: 4 },
    Program { name: "phase01", body: phase01, threads: 3 },
    Program { name: "queue", body: queue, threads: 3 },
    Program { name: "reorder_3", body: reorder_3, threads: 4 },
    Program { name: "reorder_4", body: reorder_4, threads: 5 },
    Program { name: "reorder_5", body: reorder_5, threads: 6 },
    Program { name: "reorder_10", body: reorder_10, threads: 11 },
    Program { name: "reorder_20", body: reorder_20, threads: 21 },
    Program { name: "stack", body: stack, threads: 3 },
    Program { name: "sync01", body: sync01, threads: 3 },
    Program { name: "sync02", body: sync02, threads: 3 },
    Program { name: "token_ring", body: token_ring, threads: 5 },
    Program { name: "twostage", body: twostage, threads: 3 },
    Program { name: "twostage_100", body: twostage_100, threads: 101 },
    Program { name: "wronglock", body: wronglock, threads: 9 },
    Program { name: "wronglock_3", body: wronglock_3, threads: 5 },
];

fn join_all<T>(hs: Vec<thread::JoinHandle<T>>) {
    for h in hs {
        h.join().unwrap();
    }
}

/// A balance, a deposit and a withdrawal under one lock; the checker's expected balance
/// is wrong, which shows when it runs after both.
pub fn account() {
    struct S {
        balance: i32,
        deposit_done: bool,
        withdraw_done: bool,
    }
    let (x, y, z) = (1, 2, 4);
    let m = Arc::new(Mutex::new(S { balance: x, deposit_done: false, withdraw_done: false }));
    let m3 = m.clone();
    let check = thread::spawn(move || {
        let s = m3.lock().unwrap();
        if s.deposit_done && s.withdraw_done {
            assert!(s.balance == (x - y) - z, "account: wrong balance");
        }
    });
    let m1 = m.clone();
    let deposit = thread::spawn(move || {
        let mut s = m1.lock().unwrap();
        s.balance += y;
        s.deposit_done = true;
    });
    let m2 = m.clone();
    let withdraw = thread::spawn(move || {
        let mut s = m2.lock().unwrap();
        s.balance -= z;
        s.withdraw_done = true;
    });
    join_all(vec![check, deposit, withdraw]);
}

/// A producer and a consumer on a condition-variable buffer of one slot; the final check
/// is wrong whenever the consumer got to its end.
pub fn arithmetic_prog() {
    const N: i32 = 3;
    let m = Arc::new(Mutex::new(0i32)); // num
    let empty = Arc::new(Condvar::new());
    let full = Arc::new(Condvar::new());
    let total = Arc::new(AtomicI32::new(0));
    let flag = Arc::new(AtomicBool::new(false));
    let (m1, e1, f1) = (m.clone(), empty.clone(), full.clone());
    let t1 = thread::spawn(move || {
        for _ in 0..N {
            let mut num = m1.lock().unwrap();
            while *num > 0 {
                num = e1.wait(num).unwrap();
            }
            *num += 1;
            drop(num);
            f1.notify_one();
        }
    });
    let (m2, e2, f2, tot2, fl2) = (m.clone(), empty.clone(), full.clone(), total.clone(), flag.clone());
    let t2 = thread::spawn(move || {
        let mut j = 0;
        while j < N {
            let mut num = m2.lock().unwrap();
            while *num == 0 {
                num = f2.wait(num).unwrap();
            }
            tot2.store(tot2.load(SeqCst) + j, SeqCst);
            *num -= 1;
            drop(num);
            e2.notify_one();
            j += 1;
        }
        tot2.store(tot2.load(SeqCst) + j, SeqCst);
        fl2.store(true, SeqCst);
    });
    join_all(vec![t1, t2]);
    if flag.load(SeqCst) {
        assert!(total.load(SeqCst) != (N * (N + 1)) / 2, "arithmetic_prog: total");
    }
}

/// A device's stop routine races with an I/O request: the request can pass the
/// "stopping" check, then find the device stopped.
pub fn bluetooth_driver() {
    struct Device {
        pending_io: AtomicI32,
        stopping_flag: AtomicBool,
        stopping_event: AtomicBool,
        stopped: AtomicBool,
        atomic: Mutex<()>,
    }
    fn io_increment(e: &Device) -> i32 {
        if e.stopping_flag.load(SeqCst) {
            return -1;
        }
        let _a = e.atomic.lock().unwrap();
        e.pending_io.store(e.pending_io.load(SeqCst) + 1, SeqCst);
        0
    }
    fn io_decrement(e: &Device) {
        let pending = {
            let _a = e.atomic.lock().unwrap();
            e.pending_io.store(e.pending_io.load(SeqCst) - 1, SeqCst);
            e.pending_io.load(SeqCst)
        };
        if pending == 0 {
            e.stopping_event.store(true, SeqCst);
        }
    }
    let e = Arc::new(Device {
        pending_io: AtomicI32::new(1),
        stopping_flag: AtomicBool::new(false),
        stopping_event: AtomicBool::new(false),
        stopped: AtomicBool::new(false),
        atomic: Mutex::new(()),
    });
    let e2 = e.clone();
    let stop = thread::spawn(move || {
        e2.stopping_flag.store(true, SeqCst);
        io_decrement(&e2);
        if e2.stopping_event.load(SeqCst) {
            e2.stopped.store(true, SeqCst);
        }
    });
    // BCSP_PnpAdd, in the main thread.
    if io_increment(&e) == 0 {
        assert!(!e.stopped.load(SeqCst), "bluetooth_driver: I/O on a stopped device");
    }
    io_decrement(&e);
    stop.join().unwrap();
}

/// Two classes of readers take a shared lock `l` while holding `m`, and release it
/// later: the second class can block on `l` while holding `m` (a deadlock).
pub fn carter01() {
    let m = Arc::new(Mutex::new((0i32, 0i32))); // (A, B)
    let l = Arc::new(Mutex::new(()));
    let class = |which: usize| {
        let (m, l) = (m.clone(), l.clone());
        move || {
            let mut held = None;
            {
                let mut ab = m.lock().unwrap();
                let c = if which == 0 { &mut ab.0 } else { &mut ab.1 };
                *c += 1;
                if *c == 1 {
                    held = Some(l.lock().unwrap());
                }
            }
            // (perform the class's operation)
            let mut ab = m.lock().unwrap();
            let c = if which == 0 { &mut ab.0 } else { &mut ab.1 };
            *c -= 1;
            if *c == 0 {
                drop(held.take());
            }
        }
    };
    let a1 = thread::spawn(class(0));
    let b1 = thread::spawn(class(1));
    let a2 = thread::spawn(|| {});
    let b2 = thread::spawn(|| {});
    join_all(vec![a1, b1, a2, b2]);
}

/// A circular log buffer handed back and forth under a lock; the consumer expects the
/// element of its own iteration, which it gets only if the two loops stay in step.
pub fn circular_buffer() {
    const N: i32 = 7;
    struct Log {
        buffer: [i32; 10],
        first: usize,
        next: usize,
        size: usize,
        send: bool,
        receive: bool,
    }
    let m = Arc::new(Mutex::new(Log {
        buffer: [0; 10],
        first: 0,
        next: 0,
        size: 10,
        send: true,
        receive: false,
    }));
    let m1 = m.clone();
    let t1 = thread::spawn(move || {
        for i in 0..N {
            let mut s = m1.lock().unwrap();
            if s.send {
                if s.next < s.size && s.size > 0 {
                    let n = s.next;
                    s.buffer[n] = i;
                    s.next = (n + 1) % s.size;
                }
                s.send = false;
                s.receive = true;
            }
        }
    });
    let m2 = m.clone();
    let t2 = thread::spawn(move || {
        for i in 0..N {
            let mut s = m2.lock().unwrap();
            if s.receive {
                let got = if s.next > 0 && s.first < s.size {
                    s.first += 1;
                    s.buffer[s.first - 1]
                } else {
                    -1
                };
                assert!(got == i, "circular_buffer: got {got} in round {i}");
                s.receive = false;
                s.send = true;
            }
        }
    });
    join_all(vec![t1, t2]);
}

/// Two locks taken in opposite orders.
pub fn deadlock01() {
    let a = Arc::new(Mutex::new(()));
    let b = Arc::new(Mutex::new(()));
    let counter = Arc::new(AtomicI32::new(1));
    let (a1, b1, c1) = (a.clone(), b.clone(), counter.clone());
    let t1 = thread::spawn(move || {
        let _ga = a1.lock().unwrap();
        let _gb = b1.lock().unwrap();
        c1.store(c1.load(SeqCst) + 1, SeqCst);
    });
    let (a2, b2, c2) = (a.clone(), b.clone(), counter.clone());
    let t2 = thread::spawn(move || {
        let _gb = b2.lock().unwrap();
        let _ga = a2.lock().unwrap();
        c2.store(c2.load(SeqCst) - 1, SeqCst);
    });
    join_all(vec![t1, t2]);
}

/// 27 threads allocate blocks to inodes; the 27th thread's inode index is past the end
/// of the lock array (a bug in every schedule once that thread runs).
pub fn fsbench() {
    const NUMBLOCKS: usize = 26;
    const NUMINODE: usize = 32;
    const THREADS: usize = 27;
    let locki: Arc<Vec<Mutex<usize>>> = Arc::new((0..NUMBLOCKS).map(|_| Mutex::new(0)).collect());
    let lockb: Arc<Vec<Mutex<bool>>> = Arc::new((0..NUMBLOCKS).map(|_| Mutex::new(false)).collect());
    let hs: Vec<_> = (0..THREADS)
        .map(|tid| {
            let (locki, lockb) = (locki.clone(), lockb.clone());
            thread::spawn(move || {
                let i = tid % NUMINODE;
                assert!(i < NUMBLOCKS, "fsbench: inode {i} has no lock");
                let mut inode = locki[i].lock().unwrap();
                if *inode == 0 {
                    let mut b = (i * 2) % NUMBLOCKS;
                    for _ in 0..NUMBLOCKS / 2 {
                        let mut busy = lockb[b].lock().unwrap();
                        if !*busy {
                            *busy = true;
                            *inode = b + 1;
                            break;
                        }
                        drop(busy);
                        b = (b + 1) % NUMBLOCKS;
                    }
                }
            })
        })
        .collect();
    join_all(hs);
}

/// Three threads under one lock; the third fails if both others ran before it.
pub fn lazy01() {
    let m = Arc::new(Mutex::new(0i32));
    let (m1, m2, m3) = (m.clone(), m.clone(), m.clone());
    let t1 = thread::spawn(move || *m1.lock().unwrap() += 1);
    let t2 = thread::spawn(move || *m2.lock().unwrap() += 2);
    let t3 = thread::spawn(move || {
        let d = m3.lock().unwrap();
        assert!(*d < 3, "lazy01: data reached {}", *d);
    });
    join_all(vec![t1, t2, t3]);
}

/// Each of two threads takes `x` a second time and never releases it.
pub fn phase01() {
    let x = Arc::new(Mutex::new(()));
    let y = Arc::new(Mutex::new(()));
    let body = |x: Arc<Mutex<()>>, y: Arc<Mutex<()>>| {
        move || {
            drop(x.lock().unwrap());
            std::mem::forget(x.lock().unwrap());
            drop(y.lock().unwrap());
            drop(y.lock().unwrap());
        }
    };
    let t1 = thread::spawn(body(x.clone(), y.clone()));
    let t2 = thread::spawn(body(x.clone(), y.clone()));
    join_all(vec![t1, t2]);
}

/// A FIFO queue handed between an enqueuer and a dequeuer by flags under a lock; the
/// dequeuer compares each element with the one stored for its own round, which holds
/// only if it never runs a round before the enqueuer's. (The C source of `queue_bad` is
/// not in the index we read; this follows `queue_ok`'s queue with the per-round locking
/// of the bad variant.)
pub fn queue() {
    const SIZE: usize = 20;
    struct Q {
        element: [i32; SIZE + 1],
        head: usize,
        tail: usize,
        amount: usize,
        stored: [i32; SIZE],
        enqueue_flag: bool,
        dequeue_flag: bool,
    }
    impl Q {
        fn enqueue(&mut self, x: i32) {
            self.element[self.tail] = x;
            self.amount += 1;
            self.tail = if self.tail == SIZE { 1 } else { self.tail + 1 };
        }
        fn dequeue(&mut self) -> i32 {
            let x = self.element[self.head];
            self.amount -= 1;
            self.head = if self.head == SIZE { 1 } else { self.head + 1 };
            x
        }
        fn empty(&self) -> bool {
            self.head == self.tail
        }
    }
    let m = Arc::new(Mutex::new(Q {
        element: [0; SIZE + 1],
        head: 0,
        tail: 0,
        amount: 0,
        stored: [0; SIZE],
        enqueue_flag: true,
        dequeue_flag: false,
    }));
    let m1 = m.clone();
    let t1 = thread::spawn(move || {
        let mut value = 1;
        {
            let mut q = m1.lock().unwrap();
            q.enqueue(value);
            q.stored[0] = value;
            assert!(!q.empty());
        }
        for i in 0..SIZE - 1 {
            let mut q = m1.lock().unwrap();
            if q.enqueue_flag {
                value += 1;
                q.enqueue(value);
                q.stored[i + 1] = value;
                q.enqueue_flag = false;
                q.dequeue_flag = true;
            }
        }
    });
    let m2 = m.clone();
    let t2 = thread::spawn(move || {
        for i in 0..SIZE {
            let mut q = m2.lock().unwrap();
            if q.dequeue_flag {
                let got = q.dequeue();
                assert!(got == q.stored[i], "queue: got {got} in round {i}");
                q.dequeue_flag = false;
                q.enqueue_flag = true;
            }
        }
    });
    join_all(vec![t1, t2]);
}

/// `set` threads write `a = 1` then `b = -1`; `check` threads see a mix.
fn reorder(set: usize, check: usize) {
    let a = Arc::new(AtomicI32::new(0));
    let b = Arc::new(AtomicI32::new(0));
    let mut hs = Vec::new();
    for _ in 0..set {
        let (a, b) = (a.clone(), b.clone());
        hs.push(thread::spawn(move || {
            a.store(1, SeqCst);
            b.store(-1, SeqCst);
        }));
    }
    for _ in 0..check {
        let (a, b) = (a.clone(), b.clone());
        hs.push(thread::spawn(move || {
            let (x, y) = (a.load(SeqCst), b.load(SeqCst));
            assert!((x == 0 && y == 0) || (x == 1 && y == -1), "reorder: a = {x}, b = {y}");
        }));
    }
    join_all(hs);
}

/// `reorder` with 2 setters and 1 checker (3 threads besides main).
pub fn reorder_3() {
    reorder(2, 1)
}
/// 3 setters, 1 checker.
pub fn reorder_4() {
    reorder(3, 1)
}
/// 4 setters, 1 checker.
pub fn reorder_5() {
    reorder(4, 1)
}
/// 9 setters, 1 checker.
pub fn reorder_10() {
    reorder(9, 1)
}
/// 19 setters, 1 checker.
pub fn reorder_20() {
    reorder(19, 1)
}

/// A pusher and a popper under one lock; the popper pops whenever something was ever
/// pushed, so it can pop an empty stack.
pub fn stack() {
    const SIZE: usize = 10;
    struct S {
        top: usize,
        arr: [usize; SIZE],
        flag: bool,
    }
    let m = Arc::new(Mutex::new(S { top: 0, arr: [0; SIZE], flag: false }));
    let m1 = m.clone();
    let t1 = thread::spawn(move || {
        for i in 0..SIZE {
            let mut s = m1.lock().unwrap();
            assert!(s.top < SIZE, "stack: overflow");
            let t = s.top;
            s.arr[t] = i;
            s.top += 1;
            s.flag = true;
        }
    });
    let m2 = m.clone();
    let t2 = thread::spawn(move || {
        for _ in 0..SIZE {
            let mut s = m2.lock().unwrap();
            if s.flag {
                assert!(s.top > 0, "stack: underflow");
                s.top -= 1;
            }
        }
    });
    join_all(vec![t1, t2]);
}

/// A producer that waits for an empty slot nobody empties (a deadlock).
pub fn sync01() {
    let m = Arc::new(Mutex::new(1i32));
    let empty = Arc::new(Condvar::new());
    let full = Arc::new(Condvar::new());
    let (m1, e1, f1) = (m.clone(), empty.clone(), full.clone());
    let t1 = thread::spawn(move || {
        let mut num = m1.lock().unwrap();
        while *num > 0 {
            num = e1.wait(num).unwrap();
        }
        *num += 1;
        drop(num);
        f1.notify_one();
    });
    let (m2, e2, f2) = (m.clone(), empty.clone(), full.clone());
    let t2 = thread::spawn(move || {
        let mut num = m2.lock().unwrap();
        while *num == 0 {
            num = f2.wait(num).unwrap();
        }
        drop(num);
        e2.notify_one();
    });
    join_all(vec![t1, t2]);
}

/// A producer and a consumer of two items over a slot that starts full: the producer's
/// last wait is for a consumer that has finished (a deadlock).
pub fn sync02() {
    const N: usize = 2;
    let m = Arc::new(Mutex::new(2i32));
    let empty = Arc::new(Condvar::new());
    let full = Arc::new(Condvar::new());
    let (m1, e1, f1) = (m.clone(), empty.clone(), full.clone());
    let producer = thread::spawn(move || {
        for _ in 0..N {
            let mut num = m1.lock().unwrap();
            while *num > 0 {
                num = e1.wait(num).unwrap();
            }
            *num += 1;
            drop(num);
            f1.notify_one();
        }
    });
    let (m2, e2, f2) = (m.clone(), empty.clone(), full.clone());
    let consumer = thread::spawn(move || {
        for _ in 0..N {
            let mut num = m2.lock().unwrap();
            while *num == 0 {
                num = f2.wait(num).unwrap();
            }
            *num -= 1;
            drop(num);
            e2.notify_one();
        }
    });
    join_all(vec![producer, consumer]);
}

/// Three atomic steps pass a token around a ring; a checker expects all three equal.
pub fn token_ring() {
    struct Ring {
        x: [i32; 3],
        flag: [bool; 3],
    }
    let m = Arc::new(Mutex::new(Ring { x: [1, 2, 1], flag: [false; 3] }));
    let step = |to: usize, from: usize, bump: bool| {
        let m = m.clone();
        thread::spawn(move || {
            let mut r = m.lock().unwrap();
            r.x[to] = if bump { (r.x[from] + 1) % 4 } else { r.x[from] };
            r.flag[to] = true;
        })
    };
    let t1 = step(0, 2, true);
    let t2 = step(1, 0, false);
    let t3 = step(2, 1, false);
    let m4 = m.clone();
    let t4 = thread::spawn(move || {
        let r = m4.lock().unwrap();
        if r.flag.iter().all(|&f| f) {
            assert!(r.x[0] == r.x[1] && r.x[1] == r.x[2], "token_ring: {:?}", r.x);
        }
    });
    join_all(vec![t1, t2, t3, t4]);
}

/// Writers set `data1` then, in a second critical section, `data2 = data1 + 1`; a reader
/// between the two sections sees them out of step.
fn two_stage(writers: usize, readers: usize) {
    let d1 = Arc::new(Mutex::new(0i32));
    let d2 = Arc::new(Mutex::new(0i32));
    let mut hs = Vec::new();
    for _ in 0..writers {
        let (d1, d2) = (d1.clone(), d2.clone());
        hs.push(thread::spawn(move || {
            *d1.lock().unwrap() = 1;
            let mut g2 = d2.lock().unwrap();
            *g2 = *d1.lock().unwrap() + 1;
        }));
    }
    for _ in 0..readers {
        let (d1, d2) = (d1.clone(), d2.clone());
        hs.push(thread::spawn(move || {
            let t1 = {
                let g1 = d1.lock().unwrap();
                if *g1 == 0 {
                    return;
                }
                *g1
            };
            let t2 = *d2.lock().unwrap();
            assert!(t2 == t1 + 1, "twostage: data1 = {t1}, data2 = {t2}");
        }));
    }
    join_all(hs);
}

/// One writer, one reader.
pub fn twostage() {
    two_stage(1, 1)
}
/// 99 writers, one reader (100 threads besides main, as SCTBench's 101).
pub fn twostage_100() {
    two_stage(99, 1)
}

/// One thread increments under `data_lock` and checks its increment; the others
/// increment under another lock.
fn wrong_lock(others: usize) {
    let data_lock = Arc::new(Mutex::new(()));
    let this_lock = Arc::new(Mutex::new(()));
    let value = Arc::new(AtomicI32::new(0));
    let mut hs = Vec::new();
    {
        let (l, v) = (data_lock.clone(), value.clone());
        hs.push(thread::spawn(move || {
            let _g = l.lock().unwrap();
            let x = v.load(SeqCst);
            v.store(v.load(SeqCst) + 1, SeqCst);
            assert!(v.load(SeqCst) == x + 1, "wronglock: the increment was not alone");
        }));
    }
    for _ in 0..others {
        let (l, v) = (this_lock.clone(), value.clone());
        hs.push(thread::spawn(move || {
            let _g = l.lock().unwrap();
            v.store(v.load(SeqCst) + 1, SeqCst);
        }));
    }
    join_all(hs);
}

/// One checked incrementer and 7 others (SCTBench's defaults: 9 threads with main).
pub fn wronglock() {
    wrong_lock(7)
}
/// One checked incrementer and 3 others.
pub fn wronglock_3() {
    wrong_lock(3)
}
