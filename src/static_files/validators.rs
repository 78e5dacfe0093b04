//! Validators and the conditional requests built on them (RFC 9110 §8.8, §13).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A strong entity tag (RFC 9110 §8.8.3) for a file of `size` bytes last modified at
/// `mtime`, with `suffix` naming a content coding (`-br`) so each precompressed variant has
/// its own tag, as a different representation must.
///
/// Size plus nanosecond mtime changes whenever a deploy rewrites the file (the same scheme as
/// nginx, which uses seconds). Strong is justified: the same (size, mtime) means the same
/// bytes unless someone rewrites a file and then resets its mtime on purpose.
pub(crate) fn etag(size: u64, mtime: SystemTime, suffix: &str) -> String {
    format!("\"{size:x}-{:x}{suffix}\"", since_epoch(mtime).as_nanos())
}

/// A time before 1970 is a broken clock or archive; the epoch is as good an answer as any.
pub(crate) fn since_epoch(t: SystemTime) -> Duration {
    t.duration_since(UNIX_EPOCH).unwrap_or_default()
}

/// The entity tags of an `If-None-Match` / `If-Range` style list: `(weak, opaque-tag)`,
/// where the opaque tag keeps its quotes. `*` is returned as `(false, "*")`.
///
/// A tag may contain commas (etagc allows them, RFC 9110 §8.8.3), so the list is scanned
/// quote to quote rather than split on commas. Scanning stops at the first malformed member:
/// what was before it still counts, and nothing after it can match by accident.
fn entity_tags(value: &str) -> impl Iterator<Item = (bool, &str)> {
    let mut rest = value;
    std::iter::from_fn(move || {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return None;
        }
        if let Some(after) = rest.strip_prefix('*') {
            rest = after;
            return Some((false, "*"));
        }
        let (weak, tagged) = match rest.strip_prefix("W/") {
            Some(t) => (true, t),
            None => (false, rest),
        };
        if !tagged.starts_with('"') {
            rest = "";
            return None;
        }
        let Some(close) = tagged[1..].find('"') else {
            rest = "";
            return None;
        };
        let (tag, after) = tagged.split_at(close + 2);
        rest = after;
        Some((weak, tag))
    })
}

/// RFC 9110 §13.1.2: does any `If-None-Match` field value match `current` under the weak
/// comparison (the `W/` prefix is disregarded)? `*` matches any current representation,
/// and there is one, since we only get here for an existing file.
pub(crate) fn none_match_hits<'a>(values: impl Iterator<Item = &'a [u8]>, current: &str) -> bool {
    values
        .filter_map(|v| std::str::from_utf8(v).ok())
        .flat_map(entity_tags)
        .any(|(_, tag)| tag == "*" || tag == current)
}

/// RFC 9110 §13.1.3: is the resource unmodified since the `If-Modified-Since` date? The
/// comparison is in whole seconds, the precision of an HTTP-date and so of the
/// `last-modified` the client got. An unparsable date is ignored (`false`).
pub(crate) fn not_modified_since(value: &[u8], mtime: SystemTime) -> bool {
    let Some(since) = http_date(value) else {
        return false;
    };
    since_epoch(mtime).as_secs() <= since_epoch(since).as_secs()
}

/// RFC 9110 §13.1.5: may a Range be honoured given this `If-Range` value? An entity tag
/// must match `current` under the *strong* comparison (a weak tag never does); a date must
/// equal the `last-modified` exactly.
///
/// §13.1.5 also asks that a date be a strong validator (§8.8.2.2: mtime at least a second
/// before Date). We accept any exact match: a file rewritten twice within one second is
/// caught by the ETag that browsers prefer for If-Range anyway.
pub(crate) fn if_range_allows(value: &[u8], current: &str, mtime: SystemTime) -> bool {
    let Ok(text) = std::str::from_utf8(value) else {
        return false;
    };
    let text = text.trim_matches([' ', '\t']);
    if text.starts_with('"') || text.starts_with("W/") {
        let mut tags = entity_tags(text);
        // If-Range carries exactly one entity tag, not a list.
        return match (tags.next(), tags.next()) {
            (Some((weak, tag)), None) => !weak && tag == current,
            _ => false,
        };
    }
    match http_date(text.as_bytes()) {
        Some(date) => since_epoch(date).as_secs() == since_epoch(mtime).as_secs(),
        None => false,
    }
}

