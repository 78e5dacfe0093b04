//! The test client's two entry points: `test_app(runtime)` builds an application in the calling
//! interpreter, `test_request(app, ...)` serves one request through it (`runtime::inprocess`).

use super::raise;
use crate::py::{self, Obj};
use crate::runtime::inprocess::InProcess;
use pyo3::ffi;
use std::ffi::CStr;

const CAPSULE: &CStr = c"django_bolt.test_app";

unsafe extern "C" fn drop_capsule(cap: *mut ffi::PyObject) {
    // SAFETY: called by CPython when the capsule dies, attached to the interpreter that made it
    // (the application's objects belong to it); the pointer came from Box::into_raw below.
    let p = ffi::PyCapsule_GetPointer(cap, CAPSULE.as_ptr()) as *mut InProcess;
    if !p.is_null() {
        drop(Box::from_raw(p));
    }
}

/// test_app(runtime: Runtime) -> capsule
pub(super) unsafe extern "C" fn m_test_app(
    _m: *mut ffi::PyObject,
    runtime: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    let app = match InProcess::new(Obj::from_borrowed(runtime)) {
        Ok(app) => app,
        Err(e) => {
            if ffi::PyErr_Occurred().is_null() {
                return raise(ffi::PyExc_ValueError, &e);
            }
            return std::ptr::null_mut();
        }
    };
    let raw = Box::into_raw(Box::new(app));
    let cap = ffi::PyCapsule_New(raw as *mut _, CAPSULE.as_ptr(), Some(drop_capsule));
    if cap.is_null() {
        drop(Box::from_raw(raw));
    }
    cap
}

/// test_request(app, method: str, target: bytes, headers: list[tuple[bytes, bytes]],
///              body: bytes, client: str) -> (status, [(name, value)], body)
pub(super) unsafe extern "C" fn m_test_request(
    _m: *mut ffi::PyObject,
    args: *mut *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
) -> *mut ffi::PyObject {
    const USAGE: &str =
        "test_request(app, method: str, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes, client: str)";
    if nargs != 6 {
        return raise(ffi::PyExc_TypeError, USAGE);
    }
    let a = std::slice::from_raw_parts(args, 6);
    if ffi::PyCapsule_IsValid(a[0], CAPSULE.as_ptr()) != 1 {
        return raise(ffi::PyExc_TypeError, "test_request: not a test app");
    }
    // SAFETY: the name check above makes this one of our boxed applications; the caller's
    // reference keeps the capsule (and so the box) alive for this call.
    let app = &*(ffi::PyCapsule_GetPointer(a[0], CAPSULE.as_ptr()) as *const InProcess);
    let (Some(method), Some(target), Some(fields), Some(body), Some(client)) = (
        py::str_of(a[1]),
        py::bytes_of(a[2]),
        py::seq_items(a[3]),
        py::bytes_of(a[4]),
        py::str_of(a[5]),
    ) else {
        return raise(ffi::PyExc_TypeError, USAGE);
    };
    let mut head = Vec::with_capacity(64 + target.len() + fields.len() * 32);
    head.extend_from_slice(method.as_bytes());
    head.push(b' ');
    head.extend_from_slice(&target);
    head.extend_from_slice(b" HTTP/1.1\r\n");
    for field in fields {
        let pair = (ffi::PyTuple_Check(field) != 0 && ffi::PyTuple_Size(field) == 2).then(|| {
            (
                py::bytes_of(py::tuple_item(field, 0).as_ptr()),
                py::bytes_of(py::tuple_item(field, 1).as_ptr()),
            )
        });
        let Some((Some(name), Some(value))) = pair else {
            return raise(ffi::PyExc_TypeError, USAGE);
        };
        head.extend_from_slice(&name);
        head.extend_from_slice(b": ");
        head.extend_from_slice(&value);
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    let reply = match app.request(&head, &body, client) {
        Ok(r) => r,
        Err(e) => {
            if ffi::PyErr_Occurred().is_null() {
                return raise(ffi::PyExc_RuntimeError, &e.0);
            }
            return std::ptr::null_mut();
        }
    };
    let headers: Vec<Obj> = reply
        .headers
        .iter()
        .map(|(k, v)| py::tuple(vec![py::new_bytes(k), py::new_bytes(v)]))
        .collect();
    // SAFETY: attached; PyList_New then SET_ITEM fills every slot (it steals each reference).
    let list = Obj::from_owned(ffi::PyList_New(headers.len() as ffi::Py_ssize_t));
    let Some(list) = list else {
        return std::ptr::null_mut();
    };
    for (i, h) in headers.into_iter().enumerate() {
        ffi::PyList_SET_ITEM(list.as_ptr(), i as ffi::Py_ssize_t, h.into_ptr());
    }
    py::tuple(vec![
        py::new_int(i64::from(reply.status)),
        list,
        py::new_bytes(&reply.body),
    ])
    .into_ptr()
}
