//! JSON between Python objects and bytes, with sonic-rs doing the parsing and the writing.
//!
//! msgspec and orjson cannot load in own-GIL sub-interpreters, so this is the project's JSON.
//! Encoding walks the Python object graph through `serde::Serialize`; decoding builds Python
//! objects straight from sonic-rs's deserializer through a `DeserializeSeed`.

use crate::py::{self, Obj};
use pyo3::ffi;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::ser::{self, Serialize, SerializeMap, SerializeSeq, Serializer};
use std::cell::Cell;
use std::fmt;

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
    /// Python fallback `default(obj) -> JSON-able` for dataclasses, Structs, sets, etc.
    pub default: Obj,
}

pub struct Encoder<'a> {
    types: &'a EncodeTypes,
    depth: Cell<usize>,
}

struct Value<'a, 'e> {
    obj: *mut ffi::PyObject,
    enc: &'a Encoder<'e>,
}

fn isinstance(o: *mut ffi::PyObject, t: &Obj) -> bool {
    // SAFETY: attached; `t` is a type object.
    unsafe { ffi::PyObject_TypeCheck(o, t.as_ptr() as *mut ffi::PyTypeObject) != 0 }
}

fn call_method0(o: *mut ffi::PyObject, name: &std::ffi::CStr) -> Option<Obj> {
    // SAFETY: attached; `o` live.
    unsafe {
        let n = Obj::from_owned(ffi::PyUnicode_FromString(name.as_ptr()))?;
        Obj::from_owned(ffi::PyObject_CallMethodNoArgs(o, n.as_ptr()))
    }
}

fn err<E: ser::Error>(msg: String) -> E {
    E::custom(msg)
}

impl<'e> Encoder<'e> {
    pub fn new(types: &'e EncodeTypes) -> Self {
        Encoder {
            types,
            depth: Cell::new(0),
        }
    }

    /// Appends the JSON for `obj` to `out`. On error `out` may hold a partial document.
    pub fn encode(&self, obj: *mut ffi::PyObject, out: &mut Vec<u8>) -> Result<(), String> {
        self.depth.set(0);
        sonic_rs::to_writer(&mut *out, &Value { obj, enc: self }).map_err(|e| {
            // A Python error raised inside a callback is reported through the message; make
            // sure none stays set.
            // SAFETY: attached.
            unsafe { ffi::PyErr_Clear() };
            e.to_string()
        })
    }
}

impl Serialize for Value<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let o = self.obj;
        let enc = self.enc;
        let t = &enc.types;
        // SAFETY: attached for the whole encode; every pointer below is a live object owned by
        // its container (borrowed) or by a local `Obj`.
        unsafe {
            let ty = ffi::Py_TYPE(o);
            if ty == &raw mut ffi::PyUnicode_Type {
                return s.serialize_str(py::str_of(o).ok_or_else(|| err("invalid str".into()))?);
            }
            if ty == &raw mut ffi::PyBool_Type {
                return s.serialize_bool(o == ffi::Py_True());
            }
            if ty == &raw mut ffi::PyLong_Type {
                return serialize_int(o, s);
            }
            if o == ffi::Py_None() {
                return s.serialize_unit();
            }
            if ty == &raw mut ffi::PyFloat_Type {
                return serialize_float(ffi::PyFloat_AS_DOUBLE(o), s);
            }
            if ty == &raw mut ffi::PyDict_Type {
                return self.serialize_dict(s);
            }
            if ty == &raw mut ffi::PyList_Type || ty == &raw mut ffi::PyTuple_Type {
                return self.serialize_seq(s);
            }
            // Subclasses and library types, most common first.
            if isinstance(o, &t.enum_) {
                let v = Obj::from_owned(ffi::PyObject_GetAttrString(o, c"value".as_ptr()))
                    .ok_or_else(|| err(format!("Enum value: {}", py::take_err())))?;
                return self.nested(v.as_ptr(), s);
            }
            if isinstance(o, &t.datetime) || isinstance(o, &t.date) || isinstance(o, &t.time) {
                let iso = call_method0(o, c"isoformat").ok_or_else(|| err(py::take_err().0))?;
                return s.serialize_str(py::str_of(iso.as_ptr()).unwrap_or(""));
            }
            if isinstance(o, &t.uuid) || isinstance(o, &t.decimal) {
                let st =
                    Obj::from_owned(ffi::PyObject_Str(o)).ok_or_else(|| err(py::take_err().0))?;
                return s.serialize_str(py::str_of(st.as_ptr()).unwrap_or(""));
            }
            if ffi::PyUnicode_Check(o) != 0 {
                return s.serialize_str(py::str_of(o).ok_or_else(|| err("invalid str".into()))?);
            }
            if ffi::PyLong_Check(o) != 0 {
                return serialize_int(o, s);
            }
            if ffi::PyFloat_Check(o) != 0 {
                return serialize_float(ffi::PyFloat_AsDouble(o), s);
            }
            if ffi::PyDict_Check(o) != 0 {
                return self.serialize_dict(s);
            }
            if ffi::PyList_Check(o) != 0 || ffi::PyTuple_Check(o) != 0 {
                return self.serialize_seq(s);
            }
            // Everything else goes through the Python fallback, which turns dataclasses,
            // Structs, sets, QuerySets... into the types above or raises TypeError.
            let v = Obj::from_owned(ffi::PyObject_CallOneArg(t.default.as_ptr(), o))
                .ok_or_else(|| err(py::take_err().0.lines().last().unwrap_or("").to_owned()))?;
            if ffi::Py_TYPE(v.as_ptr()) == ty {
                return Err(err(format!(
                    "Object of type {} is not JSON serializable",
                    py::str_of((*ty).tp_name as _).unwrap_or("?")
                )));
            }
            self.nested(v.as_ptr(), s)
        }
    }
}

