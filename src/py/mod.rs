//! Small helpers over pyo3's raw `ffi`.
//!
//! We use raw ffi rather than pyo3's high-level API because parts of the latter keep Python
//! objects in process-wide statics (interned strings, once-cells, the deferred-decref pool), which
//! is unsound with one own-GIL sub-interpreter per thread (DESIGN.md §2, §3).
//!
//! Invariant for every function here: the calling thread is attached to the interpreter that
//! owns the objects involved, and raw pointers passed in are live objects of it. That contract
//! is the module's, so the helpers stay safe `fn`s taking `*mut PyObject`.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

pub mod interp;

use pyo3::ffi;
use std::ffi::{c_char, CStr};
use std::ptr::null_mut;

/// An owned (strong) reference. Dropping it DECREFs, so it may only be dropped while the
/// thread is attached to the object's interpreter; every `Obj` lives inside an attached
/// section or inside a per-worker struct that is dropped while attached.
pub struct Obj(*mut ffi::PyObject);

impl Obj {
    /// Takes ownership of a new reference; `None` if `p` is NULL (a Python error is set).
    #[inline]
    pub fn from_owned(p: *mut ffi::PyObject) -> Option<Obj> {
        if p.is_null() {
            None
        } else {
            Some(Obj(p))
        }
    }

    /// Takes a new reference to a borrowed pointer.
    #[inline]
    pub fn from_borrowed(p: *mut ffi::PyObject) -> Obj {
        // SAFETY: `p` is a valid object of the attached interpreter (caller's contract).
        unsafe { ffi::Py_INCREF(p) };
        Obj(p)
    }

    #[inline]
    pub fn as_ptr(&self) -> *mut ffi::PyObject {
        self.0
    }

    /// Gives the reference away (e.g. to a function that steals it).
    #[inline]
    pub fn into_ptr(self) -> *mut ffi::PyObject {
        let p = self.0;
        std::mem::forget(self);
        p
    }

    pub fn getattr(&self, name: &CStr) -> Result<Obj, PyErrText> {
        // SAFETY: attached; `self` is a live object.
        Obj::from_owned(unsafe { ffi::PyObject_GetAttrString(self.0, name.as_ptr()) })
            .ok_or_else(take_err)
    }
}

impl Drop for Obj {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: see the type's invariant: dropped only while attached.
        unsafe { ffi::Py_DECREF(self.0) }
    }
}

impl Clone for Obj {
    fn clone(&self) -> Obj {
        Obj::from_borrowed(self.0)
    }
}

/// A Python exception rendered to text (type name and message), for start-up errors and logs.
#[derive(Debug, Clone)]
pub struct PyErrText(pub String);

impl std::fmt::Display for PyErrText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Fetches and clears the current exception as text, including the traceback when the
/// `traceback` module can format it.
pub fn take_err() -> PyErrText {
    // SAFETY: attached (module invariant).
    unsafe {
        let exc = ffi::PyErr_GetRaisedException();
        if exc.is_null() {
            return PyErrText("unknown error (no Python exception set)".into());
        }
        let exc = Obj(exc);
        let text = format_exception(&exc).unwrap_or_else(|| repr(exc.as_ptr()));
        PyErrText(text)
    }
}

/// Takes the raised exception object itself (for code that inspects it).
pub fn take_exc() -> Option<Obj> {
    // SAFETY: attached.
    Obj::from_owned(unsafe { ffi::PyErr_GetRaisedException() })
}

fn format_exception(exc: &Obj) -> Option<String> {
    // SAFETY: attached; all pointers checked for NULL.
    unsafe {
        let tb = Obj::from_owned(ffi::PyImport_ImportModule(c"traceback".as_ptr()));
        let Some(tb) = tb else {
            ffi::PyErr_Clear();
            return None;
        };
        let f = tb.getattr(c"format_exception").ok()?;
        let lines = Obj::from_owned(ffi::PyObject_CallOneArg(f.as_ptr(), exc.as_ptr()));
        let Some(lines) = lines else {
            ffi::PyErr_Clear();
            return None;
        };
        let empty = Obj::from_owned(ffi::PyUnicode_FromString(c"".as_ptr()))?;
        let joined = Obj::from_owned(ffi::PyUnicode_Join(empty.as_ptr(), lines.as_ptr()));
        let Some(joined) = joined else {
            ffi::PyErr_Clear();
            return None;
        };
        str_of(joined.as_ptr()).map(|s| s.trim_end().to_owned())
    }
}

