//! One HTTP/1.1 connection: read, frame (Content-Length, chunked, 100-continue), hand each
//! request to `dispatch`, write; keep-alive, pipelining, timeouts and lingering close.
//!
//! Timeouts, as nginx applies its own (`client_header_timeout`, `keepalive_timeout`,
//! `client_body_timeout`):
//! - a head has one deadline, `--header-timeout`, counted from the connection's accept for
//!   its first request and from the first byte of each later one (pipelined bytes already
//!   buffered: from the end of the previous response). It is never extended by the bytes that
//!   arrive, so a client dripping a byte a second is cut off at the deadline (408, close);
//! - between requests a connection may stay idle for `--keep-alive-timeout` (closed silently);
//! - a body must make progress: a read that brings nothing for `--body-timeout` ends it with
//!   408 and close.

use super::core::{peer_has_data, Core};
use super::dispatch::{Site, Started};
use super::streaming::{Outgoing, Sent};
use super::upload_watch::UploadWatch;
use crate::app::Outcome;
use crate::http::{self, BodySource, Framed, Framing, Request, Response};
use monoio::buf::IoBufMut;
use monoio::io::{AsyncReadRent, AsyncWriteRentExt, CancelableAsyncReadRent, Canceller};
use monoio::net::TcpStream;
use std::future::Future;
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::rc::Rc;
use std::task::Poll;
use std::time::{Duration, Instant};

const READ_CHUNK: usize = 8 * 1024;

fn write_response(
    w: &Core,
    out: &mut Vec<u8>,
    resp: &Response,
    keep_alive: bool,
    head_only: bool,
    http10: bool,
) {
    // Copied to the stack (29 bytes): no allocation per response, and no borrow held while
    // the response is written.
    let date = w.date.borrow_mut().get_array();
    http::write_response(out, resp, &date, keep_alive, head_only, http10);
}

/// A refusal answered before the request reached dispatch, as its route answers its other
/// errors (`Site::refusal`). The head is read again from `rbuf` with the body limit lifted: one
/// refused for its Content-Length is otherwise well formed. An unreadable head keeps `resp`.
fn refusal_for(w: &Core, rbuf: &[u8], client: &str, resp: Response) -> Response {
    let limits = http::Limits {
        max_body_bytes: usize::MAX,
        ..w.limits
    };
    let Ok(http::Parsed::Complete { head, .. }) = http::parse_request(rbuf, &limits) else {
        return resp;
    };
    let req = Request {
        head: &head,
        body: &[],
        client,
        secure: false,
    };
    let site = Site {
        app: &w.app,
        pending: &w.pending,
        interp: Some(&w.interp),
    };
    site.refusal(&req, resp)
}

/// Close after an error so the client reads our 4xx rather than a reset: stop writing, drain
/// what it still sends for a moment, then close (DESIGN.md §2b).
async fn lingering_close(s: TcpStream) {
    let fd = s.as_raw_fd();
    // SAFETY: `fd` is owned by `s`, which is alive here.
    unsafe { libc::shutdown(fd, libc::SHUT_WR) };
    let mut s = s;
    let mut buf = vec![0u8; 4096];
    let deadline = Instant::now() + Duration::from_millis(500);
    let mut drained = 0usize;
    while Instant::now() < deadline && drained < 256 * 1024 {
        let left = deadline.saturating_duration_since(Instant::now());
        match monoio::time::timeout(left, s.read(buf)).await {
            Ok((Ok(n), b)) if n > 0 => {
                drained += n;
                buf = b;
            }
            _ => break,
        }
    }
}

