//! Every reader of the route table Python hands over at boot (`Runtime.routes`, built by
//! `_plans.py`): routes with their parameters, CORS policies, rate limits, authentication and
//! guards, and the static mounts. Nothing here runs per request.

use super::respond::Render;
use crate::auth::apikey::ApiKeyAuth;
use crate::auth::authenticate::{Authenticator, JwtAuth, RemoteKeys, Security};
use crate::auth::guard::Guard;
use crate::auth::jwks::RemoteJwks;
use crate::auth::jwt::JwtVerifier;
use crate::codec::text::Kind;
use crate::compression::{Coding, Compression};
use crate::cors::CorsPolicy;
use crate::params::{Needs, ParamPlan, F_DEFAULT};
use crate::py::{self, Obj};
use crate::ratelimit::{KeyKind, Limit};
use crate::static_files::{Mount, MountKind, StaticFiles};
use crate::validation::constraints::constraints_from;
use pyo3::ffi;
use std::cell::{Cell, RefCell};
use std::ffi::CStr;
use std::time::Duration;

pub struct Route {
    pub method: String,
    pub path: String,
    pub handler: Obj,
    pub status: u16,
    pub params: Vec<ParamPlan>,
    pub needs: Needs,
    /// Names for vectorcall keywords, in plan order.
    pub kwnames: Obj,
    pub blocking: Blocking,
    /// This route's own CORS policy (`@cors`), replacing the project's.
    pub cors: Option<CorsPolicy>,
    pub limit: Option<Limit>,
    pub security: Option<Security>,
    /// The declared response type's plan capsule (`response_model=` or the return annotation).
    pub response: Option<Obj>,
    /// An `async def` endpoint: it cannot touch the database on the worker thread (Django
    /// refuses sync ORM calls under a running loop), so it needs no housekeeping there.
    pub is_async: bool,
    /// False: `@no_compress`.
    pub compress: bool,
    /// False: its API's `enable_logging=False`: no access line, no request log entry.
    pub logged: bool,
    /// What a plain return value may be rendered as, in the route's order of preference
    /// (empty: JSON, `Accept` disregarded).
    pub renderers: Vec<Render>,
    /// An `@api.websocket` route: GET requests to it are opening handshakes.
    pub websocket: bool,
    /// Its API's `error_formatter`, as `error_handlers.core_error_hook`: reshapes the errors
    /// answered before the handler runs (401/403/429, 406, 422). None: the default body.
    pub error_hook: Option<Obj>,
    /// `File(max_size=...)` limits by form field: a file part passing its limit is refused
    /// while the body still arrives (`runtime::conn`). Empty for most routes.
    pub upload_limits: Vec<(String, usize)>,
    /// `(limit_key, claims, backend) -> None` (`_prechecks.py`): the checks that need blocking I/O
    /// (a shared rate limit's cache counter, a JWT revocation lookup), run on the core's pool
    /// before the handler by `Runtime.run_prechecked`. None: the route has none.
    pub precheck: Option<Obj>,
    /// How many bytes this route's last JSON body took (capped at `respond::BODY_HINT_MAX`): the next
    /// body is reserved that size up front, so a large answer is not copied at every doubling
    /// of its buffer while it is encoded.
    pub body_hint: Cell<u32>,
}

/// Where a `def` handler runs. `Auto` (the default) runs it inline and moves it to the
/// per-core pool after it has blocked the reactor for longer than the threshold a few times.
pub enum Blocking {
    Always,
    Never,
    Auto {
        slow_calls: Cell<u32>,
        promoted: Cell<bool>,
    },
}

impl Blocking {
    pub fn auto() -> Blocking {
        Blocking::Auto {
            slow_calls: Cell::new(0),
            promoted: Cell::new(false),
        }
    }

    /// Whether the next call goes to the blocking pool.
    pub fn on_pool(&self) -> bool {
        match self {
            Blocking::Always => true,
            Blocking::Never => false,
            Blocking::Auto { promoted, .. } => promoted.get(),
        }
    }
}

