//! Decoding: a JSON document (parsed by sonic-rs) walked along the plan, building the declared
//! Python objects directly (Struct instances get their slots filled in place) and collecting
//! every validation failure with its FastAPI `loc`, not just the first.

use super::plan::{Default, Lit, Node, Plan, Record, RecordKind, SeqKind};
use super::text::{self, Kind};
use crate::py::{self, Obj};
use crate::validation::{Constraints, LocPart, ValidationIssue};
use pyo3::ffi;
use sonic_rs::{JsonContainerTrait, JsonValueTrait, Value, ValueRef};

/// Deeper documents are refused rather than risking the stack (also bounds recursive types).
pub const MAX_DEPTH: usize = 256;

pub enum Failure {
    /// The body does not fit the type: a 422 listing these.
    Invalid(Vec<ValidationIssue>),
    /// Python raised something that is not a validation failure (a bug in `__post_init__`,
    /// memory): a 500. The exception is set again when this is handled.
    Fatal(Obj),
    /// An integer wider than 64 bits was met in a document parsed the fast way: parse it
    /// again with `parse(bytes, true)` and decode that (rare; keeps every digit).
    NeedsRawNumbers,
}

enum Seg<'a> {
    Key(&'a str),
    Index(usize),
    /// A union member's label, made only on the error path.
    Label(String),
}

struct Decoder<'a> {
    plan: &'a Plan,
    prefix: &'a [LocPart],
    loc: Vec<Seg<'a>>,
    issues: Vec<ValidationIssue>,
    fatal: Option<Obj>,
    needs_raw: bool,
}

/// Why a body could not be parsed: a `json_invalid` issue at this byte position.
pub struct ParseError {
    pub position: usize,
    pub message: String,
}

impl ParseError {
    pub fn issue(&self, prefix: &[LocPart]) -> ValidationIssue {
        let mut loc = prefix.to_vec();
        loc.push(LocPart::Index(self.position));
        ValidationIssue {
            kind: "json_invalid",
            loc,
            msg: format!("JSON decode error: {}", self.message),
            input: None,
        }
    }
}

