//! The request-head parser against RFC 9112: accepted forms, every rejection with its reason.

use super::*;

fn limits() -> Limits {
    Limits::default()
}

fn parse(buf: &[u8]) -> Result<Parsed, HttpError> {
    parse_request(buf, &limits())
}

fn head(buf: &[u8]) -> (RequestHead, usize) {
    match parse(buf) {
        Ok(Parsed::Complete { head, head_len }) => (head, head_len),
        other => panic!(
            "expected a complete head for {:?}, got {other:?}",
            show(buf)
        ),
    }
}

fn show(buf: &[u8]) -> String {
    String::from_utf8_lossy(buf).into_owned()
}

/// `parse_err(input, expected, why)`: the reason documents the rule the case pins down.
#[track_caller]
fn parse_err(buf: &[u8], expected: HttpError, why: &str) {
    match parse(buf) {
        Err(e) => assert_eq!(e, expected, "{why}: {:?}", show(buf)),
        Ok(p) => panic!(
            "{why}: expected {expected:?}, got {p:?} for {:?}",
            show(buf)
        ),
    }
}

// ---- accepted requests -------------------------------------------------------------

#[test]
fn parses_a_simple_get() {
    let buf = b"GET /items/1?q=x HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n";
    let (h, len) = head(buf);
    assert_eq!(len, buf.len());
    assert_eq!(h.method, Method::Get);
    assert_eq!(h.method_str, "GET");
    assert_eq!(h.target, "/items/1?q=x");
    assert_eq!(h.path(), "/items/1");
    assert_eq!(h.query(), Some("q=x"));
    assert_eq!(h.minor_version, 1);
    assert_eq!(h.header("host"), Some(&b"example.com"[..]));
    assert_eq!(h.header("accept"), Some(&b"*/*"[..]));
    assert_eq!(h.body, BodyKind::Empty);
    assert!(h.keep_alive);
    assert!(!h.expect_continue);
}

#[test]
fn head_len_stops_before_the_body() {
    let buf = b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET";
    let (h, len) = head(buf);
    assert_eq!(&buf[len..len + 5], b"hello");
    assert_eq!(h.body, BodyKind::Length(5));
    assert_eq!(h.query(), None);
}

#[test]
fn accepted_table() {
    // (input, check, reason)
    type Check = fn(&RequestHead) -> bool;
    let cases: &[(&[u8], Check, &str)] = &[
        (
            b"GET / HTTP/1.0\r\n\r\n",
            |h| !h.keep_alive && h.minor_version == 0,
            "HTTP/1.0 needs no Host and defaults to close",
        ),
        (
            b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
            |h| h.keep_alive,
            "HTTP/1.0 keeps alive only when asked (RFC 9112 §9.3)",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, close\r\n\r\n",
            |h| !h.keep_alive,
            "close wins over keep-alive",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nConnection: CLOSE\r\n\r\n",
            |h| !h.keep_alive,
            "Connection tokens are read from every field, case-insensitively",
        ),
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n",
            |h| h.expect_continue,
            "Expect is case-insensitive",
        ),
        (
            b"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
            |h| !h.expect_continue,
            "100-continue from HTTP/1.0 is ignored (RFC 9110 §10.1.1)",
        ),
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:  Chunked \r\n\r\n",
            |h| h.body == BodyKind::Chunked,
            "chunked is matched case-insensitively and trimmed",
        ),
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
            |h| h.body == BodyKind::Empty,
            "zero length is no body",
        ),
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 007\r\n\r\n",
            |h| h.body == BodyKind::Length(7),
            "leading zeros are still 1*DIGIT",
        ),
        (
            b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
            |h| h.path() == "*" && h.method == Method::Options,
            "asterisk-form for OPTIONS (RFC 9112 §3.2.4)",
        ),
        (
            b"TRACE / HTTP/1.1\r\nHost: h\r\n\r\n",
            |h| h.method == Method::Other && h.method_str == "TRACE",
            "unknown methods parse and keep their token",
        ),
        (
            b"get / HTTP/1.1\r\nHost: h\r\n\r\n",
            |h| h.method == Method::Other,
            "methods are case-sensitive",
        ),
        (
            b"\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
            |h| h.method == Method::Get,
            "leading empty lines are ignored (RFC 9112 §2.2)",
        ),
        (
            b"GET http://Example.com:8000/a/b?c=d HTTP/1.1\r\nHost: other\r\n\r\n",
            |h| {
                h.target == "/a/b?c=d"
                    && h.path() == "/a/b"
                    && h.header("host") == Some(b"Example.com:8000")
            },
            "absolute-form: origin part kept, Host replaced by authority (RFC 9112 §3.2.2)",
        ),
        (
            b"GET HTTPS://h HTTP/1.1\r\nHost: h\r\n\r\n",
            |h| h.target == "/",
            "absolute-form with empty path is /",
        ),
        (
            b"GET /?a=1?b HTTP/1.1\r\nHost: h\r\n\r\n",
            |h| h.path() == "/" && h.query() == Some("a=1?b"),
            "path ends at the first ?",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: h\r\nX-Empty:\r\nX-Sp: a b \t\r\n\r\n",
            |h| h.header("x-empty") == Some(b"") && h.header("x-sp") == Some(b"a b"),
            "empty values and inner spaces are fine, outer whitespace trimmed",
        ),
        (
            b"GET / HTTP/1.1\r\nHOST: h\r\nX-CaSe: v\r\n\r\n",
            |h| h.headers[0].0 == "host" && h.headers[1].0 == "x-case",
            "names are lower-cased in order",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: h\r\nX-Utf8: caf\xc3\xa9\r\n\r\n",
            |h| h.header("x-utf8") == Some("café".as_bytes()),
            "obs-text is allowed in values",
        ),
    ];
    for (buf, check, why) in cases {
        let (h, _) = head(buf);
        assert!(check(&h), "{why}: {h:?}");
    }
}

