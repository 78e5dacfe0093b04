//! `serve` and the checks the CLI runs before it: the server's configuration read from Python,
//! interpreter ids and counts, route validation.

use super::raise;
use crate::py;
use crate::py::interp::Kind;
use crate::router::Router;
use crate::runtime::memory::HugePages;
use crate::runtime::server::{self, ServeConfig, Tick};
use crate::runtime::worker::DriverChoice;
use pyo3::ffi;
use std::ffi::CStr;
use std::time::Duration;

pub(super) unsafe extern "C" fn m_interp_id(
    _m: *mut ffi::PyObject,
    _a: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    py::new_int(py::interp_id()).into_ptr()
}

pub(super) unsafe extern "C" fn m_interpreter_count(
    _m: *mut ffi::PyObject,
    _a: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    py::new_int(crate::py::interp::interpreter_count() as i64).into_ptr()
}

/// check_routes([(method, path), ...]): raises ValueError naming the first route the router
/// refuses (duplicates, conflicting patterns), before any worker starts.
pub(super) unsafe extern "C" fn m_check_routes(
    _m: *mut ffi::PyObject,
    arg: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    let Some(items) = py::seq_items(arg) else {
        return raise(
            ffi::PyExc_TypeError,
            "check_routes expects a list of (method, path)",
        );
    };
    let mut r = Router::new();
    for (i, it) in items.into_iter().enumerate() {
        let pair = py::seq_items(it).unwrap_or_default();
        let (Some(m), Some(p)) = (
            pair.first().and_then(|o| py::str_of(*o)),
            pair.get(1).and_then(|o| py::str_of(*o)),
        ) else {
            return raise(
                ffi::PyExc_TypeError,
                "check_routes expects (method, path) string pairs",
            );
        };
        if let Err(e) = r.insert(m, p, i) {
            return raise(ffi::PyExc_ValueError, &e.to_string());
        }
    }
    py::new_int(r.len() as i64).into_ptr()
}

