//! Encoding along a plan: Struct instances written field by field from their slots (the
//! encoder's fast path for any Struct), and response values checked against the declared
//! response type as they are written, so a handler returning the wrong shape is a 500 that
//! names the field instead of a silently wrong body.

// Same contract as py.rs: callers are attached and pass live objects of that interpreter.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

use super::{type_name, EncodeError, Encoder};
use crate::codec::plan::{Default, Field, Lit, Node, Plan, Record, RecordKind, SeqKind};
use crate::py::{self, Obj};
use pyo3::ffi;

/// Reads a Struct slot: a borrowed pointer, NULL when the attribute was never set.
fn slot(o: *mut ffi::PyObject, off: isize) -> *mut ffi::PyObject {
    // SAFETY: `off` was read from the class's member descriptor at plan time and `o` is an
    // instance of that class (callers check), so the slot lies inside the object.
    unsafe { *((o as *mut u8).offset(off) as *mut *mut ffi::PyObject) }
}

/// Whether `omit_defaults` leaves this value out: equal to a plain default, or an empty
/// container where the default is a factory (`[]`, `{}`, `set()`).
fn is_default(v: *mut ffi::PyObject, d: &Default) -> bool {
    // SAFETY: attached; `v` live.
    unsafe {
        match d {
            Default::Value(d) => {
                let r = ffi::PyObject_RichCompareBool(v, d.as_ptr(), ffi::Py_EQ);
                if r < 0 {
                    ffi::PyErr_Clear();
                }
                r == 1
            }
            Default::Factory(_) => {
                (ffi::PyList_CheckExact(v) != 0
                    || ffi::PyDict_CheckExact(v) != 0
                    || ffi::PyAnySet_CheckExact(v) != 0)
                    && ffi::PyObject_Size(v) == 0
            }
            _ => false,
        }
    }
}

/// Writes `,"key":` before a field's value; false (nothing written) when `omit_defaults`
/// leaves the value out.
fn begin_field(
    rec: &Record,
    f: &Field,
    v: *mut ffi::PyObject,
    first: &mut bool,
    out: &mut Vec<u8>,
) -> bool {
    if (rec.omit_defaults || f.omit_unset) && is_default(v, &f.default) {
        return false;
    }
    if !*first {
        out.push(b',');
    }
    *first = false;
    out.extend_from_slice(&f.key_json);
    true
}

/// Writes a tagged record's `"tag":value` first; false when the record has no tag.
fn write_tag(rec: &Record, enc: &Encoder, out: &mut Vec<u8>) -> bool {
    if let Some((_, value)) = &rec.tag {
        out.extend_from_slice(&rec.tag_key_json);
        write_lit(enc, value, out);
        return true;
    }
    false
}

/// A Struct instance (of `rec.cls` or a subclass with no extra fields) as a JSON object, values
/// encoded as they are (no type checks): the encoder's path for Structs it meets anywhere.
pub fn struct_untyped(
    enc: &Encoder,
    rec: &Record,
    o: *mut ffi::PyObject,
    out: &mut Vec<u8>,
    depth: usize,
) -> Result<(), EncodeError> {
    out.push(b'{');
    let mut first = !write_tag(rec, enc, out);
    for f in &rec.fields {
        let Some(off) = f.offset else { continue };
        let v = slot(o, off);
        if v.is_null() {
            return Err(EncodeError::NotSet {
                record: rec.name.clone(),
                field: f.json.clone(),
            });
        }
        if !begin_field(rec, f, v, &mut first, out) {
            continue;
        }
        if !write_known(enc, &f.node, v, out) {
            enc.value(v, out, depth + 1)?;
        }
    }
    out.push(b'}');
    Ok(())
}

fn write_lit(enc: &Encoder, lit: &Lit, out: &mut Vec<u8>) {
    match lit {
        Lit::Str(s) => enc.write_str(s, out),
        Lit::Int(i) => out.extend_from_slice(itoa::Buffer::new().format(*i).as_bytes()),
        Lit::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Lit::Null => out.extend_from_slice(b"null"),
    }
}

