//! WebSocket handlers in this interpreter: opening one (the route's checks, its parameters,
//! its `WebSocket` object and Task), and the traffic between the handler and its connection.
//!
//! The handler runs as a Task on the core's asyncio loop, like a suspended HTTP handler. What
//! it sends is appended to the Python hub's `outbox` (`django_bolt.websocket.hub`); Rust drains
//! that list after every call into Python that may have run the handler (the loop's turns,
//! the Task's eager start) into per-connection queues here, which the connection loop
//! (`runtime::websocket`) writes out. What the client sends goes the other way through
//! `WsHub::deliver`. Each socket holds a pending token for the life of its handler, so the
//! worker keeps turning the loop while any handler is alive; the token is also the socket's id.

use super::handle::Pass;
use super::pending::Pending;
use super::plan::{attr, PlanError};
use super::App;
use crate::auth::authenticate::Denied;
use crate::codec::decode::to_python;
use crate::http::websocket::close as close_code;
use crate::http::{self, Method, Request, RequestHead, Response};
use crate::params::extract::{Extract, Extractor};
use crate::py::{self, Obj};
use crate::router::Match;
use crate::validation;
use pyo3::ffi;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// `BOLT_WS_*` settings, read once at boot.
#[derive(Debug, Clone)]
pub struct WsConfig {
    /// The largest message (all its fragments) a client may send; 1009 past it.
    pub max_message: usize,
    /// How often the server pings a connection.
    pub heartbeat: Duration,
    /// A client that sends nothing (a pong included) for this long is closed; zero: never.
    pub client_timeout: Duration,
    /// Queued outgoing bytes past which a handler's `send` waits for the socket.
    pub send_high_water: usize,
    /// Open WebSockets (and handshakes in progress) the whole server allows; past it an
    /// upgrade gets 503. Zero refuses every upgrade, as in django-bolt.
    pub max_connections: usize,
}

/// What a connection is asked to do, in order.
#[derive(Debug)]
pub enum WsOut {
    Accept {
        subprotocol: Option<String>,
        headers: Vec<(Vec<u8>, Vec<u8>)>,
    },
    Text(String),
    Binary(Vec<u8>),
    Close(u16, String),
    /// The handler is over: `failed` when it raised; `code`/`reason` for the close frame
    /// when it has not closed itself.
    End {
        code: u16,
        reason: String,
        failed: bool,
    },
    /// The handler refused the handshake by raising an `HTTPException` (its authentication or
    /// guards did): this response instead of the 101.
    Reject(Response),
    /// Control frames the connection itself sends.
    Pong(Vec<u8>),
    Ping,
    /// The reader is done: write what is left and end.
    Stop,
}

impl WsOut {
    fn size(&self) -> usize {
        match self {
            WsOut::Text(t) => t.len(),
            WsOut::Binary(b) => b.len(),
            _ => 0,
        }
    }
}

/// One socket's queue of things to send, and the task waiting on it.
#[derive(Default)]
pub struct WsChannel {
    queue: RefCell<VecDeque<WsOut>>,
    waker: RefCell<Option<Waker>>,
    queued: Cell<usize>,
    /// The handler told its `send` to wait (queue past the high-water mark).
    choked: Cell<bool>,
    /// The handler's Task is over.
    pub ended: Cell<bool>,
    /// The 101 went out: the socket is open (a shutdown closes it with 1001).
    pub open: Cell<bool>,
}

impl WsChannel {
    pub fn push(&self, o: WsOut) {
        self.queued.set(self.queued.get() + o.size());
        self.queue.borrow_mut().push_back(o);
        if let Some(w) = self.waker.borrow_mut().take() {
            w.wake();
        }
    }

    /// Takes everything queued (empty: nothing yet).
    pub fn take_all(&self, into: &mut Vec<WsOut>) {
        into.extend(self.queue.borrow_mut().drain(..));
    }

    /// Resolves once something is queued.
    pub fn ready(self: &Rc<Self>) -> Ready {
        Ready(self.clone())
    }

    /// The bytes queued and not yet written out.
    pub fn queued(&self) -> usize {
        self.queued.get()
    }

    /// `n` bytes of messages went to the socket.
    pub fn wrote(&self, n: usize) {
        self.queued.set(self.queued.get().saturating_sub(n));
    }
}

/// How a handler answered its handshake.
pub enum Decision {
    Accept(Option<String>, Vec<(Vec<u8>, Vec<u8>)>),
    /// It closed or returned first: 403.
    Refuse,
    /// It raised first: 500.
    Fail,
    /// It raised an `HTTPException` first (a Python authenticator or guard): that response.
    Reject(Response),
}