/// A plan that Python built wrong: boot stops with this message.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{0}: missing ({1})")]
    Missing(String, String),
    #[error("{0} must be {1}")]
    Type(String, &'static str),
    #[error("unknown {0} {1:?}")]
    Unknown(&'static str, String),
    #[error("{0}: {1}")]
    In(String, Box<PlanError>),
    #[error("{0}")]
    Invalid(String),
}

impl PlanError {
    pub fn context(self, what: impl Into<String>) -> PlanError {
        PlanError::In(what.into(), Box::new(self))
    }
}

pub fn attr(o: &Obj, name: &CStr) -> Result<Obj, PlanError> {
    o.getattr(name)
        .map_err(|e| PlanError::Missing(name.to_string_lossy().into_owned(), e.0))
}

fn int_of(o: *mut ffi::PyObject, what: &str) -> Result<i64, PlanError> {
    py::as_i64(o).ok_or_else(|| PlanError::Type(what.into(), "an int"))
}

fn str_of(o: *mut ffi::PyObject, what: &str) -> Result<String, PlanError> {
    py::str_of(o)
        .map(str::to_owned)
        .ok_or_else(|| PlanError::Type(what.into(), "a str"))
}

fn list_of(o: *mut ffi::PyObject, what: &str) -> Result<Vec<*mut ffi::PyObject>, PlanError> {
    py::seq_items(o).ok_or_else(|| PlanError::Type(what.into(), "a list"))
}

fn strings_of(o: *mut ffi::PyObject) -> Vec<String> {
    py::seq_items(o)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|s| py::str_of(s).map(str::to_owned))
        .collect()
}

fn is_none(o: *mut ffi::PyObject) -> bool {
    // SAFETY: attached; comparing with the None singleton.
    o == unsafe { ffi::Py_None() }
}

fn truthy(o: *mut ffi::PyObject) -> bool {
    // SAFETY: attached.
    unsafe { ffi::PyObject_IsTrue(o) == 1 }
}

pub(super) fn float_of(o: *mut ffi::PyObject) -> Option<f64> {
    // SAFETY: attached; ints and floats both convert.
    unsafe {
        let v = ffi::PyFloat_AsDouble(o);
        if v == -1.0 && !ffi::PyErr_Occurred().is_null() {
            ffi::PyErr_Clear();
            return None;
        }
        Some(v)
    }
}

/// A float attribute of the runtime, or None when absent or not a number.
pub fn float_attr(o: &Obj, name: &CStr) -> Option<f64> {
    float_of(o.getattr(name).ok()?.as_ptr())
}

/// A named field of a plan object (`_plans.py`: NamedTuples), read by name so the layout is
/// written once, on the Python side.
fn field(o: *mut ffi::PyObject, name: &CStr) -> Result<*mut ffi::PyObject, PlanError> {
    // SAFETY: attached; a new reference, kept alive by `o` (a tuple owns its items).
    let v = unsafe { ffi::PyObject_GetAttrString(o, name.as_ptr()) };
    if v.is_null() {
        return Err(PlanError::Missing(
            name.to_string_lossy().into_owned(),
            py::take_err().0,
        ));
    }
    // SAFETY: attached; the NamedTuple still holds its own reference to the field.
    unsafe { ffi::Py_DECREF(v) };
    Ok(v)
}

/// One route from a `RoutePlan`.
pub fn route(item: *mut ffi::PyObject) -> Result<Route, PlanError> {
    let method = str_of(field(item, c"method")?, "method")?;
    let path = str_of(field(item, c"path")?, "path")?;
    let name = format!("{method} {path}");
    route_fields(item, method, path).map_err(|e| e.context(format!("route {name}")))
}

