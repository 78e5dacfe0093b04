//! The test client's entry points: `test_app(runtime)` builds an application in the calling
//! interpreter, `test_request(app, ...)` serves one request through it (`runtime::inprocess`),
//! `test_ws(app, ...)` opens and talks to a WebSocket through it.

use super::raise;
use crate::app::websocket::WsOut;
use crate::py::{self, Obj};
use crate::runtime::inprocess::{InProcess, Reply};
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
///              body: bytes, client: str, secure: bool = False) -> (status, [(name, value)], body)
pub(super) unsafe extern "C" fn m_test_request(
    _m: *mut ffi::PyObject,
    args: *mut *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
) -> *mut ffi::PyObject {
    const USAGE: &str =
        "test_request(app, method: str, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes, client: str, secure: bool = False)";
    if !(6..=7).contains(&nargs) {
        return raise(ffi::PyExc_TypeError, USAGE);
    }
    let a = std::slice::from_raw_parts(args, nargs as usize);
    // `True` itself: a flag the test client passes, never a value that could fail to convert.
    let secure = a.get(6).is_some_and(|&flag| flag == ffi::Py_True());
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
    let Some(head) = request_head(method, &target, &fields) else {
        return raise(ffi::PyExc_TypeError, USAGE);
    };
    let reply = match app.request(&head, &body, client, secure) {
        Ok(r) => r,
        Err(e) => {
            if ffi::PyErr_Occurred().is_null() {
                return raise(ffi::PyExc_RuntimeError, &e.0);
            }
            return std::ptr::null_mut();
        }
    };
    reply_tuple(&reply).map_or(std::ptr::null_mut(), Obj::into_ptr)
}