impl WsChannel {
    /// The handler's decision once it has made one, moving what it queued into `batch` (what
    /// follows the decision stays there for the connection to send).
    pub fn decision(&self, batch: &mut Vec<WsOut>) -> Option<Decision> {
        self.take_all(batch);
        let pos = batch.iter().position(|o| {
            matches!(
                o,
                WsOut::Accept { .. } | WsOut::Close(..) | WsOut::End { .. } | WsOut::Reject(_)
            )
        });
        let Some(pos) = pos else {
            // Nothing else comes before a decision (`send` refuses before `accept`).
            batch.clear();
            return None;
        };
        let first = batch.drain(..=pos).next_back().expect("found");
        Some(match first {
            WsOut::Accept {
                subprotocol,
                headers,
            } => Decision::Accept(subprotocol, headers),
            WsOut::End { failed: true, .. } => Decision::Fail,
            WsOut::Reject(resp) => Decision::Reject(resp),
            _ => Decision::Refuse,
        })
    }
}

pub struct Ready(Rc<WsChannel>);

impl Future for Ready {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0.queue.borrow().is_empty() {
            *self.0.waker.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }
}

// Outbox operations (`django_bolt/websocket/hub.py` writes the same numbers).
const OP_ACCEPT: i64 = 0;
const OP_TEXT: i64 = 1;
const OP_BYTES: i64 = 2;
const OP_CLOSE: i64 = 3;
const OP_END: i64 = 4;
const OP_REJECT: i64 = 5;

/// The Python hub's entry points and the open sockets' queues.
pub struct WsHub {
    open: Obj,
    start: Obj,
    deliver: Obj,
    backlog: Obj,
    disconnect: Obj,
    resume: Obj,
    choke: Obj,
    outbox: Obj,
    open_mount: Obj,
    chans: RefCell<HashMap<u64, Rc<WsChannel>>>,
    /// Handlers started and not ended yet (their sockets may be gone already).
    live: Cell<usize>,
    pub config: WsConfig,
}

impl WsHub {
    pub(super) fn load(rt: &Obj) -> Result<WsHub, PlanError> {
        let hub = attr(rt, c"websockets")?;
        let cfg = attr(&hub, c"config")?;
        let num = |name: &std::ffi::CStr| -> Result<f64, PlanError> {
            let v = attr(&cfg, name)?;
            // SAFETY: attached.
            let f = unsafe { ffi::PyFloat_AsDouble(v.as_ptr()) };
            if f.is_finite() && f >= 0.0 {
                Ok(f)
            } else {
                let _ = py::take_exc();
                Err(PlanError::Invalid(format!(
                    "websocket setting {} must be a number of 0 or more",
                    name.to_string_lossy()
                )))
            }
        };
        Ok(WsHub {
            config: WsConfig {
                max_message: num(c"max_message_size")? as usize,
                heartbeat: Duration::from_secs_f64(num(c"heartbeat_interval")?.max(0.01)),
                client_timeout: Duration::from_secs_f64(num(c"client_timeout")?),
                send_high_water: num(c"send_high_water")? as usize,
                max_connections: num(c"max_connections")? as usize,
            },
            open: attr(&hub, c"open")?,
            start: attr(&hub, c"start")?,
            deliver: attr(&hub, c"deliver")?,
            backlog: attr(&hub, c"backlog")?,
            disconnect: attr(&hub, c"disconnect")?,
            resume: attr(&hub, c"resume")?,
            choke: attr(&hub, c"choke")?,
            outbox: attr(&hub, c"outbox")?,
            open_mount: attr(&hub, c"open_mount")?,
            chans: RefCell::default(),
            live: Cell::new(0),
        })
    }
}

/// Where a WebSocket handshake goes.
pub enum WsTarget<'p> {
    /// A bolt WebSocket route, with its raw path parameters.
    Route(usize, Vec<(&'p str, &'p str)>),
    /// No route has the path: a mounted ASGI app that takes WebSockets claims it.
    Mount,
}

impl App {
    /// Where a request goes when it is a WebSocket one: a GET on a WebSocket route (a plain GET
    /// there gets 426 from the handshake check), or an upgrade no route claims under an ASGI
    /// mount that takes WebSockets (a plain GET there is HTTP, for the mount's app). `None`:
    /// an HTTP request.
    pub fn ws_target<'p>(&'p self, head: &'p RequestHead) -> Option<WsTarget<'p>> {
        if head.method != Method::Get {
            return None;
        }
        // The header first: a plain GET costs no route lookup here when only mounts take
        // WebSockets.
        let to_mount = !self.ws_mounts.is_empty() && asks_for_websocket(head);
        if !self.has_websocket && !to_mount {
            return None;
        }
        match self.router.route_for(Method::Get, head.path()) {
            Match::Found { route, params, .. } if self.routes[route].websocket => {
                Some(WsTarget::Route(route, params))
            }
            Match::NotFound if to_mount && self.under_ws_mount(head.path()) => {
                Some(WsTarget::Mount)
            }
            _ => None,
        }
    }

