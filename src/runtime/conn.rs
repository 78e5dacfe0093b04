//! One HTTP/1.1 connection: read, frame (Content-Length, chunked, 100-continue), hand each
//! request to `dispatch`, write; keep-alive, pipelining, timeouts and lingering close.

use super::core::Core;
use super::dispatch::{Site, Started};
use super::streaming::{Outgoing, Sent};
use crate::app::Outcome;
use crate::http::{
    self, BodyKind, BodySource, ChunkStatus, ChunkedDecoder, Framing, Parsed, Request, RequestHead,
    Response,
};
use monoio::buf::IoBufMut;
use monoio::io::{AsyncReadRent, AsyncWriteRentExt};
use monoio::net::TcpStream;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::time::{Duration, Instant};

const READ_CHUNK: usize = 8 * 1024;

/// What to do with the bytes at the front of the read buffer.
enum Step {
    /// A complete request: its head, body and how many buffer bytes it used.
    Request(RequestHead, Vec<u8>, usize),
    NeedMore {
        expect_continue: bool,
    },
    Reject(http::HttpError),
}

fn next_request(buf: &[u8], w: &Core) -> Step {
    let (head, head_len) = match http::parse_request(buf, &w.limits) {
        Ok(Parsed::Partial) => {
            return Step::NeedMore {
                expect_continue: false,
            }
        }
        Ok(Parsed::Complete { head, head_len }) => (head, head_len),
        Err(e) => return Step::Reject(e),
    };
    let rest = &buf[head_len..];
    match head.body {
        BodyKind::Empty => Step::Request(head, Vec::new(), head_len),
        BodyKind::Length(n) => {
            if rest.len() >= n {
                let body = rest[..n].to_vec();
                Step::Request(head, body, head_len + n)
            } else {
                Step::NeedMore {
                    expect_continue: head.expect_continue,
                }
            }
        }
        BodyKind::Chunked => {
            // Decoded from the start each time more bytes arrive: bodies are bounded by
            // max_body_bytes, and this keeps no half-parsed state across reads.
            let mut dec = ChunkedDecoder::new(w.limits.max_body_bytes);
            let mut body = Vec::new();
            match dec.decode(rest, &mut body) {
                Ok(ChunkStatus::Done { consumed }) => {
                    Step::Request(head, body, head_len + consumed)
                }
                Ok(ChunkStatus::NeedMore { .. }) => Step::NeedMore {
                    expect_continue: head.expect_continue,
                },
                Err(e) => Step::Reject(e),
            }
        }
    }
}

fn write_response(
    w: &Core,
    out: &mut Vec<u8>,
    resp: &Response,
    keep_alive: bool,
    head_only: bool,
    http10: bool,
) {
    let date = w.date.borrow_mut().get().to_vec();
    http::write_response(out, resp, &date, keep_alive, head_only, http10);
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

/// A connection task whose panic is contained: logged, that connection closed, the core goes on
/// serving (DESIGN.md §3 rule 7).
pub async fn serve_conn_guarded(w: Rc<Core>, s: TcpStream, client: String) {
    let fd = s.as_raw_fd();
    guarded(w.clone(), fd, serve_conn(w, s, client)).await;
}

async fn guarded(w: Rc<Core>, fd: std::os::fd::RawFd, fut: impl std::future::Future<Output = ()>) {
    if CatchUnwind(Box::pin(fut)).await.is_err() {
        eprintln!("django-bolt: internal error (panic) on a connection; closed it");
        w.untrack_fd(fd);
    }
}

struct CatchUnwind<F>(std::pin::Pin<Box<F>>);

impl<F: std::future::Future<Output = ()>> std::future::Future for CatchUnwind<F> {
    type Output = Result<(), ()>;
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Ok(std::task::Poll::Ready(())) => std::task::Poll::Ready(Ok(())),
            Err(_) => std::task::Poll::Ready(Err(())),
        }
    }
}

async fn serve_conn(w: Rc<Core>, mut s: TcpStream, client: String) {
    let _ = s.set_nodelay(true);
    let id = w.track(s.as_raw_fd());
    let mut rbuf: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    let mut wbuf: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    let mut sent_continue = false;
    loop {
        // Answer every complete request already buffered (pipelining), in order.
        let mut close = false;
        let mut expect_continue = false;
        while !rbuf.is_empty() {
            match next_request(&rbuf, &w) {
                Step::NeedMore { expect_continue: e } => {
                    expect_continue = e;
                    break;
                }
                Step::Reject(e) => {
                    let resp = Response::detail(e.status(), e.message());
                    write_response(&w, &mut wbuf, &resp, false, false, false);
                    let (_, _) = s.write_all(wbuf).await;
                    w.untrack(id);
                    lingering_close(s).await;
                    return;
                }
                Step::Request(head, body, used) => {
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
                    let keep_alive = head.keep_alive && !w.stopping();
                    let req = Request {
                        head: &head,
                        body: &body,
                        client: &client,
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
                        Outcome::Pending(token) => {
                            // Earlier pipelined responses go out first; then wait our turn.
                            if !wbuf.is_empty() {
                                let (res, b) = s.write_all(wbuf).await;
                                wbuf = b;
                                wbuf.clear();
                                if res.is_err() {
                                    w.pending.cancel(token);
                                    w.untrack(id);
                                    return;
                                }
                            }
                            w.set_busy(id, true);
                            w.pending.wait(token).await
                        }
                    };
                    let encoder = site.finish(&req, finish, &mut resp);
                    let http10 = head.minor_version == 0;
                    let framing = http::framing_of(&resp, http10);
                    // A body that ends with the connection leaves nothing to keep alive.
                    let keep_alive = keep_alive && framing != Framing::Unframed;
                    write_response(&w, &mut wbuf, &resp, keep_alive, head_only, http10);
                    if let Some(http::BodySource::File { path, offset, len }) = &resp.source {
                        if !head_only && !matches!(resp.status, 100..=199 | 204 | 304) {
                            // The head (and earlier pipelined responses) first, then the file
                            // in chunks; a body cut short leaves only closing the connection.
                            let (res, b) = s.write_all(wbuf).await;
                            wbuf = b;
                            wbuf.clear();
                            if res.is_err()
                                || super::file_body::send(&mut s, path, *offset, *len)
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
                            out.send(&mut s, std::mem::take(&mut wbuf)).await
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
        if close || w.stopping() && rbuf.is_empty() {
            break;
        }
        w.set_busy(id, !rbuf.is_empty());
        let timeout = if rbuf.is_empty() {
            w.keep_alive_timeout
        } else {
            w.header_timeout
        };
        if rbuf.capacity() - rbuf.len() < READ_CHUNK / 2 {
            rbuf.reserve(READ_CHUNK);
        }
        let len = rbuf.len();
        let cap = rbuf.capacity();
        match monoio::time::timeout(timeout, s.read(rbuf.slice_mut(len..cap))).await {
            Ok((Ok(n), b)) => {
                rbuf = b.into_inner();
                if n == 0 {
                    break;
                }
            }
            Ok((Err(_), _)) => break,
            Err(_) => {
                // Idle keep-alive connection or a client too slow to send its head.
                if len > 0 {
                    let resp = Response::detail(408, "Request Timeout");
                    let mut out = Vec::new();
                    write_response(&w, &mut out, &resp, false, false, false);
                    let _ = s.write_all(out).await;
                }
                break;
            }
        }
        w.set_busy(id, true);
    }
    w.untrack(id);
}
