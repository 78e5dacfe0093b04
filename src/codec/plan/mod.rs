//! The type plan: a Python type compiled once (from `pyext/django_bolt/schema.py`'s
//! description) into a tree the decoder and encoder walk without asking Python what to do.
//!
//! This file is the tree itself and the Python constructors it carries; `compile` reads
//! `schema.describe`'s tuples into it, and says what was wrong when they do not fit.

mod compile;

pub use compile::PlanError;

use super::text::Parsers;
use crate::py::{self, Obj};
use crate::validation::constraints::Constraints;
use pyo3::ffi;

/// A literal JSON scalar: tags, `Literal[...]` values and Enum values.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
}

impl Lit {
    /// How pydantic quotes expected values in messages: `'a'`, `1`, `True`, `None`.
    pub fn shown(&self) -> String {
        match self {
            Lit::Null => "None".into(),
            Lit::Bool(b) => (if *b { "True" } else { "False" }).into(),
            Lit::Int(i) => i.to_string(),
            Lit::Str(s) => format!("'{s}'"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqKind {
    List,
    Set,
    FrozenSet,
    Tuple,
}

pub enum Node {
    Any,
    None,
    Bool,
    Int(Option<Constraints>),
    Float(Option<Constraints>),
    Str(Option<Constraints>),
    Bytes(Option<Constraints>),
    Decimal(Option<Constraints>),
    DateTime,
    Date,
    Time,
    TimeDelta,
    Uuid,
    Seq {
        kind: SeqKind,
        item: Box<Node>,
        c: Option<Constraints>,
    },
    FixTuple(Vec<Node>),
    Dict {
        key: Box<Node>,
        value: Box<Node>,
        c: Option<Constraints>,
    },
    Optional(Box<Node>),
    Union(Vec<Node>),
    /// Records told apart by the value of a shared tag field.
    Tagged {
        field: String,
        tags: Vec<(Lit, usize)>,
        expected: String,
    },
    /// `Literal[...]` (values are the Python objects to return) and `Enum` (members).
    Choice {
        values: Vec<(Lit, Obj)>,
        expected: String,
        is_enum: bool,
        cls: Option<Obj>,
    },
    Record(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    Struct,
    Dataclass,
    TypedDict,
}

pub enum Default {
    Required,
    Value(Obj),
    Factory(Obj),
    /// TypedDict keys that may be absent.
    Omit,
}

pub struct Field {
    /// The attribute name as an interned-ish str, for getattr/setattr and kwargs.
    pub attr: Obj,
    pub json: String,
    /// `"json":` already escaped, written as is by the encoder.
    pub key_json: Vec<u8>,
    pub node: Node,
    pub default: Default,
    /// Byte offset of the slot in a Struct instance (`None` for dataclasses and TypedDicts).
    pub offset: Option<isize>,
    /// The default is msgspec's `UNSET` (`x: int | UnsetType = UNSET`): the field is left out of
    /// the JSON while it holds that default, whatever the record's `omit_defaults`.
    pub omit_unset: bool,
}

pub struct Record {
    pub cls: Obj,
    pub name: String,
    pub kind: RecordKind,
    pub fields: Vec<Field>,
    /// (tag field, this record's tag value)
    pub tag: Option<(String, Lit)>,
    pub tag_key_json: Vec<u8>,
    pub forbid_unknown: bool,
    pub omit_defaults: bool,
    pub post_init: Option<Obj>,
}

/// Python callables for the types whose parsing Python already does exactly.
pub struct Ctors {
    pub parsers: Parsers,
    pub timedelta: Obj,
    uuid_cls: Obj,
    safe_unknown: Obj,
    int_attr: Obj,
    is_safe_attr: Obj,
}

pub struct Plan {
    pub root: Node,
    pub records: Vec<Record>,
    pub ctors: Ctors,
}
fn ctor(module: &std::ffi::CStr, path: &[&std::ffi::CStr]) -> Result<Obj, PlanError> {
    // SAFETY: attached.
    let mut o = Obj::from_owned(unsafe { ffi::PyImport_ImportModule(module.as_ptr()) })
        .ok_or_else(|| PlanError::Python(py::take_err().0))?;
    for name in path {
        o = o.getattr(name).map_err(|e| PlanError::Python(e.0))?;
    }
    Ok(o)
}
impl Ctors {
    pub fn load() -> Result<Ctors, PlanError> {
        Ok(Ctors {
            parsers: Parsers {
                datetime: ctor(c"datetime", &[c"datetime", c"fromisoformat"])?,
                date: ctor(c"datetime", &[c"date", c"fromisoformat"])?,
                time: ctor(c"datetime", &[c"time", c"fromisoformat"])?,
                uuid: ctor(c"uuid", &[c"UUID"])?,
                decimal: ctor(c"decimal", &[c"Decimal"])?,
            },
            timedelta: ctor(c"datetime", &[c"timedelta"])?,
            uuid_cls: ctor(c"uuid", &[c"UUID"])?,
            safe_unknown: ctor(c"uuid", &[c"SafeUUID", c"unknown"])?,
            int_attr: py::new_str("int"),
            is_safe_attr: py::new_str("is_safe"),
        })
    }

    /// A `uuid.UUID` from its canonical text (32 hex digits, hyphens in the usual places)
    /// built directly, as `UUID.__init__` would leave it; `None` for other spellings, which
    /// go through `UUID(str)`.
    pub fn uuid(&self, s: &str) -> Option<Obj> {
        let b = s.as_bytes();
        let mut hex = [0u8; 33];
        let mut n = 0;
        match b.len() {
            36 if [8, 13, 18, 23].iter().all(|&i| b[i] == b'-') => {
                for (i, &c) in b.iter().enumerate() {
                    if ![8, 13, 18, 23].contains(&i) {
                        hex[n] = c;
                        n += 1;
                    }
                }
            }
            32 => {
                hex[..32].copy_from_slice(b);
                n = 32;
            }
            _ => return None,
        }
        if n != 32 || !hex[..32].iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        // SAFETY: attached; `hex` is NUL-terminated hex digits. UUID keeps its state in two
        // slots (`int`, `is_safe`) that `__init__` sets with object.__setattr__; the generic
        // setter does the same on a freshly allocated instance.
        unsafe {
            let int = Obj::from_owned(ffi::PyLong_FromString(
                hex.as_ptr() as *const std::ffi::c_char,
                std::ptr::null_mut(),
                16,
            ))?;
            let tp = self.uuid_cls.as_ptr() as *mut ffi::PyTypeObject;
            let alloc = (*tp).tp_alloc.unwrap_or(ffi::PyType_GenericAlloc);
            let o = Obj::from_owned(alloc(tp, 0))?;
            if ffi::PyObject_GenericSetAttr(o.as_ptr(), self.int_attr.as_ptr(), int.as_ptr()) != 0
                || ffi::PyObject_GenericSetAttr(
                    o.as_ptr(),
                    self.is_safe_attr.as_ptr(),
                    self.safe_unknown.as_ptr(),
                ) != 0
            {
                ffi::PyErr_Clear();
                return None;
            }
            Some(o)
        }
    }
}
