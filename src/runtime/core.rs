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
use std::time::Duration;

pub struct Core {
    pub interp: SubInterpreter,
    pub app: App,
    pub pending: Pending,
    pub limits: Limits,
    pub date: RefCell<DateCache>,
    pub keep_alive_timeout: Duration,
    pub header_timeout: Duration,
    pub(super) stop: Arc<AtomicBool>,
    /// Open connections: fd and whether a request is in progress (idle ones are closed at
    /// shutdown, busy ones finish first).
    pub(super) conns: RefCell<HashMap<u64, (RawFd, bool)>>,
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
        self.conns.borrow_mut().insert(id, (fd, true));
        id
    }

    pub fn untrack(&self, id: u64) {
        self.conns.borrow_mut().remove(&id);
    }

    /// Forgets a connection by fd (after its task panicked and could not untrack itself).
    pub fn untrack_fd(&self, fd: RawFd) {
        self.conns.borrow_mut().retain(|_, (f, _)| *f != fd);
    }

    pub fn set_busy(&self, id: u64, busy: bool) {
        if let Some(c) = self.conns.borrow_mut().get_mut(&id) {
            c.1 = busy;
        }
    }

    pub(super) fn close_idle(&self) {
        for (fd, busy) in self.conns.borrow().values() {
            if !busy {
                // SAFETY: the fd belongs to a live connection task; shutdown only makes its
                // pending read return 0 so the task ends and closes it itself.
                unsafe { libc::shutdown(*fd, libc::SHUT_RDWR) };
            }
        }
    }

    /// Shuts down every connection still open, busy or not (past the drain's deadline).
    pub(super) fn close_all(&self) {
        for (fd, _) in self.conns.borrow().values() {
            // SAFETY: as in `close_idle`.
            unsafe { libc::shutdown(*fd, libc::SHUT_RDWR) };
        }
    }
}