/// A `serve()` configuration Python got wrong. Every key is required: the defaults live in
/// `options.py` alone.
#[derive(Debug, thiserror::Error)]
pub(super) enum ConfigError {
    #[error("serve() expects a dict")]
    NotADict,
    #[error("serve() config: {0} is required")]
    Missing(String),
    #[error("{0} must be {1}")]
    Type(String, &'static str),
    #[error("at least one worker is needed")]
    NoWorkers,
    #[error("driver must be auto, uring or epoll, not {0:?}")]
    Driver(String),
    #[error("isolation must be subinterpreter or process, not {0:?}")]
    Isolation(String),
    #[error("huge_pages must be on or off, not {0:?}")]
    HugePages(String),
}

unsafe fn required(d: *mut ffi::PyObject, key: &CStr) -> Result<*mut ffi::PyObject, ConfigError> {
    let v = ffi::PyDict_GetItemString(d, key.as_ptr());
    if v.is_null() {
        return Err(ConfigError::Missing(key.to_string_lossy().into_owned()));
    }
    Ok(v)
}

unsafe fn cfg_str(d: *mut ffi::PyObject, key: &CStr) -> Result<String, ConfigError> {
    py::str_of(required(d, key)?)
        .map(str::to_owned)
        .ok_or_else(|| ConfigError::Type(key.to_string_lossy().into_owned(), "a str"))
}

unsafe fn cfg_f64(d: *mut ffi::PyObject, key: &CStr) -> Result<f64, ConfigError> {
    let f = ffi::PyFloat_AsDouble(required(d, key)?);
    if f == -1.0 && !ffi::PyErr_Occurred().is_null() {
        ffi::PyErr_Clear();
        return Err(ConfigError::Type(
            key.to_string_lossy().into_owned(),
            "a number",
        ));
    }
    if !f.is_finite() || f < 0.0 {
        let what = "a non-negative number";
        return Err(ConfigError::Type(key.to_string_lossy().into_owned(), what));
    }
    Ok(f)
}

unsafe fn parse_config(d: *mut ffi::PyObject) -> Result<ServeConfig, ConfigError> {
    if ffi::PyDict_Check(d) == 0 {
        return Err(ConfigError::NotADict);
    }
    let port = py::as_i64(required(d, c"port")?)
        .filter(|p| (0..=65535).contains(p))
        .ok_or_else(|| ConfigError::Type("port".into(), "0..65535"))?;
    let mut cores = Vec::new();
    let items = py::seq_items(required(d, c"cores")?)
        .ok_or_else(|| ConfigError::Type("cores".into(), "a list"))?;
    for c in items {
        if c == ffi::Py_None() {
            cores.push(None);
        } else {
            let id = py::as_i64(c)
                .filter(|v| *v >= 0)
                .ok_or_else(|| ConfigError::Type("cores entries".into(), "core ids"))?;
            cores.push(Some(id as usize));
        }
    }
    if cores.is_empty() {
        return Err(ConfigError::NoWorkers);
    }
    let driver = match cfg_str(d, c"driver")?.as_str() {
        "auto" => DriverChoice::Auto,
        "uring" | "io_uring" => DriverChoice::Uring,
        "epoll" => DriverChoice::Epoll,
        other => return Err(ConfigError::Driver(other.into())),
    };
    let secs = |k: &CStr| cfg_f64(d, k).map(Duration::from_secs_f64);
    let interp = match cfg_str(d, c"isolation")?.as_str() {
        "subinterpreter" => Kind::Sub,
        "process" => Kind::Main,
        other => return Err(ConfigError::Isolation(other.into())),
    };
    let huge_pages = match cfg_str(d, c"huge_pages")?.as_str() {
        "on" => HugePages::On,
        "off" => HugePages::Off,
        other => return Err(ConfigError::HugePages(other.into())),
    };
    let fd = |k: &CStr| -> Result<Option<i32>, ConfigError> {
        let v = required(d, k)?;
        if v == ffi::Py_None() {
            return Ok(None);
        }
        py::as_i64(v)
            .filter(|v| (0..=i32::MAX as i64).contains(v))
            .map(|v| Some(v as i32))
            .ok_or_else(|| {
                ConfigError::Type(
                    k.to_string_lossy().into_owned(),
                    "a file descriptor or None",
                )
            })
    };
    Ok(ServeConfig {
        host: cfg_str(d, c"host")?,
        port: port as u16,
        cores,
        driver,
        boot_json: cfg_str(d, c"boot")?,
        keep_alive_timeout: secs(c"keep_alive_timeout")?,
        header_timeout: secs(c"header_timeout")?,
        body_timeout: secs(c"body_timeout")?,
        max_connections: (cfg_f64(d, c"max_connections")? as usize).max(1),
        shutdown_timeout: secs(c"shutdown_timeout")?,
        max_body: cfg_f64(d, c"max_body")? as usize,
        max_headers: (cfg_f64(d, c"max_headers")? as usize).max(1),
        backlog: cfg_f64(d, c"backlog")?.clamp(0.0, i32::MAX as f64) as i32,
        banner_prefix: cfg_str(d, c"banner")?,
        interp,
        listen_fd: fd(c"listen_fd")?,
        status_fd: fd(c"status_fd")?,
        max_requests: cfg_f64(d, c"max_requests")? as u64,
        huge_pages,
    })
}

/// Whether the caller runs in the main interpreter; if not, sets a RuntimeError naming `what`
/// (both functions start threads that create interpreters, which only the main one may do).
unsafe fn in_main_interpreter(what: &str) -> bool {
    if ffi::PyInterpreterState_Get() == ffi::PyInterpreterState_Main() {
        return true;
    }
    raise(
        ffi::PyExc_RuntimeError,
        &format!("{what}() must be called from the main interpreter"),
    );
    false
}

/// serve(config: dict) -> bool. Blocks until SIGINT/SIGTERM (delivered to the main interpreter
/// as Python exceptions by its signal handlers), then drains and returns whether every core's
/// interpreter ended (False: one was left running a handler past the shutdown timeout).
pub(super) unsafe extern "C" fn m_serve(
    _m: *mut ffi::PyObject,
    arg: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    if !in_main_interpreter("serve") {
        return std::ptr::null_mut();
    }
    let cfg = match parse_config(arg) {
        Ok(c) => c,
        Err(e) => return raise(ffi::PyExc_ValueError, &e.to_string()),
    };
    // Workers need the main GIL briefly to create their interpreters; we take it back every
    // 50 ms to run Python's signal handlers.
    let mut main_ts = ffi::PyEval_SaveThread();
    let mut interrupted = false;
    let result = server::run(cfg, || {
        ffi::PyEval_RestoreThread(main_ts);
        let stop = ffi::PyErr_CheckSignals() < 0;
        if stop {
            // KeyboardInterrupt or the CLI's SIGTERM exception: a requested, clean shutdown.
            ffi::PyErr_Clear();
            interrupted = true;
        }
        main_ts = ffi::PyEval_SaveThread();
        if stop {
            Tick::Stop
        } else {
            Tick::Continue
        }
    });
    ffi::PyEval_RestoreThread(main_ts);
    let _ = interrupted;
    match result {
        // False: some core was left running a handler at shutdown (`worker::ABANDONED`); the
        // caller must exit without finalizing Python.
        Ok(()) => py::new_bool(
            !crate::runtime::worker::ABANDONED.load(std::sync::atomic::Ordering::Relaxed),
        )
        .into_ptr(),
        Err(e) => {
            let exc = match e {
                server::ServeError::PortInUse { .. }
                | server::ServeError::Bind(..)
                | server::ServeError::Resolve(..) => ffi::PyExc_OSError,
                server::ServeError::Worker(_) => ffi::PyExc_RuntimeError,
            };
            raise(exc, &e.to_string())
        }
    }
}

/// check_boot(boot_json: str) -> (routes, docs_path or None): loads the project in a new
/// own-GIL sub-interpreter exactly as a worker would, then ends it; RuntimeError with the
/// worker's message when it cannot. Main interpreter only.
pub(super) unsafe extern "C" fn m_check_boot(
    _m: *mut ffi::PyObject,
    arg: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    if !in_main_interpreter("check_boot") {
        return std::ptr::null_mut();
    }
    let Some(boot) = py::str_of(arg).map(str::to_owned) else {
        return raise(
            ffi::PyExc_TypeError,
            "check_boot expects the boot JSON (str)",
        );
    };
    // The new interpreter's thread needs the main GIL briefly to create it.
    let main_ts = ffi::PyEval_SaveThread();
    let result = crate::runtime::worker::check(&boot);
    ffi::PyEval_RestoreThread(main_ts);
    match result {
        Ok(r) => {
            let docs = match r.docs {
                Some(d) => py::new_str(&d),
                None => py::none(),
            };
            py::tuple(vec![py::new_int(r.routes as i64), docs]).into_ptr()
        }
        Err(e) => raise(ffi::PyExc_RuntimeError, &e),
    }
}
