//! JSON and type plans for Python: `compile_plan`, `decode`, `encode`, and `plan_codes`
//! (the wire format's numeric codes, which `_plans.py` must match).

use super::raise;
use crate::app::respond::Render;
use crate::py::{self, Obj};
use pyo3::ffi;
use std::ptr::null_mut;

/// compile_plan(root, defs) -> capsule: a type plan from `schema.describe`.
pub(super) unsafe extern "C" fn m_compile_plan(
    _m: *mut ffi::PyObject,
    args: *mut *mut ffi::PyObject,
    n: ffi::Py_ssize_t,
) -> *mut ffi::PyObject {
    if n != 2 {
        return raise(ffi::PyExc_TypeError, "compile_plan(root, defs)");
    }
    match crate::codec::plan::Plan::compile(*args, *args.add(1)) {
        Ok(plan) => crate::codec::into_capsule(plan).map_or(null_mut(), Obj::into_ptr),
        Err(e) => raise(ffi::PyExc_TypeError, &e.to_string()),
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
pub(super) unsafe extern "C" fn m_decode(
    _m: *mut ffi::PyObject,
    args: *mut *mut ffi::PyObject,
    n: ffi::Py_ssize_t,
) -> *mut ffi::PyObject {
    if n != 2 {
        return raise(ffi::PyExc_TypeError, "decode(plan, data)");
    }
    let Some(plan) = crate::codec::from_capsule(*args) else {
        return raise(ffi::PyExc_TypeError, "decode: not a plan");
    };
    let Some(data) = buffer(*args.add(1)) else {
        return raise(
            ffi::PyExc_TypeError,
            "decode expects bytes, bytearray or str",
        );
    };
    match crate::codec::decode::decode_bytes(plan, data, &[]) {
        Ok(v) => v.into_ptr(),
        Err(f) => {
            crate::codec::raise_failure(f);
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
pub(super) unsafe extern "C" fn m_encode(
    _m: *mut ffi::PyObject,
    args: *mut *mut ffi::PyObject,
    n: ffi::Py_ssize_t,
) -> *mut ffi::PyObject {
    if n != 3 {
        return raise(ffi::PyExc_TypeError, "encode(obj, encode_types, plan)");
    }
    let types = match crate::codec::encode::EncodeTypes::from_tuple(*args.add(1)) {
        Ok(t) => t,
        Err(e) => return raise(ffi::PyExc_TypeError, &e.to_string()),
    };
    let enc = crate::codec::encode::Encoder::new(&types);
    ENCODE_BUF.with_borrow_mut(|out| {
        out.clear();
        let r = match crate::codec::from_capsule(*args.add(2)) {
            Some(plan) => crate::codec::encode::typed::Typed { enc: &enc, plan }.encode(*args, out),
            None => enc.encode(*args, out),
        };
        let result = match r {
            Ok(()) => py::new_bytes(out).into_ptr(),
            Err(e) => raise(ffi::PyExc_TypeError, &e.to_string()),
        };
        if out.capacity() > ENCODE_BUF_KEEP {
            *out = Vec::new();
        }
        result
    })
}

/// The renderers a `renderers=` tuple names (ValueError raised for an unknown one).
unsafe fn renderers_of(o: *mut ffi::PyObject) -> Result<Vec<Render>, *mut ffi::PyObject> {
    let Some(names) = py::seq_items(o) else {
        return Err(raise(ffi::PyExc_TypeError, "renderers: a tuple of names"));
    };
    names
        .into_iter()
        .map(|n| {
            py::str_of(n)
                .and_then(Render::from_name)
                .ok_or_else(|| raise(ffi::PyExc_ValueError, "unknown renderer"))
        })
        .collect()
}

/// choose_renderer(renderers, accept) -> str | None: the renderer the server picks among a
/// route's `renderers=` for a request's `Accept` (None when nothing offered is acceptable: the
/// server's 406).
pub(super) unsafe extern "C" fn m_choose_renderer(
    _m: *mut ffi::PyObject,
    args: *mut *mut ffi::PyObject,
    n: ffi::Py_ssize_t,
) -> *mut ffi::PyObject {
    const USAGE: &str = "choose_renderer(renderers: tuple[str, ...], accept: str | None)";
    if n != 2 {
        return raise(ffi::PyExc_TypeError, USAGE);
    }
    let offered = match renderers_of(*args) {
        Ok(r) => r,
        Err(raised) => return raised,
    };
    let accept_obj = *args.add(1);
    let accept = if accept_obj == ffi::Py_None() {
        None
    } else {
        match py::str_of(accept_obj) {
            Some(s) => Some(s.as_bytes()),
            None => return raise(ffi::PyExc_TypeError, USAGE),
        }
    };
    match Render::choose(&offered, accept) {
        Some(r) => py::new_str(r.name()).into_ptr(),
        None => py::none().into_ptr(),
    }
}

/// render(obj, encode_types, plan_or_None, renderer) -> (bytes, media_type): a plain return
/// value as the server writes it with that renderer (`Render::write`, the same code).
pub(super) unsafe extern "C" fn m_render(
    _m: *mut ffi::PyObject,
    args: *mut *mut ffi::PyObject,
    n: ffi::Py_ssize_t,
) -> *mut ffi::PyObject {
    const USAGE: &str = "render(obj, encode_types, plan, renderer: str)";
    if n != 4 {
        return raise(ffi::PyExc_TypeError, USAGE);
    }
    let a = std::slice::from_raw_parts(args, 4);
    let Some(render) = py::str_of(a[3]).and_then(Render::from_name) else {
        return raise(ffi::PyExc_ValueError, "render: unknown renderer");
    };
    let types = match crate::codec::encode::EncodeTypes::from_tuple(a[1]) {
        Ok(t) => t,
        Err(e) => return raise(ffi::PyExc_TypeError, &e.to_string()),
    };
    let enc = crate::codec::encode::Encoder::new(&types);
    let mut json = Vec::with_capacity(128);
    let encoded = match crate::codec::from_capsule(a[2]) {
        Some(plan) => {
            crate::codec::encode::typed::Typed { enc: &enc, plan }.encode(a[0], &mut json)
        }
        None => enc.encode(a[0], &mut json),
    };
    if let Err(e) = encoded {
        return raise(ffi::PyExc_TypeError, &e.to_string());
    }
    let text = match render {
        Render::Text => py::str_of(a[0]),
        _ => None,
    };
    match render.write(json, text) {
        Ok((body, media)) => py::tuple(vec![py::new_bytes(&body), py::new_str(media)]).into_ptr(),
        Err(e) => raise(ffi::PyExc_TypeError, &e),
    }
}

/// plan_codes() -> dict[str, int]: every numeric code of the wire format, by its `_plans.py` name.
pub(super) unsafe extern "C" fn m_plan_codes(
    _m: *mut ffi::PyObject,
    _a: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    let Some(d) = Obj::from_owned(ffi::PyDict_New()) else {
        return null_mut();
    };
    let kinds = crate::codec::text::KINDS
        .iter()
        .enumerate()
        .map(|(code, (name, _))| (*name, code as i64));
    for (name, code) in crate::params::CODES.iter().copied().chain(kinds) {
        let v = py::new_int(code);
        let k = py::new_str(name);
        if ffi::PyDict_SetItem(d.as_ptr(), k.as_ptr(), v.as_ptr()) < 0 {
            return null_mut();
        }
    }
    d.into_ptr()
}
