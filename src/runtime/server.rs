//! `_native.serve(config)`: binds the listeners, starts one worker per core, prints the banner,
//! watches for signals from the main interpreter and drains everything on shutdown.

use crate::http::Limits;
use crate::py::interp::Kind;
use crate::runtime::core::REQUESTS;
use crate::runtime::memory::{self, HugePages};
use crate::runtime::worker::{self, DriverChoice, Report, WorkerConfig};
use socket2::{Domain, Protocol, Socket, Type};
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

pub struct ServeConfig {
    pub host: String,
    pub port: u16,
    /// One entry per worker: the core to pin it to (None = unpinned).
    pub cores: Vec<Option<usize>>,
    pub driver: DriverChoice,
    pub boot_json: String,
    pub keep_alive_timeout: Duration,
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    /// Per worker (core).
    pub max_connections: usize,
    pub shutdown_timeout: Duration,
    pub max_body: usize,
    pub max_headers: usize,
    /// `listen(2)`'s backlog for each listener this server binds (the kernel caps it at
    /// `net.core.somaxconn`); an inherited listener keeps its own.
    pub backlog: i32,
    pub banner_prefix: String,
    /// Which interpreter the workers run handlers in.
    pub interp: Kind,
    /// A listening socket to serve instead of binding our own: the one a process supervisor
    /// (`--isolation process`) shares with every worker process. It is never shut down here.
    pub listen_fd: Option<RawFd>,
    /// Where to report to a process supervisor instead of printing the banner: a line
    /// `ready <driver> <routes> <docs path or ->` once serving, and `recycle <requests>` once
    /// `max_requests` are answered.
    pub status_fd: Option<RawFd>,
    /// Requests after which to ask the supervisor for a replacement (0: never).
    pub max_requests: u64,
    /// `--huge-pages`: set for the whole process before the cores start (`memory::apply`).
    pub huge_pages: HugePages,
}

/// Writes one line to the supervisor's pipe; a supervisor gone is not our problem here (its
/// death signal ends this process).
fn report_line(fd: RawFd, line: &str) {
    let line = format!("{line}\n");
    let mut rest = line.as_bytes();
    while !rest.is_empty() {
        // SAFETY: `fd` is the pipe the supervisor gave us, open for the process's life; the
        // buffer is valid for `rest.len()` bytes.
        let n = unsafe { libc::write(fd, rest.as_ptr().cast(), rest.len()) };
        if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        if n <= 0 {
            return;
        }
        rest = &rest[n as usize..];
    }
}

/// One listener per worker on a socket somebody else bound and keeps open: each a `dup` of it,
/// so dropping ours closes only our descriptor.
fn shared_listeners(fd: RawFd, n: usize) -> Result<(Vec<std::net::TcpListener>, u16), ServeError> {
    let unknown = || SocketAddr::from(([0, 0, 0, 0], 0));
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        // SAFETY: dup of a descriptor the caller says is an open listening socket; the copy is
        // owned by the TcpListener from here on.
        let copy = unsafe { libc::dup(fd) };
        if copy < 0 {
            return Err(ServeError::Bind(unknown(), std::io::Error::last_os_error()));
        }
        // SAFETY: `copy` is a fresh descriptor nobody else owns.
        let l = unsafe { std::net::TcpListener::from_raw_fd(copy) };
        l.set_nonblocking(true)
            .map_err(|e| ServeError::Bind(unknown(), e))?;
        out.push(l);
    }
    let port = out
        .first()
        .and_then(|l| l.local_addr().ok())
        .map(|a| a.port())
        .unwrap_or(0);
    Ok((out, port))
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot resolve {0}: {1}")]
    Resolve(String, std::io::Error),
    #[error("port {port} on {host} is already in use (another server running?): {err}")]
    PortInUse {
        host: String,
        port: u16,
        err: std::io::Error,
    },
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    #[error("{0}")]
    Worker(String),
}

fn resolve(host: &str, port: u16) -> Result<SocketAddr, ServeError> {
    (host, port)
        .to_socket_addrs()
        .map_err(|e| ServeError::Resolve(host.to_owned(), e))?
        .next()
        .ok_or_else(|| ServeError::Resolve(host.to_owned(), std::io::Error::other("no address")))
}

fn socket_for(addr: SocketAddr) -> std::io::Result<Socket> {
    let s = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    s.set_reuse_address(true)?;
    Ok(s)
}

/// A failed bind, saying plainly when the port is taken (another server running?).
fn bind_error(host: &str, port: u16, addr: SocketAddr, err: std::io::Error) -> ServeError {
    if err.kind() == std::io::ErrorKind::AddrInUse {
        ServeError::PortInUse {
            host: host.to_owned(),
            port,
            err,
        }
    } else {
        ServeError::Bind(addr, err)
    }
}

