//! Encoding: Python objects to JSON bytes, with sonic-rs's formatter writing strings (SIMD
//! escaping), integers and floats.
//!
//! msgspec and orjson cannot load in own-GIL sub-interpreters, so this is the project's JSON.
//! `Encoder` walks any handler result (builtins first, then library types, then the Python
//! fallback); `typed` writes a value along a declared response type and names the field that
//! does not fit; `datetime` writes dates and times as `isoformat()` does. Decoding is
//! `codec::decode`.

// Same contract as py.rs: callers are attached and pass live objects of that interpreter.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

mod datetime;
mod error;
pub mod typed;

pub use error::{EncodeError, EncodeTypesError};

use crate::py::{self, Obj};
use datetime::write_date;
use pyo3::ffi;
use sonic_rs::format::{CompactFormatter, Formatter};

/// Objects nested deeper than this are refused instead of overflowing the stack.
const MAX_DEPTH: usize = 256;

/// The types the encoder recognises without calling Python, resolved once per interpreter.
pub struct EncodeTypes {
    pub datetime: Obj,
    pub date: Obj,
    pub time: Obj,
    pub uuid: Obj,
    pub decimal: Obj,
    pub enum_: Obj,
    /// Python fallback `default(obj) -> JSON-able` for dataclasses, sets, QuerySets, etc.
    pub default: Obj,
    /// `StructMeta`: instances of its classes are written from their slots.
    pub struct_meta: Obj,
    /// `schema.plan_for(cls)`: the compiled plan of a Struct class.
    pub plan_for: Obj,
    /// `datetime.timezone.utc`, written as "+00:00" without asking it.
    pub utc: Obj,
    /// Attribute names looked up per value, made once.
    pub value_attr: Obj,
    pub utcoffset_attr: Obj,
}

impl EncodeTypes {
    /// From the 9-tuple `_worker.encode_types()` builds (order as the fields above).
    pub fn from_tuple(t: *mut ffi::PyObject) -> Result<EncodeTypes, EncodeTypesError> {
        let items = py::seq_items(t)
            .filter(|v| v.len() == 9)
            .ok_or(EncodeTypesError::NotATuple)?;
        let o = |i: usize| Obj::from_borrowed(items[i]);
        // SAFETY: attached; `datetime` is imported already (items[0] is its class).
        let utc = unsafe {
            Obj::from_owned(ffi::PyImport_ImportModule(c"datetime".as_ptr()))
                .and_then(|m| m.getattr(c"timezone").ok())
                .and_then(|tz| tz.getattr(c"utc").ok())
                .ok_or(EncodeTypesError::NoUtc)?
        };
        Ok(EncodeTypes {
            utc,
            value_attr: py::new_str("_value_"),
            utcoffset_attr: py::new_str("utcoffset"),
            datetime: o(0),
            date: o(1),
            time: o(2),
            uuid: o(3),
            decimal: o(4),
            enum_: o(5),
            default: o(6),
            struct_meta: o(7),
            plan_for: o(8),
        })
    }
}

pub struct Encoder<'a> {
    types: &'a EncodeTypes,
    /// Struct class -> its plan capsule, looked up once per class per encode call.
    /// The capsules are kept here, so the plan pointers stay valid for the encoder's life.
    plans: std::cell::RefCell<Vec<(*mut ffi::PyTypeObject, Obj, *const crate::codec::plan::Plan)>>,
}

fn isinstance(o: *mut ffi::PyObject, t: &Obj) -> bool {
    // SAFETY: attached; `t` is a type object.
    unsafe { ffi::PyObject_TypeCheck(o, t.as_ptr() as *mut ffi::PyTypeObject) != 0 }
}

fn str_obj(o: *mut ffi::PyObject) -> Result<Obj, EncodeError> {
    // SAFETY: attached.
    Obj::from_owned(unsafe { ffi::PyObject_Str(o) }).ok_or_else(EncodeError::python)
}

