//! The application as one worker's interpreter holds it: the route table with its Python
//! handlers, and the request → handler → response step.
//!
//! Everything here runs attached to the worker's own sub-interpreter; `App` is created, used and
//! dropped on that one thread.

use crate::http::RequestHead;
use crate::json::{self, EncodeTypes, Encoder};
use crate::params::{
    self, Kind, ParamPlan, Parsers, ValidationIssue, F_DEFAULT, F_LIST, F_OPTIONAL,
};
use crate::pending::Pending;
use crate::py::{self, Obj, PyErrText};
use crate::router::Router;
use pyo3::ffi;
use sonic_rs::JsonValueTrait;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::CStr;
use std::ptr::null_mut;
use std::time::{Duration, Instant};

/// A response ready to be written.
#[derive(Debug)]
pub struct ResponseData {
    pub status: u16,
    pub content_type: Option<Vec<u8>>,
    pub body: Vec<u8>,
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
}

pub const JSON_CT: &[u8] = b"application/json";

impl ResponseData {
    pub fn json(status: u16, body: Vec<u8>) -> Self {
        ResponseData {
            status,
            content_type: Some(JSON_CT.to_vec()),
            body,
            headers: Vec::new(),
        }
    }

    pub fn detail(status: u16, detail: &str) -> Self {
        #[derive(serde::Serialize)]
        struct D<'a> {
            detail: &'a str,
        }
        Self::json(status, sonic_rs::to_vec(&D { detail }).unwrap_or_default())
    }
}

pub enum Outcome {
    Ready(ResponseData),
    Pending(u64),
}

/// What shapes a handler's return value into a response: the route's status code, and the
/// route whose declared response type (if any) the value is encoded through.
#[derive(Clone, Copy)]
struct Reply {
    status: u16,
    route: Option<usize>,
}

impl Reply {
    /// Django's own views: 200 unless the view says otherwise, no declared type.
    const DJANGO: Reply = Reply {
        status: 200,
        route: None,
    };
}

pub struct Route {
    pub method: String,
    pub path: String,
    handler: Obj,
    status: u16,
    params: Vec<ParamPlan>,
    /// Names for vectorcall keywords, in plan order.
    kwnames: Obj,
    blocking: Blocking,
    needs: Needs,
    /// This route's own CORS policy (`@cors`), replacing the project's.
    cors: Option<crate::cors::CorsPolicy>,
    limit: Option<crate::ratelimit::Limit>,
    security: Option<Security>,
    /// The declared response type's plan capsule (`response_model=` or the return annotation).
    response: Option<Obj>,
    /// An `async def` endpoint: it cannot touch the database on the worker thread (Django
    /// refuses sync ORM calls under a running loop), so it needs no housekeeping there.
    is_async: bool,
}

/// A JWT authenticator of a route: where its token comes from and how it is checked.
struct JwtAuth {
    verifier: crate::auth::jwt::JwtVerifier,
    header: String,
    cookie: Option<String>,
}

/// Authentication and the guards Rust can decide for one route.
enum Authenticator {
    Jwt(Box<JwtAuth>),
    ApiKey(crate::auth::apikey::ApiKeyAuth),
}

struct Security {
    authenticators: Vec<Authenticator>,
    /// None when the guards need Python (the endpoint wrapper checks them).
    guard: Option<crate::auth::guard::Guard>,
}

/// Where a `def` handler runs. `Auto` (the default) runs it inline and moves it to the
/// per-core pool after it has blocked the reactor for longer than the threshold a few times.
enum Blocking {
    Always,
    Never,
    Auto {
        slow_calls: Cell<u32>,
        promoted: Cell<bool>,
    },
}

/// Consecutive slow inline calls after which an `Auto` handler moves to the pool.
const SLOW_CALLS_TO_PROMOTE: u32 = 3;

/// What a handler sees of one request.
pub struct RequestCtx<'a> {
    pub head: &'a RequestHead,
    pub body: &'a [u8],
    pub client: &'a str,
}

pub struct App {
    pub routes: Vec<Route>,
    pub router: Router,
    rt: Obj,
    types: EncodeTypes,
    parsers: Parsers,
    response_cls: Obj,
    httpexc_cls: Obj,
    request_cls: Obj,
    parse_multipart: Obj,
    start_task: Obj,
    pump_fn: Obj,
    completed: Obj,
    run_blocking: Obj,
    handle_exception: Obj,
    access_fn: Obj,
    set_running_loop: Obj,
    event_loop: Obj,
    /// `Runtime.django_call` when non-API paths go to Django.
    django: Option<Obj>,
    django_blocking: Blocking,
    /// Built-in probes: `/health` answered here, `/ready` through `Runtime.ready_call`.
    pub health_path: Option<String>,
    pub ready_path: Option<String>,
    ready_call: Obj,
    trusted_proxies: crate::ratelimit::TrustedProxies,
    apikey_cache: crate::auth::apikey::ApiKeyCache,
    buckets: RefCell<crate::ratelimit::Buckets>,
    /// The project's CORS policy (CORS_* settings).
    cors_global: Option<crate::cors::CorsPolicy>,
    /// True when any policy exists, so requests without one skip the lookups.
    pub has_cors: bool,
    /// STATIC_URL/MEDIA_URL served from disk in Rust, before routing.
    pub static_files: Option<crate::static_files::StaticFiles>,
    /// Request/response logging (LoggingConfig): the share of requests logged at INFO, and the
    /// duration past which every request is logged as slow (negative: off).
    log_sample_rate: f64,
    log_slow_ms: f64,
    log_request_fn: Obj,
    /// xorshift state for sampling; per worker, so no synchronisation.
    rng: Cell<u64>,
    pub access_enabled: bool,
    blocking_threshold: Duration,
    /// Status, method, path and Accept of each request whose handler is still running.
    inflight: RefCell<HashMap<u64, (Reply, String, String, String)>>,
    /// Django's per-request housekeeping on the worker thread (`Lifecycle.begin`/`end`), and
    /// the one-item list saying whether that thread holds a database connection at all.
    lifecycle_begin: Obj,
    lifecycle_end: Obj,
    worker_has_db: Obj,
    /// The project's own request signal receivers, called around `async def` handlers
    /// (`Lifecycle.started`/`finished`) while the one-item list `project_receivers` says so.
    notify_started: Obj,
    notify_finished: Obj,
    project_receivers: Obj,
    /// The asyncio loop's epoll fd (`Runtime.loop_fd`): readable when the loop has work.
    pub loop_fd: i32,
}

fn attr(o: &Obj, name: &CStr) -> Result<Obj, String> {
    o.getattr(name)
        .map_err(|e| format!("{}: {}", name.to_string_lossy(), e))
}

/// `[(prefix, [roots], cache_control | None)]` from `Runtime.static_mounts`.
fn static_files_from(mounts: &Obj) -> Result<Option<crate::static_files::StaticFiles>, String> {
    let mut out = Vec::new();
    for m in py::seq_items(mounts.as_ptr()).ok_or("static_mounts must be a list")? {
        let prefix = str_of(&tuple_item(m, 0), "static prefix")?;
        let roots = py::seq_items(tuple_item(m, 1).as_ptr())
            .ok_or("static roots must be a list")?
            .into_iter()
            .filter_map(|r| py::str_of(r).map(std::path::PathBuf::from))
            .collect();
        let cc = tuple_item(m, 2);
        let cache_control = py::str_of(cc.as_ptr()).map(str::to_owned);
        out.push(crate::static_files::Mount {
            url_prefix: prefix,
            roots,
            cache_control,
        });
    }
    if out.is_empty() {
        return Ok(None);
    }
    crate::static_files::StaticFiles::new(out)
        .map(Some)
        .map_err(|e| format!("static files: {e}"))
}

fn float_attr(o: &Obj, name: &CStr) -> Option<f64> {
    let v = o.getattr(name).ok()?;
    // SAFETY: attached.
    let f = unsafe { ffi::PyFloat_AsDouble(v.as_ptr()) };
    if f == -1.0 && unsafe { !ffi::PyErr_Occurred().is_null() } {
        // SAFETY: attached.
        unsafe { ffi::PyErr_Clear() };
        return None;
    }
    Some(f)
}

fn tuple_item(t: *mut ffi::PyObject, i: usize) -> Obj {
    // SAFETY: attached; caller checked the tuple length.
    Obj::from_borrowed(unsafe { ffi::PyTuple_GetItem(t, i as ffi::Py_ssize_t) })
}

fn int_of(o: &Obj, what: &str) -> Result<i64, String> {
    py::as_i64(o.as_ptr()).ok_or_else(|| format!("{what} must be an int"))
}

fn str_of(o: &Obj, what: &str) -> Result<String, String> {
    py::str_of(o.as_ptr())
        .map(str::to_owned)
        .ok_or_else(|| format!("{what} must be a str"))
}

