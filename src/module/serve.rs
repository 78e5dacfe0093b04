//! `serve` and the checks the CLI runs before it: the server's configuration read from Python,
//! interpreter ids and counts, route validation.

use super::raise;
use crate::py;
use crate::router::Router;
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

unsafe fn dict_get(d: *mut ffi::PyObject, key: &CStr) -> Option<*mut ffi::PyObject> {
    let v = ffi::PyDict_GetItemString(d, key.as_ptr());
    (!v.is_null() && v != ffi::Py_None()).then_some(v)
}

unsafe fn cfg_str(d: *mut ffi::PyObject, key: &CStr, default: &str) -> Result<String, String> {
    match dict_get(d, key) {
        None => Ok(default.to_owned()),
        Some(v) => py::str_of(v)
            .map(str::to_owned)
            .ok_or_else(|| format!("{} must be a str", key.to_string_lossy())),
    }
}

unsafe fn cfg_f64(d: *mut ffi::PyObject, key: &CStr, default: f64) -> Result<f64, String> {
    match dict_get(d, key) {
        None => Ok(default),
        Some(v) => {
            let f = ffi::PyFloat_AsDouble(v);
            if f == -1.0 && !ffi::PyErr_Occurred().is_null() {
                ffi::PyErr_Clear();
                return Err(format!("{} must be a number", key.to_string_lossy()));
            }
            if !f.is_finite() || f < 0.0 {
                return Err(format!(
                    "{} must be a non-negative number",
                    key.to_string_lossy()
                ));
            }
            Ok(f)
        }
    }
}

unsafe fn parse_config(d: *mut ffi::PyObject) -> Result<ServeConfig, String> {
    if ffi::PyDict_Check(d) == 0 {
        return Err("serve() expects a dict".into());
    }
    let port = match dict_get(d, c"port") {
        None => 8000,
        Some(v) => py::as_i64(v)
            .filter(|p| (0..=65535).contains(p))
            .ok_or("port must be 0..65535")?,
    };
    let cores_o = dict_get(d, c"cores").ok_or("cores is required")?;
    let mut cores = Vec::new();
    for c in py::seq_items(cores_o).ok_or("cores must be a list")? {
        if c == ffi::Py_None() {
            cores.push(None);
        } else {
            cores.push(Some(
                py::as_i64(c)
                    .filter(|v| *v >= 0)
                    .ok_or("cores entries must be core ids")? as usize,
            ));
        }
    }
    if cores.is_empty() {
        return Err("at least one worker is needed".into());
    }
    let driver = match cfg_str(d, c"driver", "auto")?.as_str() {
        "auto" => DriverChoice::Auto,
        "uring" | "io_uring" => DriverChoice::Uring,
        "epoll" => DriverChoice::Epoll,
        other => {
            return Err(format!(
                "driver must be auto, uring or epoll, not {other:?}"
            ))
        }
    };
    let secs = |k: &CStr, dflt: f64| cfg_f64(d, k, dflt).map(Duration::from_secs_f64);
    Ok(ServeConfig {
        host: cfg_str(d, c"host", "127.0.0.1")?,
        port: port as u16,
        cores,
        driver,
        boot_json: cfg_str(d, c"boot", "")?,
        keep_alive_timeout: secs(c"keep_alive_timeout", 60.0)?,
        header_timeout: secs(c"header_timeout", 10.0)?,
        shutdown_timeout: secs(c"shutdown_timeout", 10.0)?,
        max_body: cfg_f64(d, c"max_body", 10.0 * 1024.0 * 1024.0)? as usize,
        banner_prefix: cfg_str(d, c"banner", "django-bolt")?,
    })
}

/// serve(config: dict) -> None. Blocks until SIGINT/SIGTERM (delivered to the main interpreter
/// as Python exceptions by its signal handlers), then drains and returns.
pub(super) unsafe extern "C" fn m_serve(
    _m: *mut ffi::PyObject,
    arg: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    if ffi::PyInterpreterState_Get() != ffi::PyInterpreterState_Main() {
        return raise(
            ffi::PyExc_RuntimeError,
            "serve() must be called from the main interpreter",
        );
    }
    let cfg = match parse_config(arg) {
        Ok(c) => c,
        Err(e) => return raise(ffi::PyExc_ValueError, &e),
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
        Ok(()) => py::none().into_ptr(),
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
