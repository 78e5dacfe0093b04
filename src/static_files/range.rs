//! The `Range` request header, single byte ranges only (RFC 9110 §14.1.2, §14.2).
//!
//! A multi-range request would need a `multipart/byteranges` body; RFC 9110 §14.2 lets a
//! server ignore Range and send the whole representation instead, which is what we do for
//! anything that is not exactly one well-formed byte range.

/// What to do with a `Range` header against a representation of a known size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RangeOutcome {
    /// Send 200 with the whole representation: the header is malformed, names several
    /// ranges, uses another unit, or there is nothing to take a range of.
    Ignore,
    /// Send 206 with bytes `start..=end` (both inclusive, `end < size`).
    Satisfiable { start: u64, end: u64 },
    /// Send 416 with `content-range: bytes */size` (RFC 9110 §15.5.17).
    Unsatisfiable,
}

/// Evaluates one `Range` field value against a representation of `size` bytes.
pub(crate) fn parse(value: &[u8], size: u64) -> RangeOutcome {
    let Ok(value) = std::str::from_utf8(value) else {
        return RangeOutcome::Ignore;
    };
    // RFC 9110 §14.1: range units are compared case-insensitively.
    let Some((unit, set)) = value.split_once('=') else {
        return RangeOutcome::Ignore;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return RangeOutcome::Ignore;
    }
    // A comma means a list of ranges (possibly with empty elements): not supported, so the
    // whole header is ignored (RFC 9110 §14.2 allows that).
    if set.contains(',') {
        return RangeOutcome::Ignore;
    }
    let Some((first, last)) = set.trim_matches([' ', '\t']).split_once('-') else {
        return RangeOutcome::Ignore;
    };
    // An empty representation has no byte to point at; the full (empty) 200 is the most
    // useful answer and avoids a `bytes 0--1/0` that cannot be written.
    if size == 0 {
        return RangeOutcome::Ignore;
    }
    if first.is_empty() {
        // suffix-range: the last `n` bytes (RFC 9110 §14.1.2).
        let Some(n) = digits(last) else {
            return RangeOutcome::Ignore;
        };
        if n == 0 {
            // "bytes=-0": a suffix-length of zero is unsatisfiable (RFC 9110 §14.1.1).
            return RangeOutcome::Unsatisfiable;
        }
        return RangeOutcome::Satisfiable {
            start: size.saturating_sub(n),
            end: size - 1,
        };
    }
    let Some(start) = digits(first) else {
        return RangeOutcome::Ignore;
    };
    let end = if last.is_empty() {
        size - 1
    } else {
        let Some(end) = digits(last) else {
            return RangeOutcome::Ignore;
        };
        // RFC 9110 §14.1.1: last-pos < first-pos makes the range-spec invalid, and an
        // invalid Range is ignored, not refused.
        if end < start {
            return RangeOutcome::Ignore;
        }
        // A last-pos past the end is clamped to the last byte (RFC 9110 §14.1.2).
        end.min(size - 1)
    };
    if start >= size {
        return RangeOutcome::Unsatisfiable;
    }
    RangeOutcome::Satisfiable { start, end }
}

/// 1*DIGIT as a u64; `None` for anything else, including a sign, spaces or overflow.
fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::RangeOutcome::{Ignore, Satisfiable, Unsatisfiable};
    use super::*;

    #[test]
    fn single_ranges() {
        let cases: &[(&str, u64, RangeOutcome, &str)] = &[
            (
                "bytes=0-0",
                10,
                Satisfiable { start: 0, end: 0 },
                "the first byte",
            ),
            (
                "bytes=2-5",
                10,
                Satisfiable { start: 2, end: 5 },
                "a middle slice",
            ),
            (
                "bytes=2-",
                10,
                Satisfiable { start: 2, end: 9 },
                "open-ended",
            ),
            (
                "bytes=2-100",
                10,
                Satisfiable { start: 2, end: 9 },
                "last-pos clamped",
            ),
            ("bytes=-3", 10, Satisfiable { start: 7, end: 9 }, "suffix"),
            (
                "bytes=-100",
                10,
                Satisfiable { start: 0, end: 9 },
                "suffix longer than the file",
            ),
            (
                "bytes=9-9",
                10,
                Satisfiable { start: 9, end: 9 },
                "the last byte",
            ),
            (
                "BYTES=1-2",
                10,
                Satisfiable { start: 1, end: 2 },
                "unit is case-insensitive",
            ),
            (
                "bytes= 1-2 ",
                10,
                Satisfiable { start: 1, end: 2 },
                "OWS around the spec",
            ),
            ("bytes=10-", 10, Unsatisfiable, "first-pos at the size"),
            ("bytes=10-20", 10, Unsatisfiable, "first-pos past the end"),
            ("bytes=-0", 10, Unsatisfiable, "zero suffix-length"),
            ("bytes=0-1,3-4", 10, Ignore, "several ranges"),
            (
                "bytes=0-1,",
                10,
                Ignore,
                "a list, even with an empty element",
            ),
            (
                "bytes=5-2",
                10,
                Ignore,
                "last-pos before first-pos is invalid",
            ),
            ("bytes=a-b", 10, Ignore, "not digits"),
            ("bytes=+1-2", 10, Ignore, "a sign is not a digit"),
            ("bytes=1 -2", 10, Ignore, "space inside the spec"),
            ("bytes=-", 10, Ignore, "neither position"),
            ("bytes=1", 10, Ignore, "no dash"),
            ("bytes", 10, Ignore, "no set at all"),
            ("items=0-1", 10, Ignore, "another unit"),
            (
                "bytes=99999999999999999999-",
                10,
                Ignore,
                "overflowing first-pos",
            ),
            ("bytes=0-0", 0, Ignore, "an empty file has no ranges"),
            ("bytes=-5", 0, Ignore, "not even suffixes"),
        ];
        for (value, size, want, why) in cases {
            assert_eq!(
                parse(value.as_bytes(), *size),
                *want,
                "{value:?} of {size}: {why}"
            );
        }
    }

    #[test]
    fn non_utf8_value_is_ignored() {
        assert_eq!(parse(b"bytes=\xff-1", 10), Ignore);
    }
}
