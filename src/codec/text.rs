//! Text into Python scalars: a path segment, query value, header or cookie (or a JSON string
//! where the type asks for it) coerced to the declared kind, with pydantic's error words.

use crate::py::{self, Obj};
use pyo3::ffi;

/// The scalar kind a parameter (or a JSON string) is coerced to; codes shared with
/// `_plans.py`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Str,
    Int,
    Float,
    Bool,
    Uuid,
    Date,
    DateTime,
    Decimal,
    Time,
    Any,
    Model,
}

/// Each kind at its code (its index), with the name `_plans.py` gives the code.
pub const KINDS: [(&str, Kind); 11] = [
    ("K_STR", Kind::Str),
    ("K_INT", Kind::Int),
    ("K_FLOAT", Kind::Float),
    ("K_BOOL", Kind::Bool),
    ("K_UUID", Kind::Uuid),
    ("K_DATE", Kind::Date),
    ("K_DATETIME", Kind::DateTime),
    ("K_DECIMAL", Kind::Decimal),
    ("K_TIME", Kind::Time),
    ("K_ANY", Kind::Any),
    ("K_MODEL", Kind::Model),
];

impl Kind {
    pub fn from_code(c: i64) -> Option<Kind> {
        usize::try_from(c)
            .ok()
            .and_then(|i| KINDS.get(i))
            .map(|(_, k)| *k)
    }
}

/// Python callables that parse the richer scalar types (they accept exactly what Python does).
pub struct Parsers {
    pub uuid: Obj,
    pub date: Obj,
    pub datetime: Obj,
    pub decimal: Obj,
    pub time: Obj,
}

/// pydantic's words for each kind, so clients that parse FastAPI errors keep working.
pub fn issue_for(kind: Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::Int => (
            "int_parsing",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
        Kind::Float => (
            "float_parsing",
            "Input should be a valid number, unable to parse string as a number",
        ),
        Kind::Bool => (
            "bool_parsing",
            "Input should be a valid boolean, unable to interpret input",
        ),
        Kind::Uuid => ("uuid_parsing", "Input should be a valid UUID"),
        Kind::Date => (
            "date_parsing",
            "Input should be a valid date in the format YYYY-MM-DD",
        ),
        Kind::DateTime => ("datetime_parsing", "Input should be a valid datetime"),
        Kind::Decimal => ("decimal_parsing", "Input should be a valid decimal"),
        Kind::Time => ("time_parsing", "Input should be a valid time"),
        Kind::Str | Kind::Any | Kind::Model => ("string_type", "Input should be a valid string"),
    }
}

pub fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "on" | "t" | "true" | "y" | "yes" => Some(true),
        "0" | "off" | "f" | "false" | "n" | "no" => Some(false),
        _ => None,
    }
}

/// A decimal integer as pydantic accepts it: optional sign, digits, `_` between digits.
pub fn int_literal(s: &str) -> Option<String> {
    let t = s.trim();
    let (sign, digits) = match t.as_bytes().first()? {
        b'+' | b'-' => (&t[..1], &t[1..]),
        _ => ("", t),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'_') {
        return None;
    }
    if digits.starts_with('_') || digits.ends_with('_') || digits.contains("__") {
        return None;
    }
    Some(format!("{sign}{}", digits.replace('_', "")))
}

/// Coerces one string into a Python value of `kind`.
pub fn coerce(
    kind: Kind,
    raw: &str,
    parsers: &Parsers,
) -> Result<Obj, (&'static str, &'static str)> {
    let bad = || issue_for(kind);
    match kind {
        Kind::Str | Kind::Any | Kind::Model => Ok(py::new_str(raw)),
        Kind::Int => {
            if let Ok(v) = raw.parse::<i64>() {
                return Ok(py::new_int(v));
            }
            let lit = int_literal(raw).ok_or_else(bad)?;
            let c = std::ffi::CString::new(lit).map_err(|_| bad())?;
            // SAFETY: attached; NUL-terminated digits with an optional sign.
            unsafe {
                Obj::from_owned(ffi::PyLong_FromString(c.as_ptr(), std::ptr::null_mut(), 10))
                    .ok_or_else(|| {
                        ffi::PyErr_Clear();
                        bad()
                    })
            }
        }
        Kind::Float => {
            let v: f64 = raw.trim().parse().map_err(|_| bad())?;
            // SAFETY: attached.
            unsafe { Obj::from_owned(ffi::PyFloat_FromDouble(v)).ok_or_else(bad) }
        }
        Kind::Bool => Ok(py::new_bool(parse_bool(raw).ok_or_else(bad)?)),
        Kind::Uuid | Kind::Date | Kind::DateTime | Kind::Decimal | Kind::Time => {
            let f = match kind {
                Kind::Uuid => &parsers.uuid,
                Kind::Date => &parsers.date,
                Kind::DateTime => &parsers.datetime,
                Kind::Decimal => &parsers.decimal,
                _ => &parsers.time,
            };
            let arg = py::new_str(raw);
            match py::call(f, &[&arg]) {
                Ok(v) => {
                    if kind == Kind::Decimal && !decimal_is_finite(&v) {
                        return Err(bad());
                    }
                    Ok(v)
                }
                Err(_) => Err(bad()),
            }
        }
    }
}

fn decimal_is_finite(v: &Obj) -> bool {
    // SAFETY: attached; `v` is a Decimal.
    unsafe {
        let r = ffi::PyObject_CallMethod(v.as_ptr(), c"is_finite".as_ptr(), std::ptr::null());
        let ok = !r.is_null() && r == ffi::Py_True();
        if r.is_null() {
            ffi::PyErr_Clear();
        } else {
            ffi::Py_DECREF(r);
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bools_follow_pydantic() {
        for t in ["1", "on", "t", "true", "TRUE", "y", "yes"] {
            assert_eq!(parse_bool(t), Some(true), "{t}");
        }
        for f in ["0", "off", "f", "false", "n", "NO"] {
            assert_eq!(parse_bool(f), Some(false), "{f}");
        }
        assert_eq!(parse_bool("maybe"), None);
        assert_eq!(parse_bool(""), None);
    }

    #[test]
    fn int_literals() {
        assert_eq!(
            int_literal("123456789012345678901234567890").as_deref(),
            Some("123456789012345678901234567890")
        );
        assert_eq!(int_literal("-1_000").as_deref(), Some("-1000"));
        assert_eq!(int_literal("1.5"), None);
        assert_eq!(int_literal("abc"), None);
        assert_eq!(int_literal("_1"), None);
        assert_eq!(int_literal(""), None);
    }
}
