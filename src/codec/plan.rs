//! The type plan: a Python type compiled once (from `pyext/django_bolt/schema.py`'s
//! description) into a tree the decoder and encoder walk without asking Python what to do.

use super::text::Parsers;
use crate::py::{self, Obj};
use crate::validation::constraints::{constraints_from, Constraints};
use pyo3::ffi;

/// Why `schema.describe`'s output could not be compiled: `compile_plan` raises it as a
/// TypeError, so each message names what was wrong in the description.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// A Python call made while compiling raised (importing the parsers, reading a slot).
    #[error("{0}")]
    Python(String),
    /// An entry that is not the tuple its position calls for (its repr).
    #[error("malformed plan entry {0}")]
    Malformed(String),
    #[error("expected a {what} in the plan, got {got}")]
    Expected { what: &'static str, got: String },
    #[error("unknown plan node {0:?}")]
    UnknownNode(String),
    #[error("unknown record kind {0:?}")]
    UnknownRecordKind(String),
    #[error("bad default kind")]
    BadDefault,
    /// A tag or record index that is not an int (which one).
    #[error("{0}")]
    BadIndex(&'static str),
    #[error("literal {0} is not str, int, bool or None")]
    Literal(String),
    /// `Meta(...)` constraints the validation layer refused (its message).
    #[error("{0}")]
    Constraints(String),
    #[error("{cls}: field {field} is not a slot")]
    NotASlot { cls: String, field: String },
    #[error("unexpected slot type")]
    SlotType,
}

/// A literal JSON scalar: tags, `Literal[...]` values and Enum values.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
}

