//! JSON between Python objects and bytes, with sonic-rs doing the parsing and the writing.
//!
//! msgspec and orjson cannot load in own-GIL sub-interpreters, so this is the project's JSON.
//! Encoding walks the Python objects directly and lets sonic-rs's formatter write strings,
//! integers and floats; decoding builds Python objects straight from sonic-rs's deserializer
//! through a `DeserializeSeed`.

// Same contract as py.rs: callers are attached and pass live objects of that interpreter.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

use crate::py::{self, Obj};
use pyo3::ffi;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use sonic_rs::format::{CompactFormatter, Formatter};
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
    /// Python fallback `default(obj) -> JSON-able` for dataclasses, sets, QuerySets, etc.
    pub default: Obj,
    /// `StructMeta`: instances of its classes are written from their slots.
    pub struct_meta: Obj,
    /// `schema.plan_for(cls)`: the compiled plan of a Struct class.
    pub plan_for: Obj,
}

impl EncodeTypes {
    /// From the 9-tuple `_worker.encode_types()` builds (order as the fields above).
    pub fn from_tuple(t: *mut ffi::PyObject) -> Result<EncodeTypes, String> {
        let items = py::seq_items(t)
            .filter(|v| v.len() == 9)
            .ok_or("encode types must be a 9-tuple")?;
        let o = |i: usize| Obj::from_borrowed(items[i]);
        Ok(EncodeTypes {
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
    plans: std::cell::RefCell<Vec<(*mut ffi::PyTypeObject, Obj)>>,
}

fn isinstance(o: *mut ffi::PyObject, t: &Obj) -> bool {
    // SAFETY: attached; `t` is a type object.
    unsafe { ffi::PyObject_TypeCheck(o, t.as_ptr() as *mut ffi::PyTypeObject) != 0 }
}

fn call_method0(o: *mut ffi::PyObject, name: &std::ffi::CStr) -> Result<Obj, String> {
    // SAFETY: attached; `o` live.
    unsafe {
        let n = Obj::from_owned(ffi::PyUnicode_FromString(name.as_ptr()))
            .ok_or_else(|| py::take_err().0)?;
        Obj::from_owned(ffi::PyObject_CallMethodNoArgs(o, n.as_ptr()))
            .ok_or_else(|| py::take_err().0)
    }
}

fn str_obj(o: *mut ffi::PyObject) -> Result<Obj, String> {
    // SAFETY: attached.
    Obj::from_owned(unsafe { ffi::PyObject_Str(o) }).ok_or_else(|| py::take_err().0)
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
    ) -> Result<(), String> {
        // SAFETY: attached; `o` live.
        let ty = unsafe { ffi::Py_TYPE(o) };
        let cached = self
            .plans
            .borrow()
            .iter()
            .find(|(t, _)| *t == ty)
            .map(|(_, c)| c.clone());
        let cap = match cached {
            Some(c) => c,
            None => {
                let cls = Obj::from_borrowed(ty as *mut ffi::PyObject);
                let cap = py::call(&self.types.plan_for, &[&cls]).map_err(|e| e.0)?;
                self.plans.borrow_mut().push((ty, cap.clone()));
                cap
            }
        };
        let plan = crate::schema::from_capsule(cap.as_ptr()).ok_or("plan_for returned no plan")?;
        let rec = plan.records.first().ok_or("empty plan")?;
        crate::schema::encode::struct_untyped(self, rec, o, out, depth)
    }

    /// Appends the JSON for `obj` to `out`. On error `out` may hold a partial document.
    ///
    /// A direct walk over the object graph: sonic-rs's formatter writes the strings (SIMD
    /// escaping), integers and floats; going through serde's data model cost ~2x more here.
    pub fn encode(&self, obj: *mut ffi::PyObject, out: &mut Vec<u8>) -> Result<(), String> {
        let r = self.value(obj, out, 0);
        if r.is_err() {
            // A Python error raised in a callback is already in the message; leave none set.
            // SAFETY: attached.
            unsafe { ffi::PyErr_Clear() };
        }
        r
    }

    fn str(&self, o: *mut ffi::PyObject, out: &mut Vec<u8>) -> Result<(), String> {
        let s =
            py::str_of(o).ok_or_else(|| "str with lone surrogates cannot be encoded".to_owned())?;
        let _ = fmt().write_string_fast(out, s, true);
        Ok(())
    }

    pub fn value(
        &self,
        o: *mut ffi::PyObject,
        out: &mut Vec<u8>,
        depth: usize,
    ) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!(
                "object nested deeper than {MAX_DEPTH} levels (a cycle?)"
            ));
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
            if ffi::Py_TYPE(ty as *mut ffi::PyObject) as *mut ffi::PyObject
                == t.struct_meta.as_ptr()
            {
                return self.struct_value(o, out, depth);
            }
            // Library types and subclasses.
            if isinstance(o, &t.enum_) {
                let v = Obj::from_owned(ffi::PyObject_GetAttrString(o, c"value".as_ptr()))
                    .ok_or_else(|| format!("Enum value: {}", py::take_err()))?;
                return self.value(v.as_ptr(), out, depth + 1);
            }
            if isinstance(o, &t.datetime) || isinstance(o, &t.date) || isinstance(o, &t.time) {
                let iso = call_method0(o, c"isoformat")?;
                return self.str(iso.as_ptr(), out);
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
            // Everything else goes through the Python fallback, which turns dataclasses,
            // Structs, sets, QuerySets... into the types above or raises TypeError.
            let v = Obj::from_owned(ffi::PyObject_CallOneArg(t.default.as_ptr(), o))
                .ok_or_else(|| py::take_err().0.lines().last().unwrap_or("").to_owned())?;
            if ffi::Py_TYPE(v.as_ptr()) == ty {
                return Err(format!(
                    "Object of type {} is not JSON serializable",
                    type_name(o)
                ));
            }
            self.value(v.as_ptr(), out, depth + 1)
        }
    }

