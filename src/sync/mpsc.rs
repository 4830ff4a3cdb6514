//! Channels, shaped like `std::sync::mpsc`.
//!
//! On the real runtime these are std's channels (a receive or a full bounded send that
//! must block first lets the pool compensate for the blocked thread). Under the simulator
//! every send and receive is a scheduling point on the channel; a receive on an empty
//! channel blocks the task until a message arrives or every sender is gone; a send on a
//! full `sync_channel` blocks until there is room (a rendezvous channel, bound 0, until
//! the message is taken); `recv_timeout` may time out as a scheduling choice. A receive
//! that no task can ever serve is part of a `Deadlock` finding that names the channel.
//!
//! For the race analysis a channel synchronizes (each operation acquires and releases
//! it); a forked task sending on a channel it did not create is an impure write through
//! synchronization — a warning, unless purity is strict.
//!
//! ```
//! use forkwait::sync::mpsc::channel;
//! use forkwait::{fork, wait};
//!
//! let (tx, rx) = channel();
//! let workers: Vec<_> = (0..3)
//!     .map(|i| {
//!         let tx = tx.clone();
//!         fork(move || tx.send(i * i).unwrap())
//!     })
//!     .collect();
//! drop(tx);
//! workers.into_iter().for_each(wait);
//! let mut got: Vec<i32> = rx.iter().collect();
//! got.sort();
//! assert_eq!(got, vec![0, 1, 4]);
//! ```

use crate::backend::simulated;
use crate::sim::object::AccessKind;
use crate::sim::object::ObjCell;
use crate::sim::object::{self, ObjKind, Wakeable};
use crate::state_class::StateClass;
use std::fmt;
use std::panic::Location;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

pub use std::sync::mpsc::{RecvError, RecvTimeoutError, SendError, TryRecvError, TrySendError};

/// What both ends of a channel share: its identity, and for a simulated rendezvous
/// channel the count of messages sent and taken.
struct Chan {
    obj: ObjCell,
    /// A `sync_channel(0)` created under the simulator: backed by a one-slot std channel,
    /// a send then waits until its message is taken.
    rendezvous: bool,
    sent: AtomicU64,
    taken: AtomicU64,
}

impl Chan {
    fn new(site: &'static Location<'static>, rendezvous: bool) -> Arc<Chan> {
        Arc::new(Chan {
            obj: ObjCell::new(ObjKind::Channel, site, StateClass::Input),
            rendezvous,
            sent: AtomicU64::new(0),
            taken: AtomicU64::new(0),
        })
    }

    /// A scheduling point on the channel; returns its id.
    fn point(&self, kind: AccessKind, site: &'static Location<'static>) -> object::ObjId {
        self.obj.access_id(ObjKind::Channel, kind, site)
    }

    /// Wakes every task blocked on the channel (they re-check).
    fn wake(&self, site: &'static Location<'static>) {
        if simulated() {
            object::notify(self.obj.resolve(ObjKind::Channel, site), true);
        }
    }
}

/// The sending half of an unbounded [`channel`]; clone it for more senders.
///
/// ```
/// let (tx, rx) = forkwait::sync::mpsc::channel();
/// tx.send(1).unwrap();
/// assert_eq!(rx.recv(), Ok(1));
/// ```
pub struct Sender<T> {
    inner: std_mpsc::Sender<T>,
    chan: Arc<Chan>,
}

/// The sending half of a bounded [`sync_channel`]; a send blocks while it is full.
///
/// ```
/// let (tx, rx) = forkwait::sync::mpsc::sync_channel(1);
/// tx.send(1).unwrap();
/// assert!(tx.try_send(2).is_err()); // full
/// assert_eq!(rx.recv(), Ok(1));
/// ```
pub struct SyncSender<T> {
    inner: std_mpsc::SyncSender<T>,
    chan: Arc<Chan>,
}

/// The receiving half of a channel.
///
/// ```
/// let (tx, rx) = forkwait::sync::mpsc::channel::<u8>();
/// drop(tx);
/// assert!(rx.recv().is_err()); // every sender is gone
/// ```
pub struct Receiver<T> {
    inner: std_mpsc::Receiver<T>,
    chan: Arc<Chan>,
}