    /// Whether `path` is under a mount that takes WebSockets (the prefix checked on the raw
    /// path; Python checks it again, decoded, and answers 404 when it disagrees).
    fn under_ws_mount(&self, path: &str) -> bool {
        self.ws_mounts.iter().any(|p| {
            p == "/"
                || path
                    .strip_prefix(p.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
    }

    /// Opens a WebSocket to a mounted ASGI app (`Hub.open_mount`): the app's Task starts and
    /// its first decision is awaited as for a route's handler. Mounts run outside bolt's route
    /// checks (authentication, guards, rate limits), as their HTTP requests do.
    pub fn ws_open_mount(
        &self,
        req: &Request,
        subprotocols: &[String],
        token: u64,
        pending: &Pending,
    ) -> Result<Rc<WsChannel>, Response> {
        let hub = &self.ws;
        let protocols = py::tuple(subprotocols.iter().map(|s| py::new_str(s)).collect());
        let opened = py::call(
            &hub.open_mount,
            &[
                &py::new_int(token as i64),
                &py::new_str(req.head.path()),
                &py::new_str(req.head.query().unwrap_or("")),
                &super::handle::header_list(req),
                &py::new_str(&self.trusted_proxies.client_str(req)),
                &protocols,
                &py::new_str(match self.trusted_proxies.scheme(req) {
                    "https" => "wss",
                    _ => "ws",
                }),
            ],
        )
        .map_err(|e| {
            eprintln!("django-bolt: cannot open a WebSocket to a mounted app: {e}");
            Response::detail(500, "Internal Server Error")
        })?;
        // SAFETY: attached; comparing identities.
        if opened.as_ptr() == unsafe { ffi::Py_None() } {
            return Err(Response::detail(404, "Not Found"));
        }
        let coro = py::tuple_item(opened.as_ptr(), 0);
        let ws = py::tuple_item(opened.as_ptr(), 1);
        self.ws_start(token, &coro, &ws, pending)
    }

    /// Runs a handler's coroutine as the socket's Task; its first decision may be made already.
    fn ws_start(
        &self,
        token: u64,
        coro: &Obj,
        ws: &Obj,
        pending: &Pending,
    ) -> Result<Rc<WsChannel>, Response> {
        let hub = &self.ws;
        let chan = Rc::new(WsChannel::default());
        hub.chans.borrow_mut().insert(token, chan.clone());
        if let Err(e) = py::call(&hub.start, &[&py::new_int(token as i64), coro, ws]) {
            hub.chans.borrow_mut().remove(&token);
            eprintln!("django-bolt: cannot start a WebSocket handler: {e}");
            return Err(Response::detail(500, "Internal Server Error"));
        }
        hub.live.set(hub.live.get() + 1);
        // Started eagerly: it may have accepted (and sent) already.
        self.ws_drain(pending);
        Ok(chan)
    }

    /// Opens a WebSocket on `route` for a valid handshake: the route's limits, authentication
    /// and guards, its parameters (the `WebSocket` object among them), then the handler's Task.
    /// `token` (from `pending.register`) names the socket. The response refusing it, else the
    /// socket's queue, which holds the handler's first decision (accept or close) once it
    /// has made one.
    pub fn ws_open(
        &self,
        req: &Request,
        route: usize,
        path_params: &[(&str, &str)],
        subprotocols: &[String],
        token: u64,
        pending: &Pending,
    ) -> Result<Rc<WsChannel>, Response> {
        let claims = match self.admit(req, route, Pass::Unheld) {
            Ok(c) => c,
            Err(Denied::Refused(resp)) => return Err(resp),
            // Not asked for (`Pass::Unheld`); refused as an unknown key is.
            Err(Denied::Held(_)) => return Err(Response::detail(401, "invalid token")),
        };
        let r = &self.routes[route];
        let hub = &self.ws;
        let pp = super::handle::path_params_dict(path_params);
        let protocols = py::tuple(subprotocols.iter().map(|s| py::new_str(s)).collect());
        let claims_obj = claims
            .as_ref()
            .and_then(|c| to_python(c.value()).ok())
            .unwrap_or_else(py::none);
        let ws = py::call(
            &hub.open,
            &[
                &py::new_int(token as i64),
                &py::new_str(req.head.path()),
                &py::new_str(req.head.query().unwrap_or("")),
                &super::handle::header_list(req),
                &pp,
                &py::new_str(&self.trusted_proxies.client_str(req)),
                &protocols,
                &claims_obj,
                // RFC 6455 §3: `wss` where an HTTP request would be `https`.
                &py::new_str(match self.trusted_proxies.scheme(req) {
                    "https" => "wss",
                    _ => "ws",
                }),
            ],
        )
        .map_err(|e| {
            eprintln!("django-bolt: cannot build WebSocket: {e}");
            Response::detail(500, "Internal Server Error")
        })?;
        let extractor = Extractor {
            parsers: &self.parsers,
            parse_multipart: &self.hooks.parse_multipart,
            max_param_len: self.max_param_len,
        };
        let args = match extractor.extract(&r.params, &r.needs, req, path_params, || ws.clone()) {
            Ok(a) => a,
            Err(Extract::Invalid(issues)) => {
                return Err(Response::json(422, validation::render_issues(&issues)))
            }
            Err(Extract::Response(resp)) => return Err(resp),
            Err(Extract::Raised) => return Err(self.exception_to_response(req)),
        };
        let ptrs: Vec<*mut ffi::PyObject> = args.iter().map(Obj::as_ptr).collect();
        // SAFETY: attached; `ptrs` are live for the call; every argument is a keyword named by
        // `kwnames` (a tuple of the same length).
        let coro = unsafe {
            Obj::from_owned(ffi::PyObject_Vectorcall(
                r.handler.as_ptr(),
                ptrs.as_ptr(),
                0,
                r.kwnames.as_ptr(),
            ))
        };
        let Some(coro) = coro else {
            return Err(self.exception_to_response(req));
        };
        self.ws_start(token, &coro, &ws, pending)
    }

    /// Hands a client's message to its handler (`text`: a UTF-8 checked text message); returns
    /// how many of its messages the handler has not read yet.
    pub fn ws_deliver(&self, token: u64, text: bool, data: Vec<u8>) -> usize {
        let msg = if text {
            // SAFETY: the assembler checked the bytes are UTF-8.
            py::new_str(unsafe { std::str::from_utf8_unchecked(&data) })
        } else {
            py::new_bytes(&data)
        };
        match py::call(&self.ws.deliver, &[&py::new_int(token as i64), &msg]) {
            Ok(n) => py::as_i64(n.as_ptr()).unwrap_or(0).max(0) as usize,
            Err(e) => {
                eprintln!("django-bolt: websocket deliver: {e}");
                0
            }
        }
    }

    /// How many of the client's messages the handler has not read yet.
    pub fn ws_backlog(&self, token: u64) -> usize {
        match py::call(&self.ws.backlog, &[&py::new_int(token as i64)]) {
            Ok(n) => py::as_i64(n.as_ptr()).unwrap_or(0).max(0) as usize,
            Err(e) => {
                eprintln!("django-bolt: websocket backlog: {e}");
                0
            }
        }
    }

    /// Tells a handler its client is gone (or closed with `code`); its next `receive` raises
    /// `WebSocketDisconnect`.
    pub fn ws_disconnect(&self, token: u64, code: u16, reason: &str) {
        let args = [
            &py::new_int(token as i64),
            &py::new_int(code as i64),
            &py::new_str(reason),
        ];
        if let Err(e) = py::call(&self.ws.disconnect, &args) {
            eprintln!("django-bolt: websocket disconnect: {e}");
        }
    }

    /// The connection wrote out its queue: a handler waiting in `send` goes on.
    pub fn ws_resume(&self, token: u64) {
        if let Err(e) = py::call(&self.ws.resume, &[&py::new_int(token as i64)]) {
            eprintln!("django-bolt: websocket resume: {e}");
        }
    }

    /// Whether a socket's queue is back under half the high-water mark after a write, with
    /// its handler waiting for that: the caller then attaches and calls `ws_resume`.
    pub fn ws_wants_resume(&self, chan: &WsChannel) -> bool {
        if chan.choked.get() && chan.queued() <= self.ws.config.send_high_water / 2 {
            chan.choked.set(false);
            return true;
        }
        false
    }

    /// The connection is over: its queue goes. The token stays registered while the handler
    /// runs (the loop keeps turning for it) and is released when it ends.
    pub fn ws_forget(&self, token: u64, pending: &Pending) {
        let chan = self.ws.chans.borrow_mut().remove(&token);
        if chan.is_some_and(|c| c.ended.get()) {
            pending.cancel(token);
        }
    }

    /// How many handlers are still running (the shutdown drain waits for them to end).
    pub fn ws_live(&self) -> usize {
        self.ws.live.get()
    }

    /// Shutdown: every open socket is closed with 1001 (Going Away) and its handler told so
    /// (its next `receive` or `send` raises `WebSocketDisconnect(1001)`). Handshakes still
    /// waiting for their handler's decision are refused by their connection instead.
    pub fn ws_going_away(&self, pending: &Pending) {
        const REASON: &str = "server shutting down";
        let open: Vec<(u64, Rc<WsChannel>)> = self
            .ws
            .chans
            .borrow()
            .iter()
            .filter(|(_, c)| c.open.get())
            .map(|(t, c)| (*t, c.clone()))
            .collect();
        for (token, chan) in open {
            chan.push(WsOut::Close(close_code::GOING_AWAY, REASON.to_owned()));
            self.ws_disconnect(token, close_code::GOING_AWAY, REASON);
        }
        pending.nudge();
    }

    /// Moves what handlers sent (the Python `outbox`) to their sockets' queues. Called after
    /// every turn of the loop and after a handler's eager start.
    pub(super) fn ws_drain(&self, pending: &Pending) {
        let Some(items) = py::take_items(&self.ws.outbox) else {
            return;
        };
        let mut choke = Vec::new();
        for item in py::seq_items(items.as_ptr()).unwrap_or_default() {
            let token = py::as_i64(py::tuple_item(item, 0).as_ptr()).unwrap_or(0) as u64;
            let op = py::as_i64(py::tuple_item(item, 1).as_ptr()).unwrap_or(-1);
            let a = py::tuple_item(item, 2);
            let b = py::tuple_item(item, 3);
            let chan = self.ws.chans.borrow().get(&token).cloned();
            let out = match op {
                OP_ACCEPT => WsOut::Accept {
                    subprotocol: py::str_of(a.as_ptr()).map(str::to_owned),
                    headers: header_pairs(&b),
                },
                OP_TEXT => WsOut::Text(py::str_of(a.as_ptr()).unwrap_or("").to_owned()),
                OP_BYTES => WsOut::Binary(py::bytes_of(a.as_ptr()).unwrap_or_default()),
                OP_CLOSE => WsOut::Close(
                    py::as_i64(a.as_ptr()).unwrap_or(1000) as u16,
                    py::str_of(b.as_ptr()).unwrap_or("").to_owned(),
                ),
                OP_REJECT => WsOut::Reject(self.http_exception(&a)),
                OP_END => {
                    self.ws.live.set(self.ws.live.get().saturating_sub(1));
                    let failed = py::as_i64(a.as_ptr()).is_none();
                    match &chan {
                        Some(c) => c.ended.set(true),
                        // Its connection is gone already: nothing holds the token any more.
                        None => pending.cancel(token),
                    }
                    WsOut::End {
                        code: py::as_i64(a.as_ptr()).unwrap_or(1011) as u16,
                        reason: py::str_of(b.as_ptr()).unwrap_or("").to_owned(),
                        failed,
                    }
                }
                _ => continue,
            };
            let _ = py::take_exc();
            if let Some(c) = chan {
                c.push(out);
                if !c.choked.get() && c.queued() > self.ws.config.send_high_water {
                    c.choked.set(true);
                    choke.push(token);
                }
            }
        }
        for token in choke {
            if let Err(e) = py::call(&self.ws.choke, &[&py::new_int(token as i64)]) {
                eprintln!("django-bolt: websocket choke: {e}");
            }
        }
    }
}

/// Whether the request's `Upgrade` names `websocket` (RFC 9110 §7.8: a list of protocols).
fn asks_for_websocket(head: &RequestHead) -> bool {
    head.header("upgrade").is_some_and(|v| {
        v.split(|&b| b == b',')
            .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"websocket"))
    })
}

/// `[(name, value)]` of str or bytes, as `accept(headers=...)` takes them.
fn header_pairs(list: &Obj) -> Vec<(Vec<u8>, Vec<u8>)> {
    let text = |o: *mut ffi::PyObject| {
        py::bytes_of(o).or_else(|| py::str_of(o).map(|s| s.as_bytes().to_vec()))
    };
    py::seq_items(list.as_ptr())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|pair| {
            let k = text(py::tuple_item(pair, 0).as_ptr())?;
            let v = text(py::tuple_item(pair, 1).as_ptr())?;
            (http::valid_header_name(&k) && http::valid_header_value(&v))
                .then(|| (k.to_ascii_lowercase(), v))
        })
        .collect()
}
