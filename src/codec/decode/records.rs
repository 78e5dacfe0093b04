//! Records: Structs (slots written in place on a fresh instance), dataclasses and TypedDicts
//! (built through keyword arguments), from a JSON object: known fields, defaults, unknown and
//! repeated keys, the tag of a tagged Struct, and `__post_init__` failures as 422s.

use super::{Decoder, Seg};
use crate::codec::plan::{Default, Lit, Record, RecordKind};
use crate::py::{self, Obj};
use pyo3::ffi;
use sonic_rs::{JsonContainerTrait, JsonValueTrait, Value, ValueRef};

impl<'a> Decoder<'a> {
    /// The JSON object a record is built from, or the error for anything else.
    pub(super) fn object_for_record(&mut self, v: &'a Value) -> Option<&'a sonic_rs::Object> {
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

    pub(super) fn record(&mut self, rec: &'a Record, v: &'a Value) -> Option<Obj> {
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

    /// A validation exception carrying `__bolt_issues__`, a list of `(loc, msg)` pairs with
    /// `loc` a tuple of keys/indexes relative to this record (the Serializer's field
    /// validators): each becomes its own `value_error` issue at that place, so every failing
    /// field is reported where it sits. False (nothing recorded) when the attribute is absent
    /// or not in that shape.
    fn issues_from(&mut self, exc: &Obj, input: &Value) -> bool {
        let Ok(list) = exc.getattr(c"__bolt_issues__") else {
            // SAFETY: attached; getattr left an AttributeError set.
            unsafe { ffi::PyErr_Clear() };
            return false;
        };
        let Some(items) = py::seq_items(list.as_ptr()) else {
            return false;
        };
        let mut parsed: Vec<(Vec<Seg<'static>>, String)> = Vec::with_capacity(items.len());
        for it in items {
            let Some(pair) = py::seq_items(it).filter(|p| p.len() == 2) else {
                return false;
            };
            let (Some(parts), Some(msg)) = (py::seq_items(pair[0]), py::str_of(pair[1])) else {
                return false;
            };
            let mut loc = Vec::with_capacity(parts.len());
            for part in parts {
                if let Some(k) = py::str_of(part) {
                    loc.push(Seg::Label(k.to_owned()));
                } else if let Some(i) = py::as_i64(part).and_then(|i| usize::try_from(i).ok()) {
                    loc.push(Seg::Index(i));
                } else {
                    return false;
                }
            }
            parsed.push((loc, msg.to_owned()));
        }
        if parsed.is_empty() {
            return false;
        }
        let depth = self.loc.len();
        for (rel, msg) in parsed {
            // The field's own input when the issue names a key of this object.
            let field_input = match rel.as_slice() {
                [Seg::Label(k)] => input.get(k.as_str()).unwrap_or(input),
                _ => input,
            };
            self.loc.extend(rel);
            self.fail(
                "value_error",
                format!("Value error, {msg}"),
                Some(field_input),
            );
            self.loc.truncate(depth);
        }
        true
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
            if self.issues_from(&exc, input) {
                return None;
            }
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
