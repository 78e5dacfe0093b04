//! One WebSocket connection, from the opening handshake to the closing one.
//!
//! The HTTP loop (`conn`) hands over a GET to a WebSocket route. Here: the handshake's checks
//! (400/426), the Origin check (403), then the route's limits, authentication, guards and
//! parameters with the handler's start (`App::ws_open`: 401/403/422/429 before accepting). The
//! 101 goes out only once the handler accepts; a handler that closes or returns first gets a
//! 403, one that raises a 500. After the 101 the socket is split: this task reads frames and
//! hands messages to the handler, a writer task sends what the handler queued, answers pings,
//! pings the client every heartbeat and closes a client silent past the timeout.
//!
//! Around that: `BOLT_WS_MAX_CONNECTIONS` counts sockets across the whole server (503 past it),
//! each handshake gets one access-log line, refusals carry their route's CORS headers, and a
//! shutdown closes open sockets with 1001 (`App::ws_going_away`) and refuses new upgrades (503).

use super::core::Core;
use crate::app::websocket::{Decision, WsChannel, WsOut, WsTarget};
use crate::app::App;
use crate::http::websocket::{
    self as ws, check_handshake, close, decode_frame_rsv1, Assembler, Event, Opcode,
};
use crate::http::ws_deflate::Deflate;
use crate::http::{self, Method, Request, RequestHead, Response};
use crate::router::Match;
use monoio::buf::IoBufMut;
use monoio::io::{AsyncReadRent, AsyncWriteRentExt, OwnedReadHalf, OwnedWriteHalf, Splitable};
use monoio::net::TcpStream;
use std::cell::Cell;
use std::os::fd::{AsRawFd, RawFd};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const READ_CHUNK: usize = 16 * 1024;
/// The first read of a message: most are small. Buffers grow while a large one is arriving
/// (an idle socket holds none).
const IDLE_CHUNK: usize = 2 * 1024;
/// Unread messages past which a socket stops reading until its handler catches up (to a
/// quarter of it): a client cannot fill the core's memory faster than its handler reads.
const INBOX_HIGH: usize = 64;
/// How long a close frame we sent waits for the client's answer before the socket is dropped.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// Whether `head` is for a WebSocket route (GET on its path) or a WebSocket upgrade to an
/// ASGI mount that takes them: the HTTP loop hands it over.
pub fn is_websocket_route(w: &Core, head: &RequestHead) -> bool {
    w.app.ws_target(head).is_some()
}

/// Serves a WebSocket route's request; the connection ends with it. `rest`: bytes the
/// client sent after the request head; `wbuf`: earlier pipelined responses not yet written.
pub async fn serve(
    w: Rc<Core>,
    mut s: TcpStream,
    head: RequestHead,
    rest: Vec<u8>,
    wbuf: Vec<u8>,
    client: String,
    id: u64,
) {
    let t0 = Instant::now();
    if !wbuf.is_empty() {
        let (res, _) = s.write_all(wbuf).await;
        if res.is_err() {
            w.untrack(id);
            return;
        }
    } else {
        // Not kept for the socket's life (an empty buffer still holds the HTTP loop's 8 KiB).
        drop(wbuf);
    }
    match open(&w, &head, &client) {
        Opened::Refused(resp) => refuse(&w, s, &head, &client, t0, resp).await,
        Opened::Started {
            token,
            chan,
            accept,
            deflate,
            slot,
        } => {
            let hs = (accept, deflate);
            run(&w, s, head, client, t0, token, chan, rest, hs).await;
            let _py = w.interp.attached();
            w.app.ws_forget(token, &w.pending);
            drop(slot);
        }
    }
    w.untrack(id);
}

/// WebSockets open in this process, all cores together, and handshakes in progress:
/// `BOLT_WS_MAX_CONNECTIONS` caps this count (as django-bolt caps its process's).
static OPEN_SOCKETS: AtomicUsize = AtomicUsize::new(0);

/// One count in `OPEN_SOCKETS`, held from the handshake to the connection's end.
struct Slot;

impl Slot {
    fn take(max: usize) -> Option<Slot> {
        OPEN_SOCKETS
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| Slot)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        OPEN_SOCKETS.fetch_sub(1, Ordering::AcqRel);
    }
}

enum Opened {
    Refused(Response),
    /// The handler runs under `token`; `accept` is the `Sec-WebSocket-Accept` to answer with.
    Started {
        token: u64,
        chan: Rc<WsChannel>,
        accept: String,
        /// permessage-deflate, when negotiated.
        deflate: Option<Deflate>,
        slot: Slot,
    },
}

