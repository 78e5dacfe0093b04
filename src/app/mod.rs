//! The application as one worker's interpreter holds it: the route table with its Python
//! handlers, and the request → handler → response step.
//!
//! Everything here runs attached to the worker's own sub-interpreter; `App` is created, used and
//! dropped on that one thread. `App` holds the state; each concern is a file: `plan` reads
//! the route table from Python, `hooks` names the Python entry points, `handle` runs one API
//! request, `call` calls handlers and drives coroutines (`pending` holds the responses still
//! to come), `respond` turns results into responses, `fallthrough` hands other paths to
//! Django, `log` writes request logs, `websocket` runs WebSocket handlers.

pub mod access;
pub mod call;
pub mod fallthrough;
pub mod handle;
pub mod hooks;
pub mod log;
pub mod pending;
pub mod plan;
pub mod repeats;
pub mod respond;
pub mod stream;
pub mod websocket;

pub use call::Outcome;
pub use handle::Pass;
pub use hooks::Hooks;
pub use plan::{PlanError, Route};

use crate::auth::apikey::ApiKeyCache;
use crate::codec::encode::EncodeTypes;
use crate::codec::text::Parsers;
use crate::compression::Compression;
use crate::cors::CorsPolicy;
use crate::py::{self, Obj};
use crate::ratelimit::{Buckets, TrustedProxies};
use crate::router::Router;
use crate::static_files::StaticFiles;
use log::RequestLogs;
use plan::{attr, float_attr, Blocking};
use pyo3::ffi;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::time::Duration;

/// Why a worker's application could not start.
#[derive(Debug, thiserror::Error)]
pub enum BootError {
    #[error("import django_bolt._worker: {0}")]
    Import(String),
    #[error("{0}")]
    Python(String),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error("{0}")]
    Router(String),
}

pub struct App {
    pub routes: Vec<Route>,
    /// For the start-up banner: the project's own routes (not the docs'), and the docs' path.
    pub project_routes: usize,
    pub docs_path: Option<String>,
    pub router: Router,
    hooks: Hooks,
    types: EncodeTypes,
    parsers: Parsers,
    /// Built-in probes: `/health` answered in Rust, `/ready` through `Runtime.ready_call`.
    pub health_path: Option<String>,
    pub ready_path: Option<String>,
    trusted_proxies: TrustedProxies,
    /// The longest parameter value in bytes (`Runtime.max_param_length`, from
    /// `DJANGO_BOLT_MAX_PARAM_LENGTH`, checked at start-up).
    max_param_len: usize,
    apikey_cache: ApiKeyCache,
    buckets: RefCell<Buckets>,
    /// The project's CORS policy (CORS_* settings).
    pub cors_global: Option<CorsPolicy>,
    /// True when any policy exists, so requests without one skip the lookups.
    pub has_cors: bool,
    /// True when a route has `File(max_size=...)` limits checked while its body arrives, so
    /// other apps' connections never look.
    pub has_upload_limits: bool,
    /// STATIC_URL/MEDIA_URL served from disk in Rust, before routing.
    pub static_files: Option<StaticFiles>,
    /// The project's compression (None: off).
    pub compression: Option<Compression>,
    /// Where `FileResponse` may serve from (canonical; None: anywhere, the setting is unset).
    pub file_roots: Option<Vec<std::path::PathBuf>>,
    pub logs: RequestLogs,
    blocking_threshold: Duration,
    django_blocking: Blocking,
    /// Every `def` handler runs on the calling thread (the test client: a test's database
    /// connection and transaction live there), never on the blocking pool.
    inline_only: bool,
    /// What each pending token's Task is for.
    inflight: RefCell<HashMap<u64, call::Inflight>>,
    /// Streamed bodies still being sent.
    streams: stream::Streams,
    /// The asyncio loop's epoll fd (`Runtime.loop_fd`): readable when the loop has work.
    pub loop_fd: i32,
    /// WebSocket handlers' hub and their sockets' queues.
    pub ws: websocket::WsHub,
    /// Whether any route is a WebSocket one (the HTTP loop skips the check otherwise).
    pub has_websocket: bool,
    /// The prefixes of the ASGI mounts that take WebSockets (`Mounts.websocket_prefixes`).
    pub ws_mounts: Vec<String>,
    /// The client socket of a connection, by its peer address (set by the runtime, which owns
    /// the sockets): a call queued for the blocking pool checks it before it starts, and is
    /// dropped if its client has gone. None: no sockets (the test client).
    client_fd: RefCell<Option<ClientFd>>,
    /// A KeyboardInterrupt raised inside the asyncio pump (the test client's thread is the
    /// main thread, where Ctrl-C lands): kept for `take_interrupted`, so it is not lost.
    interrupted: Cell<bool>,
    /// `django_bolt._worker.Runtime`, kept alive for the hooks' sake.
    _rt: Obj,
}