impl App {
    /// Imports the project in this interpreter (`django_bolt._worker.boot`) and builds the
    /// route table from what it returns.
    pub fn boot(config_json: &str) -> Result<App, String> {
        // SAFETY: attached to this worker's interpreter.
        let module =
            unsafe { Obj::from_owned(ffi::PyImport_ImportModule(c"django_bolt._worker".as_ptr())) }
                .ok_or_else(|| format!("import django_bolt._worker: {}", py::take_err()))?;
        let boot = attr(&module, c"boot")?;
        let rt = py::call(&boot, &[&py::new_str(config_json)]).map_err(|e| e.0)?;
        let routes_obj = attr(&rt, c"routes")?;
        let items = py::seq_items(routes_obj.as_ptr()).ok_or("routes must be a list")?;
        let mut routes = Vec::with_capacity(items.len());
        let mut router = Router::new();
        for (idx, item) in items.into_iter().enumerate() {
            let route = Self::route_from(item)?;
            router
                .insert(&route.method, &route.path, idx)
                .map_err(|e| e.to_string())?;
            routes.push(route);
        }
        let et = attr(&rt, c"encode_types")?;
        let types = EncodeTypes::from_tuple(et.as_ptr())?;
        let ps = attr(&rt, c"parsers")?;
        let parsers = Parsers {
            uuid: tuple_item(ps.as_ptr(), 0),
            date: tuple_item(ps.as_ptr(), 1),
            datetime: tuple_item(ps.as_ptr(), 2),
            decimal: tuple_item(ps.as_ptr(), 3),
            time: tuple_item(ps.as_ptr(), 4),
        };
        // SAFETY: attached.
        let access_enabled =
            unsafe { ffi::PyObject_IsTrue(attr(&rt, c"access_enabled")?.as_ptr()) == 1 };
        let mut app = App {
            routes,
            router,
            types,
            parsers,
            response_cls: attr(&rt, c"Response")?,
            httpexc_cls: attr(&rt, c"HTTPException")?,
            request_cls: attr(&rt, c"Request")?,
            parse_multipart: attr(&rt, c"parse_multipart")?,
            start_task: attr(&rt, c"start_task")?,
            pump_fn: attr(&rt, c"pump")?,
            completed: attr(&rt, c"completed")?,
            run_blocking: attr(&rt, c"run_blocking")?,
            handle_exception: attr(&rt, c"handle_exception")?,
            access_fn: attr(&rt, c"access")?,
            set_running_loop: attr(&rt, c"set_running_loop")?,
            event_loop: attr(&rt, c"loop")?,
            django: attr(&rt, c"django_call")
                .ok()
                // SAFETY: attached.
                .filter(|d| d.as_ptr() != unsafe { ffi::Py_None() }),
            health_path: attr(&rt, c"health_path")
                .ok()
                .and_then(|p| py::str_of(p.as_ptr()).map(str::to_owned)),
            ready_path: attr(&rt, c"ready_path")
                .ok()
                .and_then(|p| py::str_of(p.as_ptr()).map(str::to_owned)),
            ready_call: attr(&rt, c"ready_call")?,
            static_files: static_files_from(&attr(&rt, c"static_mounts")?)?,
            has_cors: false,
            trusted_proxies: {
                let l = attr(&rt, c"trusted_proxies")?;
                let entries: Vec<String> = py::seq_items(l.as_ptr())
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|s| py::str_of(s).map(str::to_owned))
                    .collect();
                crate::ratelimit::TrustedProxies::parse(&entries)?
            },
            buckets: RefCell::default(),
            apikey_cache: Default::default(),
            cors_global: cors_from(&attr(&rt, c"cors_global")?)
                .map_err(|e| format!("CORS settings: {e}"))?,
            log_sample_rate: float_attr(&rt, c"log_sample_rate").unwrap_or(0.0),
            log_slow_ms: float_attr(&rt, c"log_slow_ms").unwrap_or(-1.0),
            log_request_fn: attr(&rt, c"log_request")?,
            rng: Cell::new(
                0x9E37_79B9_7F4A_7C15
                    ^ (crate::py::interp_id() as u64).wrapping_mul(0x2545_F491_4F6C_DD1D),
            ),
            django_blocking: Blocking::Auto {
                slow_calls: Cell::new(0),
                promoted: Cell::new(false),
            },
            access_enabled,
            blocking_threshold: Duration::from_secs_f64(
                attr(&rt, c"blocking_threshold")
                    .ok()
                    // SAFETY: attached.
                    .map(|v| unsafe { ffi::PyFloat_AsDouble(v.as_ptr()) })
                    .filter(|v| v.is_finite() && *v > 0.0)
                    .unwrap_or(0.025),
            ),
            inflight: RefCell::default(),
            lifecycle_begin: attr(&attr(&rt, c"lifecycle")?, c"begin")?,
            lifecycle_end: attr(&attr(&rt, c"lifecycle")?, c"end")?,
            worker_has_db: attr(&rt, c"worker_has_db")?,
            notify_started: attr(&attr(&rt, c"lifecycle")?, c"started")?,
            notify_finished: attr(&attr(&rt, c"lifecycle")?, c"finished")?,
            project_receivers: attr(&rt, c"project_receivers")?,
            loop_fd: int_of(&attr(&rt, c"loop_fd")?, "loop_fd")? as i32,
            rt,
        };
        app.has_cors = app.cors_global.is_some() || app.routes.iter().any(|r| r.cors.is_some());
        Ok(app)
    }

    fn route_from(item: *mut ffi::PyObject) -> Result<Route, String> {
        // SAFETY: attached; `item` is a 7-tuple built by Route.plan().
        let n = unsafe { ffi::PyTuple_Size(item) };
        if n != 11 {
            return Err("route plan must be an 11-tuple".into());
        }
        let method = str_of(&tuple_item(item, 0), "method")?;
        let path = str_of(&tuple_item(item, 1), "path")?;
        let handler = tuple_item(item, 2);
        let status = int_of(&tuple_item(item, 3), "status_code")? as u16;
        let plist = tuple_item(item, 4);
        let b = tuple_item(item, 5);
        // SAFETY: attached; True/False/None from Route.plan().
        let blocking = unsafe {
            if b.as_ptr() == ffi::Py_None() {
                Blocking::Auto {
                    slow_calls: Cell::new(0),
                    promoted: Cell::new(false),
                }
            } else if ffi::PyObject_IsTrue(b.as_ptr()) == 1 {
                Blocking::Always
            } else {
                Blocking::Never
            }
        };
        let mut params = Vec::new();
        let mut names = Vec::new();
        for p in py::seq_items(plist.as_ptr()).ok_or("params must be a list")? {
            let name = str_of(&tuple_item(p, 0), "param name")?;
            let source = int_of(&tuple_item(p, 1), "source")? as u8;
            let kind =
                Kind::from_code(int_of(&tuple_item(p, 2), "kind")?).ok_or("unknown param kind")?;
            let flags = int_of(&tuple_item(p, 3), "flags")?;
            let default = (flags & F_DEFAULT != 0).then(|| tuple_item(p, 4));
            let key = str_of(&tuple_item(p, 5), "key")?;
            let model_o = tuple_item(p, 6);
            // SAFETY: attached.
            let model = (model_o.as_ptr() != unsafe { ffi::Py_None() }).then_some(model_o);
            let constraints = params::constraints_from(&tuple_item(p, 7))
                .map_err(|e| format!("parameter {name:?}: {e}"))?;
            names.push(py::new_str(&name));
            params.push(ParamPlan {
                name,
                source,
                kind,
                flags,
                default,
                key,
                model,
                constraints,
            });
        }
        let reads = |src: u8| params.iter().any(|p| p.source == src);
        let needs = Needs {
            query: reads(params::SRC_QUERY),
            headers: reads(params::SRC_HEADER),
            cookies: reads(params::SRC_COOKIE),
            form: reads(params::SRC_FORM) || reads(params::SRC_FILE),
        };
        let cors =
            cors_from(&tuple_item(item, 7)).map_err(|e| format!("{method} {path}: CORS: {e}"))?;
        Ok(Route {
            method,
            path,
            status,
            params,
            kwnames: py::tuple(names),
            blocking,
            needs,
            cors,
            limit: limit_from(&tuple_item(item, 8)),
            security: security_from(&tuple_item(item, 9))
                .map_err(|e| format!("route {}: {e}", route_name(item)))?,
            response: {
                let r = tuple_item(item, 10);
                crate::schema::from_capsule(r.as_ptr())
                    .is_some()
                    .then_some(r)
            },
            is_async: is_coroutine_function(&handler)?,
            handler,
        })
    }

    fn encoder(&self) -> Encoder<'_> {
        Encoder::new(&self.types)
    }

    /// Runs the handler of `route` for this request.
    pub fn handle(
        &self,
        ctx: &RequestCtx,
        route: usize,
        raw_params: &[(&str, &str)],
        pending: &Pending,
    ) -> Outcome {
        let r = &self.routes[route];
        let too_many = |retry: u64| {
            let mut resp = ResponseData::detail(429, "Too Many Requests");
            resp.headers
                .push((b"retry-after".to_vec(), retry.to_string().into_bytes()));
            Outcome::Ready(resp)
        };
        // Address- and header-keyed limits come before any authentication work; user-keyed ones
        // need it done.
        let per_user = matches!(
            r.limit,
            Some(crate::ratelimit::Limit {
                key: crate::ratelimit::KeyKind::User,
                ..
            })
        );
        if let (Some(limit), false) = (&r.limit, per_user) {
            if let Err(retry) = self.take_token(route, limit, ctx, None) {
                return too_many(retry);
            }
        }
        let mut auth: Option<Vec<u8>> = None;
        if let Some(sec) = &r.security {
            match self.authenticate(sec, ctx) {
                Ok(payload) => auth = payload,
                Err(resp) => return Outcome::Ready(resp),
            }
            if let Some(g) = &sec.guard {
                let allowed = if g.reads_claims() {
                    let claims: Option<sonic_rs::Value> =
                        auth.as_deref().and_then(|p| sonic_rs::from_slice(p).ok());
                    g.allows(claims.as_ref())
                } else {
                    // Claims are not read: an empty object stands for "authenticated".
                    let present = sonic_rs::Value::new_object();
                    g.allows(auth.is_some().then_some(&present))
                };
                if !allowed {
                    return Outcome::Ready(refused(sec, auth.is_some()));
                }
            }
        }
        if let (Some(limit), true) = (&r.limit, per_user) {
            if let Err(retry) = self.take_token(route, limit, ctx, auth.as_deref()) {
                return too_many(retry);
            }
        }
        let args = match self.extract(r, ctx, raw_params, auth.as_deref()) {
            Ok(a) => a,
            Err(Extract::Invalid(issues)) => {
                return Outcome::Ready(ResponseData::json(422, params::render_issues(&issues)))
            }
            Err(Extract::Response(resp)) => return Outcome::Ready(resp),
        };
        let on_pool = match &r.blocking {
            Blocking::Always => true,
            Blocking::Never => false,
            Blocking::Auto { promoted, .. } => promoted.get(),
        };
        let request_ctx = py::RequestContext::enter();
        let notify = r.is_async && flag(&self.project_receivers);
        if notify {
            self.housekeeping(&self.notify_started);
        }
        let outcome = self.call(r, route, &args, on_pool, ctx, pending, request_ctx, notify);
        if notify && matches!(outcome, Outcome::Ready(_)) {
            self.housekeeping(&self.notify_finished);
        }
        outcome
    }

    /// Calls the handler (inline, or on the pool when `on_pool`) and turns what it returns
    /// into an outcome. `notify`: a suspended coroutine's end goes to the project's receivers.
    #[allow(clippy::too_many_arguments)]
    fn call(
        &self,
        r: &Route,
        route: usize,
        args: &[Obj],
        on_pool: bool,
        ctx: &RequestCtx,
        pending: &Pending,
        request_ctx: py::RequestContext,
        notify: bool,
    ) -> Outcome {
        let result = if on_pool {
            let kwargs = self.kwargs_dict(r, args);
            py::call_keep(&self.run_blocking, &[&r.handler, &kwargs]).ok_or(())
        } else {
            let inline_sync = !r.is_async;
            if inline_sync && self.worker_has_db() {
                self.housekeeping(&self.lifecycle_begin);
            }
            let ptrs: Vec<*mut ffi::PyObject> = args.iter().map(Obj::as_ptr).collect();
            // SAFETY: attached; `ptrs` are live for the call; nargsf = 0 positional, all keywords
            // named by `kwnames` (a tuple of the same length).
            let started = matches!(r.blocking, Blocking::Auto { .. }).then(Instant::now);
            let res = unsafe {
                ffi::PyObject_Vectorcall(r.handler.as_ptr(), ptrs.as_ptr(), 0, r.kwnames.as_ptr())
            };
            if let Some(t0) = started {
                self.note_duration(
                    &r.blocking,
                    &format!("{} {}", r.method, r.path),
                    t0.elapsed(),
                );
            }
            // Checked after the call: the handler may have opened the connection.
            if inline_sync && self.worker_has_db() {
                self.housekeeping(&self.lifecycle_end);
            }
            Obj::from_owned(res).ok_or(())
        };
        let result = match result {
            Ok(v) => v,
            Err(()) => return Outcome::Ready(self.exception_to_response(ctx)),
        };
        let reply = Reply {
            status: r.status,
            route: Some(route),
        };
        // SAFETY: attached.
        if unsafe { ffi::PyCoro_CheckExact(result.as_ptr()) } != 0 {
            return self.drive(result, reply, ctx, pending, request_ctx, notify);
        }
        Outcome::Ready(self.to_response(&result, reply, ctx))
    }

    /// Whether the worker thread holds a database connection (`Lifecycle.worker_has_db`).
    fn worker_has_db(&self) -> bool {
        flag(&self.worker_has_db)
    }

    /// Runs `Lifecycle.begin` or `end`, leaving the handler's raised exception (if any) as it was.
    fn housekeeping(&self, step: &Obj) {
        let raised = py::take_exc();
        if let Err(e) = py::call(step, &[]) {
            eprintln!("django-bolt: request housekeeping failed: {e}");
        }
        if let Some(e) = raised {
            // SAFETY: attached; hands the exception back as the current one.
            unsafe { ffi::PyErr_SetRaisedException(e.into_ptr()) };
        }
    }

    /// The client address, believing X-Forwarded-For only from BOLT_TRUSTED_PROXIES.
    pub fn client_ip(&self, ctx: &RequestCtx) -> Option<std::net::IpAddr> {
        let peer = ctx.client.parse::<std::net::SocketAddr>().ok()?.ip();
        let xff: Vec<String> = ctx
            .head
            .headers
            .iter()
            .filter(|(k, _)| k == "x-forwarded-for")
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
            .collect();
        let xff: Vec<&str> = xff.iter().map(String::as_str).collect();
        Some(self.trusted_proxies.client_ip(peer, &xff))
    }

    fn take_token(
        &self,
        route: usize,
        limit: &crate::ratelimit::Limit,
        ctx: &RequestCtx,
        auth: Option<&[u8]>,
    ) -> Result<(), u64> {
        let ip = || {
            self.client_ip(ctx)
                .map(|i| i.to_string())
                .unwrap_or_default()
        };
        let key = match &limit.key {
            crate::ratelimit::KeyKind::Ip => ip(),
            crate::ratelimit::KeyKind::User => {
                let sub = auth
                    .and_then(|p| sonic_rs::from_slice::<sonic_rs::Value>(p).ok())
                    .and_then(|c| {
                        c.get("sub").map(|s| {
                            s.as_str()
                                .map(str::to_owned)
                                .unwrap_or_else(|| s.to_string())
                        })
                    });
                match sub {
                    Some(s) => format!("u:{s}"),
                    None => format!("ip:{}", ip()),
                }
            }
            crate::ratelimit::KeyKind::Header(h) => match ctx.head.header(h) {
                Some(v) => format!("h:{}", String::from_utf8_lossy(v)),
                None => format!("ip:{}", ip()),
            },
        };
        self.buckets
            .borrow_mut()
            .take(route, &key, limit, Instant::now())
    }

    /// Counts inline calls of an `Auto` handler that held the reactor too long; past a few,
    /// the handler runs on the blocking pool from then on (and says so once in the log).
    fn note_duration(&self, blocking: &Blocking, what: &str, took: Duration) {
        let Blocking::Auto {
            slow_calls,
            promoted,
        } = blocking
        else {
            return;
        };
        if promoted.get() {
            return;
        }
        if took < self.blocking_threshold {
            // Only consecutive slow calls count: a cold first call (template compilation, lazy
            // imports, a new DB connection) must not move a fast view off the reactor.
            slow_calls.set(0);
            return;
        }
        slow_calls.set(slow_calls.get() + 1);
        if slow_calls.get() >= SLOW_CALLS_TO_PROMOTE {
            promoted.set(true);
            let msg = format!(
                "{}: handler blocked this core for {:.1} ms ({} calls in a row over {} ms); running it on the \
                 blocking pool from now on. Declare blocking=True (or False) on the route to choose.",
                what,
                took.as_secs_f64() * 1e3,
                SLOW_CALLS_TO_PROMOTE,
                self.blocking_threshold.as_millis()
            );
            if let Ok(warn) = self.rt.getattr(c"warn") {
                let saved = py::take_exc();
                let _ = py::call(&warn, &[&py::new_str(&msg)]);
                if let Some(e) = saved {
                    // SAFETY: attached; restores the handler's exception, if any.
                    unsafe { ffi::PyErr_SetRaisedException(e.into_ptr()) };
                }
            }
        }
    }

    /// Sends `None` into a coroutine: most API coroutines finish without suspending, and then no
    /// event loop is involved at all. One that suspends continues as a Task on this worker's
    /// loop (`Runtime.start_task`), and the connection waits on a pending token.
    fn drive(
        &self,
        coro: Obj,
        reply: Reply,
        ctx: &RequestCtx,
        pending: &Pending,
        request_ctx: py::RequestContext,
        notify: bool,
    ) -> Outcome {
        let mut out: *mut ffi::PyObject = null_mut();
        let _ = py::call(&self.set_running_loop, &[&self.event_loop]);
        // SAFETY: attached; PyIter_Send returns a new reference in `out` for RETURN and NEXT.
        let rc = unsafe { ffi::PyIter_Send(coro.as_ptr(), py::none().as_ptr(), &mut out) };
        // Keep a raised exception across the reset call.
        let raised = py::take_exc();
        let _ = py::call(&self.set_running_loop, &[&py::none()]);
        if let Some(e) = raised {
            // SAFETY: attached; hands the exception back as the current one.
            unsafe { ffi::PyErr_SetRaisedException(e.into_ptr()) };
        }
        match rc {
            ffi::PySendResult::PYGEN_RETURN => {
                let v = Obj::from_owned(out).expect("PYGEN_RETURN with a value");
                Outcome::Ready(self.to_response(&v, reply, ctx))
            }
            ffi::PySendResult::PYGEN_NEXT => {
                let yielded = Obj::from_owned(out).expect("PYGEN_NEXT with a value");
                let token = pending.register();
                let context = request_ctx.exit();
                let args = [
                    &py::new_int(token as i64),
                    &coro,
                    &yielded,
                    &context,
                    &py::new_bool(notify),
                ];
                if let Err(e) = py::call(&self.start_task, &args) {
                    pending.cancel(token);
                    eprintln!("django-bolt: cannot schedule coroutine: {e}");
                    return Outcome::Ready(ResponseData::detail(500, "Internal Server Error"));
                }
                self.inflight.borrow_mut().insert(
                    token,
                    (
                        reply,
                        ctx.head.method_str.clone(),
                        ctx.head.path().to_owned(),
                        Self::accept_of(ctx),
                    ),
                );
                Outcome::Pending(token)
            }
            ffi::PySendResult::PYGEN_ERROR => Outcome::Ready(self.exception_to_response(ctx)),
        }
    }

    /// Runs one turn of this interpreter's asyncio loop and delivers finished handlers.
    /// Returns the seconds until the loop's next timer (negative when none).
    pub fn pump(&self, pending: &Pending) -> f64 {
        let hint = match py::call(&self.pump_fn, &[]) {
            Ok(v) => {
                // SAFETY: attached.
                unsafe { ffi::PyFloat_AsDouble(v.as_ptr()) }
            }
            Err(e) => {
                eprintln!("django-bolt: asyncio pump failed: {e}");
                0.001
            }
        };
        // SAFETY: attached; `completed` is the runtime's list; we swap its items out.
        let done = unsafe {
            let n = ffi::PyList_Size(self.completed.as_ptr());
            if n <= 0 {
                return hint;
            }
            let items = Obj::from_owned(ffi::PyList_GetSlice(self.completed.as_ptr(), 0, n))
                .expect("slice");
            ffi::PyList_SetSlice(self.completed.as_ptr(), 0, n, null_mut());
            items
        };
        for item in py::seq_items(done.as_ptr()).unwrap_or_default() {
            let token = py::as_i64(tuple_item(item, 0).as_ptr()).unwrap_or(0) as u64;
            let task = tuple_item(item, 1);
            let Some((reply, method, path, accept)) = self.inflight.borrow_mut().remove(&token)
            else {
                continue;
            };
            let result = task
                .getattr(c"result")
                .ok()
                .and_then(|f| py::call_keep(&f, &[]));
            let resp = match result {
                Some(v) => self.to_response_parts(&v, reply, &method, &path),
                None => {
                    // `result()` re-raised the handler's exception, now current again.
                    self.exception_response(&method, &path, &accept)
                }
            };
            pending.complete(token, resp);
        }
        hint
    }

    fn kwargs_dict(&self, r: &Route, args: &[Obj]) -> Obj {
        // SAFETY: attached; SetItem does not steal.
        unsafe {
            let d = Obj::from_owned(ffi::PyDict_New()).expect("dict");
            for (p, a) in r.params.iter().zip(args) {
                ffi::PyDict_SetItem(d.as_ptr(), py::new_str(&p.name).as_ptr(), a.as_ptr());
            }
            d
        }
    }

    fn extract(
        &self,
        r: &Route,
        ctx: &RequestCtx,
        raw_params: &[(&str, &str)],
        auth: Option<&[u8]>,
    ) -> Result<Vec<Obj>, Extract> {
        // Each keyed source is parsed once, and only when the route reads it.
        let query: Vec<(String, String)> = if r.needs.query {
            ctx.head
                .query()
                .map(crate::http::parse_query)
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let headers: Vec<(String, String)> = if r.needs.headers {
            ctx.head
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), String::from_utf8_lossy(v).into_owned()))
                .collect()
        } else {
            Vec::new()
        };
        let cookies: Vec<(String, String)> = if r.needs.cookies {
            cookie_pairs(ctx)
        } else {
            Vec::new()
        };
        let (form, files) = if r.needs.form {
            self.form(ctx)?
        } else {
            (Vec::new(), None)
        };
        let mut out = Vec::with_capacity(r.params.len());
        let mut issues: Vec<ValidationIssue> = Vec::new();
        let mut decoded_body: Option<sonic_rs::Value> = None;
        for p in &r.params {
            let pairs = match p.source {
                params::SRC_QUERY => &query,
                params::SRC_HEADER => &headers,
                params::SRC_COOKIE => &cookies,
                params::SRC_FORM => &form,
                params::SRC_FILE => {
                    match self.file_param(p, files.as_ref()) {
                        Ok(v) => out.push(v),
                        Err(i) => issues.push(i),
                    }
                    continue;
                }
                params::SRC_PATH => {
                    let raw = raw_params
                        .iter()
                        .find(|(k, _)| *k == p.key)
                        .map(|(_, v)| *v)
                        .unwrap_or("");
                    let Some(decoded) = crate::http::percent_decode_path(raw) else {
                        let km = ("string_type", "Input should be a valid string");
                        issues.push(params::issue(km, p.source, &p.key, Some(raw)));
                        continue;
                    };
                    match self.scalar(p, &decoded) {
                        Ok(v) => out.push(v),
                        Err(i) => issues.push(i),
                    }
                    continue;
                }
                params::SRC_BODY => {
                    match self.body_param(p, ctx, &mut decoded_body) {
                        Ok(v) => out.push(v),
                        Err(Extract::Invalid(mut more)) => issues.append(&mut more),
                        Err(e) => return Err(e),
                    }
                    continue;
                }
                _ => {
                    out.push(self.request_obj(ctx, raw_params, auth));
                    continue;
                }
            };
            match self.keyed(p, pairs) {
                Ok(v) => out.push(v),
                Err(mut more) => issues.append(&mut more),
            }
        }
        if issues.is_empty() {
            Ok(out)
        } else {
            Err(Extract::Invalid(issues))
        }
    }

    /// Form fields and files of the body: URL-encoded forms parsed here, multipart ones by
    /// Django's MultiPartParser (`Runtime.parse_multipart`).
    fn form(&self, ctx: &RequestCtx) -> Result<FormParts, Extract> {
        if ctx.body.is_empty() {
            return Ok((Vec::new(), None));
        }
        let ct = ctx
            .head
            .header("content-type")
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default();
        let mime = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match mime.as_str() {
            "application/x-www-form-urlencoded" => {
                Ok((crate::http::parse_query(&String::from_utf8_lossy(ctx.body)), None))
            }
            "multipart/form-data" => {
                let Some(t) = py::call_keep(&self.parse_multipart, &[&py::new_str(&ct), &py::new_bytes(ctx.body)])
                else {
                    let exc = py::take_exc();
                    let text = exc.as_ref().map(|e| py::repr(e.as_ptr())).unwrap_or_default();
                    let status = if text.starts_with("TooManyFiles") { 413 } else { 400 };
                    let detail = if status == 413 { "Too many files" } else { "Malformed multipart body" };
                    return Err(Extract::Response(ResponseData::detail(status, detail)));
                };
                let pairs = py::seq_items(tuple_item(t.as_ptr(), 0).as_ptr())
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|pair| {
                        let k = py::str_of(tuple_item(pair, 0).as_ptr())?.to_owned();
                        let v = py::str_of(tuple_item(pair, 1).as_ptr())?.to_owned();
                        Some((k, v))
                    })
                    .collect();
                Ok((pairs, Some(tuple_item(t.as_ptr(), 1))))
            }
            _ => Err(Extract::Response(ResponseData::detail(
                415,
                "Unsupported Media Type: expected application/x-www-form-urlencoded or multipart/form-data",
            ))),
        }
    }

    /// An `UploadFile` (or the list of them) for a File parameter.
    fn file_param(&self, p: &ParamPlan, files: Option<&Obj>) -> Result<Obj, ValidationIssue> {
        // SAFETY: attached; `files` is a dict of lists built by parse_multipart.
        let list = files.and_then(|d| unsafe {
            let key = py::new_str(&p.key);
            let v = ffi::PyDict_GetItemWithError(d.as_ptr(), key.as_ptr());
            if v.is_null() {
                ffi::PyErr_Clear();
                None
            } else {
                Some(Obj::from_borrowed(v))
            }
        });
        let Some(list) = list else {
            return self.absent(p);
        };
        if p.flags & F_LIST != 0 {
            return Ok(list);
        }
        match py::seq_items(list.as_ptr()).and_then(|items| items.first().copied()) {
            Some(first) => Ok(Obj::from_borrowed(first)),
            None => self.absent(p),
        }
    }

    /// One value coerced to the parameter's kind and checked against its constraints.
    fn scalar(&self, p: &ParamPlan, raw: &str) -> Result<Obj, ValidationIssue> {
        if let Some(plan) = p
            .model
            .as_ref()
            .and_then(|m| crate::schema::from_capsule(m.as_ptr()))
        {
            // Enum, Literal, timedelta...: the text decoded as a JSON string along its plan.
            let prefix = [
                params::LocPart::Key(params::source_name(p.source).into()),
                params::LocPart::Key(p.key.clone()),
            ];
            return crate::schema::decode::decode_value(plan, &sonic_rs::Value::from(raw), &prefix)
                .map_err(|f| match f {
                    crate::schema::decode::Failure::Invalid(mut issues) => issues.swap_remove(0),
                    // Text never needs raw numbers; a Python failure is reported as the value's.
                    _ => params::issue(("value_error", "Value error"), p.source, &p.key, Some(raw)),
                });
        }
        let v = params::coerce(p.kind, raw, &self.parsers)
            .map_err(|km| params::issue(km, p.source, &p.key, Some(raw)))?;
        if let Some(c) = &p.constraints {
            let broken = match p.kind {
                Kind::Int | Kind::Float | Kind::Decimal => raw
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .and_then(|n| c.check_number(n)),
                Kind::Str => c.check_str(raw),
                _ => None,
            };
            if let Some((kind, msg)) = broken {
                return Err(ValidationIssue {
                    msg,
                    ..params::issue((kind, ""), p.source, &p.key, Some(raw))
                });
            }
        }
        Ok(v)
    }

    /// A query, header or cookie parameter: the last value wins, or every value for a list.
    fn keyed(
        &self,
        p: &ParamPlan,
        pairs: &[(String, String)],
    ) -> Result<Obj, Vec<ValidationIssue>> {
        if p.flags & F_LIST != 0 {
            let vals: Vec<&str> = pairs
                .iter()
                .filter(|(k, _)| *k == p.key)
                .map(|(_, v)| v.as_str())
                .collect();
            if vals.is_empty() {
                return self.absent(p).map_err(|i| vec![i]);
            }
            let mut issues = Vec::new();
            // SAFETY: attached.
            let list = unsafe { Obj::from_owned(ffi::PyList_New(0)).expect("list") };
            for (i, v) in vals.iter().enumerate() {
                match self.scalar(p, v) {
                    // SAFETY: attached; Append does not steal.
                    Ok(o) => unsafe {
                        ffi::PyList_Append(list.as_ptr(), o.as_ptr());
                    },
                    Err(mut is) => {
                        is.loc.push(params::LocPart::Index(i));
                        issues.push(is);
                    }
                }
            }
            if let Some((kind, msg)) = p
                .constraints
                .as_ref()
                .and_then(|c| c.check_list_len(vals.len()))
            {
                issues.push(ValidationIssue {
                    msg,
                    input: None,
                    ..params::issue((kind, ""), p.source, &p.key, None)
                });
            }
            return if issues.is_empty() {
                Ok(list)
            } else {
                Err(issues)
            };
        }
        match pairs.iter().rev().find(|(k, _)| *k == p.key) {
            None => self.absent(p).map_err(|i| vec![i]),
            // An empty value for a non-string parameter means "not given" when that is allowed.
            Some((_, v)) if v.is_empty() && p.kind != Kind::Str && p.flags & F_OPTIONAL != 0 => {
                Ok(py::none())
            }
            Some((_, v)) if v.is_empty() && p.kind != Kind::Str && p.flags & F_DEFAULT != 0 => {
                Ok(self.default_of(p))
            }
            Some((_, v)) => self.scalar(p, v).map_err(|i| vec![i]),
        }
    }

    fn default_of(&self, p: &ParamPlan) -> Obj {
        let d = p.default.as_ref().expect("has default");
        // Mutable defaults are copied per request so one request cannot leak into the next.
        // SAFETY: attached.
        unsafe {
            if ffi::PyList_CheckExact(d.as_ptr()) != 0 {
                return Obj::from_owned(ffi::PyList_GetSlice(d.as_ptr(), 0, ffi::PY_SSIZE_T_MAX))
                    .expect("copy");
            }
            if ffi::PyDict_CheckExact(d.as_ptr()) != 0 {
                return Obj::from_owned(ffi::PyDict_Copy(d.as_ptr())).expect("copy");
            }
        }
        d.clone()
    }

    fn absent(&self, p: &ParamPlan) -> Result<Obj, ValidationIssue> {
        if p.flags & F_DEFAULT != 0 {
            Ok(self.default_of(p))
        } else {
            Err(params::missing(p.source, &p.key))
        }
    }

    /// The JSON body (parsed once per request into `parsed`), or with `Body(embed=True)` the
    /// value under the parameter's key, decoded along the parameter's type plan.
    fn body_param(
        &self,
        p: &ParamPlan,
        ctx: &RequestCtx,
        parsed: &mut Option<sonic_rs::Value>,
    ) -> Result<Obj, Extract> {
        use sonic_rs::JsonValueTrait;
        let embed = p.flags & params::F_EMBED != 0;
        let mut prefix = vec![params::LocPart::Key("body".into())];
        if embed {
            prefix.push(params::LocPart::Key(p.key.clone()));
        }
        let missing_at = |i: ValidationIssue| {
            Extract::Invalid(vec![ValidationIssue {
                loc: prefix.clone(),
                ..i
            }])
        };
        if ctx.body.is_empty() {
            return self.absent(p).map_err(missing_at);
        }
        if parsed.is_none() {
            if let Some(ct) = ctx.head.header("content-type") {
                let ct = String::from_utf8_lossy(ct).to_ascii_lowercase();
                let mime = ct.split(';').next().unwrap_or("").trim();
                if mime != "application/json" && !mime.ends_with("+json") {
                    return Err(Extract::Response(ResponseData::detail(
                        415,
                        "Unsupported Media Type: expected application/json",
                    )));
                }
            }
            *parsed = Some(
                crate::schema::decode::parse(ctx.body, false)
                    .map_err(|e| Extract::Invalid(vec![e.issue(&prefix[..1])]))?,
            );
        }
        let whole = parsed.as_ref().expect("parsed above");
        let value = if embed {
            match whole.get(p.key.as_str()) {
                Some(v) => v,
                None => return self.absent(p).map_err(missing_at),
            }
        } else {
            whole
        };
        let plan = p
            .model
            .as_ref()
            .and_then(|m| crate::schema::from_capsule(m.as_ptr()))
            .expect("body parameters carry a plan (params.py)");
        let mut result = crate::schema::decode::decode_value(plan, value, &prefix);
        if let Err(crate::schema::decode::Failure::NeedsRawNumbers) = result {
            // An integer wider than 64 bits: keep the body parsed with every digit from now on.
            let raw = crate::schema::decode::parse(ctx.body, true)
                .map_err(|e| Extract::Invalid(vec![e.issue(&prefix[..1])]))?;
            let value = if embed {
                raw.get(p.key.as_str())
            } else {
                Some(&raw)
            };
            result = match value {
                Some(v) => crate::schema::decode::decode_value(plan, v, &prefix),
                None => return self.absent(p).map_err(missing_at),
            };
            *parsed = Some(raw);
        }
        match result {
            Ok(v) => Ok(v),
            Err(crate::schema::decode::Failure::NeedsRawNumbers) => Err(Extract::Response(
                ResponseData::detail(500, "Internal Server Error"),
            )),
            Err(crate::schema::decode::Failure::Invalid(issues)) => Err(Extract::Invalid(issues)),
            Err(crate::schema::decode::Failure::Fatal(exc)) => {
                // SAFETY: attached; hands the exception back to be logged as a handler failure.
                unsafe { ffi::PyErr_SetRaisedException(exc.into_ptr()) };
                Err(Extract::Response(self.exception_to_response(ctx)))
            }
        }
    }

    /// The request headers as a list of `(name, value)` str pairs (names lower-case).
    fn header_list(ctx: &RequestCtx) -> Obj {
        // SAFETY: attached; PyList_Append does not steal.
        unsafe {
            let headers = Obj::from_owned(ffi::PyList_New(0)).expect("list");
            for (k, v) in &ctx.head.headers {
                let pair = py::tuple(vec![
                    py::new_str(k),
                    py::new_str(&String::from_utf8_lossy(v)),
                ]);
                ffi::PyList_Append(headers.as_ptr(), pair.as_ptr());
            }
            headers
        }
    }

    /// A request no bolt route claims, handed to Django's own handler (admin, views) when the
    /// project has it on; `None` when fallthrough is off.
    pub fn fallthrough(&self, ctx: &RequestCtx, pending: &Pending) -> Option<Outcome> {
        let django = self.django.as_ref()?;
        let args = py::tuple(vec![
            py::new_str(&ctx.head.method_str),
            py::new_str(ctx.head.path()),
            py::new_str(ctx.head.query().unwrap_or("")),
            Self::header_list(ctx),
            py::new_bytes(ctx.body),
            py::new_str(ctx.client),
        ]);
        let request_ctx = py::RequestContext::enter();
        let result = if matches!(&self.django_blocking, Blocking::Auto { promoted, .. } if promoted.get())
        {
            py::call_keep(&self.run_blocking, &[django, &args])
        } else {
            let t0 = Instant::now();
            // SAFETY: attached; `args` is a tuple.
            let r = unsafe {
                Obj::from_owned(ffi::PyObject_Call(
                    django.as_ptr(),
                    args.as_ptr(),
                    null_mut(),
                ))
            };
            self.note_duration(&self.django_blocking, "Django views", t0.elapsed());
            r
        };
        let Some(result) = result else {
            return Some(Outcome::Ready(self.exception_to_response(ctx)));
        };
        // SAFETY: attached.
        if unsafe { ffi::PyCoro_CheckExact(result.as_ptr()) } != 0 {
            return Some(self.drive(result, Reply::DJANGO, ctx, pending, request_ctx, false));
        }
        Some(Outcome::Ready(self.to_response(
            &result,
            Reply::DJANGO,
            ctx,
        )))
    }

    /// The CORS policy for a request to `path` with `method`: the route's own, else the
    /// project's for any path bolt serves; None for paths left to Django.
    pub fn cors_for(
        &self,
        method: crate::http::Method,
        path: &str,
    ) -> Option<&crate::cors::CorsPolicy> {
        match self.router.route_for(method, path) {
            crate::router::Match::Found { route, .. } => self.routes[route]
                .cors
                .as_ref()
                .or(self.cors_global.as_ref()),
            crate::router::Match::MethodNotAllowed { .. }
            | crate::router::Match::Options { .. } => self.cors_global.as_ref(),
            crate::router::Match::NotFound => None,
        }
    }

    /// Whether `path` is one of the probes (kept out of the access log).
    pub fn is_probe(&self, path: &str) -> bool {
        self.health_path.as_deref() == Some(path) || self.ready_path.as_deref() == Some(path)
    }

    /// `/ready`: the registered checks, run as a coroutine on this core's loop.
    pub fn ready(&self, ctx: &RequestCtx, pending: &Pending) -> Outcome {
        let request_ctx = py::RequestContext::enter();
        match py::call_keep(&self.ready_call, &[]) {
            Some(coro) => self.drive(coro, Reply::DJANGO, ctx, pending, request_ctx, false),
            None => Outcome::Ready(self.exception_to_response(ctx)),
        }
    }

    fn request_obj(
        &self,
        ctx: &RequestCtx,
        raw_params: &[(&str, &str)],
        auth: Option<&[u8]>,
    ) -> Obj {
        // SAFETY: attached; building plain containers.
        unsafe {
            let headers = Self::header_list(ctx);
            let pp = Obj::from_owned(ffi::PyDict_New()).expect("dict");
            for (k, v) in raw_params {
                let dv = crate::http::percent_decode_path(v).unwrap_or_else(|| (*v).to_owned());
                ffi::PyDict_SetItem(
                    pp.as_ptr(),
                    py::new_str(k).as_ptr(),
                    py::new_str(&dv).as_ptr(),
                );
            }
            let args = [
                &py::new_str(&ctx.head.method_str),
                &py::new_str(ctx.head.path()),
                &py::new_str(ctx.head.query().unwrap_or("")),
                &headers,
                &py::new_bytes(ctx.body),
                &pp,
                &py::new_str(ctx.client),
                &auth
                    .and_then(|p| json::decode(p).ok())
                    .unwrap_or_else(py::none),
            ];
            py::call(&self.request_cls, &args).unwrap_or_else(|e| {
                eprintln!("django-bolt: cannot build Request: {e}");
                py::none()
            })
        }
    }

    fn is_instance(&self, o: &Obj, cls: &Obj) -> bool {
        // SAFETY: attached.
        unsafe { ffi::PyObject_IsInstance(o.as_ptr(), cls.as_ptr()) == 1 }
    }

    fn accept_of(ctx: &RequestCtx) -> String {
        ctx.head
            .header("accept")
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .unwrap_or_default()
    }

    /// The response for the exception currently raised by a handler.
    fn exception_to_response(&self, ctx: &RequestCtx) -> ResponseData {
        self.exception_response(&ctx.head.method_str, ctx.head.path(), &Self::accept_of(ctx))
    }

    fn exception_response(&self, method: &str, path: &str, accept: &str) -> ResponseData {
        let Some(exc) = py::take_exc() else {
            return ResponseData::detail(500, "Internal Server Error");
        };
        if self.is_instance(&exc, &self.httpexc_cls) {
            return self.http_exception(&exc);
        }
        let args = [
            &exc,
            &py::new_str(method),
            &py::new_str(path),
            &py::new_str(accept),
        ];
        match py::call(&self.handle_exception, &args) {
            Ok(t) => self
                .tuple_response(&t)
                .unwrap_or_else(|| ResponseData::detail(500, "Internal Server Error")),
            Err(e) => {
                eprintln!("django-bolt: error while handling an error: {e}");
                ResponseData::detail(500, "Internal Server Error")
            }
        }
    }

    /// `(status, content_type, body_bytes, [(name, value)])` from Runtime.handle_exception.
    fn tuple_response(&self, t: &Obj) -> Option<ResponseData> {
        let status = py::as_i64(tuple_item(t.as_ptr(), 0).as_ptr())? as u16;
        let ct = py::str_of(tuple_item(t.as_ptr(), 1).as_ptr())?
            .as_bytes()
            .to_vec();
        let body_o = tuple_item(t.as_ptr(), 2);
        let body = bytes_of(body_o.as_ptr())?;
        Some(ResponseData {
            status,
            content_type: Some(ct),
            body,
            headers: Vec::new(),
        })
    }

    fn http_exception(&self, exc: &Obj) -> ResponseData {
        let status = exc
            .getattr(c"status_code")
            .ok()
            .and_then(|s| py::as_i64(s.as_ptr()))
            .unwrap_or(500) as u16;
        let mut body = Vec::with_capacity(64);
        body.extend_from_slice(b"{\"detail\":");
        let detail = exc.getattr(c"detail").unwrap_or_else(|_| py::none());
        if let Err(e) = self.encoder().encode(detail.as_ptr(), &mut body) {
            eprintln!("django-bolt: HTTPException detail is not JSON-encodable: {e}");
            return ResponseData::detail(500, "Internal Server Error");
        }
        body.push(b'}');
        let mut resp = ResponseData::json(status, body);
        if let Ok(h) = exc.getattr(c"headers") {
            resp.headers = header_pairs(&h);
        }
        resp
    }

    fn to_response(&self, v: &Obj, reply: Reply, ctx: &RequestCtx) -> ResponseData {
        self.to_response_parts(v, reply, &ctx.head.method_str, ctx.head.path())
    }

    /// Turns a handler's return value into a response.
    fn to_response_parts(&self, v: &Obj, reply: Reply, method: &str, path: &str) -> ResponseData {
        let status = reply.status;
        let o = v.as_ptr();
        // SAFETY: attached.
        unsafe {
            if ffi::PyTuple_CheckExact(o) != 0 {
                let n = ffi::PyTuple_GET_SIZE(o);
                if (2..=3).contains(&n) && ffi::PyLong_CheckExact(ffi::PyTuple_GET_ITEM(o, 0)) != 0
                {
                    let st = py::as_i64(ffi::PyTuple_GET_ITEM(o, 0)).unwrap_or(500);
                    if !(100..=599).contains(&st) {
                        return self.encode_failed(
                            method,
                            path,
                            &format!("status {st} out of range"),
                        );
                    }
                    let mut resp = self.to_response_parts(
                        &tuple_item(o, 1),
                        Reply {
                            status: st as u16,
                            ..reply
                        },
                        method,
                        path,
                    );
                    if n == 3 {
                        resp.headers.extend(header_pairs(&tuple_item(o, 2)));
                    }
                    return resp;
                }
            }
            let ty = ffi::Py_TYPE(o);
            let plain = ty == &raw mut ffi::PyDict_Type || ty == &raw mut ffi::PyList_Type;
            if !plain && self.is_instance(v, &self.response_cls) {
                return self.response_object(v, method, path);
            }
        }
        let mut body = Vec::with_capacity(128);
        let declared = reply
            .route
            .and_then(|i| self.routes[i].response.as_ref())
            .and_then(|c| crate::schema::from_capsule(c.as_ptr()));
        let encoded = match declared {
            Some(plan) => {
                let enc = self.encoder();
                crate::schema::encode::Typed { enc: &enc, plan }.encode(o, &mut body)
            }
            None => self.encoder().encode(o, &mut body),
        };
        match encoded {
            Ok(()) => ResponseData::json(status, body),
            Err(e) => self.encode_failed(method, path, &e),
        }
    }

    fn encode_failed(&self, method: &str, path: &str, why: &str) -> ResponseData {
        // Through Django's logging, like any other handler failure.
        let msg = format!("response of {method} {path} could not be encoded: {why}");
        // SAFETY: attached; raising a Python exception object to hand to the logger.
        unsafe {
            let c = std::ffi::CString::new(msg.replace('\0', " ")).unwrap_or_default();
            ffi::PyErr_SetString(ffi::PyExc_TypeError, c.as_ptr());
        }
        self.exception_response(method, path, "")
    }

    fn response_object(&self, v: &Obj, method: &str, path: &str) -> ResponseData {
        let status = v
            .getattr(c"status_code")
            .ok()
            .and_then(|s| py::as_i64(s.as_ptr()))
            .unwrap_or(200) as u16;
        let media = v
            .getattr(c"media_type")
            .ok()
            .and_then(|m| py::str_of(m.as_ptr()).map(|s| s.as_bytes().to_vec()));
        let kind = v
            .getattr(c"_kind")
            .ok()
            .and_then(|k| py::as_i64(k.as_ptr()))
            .unwrap_or(0);
        let content = v.getattr(c"content").unwrap_or_else(|_| py::none());
        let body = if kind == 1 {
            let mut b = Vec::new();
            if let Err(e) = self.encoder().encode(content.as_ptr(), &mut b) {
                return self.encode_failed(method, path, &e);
            }
            b
        } else {
            // SAFETY: attached.
            if content.as_ptr() == unsafe { ffi::Py_None() } {
                Vec::new()
            } else if let Some(s) = py::str_of(content.as_ptr()) {
                s.as_bytes().to_vec()
            } else if let Some(b) = bytes_of(content.as_ptr()) {
                b
            } else {
                let mut b = Vec::new();
                if let Err(e) = self.encoder().encode(content.as_ptr(), &mut b) {
                    return self.encode_failed(method, path, &e);
                }
                b
            }
        };
        let headers = v
            .getattr(c"headers")
            .map(|h| header_pairs(&h))
            .unwrap_or_default();
        ResponseData {
            status,
            content_type: media,
            body,
            headers,
        }
    }

    /// Whether responses need timing at all (access log or request log configured).
    pub fn wants_timing(&self) -> bool {
        self.access_enabled || self.log_sample_rate > 0.0 || self.log_slow_ms >= 0.0
    }

    /// `Some(slow)` when this request goes to the request log: always when slow, else sampled.
    pub fn request_log_decision(&self, ms: f64) -> Option<bool> {
        if self.log_slow_ms >= 0.0 && ms >= self.log_slow_ms {
            return Some(true);
        }
        if self.log_sample_rate <= 0.0 {
            return None;
        }
        if self.log_sample_rate >= 1.0 {
            return Some(false);
        }
        let mut x = self.rng.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng.set(x);
        ((x >> 11) as f64 / (1u64 << 53) as f64 <= self.log_sample_rate).then_some(false)
    }

    pub fn log_request(&self, ctx: &RequestCtx, resp: &ResponseData, ms: f64, slow: bool) {
        // SAFETY: attached; plain containers.
        unsafe {
            let resp_headers = Obj::from_owned(ffi::PyList_New(0)).expect("list");
            if let Some(ct) = &resp.content_type {
                let pair = py::tuple(vec![
                    py::new_str("content-type"),
                    py::new_str(&String::from_utf8_lossy(ct)),
                ]);
                ffi::PyList_Append(resp_headers.as_ptr(), pair.as_ptr());
            }
            for (k, v) in &resp.headers {
                let pair = py::tuple(vec![
                    py::new_str(&String::from_utf8_lossy(k)),
                    py::new_str(&String::from_utf8_lossy(v)),
                ]);
                ffi::PyList_Append(resp_headers.as_ptr(), pair.as_ptr());
            }
            let ms_o = Obj::from_owned(ffi::PyFloat_FromDouble(ms)).expect("float");
            let args = [
                &py::new_str(&ctx.head.method_str),
                &py::new_str(ctx.head.path()),
                &py::new_str(ctx.head.query().unwrap_or("")),
                &py::new_int(resp.status as i64),
                &ms_o,
                &py::new_str(ctx.client),
                &Self::header_list(ctx),
                &py::new_bytes(ctx.body),
                &resp_headers,
                &py::new_bytes(&resp.body),
                &py::new_bool(slow),
            ];
            if let Err(e) = py::call(&self.log_request_fn, &args) {
                eprintln!("django-bolt: request log failed: {e}");
            }
        }
    }

    pub fn log_access(
        &self,
        method: &str,
        path: &str,
        status: u16,
        ms: f64,
        nbytes: usize,
        client: &str,
    ) {
        // SAFETY: attached.
        let ms_o = unsafe { Obj::from_owned(ffi::PyFloat_FromDouble(ms)).expect("float") };
        let args = [
            &py::new_str(method),
            &py::new_str(path),
            &py::new_int(status as i64),
            &ms_o,
            &py::new_int(nbytes as i64),
            &py::new_str(client),
        ];
        if let Err(e) = py::call(&self.access_fn, &args) {
            eprintln!("django-bolt: access log failed: {e}");
        }
    }

    /// Ends the Python side: pool, loop, DB connections.
    pub fn shutdown(self) -> Result<(), PyErrText> {
        let f = self.rt.getattr(c"shutdown")?;
        py::call(&f, &[]).map(|_| ())
    }
}

