//! All JSON ↔ Python. Typed requests and responses: a Python type (Struct, dataclass,
//! TypedDict, containers, scalars) compiled into a plan (`plan`), JSON decoded along it
//! straight into Python objects with FastAPI-shaped errors (`decode`, one file per type
//! family), and Python values encoded along it or untyped (`encode`). `text` turns path,
//! query, header and cookie text into scalars.
//!
//! There is one decoder for untyped JSON, `decode::decode_any` (`Any` fields, JWT claims), so
//! every untyped value reads numbers as Python's `json` does: wide integers exactly, `-0.0`
//! with its sign.
//!
//! Plans live in PyCapsules made in the interpreter that uses them (one per worker), so no
//! Python object is ever shared between interpreters.

// Same contract as py.rs: callers are attached and pass live objects of that interpreter.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

pub mod decode;
pub mod encode;
pub mod plan;
pub mod text;

use crate::py::Obj;
use plan::Plan;
use pyo3::ffi;
use std::ffi::CStr;

const CAPSULE: &CStr = c"django_bolt.plan";

unsafe extern "C" fn drop_capsule(cap: *mut ffi::PyObject) {
    // SAFETY: called by CPython when the capsule dies, attached to the interpreter that made it
    // (the plan's objects belong to it); the pointer came from Box::into_raw in `into_capsule`.
    let p = ffi::PyCapsule_GetPointer(cap, CAPSULE.as_ptr()) as *mut Plan;
    if !p.is_null() {
        drop(Box::from_raw(p));
    }
}

/// Wraps a plan in a capsule owned by the current interpreter.
pub fn into_capsule(plan: Plan) -> Option<Obj> {
    let raw = Box::into_raw(Box::new(plan));
    // SAFETY: attached; on failure the box is reclaimed.
    unsafe {
        let cap = ffi::PyCapsule_New(raw as *mut _, CAPSULE.as_ptr(), Some(drop_capsule));
        if cap.is_null() {
            drop(Box::from_raw(raw));
        }
        Obj::from_owned(cap)
    }
}

/// The plan inside a capsule made by `into_capsule`; `None` for any other object. The borrow
/// lasts as long as the caller keeps the capsule alive.
pub fn from_capsule<'a>(o: *mut ffi::PyObject) -> Option<&'a Plan> {
    // SAFETY: attached; the name check guarantees the pointer is one of our boxed plans.
    unsafe {
        if ffi::PyCapsule_IsValid(o, CAPSULE.as_ptr()) != 1 {
            return None;
        }
        (ffi::PyCapsule_GetPointer(o, CAPSULE.as_ptr()) as *const Plan).as_ref()
    }
}

/// Raises `ValueError(detail_list)` for validation issues, or re-raises a fatal exception.
pub fn raise_failure(f: decode::Failure) {
    // SAFETY: attached; PyErr_SetObject does not steal, PyErr_SetRaisedException does.
    unsafe {
        match f {
            decode::Failure::Fatal(exc) => ffi::PyErr_SetRaisedException(exc.into_ptr()),
            // decode_bytes retries these itself; reaching here is a bug worth a clear error.
            decode::Failure::NeedsRawNumbers => {
                ffi::PyErr_SetString(ffi::PyExc_RuntimeError, c"raw-number retry failed".as_ptr())
            }
            decode::Failure::Invalid(issues) => {
                let json = crate::validation::render_issues(&issues);
                // Python's json reads every number an input may echo (1e999 included).
                let detail = Obj::from_owned(ffi::PyImport_ImportModule(c"json".as_ptr()))
                    .and_then(|m| m.getattr(c"loads").ok())
                    .and_then(|loads| crate::py::call(&loads, &[&crate::py::new_bytes(&json)]).ok())
                    .and_then(|d| {
                        let p = ffi::PyDict_GetItemString(d.as_ptr(), c"detail".as_ptr());
                        (!p.is_null()).then(|| Obj::from_borrowed(p))
                    });
                let args = crate::py::tuple(vec![detail.unwrap_or_else(crate::py::none)]);
                ffi::PyErr_SetObject(ffi::PyExc_ValueError, args.as_ptr());
            }
        }
    }
}
