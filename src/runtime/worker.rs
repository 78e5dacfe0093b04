//! One worker per core: a pinned thread owning a monoio reactor, a listener (its own
//! `SO_REUSEPORT` one, or the socket a process supervisor shares with every worker process) and
//! an interpreter holding Django and the app: its own own-GIL sub-interpreter, or the process's
//! main interpreter under `--isolation process`.

use super::conn::{refuse_at_cap, serve_conn_guarded};
use super::core::Core;
use crate::app::pending::Pending;
use crate::app::App;
use crate::http::{DateCache, Limits};
use crate::py::interp::{Interpreter, Kind};
use monoio::io::Canceller;
use monoio::net::TcpListener;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DriverChoice {
    Auto,
    Uring,
    Epoll,
}

#[derive(Clone)]
pub struct WorkerConfig {
    pub index: usize,
    pub core: Option<usize>,
    pub driver: DriverChoice,
    pub boot_json: Arc<String>,
    pub limits: Limits,
    pub keep_alive_timeout: Duration,
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub max_connections: usize,
    pub shutdown_timeout: Duration,
    /// Which interpreter the handlers run in.
    pub interp: Kind,
}

/// What a worker tells the main thread once it is ready (or why it is not).
pub enum Report {
    Ready {
        index: usize,
        driver: &'static str,
        routes: usize,
        /// Where the API docs are served (None: docs off).
        docs: Option<String>,
        interp_id: i64,
    },
    Failed {
        index: usize,
        error: String,
    },
}

/// Why a worker could not get its reactor.
#[derive(Debug, thiserror::Error)]
pub enum ReactorError {
    #[error("io_uring unavailable: {0} (use --driver epoll or auto)")]
    UringUnavailable(std::io::Error),
    #[error("epoll runtime: {0}")]
    Epoll(std::io::Error),
}

/// Runs one worker on the current thread until `stop`. Never returns an error: failures are
/// reported through `report` so the main thread can print them and exit 1.
pub fn run(
    cfg: WorkerConfig,
    listener: std::net::TcpListener,
    stop: Arc<AtomicBool>,
    report: Sender<Report>,
) {
    if let Some(core) = cfg.core {
        if !core_affinity::set_for_current(core_affinity::CoreId { id: core }) {
            eprintln!(
                "django-bolt: worker {} could not pin itself to core {core}",
                cfg.index
            );
        }
    }
    let interp = match Interpreter::create(cfg.interp) {
        Ok(i) => i,
        Err(e) => {
            let _ = report.send(Report::Failed {
                index: cfg.index,
                error: e.to_string(),
            });
            return;
        }
    };
    let app = match App::boot(&cfg.boot_json) {
        Ok(a) => a,
        Err(e) => {
            let _ = report.send(Report::Failed {
                index: cfg.index,
                error: e.to_string(),
            });
            interp.end();
            return;
        }
    };
    let interp_id = crate::py::interp_id();
    let routes = app.project_routes;
    let docs = app.docs_path.clone();
    interp.detach();
    let worker = Rc::new(Core {
        interp,
        app,
        pending: Pending::default(),
        holds: Default::default(),
        limits: cfg.limits,
        date: RefCell::new(DateCache::new()),
        keep_alive_timeout: cfg.keep_alive_timeout,
        header_timeout: cfg.header_timeout,
        body_timeout: cfg.body_timeout,
        max_connections: cfg.max_connections,
        refused: Cell::new(0),
        refused_logged: Cell::new(None),
        stop,
        conns: RefCell::default(),
        next_conn: Cell::new(0),
        idled: Cell::new(0),
        drained: Cell::new(false),
        abandoned: Cell::new(false),
        peers: RefCell::default(),
    });
    {
        // A weak reference: the App lives inside the Core it would otherwise keep alive.
        let core = Rc::downgrade(&worker);
        worker.app.set_client_fd(Box::new(move |client| {
            core.upgrade().and_then(|c| c.fd_of_client(client))
        }));
    }
    let ready = |driver: &'static str| {
        let _ = report.send(Report::Ready {
            index: cfg.index,
            driver,
            routes,
            docs: docs.clone(),
            interp_id,
        });
    };
    let shutdown_timeout = cfg.shutdown_timeout;
    let index = cfg.index;
    // `w` must be gone by the `try_unwrap` below on every path, the failing ones too.
    let w = worker.clone();
    let served = match cfg.driver {
        DriverChoice::Epoll => run_epoll(w, listener, index, shutdown_timeout, ready),
        DriverChoice::Uring | DriverChoice::Auto => match build_uring() {
            Ok(rt) => {
                let mut rt = rt;
                ready("io_uring");
                rt.block_on(serve(w, listener, index, shutdown_timeout));
                Ok(())
            }
            Err(e) if cfg.driver == DriverChoice::Auto => {
                eprintln!(
                    "django-bolt: io_uring unavailable ({e}); worker {} uses epoll",
                    cfg.index
                );
                run_epoll(w, listener, index, shutdown_timeout, ready)
            }
            Err(e) => {
                drop(w);
                Err(ReactorError::UringUnavailable(e))
            }
        },
    };
    if let Err(e) = served {
        let _ = report.send(Report::Failed {
            index: cfg.index,
            error: e.to_string(),
        });
    }
    finish(worker, cfg.index, shutdown_timeout);
}