#[test]
fn partial_heads() {
    let full = b"GET /x HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n";
    for n in 0..full.len() {
        assert_eq!(
            parse(&full[..n]),
            Ok(Parsed::Partial),
            "prefix of {n} bytes"
        );
    }
    assert!(matches!(parse(full), Ok(Parsed::Complete { .. })));
}

#[test]
fn more_header_slots_than_inline() {
    let mut buf = b"GET / HTTP/1.1\r\nHost: h\r\n".to_vec();
    for i in 0..99 {
        buf.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
    }
    buf.extend_from_slice(b"\r\n");
    let lim = Limits {
        max_headers: 100,
        ..limits()
    };
    match parse_request(&buf, &lim) {
        Ok(Parsed::Complete { head, .. }) => assert_eq!(head.headers.len(), 100),
        other => panic!("{other:?}"),
    }
    // The default (128) takes those 100 too (hyper's default is 100), but not 129.
    assert!(parse(&buf).is_ok());
    buf.truncate(buf.len() - 2);
    for i in 99..128 {
        buf.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
    }
    buf.extend_from_slice(b"\r\n");
    assert_eq!(parse(&buf), Err(HttpError::TooManyHeaders));
}

/// Mutated inputs must never panic (the diagnosis path slices by hand), and every prefix
/// of a valid request is Partial, never an error: reads can split anywhere.
#[test]
fn mutated_inputs_never_panic() {
    let base: &[u8] = b"POST /a?b=c HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nX: y\r\n\r\nabc";
    let alphabet = b" \t\r\n:;/?#%*@\x00\x7f\xc3\xffaZ09-";
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..20_000 {
        let mut buf = base.to_vec();
        for _ in 0..(next() % 4 + 1) {
            let pos = (next() as usize) % buf.len();
            let byte = alphabet[(next() as usize) % alphabet.len()];
            match next() % 3 {
                0 => buf[pos] = byte,
                1 => buf.insert(pos, byte),
                _ => {
                    buf.remove(pos);
                }
            }
        }
        let cut = (next() as usize) % (buf.len() + 1);
        let _ = parse(&buf[..cut]);
        let _ = parse(&buf);
    }
}

// ---- one named test per rejection rule ----------------------------------------------

#[test]
fn rejects_both_content_length_and_transfer_encoding() {
    parse_err(
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
        HttpError::ContentLengthWithTransferEncoding,
        "CL then TE: the classic CL.TE smuggling shape",
    );
    parse_err(
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
        HttpError::ContentLengthWithTransferEncoding,
        "TE then CL",
    );
}

#[test]
fn rejects_duplicate_content_length() {
    parse_err(
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
        HttpError::DuplicateContentLength,
        "even equal duplicates are refused",
    );
    parse_err(
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\ncontent-length: 6\r\n\r\n",
        HttpError::DuplicateContentLength,
        "differing duplicates, different case",
    );
}

#[test]
fn rejects_content_length_list() {
    parse_err(
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\n",
        HttpError::InvalidContentLength,
        "a list is not 1*DIGIT",
    );
}

