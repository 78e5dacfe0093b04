//! Constraints from `Meta` and parameter markers (`ge=1`, `max_length=50`, `pattern=...`),
//! checked against decoded values with pydantic's error types and words.

use crate::py::{self, Obj};
use pyo3::ffi;

#[derive(Debug, Default)]
pub struct Constraints {
    pub gt: Option<f64>,
    pub ge: Option<f64>,
    pub lt: Option<f64>,
    pub le: Option<f64>,
    pub multiple_of: Option<f64>,
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    pub pattern: Option<(regex::Regex, String)>,
}

/// pydantic prints whole bounds without a decimal point ("greater than 0").
fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// A constraint that cannot be checked.
#[derive(Debug, thiserror::Error)]
pub enum ConstraintError {
    #[error("invalid pattern {0:?}: {1}")]
    Pattern(String, regex::Error),
    #[error("constraints must be an 8-tuple")]
    Shape,
}

impl Constraints {
    pub fn new(
        bounds: [Option<f64>; 5],
        lengths: [Option<usize>; 2],
        pattern: Option<String>,
    ) -> Result<Self, ConstraintError> {
        let pattern = match pattern {
            Some(p) => Some((
                regex::Regex::new(&p).map_err(|e| ConstraintError::Pattern(p.clone(), e))?,
                p,
            )),
            None => None,
        };
        let [gt, ge, lt, le, multiple_of] = bounds;
        let [min_length, max_length] = lengths;
        Ok(Constraints {
            gt,
            ge,
            lt,
            le,
            multiple_of,
            min_length,
            max_length,
            pattern,
        })
    }

    /// The first violated numeric bound, as (pydantic type, message).
    pub fn check_number(&self, v: f64) -> Option<(&'static str, String)> {
        if let Some(b) = self.gt.filter(|b| v <= *b) {
            return Some((
                "greater_than",
                format!("Input should be greater than {}", num(b)),
            ));
        }
        if let Some(b) = self.ge.filter(|b| v < *b) {
            return Some((
                "greater_than_equal",
                format!("Input should be greater than or equal to {}", num(b)),
            ));
        }
        if let Some(b) = self.lt.filter(|b| v >= *b) {
            return Some(("less_than", format!("Input should be less than {}", num(b))));
        }
        if let Some(b) = self.le.filter(|b| v > *b) {
            return Some((
                "less_than_equal",
                format!("Input should be less than or equal to {}", num(b)),
            ));
        }
        if let Some(m) = self.multiple_of {
            let q = v / m;
            if (q - q.round()).abs() > 1e-9 {
                return Some((
                    "multiple_of",
                    format!("Input should be a multiple of {}", num(m)),
                ));
            }
        }
        None
    }

    pub fn check_str(&self, s: &str) -> Option<(&'static str, String)> {
        // Characters, not bytes; a string of `len` bytes has between len/4 and len of them, so
        // counting is only needed when a bound falls in between.
        let (lo, hi) = (s.len().div_ceil(4), s.len());
        let decided =
            self.min_length.is_none_or(|m| m <= lo) && self.max_length.is_none_or(|m| m >= hi);
        let n = if decided { lo } else { s.chars().count() };
        if let Some(min) = self.min_length.filter(|m| n < *m) {
            return Some((
                "string_too_short",
                format!("String should have at least {}", plural(min, "character")),
            ));
        }
        if let Some(max) = self.max_length.filter(|m| n > *m) {
            return Some((
                "string_too_long",
                format!("String should have at most {}", plural(max, "character")),
            ));
        }
        self.check_pattern(s)
    }

    /// Only the `pattern` (for a string whose length bounds apply to something else).
    pub fn check_pattern(&self, s: &str) -> Option<(&'static str, String)> {
        if let Some((re, src)) = &self.pattern {
            if !re.is_match(s) {
                return Some((
                    "string_pattern_mismatch",
                    format!("String should match pattern '{src}'"),
                ));
            }
        }
        None
    }

    /// `bytes` lengths, in pydantic's words.
    pub fn check_bytes_len(&self, n: usize) -> Option<(&'static str, String)> {
        if let Some(min) = self.min_length.filter(|m| n < *m) {
            return Some((
                "bytes_too_short",
                format!("Data should have at least {}", plural(min, "byte")),
            ));
        }
        if let Some(max) = self.max_length.filter(|m| n > *m) {
            return Some((
                "bytes_too_long",
                format!("Data should have at most {}", plural(max, "byte")),
            ));
        }
        None
    }

