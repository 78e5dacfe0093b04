//! Untyped JSON as plain Python values: dict, list, str, int, float, bool, None.
//!
//! The project's only untyped JSON → Python decoder, so every untyped value reads numbers the
//! same way: `Any` fields of typed bodies (through `Decoder::any`), and JWT claims for
//! `request.auth` and `_native.jwt_decode` (through `decode_any`). Integers of any width come
//! out as exact Python ints and `-0.0` as a negative zero, as Python's `json` reads them.

use super::numbers::{f64_of, float_obj, maybe_wide_int, wide_int};
use super::{parse, Decoder, ParseError, MAX_DEPTH};
use crate::py::{self, Obj};
use pyo3::ffi;
use sonic_rs::{JsonValueTrait, Value, ValueRef};

/// Why a JSON document or value did not become a Python value.
#[derive(Debug, thiserror::Error)]
pub enum AnyError {
    /// Not JSON at all (only from `decode_any`, which parses).
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error("JSON nested too deeply")]
    TooDeep,
    /// A number beyond a double's range in a document that kept its number text (the fast
    /// parse refuses those itself).
    #[error("Input should be a finite number")]
    NotFinite,
    /// An integer wider than 64 bits in a document parsed the fast way, where it lost digits:
    /// parse again with `parse(bytes, true)` and convert that.
    #[error("an integer wider than 64 bits needs the document parsed with raw numbers")]
    NeedsRawNumbers,
    /// CPython could not make an object (memory); its exception is left set.
    #[error("Python could not build the value")]
    Python,
}

/// Parses `bytes` and converts the whole document, parsing again keeping number text when an
/// integer wider than 64 bits was met (rare, so the common document is parsed once).
pub fn decode_any(bytes: &[u8]) -> Result<Obj, AnyError> {
    match to_python(&parse(bytes, false)?) {
        Err(AnyError::NeedsRawNumbers) => to_python(&parse(bytes, true)?),
        other => other,
    }
}

/// A parsed JSON value as the plain Python value.
pub fn to_python(v: &Value) -> Result<Obj, AnyError> {
    convert(v, 0)
}

/// `depth` counts the containers already entered, the caller's included, so an `Any` field
/// deep in a typed body is held to the same `MAX_DEPTH` as the body around it.
fn convert(v: &Value, depth: usize) -> Result<Obj, AnyError> {
    if depth > MAX_DEPTH {
        return Err(AnyError::TooDeep);
    }
    if v.as_raw_number().is_some() {
        return match wide_int(v) {
            Some(o) => Ok(o),
            None => finite(v).map(float_obj),
        };
    }
    Ok(match v.as_ref() {
        ValueRef::Null => py::none(),
        ValueRef::Bool(b) => py::new_bool(b),
        ValueRef::String(s) => py::new_str(s),
        ValueRef::Number(_) => {
            if let Some(i) = v.as_i64() {
                py::new_int(i)
            } else if maybe_wide_int(v) {
                return Err(AnyError::NeedsRawNumbers);
            } else if let Some(u) = v.as_u64() {
                // SAFETY: attached.
                Obj::from_owned(unsafe { ffi::PyLong_FromUnsignedLongLong(u) })
                    .ok_or(AnyError::Python)?
            } else {
                float_obj(f64_of(v))
            }
        }
        // SAFETY: attached; every slot of the fresh list is written once (SET_ITEM steals)
        // before it is used; on an error the partly filled list is only dropped, which CPython
        // tolerates (list dealloc skips NULL slots).
        ValueRef::Array(a) => unsafe {
            let list =
                Obj::from_owned(ffi::PyList_New(a.len() as isize)).ok_or(AnyError::Python)?;
            for (i, it) in a.iter().enumerate() {
                let o = convert(it, depth + 1)?;
                ffi::PyList_SET_ITEM(list.as_ptr(), i as isize, o.into_ptr());
            }
            list
        },
        // SAFETY: attached; PyDict_SetItem does not steal, the locals keep their references.
        ValueRef::Object(o) => unsafe {
            let dict = Obj::from_owned(ffi::PyDict_New()).ok_or(AnyError::Python)?;
            for (k, it) in o.iter() {
                let val = convert(it, depth + 1)?;
                let key = py::new_str(k);
                ffi::PyDict_SetItem(dict.as_ptr(), key.as_ptr(), val.as_ptr());
            }
            dict
        },
    })
}

/// A kept number's value, refusing what does not fit a double (as the fast parse does).
fn finite(v: &Value) -> Result<f64, AnyError> {
    let f = f64_of(v);
    if f.is_finite() {
        Ok(f)
    } else {
        Err(AnyError::NotFinite)
    }
}

impl<'a> Decoder<'a> {
    /// An `Any` field: the plain value, with `convert`'s refusals as this field's issues.
    pub(super) fn any(&mut self, v: &'a Value) -> Option<Obj> {
        match convert(v, self.loc.len()) {
            Ok(o) => Some(o),
            // Keep decoding: the caller parses again and starts over whatever else is found.
            Err(AnyError::NeedsRawNumbers) => {
                self.needs_raw = true;
                Some(py::none())
            }
            Err(e @ AnyError::TooDeep) => {
                self.fail("recursion_loop", e.to_string(), None);
                None
            }
            // No input echoed: it cannot be written back as a JSON number.
            Err(e @ AnyError::NotFinite) => {
                self.fail("finite_number", e.to_string(), None);
                None
            }
            Err(AnyError::Python | AnyError::Parse(_)) => None,
        }
    }
}