/// Where nesting first goes deeper than `MAX_DEPTH` (brackets inside strings ignored).
fn too_deep(bytes: &[u8]) -> Option<usize> {
    // Cheap necessary condition first: that many opening brackets at all (SIMD count).
    memchr::memchr2_iter(b'[', b'{', bytes).nth(MAX_DEPTH)?;
    let (mut depth, mut in_str, mut esc) = (0usize, false, false);
    for (i, &b) in bytes.iter().enumerate() {
        if in_str {
            match (esc, b) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Whether a number token `-0`, `-0.0`, `-0e5`... (a float negative zero) may be present.
/// False positives only cost speed (the document keeps its number text); "-0.5" or a date
/// inside a string ("2024-05-01") do not count.
fn has_negative_zero(bytes: &[u8]) -> bool {
    memchr::memmem::find_iter(bytes, b"-0").any(|at| {
        let before = bytes[..at].iter().rev().find(|c| !c.is_ascii_whitespace());
        if !matches!(before, None | Some(b':' | b',' | b'[')) {
            return false;
        }
        let rest = &bytes[at + 2..];
        match rest.first() {
            Some(b'e' | b'E') => true,
            Some(b'.') => {
                let zeros = rest[1..].iter().take_while(|c| **c == b'0').count();
                !rest.get(1 + zeros).is_some_and(|c| c.is_ascii_digit())
            }
            _ => false,
        }
    })
}

/// Parses a JSON document. Documents nested deeper than `MAX_DEPTH` are refused before
/// sonic-rs sees them (its DOM is built and dropped recursively). `raw_numbers` keeps every
/// number's text, for integers wider than 64 bits (see `Failure::NeedsRawNumbers`).
pub fn parse(bytes: &[u8], raw_numbers: bool) -> Result<Value, ParseError> {
    if let Some(at) = too_deep(bytes) {
        return Err(ParseError {
            position: at,
            message: format!("nested deeper than {MAX_DEPTH} levels"),
        });
    }
    // sonic-rs's Deserializer trusts its input to be UTF-8; Python strings must be.
    let text = std::str::from_utf8(bytes).map_err(|e| ParseError {
        position: e.valid_up_to(),
        message: "invalid UTF-8".to_owned(),
    })?;
    let mut de = sonic_rs::Deserializer::from_str(text);
    // sonic-rs reads "-0.0" as +0.0; documents holding a negative zero keep number text.
    if raw_numbers || has_negative_zero(bytes) {
        de = de.use_rawnumber();
    }
    let parsed = serde::Deserialize::deserialize(&mut de).and_then(|v: Value| de.end().map(|_| v));
    parsed.map_err(|e| ParseError {
        position: e.offset().min(bytes.len()),
        message: e.to_string().lines().next().unwrap_or("").to_owned(),
    })
}

/// Parses `bytes` and decodes them into `plan`'s type. A syntax error is a `json_invalid`
/// issue at `prefix + [byte position]`.
pub fn decode_bytes(plan: &Plan, bytes: &[u8], prefix: &[LocPart]) -> Result<Obj, Failure> {
    let value = parse(bytes, false).map_err(|e| Failure::Invalid(vec![e.issue(prefix)]))?;
    match decode_value(plan, &value, prefix) {
        Err(Failure::NeedsRawNumbers) => {
            let value = parse(bytes, true).map_err(|e| Failure::Invalid(vec![e.issue(prefix)]))?;
            decode_value(plan, &value, prefix)
        }
        other => other,
    }
}

/// Decodes an already parsed JSON value into `plan`'s type.
pub fn decode_value(plan: &Plan, value: &Value, prefix: &[LocPart]) -> Result<Obj, Failure> {
    let mut d = Decoder {
        plan,
        prefix,
        loc: Vec::with_capacity(8),
        issues: Vec::new(),
        fatal: None,
        needs_raw: false,
    };
    let out = d.node(&plan.root, value);
    if let Some(exc) = d.fatal {
        return Err(Failure::Fatal(exc));
    }
    if d.needs_raw {
        return Err(Failure::NeedsRawNumbers);
    }
    match out {
        Some(v) if d.issues.is_empty() => Ok(v),
        _ => Err(Failure::Invalid(d.issues)),
    }
}

/// A number as f64, from its text when the document kept it (exact for "-0.0").
fn f64_of(v: &Value) -> f64 {
    match v.as_raw_number() {
        Some(raw) => raw.as_str().parse().unwrap_or(f64::NAN),
        None => v.as_f64().unwrap_or(f64::NAN),
    }
}

/// An integer-valued float too big for i64/u64: in a document parsed without raw numbers it
/// may have been an integer literal that lost digits.
fn maybe_wide_int(v: &Value) -> bool {
    v.is_f64()
        && v.as_raw_number().is_none()
        && v.as_f64()
            .is_some_and(|f| f.fract() == 0.0 && f.abs() >= 9.2e18)
}

/// An integer literal's digits, exactly (raw-number documents only).
fn wide_int(v: &Value) -> Option<Obj> {
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

fn float_obj(v: f64) -> Obj {
    // SAFETY: attached.
    Obj::from_owned(unsafe { ffi::PyFloat_FromDouble(v) }).expect("float")
}

/// The JSON kind of a value, for picking union members that match exactly.
#[derive(PartialEq, Eq, Clone, Copy)]
enum Shape {
    Null,
    Bool,
    Int,
    Float,
    Str,
    Array,
    Object,
}

fn shape(v: &Value) -> Shape {
    match v.as_ref() {
        ValueRef::Null => Shape::Null,
        ValueRef::Bool(_) => Shape::Bool,
        ValueRef::Number(_) if v.is_f64() => Shape::Float,
        ValueRef::Number(_) => Shape::Int,
        ValueRef::String(_) => Shape::Str,
        ValueRef::Array(_) => Shape::Array,
        ValueRef::Object(_) => Shape::Object,
    }
}

/// Whether a member takes this JSON kind without any lax conversion.
fn exact(n: &Node, s: Shape) -> bool {
    match n {
        Node::Any => true,
        Node::None => s == Shape::Null,
        Node::Bool => s == Shape::Bool,
        Node::Int(_) => s == Shape::Int,
        Node::Float(_) => s == Shape::Float || s == Shape::Int,
        Node::Str(_) | Node::Bytes(_) => s == Shape::Str,
        Node::Seq { .. } | Node::FixTuple(_) => s == Shape::Array,
        Node::Dict { .. } | Node::Record(_) | Node::Tagged { .. } => s == Shape::Object,
        Node::Optional(inner) => s == Shape::Null || exact(inner, s),
        _ => false,
    }
}

/// pydantic's label for a union member in `loc` ("int", "str", "Item").
fn label(n: &Node, plan: &Plan) -> String {
    match n {
        Node::Any => "any".into(),
        Node::None => "none".into(),
        Node::Bool => "bool".into(),
        Node::Int(_) => "int".into(),
        Node::Float(_) => "float".into(),
        Node::Str(_) => "str".into(),
        Node::Bytes(_) => "bytes".into(),
        Node::Decimal(_) => "decimal".into(),
        Node::DateTime => "datetime".into(),
        Node::Date => "date".into(),
        Node::Time => "time".into(),
        Node::TimeDelta => "timedelta".into(),
        Node::Uuid => "uuid".into(),
        Node::Seq { kind, item, .. } => {
            let k = match kind {
                SeqKind::List => "list",
                SeqKind::Set => "set",
                SeqKind::FrozenSet => "frozenset",
                SeqKind::Tuple => "tuple",
            };
            format!("{k}[{}]", label(item, plan))
        }
        Node::FixTuple(_) => "tuple".into(),
        Node::Dict { key, value, .. } => {
            format!("dict[{},{}]", label(key, plan), label(value, plan))
        }
        Node::Optional(inner) => label(inner, plan),
        Node::Union(_) => "union".into(),
        Node::Tagged { .. } => "tagged-union".into(),
        Node::Choice { is_enum: true, .. } => "enum".into(),
        Node::Choice { .. } => "literal".into(),
        Node::Record(i) => plan.records[*i].name.clone(),
    }
}

impl<'a> Decoder<'a> {
    fn fail(&mut self, kind: &'static str, msg: impl Into<String>, input: Option<&Value>) {
        let mut loc = self.prefix.to_vec();
        loc.extend(self.loc.iter().map(|s| match s {
            Seg::Key(k) => LocPart::Key((*k).to_owned()),
            Seg::Index(i) => LocPart::Index(*i),
            Seg::Label(l) => LocPart::Key(l.clone()),
        }));
        self.issues.push(ValidationIssue {
            kind,
            loc,
            msg: msg.into(),
            input: input.cloned(),
        });
    }

    fn check(&mut self, r: Option<(&'static str, String)>, v: &Value) -> bool {
        match r {
            Some((kind, msg)) => {
                self.fail(kind, msg, Some(v));
                false
            }
            None => true,
        }
    }

    fn node(&mut self, n: &'a Node, v: &'a Value) -> Option<Obj> {
        if self.loc.len() > MAX_DEPTH {
            self.fail("recursion_loop", "JSON nested too deeply", None);
            return None;
        }
        match n {
            Node::Any => self.any(v, 0),
            Node::None => {
                if v.is_null() {
                    Some(py::none())
                } else {
                    self.fail("none_required", "Input should be None", Some(v));
                    None
                }
            }
            Node::Bool => self.boolean(v),
            Node::Int(c) => self.int(v, c.as_ref()),
            Node::Float(c) => self.float(v, c.as_ref()),
            Node::Str(c) => self.str(v, c.as_ref()),
            Node::Bytes(c) => self.bytes(v, c.as_ref()),
            Node::Decimal(c) => self.decimal(v, c.as_ref()),
            Node::DateTime => self.parsed(v, Kind::DateTime, "datetime_type"),
            Node::Date => self.parsed(v, Kind::Date, "date_type"),
            Node::Time => self.parsed(v, Kind::Time, "time_type"),
            Node::Uuid => match v.as_str().and_then(|t| self.plan.ctors.uuid(t)) {
                Some(u) => Some(u),
                None => self.parsed(v, Kind::Uuid, "uuid_type"),
            },
            Node::TimeDelta => self.timedelta(v),
            Node::Seq { kind, item, c } => self.seq(*kind, item, c.as_ref(), v),
            Node::FixTuple(items) => self.fixtuple(items, v),
            Node::Dict { key, value, c } => self.dict(key, value, c.as_ref(), v),
            Node::Optional(inner) => {
                if v.is_null() {
                    Some(py::none())
                } else {
                    self.node(inner, v)
                }
            }
            Node::Union(members) => self.union(members, v),
            Node::Tagged {
                field,
                tags,
                expected,
            } => self.tagged(field, tags, expected, v),
            Node::Choice {
                values,
                expected,
                is_enum,
                ..
            } => {
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
                let kind = if *is_enum { "enum" } else { "literal_error" };
                self.fail(kind, format!("Input should be {expected}"), Some(v));
                None
            }
            Node::Record(i) => {
                let plan = self.plan;
                self.record(&plan.records[*i], v)
            }
        }
    }

    /// Any JSON value as the plain Python value (dict, list, str, int, float, bool, None).
    fn any(&mut self, v: &'a Value, depth: usize) -> Option<Obj> {
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

    fn boolean(&mut self, v: &Value) -> Option<Obj> {
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

    fn int(&mut self, v: &Value, c: Option<&Constraints>) -> Option<Obj> {
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

    fn float(&mut self, v: &Value, c: Option<&Constraints>) -> Option<Obj> {
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

    fn str(&mut self, v: &Value, c: Option<&Constraints>) -> Option<Obj> {
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

    fn bytes(&mut self, v: &Value, c: Option<&Constraints>) -> Option<Obj> {
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

    fn decimal(&mut self, v: &Value, c: Option<&Constraints>) -> Option<Obj> {
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
    fn parsed(&mut self, v: &Value, kind: Kind, type_err: &'static str) -> Option<Obj> {
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

    /// A number of seconds, or an ISO 8601 duration (`P1DT2H`, `-PT0.5S`) as pydantic writes.
    fn timedelta(&mut self, v: &Value) -> Option<Obj> {
        let parts = match v.as_ref() {
            ValueRef::Number(_) => {
                let f = v.as_f64().unwrap_or(f64::NAN);
                split_seconds(f)
            }
            ValueRef::String(s) => parse_duration(s),
            _ => None,
        };
        let Some((days, secs, micros)) = parts else {
            self.fail(
                "time_delta_parsing",
                "Input should be a valid timedelta",
                Some(v),
            );
            return None;
        };
        let args = [py::new_int(days), py::new_int(secs), py::new_int(micros)];
        match py::call(&self.plan.ctors.timedelta, &[&args[0], &args[1], &args[2]]) {
            Ok(o) => Some(o),
            Err(_) => {
                self.fail(
                    "time_delta_parsing",
                    "Input should be a valid timedelta, durations may not exceed 999,999,999 days",
                    Some(v),
                );
                None
            }
        }
    }

    fn seq(
        &mut self,
        kind: SeqKind,
        item: &'a Node,
        c: Option<&Constraints>,
        v: &'a Value,
    ) -> Option<Obj> {
        let Some(arr) = v.as_array() else {
            let (k, m) = match kind {
                SeqKind::List => ("list_type", "Input should be a valid list"),
                SeqKind::Set => ("set_type", "Input should be a valid set"),
                SeqKind::FrozenSet => ("frozen_set_type", "Input should be a valid frozenset"),
                SeqKind::Tuple => ("tuple_type", "Input should be a valid tuple"),
            };
            self.fail(k, m, Some(v));
            return None;
        };
        if let Some(c) = c {
            let noun = match kind {
                SeqKind::List => "List",
                SeqKind::Set => "Set",
                SeqKind::FrozenSet => "Frozenset",
                SeqKind::Tuple => "Tuple",
            };
            if !self.check(c.check_len(arr.len(), noun), v) {
                return None;
            }
        }
        // SAFETY: attached; a fresh list filled slot by slot (SET_ITEM steals), every slot
        // written before the list is used; on failure the partly filled list is only dropped,
        // which CPython tolerates (NULL slots are skipped by list dealloc).
        let list = Obj::from_owned(unsafe { ffi::PyList_New(arr.len() as isize) })?;
        let mut ok = true;
        for (i, it) in arr.iter().enumerate() {
            self.loc.push(Seg::Index(i));
            let r = self.node(item, it);
            self.loc.pop();
            match r {
                Some(o) if ok => unsafe {
                    ffi::PyList_SET_ITEM(list.as_ptr(), i as isize, o.into_ptr())
                },
                Some(_) => {}
                None => {
                    ok = false;
                    if self.fatal.is_some() {
                        return None;
                    }
                }
            }
        }
        if !ok {
            return None;
        }
        // SAFETY: attached; the list is complete.
        unsafe {
            match kind {
                SeqKind::List => Some(list),
                SeqKind::Tuple => Obj::from_owned(ffi::PyList_AsTuple(list.as_ptr())),
                SeqKind::Set | SeqKind::FrozenSet => {
                    let set = if kind == SeqKind::Set {
                        ffi::PySet_New(list.as_ptr())
                    } else {
                        ffi::PyFrozenSet_New(list.as_ptr())
                    };
                    match Obj::from_owned(set) {
                        Some(s) => Some(s),
                        None => {
                            ffi::PyErr_Clear();
                            self.fail(
                                "set_item_not_hashable",
                                "Set items should be hashable",
                                Some(v),
                            );
                            None
                        }
                    }
                }
            }
        }
    }

    fn fixtuple(&mut self, items: &'a [Node], v: &'a Value) -> Option<Obj> {
        let Some(arr) = v.as_array() else {
            self.fail("tuple_type", "Input should be a valid tuple", Some(v));
            return None;
        };
        if arr.len() != items.len() {
            let (k, m) = if arr.len() < items.len() {
                (
                    "too_short",
                    format!(
                        "Tuple should have at least {} items after validation, not {}",
                        items.len(),
                        arr.len()
                    ),
                )
            } else {
                (
                    "too_long",
                    format!(
                        "Tuple should have at most {} items after validation, not {}",
                        items.len(),
                        arr.len()
                    ),
                )
            };
            self.fail(k, m, Some(v));
            return None;
        }
        let mut out = Vec::with_capacity(items.len());
        for (i, (n, it)) in items.iter().zip(arr.iter()).enumerate() {
            self.loc.push(Seg::Index(i));
            let r = self.node(n, it);
            self.loc.pop();
            out.push(r);
        }
        let objs: Option<Vec<Obj>> = out.into_iter().collect();
        Some(py::tuple(objs?))
    }

    fn dict(
        &mut self,
        key: &'a Node,
        value: &'a Node,
        c: Option<&Constraints>,
        v: &'a Value,
    ) -> Option<Obj> {
        let Some(obj) = v.as_object() else {
            self.fail("dict_type", "Input should be a valid dictionary", Some(v));
            return None;
        };
        if let Some(c) = c {
            if !self.check(c.check_len(obj.len(), "Dictionary"), v) {
                return None;
            }
        }
        // SAFETY: attached.
        let dict = Obj::from_owned(unsafe { ffi::PyDict_New() })?;
        let mut ok = true;
        for (k, it) in obj.iter() {
            self.loc.push(Seg::Key(k));
            let kobj = self.key(key, k);
            let vobj = self.node(value, it);
            self.loc.pop();
            match (kobj, vobj) {
                (Some(ko), Some(vo)) if ok => {
                    // SAFETY: attached; SetItem does not steal. Unhashable keys cannot occur:
                    // key nodes are limited to str/int/Enum/Literal/UUID at plan time.
                    unsafe { ffi::PyDict_SetItem(dict.as_ptr(), ko.as_ptr(), vo.as_ptr()) };
                }
                (Some(_), Some(_)) => {}
                _ => {
                    ok = false;
                    if self.fatal.is_some() {
                        return None;
                    }
                }
            }
        }
        ok.then_some(dict)
    }

    /// An object key (always a JSON string) as the declared key type.
    fn key(&mut self, n: &Node, k: &str) -> Option<Obj> {
        let input = || Some(Value::from(k));
        let (kind, msg) = match n {
            Node::Str(c) => {
                if let Some((kind, msg)) = c.as_ref().and_then(|c| c.check_str(k)) {
                    self.fail(kind, msg, input().as_ref());
                    return None;
                }
                return Some(py::new_str(k));
            }
            Node::Int(_) => match text::coerce(Kind::Int, k, &self.plan.ctors.parsers) {
                Ok(o) => return Some(o),
                Err(e) => e,
            },
            Node::Uuid => match text::coerce(Kind::Uuid, k, &self.plan.ctors.parsers) {
                Ok(o) => return Some(o),
                Err(e) => e,
            },
            Node::Choice { values, .. } => {
                let found = values.iter().find(|(l, _)| match l {
                    Lit::Str(s) => s == k,
                    Lit::Int(i) => k.parse::<i64>().ok() == Some(*i),
                    _ => false,
                });
                if let Some((_, o)) = found {
                    return Some(o.clone());
                }
                ("literal_error", "Input should be one of the declared keys")
            }
            _ => return Some(py::new_str(k)),
        };
        self.fail(kind, msg, input().as_ref());
        None
    }

    fn union(&mut self, members: &'a [Node], v: &'a Value) -> Option<Obj> {
        let s = shape(v);
        // smart mode, as pydantic: a member that takes this JSON kind as is wins over one that
        // would need a lax conversion ("1" stays a str in `int | str`).
        let order = members
            .iter()
            .filter(|m| exact(m, s))
            .chain(members.iter().filter(|m| !exact(m, s)));
        let before = self.issues.len();
        for m in order {
            let mark = self.issues.len();
            if let Some(o) = self.node(m, v) {
                if self.issues.len() == mark {
                    self.issues.truncate(before);
                    return Some(o);
                }
            }
            if self.fatal.is_some() {
                return None;
            }
        }
        // Every member failed: keep each one's errors, labelled as pydantic does.
        self.issues.truncate(before);
        for m in members {
            self.loc.push(Seg::Label(label(m, self.plan)));
            let _ = self.node(m, v);
            self.loc.pop();
            if self.fatal.is_some() {
                return None;
            }
        }
        None
    }

    fn tagged(
        &mut self,
        field: &'a str,
        tags: &'a [(Lit, usize)],
        expected: &str,
        v: &'a Value,
    ) -> Option<Obj> {
        let obj = self.object_for_record(v)?;
        let Some(tv) = obj.get(&field) else {
            self.fail(
                "union_tag_not_found",
                format!("Unable to extract tag using discriminator '{field}'"),
                Some(v),
            );
            return None;
        };
        let lit = match tv.as_ref() {
            ValueRef::String(s) => Some(Lit::Str(s.to_owned())),
            ValueRef::Number(_) if !tv.is_f64() => tv.as_i64().map(Lit::Int),
            _ => None,
        };
        let found = lit.and_then(|l| tags.iter().find(|(t, _)| *t == l));
        let Some((_, idx)) = found else {
            let shown = match tv.as_str() {
                Some(s) => format!("'{s}'"),
                None => tv.to_string(),
            };
            self.fail(
                "union_tag_invalid",
                format!("Input tag {shown} found using '{field}' does not match any of the expected tags: {expected}"),
                Some(v),
            );
            return None;
        };
        let rec = &self.plan.records[*idx];
        let tag_text: &'a str = match &rec.tag {
            Some((_, Lit::Str(s))) => s.as_str(),
            _ => rec.name.as_str(),
        };
        self.loc.push(Seg::Key(tag_text));
        let out = self.record(rec, v);
        self.loc.pop();
        out
    }

    /// The JSON object a record is built from, or the error for anything else.
    fn object_for_record(&mut self, v: &'a Value) -> Option<&'a sonic_rs::Object> {
        let obj = v.as_object();
        if obj.is_none() {
            self.fail(
                "model_attributes_type",
                "Input should be a valid dictionary or object to extract fields from",
                Some(v),
            );
        }
        obj
    }

    fn record(&mut self, rec: &'a Record, v: &'a Value) -> Option<Obj> {
        let obj = self.object_for_record(v)?;
        let n = rec.fields.len();
        // (value, key seen) per field: one allocation per record.
        let mut slots: Vec<(Option<Obj>, bool)> = (0..n).map(|_| (None, false)).collect();
        let mut ok = true;
        let mut next = 0usize;
        let issues_before = self.issues.len();
        let mut keep: Option<Vec<bool>> = None;
        let mut pairs = obj.iter().enumerate();
        while let Some((j, (k, it))) = pairs.next() {
            if keep.as_ref().is_some_and(|keep| !keep[j]) {
                continue;
            }
            // Fields usually arrive in declared order: try the next one before searching.
            let idx = if next < n && rec.fields[next].json == k {
                Some(next)
            } else {
                rec.fields.iter().position(|f| f.json == k)
            };
            if let Some(i) = idx {
                if slots[i].1 && keep.is_none() {
                    // A repeated key: the last one wins, as for dicts. Start over, skipping
                    // every occurrence but the last (rare, so the first pass stays simple).
                    let mut last = std::collections::HashMap::new();
                    for (pos, (key, _)) in obj.iter().enumerate() {
                        last.insert(key, pos);
                    }
                    keep = Some(
                        obj.iter()
                            .enumerate()
                            .map(|(pos, (key, _))| last[key] == pos)
                            .collect(),
                    );
                    self.issues.truncate(issues_before);
                    slots.iter_mut().for_each(|s| *s = (None, false));
                    ok = true;
                    next = 0;
                    pairs = obj.iter().enumerate();
                    continue;
                }
                slots[i].1 = true;
            }
            let Some(i) = idx else {
                if let Some((tf, tv)) = &rec.tag {
                    if tf == k {
                        let matches = match (tv, it.as_ref()) {
                            (Lit::Str(t), ValueRef::String(s)) => t == s,
                            (Lit::Int(t), ValueRef::Number(_)) => it.as_i64() == Some(*t),
                            _ => false,
                        };
                        if !matches {
                            self.loc.push(Seg::Key(k));
                            self.fail(
                                "literal_error",
                                format!("Input should be {}", tv.shown()),
                                Some(it),
                            );
                            self.loc.pop();
                            ok = false;
                        }
                        continue;
                    }
                }
                if rec.forbid_unknown {
                    self.loc.push(Seg::Key(k));
                    self.fail(
                        "extra_forbidden",
                        "Extra inputs are not permitted",
                        Some(it),
                    );
                    self.loc.pop();
                    ok = false;
                }
                continue;
            };
            next = i + 1;
            let f = &rec.fields[i];
            self.loc.push(Seg::Key(f.json.as_str()));
            let r = self.node(&f.node, it);
            self.loc.pop();
            match r {
                Some(o) => slots[i].0 = Some(o),
                None => {
                    ok = false;
                    if self.fatal.is_some() {
                        return None;
                    }
                }
            }
        }
        for (i, f) in rec.fields.iter().enumerate() {
            if slots[i].0.is_some() {
                continue;
            }
            // A field that failed above already has its error; only absent ones are missing.
            if obj.get(&f.json).is_some() {
                continue;
            }
            match &f.default {
                Default::Required => {
                    self.loc.push(Seg::Key(f.json.as_str()));
                    self.fail("missing", "Field required", Some(v));
                    self.loc.pop();
                    ok = false;
                }
                Default::Value(d) => slots[i].0 = Some(d.clone()),
                Default::Factory(f) => match py::call_keep(f, &[]) {
                    Some(o) => slots[i].0 = Some(o),
                    None => return self.set_fatal(),
                },
                Default::Omit => {}
            }
        }
        if !ok {
            return None;
        }
        self.build(rec, slots.into_iter().map(|s| s.0), v)
    }

    /// Python raised (the exception is still set): keep it for the caller, stop decoding.
    fn set_fatal(&mut self) -> Option<Obj> {
        self.fatal = py::take_exc().or_else(|| Some(py::new_str("unknown error")));
        None
    }

    /// Builds the instance from the decoded field values.
    fn build(
        &mut self,
        rec: &Record,
        values: impl Iterator<Item = Option<Obj>>,
        input: &Value,
    ) -> Option<Obj> {
        // SAFETY: attached throughout. For Structs the instance comes from the type's own
        // tp_alloc (zeroed slots), and each slot offset was read from the class's member
        // descriptor at plan time, so writing an owned reference there is what CPython's
        // member setter does for a fresh object.
        unsafe {
            match rec.kind {
                RecordKind::Struct => {
                    let tp = rec.cls.as_ptr() as *mut ffi::PyTypeObject;
                    let alloc = (*tp).tp_alloc.unwrap_or(ffi::PyType_GenericAlloc);
                    let Some(obj) = Obj::from_owned(alloc(tp, 0)) else {
                        return self.set_fatal();
                    };
                    for (f, v) in rec.fields.iter().zip(values) {
                        if let (Some(off), Some(v)) = (f.offset, v) {
                            let slot =
                                (obj.as_ptr() as *mut u8).offset(off) as *mut *mut ffi::PyObject;
                            *slot = v.into_ptr();
                        }
                    }
                    if let Some(post) = &rec.post_init {
                        let r = ffi::PyObject_CallOneArg(post.as_ptr(), obj.as_ptr());
                        if r.is_null() {
                            return self.post_init_failed(input);
                        }
                        ffi::Py_DECREF(r);
                    }
                    Some(obj)
                }
                RecordKind::Dataclass | RecordKind::TypedDict => {
                    let kw = Obj::from_owned(ffi::PyDict_New())?;
                    for (f, v) in rec.fields.iter().zip(values) {
                        if let Some(v) = v {
                            ffi::PyDict_SetItem(kw.as_ptr(), f.attr.as_ptr(), v.as_ptr());
                        }
                    }
                    if rec.kind == RecordKind::TypedDict {
                        return Some(kw);
                    }
                    let empty = Obj::from_owned(ffi::PyTuple_New(0))?;
                    match Obj::from_owned(ffi::PyObject_Call(
                        rec.cls.as_ptr(),
                        empty.as_ptr(),
                        kw.as_ptr(),
                    )) {
                        Some(o) => Some(o),
                        None => self.post_init_failed(input),
                    }
                }
            }
        }
    }

    /// `__post_init__` (or a dataclass's `__init__`) raised: ValueError/TypeError/AssertionError
    /// are the user's validation and become a `value_error` issue; anything else is a 500.
    fn post_init_failed(&mut self, input: &Value) -> Option<Obj> {
        let exc = py::take_exc()?;
        // SAFETY: attached; static exception types.
        let validation = unsafe {
            [
                ffi::PyExc_ValueError,
                ffi::PyExc_TypeError,
                ffi::PyExc_AssertionError,
            ]
            .iter()
            .any(|t| ffi::PyObject_IsInstance(exc.as_ptr(), *t) == 1)
        };
        if validation {
            // SAFETY: attached.
            let text = unsafe { Obj::from_owned(ffi::PyObject_Str(exc.as_ptr())) }
                .and_then(|s| py::str_of(s.as_ptr()).map(str::to_owned))
                .unwrap_or_default();
            self.fail("value_error", format!("Value error, {text}"), Some(input));
        } else {
            self.fatal = Some(exc);
        }
        None
    }
}

/// timedelta's own limit, in microseconds (999999999 days).
const MAX_MICROS: i128 = 999_999_999 * 86_400 * 1_000_000 + 86_399_999_999;

/// Microseconds as timedelta's (days, seconds, microseconds); `None` past its range.
fn split_micros(micros: i128) -> Option<(i64, i64, i64)> {
    if micros.abs() > MAX_MICROS {
        return None;
    }
    let day = 86_400_000_000i128;
    let days = micros.div_euclid(day);
    let rest = micros.rem_euclid(day);
    Some((
        days as i64,
        (rest / 1_000_000) as i64,
        (rest % 1_000_000) as i64,
    ))
}

/// Seconds as (days, seconds, microseconds), rounding to the microsecond.
fn split_seconds(f: f64) -> Option<(i64, i64, i64)> {
    if !f.is_finite() || f.abs() > 1e14 {
        return None;
    }
    split_micros((f * 1e6).round() as i128)
}

/// `12` or `1.5` units as microseconds, exactly (integers, not floats: 999999999 days has
/// more digits than a double keeps).
fn duration_part(num: &str, unit_us: i128) -> Option<i128> {
    let (whole, frac) = num.split_once('.').unwrap_or((num, ""));
    if frac.contains('.') || (whole.is_empty() && frac.is_empty()) || whole.len() > 20 {
        return None;
    }
    let whole: i128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut out = whole.checked_mul(unit_us)?;
    if !frac.is_empty() {
        // Nine digits are finer than a microsecond of any unit; the rest cannot matter.
        let digits = &frac[..frac.len().min(9)];
        let scale = 10i128.pow(digits.len() as u32);
        let f: i128 = digits.parse().ok()?;
        out += (f * unit_us + scale / 2) / scale;
    }
    Some(out)
}

/// ISO 8601 durations: `[-]P[nW][nD][T[nH][nM][n[.f]S]]`, fractions on the last unit only.
pub fn parse_duration(s: &str) -> Option<(i64, i64, i64)> {
    let (neg, rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let rest = rest.strip_prefix(['P', 'p'])?;
    if rest.is_empty() {
        return None;
    }
    let mut micros: i128 = 0;
    let mut in_time = false;
    let mut num = String::new();
    let mut saw_unit = false;
    for ch in rest.chars() {
        match ch {
            '0'..='9' | '.' | ',' => num.push(if ch == ',' { '.' } else { ch }),
            'T' | 't' if !in_time && num.is_empty() => in_time = true,
            _ => {
                if num.is_empty() {
                    return None;
                }
                let unit_us: i128 = match (in_time, ch.to_ascii_uppercase()) {
                    (false, 'W') => 604_800_000_000,
                    (false, 'D') => 86_400_000_000,
                    (true, 'H') => 3_600_000_000,
                    (true, 'M') => 60_000_000,
                    (true, 'S') => 1_000_000,
                    _ => return None,
                };
                micros = micros.checked_add(duration_part(&num, unit_us)?)?;
                num.clear();
                saw_unit = true;
            }
        }
    }
    if !num.is_empty() || !saw_unit {
        return None;
    }
    if neg {
        micros = -micros;
    }
    split_micros(micros)
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn negative_zero_tokens() {
        use super::has_negative_zero as z;
        assert!(z(b"-0.0") && z(b"[1,-0.00]") && z(b"{\"a\": -0e3}") && z(b"-0.0e1"));
        assert!(
            !z(b"-0.5") && !z(b"[-0.05]") && !z(b"-0") && !z(b"\"2024-05-01\"") && !z(b"[1-0.0]")
        );
    }

    #[test]
    fn iso_durations() {
        assert_eq!(parse_duration("P1D"), Some((1, 0, 0)));
        assert_eq!(parse_duration("PT1H2M3.5S"), Some((0, 3723, 500_000)));
        assert_eq!(parse_duration("-PT0.5S"), Some((-1, 86_399, 500_000)));
        assert_eq!(parse_duration("P1W"), Some((7, 0, 0)));
        assert_eq!(parse_duration("P999999999D"), Some((999_999_999, 0, 0)));
        assert_eq!(parse_duration("P1000000000D"), None);
        assert_eq!(parse_duration("PT1e400S"), None);
        assert_eq!(parse_duration("P"), None);
        assert_eq!(parse_duration("PT"), None);
        assert_eq!(parse_duration("P1H"), None);
        assert_eq!(parse_duration("1D"), None);
        assert_eq!(parse_duration("P1.5.2D"), None);
    }
}