/// A new unbounded channel, as [`std::sync::mpsc::channel`].
///
/// ```
/// let (tx, rx) = forkwait::sync::mpsc::channel();
/// forkwait::wait(forkwait::fork(move || tx.send("hi").unwrap()));
/// assert_eq!(rx.recv(), Ok("hi"));
/// ```
#[inline]
#[track_caller]
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let (tx, rx) = std_mpsc::channel();
    let chan = Chan::new(Location::caller(), false);
    (
        Sender {
            inner: tx,
            chan: chan.clone(),
        },
        Receiver { inner: rx, chan },
    )
}

/// A new channel holding at most `bound` messages, as [`std::sync::mpsc::sync_channel`];
/// with `bound` 0 every send waits for its receive (a rendezvous).
///
/// ```
/// let (tx, rx) = forkwait::sync::mpsc::sync_channel(0);
/// let t = forkwait::fork(move || tx.send(5).unwrap());
/// assert_eq!(rx.recv(), Ok(5));
/// forkwait::wait(t);
/// ```
#[inline]
#[track_caller]
pub fn sync_channel<T>(bound: usize) -> (SyncSender<T>, Receiver<T>) {
    let rendezvous = bound == 0 && simulated();
    let (tx, rx) = std_mpsc::sync_channel(if rendezvous { 1 } else { bound });
    let chan = Chan::new(Location::caller(), rendezvous);
    (
        SyncSender {
            inner: tx,
            chan: chan.clone(),
        },
        Receiver { inner: rx, chan },
    )
}

impl<T> Sender<T> {
    /// Sends a message; never blocks.
    ///
    /// # Errors
    ///
    /// `SendError` with the message if the receiver is gone.
    ///
    /// ```
    /// let (tx, rx) = forkwait::sync::mpsc::channel();
    /// drop(rx);
    /// assert_eq!(tx.send(1).unwrap_err().0, 1);
    /// ```
    #[inline]
    #[track_caller]
    pub fn send(&self, t: T) -> Result<(), SendError<T>> {
        if simulated() {
            let site = Location::caller();
            self.chan.point(AccessKind::Send, site);
            let r = self.inner.send(t);
            self.chan.wake(site);
            r
        } else {
            self.inner.send(t)
        }
    }
}

impl<T> SyncSender<T> {
    /// Sends a message, blocking while the channel is full.
    ///
    /// # Errors
    ///
    /// `SendError` with the message if the receiver is gone.
    ///
    /// ```
    /// let (tx, rx) = forkwait::sync::mpsc::sync_channel(2);
    /// tx.send('a').unwrap();
    /// assert_eq!(rx.recv(), Ok('a'));
    /// ```
    #[inline]
    #[track_caller]
    pub fn send(&self, t: T) -> Result<(), SendError<T>> {
        let site = Location::caller();
        if !simulated() {
            return match self.inner.try_send(t) {
                Ok(()) => Ok(()),
                Err(TrySendError::Disconnected(t)) => Err(SendError(t)),
                Err(TrySendError::Full(t)) => crate::runtime::blocking(|| self.inner.send(t)),
            };
        }
        let mut t = t;
        let id = loop {
            let id = self.chan.point(AccessKind::Send, site);
            match self.inner.try_send(t) {
                Ok(()) => break id,
                Err(TrySendError::Disconnected(t)) => return Err(SendError(t)),
                Err(TrySendError::Full(back)) => {
                    t = back;
                    object::block_on(id, Wakeable::Notified);
                }
            }
        };
        self.chan.wake(site);
        if self.chan.rendezvous {
            // Wait until this message is taken (or the receiver is gone).
            let mine = self.chan.sent.fetch_add(1, Relaxed) + 1;
            // A dropped receiver sets `taken` to its maximum: nobody will take it.
            while self.chan.taken.load(Relaxed) < mine {
                object::block_on(id, Wakeable::Notified);
            }
        }
        Ok(())
    }

