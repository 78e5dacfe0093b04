//! A parsed request in, a `Response` out, with no socket in sight: CORS preflights, `OPTIONS *`
//! and unknown methods, the probes, static files, then the route's handler or Django's
//! fallthrough; and on the way out, CORS headers and the request logs. The connection loop
//! calls `start` and `finish` around its wait for a suspended handler; `respond` does all three
//! for a caller with nothing else to do meanwhile (the in-process test client).

use crate::app::pending::Pending;
use crate::app::{App, Outcome, Pass};
use crate::compression::StreamEncoder;
use crate::cors::CorsPolicy;
use crate::http::{BodySource, Method, Request, Response};
use crate::py::interp::Interpreter;
use crate::router::Match;
use crate::static_files;
use std::time::Instant;

/// Where requests are dispatched: an application, its pending responses, and the interpreter to
/// attach to while Python runs (None: the caller is attached already).
#[derive(Clone, Copy)]
pub struct Site<'a> {
    pub app: &'a App,
    pub pending: &'a Pending,
    pub interp: Option<&'a Interpreter>,
}

/// A request on its way: the handler's outcome and what finishing its response needs.
pub struct Started<'a> {
    pub outcome: Outcome,
    /// HEAD: the writer sends the head only.
    pub head_only: bool,
    pub finish: Finish<'a>,
}

/// What `finish` needs from `start`.
#[derive(Clone, Copy)]
pub struct Finish<'a> {
    /// The CORS policy decided by this request's one route lookup (None: not looked up yet).
    cors: Option<Option<&'a CorsPolicy>>,
    timer: Option<Instant>,
    /// False: the route said `@no_compress`.
    compress: bool,
    /// A static file or a handler's response: a file body among them gets its 304/206/416 in
    /// `finish`, after the decision to compress it on the fly (whose weak ETag a 304 carries).
    file_conditionals: bool,
}

impl Site<'_> {
    fn attached(&self) -> Option<crate::py::interp::Attached<'_>> {
        self.interp.map(Interpreter::attached)
    }
}