/// What `check` found: the project loaded in a worker's interpreter.
#[derive(Debug)]
pub struct CheckReport {
    /// The project's own routes (not the docs').
    pub routes: usize,
    /// Where the API docs would be served (None: docs off).
    pub docs: Option<String>,
}

/// `bolt check`: boots the project exactly as a worker does (its own-GIL sub-interpreter on a
/// fresh thread, `App::boot`), then ends it, with no reactor and no socket. Err: the message a
/// worker would have reported.
///
/// Must be called with no Python thread state on the calling thread (the main GIL released):
/// creating the interpreter takes the main GIL briefly, as a worker's does.
pub fn check(boot_json: &str) -> Result<CheckReport, String> {
    let boot_json = boot_json.to_owned();
    let handle = std::thread::Builder::new()
        .name("bolt-check".into())
        .spawn(move || -> Result<CheckReport, String> {
            let interp = Interpreter::create(Kind::Sub).map_err(|e| e.to_string())?;
            let app = match App::boot(&boot_json) {
                Ok(a) => a,
                Err(e) => {
                    interp.end();
                    return Err(e.to_string());
                }
            };
            let report = CheckReport {
                routes: app.project_routes,
                docs: app.docs_path.clone(),
            };
            // No handler ran, so the pool is idle and the interpreter can always be ended; if
            // the project left a thread running anyway, leave it to the process exit.
            let ended = app.shutdown(POOL_GRACE).unwrap_or(true);
            if ended {
                drop(app);
                interp.end();
            } else {
                std::mem::forget(app);
                interp.detach();
            }
            Ok(report)
        })
        .map_err(|e| format!("cannot start the check thread: {e}"))?;
    handle
        .join()
        .unwrap_or_else(|_| Err("the check thread panicked".into()))
}