#[test]
fn rejects_invalid_content_length() {
    let cases: &[(&[u8], &str)] = &[
        (b"abc", "non-numeric"),
        (b"+5", "signed"),
        (b"-1", "negative"),
        (b"", "empty"),
        (b"5 5", "inner space"),
        (b"0x10", "hex"),
        (b"99999999999999999999999", "overflows u64"),
    ];
    for (value, why) in cases {
        let mut buf = b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: ".to_vec();
        buf.extend_from_slice(value);
        buf.extend_from_slice(b"\r\n\r\n");
        parse_err(&buf, HttpError::InvalidContentLength, why);
    }
}

#[test]
fn rejects_content_length_above_max_body() {
    let lim = Limits {
        max_body_bytes: 10,
        ..limits()
    };
    let ok = b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n";
    assert!(parse_request(ok, &lim).is_ok(), "exactly the limit is fine");
    let buf = b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n";
    let err = parse_request(buf, &lim).unwrap_err();
    assert_eq!(err, HttpError::BodyTooLarge);
    assert_eq!(err.status(), 413);
    // Bigger than usize on 32-bit targets, still a valid number: 413, not 400.
    parse_err(
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 18446744073709551615\r\n\r\n",
        HttpError::BodyTooLarge,
        "u64::MAX is valid syntax but too large",
    );
}

#[test]
fn rejects_unsupported_transfer_encoding() {
    let cases: &[(&[u8], &str)] = &[
        (b"gzip, chunked", "a coding we do not decode"),
        (b"identity", "identity was removed from the registry"),
        (b"chunked, chunked", "double chunked"),
        (b"chunked;q=1", "parameters"),
        (b"xchunked", "not exactly chunked"),
        (b"", "empty"),
    ];
    for (value, why) in cases {
        let mut buf = b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ".to_vec();
        buf.extend_from_slice(value);
        buf.extend_from_slice(b"\r\n\r\n");
        parse_err(&buf, HttpError::UnsupportedTransferEncoding, why);
    }
}

#[test]
fn rejects_two_transfer_encoding_headers() {
    parse_err(
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
        HttpError::DuplicateTransferEncoding,
        "split TE fields",
    );
}

#[test]
fn rejects_transfer_encoding_on_http10() {
    parse_err(
        b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
        HttpError::TransferEncodingHttp10,
        "1.0 has no chunked coding (RFC 9112 §6.1)",
    );
}

#[test]
fn rejects_obs_fold() {
    parse_err(
        b"GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n b\r\n\r\n",
        HttpError::ObsFold,
        "continuation line with SP",
    );
    parse_err(
        b"GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n\tb\r\n\r\n",
        HttpError::ObsFold,
        "continuation line with HTAB",
    );
    parse_err(
        b"GET / HTTP/1.1\r\n Host: h\r\n\r\n",
        HttpError::ObsFold,
        "whitespace before the first field (RFC 9112 §2.2)",
    );
}

#[test]
fn rejects_bare_lf() {
    let cases: &[(&[u8], &str)] = &[
        (b"GET / HTTP/1.1\nHost: h\r\n\r\n", "request line"),
        (b"GET / HTTP/1.1\r\nHost: h\n\r\n", "header line"),
        (b"GET / HTTP/1.1\r\nHost: h\r\n\n", "final empty line"),
        (b"GET / HTTP/1.1\nHost: h\n\n", "all lines"),
        (b"\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", "leading empty line"),
    ];
    for (buf, why) in cases {
        parse_err(buf, HttpError::BareLf, why);
    }
}

#[test]
fn rejects_cr_without_lf() {
    parse_err(
        b"GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n",
        HttpError::InvalidLineEnding,
        "a lone CR inside the header section",
    );
}

#[test]
fn rejects_whitespace_before_colon() {
    parse_err(
        b"GET / HTTP/1.1\r\nHost : h\r\n\r\n",
        HttpError::WhitespaceBeforeColon,
        "SP before colon (RFC 9112 §5.1)",
    );
    parse_err(
        b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length\t: 5\r\n\r\n",
        HttpError::WhitespaceBeforeColon,
        "HTAB before colon",
    );
}

#[test]
fn rejects_invalid_header_name_and_value() {
    parse_err(
        b"GET / HTTP/1.1\r\nHost: h\r\nX(y): v\r\n\r\n",
        HttpError::InvalidHeaderName,
        "( is not a tchar",
    );
    parse_err(
        b"GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n",
        HttpError::InvalidHeaderName,
        "a field line without a colon",
    );
    parse_err(
        b"GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n",
        HttpError::InvalidHeaderName,
        "an empty name",
    );
    parse_err(
        b"GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n",
        HttpError::InvalidHeaderValue,
        "NUL in a value",
    );
}