/// `repr(o)` as a Rust string; never fails.
pub fn repr(o: *mut ffi::PyObject) -> String {
    // SAFETY: attached; `o` live.
    unsafe {
        match Obj::from_owned(ffi::PyObject_Repr(o)) {
            Some(r) => str_of(r.as_ptr()).unwrap_or("<repr failed>").to_owned(),
            None => {
                ffi::PyErr_Clear();
                "<repr failed>".to_owned()
            }
        }
    }
}

/// Borrow the UTF-8 of a `str` object; `None` (error cleared) if not a str.
pub fn str_of<'a>(o: *mut ffi::PyObject) -> Option<&'a str> {
    // SAFETY: attached; the returned buffer lives as long as `o` (caller keeps it alive).
    unsafe {
        if ffi::PyUnicode_Check(o) == 0 {
            return None;
        }
        if ffi::PyUnicode_IS_COMPACT_ASCII(o) != 0 {
            // Compact ASCII strings store their characters inline, and ASCII is UTF-8: read them
            // in place (the common case for keys and short values) without a function call.
            let n = ffi::PyUnicode_GET_LENGTH(o) as usize;
            let p = ffi::PyUnicode_DATA(o) as *const u8;
            return Some(std::str::from_utf8_unchecked(std::slice::from_raw_parts(
                p, n,
            )));
        }
        let mut n: ffi::Py_ssize_t = 0;
        let p = ffi::PyUnicode_AsUTF8AndSize(o, &mut n);
        if p.is_null() {
            ffi::PyErr_Clear();
            return None;
        }
        let bytes = std::slice::from_raw_parts(p as *const u8, n as usize);
        // CPython guarantees valid UTF-8 here.
        Some(std::str::from_utf8_unchecked(bytes))
    }
}

pub fn new_str(s: &str) -> Obj {
    // SAFETY: attached; length-delimited, so interior NULs are fine. For ASCII the compact
    // string is allocated at its final size and filled in place (no UTF-8 decoding pass).
    unsafe {
        if s.is_ascii() {
            let o = ffi::PyUnicode_New(s.len() as ffi::Py_ssize_t, 127);
            if !o.is_null() {
                std::ptr::copy_nonoverlapping(
                    s.as_ptr(),
                    ffi::PyUnicode_DATA(o) as *mut u8,
                    s.len(),
                );
                return Obj(o);
            }
            ffi::PyErr_Clear();
        }
        Obj::from_owned(ffi::PyUnicode_FromStringAndSize(
            s.as_ptr() as *const c_char,
            s.len() as ffi::Py_ssize_t,
        ))
        .expect("PyUnicode_FromStringAndSize failed (out of memory)")
    }
}

pub fn new_bytes(b: &[u8]) -> Obj {
    // SAFETY: attached.
    unsafe {
        Obj::from_owned(ffi::PyBytes_FromStringAndSize(
            b.as_ptr() as *const c_char,
            b.len() as ffi::Py_ssize_t,
        ))
        .expect("PyBytes_FromStringAndSize failed (out of memory)")
    }
}

pub fn none() -> Obj {
    // SAFETY: attached; None is immortal.
    Obj::from_borrowed(unsafe { ffi::Py_None() })
}

pub fn new_int(v: i64) -> Obj {
    // SAFETY: attached.
    unsafe { Obj::from_owned(ffi::PyLong_FromLongLong(v)).expect("PyLong_FromLongLong") }
}

pub fn new_bool(v: bool) -> Obj {
    // SAFETY: attached.
    unsafe { Obj::from_owned(ffi::PyBool_FromLong(v as _)).expect("PyBool_FromLong") }
}

