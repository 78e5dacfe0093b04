//! The `django_bolt._native` extension module: a raw multi-phase module that declares
//! per-interpreter GIL support, so every worker's sub-interpreter can import it
//! (pyo3's module macro is refused there; subinterpreters.md §3.4). Its functions live by area:
//! `serve` (the server and its checks), `codec` (JSON and type plans), `jwt`, `csrf`, `testing`
//! (the in-process test client).
//! `pyext/django_bolt/_native.pyi` describes them for Python.

mod codec;
mod csrf;
mod jwt;
mod serve;
mod testing;

use crate::py::Obj;
use pyo3::ffi;
use std::ffi::{c_int, c_void, CString};
use std::ptr::null_mut;

/// Raises `exc(msg)` and returns NULL, the C API's "an exception is set".
pub(crate) unsafe fn raise(exc: *mut ffi::PyObject, msg: &str) -> *mut ffi::PyObject {
    let c = CString::new(msg.replace('\0', " ")).unwrap_or_default();
    ffi::PyErr_SetString(exc, c.as_ptr());
    null_mut()
}

static mut METHODS: [ffi::PyMethodDef; 19] = [
    ffi::PyMethodDef {
        ml_name: c"compile_plan".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionFast: codec::m_compile_plan,
        },
        ml_flags: ffi::METH_FASTCALL,
        ml_doc: c"compile_plan(root, defs) -> plan: compile a type plan (schema.py)".as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"decode".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionFast: codec::m_decode,
        },
        ml_flags: ffi::METH_FASTCALL,
        ml_doc: c"decode(plan, data) -> value: JSON into the plan's type".as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"encode".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionFast: codec::m_encode,
        },
        ml_flags: ffi::METH_FASTCALL,
        ml_doc: c"encode(obj, encode_types, plan) -> bytes: JSON, checked against plan if given"
            .as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"jwt_decode".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionFast: jwt::m_jwt_decode,
        },
        ml_flags: ffi::METH_FASTCALL,
        ml_doc:
            c"jwt_decode(token, algorithm, key, leeway) -> dict: verify a JWT and return its claims"
                .as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"jwt_encode".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionFast: jwt::m_jwt_encode,
        },
        ml_flags: ffi::METH_FASTCALL,
        ml_doc: c"jwt_encode(algorithm, key, claims_json, kid=None) -> str: sign a JWT".as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"csrf_passes".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionFast: csrf::m_csrf_passes,
        },
        ml_flags: ffi::METH_FASTCALL,
        ml_doc:
            c"csrf_passes(method, headers, https) -> bool: the cookie credentials' cross-site check"
                .as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"jwks_publish".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionFast: jwt::m_jwks_publish,
        },
        ml_flags: ffi::METH_FASTCALL,
        ml_doc: c"jwks_publish(url, document) -> None: a refreshed key set (None: it failed)"
            .as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"serve".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunction: serve::m_serve,
        },
        ml_flags: ffi::METH_O,
        ml_doc: c"serve(config: dict) -> None: run the server until SIGINT/SIGTERM".as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"interp_id".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunction: serve::m_interp_id,
        },
        ml_flags: ffi::METH_NOARGS,
        ml_doc: c"interp_id() -> int: id of the interpreter running this call (0 = main)".as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"interpreter_count".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunction: serve::m_interpreter_count,
        },
        ml_flags: ffi::METH_NOARGS,
        ml_doc: c"interpreter_count() -> int: interpreters in this process, main included".as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"check_routes".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunction: serve::m_check_routes,
        },
        ml_flags: ffi::METH_O,
        ml_doc: c"check_routes(routes) -> int: validate (method, path) pairs with the Rust router"
            .as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"check_boot".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunction: serve::m_check_boot,
        },
        ml_flags: ffi::METH_O,
        ml_doc: c"check_boot(boot_json) -> (routes, docs_path): load the project as a worker would"
            .as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"render".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionFast: codec::m_render,
        },
        ml_flags: ffi::METH_FASTCALL,
        ml_doc: c"render(obj, encode_types, plan, renderer) -> (bytes, media_type): a value as that renderer writes it"
            .as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"choose_renderer".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionFast: codec::m_choose_renderer,
        },
        ml_flags: ffi::METH_FASTCALL,
        ml_doc: c"choose_renderer(renderers, accept) -> str | None: the renderer Accept picks"
            .as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"plan_codes".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunction: codec::m_plan_codes,
        },
        ml_flags: ffi::METH_NOARGS,
        ml_doc:
            c"plan_codes() -> dict[str, int]: the wire format's codes, by their _plans.py names"
                .as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"test_app".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunction: testing::m_test_app,
        },
        ml_flags: ffi::METH_O,
        ml_doc: c"test_app(runtime) -> app: an application served in this interpreter (testing)"
            .as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"test_request".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionFast: testing::m_test_request,
        },
        ml_flags: ffi::METH_FASTCALL,
        ml_doc:
            c"test_request(app, method, target, headers, body, client[, secure]) -> (status, headers, body)"
                .as_ptr(),
    },
    ffi::PyMethodDef {
        ml_name: c"test_ws".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionFast: testing::m_test_ws,
        },
        ml_flags: ffi::METH_FASTCALL,
        ml_doc: c"test_ws(app, op, token, arg): a WebSocket served in this interpreter (testing)"
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