/// Writes a field value its declared type already describes (a member of the declared Enum,
/// say) without the encoder's type dispatch; false when it must go the general way.
fn write_known(enc: &Encoder, n: &Node, v: *mut ffi::PyObject, out: &mut Vec<u8>) -> bool {
    match n {
        Node::Choice {
            values,
            is_enum: true,
            ..
        } => match values.iter().find(|(_, m)| m.as_ptr() == v) {
            Some((lit, _)) => {
                write_lit(enc, lit, out);
                true
            }
            None => false,
        },
        _ => false,
    }
}

/// A step of the path to a value, joined into text only when reporting a mismatch (the
/// success path allocates nothing for it).
#[derive(Clone, Copy)]
enum Seg<'s> {
    Key(&'s str),
    Index(usize),
}

fn joined(loc: &[Seg]) -> String {
    let parts: Vec<String> = loc
        .iter()
        .map(|s| match s {
            Seg::Key(k) => (*k).to_owned(),
            Seg::Index(i) => i.to_string(),
        })
        .collect();
    parts.join(".")
}

/// Encodes values checked against a declared response type.
pub struct Typed<'e> {
    pub enc: &'e Encoder<'e>,
    pub plan: &'e Plan,
}

fn is_instance(o: *mut ffi::PyObject, cls: &Obj) -> bool {
    // SAFETY: attached; `cls` is a type.
    unsafe {
        let r = ffi::PyObject_IsInstance(o, cls.as_ptr());
        if r < 0 {
            ffi::PyErr_Clear();
        }
        r == 1
    }
}

impl<'e> Typed<'e> {
    /// Appends the JSON for `o` as the plan's type; the error names where it does not fit
    /// (`response.items.1.price: expected float, got str`).
    pub fn encode(&self, o: *mut ffi::PyObject, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let mut loc = vec![Seg::Key("response")];
        self.node(&self.plan.root, o, out, &mut loc)
            .inspect_err(|_| {
                // SAFETY: attached; nothing useful to keep from a Python error raised on the way.
                unsafe { ffi::PyErr_Clear() };
            })
    }

    fn mismatch(&self, loc: &[Seg], what: &str, o: *mut ffi::PyObject) -> EncodeError {
        EncodeError::Mismatch {
            loc: joined(loc),
            expected: what.to_owned(),
            got: type_name(o),
        }
    }

