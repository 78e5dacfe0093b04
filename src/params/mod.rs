//! Typed parameters: the per-route plan compiled from the handler signature
//! (`pyext/django_bolt/params.py`), and their extraction from a request (`extract`).
//!
//! Failures become FastAPI-shaped validation errors: `{"type","loc","msg","input"}`.

pub mod extract;

use crate::codec::text::Kind;
use crate::py::Obj;
use crate::validation::{self, Constraints, ValidationIssue};

// The codes `_plans.py` uses (checked against `_native.plan_codes()` by the tests).
pub const SRC_PATH: u8 = 0;
pub const SRC_QUERY: u8 = 1;
pub const SRC_REQUEST: u8 = 2;
pub const SRC_BODY: u8 = 3;
pub const SRC_HEADER: u8 = 4;
pub const SRC_COOKIE: u8 = 5;
pub const SRC_FORM: u8 = 6;
pub const SRC_FILE: u8 = 7;

pub const F_LIST: i64 = 1;
pub const F_OPTIONAL: i64 = 2;
pub const F_DEFAULT: i64 = 4;
/// `Body(embed=True)`: the value sits under the parameter's key in a JSON object.
pub const F_EMBED: i64 = 8;
/// With `F_LIST`: the values are handed over as a `set` / `frozenset` / `tuple` instead of a
/// list (`set[int]`, `frozenset[str]`, `tuple[int, ...]` parameters, as django-bolt allows).
pub const F_SET: i64 = 16;
pub const F_FROZENSET: i64 = 32;
pub const F_TUPLE: i64 = 64;

/// Every source and flag code by its `_plans.py` name.
pub const CODES: [(&str, i64); 15] = [
    ("SRC_PATH", SRC_PATH as i64),
    ("SRC_QUERY", SRC_QUERY as i64),
    ("SRC_REQUEST", SRC_REQUEST as i64),
    ("SRC_BODY", SRC_BODY as i64),
    ("SRC_HEADER", SRC_HEADER as i64),
    ("SRC_COOKIE", SRC_COOKIE as i64),
    ("SRC_FORM", SRC_FORM as i64),
    ("SRC_FILE", SRC_FILE as i64),
    ("F_LIST", F_LIST),
    ("F_OPTIONAL", F_OPTIONAL),
    ("F_DEFAULT", F_DEFAULT),
    ("F_EMBED", F_EMBED),
    ("F_SET", F_SET),
    ("F_FROZENSET", F_FROZENSET),
    ("F_TUPLE", F_TUPLE),
];

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
    validation::issue(kind_msg, source_name(source), key, input)
}

pub fn missing(source: u8, key: &str) -> ValidationIssue {
    issue(("missing", "Field required"), source, key, None)
}

/// Which keyed sources a route reads, so the others are never parsed.
#[derive(Default)]
pub struct Needs {
    pub query: bool,
    pub headers: bool,
    pub cookies: bool,
    /// Form fields or files: the body is parsed as a form.
    pub form: bool,
}

impl Needs {
    pub fn of(params: &[ParamPlan]) -> Needs {
        let reads = |src: u8| params.iter().any(|p| p.source == src);
        Needs {
            query: reads(SRC_QUERY),
            headers: reads(SRC_HEADER),
            cookies: reads(SRC_COOKIE),
            form: reads(SRC_FORM) || reads(SRC_FILE),
        }
    }
}