/// Cookies of the request, from every `Cookie` header (RFC 6265 §5.4: `a=1; b=2`).
fn cookie_pairs(ctx: &RequestCtx) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (k, v) in &ctx.head.headers {
        if k != "cookie" {
            continue;
        }
        for part in String::from_utf8_lossy(v).split(';') {
            if let Some((name, value)) = part.split_once('=') {
                let value = value.trim();
                let value = value
                    .strip_prefix('"')
                    .and_then(|x| x.strip_suffix('"'))
                    .unwrap_or(value);
                out.push((name.trim().to_owned(), value.to_owned()));
            }
        }
    }
    out
}

/// The item of a one-item list of bool the runtime keeps current (a flag Python flips).
fn flag(list: &Obj) -> bool {
    // SAFETY: attached; a one-item list owned by the runtime.
    unsafe { ffi::PyList_GET_ITEM(list.as_ptr(), 0) == ffi::Py_True() }
}

/// `inspect.iscoroutinefunction(handler)`.
fn is_coroutine_function(handler: &Obj) -> Result<bool, String> {
    // SAFETY: attached.
    let inspect = unsafe { Obj::from_owned(ffi::PyImport_ImportModule(c"inspect".as_ptr())) }
        .ok_or_else(|| format!("import inspect: {}", py::take_err()))?;
    let check = attr(&inspect, c"iscoroutinefunction")?;
    let v = py::call(&check, &[handler]).map_err(|e| e.0)?;
    // SAFETY: attached.
    Ok(unsafe { ffi::PyObject_IsTrue(v.as_ptr()) } == 1)
}

