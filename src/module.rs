//! The `django_bolt._native` extension module: a raw multi-phase module that declares
//! per-interpreter GIL support, so every worker's sub-interpreter can import it
//! (pyo3's module macro is refused there; subinterpreters.md §3.4).

use crate::py::{self, Obj};
use crate::router::Router;
use crate::server::{self, ServeConfig, Tick};
use crate::worker::DriverChoice;
use pyo3::ffi;
use std::ffi::{c_int, c_void, CStr, CString};
use std::ptr::null_mut;
use std::time::Duration;

unsafe fn raise(exc: *mut ffi::PyObject, msg: &str) -> *mut ffi::PyObject {
    let c = CString::new(msg.replace('\0', " ")).unwrap_or_default();
    ffi::PyErr_SetString(exc, c.as_ptr());
    null_mut()
}

unsafe extern "C" fn m_interp_id(
    _m: *mut ffi::PyObject,
    _a: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    py::new_int(py::interp_id()).into_ptr()
}

unsafe extern "C" fn m_interpreter_count(
    _m: *mut ffi::PyObject,
    _a: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    py::new_int(crate::interp::interpreter_count() as i64).into_ptr()
}

/// check_routes([(method, path), ...]): raises ValueError naming the first route the router
/// refuses (duplicates, conflicting patterns), before any worker starts.
unsafe extern "C" fn m_check_routes(
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
unsafe extern "C" fn m_serve(
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

/// jwt_encode(algorithm: str, key: bytes, claims_json: bytes) -> str
unsafe extern "C" fn m_jwt_encode(
    _m: *mut ffi::PyObject,
    args: *mut *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
) -> *mut ffi::PyObject {
    if nargs != 3 {
        return raise(
            ffi::PyExc_TypeError,
            "jwt_encode(algorithm, key, claims_json)",
        );
    }
    let a = std::slice::from_raw_parts(args, 3);
    let bytes = |o: *mut ffi::PyObject| -> Option<Vec<u8>> {
        if ffi::PyBytes_Check(o) == 0 {
            return None;
        }
        let p = ffi::PyBytes_AsString(o) as *const u8;
        Some(std::slice::from_raw_parts(p, ffi::PyBytes_Size(o) as usize).to_vec())
    };
    let (Some(alg), Some(key), Some(claims)) = (py::str_of(a[0]), bytes(a[1]), bytes(a[2])) else {
        return raise(
            ffi::PyExc_TypeError,
            "jwt_encode(algorithm: str, key: bytes, claims_json: bytes)",
        );
    };
    match crate::auth::jwt::encode(alg, &key, &claims) {
        Ok(t) => py::new_str(&t).into_ptr(),
        Err(e) => raise(ffi::PyExc_ValueError, &e),
    }
}

/// jwt_decode(token: str, algorithm: str, key: bytes, leeway: int) -> dict (raises ValueError)
unsafe extern "C" fn m_jwt_decode(
    _m: *mut ffi::PyObject,
    args: *mut *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
) -> *mut ffi::PyObject {
    if nargs != 4 {
        return raise(
            ffi::PyExc_TypeError,
            "jwt_decode(token, algorithm, key, leeway)",
        );
    }
    let a = std::slice::from_raw_parts(args, 4);
    let key = if ffi::PyBytes_Check(a[2]) != 0 {
        let p = ffi::PyBytes_AsString(a[2]) as *const u8;
        std::slice::from_raw_parts(p, ffi::PyBytes_Size(a[2]) as usize).to_vec()
    } else {
        return raise(ffi::PyExc_TypeError, "key must be bytes");
    };
    let (Some(token), Some(alg), Some(leeway)) =
        (py::str_of(a[0]), py::str_of(a[1]), py::as_i64(a[3]))
    else {
        return raise(
            ffi::PyExc_TypeError,
            "jwt_decode(token: str, algorithm: str, key: bytes, leeway: int)",
        );
    };
    let hmac = alg.to_ascii_uppercase().starts_with("HS");
    let (secret, public) = if hmac {
        (Some(key.as_slice()), None)
    } else {
        (None, Some(key.as_slice()))
    };
    let verifier = match crate::auth::jwt::JwtVerifier::new(
        &[alg.to_owned()],
        secret,
        public,
        &[],
        &[],
        leeway.max(0) as u64,
    ) {
        Ok(v) => v,
        Err(e) => return raise(ffi::PyExc_ValueError, &e.to_string()),
    };
    match verifier
        .verify(token)
        .map_err(|e| e.to_string())
        .and_then(|p| crate::json::decode(&p).map_err(|e| e.message))
    {
        Ok(claims) => claims.into_ptr(),
        Err(e) => raise(ffi::PyExc_ValueError, &e),
    }
}

/// compile_plan(root, defs) -> capsule: a type plan from `schema.describe`.
unsafe extern "C" fn m_compile_plan(
    _m: *mut ffi::PyObject,
    args: *mut *mut ffi::PyObject,
    n: ffi::Py_ssize_t,
) -> *mut ffi::PyObject {
    if n != 2 {
        return raise(ffi::PyExc_TypeError, "compile_plan(root, defs)");
    }
    match crate::schema::plan::Plan::compile(*args, *args.add(1)) {
        Ok(plan) => crate::schema::into_capsule(plan).map_or(null_mut(), Obj::into_ptr),
        Err(e) => raise(ffi::PyExc_TypeError, &e),
    }
}

/// The bytes of a bytes/bytearray/str argument (borrowed from it).
unsafe fn buffer<'a>(o: *mut ffi::PyObject) -> Option<&'a [u8]> {
    if ffi::PyBytes_Check(o) != 0 {
        let p = ffi::PyBytes_AsString(o) as *const u8;
        return Some(std::slice::from_raw_parts(p, ffi::PyBytes_Size(o) as usize));
    }
    if ffi::PyByteArray_Check(o) != 0 {
        let p = ffi::PyByteArray_AsString(o) as *const u8;
        return Some(std::slice::from_raw_parts(
            p,
            ffi::PyByteArray_Size(o) as usize,
        ));
    }
    py::str_of(o).map(str::as_bytes)
}

/// decode(plan, data) -> value; ValueError(detail_list) when it does not fit.
unsafe extern "C" fn m_decode(
    _m: *mut ffi::PyObject,
    args: *mut *mut ffi::PyObject,
    n: ffi::Py_ssize_t,
) -> *mut ffi::PyObject {
    if n != 2 {
        return raise(ffi::PyExc_TypeError, "decode(plan, data)");
    }
    let Some(plan) = crate::schema::from_capsule(*args) else {
        return raise(ffi::PyExc_TypeError, "decode: not a plan");
    };
    let Some(data) = buffer(*args.add(1)) else {
        return raise(
            ffi::PyExc_TypeError,
            "decode expects bytes, bytearray or str",
        );
    };
    match crate::schema::decode::decode_bytes(plan, data, &[]) {
        Ok(v) => v.into_ptr(),
        Err(f) => {
            crate::schema::raise_failure(f);
            null_mut()
        }
    }
}

thread_local! {
    /// The output buffer of `encode`, reused so big documents do not regrow it every call
    /// (plain bytes, no Python objects: safe per thread whatever the interpreter).
    static ENCODE_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Buffers grown past this are released after the call rather than kept.
const ENCODE_BUF_KEEP: usize = 4 << 20;

/// encode(obj, encode_types, plan_or_None) -> bytes; TypeError when it cannot be encoded or
/// does not fit the plan.
unsafe extern "C" fn m_encode(
    _m: *mut ffi::PyObject,
    args: *mut *mut ffi::PyObject,
    n: ffi::Py_ssize_t,
) -> *mut ffi::PyObject {
    if n != 3 {
        return raise(ffi::PyExc_TypeError, "encode(obj, encode_types, plan)");
    }
    let types = match crate::json::EncodeTypes::from_tuple(*args.add(1)) {
        Ok(t) => t,
        Err(e) => return raise(ffi::PyExc_TypeError, &e),
    };
    let enc = crate::json::Encoder::new(&types);
    ENCODE_BUF.with_borrow_mut(|out| {
        out.clear();
        let r = match crate::schema::from_capsule(*args.add(2)) {
            Some(plan) => crate::schema::encode::Typed { enc: &enc, plan }.encode(*args, out),
            None => enc.encode(*args, out),
        };
        let result = match r {
            Ok(()) => py::new_bytes(out).into_ptr(),
            Err(e) => raise(ffi::PyExc_TypeError, &e),
        };
        if out.capacity() > ENCODE_BUF_KEEP {
            *out = Vec::new();
        }
        result
    })
}

static mut METHODS: [ffi::PyMethodDef; 10] = [
    ffi::PyMethodDef {
        ml_name: c"compile_plan".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionFast: m_compile_plan,
        },
        ml_flags: ffi::METH_FASTCALL,
        ml_doc: c"compile_plan(root, defs) -> plan: compile a type plan (schema.py)".as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"decode".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionFast: m_decode,
        },
        ml_flags: ffi::METH_FASTCALL,
        ml_doc: c"decode(plan, data) -> value: JSON into the plan's type".as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"encode".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionFast: m_encode,
        },
        ml_flags: ffi::METH_FASTCALL,
        ml_doc: c"encode(obj, encode_types, plan) -> bytes: JSON, checked against plan if given"
            .as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"jwt_decode".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionFast: m_jwt_decode,
        },
        ml_flags: ffi::METH_FASTCALL,
        ml_doc:
            c"jwt_decode(token, algorithm, key, leeway) -> dict: verify a JWT and return its claims"
                .as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"jwt_encode".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionFast: m_jwt_encode,
        },
        ml_flags: ffi::METH_FASTCALL,
        ml_doc: c"jwt_encode(algorithm, key, claims_json) -> str: sign a JWT".as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"serve".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunction: m_serve,
        },
        ml_flags: ffi::METH_O,
        ml_doc: c"serve(config: dict) -> None: run the server until SIGINT/SIGTERM".as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"interp_id".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunction: m_interp_id,
        },
        ml_flags: ffi::METH_NOARGS,
        ml_doc: c"interp_id() -> int: id of the interpreter running this call (0 = main)".as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"interpreter_count".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunction: m_interpreter_count,
        },
        ml_flags: ffi::METH_NOARGS,
        ml_doc: c"interpreter_count() -> int: interpreters in this process, main included".as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"check_routes".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunction: m_check_routes,
        },
        ml_flags: ffi::METH_O,
        ml_doc: c"check_routes(routes) -> int: validate (method, path) pairs with the Rust router"
            .as_ptr(),
    },
    ffi::PyMethodDef::zeroed(),
];

