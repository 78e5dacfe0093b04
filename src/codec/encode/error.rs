//! What can go wrong encoding: `EncodeError` for a value (the encoder's and `typed`'s), and
//! `EncodeTypesError` for the per-interpreter type table. Kept apart from the walk so the
//! messages, which users and tests read, are all in one place.

use super::MAX_DEPTH;
use crate::py;

/// Why a value could not be encoded. The texts reach users (a TypeError from
/// `django_bolt.json.encode`, the server log for a handler's result), tests compare some.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// A Python call made while encoding raised (`str()`, `utcoffset()`, an int's digits...).
    #[error("{0}")]
    Python(String),
    /// The Python fallback (`default(obj)`) raised: the last line of its traceback.
    #[error("{0}")]
    Fallback(String),
    #[error("Object of type {0} is not JSON serializable")]
    NotSerializable(String),
    /// Reading an Enum member's `_value_` raised (the Python error).
    #[error("Enum value: {0}")]
    EnumValue(String),
    #[error("object nested deeper than {} levels (a cycle?)", MAX_DEPTH)]
    TooDeep,
    #[error("str with lone surrogates cannot be encoded")]
    LoneSurrogate,
    #[error("dict keys must be str, int, float, bool or None, not {0}")]
    BadKey(String),
    #[error("Out of range float values are not JSON compliant: {0}")]
    NonFinite(f64),
    /// `schema.plan_for` returned something other than a plan capsule.
    #[error("plan_for returned no plan")]
    NoPlan,
    #[error("empty plan")]
    EmptyPlan,
    // The rest come from `typed`, checking a value against the declared response type; `loc`
    // is the dotted path from `response`.
    #[error("{loc}: expected {expected}, got {got}")]
    Mismatch {
        loc: String,
        expected: String,
        got: String,
    },
    #[error("{record}.{field} is not set")]
    NotSet { record: String, field: String },
    #[error("{loc}.{field}: field required but missing")]
    Missing { loc: String, field: String },
    /// Iterating a value declared as a sequence raised (the Python error).
    #[error("{loc}: {error}")]
    Iteration { loc: String, error: String },
    #[error("{0}: nested too deeply")]
    NestedTooDeep(String),
}

impl EncodeError {
    /// The exception Python just raised, taken (so none is left set).
    pub(super) fn python() -> EncodeError {
        EncodeError::Python(py::take_err().0)
    }
}

/// Why `_worker.encode_types()` could not be used: a boot failure.
#[derive(Debug, thiserror::Error)]
pub enum EncodeTypesError {
    #[error("encode types must be a 9-tuple")]
    NotATuple,
    #[error("datetime.timezone.utc is missing")]
    NoUtc,
}

#[cfg(test)]
mod tests {
    use super::{EncodeError, EncodeTypesError};

    /// The texts users and tests see: byte for byte what the encoder wrote when its errors
    /// were strings.
    #[test]
    fn messages() {
        let s = |x: &str| x.to_owned();
        let cases: Vec<(Box<dyn std::error::Error>, &str)> = vec![
            (
                Box::new(EncodeError::TooDeep),
                "object nested deeper than 256 levels (a cycle?)",
            ),
            (
                Box::new(EncodeError::NonFinite(f64::NEG_INFINITY)),
                "Out of range float values are not JSON compliant: -inf",
            ),
            (
                Box::new(EncodeError::NotSerializable(s("complex"))),
                "Object of type complex is not JSON serializable",
            ),
            (
                Box::new(EncodeError::BadKey(s("tuple"))),
                "dict keys must be str, int, float, bool or None, not tuple",
            ),
            (
                Box::new(EncodeError::EnumValue(s("AttributeError: _value_"))),
                "Enum value: AttributeError: _value_",
            ),
            (
                Box::new(EncodeError::Mismatch {
                    loc: s("response.1.id"),
                    expected: s("int"),
                    got: s("str"),
                }),
                "response.1.id: expected int, got str",
            ),
            (
                Box::new(EncodeError::NotSet {
                    record: s("Item"),
                    field: s("id"),
                }),
                "Item.id is not set",
            ),
            (
                Box::new(EncodeError::Missing {
                    loc: s("response.0"),
                    field: s("id"),
                }),
                "response.0.id: field required but missing",
            ),
            (
                Box::new(EncodeError::Iteration {
                    loc: s("response"),
                    error: s("ValueError: boom"),
                }),
                "response: ValueError: boom",
            ),
            (
                Box::new(EncodeError::NestedTooDeep(s("response.0"))),
                "response.0: nested too deeply",
            ),
            (
                Box::new(EncodeTypesError::NotATuple),
                "encode types must be a 9-tuple",
            ),
        ];
        for (e, want) in cases {
            assert_eq!(e.to_string(), want);
        }
    }
}
