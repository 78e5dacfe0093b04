//! Decoding: a JSON document (parsed by sonic-rs) walked along the plan, building the declared
//! Python objects directly (Struct instances get their slots filled in place) and collecting
//! every validation failure with its FastAPI `loc`, not just the first.
//!
//! This file holds the entry points (`parse`, `decode_bytes`, `decode_value`), the `Decoder`
//! with its location stack and its dispatch on the plan's node; each type family's methods live
//! beside their helpers and tests in their own file, so a family reads in one place:
//! `scalars`, `durations`, `containers`, `records`, `unions`, and `any` (untyped JSON, also
//! used on its own for JWT claims). `numbers` is what scalars and `any` share about how
//! sonic-rs hands numbers over.

mod any;
mod containers;
mod durations;
mod numbers;
mod records;
mod scalars;
mod unions;

pub use any::{decode_any, to_python, AnyError};
pub use durations::parse_duration;

use super::plan::{Node, Plan};
use super::text::Kind;
use crate::py::{self, Obj};
use crate::validation::{LocPart, ValidationIssue};
use sonic_rs::{JsonValueTrait, Value};

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
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
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
            Node::Any => self.any(v),
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
            } => self.choice(values, expected, *is_enum, v),
            Node::Record(i) => {
                let plan = self.plan;
                self.record(&plan.records[*i], v)
            }
        }
    }

    /// Python raised (the exception is still set): keep it for the caller, stop decoding.
    fn set_fatal(&mut self) -> Option<Obj> {
        self.fatal = py::take_exc().or_else(|| Some(py::new_str("unknown error")));
        None
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn negative_zero_tokens() {
        use super::has_negative_zero as z;
        assert!(z(b"-0.0") && z(b"[1,-0.00]") && z(b"{\"a\": -0e3}") && z(b"-0.0e1"));
        assert!(
            !z(b"-0.5") && !z(b"[-0.05]") && !z(b"-0") && !z(b"\"2024-05-01\"") && !z(b"[1-0.0]")
        );
    }
}
