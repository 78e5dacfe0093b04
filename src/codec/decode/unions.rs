//! Unions: plain unions in pydantic's smart mode (a member taking the JSON kind as is wins
//! over one needing a lax conversion), and tagged unions of records chosen by a tag field.
//! Errors of a failed union name each member, labelled as pydantic labels them.

use super::{Decoder, Seg};
use crate::codec::plan::{Lit, Node, Plan, SeqKind};
use crate::py::Obj;
use sonic_rs::{JsonValueTrait, Value, ValueRef};

/// The JSON kind of a value, for picking union members that match exactly.
#[derive(PartialEq, Eq, Clone, Copy)]
enum Shape {
    Null,
    Bool,
    Int,
    Float,
    Str,
    Array,
    Object,
}

fn shape(v: &Value) -> Shape {
    match v.as_ref() {
        ValueRef::Null => Shape::Null,
        ValueRef::Bool(_) => Shape::Bool,
        ValueRef::Number(_) if v.is_f64() => Shape::Float,
        ValueRef::Number(_) => Shape::Int,
        ValueRef::String(_) => Shape::Str,
        ValueRef::Array(_) => Shape::Array,
        ValueRef::Object(_) => Shape::Object,
    }
}

/// Whether a member takes this JSON kind without any lax conversion.
fn exact(n: &Node, s: Shape) -> bool {
    match n {
        Node::Any => true,
        Node::None => s == Shape::Null,
        Node::Bool => s == Shape::Bool,
        Node::Int(_) => s == Shape::Int,
        Node::Float(_) => s == Shape::Float || s == Shape::Int,
        Node::Str(_) | Node::Bytes(_) => s == Shape::Str,
        Node::Seq { .. } | Node::FixTuple(_) => s == Shape::Array,
        Node::Dict { .. } | Node::Record(_) | Node::Tagged { .. } => s == Shape::Object,
        Node::Optional(inner) => s == Shape::Null || exact(inner, s),
        _ => false,
    }
}

/// pydantic's label for a union member in `loc` ("int", "str", "Item").
fn label(n: &Node, plan: &Plan) -> String {
    match n {
        Node::Any => "any".into(),
        Node::None => "none".into(),
        Node::Bool => "bool".into(),
        Node::Int(_) => "int".into(),
        Node::Float(_) => "float".into(),
        Node::Str(_) => "str".into(),
        Node::Bytes(_) => "bytes".into(),
        Node::Decimal(_) => "decimal".into(),
        Node::DateTime => "datetime".into(),
        Node::Date => "date".into(),
        Node::Time => "time".into(),
        Node::TimeDelta => "timedelta".into(),
        Node::Uuid => "uuid".into(),
        Node::Seq { kind, item, .. } => {
            let k = match kind {
                SeqKind::List => "list",
                SeqKind::Set => "set",
                SeqKind::FrozenSet => "frozenset",
                SeqKind::Tuple => "tuple",
            };
            format!("{k}[{}]", label(item, plan))
        }
        Node::FixTuple(_) => "tuple".into(),
        Node::Dict { key, value, .. } => {
            format!("dict[{},{}]", label(key, plan), label(value, plan))
        }
        Node::Optional(inner) => label(inner, plan),
        Node::Union(_) => "union".into(),
        Node::Tagged { .. } => "tagged-union".into(),
        Node::Choice { is_enum: true, .. } => "enum".into(),
        Node::Choice { .. } => "literal".into(),
        Node::Record(i) => plan.records[*i].name.clone(),
    }
}

impl<'a> Decoder<'a> {
    pub(super) fn union(&mut self, members: &'a [Node], v: &'a Value) -> Option<Obj> {
        let s = shape(v);
        // smart mode, as pydantic: a member that takes this JSON kind as is wins over one that
        // would need a lax conversion ("1" stays a str in `int | str`).
        let order = members
            .iter()
            .filter(|m| exact(m, s))
            .chain(members.iter().filter(|m| !exact(m, s)));
        let before = self.issues.len();
        for m in order {
            let mark = self.issues.len();
            if let Some(o) = self.node(m, v) {
                if self.issues.len() == mark {
                    self.issues.truncate(before);
                    return Some(o);
                }
            }
            if self.fatal.is_some() {
                return None;
            }
        }
        // Every member failed: keep each one's errors, labelled as pydantic does.
        self.issues.truncate(before);
        for m in members {
            self.loc.push(Seg::Label(label(m, self.plan)));
            let _ = self.node(m, v);
            self.loc.pop();
            if self.fatal.is_some() {
                return None;
            }
        }
        None
    }

    pub(super) fn tagged(
        &mut self,
        field: &'a str,
        tags: &'a [(Lit, usize)],
        expected: &str,
        v: &'a Value,
    ) -> Option<Obj> {
        let obj = self.object_for_record(v)?;
        let Some(tv) = obj.get(&field) else {
            self.fail(
                "union_tag_not_found",
                format!("Unable to extract tag using discriminator '{field}'"),
                Some(v),
            );
            return None;
        };
        let lit = match tv.as_ref() {
            ValueRef::String(s) => Some(Lit::Str(s.to_owned())),
            ValueRef::Number(_) if !tv.is_f64() => tv.as_i64().map(Lit::Int),
            _ => None,
        };
        let found = lit.and_then(|l| tags.iter().find(|(t, _)| *t == l));
        let Some((_, idx)) = found else {
            let shown = match tv.as_str() {
                Some(s) => format!("'{s}'"),
                None => tv.to_string(),
            };
            self.fail(
                "union_tag_invalid",
                format!("Input tag {shown} found using '{field}' does not match any of the expected tags: {expected}"),
                Some(v),
            );
            return None;
        };
        let rec = &self.plan.records[*idx];
        let tag_text: &'a str = match &rec.tag {
            Some((_, Lit::Str(s))) => s.as_str(),
            _ => rec.name.as_str(),
        };
        self.loc.push(Seg::Key(tag_text));
        let out = self.record(rec, v);
        self.loc.pop();
        out
    }
}