    /// Sends a message if there is room, without blocking.
    ///
    /// # Errors
    ///
    /// `TrySendError::Full` if the channel is full (for a rendezvous channel: if no
    /// receive is waiting), `Disconnected` if the receiver is gone.
    ///
    /// ```
    /// use std::sync::mpsc::TrySendError;
    /// let (tx, _rx) = forkwait::sync::mpsc::sync_channel(1);
    /// assert!(tx.try_send(1).is_ok());
    /// assert!(matches!(tx.try_send(2), Err(TrySendError::Full(2))));
    /// ```
    #[inline]
    #[track_caller]
    pub fn try_send(&self, t: T) -> Result<(), TrySendError<T>> {
        if !simulated() {
            return self.inner.try_send(t);
        }
        let site = Location::caller();
        let id = self.chan.point(AccessKind::Send, site);
        if self.chan.rendezvous {
            // Only a receiver already blocked in `recv` can take it at once.
            if !object::has_waiters(id) {
                return Err(TrySendError::Full(t));
            }
            self.chan.sent.fetch_add(1, Relaxed);
        }
        let r = self.inner.try_send(t);
        if r.is_ok() {
            self.chan.wake(site);
        }
        r
    }
}

impl<T> Receiver<T> {
    /// Receives a message, blocking while the channel is empty and a sender exists.
    ///
    /// # Errors
    ///
    /// `RecvError` once the channel is empty and every sender is gone.
    ///
    /// ```
    /// let (tx, rx) = forkwait::sync::mpsc::channel();
    /// let t = forkwait::fork(move || tx.send(3).unwrap());
    /// assert_eq!(rx.recv(), Ok(3));
    /// forkwait::wait(t);
    /// assert!(rx.recv().is_err());
    /// ```
    #[inline]
    #[track_caller]
    pub fn recv(&self) -> Result<T, RecvError> {
        if !simulated() {
            return match self.inner.try_recv() {
                Ok(t) => Ok(t),
                Err(TryRecvError::Disconnected) => Err(RecvError),
                Err(TryRecvError::Empty) => crate::runtime::blocking(|| self.inner.recv()),
            };
        }
        match self.sim_recv(Wakeable::Notified, Location::caller()) {
            Ok(t) => Ok(t),
            Err(_) => Err(RecvError),
        }
    }

    /// Receives a message if one is queued, without blocking.
    ///
    /// # Errors
    ///
    /// `Empty` if none is queued, `Disconnected` if none ever will be.
    ///
    /// ```
    /// use std::sync::mpsc::TryRecvError;
    /// let (tx, rx) = forkwait::sync::mpsc::channel::<u8>();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    /// ```
    #[inline]
    #[track_caller]
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        if !simulated() {
            return self.inner.try_recv();
        }
        let site = Location::caller();
        self.chan.point(AccessKind::Recv, site);
        let r = self.inner.try_recv();
        if r.is_ok() {
            self.took(site);
        }
        r
    }

    /// Receives a message, waiting at most `timeout`. Under the simulator the timeout is
    /// a scheduling choice: it may expire while other tasks run, and does when nothing
    /// else can run.
    ///
    /// # Errors
    ///
    /// `Timeout` if the time ran out, `Disconnected` if no message will ever come.
    ///
    /// ```
    /// use std::sync::mpsc::RecvTimeoutError;
    /// use std::time::Duration;
    /// let (_tx, rx) = forkwait::sync::mpsc::channel::<u8>();
    /// assert_eq!(rx.recv_timeout(Duration::from_millis(1)), Err(RecvTimeoutError::Timeout));
    /// ```
    #[inline]
    #[track_caller]
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        if !simulated() {
            return match self.inner.try_recv() {
                Ok(t) => Ok(t),
                Err(TryRecvError::Disconnected) => Err(RecvTimeoutError::Disconnected),
                Err(TryRecvError::Empty) => {
                    crate::runtime::blocking(|| self.inner.recv_timeout(timeout))
                }
            };
        }
        self.sim_recv(Wakeable::Timeout, Location::caller())
    }

    /// An iterator that receives until every sender is gone.
    ///
    /// ```
    /// let (tx, rx) = forkwait::sync::mpsc::channel();
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.iter().sum::<i32>(), 3);
    /// ```
    pub fn iter(&self) -> Iter<'_, T> {
        Iter { rx: self }
    }

    /// An iterator over the messages queued now (it never blocks).
    ///
    /// ```
    /// let (tx, rx) = forkwait::sync::mpsc::channel();
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_iter().collect::<Vec<_>>(), vec![1]);
    /// ```
    pub fn try_iter(&self) -> TryIter<'_, T> {
        TryIter { rx: self }
    }

    fn sim_recv(
        &self,
        how: Wakeable,
        site: &'static Location<'static>,
    ) -> Result<T, RecvTimeoutError> {
        loop {
            let id = self.chan.point(AccessKind::Recv, site);
            match self.inner.try_recv() {
                Ok(t) => {
                    self.took(site);
                    return Ok(t);
                }
                Err(TryRecvError::Disconnected) => return Err(RecvTimeoutError::Disconnected),
                Err(TryRecvError::Empty) => {
                    if !object::block_on(id, how) {
                        return Err(RecvTimeoutError::Timeout);
                    }
                }
            }
        }
    }

    /// A message was taken: wake blocked senders (room, or a rendezvous completed).
    fn took(&self, site: &'static Location<'static>) {
        self.chan.taken.fetch_add(1, Relaxed);
        self.chan.wake(site);
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Sender {
            inner: self.inner.clone(),
            chan: self.chan.clone(),
        }
    }
}