fn open(w: &Core, head: &RequestHead, client: &str) -> Opened {
    let hs = match check_handshake(head) {
        Ok(h) => h,
        Err(e) => {
            let mut resp = Response::detail(e.status(), &e.to_string());
            if e.status() == 426 {
                // RFC 9110 §15.5.22 and RFC 6455 §4.4: name what to upgrade to.
                resp = resp
                    .with_header(b"upgrade", b"websocket")
                    .with_header(b"sec-websocket-version", b"13");
            }
            return Opened::Refused(resp);
        }
    };
    if w.stopping() {
        // An upgrade on a keep-alive connection during the drain: go elsewhere.
        return Opened::Refused(Response::detail(503, "Server is shutting down"));
    }
    let Some(slot) = Slot::take(w.app.ws.config.max_connections) else {
        return Opened::Refused(Response::detail(503, "Too many WebSocket connections"));
    };
    if !origin_allowed(&w.app, head) {
        return Opened::Refused(Response::detail(403, "Origin not allowed"));
    }
    let Some(target) = w.app.ws_target(head) else {
        return Opened::Refused(Response::detail(404, "Not Found"));
    };
    let req = Request {
        head,
        body: &[],
        client,
        secure: false,
    };
    let token = w.pending.register();
    let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _py = w.interp.attached();
        match &target {
            WsTarget::Route(route, params) => {
                w.app
                    .ws_open(&req, *route, params, &hs.subprotocols, token, &w.pending)
            }
            WsTarget::Mount => w
                .app
                .ws_open_mount(&req, &hs.subprotocols, token, &w.pending),
        }
    }));
    let chan = match opened {
        Ok(Ok(c)) => c,
        Ok(Err(resp)) => {
            w.pending.cancel(token);
            return Opened::Refused(resp);
        }
        Err(_) => {
            eprintln!("django-bolt: internal error (panic) opening a WebSocket");
            w.pending.cancel(token);
            return Opened::Refused(Response::detail(500, "Internal Server Error"));
        }
    };
    Opened::Started {
        token,
        chan,
        accept: hs.accept,
        deflate: hs.deflate,
        slot,
    }
}

/// The handshake's access log line (`django_bolt.access`, as for an HTTP request): its status
/// (101, or the refusal's) and how long the handshake took, from the request head to the
/// answer; the session's length is not in it.
fn log_handshake(w: &Core, head: &RequestHead, client: &str, t0: Instant, resp: &Response) {
    let app = &w.app;
    if !app.logs.access_enabled || app.is_probe(head.path()) {
        return;
    }
    if let Match::Found { route, .. } = app.router.route_for(Method::Get, head.path()) {
        if !app.routes[route].logged {
            return;
        }
    }
    let ms = t0.elapsed().as_secs_f64() * 1e3;
    let req = Request {
        head,
        body: &[],
        client,
        secure: false,
    };
    if app
        .logs
        .access_native(&req, resp.status, ms, resp.body.len())
    {
        return;
    }
    let _py = w.interp.attached();
    app.logs
        .access(app.hooks(), &req, resp.status, ms, resp.body.len());
}

/// A refusal carries the CORS headers any other response of its route would (the route's
/// policy, else the project's), so a browser's script can read why it was refused.
fn with_cors(w: &Core, head: &RequestHead, resp: &mut Response) {
    let app = &w.app;
    let Some(origin) = head.header("origin").filter(|_| app.has_cors) else {
        return;
    };
    let policy = match app.router.route_for(Method::Get, head.path()) {
        Match::Found { route, .. } => app.route_cors(route),
        _ => app.cors_global.as_ref(),
    };
    if let Some(p) = policy {
        p.decorate(&String::from_utf8_lossy(origin), resp);
    }
}

/// django-bolt's rule: no Origin (not a browser) passes; a browser's Origin must be allowed by
/// the project's CORS settings. Same-origin pages pass too (Origin's host is the Host header).
pub(super) fn origin_allowed(app: &App, head: &RequestHead) -> bool {
    let Some(origin) = head.header("origin") else {
        return true;
    };
    let origin = String::from_utf8_lossy(origin);
    if let Some(policy) = &app.cors_global {
        if policy.origin_allowed(&origin) {
            return true;
        }
    }
    let host = head.header("host").map(String::from_utf8_lossy);
    let origin_host = origin.split_once("://").map(|(_, h)| h);
    matches!((host, origin_host), (Some(h), Some(o)) if !h.is_empty() && h.eq_ignore_ascii_case(o))
}