unsafe fn serialize_int<S: Serializer>(o: *mut ffi::PyObject, s: S) -> Result<S::Ok, S::Error> {
    let mut overflow = 0;
    let v = ffi::PyLong_AsLongLongAndOverflow(o, &mut overflow);
    if overflow == 0 {
        if v == -1 && !ffi::PyErr_Occurred().is_null() {
            return Err(err(py::take_err().0));
        }
        return s.serialize_i64(v);
    }
    // Python ints are unbounded; JSON numbers are too. Emit the exact digits.
    let digits = Obj::from_owned(ffi::PyObject_Str(o)).ok_or_else(|| err(py::take_err().0))?;
    let raw: sonic_rs::RawNumber = sonic_rs::from_str(py::str_of(digits.as_ptr()).unwrap_or("0"))
        .map_err(|e| err(e.to_string()))?;
    raw.serialize(s)
}

fn serialize_float<S: Serializer>(v: f64, s: S) -> Result<S::Ok, S::Error> {
    if !v.is_finite() {
        return Err(err(format!(
            "Out of range float values are not JSON compliant: {v}"
        )));
    }
    s.serialize_f64(v)
}

impl Value<'_, '_> {
    fn nested<S: Serializer>(&self, child: *mut ffi::PyObject, s: S) -> Result<S::Ok, S::Error> {
        let d = self.enc.depth.get();
        if d >= MAX_DEPTH {
            return Err(err(format!(
                "object nested deeper than {MAX_DEPTH} levels (a cycle?)"
            )));
        }
        self.enc.depth.set(d + 1);
        let r = Value {
            obj: child,
            enc: self.enc,
        }
        .serialize(s);
        self.enc.depth.set(d);
        r
    }