fn route_name(item: *mut ffi::PyObject) -> String {
    let m = py::str_of(tuple_item(item, 0).as_ptr())
        .unwrap_or("?")
        .to_owned();
    format!(
        "{m} {}",
        py::str_of(tuple_item(item, 1).as_ptr()).unwrap_or("?")
    )
}

fn bytes_or_none(o: *mut ffi::PyObject) -> Option<Vec<u8>> {
    bytes_of(o)
}

fn strings_of(o: *mut ffi::PyObject) -> Vec<String> {
    py::seq_items(o)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|s| py::str_of(s).map(str::to_owned))
        .collect()
}

/// `([authenticator plans], guard plan | None)` from Route.plan(), or None.
fn security_from(t: &Obj) -> Result<Option<Security>, String> {
    let Some(items) = py::seq_items(t.as_ptr()) else {
        return Ok(None);
    };
    let mut authenticators = Vec::new();
    for a in py::seq_items(items[0]).unwrap_or_default() {
        let f = py::seq_items(a).ok_or("authenticator plan must be a tuple")?;
        if py::str_of(f[0]) == Some("apikey") && f.len() == 4 {
            let header = py::str_of(f[1]).unwrap_or("x-api-key").to_ascii_lowercase();
            let static_hashes = py::seq_items(f[2]).map(|_| strings_of(f[2]).into_iter().collect());
            // SAFETY: attached; a float from APIKeyAuthentication.plan().
            let ttl = unsafe { ffi::PyFloat_AsDouble(f[3]) };
            let ttl = Duration::from_secs_f64(if ttl.is_finite() && ttl >= 0.0 {
                ttl
            } else {
                5.0
            });
            authenticators.push(Authenticator::ApiKey(crate::auth::apikey::ApiKeyAuth {
                header,
                static_hashes,
                ttl,
            }));
            continue;
        }
        if f.len() != 9 || py::str_of(f[0]) != Some("jwt") {
            return Err("unknown authenticator".into());
        }
        let leeway = py::as_i64(f[6])
            .and_then(|v| u64::try_from(v).ok())
            .unwrap_or(0);
        let verifier = crate::auth::jwt::JwtVerifier::new(
            &strings_of(f[1]),
            bytes_or_none(f[2]).as_deref(),
            bytes_or_none(f[3]).as_deref(),
            &strings_of(f[4]),
            &strings_of(f[5]),
            leeway,
        )
        .map_err(|e| format!("JWTAuthentication: {e}"))?;
        let header = py::str_of(f[7])
            .unwrap_or("authorization")
            .to_ascii_lowercase();
        let cookie = py::str_of(f[8]).map(str::to_owned);
        authenticators.push(Authenticator::Jwt(Box::new(JwtAuth {
            verifier,
            header,
            cookie,
        })));
    }
    let guard = guard_from(items[1])?;
    Ok(Some(Security {
        authenticators,
        guard,
    }))
}

