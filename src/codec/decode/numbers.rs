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

// Unit tests here stay clear of anything that makes a Python object: the test binary has no
// interpreter (and is not linked to libpython). Conversions are checked through `_native` in
// tests/test_json_codec.py.
#[cfg(test)]
mod tests {
    use super::maybe_wide_int;
    use crate::codec::decode::parse;
    use sonic_rs::JsonValueTrait;

    #[test]
    fn fast_parsed_wide_integers_are_flagged_for_a_raw_parse() {
        let cases: &[(&[u8], bool, &str)] = &[
            (
                b"123456789012345678901234567890",
                true,
                "30 digits lost in an f64",
            ),
            (
                b"-123456789012345678901234567890",
                true,
                "negative and wide",
            ),
            (b"18446744073709551615", false, "u64::MAX is read exactly"),
            (b"-9223372036854775808", false, "i64::MIN is read exactly"),
            (b"1.5", false, "a fraction cannot be an integer literal"),
            (b"12.0", false, "small whole floats are exact anyway"),
        ];
        for (json, flagged, why) in cases {
            let v = parse(json, false).unwrap();
            assert_eq!(maybe_wide_int(&v), *flagged, "{why}");
        }
        let raw = parse(b"123456789012345678901234567890", true).unwrap();
        assert_eq!(
            raw.as_raw_number()
                .map(|n| n.as_str().to_owned())
                .as_deref(),
            Some("123456789012345678901234567890"),
            "the second parse keeps every digit"
        );
        assert!(!maybe_wide_int(&raw), "raw numbers are never flagged again");
    }
}