impl Lit {
    fn from_py(o: *mut ffi::PyObject) -> Result<Lit, PlanError> {
        // SAFETY: attached; `o` is live.
        unsafe {
            if o == ffi::Py_None() {
                Ok(Lit::Null)
            } else if ffi::PyBool_Check(o) != 0 {
                Ok(Lit::Bool(o == ffi::Py_True()))
            } else if let Some(s) = py::str_of(o) {
                Ok(Lit::Str(s.to_owned()))
            } else if let Some(i) = py::as_i64(o) {
                Ok(Lit::Int(i))
            } else {
                Err(PlanError::Literal(py::repr(o)))
            }
        }
    }

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

/// "'a', 'b' or 'c'", as pydantic lists the accepted values.
fn one_of(values: &[Lit]) -> String {
    let shown: Vec<String> = values.iter().map(Lit::shown).collect();
    match shown.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
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

fn item(t: *mut ffi::PyObject, i: isize) -> Result<*mut ffi::PyObject, PlanError> {
    // SAFETY: attached; bounds checked by PyTuple_Size.
    unsafe {
        if ffi::PyTuple_Check(t) == 0 || i >= ffi::PyTuple_Size(t) {
            return Err(PlanError::Malformed(py::repr(t)));
        }
        Ok(ffi::PyTuple_GET_ITEM(t, i))
    }
}

fn expected(what: &'static str, o: *mut ffi::PyObject) -> PlanError {
    PlanError::Expected {
        what,
        got: py::repr(o),
    }
}

fn string(o: *mut ffi::PyObject) -> Result<String, PlanError> {
    py::str_of(o)
        .map(str::to_owned)
        .ok_or_else(|| expected("str", o))
}

fn list(o: *mut ffi::PyObject) -> Result<Vec<*mut ffi::PyObject>, PlanError> {
    py::seq_items(o).ok_or_else(|| expected("list", o))
}

fn constraints(t: *mut ffi::PyObject, i: isize) -> Result<Option<Constraints>, PlanError> {
    constraints_from(&Obj::from_borrowed(item(t, i)?)).map_err(PlanError::Constraints)
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

impl Plan {
    /// Builds the plan from `(root, defs)` as `schema.describe` returns them.
    pub fn compile(root: *mut ffi::PyObject, defs: *mut ffi::PyObject) -> Result<Plan, PlanError> {
        let defs = list(defs)?;
        // Records first (nodes refer to them by index, recursive types included).
        let mut records = Vec::with_capacity(defs.len());
        for d in &defs {
            records.push(record(*d)?);
        }
        Ok(Plan {
            root: node(root)?,
            records,
            ctors: Ctors::load()?,
        })
    }
}

fn node(t: *mut ffi::PyObject) -> Result<Node, PlanError> {
    let tag = string(item(t, 0)?)?;
    Ok(match tag.as_str() {
        "any" => Node::Any,
        "none" => Node::None,
        "bool" => Node::Bool,
        "int" => Node::Int(constraints(t, 1)?),
        "float" => Node::Float(constraints(t, 1)?),
        "str" => Node::Str(constraints(t, 1)?),
        "bytes" => Node::Bytes(constraints(t, 1)?),
        "decimal" => Node::Decimal(constraints(t, 1)?),
        "datetime" => Node::DateTime,
        "date" => Node::Date,
        "time" => Node::Time,
        "timedelta" => Node::TimeDelta,
        "uuid" => Node::Uuid,
        "list" | "set" | "frozenset" | "tuple" => Node::Seq {
            kind: match tag.as_str() {
                "list" => SeqKind::List,
                "set" => SeqKind::Set,
                "frozenset" => SeqKind::FrozenSet,
                _ => SeqKind::Tuple,
            },
            item: Box::new(node(item(t, 1)?)?),
            c: constraints(t, 2)?,
        },
        "fixtuple" => Node::FixTuple(
            list(item(t, 1)?)?
                .into_iter()
                .map(node)
                .collect::<Result<_, _>>()?,
        ),
        "dict" => Node::Dict {
            key: Box::new(node(item(t, 1)?)?),
            value: Box::new(node(item(t, 2)?)?),
            c: constraints(t, 3)?,
        },
        "optional" => Node::Optional(Box::new(node(item(t, 1)?)?)),
        "union" => Node::Union(
            list(item(t, 1)?)?
                .into_iter()
                .map(node)
                .collect::<Result<_, _>>()?,
        ),
        "tagged" => {
            let field = string(item(t, 1)?)?;
            let mut tags = Vec::new();
            for pair in list(item(t, 2)?)? {
                let idx =
                    py::as_i64(item(pair, 1)?).ok_or(PlanError::BadIndex("tag index"))? as usize;
                tags.push((Lit::from_py(item(pair, 0)?)?, idx));
            }
            let lits: Vec<Lit> = tags.iter().map(|(l, _)| l.clone()).collect();
            Node::Tagged {
                field,
                expected: lits.iter().map(Lit::shown).collect::<Vec<_>>().join(", "),
                tags,
            }
        }
        "literal" => {
            let json = list(item(t, 1)?)?;
            let objs = list(item(t, 2)?)?;
            let mut values = Vec::new();
            for (j, o) in json.iter().zip(objs) {
                values.push((Lit::from_py(*j)?, Obj::from_borrowed(o)));
            }
            let lits: Vec<Lit> = values.iter().map(|(l, _)| l.clone()).collect();
            Node::Choice {
                expected: one_of(&lits),
                values,
                is_enum: false,
                cls: None,
            }
        }
        "enum" => {
            let mut values = Vec::new();
            for pair in list(item(t, 2)?)? {
                values.push((
                    Lit::from_py(item(pair, 0)?)?,
                    Obj::from_borrowed(item(pair, 1)?),
                ));
            }
            let lits: Vec<Lit> = values.iter().map(|(l, _)| l.clone()).collect();
            Node::Choice {
                expected: one_of(&lits),
                values,
                is_enum: true,
                cls: Some(Obj::from_borrowed(item(t, 1)?)),
            }
        }
        "struct" => Node::Record(
            py::as_i64(item(t, 1)?).ok_or(PlanError::BadIndex("record index"))? as usize,
        ),
        other => return Err(PlanError::UnknownNode(other.to_owned())),
    })
}

fn key_json(name: &str) -> Vec<u8> {
    let mut out = sonic_rs::to_vec(name).unwrap_or_default();
    out.push(b':');
    out
}

/// The offset of a `__slots__` member, read from its descriptor on the class.
fn slot_offset(cls: &Obj, attr: &Obj) -> Result<isize, PlanError> {
    // SAFETY: attached; the descriptor is checked to be a member descriptor before its layout
    // (CPython's PyMemberDescrObject) is read, and `d_member` points into the type's own table.
    unsafe {
        let d = Obj::from_owned(ffi::PyObject_GetAttr(cls.as_ptr(), attr.as_ptr()))
            .ok_or_else(|| PlanError::Python(py::take_err().0))?;
        if ffi::Py_TYPE(d.as_ptr()) != &raw mut ffi::PyMemberDescr_Type {
            return Err(PlanError::NotASlot {
                cls: py::repr(cls.as_ptr()),
                field: py::repr(attr.as_ptr()),
            });
        }
        let m = (*(d.as_ptr() as *mut ffi::PyMemberDescrObject)).d_member;
        if (*m).type_code != ffi::Py_T_OBJECT_EX {
            return Err(PlanError::SlotType);
        }
        Ok((*m).offset)
    }
}

fn record(t: *mut ffi::PyObject) -> Result<Record, PlanError> {
    let cls = Obj::from_borrowed(item(t, 0)?);
    let kind = match string(item(t, 1)?)?.as_str() {
        "struct" => RecordKind::Struct,
        "dataclass" => RecordKind::Dataclass,
        "typeddict" => RecordKind::TypedDict,
        other => return Err(PlanError::UnknownRecordKind(other.to_owned())),
    };
    let name = cls
        .getattr(c"__qualname__")
        .ok()
        .and_then(|q| py::str_of(q.as_ptr()).map(str::to_owned))
        .unwrap_or_default();
    let mut fields = Vec::new();
    for f in list(item(t, 2)?)? {
        let attr_o = item(f, 0)?;
        let json = string(item(f, 1)?)?;
        let default_o = Obj::from_borrowed(item(f, 4)?);
        let default = match py::as_i64(item(f, 3)?) {
            Some(0) => Default::Required,
            Some(1) => Default::Value(default_o),
            Some(2) => Default::Factory(default_o),
            Some(3) => Default::Omit,
            _ => return Err(PlanError::BadDefault),
        };
        let attr = Obj::from_borrowed(attr_o);
        let offset = match kind {
            RecordKind::Struct => Some(slot_offset(&cls, &attr)?),
            _ => None,
        };
        fields.push(Field {
            key_json: key_json(&json),
            json,
            attr,
            node: node(item(f, 2)?)?,
            default,
            offset,
        });
    }
    // SAFETY: attached.
    let none = unsafe { ffi::Py_None() };
    let tag_field = item(t, 3)?;
    let tag = if tag_field == none || item(t, 4)? == none {
        None
    } else {
        Some((string(tag_field)?, Lit::from_py(item(t, 4)?)?))
    };
    // SAFETY: attached.
    let truthy = |o: *mut ffi::PyObject| unsafe { ffi::PyObject_IsTrue(o) == 1 };
    let post_init = match kind {
        // Dataclasses run their own __post_init__ from __init__.
        RecordKind::Struct => cls.getattr(c"__post_init__").ok(),
        _ => None,
    };
    // SAFETY: attached; getattr may have failed and left an AttributeError.
    unsafe { ffi::PyErr_Clear() };
    Ok(Record {
        tag_key_json: tag.as_ref().map(|(f, _)| key_json(f)).unwrap_or_default(),
        tag,
        forbid_unknown: truthy(item(t, 5)?),
        omit_defaults: truthy(item(t, 6)?),
        cls,
        name,
        kind,
        fields,
        post_init,
    })
}
