//! Typed parameters: the per-route plan compiled from the handler signature
//! (`pyext/django_bolt/params.py`), and the coercion of path/query strings into Python values.
//!
//! Failures become FastAPI-shaped validation errors: `{"type","loc","msg","input"}`.

use crate::py::{self, Obj};
use pyo3::ffi;
use serde::Serialize;

// Shared with params.py: keep the numbers in sync.
pub const SRC_PATH: u8 = 0;
pub const SRC_QUERY: u8 = 1;
pub const SRC_REQUEST: u8 = 2;
pub const SRC_BODY: u8 = 3;
pub const SRC_HEADER: u8 = 4;
pub const SRC_COOKIE: u8 = 5;
pub const SRC_FORM: u8 = 6;
pub const SRC_FILE: u8 = 7;

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

impl Kind {
    pub fn from_code(c: i64) -> Option<Kind> {
        use Kind::*;
        Some(match c {
            0 => Str,
            1 => Int,
            2 => Float,
            3 => Bool,
            4 => Uuid,
            5 => Date,
            6 => DateTime,
            7 => Decimal,
            8 => Time,
            9 => Any,
            10 => Model,
            _ => return None,
        })
    }
}

pub const F_LIST: i64 = 1;
pub const F_OPTIONAL: i64 = 2;
pub const F_DEFAULT: i64 = 4;
/// `Body(embed=True)`: the value sits under the parameter's key in a JSON object.
pub const F_EMBED: i64 = 8;

pub struct ParamPlan {
    pub name: String,
    pub source: u8,
    pub kind: Kind,
    pub flags: i64,
    pub default: Option<Obj>,
    /// Query key / path name (the alias when one is given).
    pub key: String,
    /// The declared body type, for `Kind::Model`.
    pub model: Option<Obj>,
    pub constraints: Option<Constraints>,
}

/// Run-time constraints from `Meta`/markers (`ge=1`, `max_length=50`, `pattern=...`).
#[derive(Debug, Default)]
pub struct Constraints {
    pub gt: Option<f64>,
    pub ge: Option<f64>,
    pub lt: Option<f64>,
    pub le: Option<f64>,
    pub multiple_of: Option<f64>,
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    pub pattern: Option<(regex::Regex, String)>,
}

/// pydantic prints whole bounds without a decimal point ("greater than 0").
fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

impl Constraints {
    pub fn new(
        bounds: [Option<f64>; 5],
        lengths: [Option<usize>; 2],
        pattern: Option<String>,
    ) -> Result<Self, String> {
        let pattern = match pattern {
            Some(p) => Some((
                regex::Regex::new(&p).map_err(|e| format!("invalid pattern {p:?}: {e}"))?,
                p,
            )),
            None => None,
        };
        let [gt, ge, lt, le, multiple_of] = bounds;
        let [min_length, max_length] = lengths;
        Ok(Constraints {
            gt,
            ge,
            lt,
            le,
            multiple_of,
            min_length,
            max_length,
            pattern,
        })
    }

    /// The first violated numeric bound, as (pydantic type, message).
    pub fn check_number(&self, v: f64) -> Option<(&'static str, String)> {
        if let Some(b) = self.gt.filter(|b| v <= *b) {
            return Some((
                "greater_than",
                format!("Input should be greater than {}", num(b)),
            ));
        }
        if let Some(b) = self.ge.filter(|b| v < *b) {
            return Some((
                "greater_than_equal",
                format!("Input should be greater than or equal to {}", num(b)),
            ));
        }
        if let Some(b) = self.lt.filter(|b| v >= *b) {
            return Some(("less_than", format!("Input should be less than {}", num(b))));
        }
        if let Some(b) = self.le.filter(|b| v > *b) {
            return Some((
                "less_than_equal",
                format!("Input should be less than or equal to {}", num(b)),
            ));
        }
        if let Some(m) = self.multiple_of {
            let q = v / m;
            if (q - q.round()).abs() > 1e-9 {
                return Some((
                    "multiple_of",
                    format!("Input should be a multiple of {}", num(m)),
                ));
            }
        }
        None
    }