/// Finds the socket of a client by its address (`Request::client`).
pub type ClientFd = Box<dyn Fn(&str) -> Option<i32>>;

impl App {
    /// Imports the project in this interpreter (`django_bolt._worker.boot`) and builds the
    /// route table from what it returns.
    pub fn boot(config_json: &str) -> Result<App, BootError> {
        // SAFETY: attached to this worker's interpreter.
        let module =
            unsafe { Obj::from_owned(ffi::PyImport_ImportModule(c"django_bolt._worker".as_ptr())) }
                .ok_or_else(|| BootError::Import(py::take_err().0))?;
        let boot = attr(&module, c"boot")?;
        let rt =
            py::call(&boot, &[&py::new_str(config_json)]).map_err(|e| BootError::Python(e.0))?;
        App::from_runtime(rt)
    }

    /// Builds the application from a `django_bolt._worker.Runtime` made in this interpreter
    /// (by `boot` for a worker, by the test client for the calling interpreter).
    pub fn from_runtime(rt: Obj) -> Result<App, BootError> {
        let items = py::seq_items(attr(&rt, c"routes")?.as_ptr())
            .ok_or_else(|| PlanError::Type("routes".into(), "a list"))?;
        let mut routes = Vec::with_capacity(items.len());
        let mut router = Router::new();
        for (idx, item) in items.into_iter().enumerate() {
            let route = plan::route(item)?;
            router
                .insert(&route.method, &route.path, idx)
                .map_err(|e| BootError::Router(e.to_string()))?;
            routes.push(route);
        }
        let str_attr = |name: &std::ffi::CStr| {
            attr(&rt, name)
                .ok()
                .and_then(|p| py::str_of(p.as_ptr()).map(str::to_owned))
        };
        let trusted: Vec<String> = py::seq_items(attr(&rt, c"trusted_proxies")?.as_ptr())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|s| py::str_of(s).map(str::to_owned))
            .collect();
        let cors_global = plan::cors(attr(&rt, c"cors_global")?.as_ptr())
            .map_err(|e| e.context("CORS settings"))?;
        let has_cors = cors_global.is_some() || routes.iter().any(|r| r.cors.is_some());
        let has_upload_limits = routes.iter().any(|r| !r.upload_limits.is_empty());
        let loop_fd = py::as_i64(attr(&rt, c"loop_fd")?.as_ptr())
            .ok_or_else(|| PlanError::Type("loop_fd".into(), "an int"))?;
        let hooks = Hooks::load(&rt)?;
        let ws_mounts: Vec<String> = match &hooks.mounts {
            Some(m) => py::seq_items(attr(m, c"websocket_prefixes")?.as_ptr())
                .ok_or_else(|| PlanError::Type("websocket_prefixes".into(), "a list"))?
                .into_iter()
                .filter_map(|s| py::str_of(s).map(str::to_owned))
                .collect(),
            None => Vec::new(),
        };
        Ok(App {
            router,
            hooks,
            ws: websocket::WsHub::load(&rt)?,
            types: EncodeTypes::from_tuple(attr(&rt, c"encode_types")?.as_ptr())
                .map_err(|e| PlanError::Invalid(e.to_string()))?,
            parsers: plan::parsers(&attr(&rt, c"parsers")?)?,
            project_routes: attr(&rt, c"project_route_count")
                .ok()
                .and_then(|v| py::as_i64(v.as_ptr()))
                .map_or(routes.len(), |n| n as usize),
            docs_path: str_attr(c"docs_path"),
            health_path: str_attr(c"health_path"),
            ready_path: str_attr(c"ready_path"),
            trusted_proxies: TrustedProxies::parse(&trusted)
                .map_err(|e| PlanError::Invalid(e.to_string()))?,
            max_param_len: attr(&rt, c"max_param_length")
                .ok()
                .and_then(|v| py::as_i64(v.as_ptr()))
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| PlanError::Type("max_param_length".into(), "an int"))?,
            apikey_cache: ApiKeyCache::default(),
            buckets: RefCell::default(),
            cors_global,
            has_cors,
            has_upload_limits,
            static_files: plan::static_files(&attr(&rt, c"static_mounts")?)?,
            compression: plan::compression(&attr(&rt, c"compression")?)?,
            file_roots: plan::file_roots(&attr(&rt, c"file_roots")?)?,
            logs: RequestLogs {
                // SAFETY: attached.
                access_enabled: unsafe {
                    ffi::PyObject_IsTrue(attr(&rt, c"access_enabled")?.as_ptr()) == 1
                },
                // SAFETY: attached.
                access_sink: attr(&rt, c"access_native")
                    .is_ok_and(|v| unsafe { ffi::PyObject_IsTrue(v.as_ptr()) } == 1)
                    .then(access::AccessSink::new),
                sample_rate: float_attr(&rt, c"log_sample_rate").unwrap_or(0.0),
                slow_ms: float_attr(&rt, c"log_slow_ms").unwrap_or(-1.0),
                errors_from: float_attr(&rt, c"log_errors_from")
                    .filter(|v| (0.0..f64::from(u16::MAX)).contains(v))
                    .map_or(u16::MAX, |v| v as u16),
                min_ms: float_attr(&rt, c"log_min_ms").unwrap_or(0.0),
                rng: Cell::new(
                    0x9E37_79B9_7F4A_7C15
                        ^ (py::interp_id() as u64).wrapping_mul(0x2545_F491_4F6C_DD1D),
                ),
            },
            blocking_threshold: Duration::from_secs_f64(
                float_attr(&rt, c"blocking_threshold")
                    .filter(|v| v.is_finite() && *v > 0.0)
                    .unwrap_or(0.025),
            ),
            django_blocking: Blocking::auto(),
            // SAFETY: attached.
            inline_only: attr(&rt, c"testing")
                .is_ok_and(|v| unsafe { ffi::PyObject_IsTrue(v.as_ptr()) } == 1),
            inflight: RefCell::default(),
            streams: stream::Streams::default(),
            loop_fd: loop_fd as i32,
            has_websocket: routes.iter().any(|r| r.websocket),
            ws_mounts,
            routes,
            client_fd: RefCell::new(None),
            interrupted: Cell::new(false),
            _rt: rt,
        })
    }

    pub fn hooks(&self) -> &Hooks {
        &self.hooks
    }

    /// Whether `path` is one of the probes (kept out of the access log).
    pub fn is_probe(&self, path: &str) -> bool {
        self.health_path.as_deref() == Some(path) || self.ready_path.as_deref() == Some(path)
    }

    /// The CORS policy of a route: its own, else the project's.
    pub fn route_cors(&self, route: usize) -> Option<&CorsPolicy> {
        self.routes[route]
            .cors
            .as_ref()
            .or(self.cors_global.as_ref())
    }

    /// Sets how a request's client socket is found (see `client_fd`).
    pub fn set_client_fd(&self, find: ClientFd) {
        *self.client_fd.borrow_mut() = Some(find);
    }

    /// The socket of `client`, or -1 when unknown.
    pub(super) fn client_fd_of(&self, client: &str) -> i32 {
        self.client_fd
            .borrow()
            .as_ref()
            .and_then(|find| find(client))
            .unwrap_or(-1)
    }

    /// Shutdown begins: calls still queued for the blocking pool are dropped (their requests
    /// answer 503 now) and new ones refused. Returns how many were dropped.
    pub fn drain_pool(&self) -> usize {
        match py::call(&self.hooks.drain_pool, &[]) {
            Ok(n) => py::as_i64(n.as_ptr()).unwrap_or(0).max(0) as usize,
            Err(e) => {
                eprintln!("django-bolt: draining the blocking pool: {e}");
                0
            }
        }
    }

    /// Ends the Python side: pool, loop, DB connections, waiting at most `grace` for the
    /// pool's threads. Ok(false): a thread still runs a handler, so the interpreter must not
    /// be ended.
    pub fn shutdown(&self, grace: Duration) -> Result<bool, py::PyErrText> {
        py::call(&self.hooks.shutdown, &[&py::new_float(grace.as_secs_f64())])
            // SAFETY: attached.
            .map(|v| unsafe { ffi::PyObject_IsTrue(v.as_ptr()) } != 0)
    }
}