async fn refuse(
    w: &Core,
    s: TcpStream,
    head: &RequestHead,
    client: &str,
    t0: Instant,
    mut resp: Response,
) {
    with_cors(w, head, &mut resp);
    let date = w.date.borrow_mut().get().to_vec();
    let mut out = Vec::new();
    http::write_response(&mut out, &resp, &date, false, false, false);
    let mut s = s;
    let (_, _) = s.write_all(out).await;
    log_handshake(w, head, client, t0, &resp);
    // SAFETY: the fd belongs to `s`, alive here.
    unsafe { libc::shutdown(s.as_raw_fd(), libc::SHUT_WR) };
    drain(&mut s).await;
}

/// Reads and discards until EOF or a short deadline, after our last write and `SHUT_WR`: a
/// close with unread input would reset the connection and lose our last bytes.
async fn drain<R: AsyncReadRent>(r: &mut R) {
    let deadline = Instant::now() + Duration::from_millis(500);
    let mut buf = vec![0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        match monoio::time::timeout(left, r.read(buf)).await {
            Ok((Ok(n), b)) if n > 0 => buf = b,
            _ => return,
        }
    }
}

/// What the reader and writer share.
struct Shared {
    fd: RawFd,
    /// permessage-deflate was negotiated.
    deflate: Option<Deflate>,
    token: u64,
    /// We sent a close frame: no more data frames go out, no more messages go in.
    close_sent: Cell<bool>,
    /// The last time anything came from the client.
    last_rx: Cell<Instant>,
}

/// Waits for the handler's decision, answers the handshake, then runs the connection.
#[allow(clippy::too_many_arguments)]
async fn run(
    w: &Rc<Core>,
    mut s: TcpStream,
    head: RequestHead,
    client: String,
    t0: Instant,
    token: u64,
    chan: Rc<WsChannel>,
    rest: Vec<u8>,
    (accept_key, deflate): (String, Option<Deflate>),
) {
    let mut batch = Vec::new();
    let decision = loop {
        if let Some(d) = chan.decision(&mut batch) {
            break d;
        }
        if w.stopping() {
            // A handler that never decides must not hold the shutdown.
            notify_gone(w, token, close::GOING_AWAY);
            let resp = Response::detail(503, "Server is shutting down");
            return refuse(w, s, &head, &client, t0, resp).await;
        }
        monoio::select! {
            _ = chan.ready() => {},
            _ = monoio::time::sleep(Duration::from_millis(100)) => {},
        }
    };
    let (subprotocol, headers) = match decision {
        Decision::Accept(p, h) => (p, h),
        Decision::Refuse => {
            notify_gone(w, token, close::ABNORMAL);
            let resp = Response::detail(403, "WebSocket connection refused");
            return refuse(w, s, &head, &client, t0, resp).await;
        }
        Decision::Fail => {
            notify_gone(w, token, close::ABNORMAL);
            let resp = Response::detail(500, "WebSocket handler failed");
            return refuse(w, s, &head, &client, t0, resp).await;
        }
        Decision::Reject(resp) => {
            notify_gone(w, token, close::ABNORMAL);
            return refuse(w, s, &head, &client, t0, resp).await;
        }
    };
    let mut out = Vec::with_capacity(256);
    ws::write_101(
        &mut out,
        &accept_key,
        subprotocol.as_deref(),
        deflate,
        &headers,
    );
    let (res, _) = s.write_all(out).await;
    if res.is_err() {
        notify_gone(w, token, close::ABNORMAL);
        return;
    }
    log_handshake(w, &head, &client, t0, &Response::empty(101));
    // Not kept for the socket's life: the handler has what it needs of the request.
    drop(head);
    drop(client);
    // Open: a shutdown now closes it with 1001 (`App::ws_going_away`); the connection stays
    // busy for the drain until the closing handshake is over.
    chan.open.set(true);
    if w.stopping() {
        // Accepted while the drain began: it missed the round of 1001s.
        chan.push(WsOut::Close(
            close::GOING_AWAY,
            "server shutting down".into(),
        ));
        notify_gone(w, token, close::GOING_AWAY);
    }
    let shared = Rc::new(Shared {
        fd: s.as_raw_fd(),
        deflate,
        token,
        close_sent: Cell::new(false),
        last_rx: Cell::new(Instant::now()),
    });
    let (mut rd, wr) = s.into_split();
    let writer = monoio::spawn(write_loop(
        w.clone(),
        wr,
        chan.clone(),
        shared.clone(),
        batch,
    ));
    let gone_code = read_loop(w, &mut rd, &chan, &shared, rest).await;
    if let Some(code) = gone_code {
        notify_gone(w, token, code);
    }
    chan.push(WsOut::Stop);
    writer.await;
    // SAFETY: the fd belongs to `rd`'s stream, alive here.
    unsafe { libc::shutdown(shared.fd, libc::SHUT_WR) };
    drain(&mut rd).await;
}