    pub fn check_str(&self, s: &str) -> Option<(&'static str, String)> {
        // Characters, not bytes; a string of `len` bytes has between len/4 and len of them, so
        // counting is only needed when a bound falls in between.
        let (lo, hi) = (s.len().div_ceil(4), s.len());
        let decided =
            self.min_length.is_none_or(|m| m <= lo) && self.max_length.is_none_or(|m| m >= hi);
        let n = if decided { lo } else { s.chars().count() };
        if let Some(min) = self.min_length.filter(|m| n < *m) {
            return Some((
                "string_too_short",
                format!("String should have at least {}", plural(min, "character")),
            ));
        }
        if let Some(max) = self.max_length.filter(|m| n > *m) {
            return Some((
                "string_too_long",
                format!("String should have at most {}", plural(max, "character")),
            ));
        }
        if let Some((re, src)) = &self.pattern {
            if !re.is_match(s) {
                return Some((
                    "string_pattern_mismatch",
                    format!("String should match pattern '{src}'"),
                ));
            }
        }
        None
    }

    /// `bytes` lengths, in pydantic's words.
    pub fn check_bytes_len(&self, n: usize) -> Option<(&'static str, String)> {
        if let Some(min) = self.min_length.filter(|m| n < *m) {
            return Some((
                "bytes_too_short",
                format!("Data should have at least {}", plural(min, "byte")),
            ));
        }
        if let Some(max) = self.max_length.filter(|m| n > *m) {
            return Some((
                "bytes_too_long",
                format!("Data should have at most {}", plural(max, "byte")),
            ));
        }
        None
    }

    pub fn check_list_len(&self, n: usize) -> Option<(&'static str, String)> {
        self.check_len(n, "List")
    }

    /// Container lengths, named as pydantic names them ("List", "Set", "Dictionary"...).
    pub fn check_len(&self, n: usize, noun: &str) -> Option<(&'static str, String)> {
        if let Some(min) = self.min_length.filter(|m| n < *m) {
            return Some((
                "too_short",
                format!(
                    "{noun} should have at least {} after validation, not {n}",
                    plural(min, "item")
                ),
            ));
        }
        if let Some(max) = self.max_length.filter(|m| n > *m) {
            return Some((
                "too_long",
                format!(
                    "{noun} should have at most {} after validation, not {n}",
                    plural(max, "item")
                ),
            ));
        }
        None
    }
}

/// `(gt, ge, lt, le, multiple_of, min_length, max_length, pattern)` or None, from params.py.
pub fn constraints_from(t: &Obj) -> Result<Option<Constraints>, String> {
    let Some(items) = py::seq_items(t.as_ptr()) else {
        return Ok(None);
    };
    if items.len() != 8 {
        return Err("constraints must be an 8-tuple".into());
    }
    let f = |o: *mut ffi::PyObject| -> Option<f64> {
        // SAFETY: attached; ints and floats both convert.
        unsafe {
            if o == ffi::Py_None() {
                return None;
            }
            let v = ffi::PyFloat_AsDouble(o);
            if v == -1.0 && !ffi::PyErr_Occurred().is_null() {
                ffi::PyErr_Clear();
                return None;
            }
            Some(v)
        }
    };
    let n = |o: *mut ffi::PyObject| py::as_i64(o).and_then(|v| usize::try_from(v).ok());
    let bounds = [
        f(items[0]),
        f(items[1]),
        f(items[2]),
        f(items[3]),
        f(items[4]),
    ];
    let pattern = py::str_of(items[7]).map(str::to_owned);
    Constraints::new(bounds, [n(items[5]), n(items[6])], pattern).map(Some)
}