/// ("allow",) ("auth",) ("claim", name, [values]) ("not", g) ("and", a, b) ("or", a, b)
fn guard_from(o: *mut ffi::PyObject) -> Result<Option<crate::auth::guard::Guard>, String> {
    use crate::auth::guard::Guard;
    let Some(t) = py::seq_items(o) else {
        return Ok(None);
    };
    let tag = t
        .first()
        .and_then(|x| py::str_of(*x))
        .ok_or("guard plan without a tag")?;
    let sub = |i: usize| -> Result<Box<Guard>, String> {
        guard_from(*t.get(i).ok_or("guard plan too short")?)?
            .map(Box::new)
            .ok_or_else(|| "empty guard".into())
    };
    Ok(Some(match tag {
        "allow" => Guard::AllowAny,
        "auth" => Guard::IsAuthenticated,
        "claim" => Guard::Claim {
            name: py::str_of(*t.get(1).ok_or("claim name")?)
                .unwrap_or("")
                .to_owned(),
            values: strings_of(*t.get(2).ok_or("claim values")?),
        },
        "not" => Guard::Not(sub(1)?),
        "and" => Guard::And(sub(1)?, sub(2)?),
        "or" => Guard::Or(sub(1)?, sub(2)?),
        other => return Err(format!("unknown guard {other:?}")),
    }))
}