fn route_fields(
    item: *mut ffi::PyObject,
    method: String,
    path: String,
) -> Result<Route, PlanError> {
    let handler = Obj::from_borrowed(field(item, c"handler")?);
    let status = int_of(field(item, c"status_code")?, "status_code")? as u16;
    let b = field(item, c"blocking")?;
    let blocking = if is_none(b) {
        Blocking::auto()
    } else if truthy(b) {
        Blocking::Always
    } else {
        Blocking::Never
    };
    let mut params = Vec::new();
    let mut names = Vec::new();
    for p in list_of(field(item, c"params")?, "params")? {
        let param = param(p)?;
        names.push(py::new_str(&param.name));
        params.push(param);
    }
    Ok(Route {
        needs: Needs::of(&params),
        method,
        path,
        status,
        params,
        kwnames: py::tuple(names),
        blocking,
        cors: cors(field(item, c"cors")?).map_err(|e| e.context("CORS"))?,
        limit: limit(field(item, c"rate_limit")?),
        security: security(field(item, c"security")?)?,
        response: {
            let r = Obj::from_borrowed(field(item, c"response")?);
            crate::codec::from_capsule(r.as_ptr())
                .is_some()
                .then_some(r)
        },
        is_async: is_coroutine_function(&handler)?,
        compress: truthy(field(item, c"compress")?),
        logged: truthy(field(item, c"logged")?),
        renderers: renderers(field(item, c"renderers")?)?,
        websocket: truthy(field(item, c"websocket")?),
        error_hook: {
            let h = field(item, c"error_hook")?;
            (!is_none(h)).then(|| Obj::from_borrowed(h))
        },
        upload_limits: upload_limits(field(item, c"upload_limits")?)?,
        precheck: {
            let h = field(item, c"precheck")?;
            (!is_none(h)).then(|| Obj::from_borrowed(h))
        },
        body_hint: Cell::new(0),
        handler,
    })
}

/// `RoutePlan.upload_limits`: `(field, max_size)` pairs.
fn upload_limits(v: *mut ffi::PyObject) -> Result<Vec<(String, usize)>, PlanError> {
    let mut out = Vec::new();
    for pair in list_of(v, "upload_limits")? {
        if list_of(pair, "upload limit")?.len() != 2 {
            return Err(PlanError::Type(
                "upload limit".into(),
                "a (field, max_size) pair",
            ));
        }
        let name = str_of(py::tuple_item(pair, 0).as_ptr(), "upload limit field")?;
        let max = int_of(py::tuple_item(pair, 1).as_ptr(), "upload limit size")?;
        out.push((name, max.max(0) as usize));
    }
    Ok(out)
}

/// One parameter from a `ParamPlan` (`_plans.py`).
fn param(p: *mut ffi::PyObject) -> Result<ParamPlan, PlanError> {
    let name = str_of(field(p, c"name")?, "param name")?;
    let source = int_of(field(p, c"source")?, "source")? as u8;
    let code = int_of(field(p, c"kind")?, "kind")?;
    let kind = Kind::from_code(code).ok_or(PlanError::Unknown("param kind", code.to_string()))?;
    let flags = int_of(field(p, c"flags")?, "flags")?;
    let default = (flags & F_DEFAULT != 0)
        .then(|| field(p, c"default").map(Obj::from_borrowed))
        .transpose()?;
    let key = str_of(field(p, c"key")?, "key")?;
    let model_o = field(p, c"model")?;
    let model = (!is_none(model_o)).then(|| Obj::from_borrowed(model_o));
    let constraints = constraints_from(&Obj::from_borrowed(field(p, c"constraints")?))
        .map_err(|e| PlanError::Invalid(format!("parameter {name:?}: {e}")))?;
    Ok(ParamPlan {
        name,
        source,
        kind,
        flags,
        default,
        key,
        model,
        constraints,
    })
}

/// `inspect.iscoroutinefunction(handler)`.
fn is_coroutine_function(handler: &Obj) -> Result<bool, PlanError> {
    // SAFETY: attached.
    let inspect = unsafe { Obj::from_owned(ffi::PyImport_ImportModule(c"inspect".as_ptr())) }
        .ok_or_else(|| PlanError::Missing("inspect".into(), py::take_err().0))?;
    let check = attr(&inspect, c"iscoroutinefunction")?;
    let v = py::call(&check, &[handler]).map_err(|e| PlanError::Invalid(e.0))?;
    Ok(truthy(v.as_ptr()))
}