/// Answers a connection over `--max-connections` with a 503 (`Connection: close`,
/// `Retry-After: 1`) and closes it, without a task: the response is written with one
/// non-blocking send (a fresh socket's buffer has room for it), the request is not read
/// beyond what is already queued (drained so that the close is not a reset that would destroy
/// the 503 before the client reads it).
pub(super) fn refuse_at_cap(w: &Core, s: TcpStream) {
    let mut resp = Response::detail(503, "server at its connection limit; retry later");
    resp.headers.push((b"retry-after".to_vec(), b"1".to_vec()));
    let mut out = Vec::new();
    write_response(w, &mut out, &resp, false, false, false);
    let fd = s.as_raw_fd();
    // SAFETY: `fd` is owned by `s`, alive for this whole function; the buffers are valid for
    // the lengths given; MSG_DONTWAIT never blocks the core, MSG_NOSIGNAL never raises SIGPIPE.
    unsafe {
        libc::send(
            fd,
            out.as_ptr().cast(),
            out.len(),
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
        );
        libc::shutdown(fd, libc::SHUT_WR);
        let mut sink = [0u8; 4096];
        for _ in 0..16 {
            let n = libc::recv(fd, sink.as_mut_ptr().cast(), sink.len(), libc::MSG_DONTWAIT);
            if n <= 0 {
                break;
            }
        }
    }
    drop(s);
}

/// A connection task whose panic is contained: logged, that connection closed, the core goes on
/// serving (DESIGN.md §3 rule 7).
pub fn serve_conn_guarded(w: Rc<Core>, s: TcpStream, client: String) -> Guarded {
    let fd = s.as_raw_fd();
    guarded(w.clone(), fd, serve_conn(w, s, client))
}

/// Not an `async fn`: one would keep its argument's space (the connection loop's whole state)
/// in the task beside the box it is moved into, doubling an idle connection's cost
/// (loadtests/conn_memory.py).
fn guarded(
    w: Rc<Core>,
    fd: std::os::fd::RawFd,
    fut: impl Future<Output = ()> + 'static,
) -> Guarded {
    Guarded {
        w,
        fd,
        fut: Box::pin(fut),
    }
}

/// A connection's future, boxed once, and what its panic must undo.
pub struct Guarded {
    w: Rc<Core>,
    fd: std::os::fd::RawFd,
    fut: Pin<Box<dyn Future<Output = ()>>>,
}

impl Future for Guarded {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<()> {
        let inner = self.fut.as_mut();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(p) => p,
            Err(_) => {
                eprintln!("django-bolt: internal error (panic) on a connection; closed it");
                self.w.untrack_fd(self.fd);
                Poll::Ready(())
            }
        }
    }
}