/// Binds one `SO_REUSEPORT` listener per worker on the same port.
///
/// monoio's own listener sets SO_REUSEPORT, so a stale server would silently share the port
/// (DESIGN.md §2b). We first bind a probe *without* SO_REUSEPORT: it fails if anyone listens
/// there. Port 0 takes the port the probe got.
/// What the banner says of a worker that booted.
#[derive(Clone)]
struct Booted {
    driver: &'static str,
    routes: usize,
    docs: Option<String>,
}

pub fn bind_listeners(
    host: &str,
    port: u16,
    n: usize,
    backlog: i32,
) -> Result<(Vec<std::net::TcpListener>, u16), ServeError> {
    let addr = resolve(host, port)?;
    let probe = socket_for(addr).map_err(|e| ServeError::Bind(addr, e))?;
    probe
        .bind(&addr.into())
        .map_err(|err| bind_error(host, port, addr, err))?;
    let port = probe
        .local_addr()
        .ok()
        .and_then(|a| a.as_socket())
        .map(|a| a.port())
        .unwrap_or(port);
    drop(probe);
    let addr = SocketAddr::new(addr.ip(), port);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let s = socket_for(addr).map_err(|e| ServeError::Bind(addr, e))?;
        s.set_reuse_port(true)
            .map_err(|e| ServeError::Bind(addr, e))?;
        s.set_nonblocking(true)
            .map_err(|e| ServeError::Bind(addr, e))?;
        s.bind(&addr.into())
            .map_err(|err| bind_error(host, port, addr, err))?;
        s.listen(backlog).map_err(|e| ServeError::Bind(addr, e))?;
        out.push(s.into());
    }
    Ok((out, port))
}

