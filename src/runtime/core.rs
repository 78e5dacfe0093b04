//! What one core's connections share: its interpreter and application, the responses still
//! pending, the wire limits and timeouts, and the open connections (for the shutdown drain).
//! Single-threaded: it lives in an `Rc` on the core's reactor thread.

use crate::app::pending::Pending;
use crate::app::App;
use crate::http::{DateCache, Limits};
use crate::py::interp::SubInterpreter;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Core {
    pub interp: SubInterpreter,
    pub app: App,
    pub pending: Pending,
    pub limits: Limits,
    pub date: RefCell<DateCache>,
    pub keep_alive_timeout: Duration,
    pub header_timeout: Duration,
    /// The longest a request body may go without bringing a byte (then 408).
    pub body_timeout: Duration,
    /// Open connections this core serves at most; beyond it new ones get a 503 at accept.
    pub max_connections: usize,
    /// Connections refused at the cap since the last log line, and when that line was written
    /// (one line per interval, not one per connection: a flood must not flood the log).
    pub(super) refused: Cell<u64>,
    pub(super) refused_logged: Cell<Option<Instant>>,
    pub(super) stop: Arc<AtomicBool>,
    /// Open connections: fd, whether a request is in progress, and since when it is not (idle
    /// ones are closed at shutdown, busy ones finish first).
    pub(super) conns: RefCell<HashMap<u64, (RawFd, bool, Instant)>>,
    pub(super) next_conn: Cell<u64>,
    /// Set once the drain is over: the asyncio pump stops even with handlers still suspended.
    pub(super) drained: Cell<bool>,
    /// Set when the drain deadline passed: streams still sending end where they are.
    pub(super) abandoned: Cell<bool>,
}

impl Core {
    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    pub fn abandoned(&self) -> bool {
        self.abandoned.get()
    }

    pub fn track(&self, fd: RawFd) -> u64 {
        let id = self.next_conn.get() + 1;
        self.next_conn.set(id);
        self.conns
            .borrow_mut()
            .insert(id, (fd, true, Instant::now()));
        id
    }

    pub fn untrack(&self, id: u64) {
        self.conns.borrow_mut().remove(&id);
    }

    /// Forgets a connection by fd (after its task panicked and could not untrack itself).
    pub fn untrack_fd(&self, fd: RawFd) {
        self.conns.borrow_mut().retain(|_, (f, _, _)| *f != fd);
    }

    pub fn set_busy(&self, id: u64, busy: bool) {
        if let Some(c) = self.conns.borrow_mut().get_mut(&id) {
            if c.1 && !busy {
                c.2 = Instant::now();
            }
            c.1 = busy;
        }
    }

    /// Shuts every connection still open down (the drain is over): a write blocked on a client
    /// that stopped reading fails now instead of at its stall timeout, so every task ends.
    pub(super) fn close_all(&self) {
        for (fd, _, _) in self.conns.borrow().values() {
            // SAFETY: as in `close_idle`: the task still owns and closes the fd.
            unsafe { libc::shutdown(*fd, libc::SHUT_RDWR) };
        }
    }

    /// Ends the connections that are between requests. Only their read side is shut down: the
    /// pending read returns 0 and the task closes the connection itself, gracefully. A
    /// connection whose next request has already arrived (read or still queued in the socket)
    /// is left alone: it is answered, with `Connection: close`, never read and dropped.
    ///
    /// Only connections idle for a moment: a client in the middle of a series of requests
    /// sends its next one within it and is told `Connection: close` in the answer, instead of
    /// racing our close with it (which a client can only survive by retrying).
    pub(super) fn close_idle(&self) {
        const QUIET: Duration = Duration::from_millis(100);
        for (fd, busy, since) in self.conns.borrow().values() {
            if !busy && since.elapsed() >= QUIET && !peer_has_data(*fd) {
                // SAFETY: the fd belongs to a live connection task; shutdown only makes its
                // pending read return 0 so the task ends and closes it itself.
                unsafe { libc::shutdown(*fd, libc::SHUT_RD) };
            }
        }
    }

    /// Counts a connection refused at `max_connections` and logs the refusals at most once
    /// per interval (the first one at once).
    pub(super) fn note_refused(&self, index: usize) {
        const INTERVAL: Duration = Duration::from_secs(10);
        self.refused.set(self.refused.get() + 1);
        let now = Instant::now();
        if self
            .refused_logged
            .get()
            .is_none_or(|t| now.duration_since(t) >= INTERVAL)
        {
            eprintln!(
                "django-bolt: worker {index} is at --max-connections ({}): refused {} \
                 connection(s) with 503 since the last report",
                self.max_connections,
                self.refused.get()
            );
            self.refused.set(0);
            self.refused_logged.set(Some(now));
        }
    }
}

/// Whether the client has sent bytes not read yet (a request on its way while we meant to
/// close). Never blocks.
pub(super) fn peer_has_data(fd: std::os::fd::RawFd) -> bool {
    let mut b = 0u8;
    // SAFETY: `fd` is a live socket owned by the caller's connection; MSG_PEEK leaves the byte
    // queued and MSG_DONTWAIT returns at once; the one-byte buffer is valid for the call.
    let n = unsafe {
        libc::recv(
            fd,
            (&mut b as *mut u8).cast(),
            1,
            libc::MSG_PEEK | libc::MSG_DONTWAIT,
        )
    };
    n > 0
}
