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
    /// Peer addresses of open connections, learnt on demand (`fd_of_client`): fd -> address
    /// and address -> fd.
    pub(super) peers: RefCell<Peers>,
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
        self.conns.borrow_mut().insert(id, (fd, true));
        id
    }

    pub fn untrack(&self, id: u64) {
        if let Some((fd, _)) = self.conns.borrow_mut().remove(&id) {
            self.peers.borrow_mut().forget(fd);
        }
    }

    /// Forgets a connection by fd (after its task panicked and could not untrack itself).
    pub fn untrack_fd(&self, fd: RawFd) {
        self.conns.borrow_mut().retain(|_, (f, _)| *f != fd);
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
        for (fd, _) in self.conns.borrow().values() {
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
            c.1 = busy;
        }
    }

    /// Shuts every connection still open down (the drain is over): a write blocked on a client
    /// that stopped reading fails now instead of at its stall timeout, so every task ends.
    pub(super) fn close_all(&self) {
        for (fd, _) in self.conns.borrow().values() {
            // SAFETY: as in `close_idle`: the task still owns and closes the fd.
            unsafe { libc::shutdown(*fd, libc::SHUT_RDWR) };
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
    use super::peer_addr;

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