fn http_date(value: &[u8]) -> Option<SystemTime> {
    let text = std::str::from_utf8(value).ok()?;
    httpdate::parse_http_date(text.trim_matches([' ', '\t'])).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAG: &str = "\"a-17\"";

    fn at(secs: u64, nanos: u32) -> SystemTime {
        UNIX_EPOCH + Duration::new(secs, nanos)
    }

    #[test]
    fn etag_is_hex_size_and_nanos() {
        assert_eq!(etag(255, at(1, 5), ""), "\"ff-3b9aca05\"");
        assert_eq!(etag(0, UNIX_EPOCH, "-br"), "\"0-0-br\"");
    }

    #[test]
    fn if_none_match_weak_comparison() {
        let cases: &[(&str, bool, &str)] = &[
            ("\"a-17\"", true, "the same strong tag"),
            ("W/\"a-17\"", true, "weak comparison ignores W/"),
            ("*", true, "any current representation"),
            ("\"x\", \"a-17\"", true, "second in a list"),
            ("\"x\",W/\"a-17\"", true, "list without spaces"),
            (
                "\"a,b\", \"a-17\"",
                true,
                "a comma inside a tag does not split it",
            ),
            ("\"a-18\"", false, "another tag"),
            ("a-17", false, "unquoted is malformed"),
            ("\"a-17", false, "unterminated"),
            (
                "junk, \"a-17\"",
                false,
                "nothing after a malformed member counts",
            ),
            ("", false, "empty"),
            ("w/\"a-17\"", false, "the weak prefix is case-sensitive"),
        ];
        for (value, want, why) in cases {
            let got = none_match_hits(std::iter::once(value.as_bytes()), TAG);
            assert_eq!(got, *want, "{value:?}: {why}");
        }
    }

    #[test]
    fn if_none_match_over_several_field_lines() {
        let lines: [&[u8]; 2] = [b"\"x\"", b"\"a-17\""];
        assert!(
            none_match_hits(lines.into_iter(), TAG),
            "field lines combine as a list"
        );
    }

    #[test]
    fn if_modified_since_second_precision() {
        // 784111777 = Sun, 06 Nov 1994 08:49:37 GMT
        let date = b"Sun, 06 Nov 1994 08:49:37 GMT";
        let cases: &[(&[u8], SystemTime, bool, &str)] = &[
            (date, at(784111777, 0), true, "same second"),
            (
                date,
                at(784111777, 999_999_999),
                true,
                "sub-second part is not compared",
            ),
            (date, at(784111700, 0), true, "older file"),
            (date, at(784111778, 0), false, "newer file"),
            (b"yesterday", at(0, 0), false, "an invalid date is ignored"),
            (b"\xff", at(0, 0), false, "not UTF-8"),
        ];
        for (value, mtime, want, why) in cases {
            assert_eq!(not_modified_since(value, *mtime), *want, "{why}");
        }
    }

    #[test]
    fn if_range_strong_comparison_or_exact_date() {
        let mtime = at(784111777, 123);
        let cases: &[(&str, bool, &str)] = &[
            ("\"a-17\"", true, "same strong tag"),
            ("W/\"a-17\"", false, "a weak tag never matches for If-Range"),
            ("\"a-18\"", false, "another tag"),
            (
                "\"a-17\", \"a-18\"",
                false,
                "If-Range takes one tag, not a list",
            ),
            (
                "Sun, 06 Nov 1994 08:49:37 GMT",
                true,
                "the exact last-modified",
            ),
            ("Sun, 06 Nov 1994 08:49:38 GMT", false, "a later date"),
            ("Sun, 06 Nov 1994 08:49:36 GMT", false, "an earlier date"),
            ("soon", false, "neither a tag nor a date"),
        ];
        for (value, want, why) in cases {
            assert_eq!(
                if_range_allows(value.as_bytes(), TAG, mtime),
                *want,
                "{value:?}: {why}"
            );
        }
    }
}
