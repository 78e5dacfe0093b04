//! Requests served in the calling interpreter with no socket: the test client's path into
//! `dispatch`. The request head goes through the server's own parser and the response head
//! through the server's own writer, so routing, coercion, auth, CORS, errors and the header
//! set are the server's; only the bytes never touch a socket.
//!
//! A handler that suspends is finished here, on the calling thread: this interpreter's asyncio
//! loop is turned (`App::pump`), the thread-sensitive work queued for this thread is run
//! (`Runtime.run_thread_jobs`: Django's async ORM on the test's own database connection), and
//! otherwise the thread sleeps on the loop's epoll fd with the GIL released.

use super::dispatch::Site;
use crate::app::pending::Pending;
use crate::app::stream::{Chunk, Next};
use crate::app::websocket::{Decision, WsChannel, WsOut, WsTarget};
use crate::app::App;
use crate::compression::StreamEncoder;
use crate::http::websocket as ws;
use crate::http::{self, BodySource, DateCache, Limits, Parsed, Request, RequestHead, Response};
use crate::py::{self, Obj, PyErrText};
use pyo3::ffi;
use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// The longest one sleep on the loop's fd lasts, so Ctrl-C reaches a test waiting on a handler
/// that never finishes.
const MAX_SLEEP_MS: i32 = 50;

pub struct InProcess {
    app: App,
    pending: Pending,
    /// `Runtime.run_thread_jobs`: runs the thread-sensitive work queued for this thread.
    run_thread_jobs: Obj,
    limits: Limits,
    date: RefCell<DateCache>,
    /// The test client's open WebSockets, by token.
    sockets: RefCell<HashMap<u64, Rc<WsChannel>>>,
}

/// A WebSocket handshake as the test client sees it: the answer, and the socket's token with
/// what its handler sent right after accepting (0 and nothing when refused).
pub struct WsOpened {
    pub reply: Reply,
    pub token: u64,
    pub first: Vec<WsOut>,
}

/// A finished response as a client sees it: status, header fields in wire order, body.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    pub body: Vec<u8>,
}

impl InProcess {
    /// The application of a `Runtime` made in this interpreter with `testing=True`.
    pub fn new(rt: Obj) -> Result<InProcess, String> {
        let run_thread_jobs = rt
            .getattr(c"run_thread_jobs")
            .map_err(|e| format!("Runtime.run_thread_jobs: {e}"))?;
        let app = App::from_runtime(rt).map_err(|e| e.to_string())?;
        Ok(InProcess {
            app,
            pending: Pending::default(),
            run_thread_jobs,
            limits: Limits::default(),
            date: RefCell::new(DateCache::new()),
            sockets: RefCell::default(),
        })
    }

    /// Serves one request. `head` is a request line and header section as a client writes it
    /// (ending in an empty line); `body` the decoded body; `secure` when the client's base URL
    /// is `https://` (the scheme handlers see). Errs only when Python raised (a signal's
    /// KeyboardInterrupt while a handler was awaited, left raised).
    pub fn request(
        &self,
        head: &[u8],
        body: &[u8],
        client: &str,
        secure: bool,
    ) -> Result<Reply, PyErrText> {
        let parsed = match http::parse_request(head, &self.limits) {
            Ok(Parsed::Complete { head, .. }) => head,
            Ok(Parsed::Partial) => {
                return Ok(self.reply(&Response::detail(400, "Bad Request"), None, false))
            }
            Err(e) => {
                return Ok(self.reply(&Response::detail(e.status(), e.message()), None, false))
            }
        };
        if body.len() > self.limits.max_body_bytes {
            let resp = Response::detail(413, "Content Too Large");
            return Ok(self.reply(&resp, Some(&parsed), false));
        }
        let req = Request {
            head: &parsed,
            body,
            client,
            secure,
        };
        let site = Site {
            app: &self.app,
            pending: &self.pending,
            interp: None,
        };
        let mut respond = pin!(site.respond(&req));
        let mut cx = Context::from_waker(Waker::noop());
        let (resp, head_only, encoder) = loop {
            match respond.as_mut().poll(&mut cx) {
                Poll::Ready(done) => break done,
                Poll::Pending => self.turn()?,
            }
        };
        let mut reply = self.reply(&resp, Some(&parsed), head_only);
        if let Some(BodySource::Stream(id)) = resp.source {
            let body = if head_only {
                Ok(Vec::new())
            } else {
                self.gather(id, encoder)
            };
            self.app.close_stream(id, &self.pending);
            // The body as it arrives once de-chunked (and still encoded, as on the wire).
            reply.body = body?;
        }
        Ok(reply)
    }

