//! The cross-site check for the cookie credentials Python checks (`SessionAuthentication`):
//! the rule Rust applies to a JWT read from a cookie, written once in `auth::csrf`.

use super::raise;
use crate::py;
use pyo3::ffi;

/// csrf_passes(method: str, headers: Sequence[tuple[str, str]], https: bool) -> bool
pub(super) unsafe extern "C" fn m_csrf_passes(
    _m: *mut ffi::PyObject,
    args: *mut *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
) -> *mut ffi::PyObject {
    const USAGE: &str = "csrf_passes(method: str, headers: list[tuple[str, str]], https: bool)";
    if nargs != 3 {
        return raise(ffi::PyExc_TypeError, USAGE);
    }
    let a = std::slice::from_raw_parts(args, 3);
    let (Some(method), Some(items)) = (py::str_of(a[0]), py::seq_items(a[1])) else {
        return raise(ffi::PyExc_TypeError, USAGE);
    };
    let mut headers: Vec<(String, &[u8])> = Vec::with_capacity(items.len());
    for item in items {
        let pair = py::seq_items(item).unwrap_or_default();
        let (Some(name), Some(value)) = (
            pair.first().and_then(|o| py::str_of(*o)),
            pair.get(1).and_then(|o| py::str_of(*o)),
        ) else {
            return raise(ffi::PyExc_TypeError, USAGE);
        };
        headers.push((name.to_ascii_lowercase(), value.as_bytes()));
    }
    let https = ffi::PyObject_IsTrue(a[2]) == 1;
    let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
    py::new_bool(crate::auth::csrf::passes_with(method, header, https)).into_ptr()
}
