//! What one core's connections share: its interpreter and application, the responses still
//! pending, the wire limits and timeouts, and the open connections (for the shutdown drain).
//! Single-threaded: it lives in an `Rc` on the core's reactor thread.

use super::held::Holds;
use crate::app::pending::Pending;
use crate::app::App;
use crate::http::{DateCache, Limits};
use crate::py::interp::Interpreter;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::os::fd::RawFd;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Requests this process has answered (every core's), for `--max-requests`: a plain count, read
/// by the main thread.
pub static REQUESTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How much longer than an idle keep-alive connection a new, silent one is kept at a drain.
const FRESH_GRACE: Duration = Duration::from_millis(900);

pub struct Core {
    pub interp: Interpreter,
    pub app: App,
    pub pending: Pending,
    /// Requests held for a remote key set's refresh.
    pub holds: Rc<Holds>,
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
    pub(super) conns: RefCell<Conns>,
    pub(super) next_conn: Cell<u64>,
    /// Connections that gave their buffers back on going idle (conn.rs `read_idle`), counted
    /// so that `give_back` returns the freed pages to the system after a wave of them.
    pub(super) idled: Cell<u64>,
    /// Set once the drain is over: the asyncio pump stops even with handlers still suspended.
    pub(super) drained: Cell<bool>,
    /// Set when the drain deadline passed: streams still sending end where they are.
    pub(super) abandoned: Cell<bool>,
    /// Peer addresses of open connections, learnt on demand (`fd_of_client`): fd -> address
    /// and address -> fd.
    pub(super) peers: RefCell<Peers>,
}

/// Open connections by id: fd, busy, since when not busy.
pub(super) type Conns = HashMap<u64, (RawFd, bool, Instant), BuildHasherDefault<IdHasher>>;

/// Hashes a connection id with one multiplication (Fibonacci hashing: spreads a counter over the
/// high bits the table's control bytes use). Ids are a core's own counter, never chosen by a
/// client, so there is no collision flooding to defend against; they are looked up two or three
/// times per request (`set_busy`), where SipHash was work per request for nothing.
#[derive(Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used for `u64` keys; anything else still hashes deterministically.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

#[derive(Default)]
pub struct Peers {
    by_fd: HashMap<RawFd, String>,
    by_addr: HashMap<String, RawFd>,
}

impl Peers {
    fn forget(&mut self, fd: RawFd) {
        if let Some(addr) = self.by_fd.remove(&fd) {
            self.by_addr.remove(&addr);
        }
    }
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
        if let Some((fd, _, _)) = self.conns.borrow_mut().remove(&id) {
            self.peers.borrow_mut().forget(fd);
        }
    }

    /// Forgets a connection by fd (after its task panicked and could not untrack itself).
    pub fn untrack_fd(&self, fd: RawFd) {
        self.conns.borrow_mut().retain(|_, (f, _, _)| *f != fd);
        self.peers.borrow_mut().forget(fd);
    }

    /// The socket of the open connection whose peer is `client` (as `SocketAddr` displays it).
    /// Peer addresses are asked of the kernel only for connections not seen before, so this
    /// costs one `getpeername` per connection that ever makes a blocking-pool call.
    pub fn fd_of_client(&self, client: &str) -> Option<RawFd> {
        let mut peers = self.peers.borrow_mut();
        if let Some(fd) = peers.by_addr.get(client) {
            return Some(*fd);
        }
        let mut found = None;
        for (fd, _, _) in self.conns.borrow().values() {
            if peers.by_fd.contains_key(fd) {
                continue;
            }
            let Some(addr) = peer_addr(*fd) else { continue };
            if addr == client {
                found = Some(*fd);
            }
            peers.by_addr.insert(addr.clone(), *fd);
            peers.by_fd.insert(*fd, addr);
        }
        found
    }

    pub fn set_busy(&self, id: u64, busy: bool) {
        if let Some(c) = self.conns.borrow_mut().get_mut(&id) {
            if c.1 && !busy {
                c.2 = Instant::now();
            }
            c.1 = busy;
        }
    }

    /// A new connection that has not sent a byte yet counts as idle only from `FRESH_GRACE`
    /// on: its client has just connected and is about to send its request (a client thread
    /// descheduled for 100 ms on a busy box is not idle). Without it, a worker that starts to
    /// drain (a recycled `--isolation process` worker, every few thousand requests) closes
    /// connections it accepted a moment earlier, and their clients see EOF before any answer.
    pub fn fresh_and_waiting(&self, id: u64) {
        if let Some(c) = self.conns.borrow_mut().get_mut(&id) {
            c.2 = Instant::now() + FRESH_GRACE;
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

/// The peer address of socket `fd`, formatted as `SocketAddr` does (`1.2.3.4:5`, `[::1]:5`).
fn peer_addr(fd: RawFd) -> Option<String> {
    // SAFETY: zeroed sockaddr_storage is a valid out-buffer of the given length; getpeername
    // only writes into it.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: `fd` is a live connection's socket (tracked in `conns`); the buffer is as above.
    let rc = unsafe { libc::getpeername(fd, &mut ss as *mut _ as *mut libc::sockaddr, &mut len) };
    if rc != 0 {
        return None;
    }
    let addr: std::net::SocketAddr = match ss.ss_family as i32 {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in.
            let a = unsafe { &*(&ss as *const _ as *const libc::sockaddr_in) };
            let ip = std::net::Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr));
            (ip, u16::from_be(a.sin_port)).into()
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a sockaddr_in6.
            let a = unsafe { &*(&ss as *const _ as *const libc::sockaddr_in6) };
            let ip = std::net::Ipv6Addr::from(a.sin6_addr.s6_addr);
            std::net::SocketAddrV6::new(
                ip,
                u16::from_be(a.sin6_port),
                a.sin6_flowinfo,
                a.sin6_scope_id,
            )
            .into()
        }
        _ => return None,
    };
    Some(addr.to_string())
}

#[cfg(test)]
mod tests {
    use super::{peer_addr, IdHasher};
    use std::hash::{BuildHasherDefault, Hasher};

    #[test]
    fn connection_ids_hash_apart_and_look_up() {
        let mut a = IdHasher::default();
        a.write_u64(1);
        let mut b = IdHasher::default();
        b.write_u64(2);
        // Consecutive ids differ in the top 7 bits (hashbrown's control byte) too.
        assert_ne!(a.finish() >> 57, b.finish() >> 57);
        let mut m: std::collections::HashMap<u64, u64, BuildHasherDefault<IdHasher>> =
            Default::default();
        for i in 0..10_000 {
            m.insert(i, i * 2);
        }
        assert!((0..10_000).all(|i| m.get(&i) == Some(&(i * 2))));
        assert!(m.remove(&5).is_some() && !m.contains_key(&5));
    }

    #[test]
    fn peer_addr_is_what_accept_reports() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let c = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (s, addr) = l.accept().unwrap();
        use std::os::fd::AsRawFd;
        assert_eq!(peer_addr(s.as_raw_fd()), Some(addr.to_string()));
        assert_eq!(
            peer_addr(c.as_raw_fd()),
            Some(l.local_addr().unwrap().to_string())
        );
        assert_eq!(peer_addr(-1), None);
    }
}