    fn seq(&self, o: *mut ffi::PyObject, out: &mut Vec<u8>, depth: usize) -> Result<(), String> {
        out.push(b'[');
        for (i, it) in py::seq_items(o).unwrap_or_default().into_iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            self.value(it, out, depth + 1)?;
        }
        out.push(b']');
        Ok(())
    }

    fn dict(&self, o: *mut ffi::PyObject, out: &mut Vec<u8>, depth: usize) -> Result<(), String> {
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
    pub fn key(&self, k: *mut ffi::PyObject, out: &mut Vec<u8>) -> Result<(), String> {
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
                    .ok_or_else(|| py::take_err().0)?;
                return self.key(v.as_ptr(), out);
            } else if isinstance(k, &self.types.uuid) || isinstance(k, &self.types.date) {
                py::str_of(str_obj(k)?.as_ptr()).unwrap_or("").to_owned()
            } else {
                return Err(format!(
                    "dict keys must be str, int, float, bool or None, not {}",
                    type_name(k)
                ));
            };
            let _ = fmt().write_string_fast(out, &text, true);
            Ok(())
        }
    }
}

fn int(o: *mut ffi::PyObject, out: &mut Vec<u8>) -> Result<(), String> {
    // SAFETY: attached; `o` is an int.
    unsafe {
        let mut overflow = 0;
        let v = ffi::PyLong_AsLongLongAndOverflow(o, &mut overflow);
        if overflow == 0 {
            if v == -1 && !ffi::PyErr_Occurred().is_null() {
                return Err(py::take_err().0);
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

fn float(v: f64, out: &mut Vec<u8>) -> Result<(), String> {
    if !v.is_finite() {
        return Err(format!(
            "Out of range float values are not JSON compliant: {v}"
        ));
    }
    let _ = fmt().write_f64(out, v);
    Ok(())
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
            position: e.offset(),
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