#[test]
fn rejects_missing_host_on_http11() {
    parse_err(
        b"GET / HTTP/1.1\r\nAccept: */*\r\n\r\n",
        HttpError::MissingHost,
        "RFC 9112 §3.2",
    );
    parse_err(
        b"GET http://h/ HTTP/1.1\r\n\r\n",
        HttpError::MissingHost,
        "absolute-form does not excuse a missing Host",
    );
}

#[test]
fn rejects_duplicate_host() {
    parse_err(
        b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
        HttpError::DuplicateHost,
        "RFC 9112 §3.2",
    );
    parse_err(
        b"GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n",
        HttpError::DuplicateHost,
        "on HTTP/1.0 too",
    );
}

#[test]
fn rejects_invalid_method() {
    let cases: &[(&[u8], &str)] = &[
        (b"G(T / HTTP/1.1\r\nHost: h\r\n\r\n", "( is not a tchar"),
        (b" GET / HTTP/1.1\r\nHost: h\r\n\r\n", "empty method"),
        (b"G\x01T / HTTP/1.1\r\nHost: h\r\n\r\n", "control byte"),
    ];
    for (buf, why) in cases {
        parse_err(buf, HttpError::InvalidMethod, why);
    }
}

#[test]
fn rejects_invalid_target() {
    let cases: &[(&[u8], &str)] = &[
        (b"GET items HTTP/1.1\r\nHost: h\r\n\r\n", "not origin-form"),
        (
            b"GET * HTTP/1.1\r\nHost: h\r\n\r\n",
            "asterisk-form only for OPTIONS",
        ),
        (
            b"CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n",
            "authority-form: we are no proxy",
        ),
        (
            b"GET ftp://h/x HTTP/1.1\r\nHost: h\r\n\r\n",
            "absolute-form with another scheme",
        ),
        (
            b"GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n",
            "absolute-form without authority",
        ),
        (
            b"GET http://u@h/x HTTP/1.1\r\nHost: h\r\n\r\n",
            "userinfo (RFC 9110 §4.2.4)",
        ),
        (
            b"GET http://h?q HTTP/1.1\r\nHost: h\r\n\r\n",
            "absolute-form query without path",
        ),
        (
            b"GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n",
            "fragments are never sent",
        ),
        (
            b"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n",
            "raw UTF-8 is not a URI",
        ),
        (b"GET /\xff HTTP/1.1\r\nHost: h\r\n\r\n", "invalid UTF-8"),
        (b"GET /a\x7fb HTTP/1.1\r\nHost: h\r\n\r\n", "DEL"),
        (b"GET /a\x01b HTTP/1.1\r\nHost: h\r\n\r\n", "control byte"),
    ];
    for (buf, why) in cases {
        parse_err(buf, HttpError::InvalidTarget, why);
    }
}

/// RFC 3986 §3.2.2: the authority of an absolute-form target is `host [":" port]`; the
/// h1_differential fuzz target found `GET http://%:8/;a?q` served here while hyper refuses it.
#[test]
fn absolute_form_authority_must_be_host_and_port() {
    for target in [
        "http://%:8/a",
        "http://h%41/a",
        "http://a:b:c/",
        "http://h:/a",
        "http://h:x/a",
        "http://h:65536/a",
        "http://:80/a",
        "http://[::1/a",
        "http://[]/a",
        "http://[::1]x/a",
        "http://h{}/a",
    ] {
        let req = format!("GET {target} HTTP/1.1\r\nHost: h\r\n\r\n");
        parse_err(req.as_bytes(), HttpError::InvalidTarget, target);
    }
    for target in [
        "http://h/a",
        "http://h:8/a",
        "http://a-b.c_d~!$&'()*+,;=:65535/",
        "http://[::1]:8/",
        "http://[::1]/",
    ] {
        let req = format!("GET {target} HTTP/1.1\r\nHost: h\r\n\r\n");
        assert!(parse(req.as_bytes()).is_ok(), "{target} is served");
    }
}