async fn serve_conn(w: Rc<Core>, mut s: TcpStream, client: String) {
    let _ = s.set_nodelay(true);
    let id = w.track(s.as_raw_fd());
    let mut rbuf: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    let mut wbuf: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    // Kept for the connection's life: cancelling an idle read through it costs no allocation.
    let mut canceller = Canceller::new();
    let mut sent_continue = false;
    // The first head's deadline runs from the accept (nginx's client_header_timeout does the
    // same): a client that connects and sends nothing, or drips, is cut off on time.
    let mut head_deadline = Some(Instant::now() + w.header_timeout);
    // Boxed: only apps with `File(max_size=...)` routes use it, and this loop's state lives
    // for the connection's life.
    let mut uploads: Option<Box<UploadWatch>> = None;
    loop {
        // Answer every complete request already buffered (pipelining), in order.
        let mut close = false;
        let mut expect_continue = false;
        let mut in_body = false;
        while !rbuf.is_empty() {
            match http::next_request(&rbuf, &w.limits) {
                Framed::NeedMore {
                    expect_continue: e,
                    in_body: b,
                } => {
                    expect_continue = e;
                    in_body = b;
                    if b && w.app.has_upload_limits {
                        let watch = uploads.get_or_insert_with(Box::default);
                        if let Some(resp) = watch.check(&w, &rbuf) {
                            let resp = refusal_for(&w, &rbuf, &client, resp);
                            // Refused before the rest of the body is read: close after the
                            // answer (lingering, so the client can read it while still sending).
                            write_response(&w, &mut wbuf, &resp, false, false, false);
                            let (_, _) = s.write_all(wbuf).await;
                            Box::pin(lingering_close(s)).await;
                            w.untrack(id);
                            return;
                        }
                    }
                    break;
                }
                Framed::Reject(e) => {
                    let mut resp = Response::detail(e.status(), e.message());
                    if e == http::HttpError::BodyTooLarge {
                        resp = refusal_for(&w, &rbuf, &client, resp);
                    }
                    write_response(&w, &mut wbuf, &resp, false, false, false);
                    let (_, _) = s.write_all(wbuf).await;
                    // Still tracked while it lingers: the drain waits for it (bounded), so no
                    // task outlives the runtime holding the core.
                    Box::pin(lingering_close(s)).await;
                    w.untrack(id);
                    return;
                }
                Framed::Request { head, body, used } => {
                    // The next head's deadline starts when it is first waited for.
                    head_deadline = None;
                    if let Some(watch) = uploads.as_mut() {
                        watch.reset();
                    }
                    if super::websocket::is_websocket_route(&w, &head) {
                        // The connection becomes a WebSocket (or ends with the refusal).
                        rbuf.drain(..used);
                        // A task of its own: this loop's state (the size of its largest
                        // await) is not kept for the socket's life.
                        let fd = s.as_raw_fd();
                        let ws =
                            super::websocket::serve(w.clone(), s, head, rbuf, wbuf, client, id);
                        monoio::spawn(guarded(w, fd, ws));
                        return;
                    }
                    sent_continue = false;
                    let req = Request {
                        head: &head,
                        body: &body,
                        client: &client,
                        secure: false,
                    };
                    let site = Site {
                        app: &w.app,
                        pending: &w.pending,
                        interp: Some(&w.interp),
                    };
                    let Started {
                        outcome,
                        head_only,
                        finish,
                    } = site.start(&req);
                    let mut resp = match outcome {
                        Outcome::Ready(r) => r,
                        mut outcome => {
                            // Earlier pipelined responses go out first; then wait our turn.
                            if !wbuf.is_empty() {
                                let (res, b) = s.write_all(wbuf).await;
                                wbuf = b;
                                wbuf.clear();
                                if res.is_err() {
                                    if let Outcome::Pending(token) = outcome {
                                        w.pending.cancel(token);
                                    }
                                    w.untrack(id);
                                    return;
                                }
                            }
                            w.set_busy(id, true);
                            loop {
                                match outcome {
                                    Outcome::Ready(r) => break r,
                                    Outcome::Pending(token) => break w.pending.wait(token).await,
                                    Outcome::Held(hold) => {
                                        // Rare, so boxed: see the file body's send below.
                                        Box::pin(w.holds.wait(hold)).await;
                                        outcome = site.resume(&req);
                                    }
                                }
                            }
                        }
                    };
                    let encoder = site.finish(&req, finish, &mut resp);
                    // Decided once the handler is done: a drain that began while it ran still
                    // gets `Connection: close` on this response, so the client does not send
                    // another request on a connection about to close.
                    let keep_alive = head.keep_alive && !w.stopping();
                    let http10 = head.minor_version == 0;
                    let framing = http::framing_of(&resp, http10);
                    // A body that ends with the connection leaves nothing to keep alive.
                    let keep_alive = keep_alive && framing != Framing::Unframed;
                    write_response(&w, &mut wbuf, &resp, keep_alive, head_only, http10);
                    super::core::REQUESTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if let Some(http::BodySource::File { path, offset, len }) = &resp.source {
                        if !head_only && !matches!(resp.status, 100..=199 | 204 | 304) {
                            // The head (and earlier pipelined responses) first, then the file
                            // in chunks; a body cut short leaves only closing the connection.
                            let (res, b) = s.write_all(wbuf).await;
                            wbuf = b;
                            wbuf.clear();
                            if res.is_err()
                                // Boxed, as the other rare long waits below: the state of an
                                // await lives in this loop's future for the connection's whole
                                // life, idle or not, so only the hot path's stay inline.
                                || Box::pin(super::file_body::send(&mut s, path, *offset, *len))
                                    .await
                                    .is_err()
                            {
                                w.untrack(id);
                                return;
                            }
                        }
                    }
                    rbuf.drain(..used);
                    if let Some(BodySource::Stream(stream)) = resp.source {
                        let sent = if head_only {
                            let _py = w.interp.attached();
                            w.app.close_stream(stream, &w.pending);
                            Sent::Whole
                        } else {
                            let out = Outgoing {
                                w: &w,
                                id: stream,
                                framing,
                                encoder,
                                sent: 0,
                            };
                            Box::pin(out.send(&mut s, std::mem::take(&mut wbuf))).await
                        };
                        if let Sent::CutShort = sent {
                            close = true;
                            break;
                        }
                    }
                    if !keep_alive {
                        close = true;
                        break;
                    }
                }
            }
        }
        if expect_continue && !sent_continue && wbuf.is_empty() {
            // RFC 9110 §10.1.1: tell the client to send the body it is holding back.
            wbuf.extend_from_slice(http::CONTINUE_100);
            sent_continue = true;
        }
        if !wbuf.is_empty() {
            let (res, b) = s.write_all(wbuf).await;
            wbuf = b;
            wbuf.clear();
            if res.is_err() {
                break;
            }
        }
        let fd = s.as_raw_fd();
        // While draining, a connection whose last response said keep-alive is not closed
        // here: its client may have its next request on the wire already, which would then
        // meet a closed socket. That request is answered with `Connection: close`; one that
        // does not come is ended by the drain (`Core::close_idle`) once the connection has
        // been quiet for a moment. So is a connection accepted from the queue at the drain
        // whose request has not arrived yet.
        if close {
            // Bytes the client sent that we will not read would turn our close into a reset,
            // which can destroy the response it has not read yet: close gracefully then
            // (still tracked, so the drain waits for it and no task outlives the runtime).
            if w.stopping() || !rbuf.is_empty() || peer_has_data(fd) {
                Box::pin(lingering_close(s)).await;
            }
            w.untrack(id);
            return;
        }
        w.set_busy(id, !rbuf.is_empty());
        if rbuf.is_empty() && head_deadline.is_some() {
            // Not one byte yet: a new connection (the head deadline runs from the accept).
            w.fresh_and_waiting(id);
        }
        let now = Instant::now();
        // What this read waits for, and what happens when the wait runs out.
        let (timeout, on_expiry) = if in_body {
            (w.body_timeout, Expiry::Answer408)
        } else if rbuf.is_empty() && head_deadline.is_none() {
            (w.keep_alive_timeout, Expiry::Close)
        } else {
            let deadline = *head_deadline.get_or_insert(now + w.header_timeout);
            let expiry = if rbuf.is_empty() {
                Expiry::Close
            } else {
                Expiry::Answer408
            };
            (deadline.saturating_duration_since(now), expiry)
        };
        let idle = rbuf.is_empty() && head_deadline.is_none() && !in_body;
        if rbuf.capacity() - rbuf.len() < READ_CHUNK / 2 {
            rbuf.reserve(READ_CHUNK);
        }
        let len = rbuf.len();
        let cap = rbuf.capacity();
        let read = if idle {
            read_idle(&w, &mut s, &mut rbuf, &mut wbuf, &mut canceller, timeout).await
        } else {
            match monoio::time::timeout(timeout, s.read(rbuf.slice_mut(len..cap))).await {
                Ok((res, b)) => {
                    rbuf = b.into_inner();
                    Ok(res)
                }
                // The buffer went with the abandoned read; the connection ends below.
                Err(e) => {
                    rbuf = Vec::new();
                    Err(e)
                }
            }
        };
        match read {
            Ok(Ok(n)) => {
                if n == 0 {
                    break;
                }
                if len == 0 && head_deadline.is_none() && !in_body {
                    // The first byte of a keep-alive request: its head deadline starts now.
                    head_deadline = Some(Instant::now() + w.header_timeout);
                }
            }
            Ok(Err(_)) => break,
            Err(_) => {
                // A head past its deadline or a stalled body: the client is told (408). An idle
                // connection, or a new one that never sent a byte, is closed silently.
                if let Expiry::Answer408 = on_expiry {
                    let resp = Response::detail(408, "Request Timeout");
                    let mut out = Vec::new();
                    write_response(&w, &mut out, &resp, false, false, false);
                    let (_, _) = s.write_all(out).await;
                    // Still tracked while it lingers: the drain waits for it (bounded), so no
                    // task outlives the runtime holding the core.
                    Box::pin(lingering_close(s)).await;
                    w.untrack(id);
                    return;
                }
                break;
            }
        }
        w.set_busy(id, true);
    }
    w.untrack(id);
}