/// Calls `f(*args)`, rendering a raised exception to text.
pub fn call(f: &Obj, args: &[&Obj]) -> Result<Obj, PyErrText> {
    call_keep(f, args).ok_or_else(take_err)
}

/// Calls `f(*args)`; on `None` the exception stays raised for the caller to inspect.
pub fn call_keep(f: &Obj, args: &[&Obj]) -> Option<Obj> {
    // Slot 0 is scratch space that PY_VECTORCALL_ARGUMENTS_OFFSET lets the callee use; a stack
    // array covers every call we make on the hot path.
    let mut stack = [null_mut(); 8];
    let mut heap = Vec::new();
    let ptrs: &mut [*mut ffi::PyObject] = if args.len() < stack.len() {
        &mut stack[..=args.len()]
    } else {
        heap.resize(args.len() + 1, null_mut());
        &mut heap
    };
    for (slot, a) in ptrs[1..].iter_mut().zip(args) {
        *slot = a.as_ptr();
    }
    // SAFETY: attached; `ptrs[1..]` are live borrowed args for the duration of the call.
    let r = unsafe {
        ffi::PyObject_Vectorcall(
            f.as_ptr(),
            ptrs.as_ptr().add(1),
            args.len() | ffi::PY_VECTORCALL_ARGUMENTS_OFFSET,
            null_mut(),
        )
    };
    Obj::from_owned(r)
}

/// Extracts an i64 from an int object.
pub fn as_i64(o: *mut ffi::PyObject) -> Option<i64> {
    // SAFETY: attached.
    unsafe {
        let v = ffi::PyLong_AsLongLong(o);
        if v == -1 && !ffi::PyErr_Occurred().is_null() {
            ffi::PyErr_Clear();
            return None;
        }
        Some(v)
    }
}

/// Builds a tuple, stealing the items.
pub fn tuple(items: Vec<Obj>) -> Obj {
    // SAFETY: attached; PyTuple_SET_ITEM steals each reference into a fresh tuple.
    unsafe {
        let t = ffi::PyTuple_New(items.len() as ffi::Py_ssize_t);
        assert!(!t.is_null(), "PyTuple_New failed");
        for (i, it) in items.into_iter().enumerate() {
            ffi::PyTuple_SET_ITEM(t, i as ffi::Py_ssize_t, it.into_ptr());
        }
        Obj(t)
    }
}

/// The contents of a `bytes` object, copied; None for anything else.
pub fn bytes_of(o: *mut ffi::PyObject) -> Option<Vec<u8>> {
    // SAFETY: attached; the buffer is read while `o` is alive.
    unsafe {
        if ffi::PyBytes_Check(o) == 0 {
            return None;
        }
        let p = ffi::PyBytes_AsString(o) as *const u8;
        let n = ffi::PyBytes_Size(o) as usize;
        Some(std::slice::from_raw_parts(p, n).to_vec())
    }
}

/// Item `i` of a tuple the caller has checked is long enough.
pub fn tuple_item(t: *mut ffi::PyObject, i: usize) -> Obj {
    // SAFETY: attached; caller checked the tuple length.
    Obj::from_borrowed(unsafe { ffi::PyTuple_GetItem(t, i as ffi::Py_ssize_t) })
}

/// The item of a one-item list of bool that Python keeps current (a flag it flips).
pub fn flag(list: &Obj) -> bool {
    // SAFETY: attached; a one-item list owned by the runtime.
    unsafe { ffi::PyList_GET_ITEM(list.as_ptr(), 0) == ffi::Py_True() }
}

/// Runs `f` with the current exception (if any) set aside, then raises it again: for
/// housekeeping calls made while a handler's exception waits to be handled.
pub fn preserving_exception<T>(f: impl FnOnce() -> T) -> T {
    let raised = take_exc();
    let out = f();
    if let Some(e) = raised {
        // SAFETY: attached; hands the exception back as the current one.
        unsafe { ffi::PyErr_SetRaisedException(e.into_ptr()) };
    }
    out
}