/// A request head as a client writes it, from the method, target and `(name, value)` bytes.
unsafe fn request_head(
    method: &str,
    target: &[u8],
    fields: &[*mut ffi::PyObject],
) -> Option<Vec<u8>> {
    let mut head = Vec::with_capacity(64 + target.len() + fields.len() * 32);
    head.extend_from_slice(method.as_bytes());
    head.push(b' ');
    head.extend_from_slice(target);
    head.extend_from_slice(b" HTTP/1.1\r\n");
    for &field in fields {
        let pair = (ffi::PyTuple_Check(field) != 0 && ffi::PyTuple_Size(field) == 2).then(|| {
            (
                py::bytes_of(py::tuple_item(field, 0).as_ptr()),
                py::bytes_of(py::tuple_item(field, 1).as_ptr()),
            )
        });
        let Some((Some(name), Some(value))) = pair else {
            return None;
        };
        head.extend_from_slice(&name);
        head.extend_from_slice(b": ");
        head.extend_from_slice(&value);
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    Some(head)
}

/// `(status, [(name, value)], body)`.
unsafe fn reply_tuple(reply: &Reply) -> Option<Obj> {
    let headers: Vec<Obj> = reply
        .headers
        .iter()
        .map(|(k, v)| py::tuple(vec![py::new_bytes(k), py::new_bytes(v)]))
        .collect();
    // SAFETY: attached; PyList_New then SET_ITEM fills every slot (it steals each reference).
    let list = Obj::from_owned(ffi::PyList_New(headers.len() as ffi::Py_ssize_t))?;
    for (i, h) in headers.into_iter().enumerate() {
        ffi::PyList_SET_ITEM(list.as_ptr(), i as ffi::Py_ssize_t, h.into_ptr());
    }
    Some(py::tuple(vec![
        py::new_int(i64::from(reply.status)),
        list,
        py::new_bytes(&reply.body),
    ]))
}

/// What a handler sent, as `(op, a, b)` (the outbox numbering of websocket/types.py): 1 text,
/// 2 bytes, 3 close `(code, reason)`, 4 end `(code or None when it raised, reason)`.
fn out_tuple(o: WsOut) -> Option<Obj> {
    let t = |op: i64, a: Obj, b: Obj| Some(py::tuple(vec![py::new_int(op), a, b]));
    match o {
        WsOut::Text(s) => t(1, py::new_str(&s), py::none()),
        WsOut::Binary(b) => t(2, py::new_bytes(&b), py::none()),
        WsOut::Close(code, reason) => t(3, py::new_int(code.into()), py::new_str(&reason)),
        WsOut::End {
            code,
            reason,
            failed,
        } => {
            let code = if failed {
                py::none()
            } else {
                py::new_int(code.into())
            };
            t(4, code, py::new_str(&reason))
        }
        _ => None,
    }
}

unsafe fn out_list(items: Vec<WsOut>) -> *mut ffi::PyObject {
    let Some(list) = Obj::from_owned(ffi::PyList_New(0)) else {
        return std::ptr::null_mut();
    };
    for item in items.into_iter().filter_map(out_tuple) {
        // SAFETY: attached; Append does not steal.
        ffi::PyList_Append(list.as_ptr(), item.as_ptr());
    }
    list.into_ptr()
}

/// test_ws(app, op, token, arg):
/// - op 0 (open): arg `(target: bytes, headers: list[tuple[bytes, bytes]], client: str[,
///   secure: bool])` ->
///   `(status, headers, body, token, [sent])` (token 0: refused)
/// - op 1 (send): arg `str | bytes` -> None
/// - op 2 (receive): arg timeout in seconds -> `[sent]`, empty when nothing came in time
/// - op 3 (close): arg the client's close code -> None
pub(super) unsafe extern "C" fn m_test_ws(
    _m: *mut ffi::PyObject,
    args: *mut *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
) -> *mut ffi::PyObject {
    const USAGE: &str = "test_ws(app, op: int, token: int, arg)";
    if nargs != 4 {
        return raise(ffi::PyExc_TypeError, USAGE);
    }
    let a = std::slice::from_raw_parts(args, 4);
    if ffi::PyCapsule_IsValid(a[0], CAPSULE.as_ptr()) != 1 {
        return raise(ffi::PyExc_TypeError, "test_ws: not a test app");
    }
    // SAFETY: as in test_request: one of our boxed applications, kept alive by the caller.
    let app = &*(ffi::PyCapsule_GetPointer(a[0], CAPSULE.as_ptr()) as *const InProcess);
    let (Some(op), Some(token)) = (py::as_i64(a[1]), py::as_i64(a[2])) else {
        return raise(ffi::PyExc_TypeError, USAGE);
    };
    let token = token as u64;
    let failed = |e: py::PyErrText| {
        if ffi::PyErr_Occurred().is_null() {
            raise(ffi::PyExc_RuntimeError, &e.0)
        } else {
            std::ptr::null_mut()
        }
    };
    match op {
        0 => {
            let arg = a[3];
            let n = if ffi::PyTuple_Check(arg) != 0 {
                ffi::PyTuple_Size(arg)
            } else {
                0
            };
            if !(3..=4).contains(&n) {
                return raise(ffi::PyExc_TypeError, USAGE);
            }
            let secure = n == 4 && py::tuple_item(arg, 3).as_ptr() == ffi::Py_True();
            let (Some(target), Some(fields), Some(client)) = (
                py::bytes_of(py::tuple_item(arg, 0).as_ptr()),
                py::seq_items(py::tuple_item(arg, 1).as_ptr()),
                py::str_of(py::tuple_item(arg, 2).as_ptr()).map(str::to_owned),
            ) else {
                return raise(ffi::PyExc_TypeError, USAGE);
            };
            let Some(head) = request_head("GET", &target, &fields) else {
                return raise(ffi::PyExc_TypeError, USAGE);
            };
            let opened = match app.ws_open(&head, &client, secure) {
                Ok(o) => o,
                Err(e) => return failed(e),
            };
            let Some(reply) = reply_tuple(&opened.reply) else {
                return std::ptr::null_mut();
            };
            let first = out_list(opened.first);
            let Some(first) = Obj::from_owned(first) else {
                return std::ptr::null_mut();
            };
            py::tuple(vec![
                py::tuple_item(reply.as_ptr(), 0),
                py::tuple_item(reply.as_ptr(), 1),
                py::tuple_item(reply.as_ptr(), 2),
                py::new_int(opened.token as i64),
                first,
            ])
            .into_ptr()
        }
        1 => {
            let message = if let Some(s) = py::str_of(a[3]) {
                (true, s.as_bytes().to_vec())
            } else if let Some(b) = py::bytes_of(a[3]) {
                (false, b)
            } else {
                return raise(ffi::PyExc_TypeError, "test_ws send: str or bytes");
            };
            app.ws_send(token, Some(message), 0);
            py::none().into_ptr()
        }
        2 => {
            let secs = ffi::PyFloat_AsDouble(a[3]);
            if !ffi::PyErr_Occurred().is_null() {
                return std::ptr::null_mut();
            }
            let timeout = std::time::Duration::from_secs_f64(secs.clamp(0.0, 3600.0));
            match app.ws_receive(token, timeout) {
                Ok(items) => out_list(items),
                Err(e) => failed(e),
            }
        }
        3 => {
            let code = py::as_i64(a[3]).unwrap_or(1000) as u16;
            app.ws_send(token, None, code);
            py::none().into_ptr()
        }
        _ => raise(ffi::PyExc_ValueError, "test_ws: op must be 0-3"),
    }
}
