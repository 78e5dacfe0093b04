//! One HTTP/1.1 connection: read, frame (Content-Length, chunked, 100-continue), route,
//! run the handler in this core's interpreter, write; keep-alive and pipelining.

use crate::app::{Outcome, RequestCtx, ResponseData};
use crate::http::{self, BodyKind, ChunkStatus, ChunkedDecoder, Parsed, RequestHead};
use crate::router::Match;
use crate::worker::Worker;
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

fn next_request(buf: &[u8], w: &Worker) -> Step {
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
    w: &Worker,
    out: &mut Vec<u8>,
    resp: &ResponseData,
    keep_alive: bool,
    head_only: bool,
    http10: bool,
) {
    let mut headers: Vec<(&[u8], &[u8])> = resp
        .headers
        .iter()
        .map(|(k, v)| (k.as_slice(), v.as_slice()))
        .collect();
    if keep_alive && http10 {
        // HTTP/1.0 closes by default; say that we keep it open (RFC 9112 §9.3).
        headers.push((b"connection", b"keep-alive"));
    }
    let date = w.date.borrow_mut().get().to_vec();
    http::write_head(
        out,
        resp.status,
        &date,
        resp.content_type.as_deref(),
        resp.body.len(),
        keep_alive,
        &headers,
    );
    if !head_only && !matches!(resp.status, 100..=199 | 204 | 304) {
        out.extend_from_slice(&resp.body);
    }
}

/// Routes the request and runs its handler; `bool` is true for HEAD (headers only).
fn dispatch(w: &Worker, head: &RequestHead, body: &[u8], client: &str) -> (Outcome, bool) {
    if w.app.has_cors && head.method == http::Method::Options {
        // A CORS preflight is answered here, without running Python.
        if let (Some(origin), Some(req_method)) = (
            head.header("origin"),
            head.header("access-control-request-method"),
        ) {
            let req_method = String::from_utf8_lossy(req_method);
            if let Some(policy) = w
                .app
                .cors_for(http::Method::from_token(req_method.trim()), head.path())
            {
                let origin = String::from_utf8_lossy(origin);
                let req_headers = head
                    .header("access-control-request-headers")
                    .map(String::from_utf8_lossy);
                return (
                    Outcome::Ready(policy.preflight(&origin, &req_method, req_headers.as_deref())),
                    false,
                );
            }
        }
    }
    if head.method == http::Method::Other {
        // RFC 9110 §9.1: a method the server does not implement (methods are case-sensitive).
        return (
            Outcome::Ready(ResponseData::detail(501, "Not Implemented")),
            false,
        );
    }
    if head.path() == "*" {
        // `OPTIONS *` asks about the server itself (RFC 9110 §9.3.7).
        let r = ResponseData {
            status: 204,
            content_type: None,
            body: Vec::new(),
            headers: vec![(
                b"allow".to_vec(),
                b"GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS".to_vec(),
            )],
        };
        return (Outcome::Ready(r), false);
    }
    if matches!(head.method, http::Method::Get | http::Method::Head) {
        let head_only = head.method == http::Method::Head;
        if w.app.health_path.as_deref() == Some(head.path()) {
            // Liveness: this core's reactor answered; no Python involved.
            return (
                Outcome::Ready(ResponseData::json(200, br#"{"status":"ok"}"#.to_vec())),
                head_only,
            );
        }
        if w.app.ready_path.as_deref() == Some(head.path()) {
            let ctx = RequestCtx { head, body, client };
            let _py = w.interp.attached();
            return (w.app.ready(&ctx, &w.pending), head_only);
        }
    }
    if let Some(sf) = &w.app.static_files {
        // HEAD is served as GET so Content-Length is the file's; the writer drops the body.
        let method = if head.method == http::Method::Head {
            "GET"
        } else {
            &head.method_str
        };
        if let Some(r) = sf.serve(method, head.path(), &head.headers) {
            let resp = ResponseData {
                status: r.status,
                content_type: r.content_type,
                body: r.body,
                headers: r.headers,
            };
            return (Outcome::Ready(resp), head.method == http::Method::Head);
        }
    }
    match w.app.router.route_for(head.method, head.path()) {
        Match::NotFound => {
            let ctx = RequestCtx { head, body, client };
            let django = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let _py = w.interp.attached();
                w.app.fallthrough(&ctx, &w.pending)
            }))
            .unwrap_or_else(|_| {
                Some(Outcome::Ready(ResponseData::detail(
                    500,
                    "Internal Server Error",
                )))
            });
            let head_only = head.method == http::Method::Head;
            match django {
                Some(outcome) => (outcome, head_only),
                None => (
                    Outcome::Ready(ResponseData::detail(404, "Not Found")),
                    head_only,
                ),
            }
        }
        Match::MethodNotAllowed { allow } => {
            let mut r = ResponseData::detail(405, "Method Not Allowed");
            r.headers.push((b"allow".to_vec(), allow.into_bytes()));
            (Outcome::Ready(r), head.method == http::Method::Head)
        }
        Match::Options { allow } => {
            let r = ResponseData {
                status: 204,
                content_type: None,
                body: Vec::new(),
                headers: vec![(b"allow".to_vec(), allow.into_bytes())],
            };
            (Outcome::Ready(r), false)
        }
        Match::Found {
            route,
            params,
            head_only,
        } => {
            let ctx = RequestCtx { head, body, client };
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let _py = w.interp.attached();
                w.app.handle(&ctx, route, &params, &w.pending)
            }));
            match out {
                Ok(o) => (o, head_only),
                Err(_) => {
                    eprintln!(
                        "django-bolt: internal error (panic) while handling {} {}",
                        head.method_str,
                        head.path()
                    );
                    (
                        Outcome::Ready(ResponseData::detail(500, "Internal Server Error")),
                        head_only,
                    )
                }
            }
        }
    }
}