/// How long an idle keep-alive connection keeps its read buffer posted before giving both
/// buffers back and waiting for readability alone. A client sending requests back to back
/// (the hot path) never reaches it, so it pays for no extra operation; one that thinks longer
/// costs a poll and a cancellation once per idle spell, and no buffers while it is idle.
const IDLE_HOLD: Duration = Duration::from_millis(250);

/// Waits up to `timeout` for a keep-alive connection's next request and reads what arrived
/// into `rbuf` (empty on entry). For the first [`IDLE_HOLD`] a read is posted with the
/// buffer (no extra syscall when the client is quick); after that the read is cancelled (and
/// awaited: a read completing as it is cancelled keeps its bytes), `rbuf` and `wbuf` are
/// freed, and the rest of the wait is a readability poll that owns no buffer
/// (loadtests/conn_memory.py: 26.6 KiB per idle connection before, see the README for after).
/// `Err` when the wait ran out; `Ok(Ok(0))` at end of stream.
async fn read_idle(
    w: &Core,
    s: &mut TcpStream,
    rbuf: &mut Vec<u8>,
    wbuf: &mut Vec<u8>,
    canceller: &mut Canceller,
    timeout: Duration,
) -> Result<std::io::Result<usize>, monoio::time::error::Elapsed> {
    let hold = timeout.min(IDLE_HOLD);
    let len = rbuf.len();
    let cap = rbuf.capacity();
    let buf = std::mem::take(rbuf).slice_mut(len..cap);
    let (res, buf) = {
        let read = s.cancelable_read(buf, canceller.handle());
        let mut read = std::pin::pin!(read);
        let held = monoio::select! {
            r = &mut read => Some(r),
            _ = monoio::time::sleep(hold) => None,
        };
        match held {
            Some(r) => r,
            None => {
                // `cancel` consumes the canceller and hands back a fresh one for later reads.
                *canceller = std::mem::take(canceller).cancel();
                read.await
            }
        }
    };
    *rbuf = buf.into_inner();
    match res {
        Err(e) if e.raw_os_error() == Some(libc::ECANCELED) => {}
        done => return Ok(done),
    }
    // Idle: nothing of this connection's buffers is worth keeping until the client speaks.
    *rbuf = Vec::new();
    *wbuf = Vec::new();
    w.idled.set(w.idled.get() + 1);
    let rest = timeout.saturating_sub(hold);
    match monoio::time::timeout(rest, s.readable(false)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Ok(Err(e)),
        Err(e) => return Err(e),
    }
    rbuf.reserve(READ_CHUNK);
    let cap = rbuf.capacity();
    let (res, buf) = s.read(std::mem::take(rbuf).slice_mut(0..cap)).await;
    *rbuf = buf.into_inner();
    Ok(res)
}

/// What a read that waited too long ends with.
enum Expiry {
    Close,
    Answer408,
}