/// `(rps, burst, header)` from ratelimit.py (an empty header means the client address).
fn limit_from(t: &Obj) -> Option<crate::ratelimit::Limit> {
    let items = py::seq_items(t.as_ptr())?;
    let f = |o: *mut ffi::PyObject| -> f64 {
        // SAFETY: attached; floats from ratelimit.py.
        unsafe { ffi::PyFloat_AsDouble(o) }
    };
    let header = py::str_of(*items.get(2)?)?.to_owned();
    let key = match header.as_str() {
        "" => crate::ratelimit::KeyKind::Ip,
        "@user" => crate::ratelimit::KeyKind::User,
        _ => crate::ratelimit::KeyKind::Header(header),
    };
    Some(crate::ratelimit::Limit {
        rate: f(items[0]),
        burst: f(items[1]),
        key,
    })
}

/// A policy tuple from cors.py: (origins, regexes, allow_all, credentials, methods, headers,
/// expose, max_age), or None.
fn cors_from(t: &Obj) -> Result<Option<crate::cors::CorsPolicy>, String> {
    let Some(items) = py::seq_items(t.as_ptr()) else {
        return Ok(None);
    };
    if items.len() != 8 {
        return Err("policy must be an 8-tuple".into());
    }
    let strings = |o: *mut ffi::PyObject| -> Vec<String> {
        py::seq_items(o)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|s| py::str_of(s).map(str::to_owned))
            .collect()
    };
    // SAFETY: attached.
    let truthy = |o: *mut ffi::PyObject| unsafe { ffi::PyObject_IsTrue(o) == 1 };
    let mut regexes = Vec::new();
    for r in strings(items[1]) {
        regexes.push(regex::Regex::new(&r).map_err(|e| format!("bad origin regex {r:?}: {e}"))?);
    }
    Ok(Some(crate::cors::CorsPolicy {
        origins: strings(items[0]),
        origin_regexes: regexes,
        allow_all: truthy(items[2]),
        credentials: truthy(items[3]),
        methods: strings(items[4]),
        headers: strings(items[5]),
        expose: strings(items[6]),
        max_age: py::as_i64(items[7]).and_then(|v| u64::try_from(v).ok()),
    }))
}