/// Tells the handler its client is gone (code 1006 when it just vanished).
fn notify_gone(w: &Core, token: u64, code: u16) {
    let _py = w.interp.attached();
    w.app.ws_disconnect(token, code, "");
    w.pending.nudge();
}

/// Reads frames until the closing handshake, a protocol error or the client's end. Returns
/// the code to report to the handler when it has not been told yet.
async fn read_loop(
    w: &Rc<Core>,
    rd: &mut OwnedReadHalf<TcpStream>,
    chan: &Rc<WsChannel>,
    shared: &Shared,
    rest: Vec<u8>,
) -> Option<u16> {
    // Not the HTTP loop's buffer itself: its capacity would stay with the socket.
    let mut rbuf = rest.to_vec();
    drop(rest);
    let mut asm = Assembler::with_deflate(w.app.ws.config.max_message, shared.deflate);
    let mut inbox: Vec<(bool, Vec<u8>)> = Vec::new();
    loop {
        let mut pos = 0;
        let mut end = None;
        while end.is_none() {
            let room = asm.room().max(125);
            let frame = match decode_frame_rsv1(&rbuf[pos..], room, shared.deflate.is_some()) {
                Ok(None) => break,
                Ok(Some((f, rsv1, used))) => {
                    pos += used;
                    asm.push_rsv1(f, rsv1)
                }
                Err(e) => Err(e),
            };
            shared.last_rx.set(Instant::now());
            match frame {
                Ok(Event::Text(t)) => inbox.push((true, t.into_bytes())),
                Ok(Event::Binary(b)) => inbox.push((false, b)),
                Ok(Event::Ping(p)) => chan.push(WsOut::Pong(p)),
                Ok(Event::Pong) | Ok(Event::Nothing) => {}
                Ok(Event::Close(code, reason)) => {
                    // §5.5.1: answer a close with a close, echoing its code.
                    if !shared.close_sent.get() {
                        chan.push(WsOut::Close(code, String::new()));
                    }
                    end = Some(Some((code, reason)));
                }
                Err(e) => {
                    chan.push(WsOut::Close(e.code, e.reason.to_owned()));
                    end = Some(Some((e.code, e.reason.to_owned())));
                }
            }
        }
        rbuf.drain(..pos);
        let mut backlog = 0;
        if !inbox.is_empty() || end.is_some() {
            let _py = w.interp.attached();
            if !shared.close_sent.get() {
                for (text, data) in inbox.drain(..) {
                    backlog = w.app.ws_deliver(shared.token, text, data);
                }
            }
            inbox.clear();
            if let Some(Some((code, reason))) = &end {
                w.app.ws_disconnect(shared.token, *code, reason);
            }
            w.pending.nudge();
        }
        if end.is_some() {
            return None;
        }
        // Backpressure on the client: leave its bytes in the kernel (its TCP window closes)
        // while the handler has many messages unread. Rare, so polled rather than signalled.
        if backlog > INBOX_HIGH {
            while !w.stopping() {
                monoio::time::sleep(Duration::from_millis(5)).await;
                // Not the client's silence: we are not reading it.
                shared.last_rx.set(Instant::now());
                let unread = {
                    let _py = w.interp.attached();
                    w.app.ws_backlog(shared.token)
                };
                if unread <= INBOX_HIGH / 4 {
                    break;
                }
            }
        }
        if rbuf.is_empty() {
            // Between messages the socket holds no read buffer (an io_uring read needs one
            // for as long as it waits): wait until the client sends, then read into a fresh
            // one. Most sockets are idle most of the time, and thousands must stay cheap.
            rbuf = Vec::new();
            // SAFETY: the split halves share the stream through this `UnsafeCell`, as monoio's
            // own read and write ops on them do; a readiness poll only reads its fd.
            let stream = unsafe { &*rd.0.get() };
            if stream.readable(false).await.is_err() {
                return Some(close::ABNORMAL);
            }
            rbuf.reserve(IDLE_CHUNK);
        } else if rbuf.capacity() - rbuf.len() < IDLE_CHUNK / 2 {
            // Part of a message is here: room for the rest to come in larger reads.
            rbuf.reserve(READ_CHUNK);
        }
        let len = rbuf.len();
        let cap = rbuf.capacity();
        let (res, b) = rd.read(rbuf.slice_mut(len..cap)).await;
        rbuf = b.into_inner();
        match res {
            Ok(n) if n > 0 => {}
            _ => return Some(close::ABNORMAL),
        }
    }
}