    fn serialize_seq<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let items = py::seq_items(self.obj).unwrap_or_default();
        let mut seq = s.serialize_seq(Some(items.len()))?;
        for it in items {
            seq.serialize_element(&Nested {
                obj: it,
                parent: self,
            })?;
        }
        seq.end()
    }

    fn serialize_dict<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // SAFETY: attached; PyDict_Next yields borrowed pointers valid while the dict lives
        // and is not mutated (we run no Python code that could mutate it... except the
        // fallback; a dict mutated during encoding is the user's race, CPython stays safe).
        unsafe {
            let n = ffi::PyDict_Size(self.obj);
            let mut map = s.serialize_map(Some(n as usize))?;
            let mut pos: ffi::Py_ssize_t = 0;
            let mut k: *mut ffi::PyObject = std::ptr::null_mut();
            let mut v: *mut ffi::PyObject = std::ptr::null_mut();
            while ffi::PyDict_Next(self.obj, &mut pos, &mut k, &mut v) != 0 {
                if ffi::PyUnicode_Check(k) != 0 {
                    map.serialize_key(py::str_of(k).ok_or_else(|| err("invalid str key".into()))?)?;
                } else if ffi::PyLong_Check(k) != 0
                    || ffi::PyFloat_Check(k) != 0
                    || k == ffi::Py_None()
                {
                    // json.dumps turns these keys into strings; so do we.
                    let ks = if k == ffi::Py_None() {
                        "null".to_owned()
                    } else if ffi::Py_TYPE(k) == &raw mut ffi::PyBool_Type {
                        (if k == ffi::Py_True() { "true" } else { "false" }).to_owned()
                    } else {
                        py::repr(k)
                    };
                    map.serialize_key(&ks)?;
                } else if isinstance(k, &self.enc.types.enum_)
                    || isinstance(k, &self.enc.types.uuid)
                    || isinstance(k, &self.enc.types.date)
                {
                    let st = Obj::from_owned(ffi::PyObject_Str(k))
                        .ok_or_else(|| err(py::take_err().0))?;
                    map.serialize_key(py::str_of(st.as_ptr()).unwrap_or(""))?;
                } else {
                    return Err(err(format!(
                        "dict keys must be str, int, float, bool or None, not {}",
                        py::repr(k)
                    )));
                }
                map.serialize_value(&Nested {
                    obj: v,
                    parent: self,
                })?;
            }
            map.end()
        }
    }
}

struct Nested<'a, 'b, 'e> {
    obj: *mut ffi::PyObject,
    parent: &'a Value<'b, 'e>,
}

impl Serialize for Nested<'_, '_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.parent.nested(self.obj, s)
    }
}

// ---------------------------------------------------------------------------------- decode

/// Parses JSON bytes into Python objects (dict, list, str, int, float, bool, None).
pub fn decode(bytes: &[u8]) -> Result<Obj, DecodeError> {
    let mut de = sonic_rs::Deserializer::from_slice(bytes);
    let v = PySeed { depth: 0 }
        .deserialize(&mut de)
        .map_err(|e| DecodeError::from_sonic(&e))?;
    de.end().map_err(|e| DecodeError::from_sonic(&e))?;
    Ok(v)
}

/// A malformed document, with where it broke (for FastAPI's `json_invalid` error).
#[derive(Debug)]
pub struct DecodeError {
    pub message: String,
    pub position: usize,
}

impl DecodeError {
    fn from_sonic(e: &sonic_rs::Error) -> Self {
        let text = e.to_string();
        DecodeError {
            position: e.column().saturating_sub(1),
            message: text.lines().next().unwrap_or("").to_owned(),
        }
    }
}

struct PySeed {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for PySeed {
    type Value = Obj;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Obj, D::Error> {
        if self.depth > MAX_DEPTH {
            return Err(de::Error::custom("JSON nested too deeply"));
        }
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PySeed {
    type Value = Obj;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Obj, E> {
        Ok(py::new_bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Obj, E> {
        Ok(py::new_int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Obj, E> {
        // SAFETY: attached.
        unsafe {
            Obj::from_owned(ffi::PyLong_FromUnsignedLongLong(v)).ok_or_else(|| E::custom("int"))
        }
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Obj, E> {
        // SAFETY: attached.
        unsafe { Obj::from_owned(ffi::PyFloat_FromDouble(v)).ok_or_else(|| E::custom("float")) }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Obj, E> {
        Ok(py::new_str(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Obj, E> {
        Ok(py::none())
    }
    fn visit_none<E: de::Error>(self) -> Result<Obj, E> {
        Ok(py::none())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Obj, A::Error> {
        // SAFETY: attached; PyList_Append does not steal.
        unsafe {
            let list =
                Obj::from_owned(ffi::PyList_New(0)).ok_or_else(|| de::Error::custom("list"))?;
            while let Some(item) = seq.next_element_seed(PySeed {
                depth: self.depth + 1,
            })? {
                ffi::PyList_Append(list.as_ptr(), item.as_ptr());
            }
            Ok(list)
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Obj, A::Error> {
        // SAFETY: attached; PyDict_SetItem does not steal.
        unsafe {
            let dict =
                Obj::from_owned(ffi::PyDict_New()).ok_or_else(|| de::Error::custom("dict"))?;
            while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                let v = map.next_value_seed(PySeed {
                    depth: self.depth + 1,
                })?;
                let key = py::new_str(&k);
                ffi::PyDict_SetItem(dict.as_ptr(), key.as_ptr(), v.as_ptr());
            }
            Ok(dict)
        }
    }
}