/// A new float.
pub fn new_float(v: f64) -> Obj {
    // SAFETY: attached.
    unsafe { Obj::from_owned(ffi::PyFloat_FromDouble(v)).expect("PyFloat_FromDouble") }
}

/// Sequence items of a list or tuple as borrowed pointers.
pub fn seq_items(o: *mut ffi::PyObject) -> Option<Vec<*mut ffi::PyObject>> {
    // SAFETY: attached; borrowed items stay alive while `o` does.
    unsafe {
        if ffi::PyList_Check(o) != 0 {
            let n = ffi::PyList_GET_SIZE(o);
            Some((0..n).map(|i| ffi::PyList_GET_ITEM(o, i)).collect())
        } else if ffi::PyTuple_Check(o) != 0 {
            let n = ffi::PyTuple_GET_SIZE(o);
            Some((0..n).map(|i| ffi::PyTuple_GET_ITEM(o, i)).collect())
        } else {
            None
        }
    }
}

/// Takes every item out of `list` (a list that Python appends to between turns): a new list
/// of them, or None when it was empty. Python appending while this runs is not possible: the
/// caller holds the interpreter.
pub fn take_items(list: &Obj) -> Option<Obj> {
    let list = list.as_ptr();
    // SAFETY: attached; `list` is a list (its size is checked); the slice is a new reference and
    // emptying the list drops the list's own references only.
    unsafe {
        let n = ffi::PyList_Size(list);
        if n <= 0 {
            if n < 0 {
                let _ = take_exc();
            }
            return None;
        }
        let items = Obj::from_owned(ffi::PyList_GetSlice(list, 0, n))?;
        ffi::PyList_SetSlice(list, 0, n, std::ptr::null_mut());
        Some(items)
    }
}

/// Id of the interpreter the calling thread is attached to.
pub fn interp_id() -> i64 {
    // SAFETY: attached.
    unsafe { ffi::PyInterpreterState_GetID(ffi::PyInterpreterState_Get()) }
}

/// A request's own `contextvars.Context`, entered on this thread until dropped.
///
/// Every handler call runs in a fresh copy of the worker's base context, and a coroutine that
/// suspends continues as a Task in that same context, so context variables set by one request
/// (asgiref's deadlock guard, Django's locale, a project's own) never reach the next one.
pub struct RequestContext(Obj);

impl RequestContext {
    pub fn enter() -> RequestContext {
        // SAFETY: attached; CopyCurrent returns a new reference (a shallow copy: O(1)), and
        // Enter only fails when the context is already entered, which a fresh copy is not.
        unsafe {
            let ctx = Obj::from_owned(ffi::PyContext_CopyCurrent()).expect("context copy");
            ffi::PyContext_Enter(ctx.as_ptr());
            RequestContext(ctx)
        }
    }

    /// Enters a context kept from earlier (a stream's, between its steps).
    pub fn resume(ctx: &Obj) -> RequestContext {
        // SAFETY: attached; entering fails only when `ctx` is entered already, which a stream's
        // context is not between its steps (one step at a time).
        unsafe {
            if ffi::PyContext_Enter(ctx.as_ptr()) != 0 {
                ffi::PyErr_Clear();
                // A fresh copy instead, so the guard's exit stays paired with an enter.
                return RequestContext::enter();
            }
        }
        RequestContext(ctx.clone())
    }

    /// Leaves the context and returns it, for the Task that continues a suspended coroutine in
    /// it (an eager Task enters it at once, which it cannot while we are still inside).
    pub fn exit(self) -> Obj {
        let ctx = self.0.clone();
        drop(self);
        ctx
    }
}

impl Drop for RequestContext {
    fn drop(&mut self) {
        // Keep a raised exception across the exit call, which must not see it.
        let raised = take_exc();
        // SAFETY: attached; the context was entered by `enter` on this thread and nothing
        // entered since is still active (guards drop in reverse order).
        unsafe { ffi::PyContext_Exit(self.0.as_ptr()) };
        if let Some(e) = raised {
            // SAFETY: attached; hands the exception back as the current one.
            unsafe { ffi::PyErr_SetRaisedException(e.into_ptr()) };
        }
    }
}