/// Writes what the handler and the reader queue; pings on the heartbeat; closes a client
/// silent past the timeout, and waits a while for the answer to a close we sent.
async fn write_loop(
    w: Rc<Core>,
    mut wr: OwnedWriteHalf<TcpStream>,
    chan: Rc<WsChannel>,
    shared: Rc<Shared>,
    first: Vec<WsOut>,
) {
    let cfg = w.app.ws.config.clone();
    let deflate = shared.deflate.is_some();
    let mut items = first;
    // Allocated on the first write: an idle socket holds none.
    let mut out: Vec<u8> = Vec::new();
    let mut close_deadline: Option<Instant> = None;
    loop {
        if items.is_empty() {
            chan.take_all(&mut items);
        }
        if items.is_empty() {
            let wait = match close_deadline {
                Some(d) => d.saturating_duration_since(Instant::now()),
                None => cfg.heartbeat,
            };
            let woke = monoio::select! {
                _ = chan.ready() => true,
                _ = monoio::time::sleep(wait) => false,
            };
            if woke {
                continue;
            }
            if close_deadline.is_some() {
                // The client never answered our close: drop it (the reader sees EOF).
                // SAFETY: the fd belongs to the split stream, alive while `wr` is.
                unsafe { libc::shutdown(shared.fd, libc::SHUT_RDWR) };
                close_deadline = Some(Instant::now() + CLOSE_WAIT * 100);
                continue;
            }
            let silent = shared.last_rx.get().elapsed();
            if !cfg.client_timeout.is_zero() && silent >= cfg.client_timeout {
                items.push(WsOut::Close(close::GOING_AWAY, "idle timeout".into()));
            } else {
                items.push(WsOut::Ping);
            }
        }
        let mut stop = false;
        let mut data = 0usize;
        for item in items.drain(..) {
            let open = !shared.close_sent.get();
            match item {
                WsOut::Text(t) if open => {
                    data += t.len();
                    ws::encode_message(&mut out, Opcode::Text, t.as_bytes(), deflate);
                }
                WsOut::Binary(b) if open => {
                    data += b.len();
                    ws::encode_message(&mut out, Opcode::Binary, &b, deflate);
                }
                WsOut::Text(t) => data += t.len(),
                WsOut::Binary(b) => data += b.len(),
                WsOut::Pong(p) if open => ws::encode_frame(&mut out, Opcode::Pong, &p),
                WsOut::Ping if open => ws::encode_frame(&mut out, Opcode::Ping, b""),
                WsOut::Close(code, reason) if open => {
                    ws::encode_close(&mut out, code, &reason);
                    shared.close_sent.set(true);
                }
                WsOut::End {
                    code,
                    reason,
                    failed,
                } if open => {
                    let code = if failed { close::INTERNAL_ERROR } else { code };
                    ws::encode_close(&mut out, code, &reason);
                    shared.close_sent.set(true);
                }
                WsOut::Stop => stop = true,
                _ => {}
            }
        }
        if !out.is_empty() {
            let (res, b) = wr.write_all(out).await;
            out = b;
            out.clear();
            if out.capacity() > 4 * READ_CHUNK {
                // One large batch must not pin its buffer for the socket's life.
                out = Vec::with_capacity(READ_CHUNK);
            }
            if res.is_err() {
                // SAFETY: as above; the reader sees EOF and ends the connection.
                unsafe { libc::shutdown(shared.fd, libc::SHUT_RDWR) };
                return;
            }
        }
        chan.wrote(data);
        if data > 0 && w.app.ws_wants_resume(&chan) {
            let _py = w.interp.attached();
            w.app.ws_resume(shared.token);
            w.pending.nudge();
        }
        if stop {
            return;
        }
        if shared.close_sent.get() && close_deadline.is_none() {
            close_deadline = Some(Instant::now() + CLOSE_WAIT);
        }
    }
}
