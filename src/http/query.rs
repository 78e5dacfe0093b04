//! Query strings and path segments: percent-decoding done in Rust so handlers get `str`s.

use memchr::{memchr, memchr2};

/// `application/x-www-form-urlencoded` pairs, in order, duplicates kept (the WHATWG URL
/// parser's rules, which Django's `QueryDict` also follows): `+` is a space, bad escapes
/// stay as written, invalid UTF-8 becomes U+FFFD, a key without `=` has an empty value.
pub fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_form(k), decode_form(v))
        })
        .collect()
}

/// Decodes `%XX` in a path (but not `+`, which is literal in paths). `None` when the result
/// is not UTF-8 or holds NUL: neither can name a route or a file safely.
pub fn percent_decode_path(p: &str) -> Option<String> {
    if memchr(b'%', p.as_bytes()).is_none() {
        return (memchr(0, p.as_bytes()).is_none()).then(|| p.to_owned());
    }
    let mut out = Vec::with_capacity(p.len());
    percent_decode_into(p.as_bytes(), false, &mut out);
    if memchr(0, &out).is_some() {
        return None;
    }
    String::from_utf8(out).ok()
}

fn decode_form(s: &str) -> String {
    if memchr2(b'%', b'+', s.as_bytes()).is_none() {
        return s.to_owned();
    }
    let mut out = Vec::with_capacity(s.len());
    percent_decode_into(s.as_bytes(), true, &mut out);
    match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

fn percent_decode_into(s: &[u8], plus_is_space: bool, out: &mut Vec<u8>) {
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'%' => match (s.get(i + 1).and_then(hex), s.get(i + 2).and_then(hex)) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
}

fn hex(b: &u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// (query, expected pairs, reason)
    type QueryCase<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);

    #[test]
    fn parse_query_table() {
        let cases: &[QueryCase] = &[
            ("", &[], "empty"),
            ("a=1&b=2", &[("a", "1"), ("b", "2")], "plain pairs"),
            (
                "a=1&a=2",
                &[("a", "1"), ("a", "2")],
                "duplicates kept in order",
            ),
            ("a", &[("a", "")], "key without ="),
            ("a=", &[("a", "")], "empty value"),
            ("=v", &[("", "v")], "empty key"),
            (
                "a=1&&b=2&",
                &[("a", "1"), ("b", "2")],
                "empty segments skipped",
            ),
            ("q=a+b%20c", &[("q", "a b c")], "+ and %20 are spaces"),
            ("q=%2B", &[("q", "+")], "an escaped + is a plus"),
            ("k%3D=v%3Dw", &[("k=", "v=w")], "escaped = in key and value"),
            ("a=1=2", &[("a", "1=2")], "only the first = splits"),
            ("q=%zz%4", &[("q", "%zz%4")], "bad escapes left as-is"),
            ("q=%", &[("q", "%")], "lone %"),
            ("q=caf%C3%A9", &[("q", "café")], "UTF-8 escapes"),
            ("q=%ff", &[("q", "\u{fffd}")], "invalid UTF-8 replaced"),
            ("q=%e2%82", &[("q", "\u{fffd}")], "truncated UTF-8 replaced"),
            ("x=%41%42", &[("x", "AB")], "lower/upper hex"),
        ];
        for (q, want, why) in cases {
            assert_eq!(parse_query(q), pairs(want), "{why}: {q:?}");
        }
    }

    #[test]
    fn percent_decode_path_table() {
        let cases: &[(&str, Option<&str>, &str)] = &[
            ("/items/1", Some("/items/1"), "nothing to decode"),
            ("/a%20b", Some("/a b"), "space"),
            ("/a+b", Some("/a+b"), "+ is literal in paths"),
            ("/caf%C3%A9", Some("/café"), "UTF-8"),
            ("/a%2Fb", Some("/a/b"), "encoded slash decodes"),
            ("/%zz", Some("/%zz"), "bad escape left as-is"),
            ("/a%", Some("/a%"), "trailing %"),
            ("/%ff", None, "invalid UTF-8"),
            ("/a%00b", None, "NUL"),
        ];
        for (p, want, why) in cases {
            assert_eq!(percent_decode_path(p).as_deref(), *want, "{why}: {p:?}");
        }
    }
}
