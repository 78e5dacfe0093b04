//! JWTs for Python: `jwt_encode` signs, `jwt_decode` verifies (the same code that guards routes),
//! `jwks_publish` hands a refreshed remote key set to every core.

use super::raise;
use crate::py;
use pyo3::ffi;

/// jwt_encode(algorithm: str, key: bytes, claims_json: bytes, kid: str | None = None) -> str
pub(super) unsafe extern "C" fn m_jwt_encode(
    _m: *mut ffi::PyObject,
    args: *mut *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
) -> *mut ffi::PyObject {
    if !(3..=4).contains(&nargs) {
        return raise(
            ffi::PyExc_TypeError,
            "jwt_encode(algorithm, key, claims_json, kid=None)",
        );
    }
    let a = std::slice::from_raw_parts(args, nargs as usize);
    let kid = match a.get(3) {
        None => None,
        Some(&o) if o == ffi::Py_None() => None,
        Some(&o) => match py::str_of(o) {
            Some(k) => Some(k.to_owned()),
            None => return raise(ffi::PyExc_TypeError, "kid must be a str or None"),
        },
    };
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
    match crate::auth::jwt::encode(alg, &key, &claims, kid.as_deref()) {
        Ok(t) => py::new_str(&t).into_ptr(),
        Err(e) => raise(ffi::PyExc_ValueError, &e.to_string()),
    }
}

/// jwt_decode(token: str, algorithm: str, key: bytes, leeway: int) -> dict (raises ValueError)
pub(super) unsafe extern "C" fn m_jwt_decode(
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
        .and_then(|p| crate::codec::decode::decode_any(&p).map_err(|e| e.to_string()))
    {
        Ok(claims) => claims.into_ptr(),
        Err(e) => raise(ffi::PyExc_ValueError, &e),
    }
}

/// jwks_publish(url: str, document: bytes | None) -> None: the outcome of a key set refresh
/// (`auth/jwks.py`). A document that is not a usable JWK set raises ValueError and, as None
/// does, leaves the keys in use as they are.
pub(super) unsafe extern "C" fn m_jwks_publish(
    _m: *mut ffi::PyObject,
    args: *mut *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
) -> *mut ffi::PyObject {
    const USAGE: &str = "jwks_publish(url: str, document: bytes | None)";
    if nargs != 2 {
        return raise(ffi::PyExc_TypeError, USAGE);
    }
    let a = std::slice::from_raw_parts(args, 2);
    let Some(url) = py::str_of(a[0]) else {
        return raise(ffi::PyExc_TypeError, USAGE);
    };
    let document = if a[1] == ffi::Py_None() {
        None
    } else {
        match py::bytes_of(a[1]) {
            Some(d) => Some(d),
            None => return raise(ffi::PyExc_TypeError, USAGE),
        }
    };
    let Some(set) = crate::auth::jwks::RemoteJwks::find(url) else {
        // No route of this process follows that URL (a backend whose plan never ran).
        return py::none().into_ptr();
    };
    match document.map(|d| crate::auth::jwt::check_jwks(&d).map(|()| d)) {
        Some(Err(e)) => {
            set.publish(None);
            raise(ffi::PyExc_ValueError, &e.to_string())
        }
        Some(Ok(d)) => {
            set.publish(Some(d));
            py::none().into_ptr()
        }
        None => {
            set.publish(None);
            py::none().into_ptr()
        }
    }
}
