//! Containers: list/set/frozenset/tuple of one item type, fixed-length tuples, and dicts with
//! their keys (always JSON strings, converted to the declared key type). Each item is decoded
//! at its own `loc` so every failing item is reported, not only the first.

use super::{Decoder, Seg};
use crate::codec::plan::{Lit, Node, SeqKind};
use crate::codec::text::{self, Kind};
use crate::py::{self, Obj};
use crate::validation::Constraints;
use pyo3::ffi;
use sonic_rs::{JsonContainerTrait, Value};

impl<'a> Decoder<'a> {
    pub(super) fn seq(
        &mut self,
        kind: SeqKind,
        item: &'a Node,
        c: Option<&Constraints>,
        v: &'a Value,
    ) -> Option<Obj> {
        let Some(arr) = v.as_array() else {
            let (k, m) = match kind {
                SeqKind::List => ("list_type", "Input should be a valid list"),
                SeqKind::Set => ("set_type", "Input should be a valid set"),
                SeqKind::FrozenSet => ("frozen_set_type", "Input should be a valid frozenset"),
                SeqKind::Tuple => ("tuple_type", "Input should be a valid tuple"),
            };
            self.fail(k, m, Some(v));
            return None;
        };
        if let Some(c) = c {
            let noun = match kind {
                SeqKind::List => "List",
                SeqKind::Set => "Set",
                SeqKind::FrozenSet => "Frozenset",
                SeqKind::Tuple => "Tuple",
            };
            if !self.check(c.check_len(arr.len(), noun), v) {
                return None;
            }
        }
        // SAFETY: attached; a fresh list filled slot by slot (SET_ITEM steals), every slot
        // written before the list is used; on failure the partly filled list is only dropped,
        // which CPython tolerates (NULL slots are skipped by list dealloc).
        let list = Obj::from_owned(unsafe { ffi::PyList_New(arr.len() as isize) })?;
        let mut ok = true;
        for (i, it) in arr.iter().enumerate() {
            self.loc.push(Seg::Index(i));
            let r = self.node(item, it);
            self.loc.pop();
            match r {
                // SAFETY: slot `i` of the fresh list above, written once; SET_ITEM steals `o`.
                Some(o) if ok => unsafe {
                    ffi::PyList_SET_ITEM(list.as_ptr(), i as isize, o.into_ptr())
                },
                Some(_) => {}
                None => {
                    ok = false;
                    if self.fatal.is_some() {
                        return None;
                    }
                }
            }
        }
        if !ok {
            return None;
        }
        // SAFETY: attached; the list is complete.
        unsafe {
            match kind {
                SeqKind::List => Some(list),
                SeqKind::Tuple => Obj::from_owned(ffi::PyList_AsTuple(list.as_ptr())),
                SeqKind::Set | SeqKind::FrozenSet => {
                    let set = if kind == SeqKind::Set {
                        ffi::PySet_New(list.as_ptr())
                    } else {
                        ffi::PyFrozenSet_New(list.as_ptr())
                    };
                    match Obj::from_owned(set) {
                        Some(s) => Some(s),
                        None => {
                            ffi::PyErr_Clear();
                            self.fail(
                                "set_item_not_hashable",
                                "Set items should be hashable",
                                Some(v),
                            );
                            None
                        }
                    }
                }
            }
        }
    }

    pub(super) fn fixtuple(&mut self, items: &'a [Node], v: &'a Value) -> Option<Obj> {
        let Some(arr) = v.as_array() else {
            self.fail("tuple_type", "Input should be a valid tuple", Some(v));
            return None;
        };
        if arr.len() != items.len() {
            let (k, m) = if arr.len() < items.len() {
                (
                    "too_short",
                    format!(
                        "Tuple should have at least {} items after validation, not {}",
                        items.len(),
                        arr.len()
                    ),
                )
            } else {
                (
                    "too_long",
                    format!(
                        "Tuple should have at most {} items after validation, not {}",
                        items.len(),
                        arr.len()
                    ),
                )
            };
            self.fail(k, m, Some(v));
            return None;
        }
        let mut out = Vec::with_capacity(items.len());
        for (i, (n, it)) in items.iter().zip(arr.iter()).enumerate() {
            self.loc.push(Seg::Index(i));
            let r = self.node(n, it);
            self.loc.pop();
            out.push(r);
        }
        let objs: Option<Vec<Obj>> = out.into_iter().collect();
        Some(py::tuple(objs?))
    }

    pub(super) fn dict(
        &mut self,
        key: &'a Node,
        value: &'a Node,
        c: Option<&Constraints>,
        v: &'a Value,
    ) -> Option<Obj> {
        let Some(obj) = v.as_object() else {
            self.fail("dict_type", "Input should be a valid dictionary", Some(v));
            return None;
        };
        if let Some(c) = c {
            if !self.check(c.check_len(obj.len(), "Dictionary"), v) {
                return None;
            }
        }
        // SAFETY: attached.
        let dict = Obj::from_owned(unsafe { ffi::PyDict_New() })?;
        let mut ok = true;
        for (k, it) in obj.iter() {
            self.loc.push(Seg::Key(k));
            let kobj = self.key(key, k);
            let vobj = self.node(value, it);
            self.loc.pop();
            match (kobj, vobj) {
                (Some(ko), Some(vo)) if ok => {
                    // SAFETY: attached; SetItem does not steal. Unhashable keys cannot occur:
                    // key nodes are limited to str/int/Enum/Literal/UUID at plan time.
                    unsafe { ffi::PyDict_SetItem(dict.as_ptr(), ko.as_ptr(), vo.as_ptr()) };
                }
                (Some(_), Some(_)) => {}
                _ => {
                    ok = false;
                    if self.fatal.is_some() {
                        return None;
                    }
                }
            }
        }
        ok.then_some(dict)
    }

    /// An object key (always a JSON string) as the declared key type.
    fn key(&mut self, n: &Node, k: &str) -> Option<Obj> {
        let input = || Some(Value::from(k));
        let (kind, msg) = match n {
            Node::Str(c) => {
                if let Some((kind, msg)) = c.as_ref().and_then(|c| c.check_str(k)) {
                    self.fail(kind, msg, input().as_ref());
                    return None;
                }
                return Some(py::new_str(k));
            }
            Node::Int(_) => match text::coerce(Kind::Int, k, &self.plan.ctors.parsers) {
                Ok(o) => return Some(o),
                Err(e) => e,
            },
            Node::Uuid => match text::coerce(Kind::Uuid, k, &self.plan.ctors.parsers) {
                Ok(o) => return Some(o),
                Err(e) => e,
            },
            Node::Choice { values, .. } => {
                let found = values.iter().find(|(l, _)| match l {
                    Lit::Str(s) => s == k,
                    Lit::Int(i) => k.parse::<i64>().ok() == Some(*i),
                    _ => false,
                });
                if let Some((_, o)) = found {
                    return Some(o.clone());
                }
                ("literal_error", "Input should be one of the declared keys")
            }
            _ => return Some(py::new_str(k)),
        };
        self.fail(kind, msg, input().as_ref());
        None
    }
}