/// The formatter is stateless; writes into a `Vec` cannot fail.
fn fmt() -> CompactFormatter {
    CompactFormatter
}

fn type_name(o: *mut ffi::PyObject) -> String {
    // SAFETY: attached; tp_name is a NUL-terminated C string owned by the type.
    unsafe {
        std::ffi::CStr::from_ptr((*ffi::Py_TYPE(o)).tp_name)
            .to_string_lossy()
            .into_owned()
    }
}

impl<'e> Encoder<'e> {
    pub fn new(types: &'e EncodeTypes) -> Self {
        Encoder {
            types,
            plans: Default::default(),
        }
    }

    pub fn types(&self) -> &EncodeTypes {
        self.types
    }

    pub fn write_str(&self, s: &str, out: &mut Vec<u8>) {
        let _ = fmt().write_string_fast(out, s, true);
    }

    /// A Struct instance, written from its slots along its class's plan.
    fn struct_value(
        &self,
        o: *mut ffi::PyObject,
        out: &mut Vec<u8>,
        depth: usize,
    ) -> Result<(), EncodeError> {
        // SAFETY: attached; `o` live.
        let ty = unsafe { ffi::Py_TYPE(o) };
        let cached = self
            .plans
            .borrow()
            .iter()
            .find(|(t, _, _)| *t == ty)
            .map(|(_, _, p)| *p);
        let plan = match cached {
            Some(p) => p,
            None => {
                let cls = Obj::from_borrowed(ty as *mut ffi::PyObject);
                let Ok(cap) = py::call(&self.types.plan_for, &[&cls]) else {
                    // A field type the plans do not know (a model class, say): let the Python
                    // fallback turn the Struct into a dict of its fields instead.
                    return self.fallback(o, out, depth);
                };
                let p: *const crate::codec::plan::Plan =
                    crate::codec::from_capsule(cap.as_ptr()).ok_or(EncodeError::NoPlan)?;
                self.plans.borrow_mut().push((ty, cap, p));
                p
            }
        };
        // SAFETY: the capsule owning the plan is held in `self.plans` until the encoder drops.
        let plan = unsafe { &*plan };
        let rec = plan.records.first().ok_or(EncodeError::EmptyPlan)?;
        typed::struct_untyped(self, rec, o, out, depth)
    }

    /// Appends the JSON for `obj` to `out`. On error `out` may hold a partial document.
    ///
    /// A direct walk over the object graph: sonic-rs's formatter writes the strings (SIMD
    /// escaping), integers and floats; going through serde's data model cost ~2x more here.
    pub fn encode(&self, obj: *mut ffi::PyObject, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let r = self.value(obj, out, 0);
        if r.is_err() {
            // A Python error raised in a callback is already in the message; leave none set.
            // SAFETY: attached.
            unsafe { ffi::PyErr_Clear() };
        }
        r
    }

    fn str(&self, o: *mut ffi::PyObject, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let s = py::str_of(o).ok_or(EncodeError::LoneSurrogate)?;
        let _ = fmt().write_string_fast(out, s, true);
        Ok(())
    }

