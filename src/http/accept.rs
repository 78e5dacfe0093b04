//! `Accept-Encoding` (RFC 9110 §12.5.3): the weight a request gives a content coding. One
//! reading for the two places that choose a coding: precompressed static files and response
//! compression. And `Accept` (§12.5.1): the weight it gives a media type, for choosing among a
//! route's renderers.

/// The weight (qvalue in thousandths, 0..=1000) the `Accept-Encoding` field `values` give the
/// coding `token`: its own entry's, else the `*` entry's, else None (not mentioned). Tokens are
/// case-insensitive and `x-gzip` is `gzip` (RFC 9110 §8.4.1.3); a later entry for the same
/// coding wins; a malformed weight counts as 0, so a garbled header never turns a coding on.
pub fn coding_weight<'a>(values: impl IntoIterator<Item = &'a [u8]>, token: &str) -> Option<u16> {
    let mut named = None;
    let mut star = None;
    for (name, q) in members(values) {
        let same = name.eq_ignore_ascii_case(token)
            || (token.eq_ignore_ascii_case("gzip") && name.eq_ignore_ascii_case("x-gzip"));
        if same {
            named = Some(q);
        } else if name == "*" {
            star = Some(q);
        }
    }
    named.or(star)
}

/// The members of a comma-separated list of `name;params` field values with their weight
/// (`q`, in thousandths; 1000 when absent, 0 when malformed); empty members and values that are
/// not UTF-8 skipped.
fn members<'a>(values: impl IntoIterator<Item = &'a [u8]>) -> impl Iterator<Item = (&'a str, u16)> {
    values
        .into_iter()
        .filter_map(|v| std::str::from_utf8(v).ok())
        .flat_map(|v| v.split(','))
        .filter_map(|member| {
            let mut parts = member.split(';');
            let name = parts.next().unwrap_or("").trim();
            if name.is_empty() {
                return None;
            }
            let mut q = 1000;
            for param in parts {
                if let Some((key, val)) = param.split_once('=') {
                    if key.trim().eq_ignore_ascii_case("q") {
                        q = qvalue(val.trim()).unwrap_or(0);
                    }
                }
            }
            Some((name, q))
        })
}

/// The weight (in thousandths) the `Accept` field `values` give the media type `media`
/// (`type/subtype`): that of its most specific matching range (`type/subtype`, then
/// `type/*`, then `*/*`, RFC 9110 §12.5.1), or None when no range matches. Media-type
/// parameters other than `q` are ignored; a malformed weight counts as 0.
pub fn media_weight<'a>(values: impl IntoIterator<Item = &'a [u8]>, media: &str) -> Option<u16> {
    let (ty, sub) = media.split_once('/')?;
    // (specificity, weight) of the best match so far: 2 exact, 1 type/*, 0 */*.
    let mut best: Option<(u8, u16)> = None;
    for (range, q) in members(values) {
        let Some((rt, rs)) = range.split_once('/') else {
            continue;
        };
        let (rt, rs) = (rt.trim(), rs.trim());
        let specificity = if rt.eq_ignore_ascii_case(ty) && rs.eq_ignore_ascii_case(sub) {
            2
        } else if rt.eq_ignore_ascii_case(ty) && rs == "*" {
            1
        } else if rt == "*" && rs == "*" {
            0
        } else {
            continue;
        };
        if best.is_none_or(|(s, _)| specificity >= s) {
            best = Some((specificity, q));
        }
    }
    best.map(|(_, q)| q)
}

/// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths
/// (RFC 9110 §12.4.2).
fn qvalue(s: &str) -> Option<u16> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut thousandths = 0u16;
    for (i, b) in frac.bytes().enumerate() {
        thousandths += u16::from(b - b'0') * [100, 10, 1][i];
    }
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(value: &str, token: &str) -> Option<u16> {
        coding_weight([value.as_bytes()], token)
    }

    #[test]
    fn weights_of_one_coding() {
        // (Accept-Encoding, coding, weight, why)
        let cases: &[(&str, &str, Option<u16>, &str)] = &[
            ("gzip", "gzip", Some(1000), "named"),
            ("GZip", "gzip", Some(1000), "case-insensitive"),
            ("x-gzip;q=0.5", "gzip", Some(500), "x-gzip is gzip"),
            ("br;q=0.25, gzip", "br", Some(250), "weight kept"),
            ("br", "gzip", None, "not mentioned"),
            ("*;q=0.1", "zstd", Some(100), "star"),
            ("zstd;q=0, *", "zstd", Some(0), "own entry beats star"),
            ("gzip;q=1.5", "gzip", Some(0), "malformed weight is 0"),
            (
                "gzip;q=0.1234",
                "gzip",
                Some(0),
                "four decimals are malformed",
            ),
            ("gzip;q=1.000", "gzip", Some(1000), "1.000"),
            (
                "gzip;q=0, gzip;q=0.5",
                "gzip",
                Some(500),
                "a later entry wins",
            ),
            (
                "identity;q=0",
                "gzip",
                None,
                "identity says nothing of gzip",
            ),
            (
                " , ;q=1, gzip ",
                "gzip",
                Some(1000),
                "empty members skipped",
            ),
        ];
        for (value, token, want, why) in cases {
            assert_eq!(w(value, token), *want, "{why}: {value}");
        }
    }

    #[test]
    fn media_weights() {
        let m = |accept: &str, media: &str| media_weight([accept.as_bytes()], media);
        // (Accept, media type, weight, why)
        let cases: &[(&str, &str, Option<u16>, &str)] = &[
            ("application/json", "application/json", Some(1000), "exact"),
            (
                "Application/JSON",
                "application/json",
                Some(1000),
                "case-insensitive",
            ),
            (
                "application/*;q=0.5",
                "application/json",
                Some(500),
                "type/*",
            ),
            ("*/*;q=0.1", "application/msgpack", Some(100), "*/*"),
            ("text/html", "application/json", None, "no match"),
            (
                "application/json;q=0, */*",
                "application/json",
                Some(0),
                "the exact range beats */* whatever the order",
            ),
            (
                "*/*, application/*;q=0.2",
                "application/json",
                Some(200),
                "type/* beats */*",
            ),
            (
                "application/json; charset=utf-8; q=0.7",
                "application/json",
                Some(700),
                "parameters other than q ignored",
            ),
            (
                "application/json;q=2",
                "application/json",
                Some(0),
                "malformed q",
            ),
            ("json", "application/json", None, "not a media range"),
        ];
        for (accept, media, want, why) in cases {
            assert_eq!(m(accept, media), *want, "{why}: {accept}");
        }
    }

    #[test]
    fn several_field_lines_are_one_list() {
        assert_eq!(
            coding_weight([&b"br;q=0.5"[..], &b"gzip;q=0.2"[..]], "gzip"),
            Some(200)
        );
        assert_eq!(coding_weight([&b"\xff"[..]], "gzip"), None);
    }
}