/// Ends the core's Python side after its runtime has stopped, and its interpreter when that is
/// safe. Never panics: a core that cannot be ended cleanly is left to the process exit.
fn finish(worker: Rc<Core>, index: usize, shutdown_timeout: Duration) {
    // The pool's threads get a short grace after the drain; a handler still running then is
    // abandoned, so the exit stays within --shutdown-timeout plus about this much.
    let grace = POOL_GRACE.min(shutdown_timeout);
    let worker = match Rc::try_unwrap(worker) {
        Ok(w) => w,
        Err(shared) => {
            // A task outlived the runtime (monoio leaves unfinished tasks behind); it still
            // holds Python objects, so the interpreter cannot be ended under it. Its Python
            // side is closed and the rest is left to the process exit.
            eprintln!(
                "django-bolt: worker {index}: a connection task outlived the drain; its interpreter \
                 is left to the process exit"
            );
            let _py = shared.interp.attached();
            if let Err(e) = shared.app.shutdown(grace) {
                eprintln!("django-bolt: worker {index} shutdown: {e}");
            }
            drop(_py);
            std::mem::forget(shared);
            ABANDONED.store(true, std::sync::atomic::Ordering::Relaxed);
            return;
        }
    };
    worker.interp.attach();
    let ended = match worker.app.shutdown(grace) {
        Ok(ended) => ended,
        Err(e) => {
            eprintln!("django-bolt: worker {index} shutdown: {e}");
            true
        }
    };
    let Core { interp, app, .. } = worker;
    if !ended {
        // A pool thread is still inside a handler: ending the interpreter would be fatal
        // ("not the last thread"), and its objects must not be freed under it. Leave both to
        // the process exit, detached so the main thread can go on.
        std::mem::forget(app);
        // The interpreter itself is not ended: dropping the handle only forgets it.
        interp.detach();
        ABANDONED.store(true, std::sync::atomic::Ordering::Relaxed);
        return;
    }
    drop(app);
    interp.end();
}

/// How long the pool's threads may take to end once the drain is over.
const POOL_GRACE: Duration = Duration::from_millis(500);

/// Set when some core's interpreter was left running a handler at shutdown: the process must
/// then exit without finalizing Python (which would end that interpreter under the thread).
pub static ABANDONED: AtomicBool = AtomicBool::new(false);