    pub fn value(
        &self,
        o: *mut ffi::PyObject,
        out: &mut Vec<u8>,
        depth: usize,
    ) -> Result<(), EncodeError> {
        if depth > MAX_DEPTH {
            return Err(EncodeError::TooDeep);
        }
        let t = self.types;
        // SAFETY: attached for the whole encode; every pointer is a live object owned by its
        // container (borrowed) or by a local `Obj`.
        unsafe {
            let ty = ffi::Py_TYPE(o);
            // Exact builtin types first: they are nearly everything an API returns.
            if ty == &raw mut ffi::PyUnicode_Type {
                return self.str(o, out);
            }
            if ty == &raw mut ffi::PyDict_Type {
                return self.dict(o, out, depth);
            }
            if ty == &raw mut ffi::PyLong_Type {
                return int(o, out);
            }
            if ty == &raw mut ffi::PyBool_Type {
                let _ = fmt().write_bool(out, o == ffi::Py_True());
                return Ok(());
            }
            if o == ffi::Py_None() {
                out.extend_from_slice(b"null");
                return Ok(());
            }
            if ty == &raw mut ffi::PyFloat_Type {
                return float(ffi::PyFloat_AS_DOUBLE(o), out);
            }
            if ty == &raw mut ffi::PyList_Type || ty == &raw mut ffi::PyTuple_Type {
                return self.seq(o, out, depth);
            }
            let meta = ffi::Py_TYPE(ty as *mut ffi::PyObject);
            if meta as *mut ffi::PyObject == t.struct_meta.as_ptr()
                // Metaclasses derived from StructMeta (Serializer's, compat.msgspec's); a plain
                // class's metaclass is `type`, which skips the subtype walk.
                || (meta != &raw mut ffi::PyType_Type
                    && ffi::PyType_IsSubtype(meta, t.struct_meta.as_ptr() as *mut ffi::PyTypeObject)
                        != 0)
            {
                return self.struct_value(o, out, depth);
            }
            // Library types and subclasses.
            if isinstance(o, &t.enum_) {
                // `_value_` is the member's stored value (what the `value` property returns).
                let v = Obj::from_owned(ffi::PyObject_GetAttr(o, t.value_attr.as_ptr()))
                    .ok_or_else(|| EncodeError::EnumValue(py::take_err().0))?;
                return self.value(v.as_ptr(), out, depth + 1);
            }
            if isinstance(o, &t.datetime) {
                return self.datetime(o, out);
            }
            if isinstance(o, &t.date) {
                out.push(b'"');
                write_date(o, out);
                out.push(b'"');
                return Ok(());
            }
            if isinstance(o, &t.time) {
                return self.time(o, out);
            }
            if isinstance(o, &t.uuid) || isinstance(o, &t.decimal) {
                // Decimal as a string keeps every digit (msgspec does the same).
                return self.str(str_obj(o)?.as_ptr(), out);
            }
            if ffi::PyUnicode_Check(o) != 0 {
                return self.str(o, out);
            }
            if ffi::PyLong_Check(o) != 0 {
                return int(o, out);
            }
            if ffi::PyFloat_Check(o) != 0 {
                return float(ffi::PyFloat_AsDouble(o), out);
            }
            if ffi::PyDict_Check(o) != 0 {
                return self.dict(o, out, depth);
            }
            if ffi::PyList_Check(o) != 0 || ffi::PyTuple_Check(o) != 0 {
                return self.seq(o, out, depth);
            }
            self.fallback(o, out, depth)
        }
    }

    /// The Python fallback, which turns dataclasses, sets, QuerySets... into the types above
    /// or raises TypeError.
    fn fallback(
        &self,
        o: *mut ffi::PyObject,
        out: &mut Vec<u8>,
        depth: usize,
    ) -> Result<(), EncodeError> {
        // SAFETY: attached; `o` live.
        unsafe {
            let v = Obj::from_owned(ffi::PyObject_CallOneArg(self.types.default.as_ptr(), o))
                .ok_or_else(|| {
                    EncodeError::Fallback(py::take_err().0.lines().last().unwrap_or("").to_owned())
                })?;
            if ffi::Py_TYPE(v.as_ptr()) == ffi::Py_TYPE(o) {
                return Err(EncodeError::NotSerializable(type_name(o)));
            }
            self.value(v.as_ptr(), out, depth + 1)
        }
    }