    pub fn check_list_len(&self, n: usize) -> Option<(&'static str, String)> {
        self.check_len(n, "List")
    }

    /// Container lengths, named as pydantic names them ("List", "Set", "Dictionary"...).
    pub fn check_len(&self, n: usize, noun: &str) -> Option<(&'static str, String)> {
        if let Some(min) = self.min_length.filter(|m| n < *m) {
            return Some((
                "too_short",
                format!(
                    "{noun} should have at least {} after validation, not {n}",
                    plural(min, "item")
                ),
            ));
        }
        if let Some(max) = self.max_length.filter(|m| n > *m) {
            return Some((
                "too_long",
                format!(
                    "{noun} should have at most {} after validation, not {n}",
                    plural(max, "item")
                ),
            ));
        }
        None
    }
}

/// `(gt, ge, lt, le, multiple_of, min_length, max_length, pattern)` or None, from params.py.
pub fn constraints_from(t: &Obj) -> Result<Option<Constraints>, ConstraintError> {
    let Some(items) = py::seq_items(t.as_ptr()) else {
        return Ok(None);
    };
    if items.len() != 8 {
        return Err(ConstraintError::Shape);
    }
    let f = |o: *mut ffi::PyObject| -> Option<f64> {
        // SAFETY: attached; ints and floats both convert.
        unsafe {
            if o == ffi::Py_None() {
                return None;
            }
            let v = ffi::PyFloat_AsDouble(o);
            if v == -1.0 && !ffi::PyErr_Occurred().is_null() {
                ffi::PyErr_Clear();
                return None;
            }
            Some(v)
        }
    };
    let n = |o: *mut ffi::PyObject| py::as_i64(o).and_then(|v| usize::try_from(v).ok());
    let bounds = [
        f(items[0]),
        f(items[1]),
        f(items[2]),
        f(items[3]),
        f(items[4]),
    ];
    let pattern = py::str_of(items[7]).map(str::to_owned);
    Constraints::new(bounds, [n(items[5]), n(items[6])], pattern).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(
        bounds: [Option<f64>; 5],
        lengths: [Option<usize>; 2],
        pattern: Option<&str>,
    ) -> Constraints {
        Constraints::new(bounds, lengths, pattern.map(str::to_owned)).unwrap()
    }

    #[test]
    fn numeric_bounds_in_pydantic_words() {
        let k = c(
            [Some(0.0), None, None, Some(100.0), None],
            [None, None],
            None,
        );
        assert_eq!(
            k.check_number(0.0),
            Some(("greater_than", "Input should be greater than 0".into()))
        );
        assert_eq!(k.check_number(0.5), None);
        assert_eq!(
            k.check_number(100.5),
            Some((
                "less_than_equal",
                "Input should be less than or equal to 100".into()
            ))
        );
        let ge = c([None, Some(1.5), Some(3.0), None, None], [None, None], None);
        assert_eq!(ge.check_number(1.0).unwrap().0, "greater_than_equal");
        assert_eq!(ge.check_number(3.0).unwrap().0, "less_than");
    }

    #[test]
    fn multiple_of_tolerates_float_noise() {
        let k = c([None, None, None, None, Some(0.1)], [None, None], None);
        assert_eq!(k.check_number(0.3), None);
        assert_eq!(k.check_number(0.35).unwrap().0, "multiple_of");
    }

    #[test]
    fn string_lengths_count_characters_and_patterns_search() {
        let k = c([None; 5], [Some(2), Some(3)], Some("^[a-zé]+$"));
        assert_eq!(
            k.check_str("é"),
            Some((
                "string_too_short",
                "String should have at least 2 characters".into()
            ))
        );
        assert_eq!(k.check_str("éé"), None);
        assert_eq!(k.check_str("abcd").unwrap().0, "string_too_long");
        assert_eq!(
            k.check_str("AB"),
            Some((
                "string_pattern_mismatch",
                "String should match pattern '^[a-zé]+$'".into()
            ))
        );
    }

    #[test]
    fn list_lengths() {
        let k = c([None; 5], [Some(1), Some(2)], None);
        assert_eq!(k.check_list_len(0).unwrap().0, "too_short");
        assert_eq!(
            k.check_list_len(3).unwrap().1,
            "List should have at most 2 items after validation, not 3"
        );
    }

    #[test]
    fn bad_pattern_is_an_error() {
        assert!(Constraints::new([None; 5], [None, None], Some("(".into())).is_err());
    }
}