/// Makes a listener complete no more handshakes while its accept queue stays intact: a
/// classic BPF filter that drops every packet (the kernel runs a listener's filter on each SYN
/// and on the ACK that would complete a handshake; connections already queued are sockets of
/// their own and unaffected). Closing a listener resets the connections still queued on it,
/// whose clients have often sent their request already and read a reset (issue 16 item 6), so
/// the drain stops new handshakes, accepts what is queued, and only then closes. A client
/// connecting meanwhile gets no SYN-ACK and resends its SYN about a second later, by when the
/// listener is closed (a refused connect) or, in a restart, a new server listens on the port.
pub(super) fn stop_handshakes(fd: std::os::fd::RawFd) -> std::io::Result<()> {
    // BPF_RET | BPF_K with k = 0: accept zero bytes of the packet, that is, drop it.
    let mut code = [libc::sock_filter {
        code: 0x06,
        jt: 0,
        jf: 0,
        k: 0,
    }];
    let prog = libc::sock_fprog {
        len: 1,
        filter: code.as_mut_ptr(),
    };
    // SAFETY: `fd` is an open socket owned by the caller; `prog` and the code it points to
    // are valid for the call (the kernel copies the program).
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ATTACH_FILTER,
            (&prog as *const libc::sock_fprog).cast(),
            std::mem::size_of::<libc::sock_fprog>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// What the main thread does while the workers serve: `Continue`, or stop.
pub enum Tick {
    Continue,
    Stop,
}

/// Runs the server. `tick` is called every 50 ms on the main thread (it checks Python's
/// signal handlers); it returns `Stop` to begin the graceful shutdown.
pub fn run(cfg: ServeConfig, mut tick: impl FnMut() -> Tick) -> Result<(), ServeError> {
    memory::apply(cfg.huge_pages);
    let n = cfg.cores.len();
    let (listeners, port) = match cfg.listen_fd {
        Some(fd) => shared_listeners(fd, n)?,
        None => bind_listeners(&cfg.host, cfg.port, n, cfg.backlog)?,
    };
    // The main thread's own handles on the listeners it owns, for the drain
    // (`stop_handshakes`): a worker closes its listener when it ends, and a raw fd number could
    // then name another socket by the time the drain begins; a duplicate keeps naming this one.
    // A socket shared with other worker processes (`--isolation process`) keeps listening for
    // them: it gets no filter, and this worker's pending accepts end by cancellation alone.
    let listener_dups: Vec<std::net::TcpListener> = if cfg.listen_fd.is_none() {
        listeners
            .iter()
            .map(|l| l.try_clone())
            .collect::<Result<_, _>>()
            .map_err(|e| ServeError::Worker(format!("cannot duplicate a listener: {e}")))?
    } else {
        Vec::new()
    };
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel::<Report>();
    let boot_json = Arc::new(cfg.boot_json.clone());
    let limits = Limits {
        max_body_bytes: cfg.max_body,
        max_headers: cfg.max_headers,
        ..Limits::default()
    };
    let mut handles = Vec::with_capacity(n);
    for (index, (listener, core)) in listeners
        .into_iter()
        .zip(cfg.cores.iter().copied())
        .enumerate()
    {
        let wc = WorkerConfig {
            index,
            core,
            driver: cfg.driver,
            boot_json: boot_json.clone(),
            limits,
            keep_alive_timeout: cfg.keep_alive_timeout,
            header_timeout: cfg.header_timeout,
            body_timeout: cfg.body_timeout,
            max_connections: cfg.max_connections,
            shutdown_timeout: cfg.shutdown_timeout,
            interp: cfg.interp,
        };
        let (stop, tx) = (stop.clone(), tx.clone());
        let h = std::thread::Builder::new()
            .name(format!("bolt-worker-{index}"))
            // Python code runs on this thread: CPython's recursion limits assume big stacks.
            .stack_size(8 << 20)
            .spawn(move || worker::run(wc, listener, stop, tx))
            .map_err(|e| ServeError::Worker(format!("cannot start worker thread: {e}")))?;
        handles.push(h);
    }
    drop(tx);

    let stop_all = |handles: Vec<std::thread::JoinHandle<()>>| {
        // No new handshakes first, on every core at once; then each worker accepts what its
        // listener still queues and closes it (worker.rs `serve`).
        for l in &listener_dups {
            if let Err(e) = stop_handshakes(l.as_raw_fd()) {
                eprintln!("django-bolt: drain: cannot stop new connections: {e}");
            }
        }
        stop.store(true, Ordering::SeqCst);
        for h in handles {
            let _ = h.join();
        }
        // The cores' last access lines, still in their buffers.
        crate::app::access::flush();
    };

    // Wait for every worker to boot (or the first failure), still answering signals.
    let mut ready: Vec<Option<Booted>> = vec![None; n];
    let mut failure: Option<String> = None;
    while ready.iter().any(Option::is_none) && failure.is_none() {
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(Report::Ready {
                index,
                driver,
                routes,
                docs,
                ..
            }) => {
                ready[index] = Some(Booted {
                    driver,
                    routes,
                    docs,
                })
            }
            Ok(Report::Failed { index, error }) => {
                failure = Some(format!("worker {index} failed to start: {error}"))
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Tick::Stop = tick() {
                    stop_all(handles);
                    return Ok(());
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                failure = Some("a worker exited during start-up".into());
            }
        }
    }
    if let Some(f) = failure {
        stop_all(handles);
        return Err(ServeError::Worker(f));
    }
    let drivers: Vec<&str> = ready.iter().flatten().map(|r| r.driver).collect();
    let Booted { routes, docs, .. } = ready[0].clone().expect("every worker is ready");
    if let Some(fd) = cfg.status_fd {
        let shown = docs.as_deref().unwrap_or("-");
        report_line(fd, &format!("ready {} {routes} {shown}", drivers.join(",")));
    }
    let docs = docs.map(|p| format!(" | docs {p}")).unwrap_or_default();
    let host_shown = if cfg.host.contains(':') {
        format!("[{}]", cfg.host)
    } else {
        cfg.host.clone()
    };
    if cfg.status_fd.is_none() {
        println!(
            "{} | workers {} | driver {} | routes {}{} | listening on http://{}:{}",
            cfg.banner_prefix,
            n,
            drivers.join(","),
            routes,
            docs,
            host_shown,
            port
        );
        use std::io::Write;
        let _ = std::io::stdout().flush();
    }

    let mut failure = None;
    let mut recycle_asked = false;
    loop {
        if cfg.max_requests > 0 && !recycle_asked {
            let served = REQUESTS.load(Ordering::Relaxed);
            if let (true, Some(fd)) = (served >= cfg.max_requests, cfg.status_fd) {
                // The supervisor starts a replacement, then stops us (the usual drain).
                report_line(fd, &format!("recycle {served}"));
                recycle_asked = true;
            }
        }
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(Report::Failed { index, error }) => {
                failure = Some(format!("worker {index} failed: {error}"));
                break;
            }
            Ok(Report::Ready { .. }) | Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {}
        }
        if handles.iter().any(|h| h.is_finished()) {
            failure = Some("a worker stopped unexpectedly".into());
            break;
        }
        if let Tick::Stop = tick() {
            break;
        }
    }
    stop_all(handles);
    match failure {
        Some(f) => Err(ServeError::Worker(f)),
        None => Ok(()),
    }
}