    fn seq(
        &self,
        o: *mut ffi::PyObject,
        out: &mut Vec<u8>,
        depth: usize,
    ) -> Result<(), EncodeError> {
        out.push(b'[');
        // SAFETY: attached; `o` is a list or tuple. The length is re-read every step because
        // the Python fallback could shrink a list while it is being written.
        unsafe {
            let list = ffi::PyList_Check(o) != 0;
            let mut i = 0;
            loop {
                let n = if list {
                    ffi::PyList_GET_SIZE(o)
                } else {
                    ffi::PyTuple_GET_SIZE(o)
                };
                if i >= n {
                    break;
                }
                let it = if list {
                    ffi::PyList_GET_ITEM(o, i)
                } else {
                    ffi::PyTuple_GET_ITEM(o, i)
                };
                if i > 0 {
                    out.push(b',');
                }
                // Keep the item alive while it is written, whatever the fallback does.
                let item = Obj::from_borrowed(it);
                self.value(item.as_ptr(), out, depth + 1)?;
                i += 1;
            }
        }
        out.push(b']');
        Ok(())
    }

    fn dict(
        &self,
        o: *mut ffi::PyObject,
        out: &mut Vec<u8>,
        depth: usize,
    ) -> Result<(), EncodeError> {
        out.push(b'{');
        // SAFETY: attached; PyDict_Next yields borrowed pointers valid while the dict lives. Only
        // the Python fallback could run code that mutates the dict, which CPython tolerates.
        unsafe {
            let mut pos: ffi::Py_ssize_t = 0;
            let mut k: *mut ffi::PyObject = std::ptr::null_mut();
            let mut v: *mut ffi::PyObject = std::ptr::null_mut();
            let mut first = true;
            while ffi::PyDict_Next(o, &mut pos, &mut k, &mut v) != 0 {
                if !first {
                    out.push(b',');
                }
                first = false;
                self.key(k, out)?;
                out.push(b':');
                self.value(v, out, depth + 1)?;
            }
        }
        out.push(b'}');
        Ok(())
    }

    /// Object keys: str, and the scalars json.dumps also turns into strings.
    pub fn key(&self, k: *mut ffi::PyObject, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        // SAFETY: attached; `k` live.
        unsafe {
            if ffi::PyUnicode_Check(k) != 0 {
                return self.str(k, out);
            }
            let text = if k == ffi::Py_None() {
                "null".to_owned()
            } else if ffi::Py_TYPE(k) == &raw mut ffi::PyBool_Type {
                (if k == ffi::Py_True() { "true" } else { "false" }).to_owned()
            } else if ffi::PyLong_Check(k) != 0 || ffi::PyFloat_Check(k) != 0 {
                py::repr(k)
            } else if isinstance(k, &self.types.enum_) {
                let v = Obj::from_owned(ffi::PyObject_GetAttrString(k, c"value".as_ptr()))
                    .ok_or_else(EncodeError::python)?;
                return self.key(v.as_ptr(), out);
            } else if isinstance(k, &self.types.uuid) || isinstance(k, &self.types.date) {
                py::str_of(str_obj(k)?.as_ptr()).unwrap_or("").to_owned()
            } else {
                return Err(EncodeError::BadKey(type_name(k)));
            };
            let _ = fmt().write_string_fast(out, &text, true);
            Ok(())
        }
    }
}

fn int(o: *mut ffi::PyObject, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    // SAFETY: attached; `o` is an int.
    unsafe {
        let mut overflow = 0;
        let v = ffi::PyLong_AsLongLongAndOverflow(o, &mut overflow);
        if overflow == 0 {
            if v == -1 && !ffi::PyErr_Occurred().is_null() {
                return Err(EncodeError::python());
            }
            let _ = fmt().write_i64(out, v);
            return Ok(());
        }
        // Python ints are unbounded and so are JSON numbers: write the exact digits.
        let digits = str_obj(o)?;
        out.extend_from_slice(py::str_of(digits.as_ptr()).unwrap_or("0").as_bytes());
        Ok(())
    }
}

fn float(v: f64, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    if !v.is_finite() {
        return Err(EncodeError::NonFinite(v));
    }
    let _ = fmt().write_f64(out, v);
    Ok(())
}