impl<'a> Site<'a> {
    /// The CORS policy for a route lookup's result: the route's own, else the project's for any
    /// path bolt serves; None for paths left to Django.
    fn cors_of(&self, m: &Match) -> Option<&'a CorsPolicy> {
        match m {
            Match::Found { route, .. } => self.app.route_cors(*route),
            Match::MethodNotAllowed { .. } | Match::Options { .. } => self.app.cors_global.as_ref(),
            Match::NotFound => None,
        }
    }

    /// Routes the request and runs (or starts) its handler.
    pub fn start(&self, req: &Request) -> Started<'a> {
        let app = self.app;
        let head = req.head;
        let timer = (app.logs.wants_timing() && !app.is_probe(head.path())).then(Instant::now);
        let wants_cors = app.has_cors && head.header("origin").is_some();
        let done = |outcome, head_only| Started {
            outcome,
            head_only,
            finish: Finish {
                cors: None,
                timer,
                compress: true,
                file_conditionals: false,
            },
        };
        if wants_cors && head.method == Method::Options {
            if let Some(req_method) = head.header("access-control-request-method") {
                // A CORS preflight is answered here, without running Python.
                let req_method = String::from_utf8_lossy(req_method);
                let m = app
                    .router
                    .route_for(Method::from_token(req_method.trim()), head.path());
                if let Some(policy) = self.cors_of(&m) {
                    let origin = String::from_utf8_lossy(head.header("origin").unwrap_or(b""));
                    let req_headers = head
                        .header("access-control-request-headers")
                        .map(String::from_utf8_lossy);
                    let resp = policy.preflight(&origin, &req_method, req_headers.as_deref());
                    return Started {
                        outcome: Outcome::Ready(resp),
                        head_only: false,
                        finish: Finish {
                            cors: Some(None),
                            timer,
                            compress: true,
                            file_conditionals: false,
                        },
                    };
                }
            }
        }
        if head.method == Method::Other {
            // RFC 9110 §9.1: a method the server does not implement (methods are case-sensitive).
            return done(
                Outcome::Ready(Response::detail(501, "Not Implemented")),
                false,
            );
        }
        if head.path() == "*" {
            // `OPTIONS *` asks about the server itself (RFC 9110 §9.3.7).
            let resp = Response::empty(204)
                .with_header(b"allow", b"GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
            return done(Outcome::Ready(resp), false);
        }
        let head_only = head.method == Method::Head;
        if matches!(head.method, Method::Get | Method::Head) {
            if app.health_path.as_deref() == Some(head.path()) {
                // Liveness: this core's reactor answered; no Python involved.
                let resp = Response::json(200, br#"{"status":"ok"}"#.to_vec());
                return done(Outcome::Ready(resp), head_only);
            }
            if app.ready_path.as_deref() == Some(head.path()) {
                let _py = self.attached();
                return done(app.ready(req, self.pending), head_only);
            }
        }
        if let Some(sf) = &app.static_files {
            // HEAD is served as GET so Content-Length is the file's; the writer drops the body.
            let method = if head_only { "GET" } else { &head.method_str };
            if let Some(resp) = sf.find(method, head.path(), &head.headers) {
                let mut started = done(Outcome::Ready(resp), head_only);
                started.finish.file_conditionals = true;
                return started;
            }
        }
        let m = app.router.route_for(head.method, head.path());
        let cors = wants_cors.then(|| self.cors_of(&m));
        let (compress, logged) = match &m {
            Match::Found { route, .. } => (app.routes[*route].compress, app.routes[*route].logged),
            _ => (true, true),
        };
        let file_conditionals = matches!(m, Match::Found { .. });
        let (outcome, head_only) = match m {
            Match::NotFound => {
                let django = contained(head, || {
                    let _py = self.attached();
                    app.fallthrough(req, self.pending)
                })
                .unwrap_or_else(|| Some(internal_error()));
                let outcome =
                    django.unwrap_or_else(|| Outcome::Ready(Response::detail(404, "Not Found")));
                (outcome, head_only)
            }
            Match::MethodNotAllowed { allow } => {
                let resp = Response::detail(405, "Method Not Allowed")
                    .with_header(b"allow", allow.as_bytes());
                (Outcome::Ready(resp), head_only)
            }
            Match::Options { allow } => {
                let resp = Response::empty(204).with_header(b"allow", allow.as_bytes());
                (Outcome::Ready(resp), false)
            }
            Match::Found {
                route,
                params,
                head_only,
            } => {
                let outcome = contained(head, || {
                    let _py = self.attached();
                    app.handle(req, route, &params, self.pending, Pass::First)
                })
                .unwrap_or_else(internal_error);
                // An explicit `@api.head` route answers HEAD too: its body must not be sent
                // either (RFC 9110 §9.3.2), or it would be read as the next response.
                (outcome, head_only || head.method == Method::Head)
            }
        };
        Started {
            outcome,
            head_only,
            finish: Finish {
                cors,
                timer: timer.filter(|_| logged),
                compress,
                file_conditionals,
            },
        }
    }

    /// Handles a request again once its hold (`Outcome::Held`) is over: verified with the keys
    /// the refresh brought, or refused as before it.
    pub fn resume(&self, req: &Request) -> Outcome {
        let app = self.app;
        match app.router.route_for(req.head.method, req.head.path()) {
            Match::Found { route, params, .. } => contained(req.head, || {
                let _py = self.attached();
                app.handle(req, route, &params, self.pending, Pass::AfterHold)
            })
            .unwrap_or_else(internal_error),
            // The same request found its route on the first pass.
            _ => internal_error(),
        }
    }

    /// Adds CORS headers to an actual response from a path bolt serves (preflights are answered
    /// in `start`), compresses it, and writes the request logs. A streamed response gets the
    /// encoder its chunks go through instead (None: sent as they come).
    pub fn finish(
        &self,
        req: &Request,
        started: Finish<'a>,
        resp: &mut Response,
    ) -> Option<StreamEncoder> {
        let app = self.app;
        let mut encoder = None;
        let compression = app.compression.as_ref().filter(|_| started.compress);
        let accept = req.head.header("accept-encoding");
        if started.file_conditionals {
            // A small text file is compressed like any body: decided on its 200, before the
            // conditionals (a 304 then carries the compressed 200's weak ETag and its Vary).
            let ranged = req.head.header("range").is_some();
            let coding = compression.and_then(|c| c.plan_file(accept, ranged, resp));
            let method = req.head.method;
            static_files::apply_conditionals(
                resp,
                method == Method::Get,
                method == Method::Head,
                &req.head.headers,
            );
            if coding.is_some() {
                match &resp.source {
                    Some(BodySource::File { path, offset, len }) => {
                        // Only from the page cache: the core never waits for the disk. A file
                        // that is not cached goes out from disk as it is this time.
                        if let Some(bytes) = static_files::read_cached(path, *offset, *len) {
                            resp.body = bytes;
                            resp.source = None;
                        }
                    }
                    _ if resp.status == 304 => crate::compression::weaken_etag(resp),
                    _ => {}
                }
            }
        }
        if let Some(c) = compression {
            if matches!(resp.source, Some(BodySource::Stream(_))) {
                encoder = c.for_stream(accept, resp);
            } else {
                // HEAD gets the head GET would have: its body is here, the writer drops it.
                c.apply(accept, resp);
            }
        }
        if app.has_cors {
            if let Some(origin) = req.head.header("origin") {
                let preflight = req.head.method == Method::Options
                    && req.head.header("access-control-request-method").is_some();
                let policy = match started.cors {
                    Some(p) => p,
                    // Answered before routing (probes, static files): look it up now, once.
                    None if !preflight => {
                        self.cors_of(&app.router.route_for(req.head.method, req.head.path()))
                    }
                    None => None,
                };
                if let (Some(policy), false) = (policy, preflight) {
                    policy.decorate(&String::from_utf8_lossy(origin), resp);
                }
            }
        }
        if let Some(t0) = started.timer {
            let ms = t0.elapsed().as_secs_f64() * 1e3;
            let detail = app.logs.decision(ms, resp.status);
            let nbytes = body_len(resp);
            let py_access =
                app.logs.access_enabled && !app.logs.access_native(req, resp.status, ms, nbytes);
            if py_access || detail.is_some() {
                let _py = self.attached();
                if py_access {
                    app.logs.access(app.hooks(), req, resp.status, ms, nbytes);
                }
                if let Some(slow) = detail {
                    app.logs.request(app.hooks(), req, resp, ms, slow);
                }
            }
        }
        encoder
    }

    /// An error the connection answers before `start` could run (a body over `--max-body`, a
    /// file part over its `File(max_size=...)` while the body arrives), for a request whose head
    /// was read: shaped by its route's `error_formatter` and given the route's CORS headers, as
    /// the errors `start` answers are; without them a browser cannot read why it was refused.
    pub fn refusal(&self, req: &Request, resp: Response) -> Response {
        let app = self.app;
        let m = app.router.route_for(req.head.method, req.head.path());
        let mut resp = match &m {
            Match::Found { route, params, .. } => contained(req.head, || {
                let _py = self.attached();
                app.shaped(*route, req, params, resp.clone())
            })
            .unwrap_or(resp),
            _ => resp,
        };
        if app.has_cors {
            if let (Some(origin), Some(policy)) = (req.head.header("origin"), self.cors_of(&m)) {
                policy.decorate(&String::from_utf8_lossy(origin), &mut resp);
            }
        }
        resp
    }

    /// `start`, the wait for a suspended handler, and `finish`: the response, whether only its
    /// head is to be sent, and a streamed body's encoder. Its caller polls it again after every
    /// turn of the loop (the test client): a hold is checked on each poll, no waker is kept.
    pub async fn respond(&self, req: &Request<'_>) -> (Response, bool, Option<StreamEncoder>) {
        let Started {
            mut outcome,
            head_only,
            finish,
        } = self.start(req);
        let mut resp = loop {
            match outcome {
                Outcome::Ready(r) => break r,
                Outcome::Pending(token) => break self.pending.wait(token).await,
                Outcome::Held(hold) => {
                    std::future::poll_fn(|_| {
                        if hold.over(Instant::now()) {
                            std::task::Poll::Ready(())
                        } else {
                            std::task::Poll::Pending
                        }
                    })
                    .await;
                    outcome = self.resume(req);
                }
            }
        };
        let encoder = self.finish(req, finish, &mut resp);
        (resp, head_only, encoder)
    }
}

/// Runs `f`, containing a panic: logged, answered with 500, the core goes on (DESIGN.md §3).
fn contained<T>(head: &crate::http::RequestHead, f: impl FnOnce() -> T) -> Option<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(v) => Some(v),
        Err(_) => {
            eprintln!(
                "django-bolt: internal error (panic) while handling {} {}",
                head.method_str,
                head.path()
            );
            None
        }
    }
}

/// The body's size for the access log: a file's is not in memory.
fn body_len(resp: &Response) -> usize {
    match &resp.source {
        Some(crate::http::BodySource::File { len, .. }) => {
            usize::try_from(*len).unwrap_or(usize::MAX)
        }
        _ => resp.body.len(),
    }
}

fn internal_error() -> Outcome {
    Outcome::Ready(Response::detail(500, "Internal Server Error"))
}