/// A `SecurityPlan` (authenticators, guard), or None.
fn security(o: *mut ffi::PyObject) -> Result<Option<Security>, PlanError> {
    if is_none(o) {
        return Ok(None);
    }
    let mut authenticators = Vec::new();
    for a in list_of(field(o, c"authenticators")?, "authenticators")? {
        authenticators.push(authenticator(a)?);
    }
    let guard = guard(field(o, c"guard")?)?;
    Ok(Some(Security {
        authenticators,
        guard,
    }))
}

/// A `JwtPlan` or an `ApiKeyPlan`, told apart by their `scheme`.
fn authenticator(a: *mut ffi::PyObject) -> Result<Authenticator, PlanError> {
    let scheme = str_of(field(a, c"scheme")?, "authenticator scheme")?;
    match scheme.as_str() {
        "apikey" => {
            let header = str_of(field(a, c"header")?, "API key header")?.to_ascii_lowercase();
            let keys = field(a, c"key_hashes")?;
            // Each in-memory key's claims, in the order of its hash (default: `api_key` only).
            let claims = py::seq_items(field(a, c"key_claims")?).unwrap_or_default();
            let static_hashes = py::seq_items(keys).map(|_| {
                strings_of(keys)
                    .into_iter()
                    .enumerate()
                    .map(|(i, h)| {
                        let c = claims.get(i).and_then(|c| py::bytes_of(*c));
                        (h, c.unwrap_or_else(|| br#"{"api_key":"static"}"#.to_vec()))
                    })
                    .collect()
            });
            let ttl = float_of(field(a, c"cache_ttl")?)
                .filter(|t| t.is_finite() && *t >= 0.0)
                .unwrap_or(5.0);
            Ok(Authenticator::ApiKey(ApiKeyAuth {
                header,
                static_hashes,
                ttl: Duration::from_secs_f64(ttl),
            }))
        }
        "jwt" => {
            let bytes = |name: &CStr| -> Result<Option<Vec<u8>>, PlanError> {
                Ok(py::bytes_of(field(a, name)?))
            };
            let leeway = py::as_i64(field(a, c"leeway")?)
                .and_then(|v| u64::try_from(v).ok())
                .unwrap_or(0);
            let algorithms = strings_of(field(a, c"algorithms")?);
            let (audience, issuer) = (
                strings_of(field(a, c"audience")?),
                strings_of(field(a, c"issuer")?),
            );
            // A `jwks_url` set is the process's (`auth::jwks`): every core starts from the
            // same document and follows its refreshes.
            let remote = match py::str_of(field(a, c"jwks_url")?) {
                Some(url) => {
                    let fetched = bytes(c"jwks")?.ok_or_else(|| {
                        PlanError::Invalid("JWTAuthentication: jwks_url without its key set".into())
                    })?;
                    let every = float_of(field(a, c"jwks_refresh_interval")?)
                        .filter(|t| t.is_finite() && *t > 0.0)
                        .unwrap_or(300.0);
                    let set = RemoteJwks::register(url, Duration::from_secs_f64(every), fetched);
                    Some(RemoteKeys {
                        built: Cell::new(set.document().0),
                        set,
                        algorithms: algorithms.clone(),
                        audience: audience.clone(),
                        issuer: issuer.clone(),
                        leeway,
                    })
                }
                None => None,
            };
            let jwks = match &remote {
                Some(r) => Some(r.set.document().1.to_vec()),
                None => bytes(c"jwks")?,
            };
            let verifier = match jwks {
                Some(jwks) => {
                    JwtVerifier::from_jwks(&algorithms, &jwks, &audience, &issuer, leeway)
                }
                None => JwtVerifier::new(
                    &algorithms,
                    bytes(c"secret")?.as_deref(),
                    bytes(c"public_key")?.as_deref(),
                    &audience,
                    &issuer,
                    leeway,
                ),
            }
            .map_err(|e| PlanError::Invalid(format!("JWTAuthentication: {e}")))?;
            let header = str_of(field(a, c"header")?, "JWT header")?.to_ascii_lowercase();
            let cookie = py::str_of(field(a, c"cookie")?).map(str::to_owned);
            let token_type = py::str_of(field(a, c"token_type")?).map(str::to_owned);
            let cookie_csrf = truthy(field(a, c"cookie_csrf")?);
            Ok(Authenticator::Jwt(Box::new(JwtAuth {
                verifier: RefCell::new(verifier),
                header,
                cookie,
                token_type,
                cookie_csrf,
                verified: Default::default(),
                remote,
            })))
        }
        other => Err(PlanError::Unknown("authenticator", other.into())),
    }
}

/// ("allow",) ("auth",) ("claim", name, [values]) ("not", g) ("and", a, b) ("or", a, b), or
/// None when the guards need Python.
fn guard(o: *mut ffi::PyObject) -> Result<Option<Guard>, PlanError> {
    let Some(t) = py::seq_items(o) else {
        return Ok(None);
    };
    let at = |i: usize| -> Result<*mut ffi::PyObject, PlanError> {
        t.get(i)
            .copied()
            .ok_or_else(|| PlanError::Invalid("guard plan too short".into()))
    };
    let sub = |i: usize| -> Result<Box<Guard>, PlanError> {
        guard(at(i)?)?
            .map(Box::new)
            .ok_or_else(|| PlanError::Invalid("empty guard".into()))
    };
    let tag = str_of(at(0)?, "guard tag")?;
    Ok(Some(match tag.as_str() {
        "allow" => Guard::AllowAny,
        "auth" => Guard::IsAuthenticated,
        "claim" => Guard::Claim {
            name: str_of(at(1)?, "claim name")?,
            values: strings_of(at(2)?),
        },
        "not" => Guard::Not(sub(1)?),
        "and" => Guard::And(sub(1)?, sub(2)?),
        "or" => Guard::Or(sub(1)?, sub(2)?),
        other => return Err(PlanError::Unknown("guard", other.into())),
    }))
}

/// A `LimitPlan` (rate, burst, key: "" for the client address, "@user", or a header; shared:
/// also counted in the project's cache, see `Route::precheck`), or None.
fn limit(o: *mut ffi::PyObject) -> Option<Limit> {
    if is_none(o) {
        return None;
    }
    let key = py::str_of(field(o, c"key").ok()?)?.to_owned();
    let key = match key.as_str() {
        "" => KeyKind::Ip,
        "@user" => KeyKind::User,
        _ => KeyKind::Header(key),
    };
    Some(Limit {
        rate: float_of(field(o, c"rate").ok()?)?,
        burst: float_of(field(o, c"burst").ok()?)?,
        key,
        shared: truthy(field(o, c"shared").ok()?),
    })
}

/// A `CorsPlan`, or None.
pub fn cors(o: *mut ffi::PyObject) -> Result<Option<CorsPolicy>, PlanError> {
    if is_none(o) {
        return Ok(None);
    }
    let mut origin_regexes = Vec::new();
    for r in strings_of(field(o, c"origin_regexes")?) {
        origin_regexes.push(
            regex::Regex::new(&r)
                .map_err(|e| PlanError::Invalid(format!("bad origin regex {r:?}: {e}")))?,
        );
    }
    Ok(Some(CorsPolicy {
        origins: strings_of(field(o, c"origins")?),
        origin_regexes,
        allow_all: truthy(field(o, c"allow_all")?),
        credentials: truthy(field(o, c"credentials")?),
        methods: strings_of(field(o, c"methods")?),
        headers: strings_of(field(o, c"headers")?),
        expose: strings_of(field(o, c"expose")?),
        max_age: py::as_i64(field(o, c"max_age")?).and_then(|v| u64::try_from(v).ok()),
    }))
}

/// `[StaticMount(prefix, roots, cache_control, media, csp, csp_report_only)]` from
/// `Runtime.static_mounts`.
pub fn static_files(mounts: &Obj) -> Result<Option<StaticFiles>, PlanError> {
    let mut out = Vec::new();
    for m in list_of(mounts.as_ptr(), "static_mounts")? {
        out.push(Mount {
            url_prefix: str_of(field(m, c"prefix")?, "static prefix")?,
            roots: strings_of(field(m, c"roots")?)
                .into_iter()
                .map(std::path::PathBuf::from)
                .collect(),
            cache_control: py::str_of(field(m, c"cache_control")?).map(str::to_owned),
            csp: py::str_of(field(m, c"csp")?).map(str::to_owned),
            csp_report_only: py::str_of(field(m, c"csp_report_only")?).map(str::to_owned),
            kind: if truthy(field(m, c"media")?) {
                MountKind::Media
            } else {
                MountKind::Static
            },
        });
    }
    if out.is_empty() {
        return Ok(None);
    }
    StaticFiles::new(out)
        .map(Some)
        .map_err(|e| PlanError::Invalid(format!("static files: {e}")))
}

/// `RoutePlan.renderers`: names of renderers (`Render::from_name`); empty: the route did not
/// ask to negotiate (JSON whatever `Accept` says).
fn renderers(o: *mut ffi::PyObject) -> Result<Vec<Render>, PlanError> {
    let mut out = Vec::new();
    for item in list_of(o, "renderers")? {
        let name = str_of(item, "renderer")?;
        out.push(
            Render::from_name(&name)
                .ok_or_else(|| PlanError::Invalid(format!("unknown renderer {name:?}")))?,
        );
    }
    Ok(out)
}

/// `Runtime.file_roots`: the directories `FileResponse` may serve from (`BOLT_ALLOWED_FILE_PATHS`,
/// already resolved in Python), canonicalized again here; None: the setting is unset and any
/// path is served, as in django-bolt.
pub fn file_roots(o: &Obj) -> Result<Option<Vec<std::path::PathBuf>>, PlanError> {
    if is_none(o.as_ptr()) {
        return Ok(None);
    }
    let mut roots = Vec::new();
    for item in list_of(o.as_ptr(), "file_roots")? {
        let root = str_of(item, "BOLT_ALLOWED_FILE_PATHS entry")?;
        let canonical = std::path::Path::new(&root)
            .canonicalize()
            .map_err(|e| PlanError::Invalid(format!("BOLT_ALLOWED_FILE_PATHS: {root:?}: {e}")))?;
        roots.push(canonical);
    }
    Ok(Some(roots))
}

/// The project's `CompressionPlan` (`Runtime.compression`), or None: compression is off.
pub fn compression(o: &Obj) -> Result<Option<Compression>, PlanError> {
    let o = o.as_ptr();
    if is_none(o) {
        return Ok(None);
    }
    let backend = str_of(field(o, c"backend")?, "compression backend")?;
    let int = |name: &CStr| -> Result<i64, PlanError> {
        int_of(field(o, name)?, &name.to_string_lossy())
    };
    Ok(Some(Compression {
        backend: Coding::from_backend(&backend)
            .ok_or_else(|| PlanError::Invalid(format!("compression backend {backend:?}")))?,
        minimum_size: int(c"minimum_size")?.max(0) as usize,
        gzip_fallback: truthy(field(o, c"gzip_fallback")?),
        brotli_level: int(c"brotli_level")?.clamp(0, 11) as u32,
        brotli_lgwin: int(c"brotli_lgwin")?.clamp(10, 24) as u32,
        gzip_level: int(c"gzip_level")?.clamp(0, 9) as u32,
        zstd_level: int(c"zstd_level")?.clamp(1, 22) as i32,
    }))
}

/// The parsers of the richer scalar types (`ScalarParsers`).
pub fn parsers(o: &Obj) -> Result<crate::codec::text::Parsers, PlanError> {
    let get = |name: &CStr| field(o.as_ptr(), name).map(Obj::from_borrowed);
    Ok(crate::codec::text::Parsers {
        uuid: get(c"uuid")?,
        date: get(c"date")?,
        datetime: get(c"datetime")?,
        decimal: get(c"decimal")?,
        time: get(c"time")?,
    })
}
