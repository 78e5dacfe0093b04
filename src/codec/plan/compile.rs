//! Compiling a plan: `schema.describe`'s nested tuples (`pyext/django_bolt/schema.py`) read
//! into the tree of `plan`, with Struct slot offsets taken from the classes' member
//! descriptors. Every way the description can be wrong is a `PlanError` naming the entry.

use super::{Ctors, Default, Field, Lit, Node, Plan, Record, RecordKind, SeqKind};
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
    Constraints(#[from] crate::validation::constraints::ConstraintError),
    #[error("{cls}: field {field} is not a slot")]
    NotASlot { cls: String, field: String },
    #[error("unexpected slot type")]
    SlotType,
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
        // `UNSET` (struct.py) is recognised by its class marker, so Rust needs no handle on it.
        let omit_unset = matches!(&default, Default::Value(d)
            // SAFETY: attached; `d` is live; HasAttrString clears any error it meets.
            if unsafe { ffi::PyObject_HasAttrString(d.as_ptr(), c"__bolt_unset__".as_ptr()) } == 1);
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
            omit_unset,
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

#[cfg(test)]
mod tests {
    use super::PlanError;

    /// `compile_plan`'s TypeError texts, byte for byte what they were as strings.
    #[test]
    fn messages() {
        let s = |x: &str| x.to_owned();
        let cases = [
            (
                PlanError::UnknownNode(s("complex")),
                r#"unknown plan node "complex""#,
            ),
            (
                PlanError::UnknownRecordKind(s("attrs")),
                r#"unknown record kind "attrs""#,
            ),
            (
                PlanError::Expected {
                    what: "list",
                    got: s("None"),
                },
                "expected a list in the plan, got None",
            ),
            (
                PlanError::Malformed(s("('int',)")),
                "malformed plan entry ('int',)",
            ),
            (
                PlanError::Literal(s("1.5")),
                "literal 1.5 is not str, int, bool or None",
            ),
            (
                PlanError::NotASlot {
                    cls: s("<class 'A'>"),
                    field: s("'x'"),
                },
                "<class 'A'>: field 'x' is not a slot",
            ),
            (PlanError::BadIndex("tag index"), "tag index"),
            (PlanError::BadDefault, "bad default kind"),
        ];
        for (e, want) in cases {
            assert_eq!(e.to_string(), want);
        }
    }
}
