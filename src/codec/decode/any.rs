//! Untyped JSON (`Any` fields) as plain Python values: dict, list, str, int, float, bool, None.

use super::numbers::{f64_of, float_obj, maybe_wide_int, wide_int};
use super::{Decoder, MAX_DEPTH};
use crate::py::{self, Obj};
use pyo3::ffi;
use sonic_rs::{JsonValueTrait, Value, ValueRef};

impl<'a> Decoder<'a> {
    /// Any JSON value as the plain Python value (dict, list, str, int, float, bool, None).
    pub(super) fn any(&mut self, v: &'a Value, depth: usize) -> Option<Obj> {
        if depth + self.loc.len() > MAX_DEPTH {
            self.fail("recursion_loop", "JSON nested too deeply", None);
            return None;
        }
        if v.as_raw_number().is_some() {
            return wide_int(v).or_else(|| self.finite(v).map(float_obj));
        }
        // SAFETY (all blocks below): attached; PyList_SET_ITEM steals into a fresh list.
        Some(match v.as_ref() {
            ValueRef::Null => py::none(),
            ValueRef::Bool(b) => py::new_bool(b),
            ValueRef::String(s) => py::new_str(s),
            ValueRef::Number(_) => {
                if let Some(o) = wide_int(v) {
                    o
                } else if let Some(i) = v.as_i64() {
                    py::new_int(i)
                } else if maybe_wide_int(v) {
                    self.needs_raw = true;
                    py::none()
                } else if let Some(u) = v.as_u64() {
                    Obj::from_owned(unsafe { ffi::PyLong_FromUnsignedLongLong(u) })?
                } else {
                    float_obj(f64_of(v))
                }
            }
            ValueRef::Array(a) => unsafe {
                let list = Obj::from_owned(ffi::PyList_New(a.len() as isize))?;
                for (i, it) in a.iter().enumerate() {
                    let o = self.any(it, depth + 1)?;
                    ffi::PyList_SET_ITEM(list.as_ptr(), i as isize, o.into_ptr());
                }
                list
            },
            ValueRef::Object(o) => unsafe {
                let dict = Obj::from_owned(ffi::PyDict_New())?;
                for (k, it) in o.iter() {
                    let val = self.any(it, depth + 1)?;
                    let key = py::new_str(k);
                    ffi::PyDict_SetItem(dict.as_ptr(), key.as_ptr(), val.as_ptr());
                }
                dict
            },
        })
    }
}