impl<T> Clone for SyncSender<T> {
    fn clone(&self) -> Self {
        SyncSender {
            inner: self.inner.clone(),
            chan: self.chan.clone(),
        }
    }
}

/// A dropped end may change what a blocked task waits for (disconnection): wake them.
/// Not a scheduling point.
fn wake_on_drop(chan: &Chan) {
    if simulated() {
        let site = Location::caller();
        object::notify(chan.obj.resolve(ObjKind::Channel, site), true);
    }
}

impl<T> Drop for Sender<T> {
    #[inline]
    fn drop(&mut self) {
        wake_on_drop(&self.chan);
    }
}

impl<T> Drop for SyncSender<T> {
    #[inline]
    fn drop(&mut self) {
        wake_on_drop(&self.chan);
    }
}

impl<T> Drop for Receiver<T> {
    #[inline]
    fn drop(&mut self) {
        self.chan.taken.store(u64::MAX, Relaxed);
        wake_on_drop(&self.chan);
    }
}

/// A blocking iterator over a [`Receiver`]'s messages ([`Receiver::iter`]).
///
/// ```
/// let (tx, rx) = forkwait::sync::mpsc::channel::<u8>();
/// drop(tx);
/// assert_eq!(rx.iter().count(), 0);
/// ```
pub struct Iter<'a, T> {
    rx: &'a Receiver<T>,
}

/// A non-blocking iterator over a [`Receiver`]'s queued messages ([`Receiver::try_iter`]).
///
/// ```
/// let (_tx, rx) = forkwait::sync::mpsc::channel::<u8>();
/// assert_eq!(rx.try_iter().count(), 0);
/// ```
pub struct TryIter<'a, T> {
    rx: &'a Receiver<T>,
}

/// An owning blocking iterator over a [`Receiver`]'s messages.
///
/// ```
/// let (tx, rx) = forkwait::sync::mpsc::channel();
/// tx.send(4).unwrap();
/// drop(tx);
/// assert_eq!(rx.into_iter().collect::<Vec<_>>(), vec![4]);
/// ```
pub struct IntoIter<T> {
    rx: Receiver<T>,
}

impl<T> Iterator for Iter<'_, T> {
    type Item = T;
    #[track_caller]
    fn next(&mut self) -> Option<T> {
        self.rx.recv().ok()
    }
}

impl<T> Iterator for TryIter<'_, T> {
    type Item = T;
    #[track_caller]
    fn next(&mut self) -> Option<T> {
        self.rx.try_recv().ok()
    }
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;
    #[track_caller]
    fn next(&mut self) -> Option<T> {
        self.rx.recv().ok()
    }
}

impl<'a, T> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T> IntoIterator for Receiver<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;
    fn into_iter(self) -> IntoIter<T> {
        IntoIter { rx: self }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for SyncSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncSender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}