/// Form fields as (name, value) pairs, and the dict of uploaded files (multipart only).
type FormParts = (Vec<(String, String)>, Option<Obj>);

/// Which keyed sources a route reads, so the others are never parsed.
#[derive(Default)]
struct Needs {
    query: bool,
    headers: bool,
    cookies: bool,
    /// Form fields or files: the body is parsed as a form.
    form: bool,
}

impl App {
    /// The first authenticator whose credentials are present decides: Ok(Some(claims JSON))
    /// when they check out, Ok(None) when no credentials were sent at all, Err(401) otherwise.
    fn authenticate(
        &self,
        sec: &Security,
        ctx: &RequestCtx,
    ) -> Result<Option<Vec<u8>>, ResponseData> {
        use crate::auth::jwt::JwtVerifier;
        for a in &sec.authenticators {
            match a {
                Authenticator::Jwt(a) => {
                    let token: Option<Result<String, crate::auth::jwt::JwtError>> =
                        match ctx.head.header(&a.header) {
                            Some(v) => Some(JwtVerifier::bearer(v).map(str::to_owned)),
                            None => a.cookie.as_ref().and_then(|name| {
                                cookie_pairs(ctx)
                                    .into_iter()
                                    .find(|(k, _)| k == name)
                                    .map(|(_, v)| Ok(v))
                            }),
                        };
                    let Some(token) = token else { continue };
                    let verified = token
                        .and_then(|t| a.verifier.verify(&t))
                        .and_then(|payload| {
                            // A refresh token only buys new tokens; it never authenticates a request.
                            let claims: sonic_rs::Value =
                                sonic_rs::from_slice(&payload).unwrap_or_default();
                            match claims.get("type").and_then(|t| t.as_str()) {
                                Some("refresh") => Err(crate::auth::jwt::JwtError::Invalid(
                                    "a refresh token cannot be used for access".into(),
                                )),
                                _ => Ok(payload),
                            }
                        });
                    return verified.map(Some).map_err(|e| {
                        let mut resp = ResponseData::detail(401, &e.to_string());
                        // RFC 6750 §3: say which scheme, and that the token was the problem.
                        resp.headers.push((
                            b"www-authenticate".to_vec(),
                            br#"Bearer error="invalid_token""#.to_vec(),
                        ));
                        resp
                    });
                }
                Authenticator::ApiKey(a) => {
                    let Some(raw) = ctx.head.header(&a.header) else {
                        continue;
                    };
                    let hash = crate::auth::apikey::key_hash(raw);
                    let claims = match &a.static_hashes {
                        Some(set) => Ok(set
                            .contains(&hash)
                            .then(|| br#"{"api_key":"static"}"#.to_vec())),
                        None => self
                            .apikey_cache
                            .get_or_load(&hash, a.ttl, Instant::now(), || self.api_key_claims(raw)),
                    };
                    return match claims {
                        Ok(Some(c)) => Ok(Some(c)),
                        Ok(None) => {
                            let mut resp = ResponseData::detail(401, "invalid API key");
                            // RFC 9110 §15.5.2: a 401 names the scheme to use.
                            resp.headers
                                .push((b"www-authenticate".to_vec(), b"ApiKey".to_vec()));
                            Err(resp)
                        }
                        Err(e) => {
                            eprintln!("django-bolt: API key lookup failed: {e}");
                            Err(ResponseData::detail(503, "API key lookup unavailable"))
                        }
                    };
                }
            }
        }
        Ok(None)
    }

    /// Asks the database (Runtime.api_key_claims) about a key this core has not seen lately.
    fn api_key_claims(&self, raw: &[u8]) -> Result<Option<Vec<u8>>, String> {
        let f = self.rt.getattr(c"api_key_claims").map_err(|e| e.0)?;
        let v = py::call(&f, &[&py::new_bytes(raw)]).map_err(|e| e.0)?;
        Ok(bytes_of(v.as_ptr()))
    }
}

/// A guard said no. Django REST framework's rule: 401, naming the scheme to use, only when the
/// route authenticates and this request did not; 403 otherwise (no scheme, or authenticated).
fn refused(sec: &Security, authenticated: bool) -> ResponseData {
    let scheme = sec.authenticators.first().map(|a| match a {
        Authenticator::Jwt(_) => "Bearer",
        Authenticator::ApiKey(_) => "ApiKey",
    });
    match (authenticated, scheme) {
        (false, Some(scheme)) => {
            let mut r = ResponseData::detail(401, "Authentication credentials were not provided.");
            r.headers
                .push((b"www-authenticate".to_vec(), scheme.as_bytes().to_vec()));
            r
        }
        _ => ResponseData::detail(403, "You do not have permission to perform this action."),
    }
}

enum Extract {
    Invalid(Vec<ValidationIssue>),
    Response(ResponseData),
}

impl From<ValidationIssue> for Extract {
    fn from(i: ValidationIssue) -> Self {
        Extract::Invalid(vec![i])
    }
}

fn bytes_of(o: *mut ffi::PyObject) -> Option<Vec<u8>> {
    // SAFETY: attached.
    unsafe {
        if ffi::PyBytes_Check(o) == 0 {
            return None;
        }
        let p = ffi::PyBytes_AsString(o) as *const u8;
        let n = ffi::PyBytes_Size(o) as usize;
        Some(std::slice::from_raw_parts(p, n).to_vec())
    }
}

/// Header pairs from a dict (or a list of 2-tuples); names and values that could inject
/// framing (CR/LF, invalid tokens) are dropped.
fn header_pairs(h: &Obj) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    let mut push = |k: *mut ffi::PyObject, v: *mut ffi::PyObject| {
        let (Some(k), Some(v)) = (py::str_of(k), py::str_of(v)) else {
            return;
        };
        if crate::http::valid_header_name(k.as_bytes())
            && crate::http::valid_header_value(v.as_bytes())
        {
            out.push((k.as_bytes().to_ascii_lowercase(), v.as_bytes().to_vec()));
        } else {
            eprintln!("django-bolt: dropped invalid response header {k:?}");
        }
    };
    // SAFETY: attached.
    unsafe {
        if ffi::PyDict_Check(h.as_ptr()) != 0 {
            let mut pos = 0;
            let mut k = null_mut();
            let mut v = null_mut();
            while ffi::PyDict_Next(h.as_ptr(), &mut pos, &mut k, &mut v) != 0 {
                push(k, v);
            }
        } else if let Some(items) = py::seq_items(h.as_ptr()) {
            for it in items {
                if ffi::PyTuple_Check(it) != 0 && ffi::PyTuple_GET_SIZE(it) == 2 {
                    push(ffi::PyTuple_GET_ITEM(it, 0), ffi::PyTuple_GET_ITEM(it, 1));
                }
            }
        }
    }
    out
}
