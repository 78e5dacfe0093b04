//! Scalars: bool, int, float, str, bytes, Decimal, the types Python's own constructors parse
//! (datetime, date, time, UUID), and `Literal`/Enum choices. Lax where pydantic is lax
//! ("3" for an int, 3.0 for an int), with pydantic's error kinds and messages.

use super::numbers::{f64_of, float_obj, maybe_wide_int, wide_int};
use super::Decoder;
use crate::codec::plan::Lit;
use crate::codec::text::{self, Kind};
use crate::py::{self, Obj};
use crate::validation::Constraints;
use pyo3::ffi;
use sonic_rs::{JsonValueTrait, Value, ValueRef};

impl<'a> Decoder<'a> {
    pub(super) fn boolean(&mut self, v: &Value) -> Option<Obj> {
        match v.as_ref() {
            ValueRef::Bool(b) => return Some(py::new_bool(b)),
            ValueRef::Number(_) => match v.as_i64() {
                Some(0) if !v.is_f64() => return Some(py::new_bool(false)),
                Some(1) if !v.is_f64() => return Some(py::new_bool(true)),
                _ => {}
            },
            ValueRef::String(s) => {
                if let Some(b) = text::parse_bool(s) {
                    return Some(py::new_bool(b));
                }
                self.fail(
                    "bool_parsing",
                    "Input should be a valid boolean, unable to interpret input",
                    Some(v),
                );
                return None;
            }
            _ => {}
        }
        self.fail("bool_type", "Input should be a valid boolean", Some(v));
        None
    }

    /// A float that is a whole number as an int (pydantic accepts 3.0 for an int field).
    fn whole(&mut self, f: f64, v: &Value) -> Option<Obj> {
        if f.fract() != 0.0 || !f.is_finite() {
            self.fail(
                "int_from_float",
                "Input should be a valid integer, got a number with a fractional part",
                Some(v),
            );
            return None;
        }
        // SAFETY: attached; a finite whole float.
        Obj::from_owned(unsafe { ffi::PyLong_FromDouble(f) })
    }

    pub(super) fn int(&mut self, v: &Value, c: Option<&Constraints>) -> Option<Obj> {
        let out = match v.as_ref() {
            // A document that kept its number text (wide integers, negative zero).
            _ if v.as_raw_number().is_some() => match wide_int(v) {
                Some(o) => o,
                None => {
                    let f = self.finite(v)?;
                    self.whole(f, v)?
                }
            },
            ValueRef::Number(_) if !v.is_f64() => match v.as_i64() {
                Some(i) => py::new_int(i),
                // SAFETY: attached.
                None => Obj::from_owned(unsafe {
                    ffi::PyLong_FromUnsignedLongLong(v.as_u64().unwrap_or(0))
                })?,
            },
            ValueRef::Number(_) if maybe_wide_int(v) => {
                self.needs_raw = true;
                return None;
            }
            ValueRef::Number(_) => self.whole(v.as_f64().unwrap_or(f64::NAN), v)?,
            ValueRef::String(s) => match text::coerce(Kind::Int, s, &self.plan.ctors.parsers) {
                Ok(o) => o,
                Err((kind, msg)) => {
                    self.fail(kind, msg, Some(v));
                    return None;
                }
            },
            _ => {
                self.fail("int_type", "Input should be a valid integer", Some(v));
                return None;
            }
        };
        if let Some(c) = c {
            // SAFETY: attached; an int. Ints beyond a double's range compare as infinities.
            let f = unsafe {
                let f = ffi::PyLong_AsDouble(out.as_ptr());
                if f == -1.0 && !ffi::PyErr_Occurred().is_null() {
                    ffi::PyErr_Clear();
                    if ffi::PyObject_RichCompareBool(
                        out.as_ptr(),
                        py::new_int(0).as_ptr(),
                        ffi::Py_LT,
                    ) == 1
                    {
                        f64::NEG_INFINITY
                    } else {
                        f64::INFINITY
                    }
                } else {
                    f
                }
            };
            if !self.check(c.check_number(f), v) {
                return None;
            }
        }
        Some(out)
    }

    /// A kept number's value, refusing what does not fit a double (as the fast parse does).
    fn finite(&mut self, v: &Value) -> Option<f64> {
        let f = f64_of(v);
        if f.is_finite() {
            return Some(f);
        }
        // No input echoed: it cannot be written back as a JSON number.
        self.fail("finite_number", "Input should be a finite number", None);
        None
    }