/// One entry of a 422 `detail` list.
#[derive(Debug, Serialize, PartialEq)]
pub struct ValidationIssue {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub loc: Vec<LocPart>,
    pub msg: String,
    /// The offending value, as JSON (FastAPI echoes it back).
    pub input: Option<sonic_rs::Value>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
pub enum LocPart {
    Key(String),
    Index(usize),
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
fn issue_for(kind: Kind) -> (&'static str, &'static str) {
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
fn int_literal(s: &str) -> Option<String> {
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

pub fn source_name(source: u8) -> &'static str {
    match source {
        SRC_PATH => "path",
        SRC_QUERY => "query",
        // FastAPI reports form fields and files under "body".
        SRC_BODY | SRC_FORM | SRC_FILE => "body",
        SRC_HEADER => "header",
        SRC_COOKIE => "cookie",
        _ => "request",
    }
}

pub fn issue(
    kind_msg: (&'static str, &'static str),
    source: u8,
    key: &str,
    input: Option<&str>,
) -> ValidationIssue {
    ValidationIssue {
        kind: kind_msg.0,
        loc: vec![
            LocPart::Key(source_name(source).into()),
            LocPart::Key(key.into()),
        ],
        msg: kind_msg.1.into(),
        input: input.map(sonic_rs::Value::from),
    }
}

pub fn missing(source: u8, key: &str) -> ValidationIssue {
    issue(("missing", "Field required"), source, key, None)
}

/// `{"detail":[...]}` for a list of issues.
pub fn render_issues(issues: &[ValidationIssue]) -> Vec<u8> {
    #[derive(Serialize)]
    struct Body<'a> {
        detail: &'a [ValidationIssue],
    }
    sonic_rs::to_vec(&Body { detail: issues }).unwrap_or_else(|_| b"{\"detail\":[]}".to_vec())
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

    fn c(
        bounds: [Option<f64>; 5],
        lengths: [Option<usize>; 2],
        pattern: Option<&str>,
    ) -> Constraints {
        Constraints::new(bounds, lengths, pattern.map(str::to_owned)).unwrap()
    }

    #[test]
    fn numeric_bounds_in_pydantic_words() {
        let k = c(
            [Some(0.0), None, None, Some(100.0), None],
            [None, None],
            None,
        );
        assert_eq!(
            k.check_number(0.0),
            Some(("greater_than", "Input should be greater than 0".into()))
        );
        assert_eq!(k.check_number(0.5), None);
        assert_eq!(
            k.check_number(100.5),
            Some((
                "less_than_equal",
                "Input should be less than or equal to 100".into()
            ))
        );
        let ge = c([None, Some(1.5), Some(3.0), None, None], [None, None], None);
        assert_eq!(ge.check_number(1.0).unwrap().0, "greater_than_equal");
        assert_eq!(ge.check_number(3.0).unwrap().0, "less_than");
    }

    #[test]
    fn multiple_of_tolerates_float_noise() {
        let k = c([None, None, None, None, Some(0.1)], [None, None], None);
        assert_eq!(k.check_number(0.3), None);
        assert_eq!(k.check_number(0.35).unwrap().0, "multiple_of");
    }

    #[test]
    fn string_lengths_count_characters_and_patterns_search() {
        let k = c([None; 5], [Some(2), Some(3)], Some("^[a-zé]+$"));
        assert_eq!(
            k.check_str("é"),
            Some((
                "string_too_short",
                "String should have at least 2 characters".into()
            ))
        );
        assert_eq!(k.check_str("éé"), None);
        assert_eq!(k.check_str("abcd").unwrap().0, "string_too_long");
        assert_eq!(
            k.check_str("AB"),
            Some((
                "string_pattern_mismatch",
                "String should match pattern '^[a-zé]+$'".into()
            ))
        );
    }

    #[test]
    fn list_lengths() {
        let k = c([None; 5], [Some(1), Some(2)], None);
        assert_eq!(k.check_list_len(0).unwrap().0, "too_short");
        assert_eq!(
            k.check_list_len(3).unwrap().1,
            "List should have at most 2 items after validation, not 3"
        );
    }

    #[test]
    fn bad_pattern_is_an_error() {
        assert!(Constraints::new([None; 5], [None, None], Some("(".into())).is_err());
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

    #[test]
    fn renders_fastapi_shape() {
        let body = render_issues(&[
            issue(issue_for(Kind::Int), SRC_QUERY, "page", Some("abc")),
            missing(SRC_QUERY, "i"),
        ]);
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            r#"{"detail":[{"type":"int_parsing","loc":["query","page"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"abc"},{"type":"missing","loc":["query","i"],"msg":"Field required","input":null}]}"#
        );
    }
}