/// CORS headers for an actual response from a path bolt serves (preflights are answered in
/// `dispatch`).
fn decorate_cors(w: &Worker, head: &RequestHead, resp: &mut ResponseData) {
    let Some(origin) = head.header("origin") else {
        return;
    };
    if head.method == http::Method::Options
        && head.header("access-control-request-method").is_some()
    {
        return;
    }
    if let Some(policy) = w.app.cors_for(head.method, head.path()) {
        policy.decorate(&String::from_utf8_lossy(origin), resp);
    }
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
pub async fn serve_conn_guarded(w: Rc<Worker>, s: TcpStream, client: String) {
    let fd = s.as_raw_fd();
    let fut = serve_conn(w.clone(), s, client);
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

async fn serve_conn(w: Rc<Worker>, mut s: TcpStream, client: String) {
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
                    let resp = ResponseData::detail(e.status(), e.message());
                    write_response(&w, &mut wbuf, &resp, false, false, false);
                    let (_, _) = s.write_all(wbuf).await;
                    w.untrack(id);
                    lingering_close(s).await;
                    return;
                }
                Step::Request(head, body, used) => {
                    sent_continue = false;
                    let started =
                        (w.app.wants_timing() && !w.app.is_probe(head.path())).then(Instant::now);
                    let keep_alive = head.keep_alive && !w.stopping();
                    let (outcome, head_only) = dispatch(&w, &head, &body, &client);
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
                    if w.app.has_cors {
                        decorate_cors(&w, &head, &mut resp);
                    }
                    write_response(
                        &w,
                        &mut wbuf,
                        &resp,
                        keep_alive,
                        head_only,
                        head.minor_version == 0,
                    );
                    if let Some(t0) = started {
                        let ms = t0.elapsed().as_secs_f64() * 1e3;
                        let detail = w.app.request_log_decision(ms);
                        if w.app.access_enabled || detail.is_some() {
                            let _py = w.interp.attached();
                            if w.app.access_enabled {
                                let (m, t) = (&head.method_str, &head.target);
                                w.app
                                    .log_access(m, t, resp.status, ms, resp.body.len(), &client);
                            }
                            if let Some(slow) = detail {
                                let ctx = RequestCtx {
                                    head: &head,
                                    body: &body,
                                    client: &client,
                                };
                                w.app.log_request(&ctx, &resp, ms, slow);
                            }
                        }
                    }
                    rbuf.drain(..used);
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
                    let resp = ResponseData::detail(408, "Request Timeout");
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