    fn node<'s>(
        &'s self,
        n: &Node,
        o: *mut ffi::PyObject,
        out: &mut Vec<u8>,
        loc: &mut Vec<Seg<'s>>,
    ) -> Result<(), EncodeError> {
        if loc.len() > crate::codec::decode::MAX_DEPTH {
            return Err(EncodeError::NestedTooDeep(joined(loc)));
        }
        let t = self.enc.types();
        // SAFETY: attached; `o` live for the whole call (owned by the caller's container).
        unsafe {
            let none = ffi::Py_None();
            let check = |ok: bool, what: &str| -> Result<(), EncodeError> {
                if ok {
                    Ok(())
                } else {
                    Err(self.mismatch(loc, what, o))
                }
            };
            match n {
                Node::Any => return self.enc.value(o, out, loc.len()),
                Node::None => check(o == none, "None")?,
                Node::Bool => check(ffi::PyBool_Check(o) != 0, "bool")?,
                Node::Int(_) => check(
                    ffi::PyLong_Check(o) != 0 && ffi::PyBool_Check(o) == 0,
                    "int",
                )?,
                Node::Float(_) => check(
                    ffi::PyFloat_Check(o) != 0
                        || (ffi::PyLong_Check(o) != 0 && ffi::PyBool_Check(o) == 0),
                    "float",
                )?,
                Node::Str(_) => check(ffi::PyUnicode_Check(o) != 0, "str")?,
                Node::Bytes(_) => check(
                    ffi::PyBytes_Check(o) != 0 || ffi::PyByteArray_Check(o) != 0,
                    "bytes",
                )?,
                Node::Decimal(_) => check(is_instance(o, &t.decimal), "Decimal")?,
                Node::DateTime => check(is_instance(o, &t.datetime), "datetime")?,
                Node::Date => check(is_instance(o, &t.date), "date")?,
                Node::Time => check(is_instance(o, &t.time), "time")?,
                Node::Uuid => check(is_instance(o, &t.uuid), "UUID")?,
                Node::TimeDelta => check(is_instance(o, &self.plan.ctors.timedelta), "timedelta")?,
                Node::Optional(inner) => {
                    if o == none {
                        out.extend_from_slice(b"null");
                        return Ok(());
                    }
                    return self.node(inner, o, out, loc);
                }
                Node::Seq { kind, item, .. } => return self.seq(*kind, item, o, out, loc),
                Node::FixTuple(items) => {
                    let Some(vals) = py::seq_items(o).filter(|v| v.len() == items.len()) else {
                        return Err(self.mismatch(
                            loc,
                            &format!("a {}-item sequence", items.len()),
                            o,
                        ));
                    };
                    out.push(b'[');
                    for (i, (n, v)) in items.iter().zip(vals).enumerate() {
                        if i > 0 {
                            out.push(b',');
                        }
                        loc.push(Seg::Index(i));
                        self.node(n, v, out, loc)?;
                        loc.pop();
                    }
                    out.push(b']');
                    return Ok(());
                }
                Node::Dict { value, .. } => {
                    check(ffi::PyDict_Check(o) != 0, "dict")?;
                    out.push(b'{');
                    let mut pos: ffi::Py_ssize_t = 0;
                    let mut k = std::ptr::null_mut();
                    let mut v = std::ptr::null_mut();
                    let mut first = true;
                    while ffi::PyDict_Next(o, &mut pos, &mut k, &mut v) != 0 {
                        if !first {
                            out.push(b',');
                        }
                        first = false;
                        self.enc.key(k, out)?;
                        out.push(b':');
                        loc.push(Seg::Key(py::str_of(k).unwrap_or("?")));
                        self.node(value, v, out, loc)?;
                        loc.pop();
                    }
                    out.push(b'}');
                    return Ok(());
                }
                Node::Union(members) => {
                    for m in members {
                        let mark = out.len();
                        if self.node(m, o, out, loc).is_ok() {
                            return Ok(());
                        }
                        out.truncate(mark);
                    }
                    return Err(self.mismatch(loc, "a member of the declared union", o));
                }
                Node::Tagged { tags, .. } => {
                    for (_, idx) in tags {
                        let rec = &self.plan.records[*idx];
                        if is_instance(o, &rec.cls) {
                            return self.record(rec, o, out, loc);
                        }
                    }
                    return Err(self.mismatch(loc, "one of the tagged Structs", o));
                }
                Node::Choice {
                    values,
                    is_enum,
                    cls,
                    expected,
                } => {
                    let ok = if *is_enum {
                        cls.as_ref().is_some_and(|c| is_instance(o, c))
                    } else {
                        values.iter().any(|(_, v)| {
                            let r = ffi::PyObject_RichCompareBool(o, v.as_ptr(), ffi::Py_EQ);
                            if r < 0 {
                                ffi::PyErr_Clear();
                            }
                            r == 1
                        })
                    };
                    check(ok, expected)?;
                }
                Node::Record(i) => return self.record(&self.plan.records[*i], o, out, loc),
            }
        }
        self.enc.value(o, out, loc.len())
    }

    fn seq<'s>(
        &'s self,
        kind: SeqKind,
        item: &Node,
        o: *mut ffi::PyObject,
        out: &mut Vec<u8>,
        loc: &mut Vec<Seg<'s>>,
    ) -> Result<(), EncodeError> {
        // SAFETY: attached; the iterator and its items are owned references.
        unsafe {
            if ffi::PyUnicode_Check(o) != 0
                || ffi::PyBytes_Check(o) != 0
                || ffi::PyDict_Check(o) != 0
            {
                let what = match kind {
                    SeqKind::List => "list",
                    SeqKind::Set | SeqKind::FrozenSet => "set",
                    SeqKind::Tuple => "tuple",
                };
                return Err(self.mismatch(loc, what, o));
            }
            // Lists, tuples, sets, QuerySets, generators: anything iterable.
            let Some(it) = Obj::from_owned(ffi::PyObject_GetIter(o)) else {
                ffi::PyErr_Clear();
                return Err(self.mismatch(loc, "an iterable", o));
            };
            out.push(b'[');
            let mut i = 0usize;
            loop {
                let Some(v) = Obj::from_owned(ffi::PyIter_Next(it.as_ptr())) else {
                    if !ffi::PyErr_Occurred().is_null() {
                        return Err(EncodeError::Iteration {
                            loc: joined(loc),
                            error: py::take_err().0,
                        });
                    }
                    break;
                };
                if i > 0 {
                    out.push(b',');
                }
                loc.push(Seg::Index(i));
                self.node(item, v.as_ptr(), out, loc)?;
                loc.pop();
                i += 1;
            }
            out.push(b']');
            Ok(())
        }
    }

    /// A record from an instance of its class, a dict, or any object with the attributes
    /// (a Django model instance), as FastAPI's response_model accepts.
    fn record<'s>(
        &'s self,
        rec: &'s Record,
        o: *mut ffi::PyObject,
        out: &mut Vec<u8>,
        loc: &mut Vec<Seg<'s>>,
    ) -> Result<(), EncodeError> {
        // SAFETY: attached; borrowed slot/dict pointers live while `o` does, getattr results
        // are owned.
        unsafe {
            let is_dict = ffi::PyDict_Check(o) != 0;
            let exact = rec.kind == RecordKind::Struct
                && ffi::PyObject_TypeCheck(o, rec.cls.as_ptr() as *mut ffi::PyTypeObject) != 0;
            if !is_dict
                && (o == ffi::Py_None()
                    || ffi::PyLong_Check(o) != 0
                    || ffi::PyUnicode_Check(o) != 0
                    || ffi::PyFloat_Check(o) != 0
                    || ffi::PyList_Check(o) != 0)
            {
                return Err(self.mismatch(loc, &rec.name, o));
            }
            out.push(b'{');
            let mut first = !write_tag(rec, self.enc, out);
            for f in &rec.fields {
                let owned: Option<Obj>;
                let v = if exact {
                    slot(o, f.offset.unwrap_or(0))
                } else if is_dict {
                    let v = ffi::PyDict_GetItemWithError(o, f.attr.as_ptr());
                    if v.is_null() {
                        ffi::PyErr_Clear();
                    }
                    v
                } else {
                    owned = Obj::from_owned(ffi::PyObject_GetAttr(o, f.attr.as_ptr()));
                    if owned.is_none() {
                        ffi::PyErr_Clear();
                    }
                    owned.as_ref().map_or(std::ptr::null_mut(), |x| x.as_ptr())
                };
                let fallback: Option<Obj>;
                let v = if v.is_null() {
                    fallback = match &f.default {
                        Default::Value(d) => Some(d.clone()),
                        Default::Factory(fac) => py::call_keep(fac, &[]),
                        Default::Omit => continue,
                        Default::Required => None,
                    };
                    match &fallback {
                        Some(d) => d.as_ptr(),
                        None => {
                            ffi::PyErr_Clear();
                            return Err(EncodeError::Missing {
                                loc: joined(loc),
                                field: f.json.clone(),
                            });
                        }
                    }
                } else {
                    v
                };
                if !begin_field(rec, f, v, &mut first, out) {
                    continue;
                }
                loc.push(Seg::Key(&f.json));
                self.node(&f.node, v, out, loc)?;
                loc.pop();
            }
            out.push(b'}');
            Ok(())
        }
    }
}
