//! JSON numbers as sonic-rs hands them over, shared by `scalars` and `any`.
//!
//! A document is parsed the fast way (numbers as i64/u64/f64) unless it holds a negative zero
//! or an integer wider than 64 bits; then it is parsed again keeping each number's text
//! ("raw numbers"). These helpers read a number either way, and spot the fast-parsed floats
//! that may have been wide integers and lost digits.

use crate::py::Obj;
use pyo3::ffi;
use sonic_rs::{JsonValueTrait, Value};

/// A number as f64, from its text when the document kept it (exact for "-0.0").
pub(super) fn f64_of(v: &Value) -> f64 {
    match v.as_raw_number() {
        Some(raw) => raw.as_str().parse().unwrap_or(f64::NAN),
        None => v.as_f64().unwrap_or(f64::NAN),
    }
}

/// An integer-valued float too big for i64/u64: in a document parsed without raw numbers it
/// may have been an integer literal that lost digits.
pub(super) fn maybe_wide_int(v: &Value) -> bool {
    v.is_f64()
        && v.as_raw_number().is_none()
        && v.as_f64()
            .is_some_and(|f| f.fract() == 0.0 && f.abs() >= 9.2e18)
}

/// An integer literal's digits, exactly (raw-number documents only).
pub(super) fn wide_int(v: &Value) -> Option<Obj> {
    let raw = v.as_raw_number()?;
    let text = raw.as_str();
    if text.bytes().any(|b| matches!(b, b'.' | b'e' | b'E')) {
        return None;
    }
    let c = std::ffi::CString::new(text).ok()?;
    // SAFETY: attached; NUL-terminated decimal digits with an optional sign.
    let o =
        Obj::from_owned(unsafe { ffi::PyLong_FromString(c.as_ptr(), std::ptr::null_mut(), 10) });
    if o.is_none() {
        // SAFETY: attached.
        unsafe { ffi::PyErr_Clear() };
    }
    o
}

pub(super) fn float_obj(v: f64) -> Obj {
    // SAFETY: attached.
    Obj::from_owned(unsafe { ffi::PyFloat_FromDouble(v) }).expect("float")
}