fn run_epoll(
    w: Rc<Core>,
    listener: std::net::TcpListener,
    index: usize,
    shutdown_timeout: Duration,
    ready: impl FnOnce(&'static str),
) -> Result<(), ReactorError> {
    let mut rt = monoio::RuntimeBuilder::<monoio::LegacyDriver>::new()
        .enable_timer()
        .with_entries(1024)
        // File bodies: epoll cannot wait on regular files, so their reads run here
        // (`file_body.rs`).
        .attach_thread_pool(Box::new(monoio::blocking::DefaultThreadPool::new(
            super::file_body::READ_THREADS,
        )))
        .build()
        .map_err(ReactorError::Epoll)?;
    ready("epoll");
    rt.block_on(serve(w, listener, index, shutdown_timeout));
    Ok(())
}

/// io_uring with COOP_TASKRUN + SINGLE_ISSUER (25-35% faster than the default setup here,
/// io-uring.md), then without flags, before giving up.
fn build_uring() -> std::io::Result<monoio::Runtime<monoio::time::TimeDriver<monoio::IoUringDriver>>>
{
    let mut flagged = io_uring::IoUring::builder();
    flagged.setup_coop_taskrun().setup_single_issuer();
    let first = monoio::RuntimeBuilder::<monoio::IoUringDriver>::new()
        .enable_timer()
        .with_entries(1024)
        .uring_builder(flagged)
        .build();
    match first {
        Ok(rt) => Ok(rt),
        Err(_) => monoio::RuntimeBuilder::<monoio::IoUringDriver>::new()
            .enable_timer()
            .with_entries(1024)
            .build(),
    }
}

async fn serve(
    w: Rc<Core>,
    listener: std::net::TcpListener,
    index: usize,
    shutdown_timeout: Duration,
) {
    let listener = match TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("django-bolt: listener: {e}");
            return;
        }
    };
    let pump_task = monoio::spawn(pump(w.clone()));
    monoio::spawn(give_back(Rc::downgrade(&w)));
    let canceller = Canceller::new();
    let accepting = canceller.handle();
    monoio::spawn(watch_stop(w.stop.clone(), canceller));
    loop {
        match listener.cancelable_accept(accepting.clone()).await {
            Ok((stream, addr)) => {
                if w.conns.borrow().len() >= w.max_connections {
                    // At the cap: a clear answer at once, without reading the request and
                    // without a task or a timer for it (a flood costs no more than accepts).
                    refuse_at_cap(&w, stream);
                    w.note_refused(index);
                    continue;
                }
                // Accepted just as the drain began: served (with `Connection: close`), not
                // dropped, so its request is not lost.
                let stopping = w.stopping();
                monoio::spawn(serve_conn_guarded(w.clone(), stream, addr.to_string()));
                if stopping {
                    break;
                }
            }
            Err(e) => {
                if w.stopping() {
                    break;
                }
                // EMFILE and friends: back off instead of spinning.
                eprintln!("django-bolt: accept: {e}");
                monoio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    // The main thread stopped new handshakes before the stop flag (`stop_handshakes`): what
    // is still queued is accepted and served (`Connection: close`) rather than reset by the
    // close.
    accept_queued(&w, &listener, index);
    drop(listener);
    {
        // Calls queued for the pool and not started are dropped now (503), not run into the
        // drain's deadline.
        let _py = w.interp.attached();
        w.app.drain_pool();
    }
    // Drain: idle connections close now; busy ones finish their response (bounded). Open
    // WebSockets are closed with 1001 and wait for the client's close; their handlers are told
    // and run to their end (their `finally` included).
    let deadline = Instant::now() + shutdown_timeout;
    {
        let _py = w.interp.attached();
        w.app.ws_going_away(&w.pending);
    }
    // A connection accepted just now is spawned but not yet tracked (its task tracks itself
    // when it first runs): let it run first, or the drain sees no connection, ends at once, and
    // the task outlives the runtime with its client left without an answer (seen at every few
    // recycles of an `--isolation process` worker under epoll).
    monoio::time::sleep(Duration::from_millis(10)).await;
    loop {
        w.close_idle();
        w.pending.nudge();
        let done = w.conns.borrow().is_empty() && w.app.ws_live() == 0;
        if done || Instant::now() >= deadline {
            break;
        }
        monoio::time::sleep(Duration::from_millis(10)).await;
    }
    // Handlers still suspended past the deadline get a 503; their connections write it and end.
    w.abandoned.set(true);
    w.pending.abandon();
    w.holds.release();
    let grace = Instant::now() + Duration::from_millis(200);
    while !w.conns.borrow().is_empty() && Instant::now() < grace {
        monoio::time::sleep(Duration::from_millis(10)).await;
    }
    // What is left is stuck writing to a client that does not read (a stream to a stalled
    // reader) or is a WebSocket whose client never answered the close: its socket is shut
    // down, so its task ends here and none outlives the runtime.
    w.close_all();
    let last = Instant::now() + Duration::from_secs(1);
    while !w.conns.borrow().is_empty() && Instant::now() < last {
        monoio::time::sleep(Duration::from_millis(10)).await;
    }
    // The pump must end inside the runtime: a task parked on a reactor operation at runtime
    // drop would keep the worker shared.
    w.drained.set(true);
    w.pending.nudge();
    pump_task.await;
}

/// Ends the pending accept once the drain begins (the stop flag is set on another thread,
/// which cannot wake this reactor; checking it this often costs nothing measurable).
async fn watch_stop(stop: Arc<AtomicBool>, canceller: Canceller) {
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        monoio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = canceller.cancel();
}

/// Accepts every connection still queued on the (non-blocking) listener, without waiting, and
/// serves each like any other (the drain answers its request with `Connection: close`).
fn accept_queued(w: &Rc<Core>, listener: &TcpListener, index: usize) {
    use std::os::fd::{AsRawFd, FromRawFd};
    loop {
        // SAFETY: the listener's fd is open for this call; null address pointers are allowed
        // (the peer is asked of the socket below); SOCK_NONBLOCK keeps the new socket usable
        // by either driver.
        let fd = unsafe {
            libc::accept4(
                listener.as_raw_fd(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            )
        };
        if fd < 0 {
            // EAGAIN: the queue is empty. Anything else: nothing more can be accepted either.
            return;
        }
        // SAFETY: `fd` is a fresh connected socket that nothing else owns.
        let std_stream = unsafe { std::net::TcpStream::from_raw_fd(fd) };
        let peer = std_stream
            .peer_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        let Ok(stream) = monoio::net::TcpStream::from_std(std_stream) else {
            continue;
        };
        if w.conns.borrow().len() >= w.max_connections {
            refuse_at_cap(w, stream);
            w.note_refused(index);
            continue;
        }
        monoio::spawn(serve_conn_guarded(w.clone(), stream, peer));
    }
}

/// Gives memory freed by closed connections back to the system. mimalloc returns a thread's
/// free pages only from inside later allocations, so a core that goes quiet after a burst
/// (5,000 connections opened and closed) kept all of it: 124 MiB, for as long as it stayed quiet
/// (loadtests/conn_memory.py). Checked once a second; collects when the core's connections fell
/// by a good share since their peak, or to none, or when many went idle (and freed their
/// buffers) since the last look.
/// Holds the core weakly: a task still asleep here when the runtime ends must not keep the
/// core shared.
async fn give_back(core: std::rc::Weak<Core>) {
    const MIN_DROP: usize = 64;
    let mut peak = 0usize;
    let mut opened = None;
    let mut idled_seen = 0u64;
    loop {
        monoio::time::sleep(Duration::from_secs(1)).await;
        let Some(w) = core.upgrade() else { return };
        if w.drained.get() {
            return;
        }
        let now = w.conns.borrow().len();
        peak = peak.max(now);
        let fell = peak - now >= MIN_DROP && now <= peak / 2;
        // Many connections went idle and freed their buffers (a burst of clients that now
        // think): their pages are as unused as a closed connection's.
        let idled = w.idled.get() - idled_seen >= MIN_DROP as u64;
        idled_seen = w.idled.get();
        // Quiet now, and some connection came and went since the last look.
        let emptied = now == 0 && opened.is_some_and(|o| o != w.next_conn.get());
        if fell || emptied || idled {
            collect_freed();
            peak = now;
        }
        opened = Some(w.next_conn.get());
    }
}

#[cfg(not(fuzzing))]
fn collect_freed() {
    // SAFETY: mi_collect takes no pointers; it frees this thread's unused pages.
    unsafe { libmimalloc_sys::mi_collect(true) };
}

#[cfg(fuzzing)]
fn collect_freed() {}

/// Turns this interpreter's asyncio loop while any handler is suspended on it. Between turns it
/// sleeps until the loop has something to do: its epoll fd turns readable (a thread finished
/// work for a handler through `call_soon_threadsafe`, or a socket the loop watches is ready),
/// its next timer is due, or another handler suspends.
///
/// Requests come first: while the loop has more work ready (a slice of a burst of stream
/// events), the next slice runs only after the reactor has gone round its driver once (the
/// sends that the connections queued are submitted, the requests that arrived meanwhile are
/// read) and after the connections that woke up then have run (`Doorbell`). A burst is cut into
/// slices of at most one per reactor round, with every waiting request served between two, and
/// the streams still get every slice in turn.
async fn pump(w: Rc<Core>) {
    let loop_fd = match LoopFd::watch(w.app.loop_fd) {
        Ok(fd) => Some(Rc::new(fd)),
        Err(e) => {
            eprintln!("django-bolt: cannot watch the asyncio loop ({e}); polling it every ms");
            None
        }
    };
    let bell = match Doorbell::new() {
        Ok(b) => Some(b),
        Err(e) => {
            eprintln!("django-bolt: no eventfd for the asyncio pump ({e}); it yields in turn");
            None
        }
    };
    let mut readable: Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>> = None;
    loop {
        if w.drained.get() {
            return;
        }
        if w.pending.waiting() == 0 {
            w.pending.kicked().await;
            continue;
        }
        w.pending.clear_kick();
        let hint = {
            let _py = w.interp.attached();
            w.app.pump(&w.pending)
        };
        if hint == 0.0 {
            // Callbacks are ready: let the connections run (and their I/O go through the
            // driver), then turn again.
            match &bell {
                Some(bell) => {
                    bell.after_io().await;
                    // Behind the connections the driver just woke (they were queued first).
                    YieldNow(false).await;
                }
                None => YieldNow(false).await,
            }
            continue;
        }
        let Some(fd) = &loop_fd else {
            monoio::time::sleep(Duration::from_millis(1)).await;
            continue;
        };
        // The readiness wait outlives one turn: re-arming it every turn would cost a syscall.
        let ready = readable.get_or_insert_with(|| {
            let fd = fd.clone();
            Box::pin(async move {
                let _ = fd.0.readable(false).await;
            })
        });
        // Negative: no timer; wake up now and then anyway, so nothing can wait forever.
        let timer = if hint > 0.0 {
            Duration::from_secs_f64(hint.min(1.0))
        } else {
            Duration::from_secs(1)
        };
        let fired = monoio::select! {
            _ = ready => true,
            _ = monoio::time::sleep(timer) => false,
            _ = w.pending.kicked() => false,
        };
        if fired {
            readable = None;
        }
    }
}

/// A duplicate of the asyncio loop's epoll fd in this reactor, waited on for readability (an
/// epoll fd is readable while any fd it watches is ready). Closing it leaves the loop's own.
struct LoopFd(monoio::net::UnixStream);

impl LoopFd {
    fn watch(fd: i32) -> std::io::Result<LoopFd> {
        use std::os::fd::FromRawFd;
        // SAFETY: `fd` is the loop's open epoll fd; dup gives this reactor its own descriptor.
        let own = unsafe { libc::dup(fd) };
        if own < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `own` is a fresh descriptor that nothing else owns. UnixStream is only the
        // vehicle monoio offers for readiness waits on a raw fd; it is never read or written.
        let std_stream = unsafe { std::os::unix::net::UnixStream::from_raw_fd(own) };
        Ok(LoopFd(monoio::net::UnixStream::from_std(std_stream)?))
    }
}

/// An eventfd the pump rings and waits on, so that it wakes only through the reactor's driver:
/// monoio runs every ready task in a round and submits their I/O (io_uring) or polls for more
/// readiness (epoll) only between rounds, so a task that merely re-queues itself (`YieldNow`)
/// can run two or three more slices of Python before a request that arrived meanwhile is even
/// read, and before any response queued in the round is sent.
struct Doorbell {
    fd: monoio::net::UnixStream,
    raw: i32,
}

impl Doorbell {
    fn new() -> std::io::Result<Doorbell> {
        use std::os::fd::FromRawFd;
        // SAFETY: eventfd takes no pointers; the result is checked.
        let raw = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if raw < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor that nothing else owns; the stream owns and closes
        // it. UnixStream is only the vehicle monoio offers for readiness waits (as for `LoopFd`).
        let std_stream = unsafe { std::os::unix::net::UnixStream::from_raw_fd(raw) };
        Ok(Doorbell {
            fd: monoio::net::UnixStream::from_std(std_stream)?,
            raw,
        })
    }

    /// Resolves after the driver has reported the bell rung, i.e. at the next round boundary.
    async fn after_io(&self) {
        use std::future::Future;
        let mut wait = std::pin::pin!(self.fd.readable(false));
        let mut rung = false;
        std::future::poll_fn(|cx| {
            let polled = wait.as_mut().poll(cx);
            if polled.is_pending() && !rung {
                // Rung only once the wait is armed: epoll's readiness cache was cleared by that
                // first poll (the bell was silent), so the ring is news to the driver rather
                // than a stale readiness the wait would take at once.
                rung = true;
                self.ring();
            }
            polled.map(|_| ())
        })
        .await;
        self.silence();
    }

    fn ring(&self) {
        let one: u64 = 1;
        // SAFETY: writes the 8 bytes of `one`, which outlives the call, to the bell's open fd.
        let _ = unsafe { libc::write(self.raw, (&one as *const u64).cast(), 8) };
    }

    fn silence(&self) {
        let mut count: u64 = 0;
        // SAFETY: reads at most 8 bytes into `count`, which outlives the call. The fd is
        // non-blocking: a bell already silent answers EAGAIN, ignored.
        let _ = unsafe { libc::read(self.raw, (&mut count as *mut u64).cast(), 8) };
    }
}

/// Returns `Pending` once after waking itself, so other tasks run before the caller goes on.
struct YieldNow(bool);

impl std::future::Future for YieldNow {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            return std::task::Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}