    pub(super) fn float(&mut self, v: &Value, c: Option<&Constraints>) -> Option<Obj> {
        let f = match v.as_ref() {
            _ if v.as_raw_number().is_some() => self.finite(v)?,
            ValueRef::Number(_) => f64_of(v),
            ValueRef::String(s) => match s.trim().parse::<f64>() {
                Ok(f) => f,
                Err(_) => {
                    self.fail(
                        "float_parsing",
                        "Input should be a valid number, unable to parse string as a number",
                        Some(v),
                    );
                    return None;
                }
            },
            _ => {
                self.fail("float_type", "Input should be a valid number", Some(v));
                return None;
            }
        };
        if let Some(c) = c {
            if !self.check(c.check_number(f), v) {
                return None;
            }
        }
        Some(float_obj(f))
    }

    pub(super) fn str(&mut self, v: &Value, c: Option<&Constraints>) -> Option<Obj> {
        let Some(s) = v.as_str() else {
            self.fail("string_type", "Input should be a valid string", Some(v));
            return None;
        };
        if let Some(c) = c {
            if !self.check(c.check_str(s), v) {
                return None;
            }
        }
        Some(py::new_str(s))
    }

    pub(super) fn bytes(&mut self, v: &Value, c: Option<&Constraints>) -> Option<Obj> {
        use base64::Engine;
        let Some(s) = v.as_str() else {
            self.fail("bytes_type", "Input should be a valid bytes", Some(v));
            return None;
        };
        let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(s) else {
            self.fail(
                "bytes_invalid_encoding",
                "Data should be valid base64",
                Some(v),
            );
            return None;
        };
        if let Some(c) = c {
            if !self.check(c.check_bytes_len(raw.len()), v) {
                return None;
            }
        }
        Some(py::new_bytes(&raw))
    }

    pub(super) fn decimal(&mut self, v: &Value, c: Option<&Constraints>) -> Option<Obj> {
        let text = match v.as_ref() {
            // Every digit of a number matters to a Decimal: read its text, parsing the document
            // again with raw numbers if it was not (rare: clients mostly send strings).
            ValueRef::Number(_) => match v.as_raw_number() {
                Some(raw) => raw.as_str().to_owned(),
                None => match v.as_i64() {
                    Some(i) if !v.is_f64() => i.to_string(),
                    _ => {
                        self.needs_raw = true;
                        return None;
                    }
                },
            },
            ValueRef::String(s) => s.to_owned(),
            _ => {
                self.fail(
                    "decimal_type",
                    "Decimal input should be an integer, float, string or Decimal object",
                    Some(v),
                );
                return None;
            }
        };
        let out = match text::coerce(Kind::Decimal, &text, &self.plan.ctors.parsers) {
            Ok(o) => o,
            Err((kind, msg)) => {
                self.fail(kind, msg, Some(v));
                return None;
            }
        };
        if let Some(c) = c {
            if let Ok(f) = text.trim().parse::<f64>() {
                if !self.check(c.check_number(f), v) {
                    return None;
                }
            }
        }
        Some(out)
    }

    /// datetime/date/time/UUID from a string, parsed by Python's own constructors.
    pub(super) fn parsed(&mut self, v: &Value, kind: Kind, type_err: &'static str) -> Option<Obj> {
        let Some(s) = v.as_str() else {
            let msg = match kind {
                Kind::Uuid => "UUID input should be a string, bytes or UUID object",
                Kind::Date => "Input should be a valid date",
                Kind::Time => "Input should be a valid time",
                _ => "Input should be a valid datetime",
            };
            self.fail(type_err, msg, Some(v));
            return None;
        };
        match text::coerce(kind, s, &self.plan.ctors.parsers) {
            Ok(o) => Some(o),
            Err((kind, msg)) => {
                self.fail(kind, msg, Some(v));
                None
            }
        }
    }

    /// `Literal[...]` and Enum members: the declared Python object whose JSON value this is.
    pub(super) fn choice(
        &mut self,
        values: &[(Lit, Obj)],
        expected: &str,
        is_enum: bool,
        v: &Value,
    ) -> Option<Obj> {
        let lit = match v.as_ref() {
            ValueRef::Null => Some(Lit::Null),
            ValueRef::Bool(b) => Some(Lit::Bool(b)),
            ValueRef::String(s) => Some(Lit::Str(s.to_owned())),
            ValueRef::Number(_) => v.as_i64().filter(|_| !v.is_f64()).map(Lit::Int),
            _ => None,
        };
        if let Some(lit) = lit {
            if let Some((_, o)) = values.iter().find(|(l, _)| *l == lit) {
                return Some(o.clone());
            }
        }
        // Lax, as pydantic: "2" is the int 2 (query strings and headers are all text).
        if let Some(i) = v.as_str().and_then(|s| s.trim().parse::<i64>().ok()) {
            if let Some((_, o)) = values.iter().find(|(l, _)| *l == Lit::Int(i)) {
                return Some(o.clone());
            }
        }
        let kind = if is_enum { "enum" } else { "literal_error" };
        self.fail(kind, format!("Input should be {expected}"), Some(v));
        None
    }
}