    /// A streamed body, whole: the test client reads streams to their end.
    fn gather(&self, id: u64, mut encoder: Option<StreamEncoder>) -> Result<Vec<u8>, PyErrText> {
        let mut body = Vec::new();
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            let chunk = match self.app.next_chunk(id, &self.pending) {
                Next::Ready(c) => c,
                Next::Pending(token) => {
                    let mut wait = pin!(self.pending.wait_chunk(token));
                    loop {
                        match wait.as_mut().poll(&mut cx) {
                            Poll::Ready(c) => break c,
                            Poll::Pending => self.turn()?,
                        }
                    }
                }
            };
            let (data, last) = match chunk {
                Chunk::Data(d) => (d, false),
                Chunk::End(d) => (d, true),
                // Logged already; the body is cut short, as a socket client would see it.
                Chunk::Failed => return Ok(body),
            };
            let encoded = match (&mut encoder, last) {
                (None, _) => Ok(data),
                (Some(e), false) => e.chunk(&data),
                (Some(_), true) => encoder.take().expect("checked").finish(&data),
            };
            body.extend_from_slice(&encoded.map_err(|e| PyErrText(e.to_string()))?);
            if last {
                return Ok(body);
            }
        }
    }

    /// Opens a WebSocket the way a server core does (`runtime::websocket`): the handshake's
    /// checks, Origin, the route's checks and parameters, then the handler's decision. `secure`:
    /// the client's base URL is `https://` (`wss` for the handler).
    pub fn ws_open(&self, head: &[u8], client: &str, secure: bool) -> Result<WsOpened, PyErrText> {
        let refused = |resp: Response, parsed: Option<&RequestHead>| WsOpened {
            reply: self.reply(&resp, parsed, false),
            token: 0,
            first: Vec::new(),
        };
        let parsed = match http::parse_request(head, &self.limits) {
            Ok(Parsed::Complete { head, .. }) => head,
            Ok(Parsed::Partial) => return Ok(refused(Response::detail(400, "Bad Request"), None)),
            Err(e) => return Ok(refused(Response::detail(e.status(), e.message()), None)),
        };
        let Some(target) = self.app.ws_target(&parsed) else {
            return Ok(refused(Response::detail(404, "Not Found"), Some(&parsed)));
        };
        let hs = match ws::check_handshake(&parsed) {
            Ok(h) => h,
            Err(e) => return Ok(refused(Response::detail(e.status(), &e.to_string()), None)),
        };
        if !super::websocket::origin_allowed(&self.app, &parsed) {
            return Ok(refused(Response::detail(403, "Origin not allowed"), None));
        }
        let req = Request {
            head: &parsed,
            body: &[],
            client,
            secure,
        };
        let token = self.pending.register();
        let opened = match &target {
            WsTarget::Route(route, params) => {
                self.app
                    .ws_open(&req, *route, params, &hs.subprotocols, token, &self.pending)
            }
            WsTarget::Mount => self
                .app
                .ws_open_mount(&req, &hs.subprotocols, token, &self.pending),
        };
        let chan = match opened {
            Ok(c) => c,
            Err(resp) => {
                self.pending.cancel(token);
                return Ok(refused(resp, None));
            }
        };
        let mut batch = Vec::new();
        let decision = loop {
            if let Some(d) = chan.decision(&mut batch) {
                break d;
            }
            self.turn()?;
        };
        let (subprotocol, headers) = match decision {
            Decision::Accept(p, h) => (p, h),
            refusal => {
                self.app.ws_disconnect(token, ws::close::ABNORMAL, "");
                self.app.ws_forget(token, &self.pending);
                let resp = match refusal {
                    Decision::Fail => Response::detail(500, "WebSocket handler failed"),
                    Decision::Reject(resp) => resp,
                    _ => Response::detail(403, "WebSocket connection refused"),
                };
                return Ok(refused(resp, None));
            }
        };
        let mut resp = Response::empty(101);
        resp.headers
            .push((b"sec-websocket-accept".to_vec(), hs.accept.into_bytes()));
        if let Some(p) = subprotocol {
            resp.headers
                .push((b"sec-websocket-protocol".to_vec(), p.into_bytes()));
        }
        resp.headers.extend(headers);
        self.sockets.borrow_mut().insert(token, chan);
        Ok(WsOpened {
            reply: Reply {
                status: 101,
                headers: resp.headers,
                body: Vec::new(),
            },
            token,
            first: batch,
        })
    }

    /// Hands a message to a socket's handler (text or bytes), or with `None` tells it the
    /// client closed with `code`, after which the socket is forgotten.
    pub fn ws_send(&self, token: u64, message: Option<(bool, Vec<u8>)>, code: u16) {
        if !self.sockets.borrow().contains_key(&token) {
            return;
        }
        match message {
            Some((text, data)) => {
                self.app.ws_deliver(token, text, data);
            }
            None => {
                self.app.ws_disconnect(token, code, "");
                self.sockets.borrow_mut().remove(&token);
                // Let the handler see it and end, then release its token.
                let _ = self.turn();
                self.app.ws_forget(token, &self.pending);
            }
        }
    }

    /// What a socket's handler sent, waiting up to `timeout` for something (empty: nothing).
    pub fn ws_receive(&self, token: u64, timeout: Duration) -> Result<Vec<WsOut>, PyErrText> {
        let Some(chan) = self.sockets.borrow().get(&token).cloned() else {
            return Ok(Vec::new());
        };
        let deadline = Instant::now() + timeout;
        let mut out = Vec::new();
        loop {
            chan.take_all(&mut out);
            if !out.is_empty() || Instant::now() >= deadline {
                break;
            }
            self.turn()?;
        }
        let sent: usize = out
            .iter()
            .map(|o| match o {
                WsOut::Text(t) => t.len(),
                WsOut::Binary(b) => b.len(),
                _ => 0,
            })
            .sum();
        chan.wrote(sent);
        if self.app.ws_wants_resume(&chan) {
            self.app.ws_resume(token);
        }
        if out.iter().any(|o| matches!(o, WsOut::End { .. })) {
            self.sockets.borrow_mut().remove(&token);
            self.app.ws_forget(token, &self.pending);
        }
        Ok(out)
    }

    /// One turn toward a suspended handler's end: the loop's ready work, this thread's queued
    /// thread-sensitive jobs, else a sleep until the loop's fd is readable or its next timer.
    fn turn(&self) -> Result<(), PyErrText> {
        let next_timer = self.app.pump(&self.pending);
        if self.app.take_interrupted() {
            // SAFETY: attached; raises the KeyboardInterrupt the pump caught, for the caller.
            unsafe { ffi::PyErr_SetNone(ffi::PyExc_KeyboardInterrupt) };
            return Err(PyErrText("interrupted".into()));
        }
        // On failure the exception stays raised for the test (a Ctrl-C landing in those jobs is
        // the test's KeyboardInterrupt, not a RuntimeError about them).
        let ran_jobs = match py::call_keep(&self.run_thread_jobs, &[]) {
            // SAFETY: attached; comparing pointers only.
            Some(v) => v.as_ptr() == unsafe { ffi::Py_True() },
            None => return Err(PyErrText("Runtime.run_thread_jobs raised".into())),
        };
        if ran_jobs || next_timer == 0.0 {
            return Ok(());
        }
        let ms = if next_timer < 0.0 {
            MAX_SLEEP_MS
        } else {
            ((next_timer * 1e3).ceil() as i32).clamp(1, MAX_SLEEP_MS)
        };
        let mut fd = libc::pollfd {
            fd: self.app.loop_fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: attached; the GIL is released around a poll that touches no Python object and
        // taken back before anything else runs here. `fd` lives on this stack frame.
        unsafe {
            // PyErr_CheckSignals first runs a collection the GC has scheduled, then looks at
            // signals. Left for after the sleep, that collection would run with a Ctrl-C that
            // arrived during the sleep still pending, and the first finalizer (`__del__`) to
            // run Python would take it: its KeyboardInterrupt is printed as "Exception ignored"
            // and lost, and the test goes on waiting. Run the collection now, before the sleep.
            if ffi::PyErr_CheckSignals() != 0 {
                return Err(PyErrText("interrupted".into()));
            }
            let state = ffi::PyEval_SaveThread();
            libc::poll(&mut fd, 1, ms);
            ffi::PyEval_RestoreThread(state);
            if ffi::PyErr_CheckSignals() != 0 {
                // The signal's exception (KeyboardInterrupt) stays raised for the caller.
                return Err(PyErrText("interrupted".into()));
            }
        }
        Ok(())
    }

    /// The response as the connection writes it (`http::write_response`), split into its parts.
    fn reply(&self, resp: &Response, req: Option<&RequestHead>, head_only: bool) -> Reply {
        let (keep_alive, http10) =
            req.map_or((false, false), |h| (h.keep_alive, h.minor_version == 0));
        let mut out = Vec::with_capacity(256 + resp.body.len());
        let date = self.date.borrow_mut().get().to_vec();
        http::write_response(&mut out, resp, &date, keep_alive, head_only, http10);
        let head_len = memchr::memmem::find(&out, b"\r\n\r\n").map_or(out.len(), |i| i + 4);
        let mut body = out.split_off(head_len);
        if let Some(http::BodySource::File { path, offset, len }) = &resp.source {
            if !head_only && !matches!(resp.status, 100..=199 | 204 | 304) {
                // What the connection sends after the head; a test may read it in one go.
                match read_range(path, *offset, *len) {
                    Ok(bytes) => body = bytes,
                    Err(e) => eprintln!("django-bolt: test client: reading {path:?}: {e}"),
                }
            }
        }
        let headers = out
            .split(|&b| b == b'\n')
            .skip(1) // the status line
            .filter_map(|line| {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                let colon = line.iter().position(|&b| b == b':')?;
                let value = line[colon + 1..]
                    .strip_prefix(b" ")
                    .unwrap_or(&line[colon + 1..]);
                Some((line[..colon].to_vec(), value.to_vec()))
            })
            .collect();
        Reply {
            status: resp.status,
            headers,
            body,
        }
    }
}

/// `len` bytes of the file at `path` from `offset` (fewer if it shrank, as a client would see).
fn read_range(path: &std::path::Path, offset: u64, len: u64) -> std::io::Result<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut body = Vec::new();
    file.take(len).read_to_end(&mut body)?;
    Ok(body)
}

impl Drop for InProcess {
    fn drop(&mut self) {
        // Responses still owed to nobody: their handlers' Tasks are cancelled by `shutdown`.
        self.pending.abandon();
    }
}