/// RFC 3986 §2 bytes that are in no URI, refused where hyper's Uri refuses them (we served
/// `GET /<`, which hyper answers 400, the h1_differential target's reference); the ones real
/// clients send raw (JSON in a path) still pass, as in hyper.
#[test]
fn target_bytes_outside_uri_syntax_follow_hyper() {
    for target in [
        "/a<b",
        "/a>b",
        "/a`b",
        "/?q=<",
        "/?q=>",
        "/?q=\"x\"",
        "http://h/<",
    ] {
        let req = format!("GET {target} HTTP/1.1\r\nHost: h\r\n\r\n");
        parse_err(req.as_bytes(), HttpError::InvalidTarget, target);
    }
    for target in [
        "/{\"a\":1}",
        "/a|b",
        "/a\\b",
        "/a^b",
        "/?q={}|\\^`",
        "/?q='",
    ] {
        let req = format!("GET {target} HTTP/1.1\r\nHost: h\r\n\r\n");
        assert!(parse(req.as_bytes()).is_ok(), "{target} is served");
    }
}

#[test]
fn rejects_invalid_version() {
    let cases: &[(&[u8], &str)] = &[
        (
            b"GET / HTTP/1.2\r\nHost: h\r\n\r\n",
            "1.2 is not 1.0 or 1.1",
        ),
        (
            b"GET / http/1.1\r\nHost: h\r\n\r\n",
            "the name is case-sensitive",
        ),
        (b"GET / HTTP/1.10\r\nHost: h\r\n\r\n", "trailing digit"),
        (b"GET / HTTP/1.1 \r\nHost: h\r\n\r\n", "trailing space"),
        (b"GET /  HTTP/1.1\r\nHost: h\r\n\r\n", "two spaces"),
        (b"GET /\r\n\r\n", "HTTP/0.9 request line"),
        (b"GET / FOO\r\n\r\n", "garbage"),
    ];
    for (buf, why) in cases {
        parse_err(buf, HttpError::InvalidVersion, why);
    }
}

#[test]
fn rejects_other_major_versions_with_505() {
    parse_err(
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        HttpError::VersionNotSupported,
        "the HTTP/2 connection preface",
    );
    parse_err(
        b"PRI * HTTP/2",
        HttpError::VersionNotSupported,
        "detected early",
    );
    parse_err(
        b"GET / HTTP/3.0\r\nHost: h\r\n\r\n",
        HttpError::VersionNotSupported,
        "HTTP/3",
    );
    assert_eq!(HttpError::VersionNotSupported.status(), 505);
}

#[test]
fn rejects_uri_longer_than_max_uri_len() {
    let lim = Limits {
        max_uri_len: 16,
        ..limits()
    };
    let ok = b"GET /aaaaaaaaaaaaaaa HTTP/1.1\r\nHost: h\r\n\r\n";
    assert!(parse_request(ok, &lim).is_ok(), "16 bytes is the limit");
    let long = b"GET /aaaaaaaaaaaaaaaa HTTP/1.1\r\nHost: h\r\n\r\n";
    assert_eq!(parse_request(long, &lim), Err(HttpError::UriTooLong));
    // Still incomplete: no space after the target yet, no CRLF.
    assert_eq!(
        parse_request(b"GET /aaaaaaaaaaaaaaaaaaaa", &lim),
        Err(HttpError::UriTooLong),
        "detected while the request line is partial"
    );
    assert_eq!(
        parse_request(b"GET /aaaaaaaaaaaaaaa", &lim),
        Ok(Parsed::Partial)
    );
    assert_eq!(HttpError::UriTooLong.status(), 414);
}

#[test]
fn rejects_head_larger_than_max_head_bytes() {
    let lim = Limits {
        max_head_bytes: 64,
        ..limits()
    };
    let mut partial = b"GET / HTTP/1.1\r\nHost: h\r\nX-Big: ".to_vec();
    partial.resize(65, b'a');
    assert_eq!(
        parse_request(&partial, &lim),
        Err(HttpError::HeadTooLarge),
        "incomplete but already too big"
    );
    partial.truncate(64);
    assert_eq!(parse_request(&partial, &lim), Ok(Parsed::Partial));

    let mut complete = b"GET / HTTP/1.1\r\nHost: h\r\nX-Big: ".to_vec();
    complete.resize(62, b'a');
    complete.extend_from_slice(b"\r\n\r\n");
    assert_eq!(
        parse_request(&complete, &lim),
        Err(HttpError::HeadTooLarge),
        "complete in one read but too big"
    );
    assert_eq!(HttpError::HeadTooLarge.status(), 431);
}

#[test]
fn rejects_more_than_max_headers() {
    let lim = Limits {
        max_headers: 3,
        ..limits()
    };
    let ok = b"GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n";
    assert!(parse_request(ok, &lim).is_ok());
    let buf = b"GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
    let err = parse_request(buf, &lim).unwrap_err();
    assert_eq!(err, HttpError::TooManyHeaders);
    assert_eq!(err.status(), 431);
}