unsafe extern "C" fn exec_module(m: *mut ffi::PyObject) -> c_int {
    let v = Obj::from_owned(ffi::PyUnicode_FromString(c"0.1.0".as_ptr()));
    match v {
        Some(v) => ffi::PyModule_AddObjectRef(m, c"__version__".as_ptr(), v.as_ptr()),
        None => -1,
    }
}

static mut SLOTS: [ffi::PyModuleDef_Slot; 3] = [
    ffi::PyModuleDef_Slot {
        slot: ffi::Py_mod_exec,
        value: exec_module as *mut c_void,
    },
    ffi::PyModuleDef_Slot {
        slot: ffi::Py_mod_multiple_interpreters,
        value: ffi::Py_MOD_PER_INTERPRETER_GIL_SUPPORTED,
    },
    ffi::PyModuleDef_Slot {
        slot: 0,
        value: null_mut(),
    },
];

static mut DEF: ffi::PyModuleDef = ffi::PyModuleDef {
    m_base: ffi::PyModuleDef_HEAD_INIT,
    m_name: c"django_bolt._native".as_ptr(),
    m_doc: c"django-bolt's Rust core: HTTP server, router, JSON".as_ptr(),
    m_size: 0,
    m_methods: (&raw mut METHODS) as *mut ffi::PyMethodDef,
    m_slots: (&raw mut SLOTS) as *mut ffi::PyModuleDef_Slot,
    m_traverse: None,
    m_clear: None,
    m_free: None,
};

/// Entry point CPython calls on `import django_bolt._native`, once per interpreter.
///
/// # Safety
/// Called by CPython's import machinery with the GIL held.
#[no_mangle]
#[allow(non_snake_case)]
pub unsafe extern "C" fn PyInit__native() -> *mut ffi::PyObject {
    ffi::PyModuleDef_Init(&raw mut DEF)
}
