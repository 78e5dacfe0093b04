//! Response head serialization.
//!
//! Written straight into the connection's output buffer, so a response costs no allocation
//! beyond that buffer's growth. Header bytes coming from handlers are checked here, at the
//! last point before the wire, so no code path can split a response (CWE-113).

use super::is_tchar;

/// A response ready to be written: what every layer returns and the connection writes. The
/// writer adds `content-length`, `connection`, `date` and `server`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub content_type: Option<Vec<u8>>,
    /// Empty for HEAD, 304 and 416 from static files; dropped by the writer for HEAD.
    pub body: Vec<u8>,
    /// Lower-case names.
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    /// A body the connection produces after the head instead of `body` (which is then empty).
    pub source: Option<BodySource>,
}

/// A body too big or too slow to hold in memory: written by the connection after the head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodySource {
    /// A handler's iterator, pulled one chunk at a time as the socket drains (`app::stream`
    /// holds it under this id). Sent chunked unless the handler gave a content-length.
    Stream(u64),
    /// `len` bytes of the file at `path` from `offset`, read off the reactor thread.
    File {
        path: std::path::PathBuf,
        offset: u64,
        len: u64,
    },
}

pub const JSON_CT: &[u8] = b"application/json";

impl Response {
    pub fn json(status: u16, body: Vec<u8>) -> Self {
        Response {
            status,
            content_type: Some(JSON_CT.to_vec()),
            body,
            headers: Vec::new(),
            source: None,
        }
    }

    /// `{"detail": "..."}`, the shape of every error bolt answers itself.
    pub fn detail(status: u16, detail: &str) -> Self {
        #[derive(serde::Serialize)]
        struct D<'a> {
            detail: &'a str,
        }
        Self::json(status, sonic_rs::to_vec(&D { detail }).unwrap_or_default())
    }

    /// No body, no content type (204s, `OPTIONS`).
    pub fn empty(status: u16) -> Self {
        Response {
            status,
            content_type: None,
            body: Vec::new(),
            headers: Vec::new(),
            source: None,
        }
    }

    pub fn with_header(mut self, name: &[u8], value: &[u8]) -> Self {
        self.headers.push((name.to_vec(), value.to_vec()));
        self
    }

    /// Adds `token` (a lower-case request header name) to the response's `Vary`, merged into
    /// an existing one; `*` or the name already there covers it.
    pub fn add_vary(&mut self, token: &str) {
        for (name, value) in &mut self.headers {
            if name == b"vary" {
                let v = String::from_utf8_lossy(value);
                if v.split(',')
                    .any(|t| t.trim() == "*" || t.trim().eq_ignore_ascii_case(token))
                {
                    return;
                }
                if v.trim().is_empty() {
                    *value = token.as_bytes().to_vec();
                } else {
                    value.extend_from_slice(b", ");
                    value.extend_from_slice(token.as_bytes());
                }
                return;
            }
        }
        self.headers
            .push((b"vary".to_vec(), token.as_bytes().to_vec()));
    }
}

/// Sent before reading a body whose request said `Expect: 100-continue` (RFC 9110 §10.1.1).
pub const CONTINUE_100: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// RFC 9110 §15 reason phrases; clients ignore them (RFC 9112 §4), humans read them.
/// Unknown codes get an empty phrase, which the status-line grammar allows.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        102 => "Processing",
        103 => "Early Hints",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        207 => "Multi-Status",
        208 => "Already Reported",
        226 => "IM Used",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        305 => "Use Proxy",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        418 => "I'm a teapot",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        423 => "Locked",
        424 => "Failed Dependency",
        425 => "Too Early",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        451 => "Unavailable For Legal Reasons",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        506 => "Variant Also Negotiates",
        507 => "Insufficient Storage",
        508 => "Loop Detected",
        510 => "Not Extended",
        511 => "Network Authentication Required",
        _ => "",
    }
}

/// RFC 9110 §5.1: a field name is a non-empty token; anything else could smuggle a colon,
/// whitespace or a line break into the head.
pub fn valid_header_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().copied().all(is_tchar)
}

/// RFC 9110 §5.5: field values are VCHAR / obs-text / SP / HTAB. CR and LF would let a value
/// start a new header or the body (response splitting); NUL and other controls are refused too.
pub fn valid_header_value(value: &[u8]) -> bool {
    value
        .iter()
        .all(|&b| b == b'\t' || (b' '..=b'~').contains(&b) || b >= 0x80)
}

/// Appends a complete response head. `extra_headers` that are not valid fields are skipped
/// (and trip a `debug_assert`, since a handler producing them is a bug); they must not repeat
/// the framing fields written here (content-length, connection).
///
/// RFC 9112 §6.1 / RFC 9110 §8.6: 1xx, 204 and 304 carry no Content-Length and no body.
/// For HEAD, pass the length the GET would have had and write no body.
/// For an HTTP/1.0 client kept alive, pass `connection: keep-alive` in `extra_headers`.
pub fn write_head(
    out: &mut Vec<u8>,
    status: u16,
    date: &[u8],
    content_type: Option<&[u8]>,
    content_length: usize,
    keep_alive: bool,
    extra_headers: &[(&[u8], &[u8])],
) {
    write_framed_head(
        out,
        status,
        date,
        content_type,
        Framing::Length(content_length as u64),
        keep_alive,
        extra_headers,
    );
}

/// How the body after a head is delimited (RFC 9112 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `content-length: n`.
    Length(u64),
    /// `transfer-encoding: chunked`: a stream of unknown length to an HTTP/1.1 client.
    Chunked,
    /// The handler's own `content-length` (among its headers, written as they are): a stream
    /// of a length known in advance.
    Declared(u64),
    /// Neither: the body ends when the connection closes (a stream to an HTTP/1.0 client).
    Unframed,
}

/// `write_head` with the body's framing chosen by the caller.
pub fn write_framed_head(
    out: &mut Vec<u8>,
    status: u16,
    date: &[u8],
    content_type: Option<&[u8]>,
    framing: Framing,
    keep_alive: bool,
    extra_headers: &[(&[u8], &[u8])],
) {
    debug_assert!(
        (100..=999).contains(&status),
        "status {status} is not 3 digits"
    );
    let reason = reason_phrase(status);
    out.reserve(
        96 + reason.len()
            + content_type.map_or(0, <[u8]>::len)
            + extra_headers
                .iter()
                .map(|(n, v)| n.len() + v.len() + 4)
                .sum::<usize>(),
    );

    let mut num = itoa::Buffer::new();
    if status == 200 {
        // Most responses: the status line and the fixed fields before the date in one copy.
        out.extend_from_slice(b"HTTP/1.1 200 OK\r\nserver: django-bolt\r\ndate: ");
    } else {
        out.extend_from_slice(b"HTTP/1.1 ");
        out.extend_from_slice(num.format(status).as_bytes());
        out.push(b' ');
        out.extend_from_slice(reason.as_bytes());
        out.extend_from_slice(b"\r\nserver: django-bolt\r\ndate: ");
    }
    out.extend_from_slice(date);
    out.extend_from_slice(b"\r\n");

    if let Some(ct) = content_type {
        // The JSON type every API response carries is known valid: no byte-by-byte check.
        if ct == b"application/json" || valid_header_value(ct) {
            out.extend_from_slice(b"content-type: ");
            out.extend_from_slice(ct);
            out.extend_from_slice(b"\r\n");
        } else {
            debug_assert!(false, "invalid content-type value {ct:?}");
        }
    }

    let bodiless = status < 200 || status == 204 || status == 304;
    if !bodiless {
        match framing {
            Framing::Length(n) => {
                out.extend_from_slice(b"content-length: ");
                out.extend_from_slice(num.format(n).as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            Framing::Chunked => out.extend_from_slice(b"transfer-encoding: chunked\r\n"),
            Framing::Declared(_) | Framing::Unframed => {}
        }
    }

    // RFC 9112 §9.6: announce the close so the client does not reuse the connection.
    if !keep_alive {
        out.extend_from_slice(b"connection: close\r\n");
    }

    for &(name, value) in extra_headers {
        if valid_header_name(name) && valid_header_value(value) {
            out.extend_from_slice(name);
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        } else {
            debug_assert!(false, "invalid header skipped: {name:?}: {value:?}");
        }
    }
    out.extend_from_slice(b"\r\n");
}

/// Appends a whole response as the connection sends it: the head (`write_head`), then the body
/// unless the request was HEAD or the status carries none. A response with a `source` gets its
/// head only, framed for that source (`framing_of`); the caller sends the body after it.
pub fn write_response(
    out: &mut Vec<u8>,
    resp: &Response,
    date: &[u8],
    keep_alive: bool,
    head_only: bool,
    http10: bool,
) {
    // The connection's fate is the writer's to say: a handler's own `Connection` header would
    // stand beside (or contradict) the `connection: close` written when the connection ends.
    let mut headers: Vec<(&[u8], &[u8])> = resp
        .headers
        .iter()
        .filter(|(k, _)| keep_alive || !k.eq_ignore_ascii_case(b"connection"))
        .map(|(k, v)| (k.as_slice(), v.as_slice()))
        .collect();
    if keep_alive && http10 {
        // HTTP/1.0 closes by default; say that we keep it open (RFC 9112 §9.3).
        headers.push((b"connection", b"keep-alive"));
    }
    write_framed_head(
        out,
        resp.status,
        date,
        resp.content_type.as_deref(),
        framing_of(resp, http10),
        keep_alive,
        &headers,
    );
    if resp.source.is_none() && !head_only && !matches!(resp.status, 100..=199 | 204 | 304) {
        out.extend_from_slice(&resp.body);
    }
}

/// How `resp`'s body is delimited on the wire. A stream whose handler set content-length
/// keeps it (the sender must send exactly that many bytes); otherwise HTTP/1.1 clients get it
/// chunked and HTTP/1.0 clients until the close (the caller must not keep that connection alive).
pub fn framing_of(resp: &Response, http10: bool) -> Framing {
    match &resp.source {
        None => Framing::Length(resp.body.len() as u64),
        Some(BodySource::File { len, .. }) => Framing::Length(*len),
        Some(BodySource::Stream(_)) => {
            let declared = resp
                .headers
                .iter()
                .find(|(k, _)| k == b"content-length")
                .and_then(|(_, v)| std::str::from_utf8(v).ok()?.trim().parse().ok());
            match declared {
                Some(n) => Framing::Declared(n),
                None if http10 => Framing::Unframed,
                None => Framing::Chunked,
            }
        }
    }
}

/// One chunk of a chunked body (RFC 9112 §7.1); empty `data` writes nothing (a zero-size
/// chunk would end the body).
pub fn write_chunk(out: &mut Vec<u8>, data: &[u8]) {
    if data.is_empty() {
        return;
    }
    out.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// The last chunk of a chunked body, with no trailers.
pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

#[cfg(test)]
mod tests {
    use super::*;

    const DATE: &[u8] = b"Sun, 06 Nov 1994 08:49:37 GMT";

    fn vary_of(r: &Response) -> Vec<&[u8]> {
        r.headers
            .iter()
            .filter(|(n, _)| n == b"vary")
            .map(|(_, v)| v.as_slice())
            .collect()
    }

    #[test]
    fn add_vary_merges_into_one_header() {
        let mut r = Response::json(200, Vec::new());
        r.add_vary("accept");
        assert_eq!(vary_of(&r), [b"accept".as_slice()]);
        r.add_vary("accept-encoding");
        assert_eq!(vary_of(&r), [b"accept, accept-encoding".as_slice()]);
        // Already there (any case), or covered by `*`: unchanged.
        r.add_vary("accept");
        let mut own = Response::json(200, Vec::new()).with_header(b"vary", b"Accept");
        own.add_vary("accept");
        assert_eq!(vary_of(&own), [b"Accept".as_slice()]);
        let mut star = Response::json(200, Vec::new()).with_header(b"vary", b"*");
        star.add_vary("accept");
        assert_eq!(vary_of(&star), [b"*".as_slice()]);
        let mut empty = Response::json(200, Vec::new()).with_header(b"vary", b" ");
        empty.add_vary("origin");
        assert_eq!(vary_of(&empty), [b"origin".as_slice()]);
        assert_eq!(vary_of(&r), [b"accept, accept-encoding".as_slice()]);
    }

    fn head(
        status: u16,
        ct: Option<&[u8]>,
        len: usize,
        keep_alive: bool,
        extra: &[(&[u8], &[u8])],
    ) -> String {
        let mut out = Vec::new();
        write_head(&mut out, status, DATE, ct, len, keep_alive, extra);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn writes_a_json_response_head() {
        assert_eq!(
            head(200, Some(b"application/json"), 13, true, &[]),
            "HTTP/1.1 200 OK\r\nserver: django-bolt\r\ndate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
             content-type: application/json\r\ncontent-length: 13\r\n\r\n"
        );
    }

    #[test]
    fn writes_close_and_extra_headers_in_order() {
        assert_eq!(
            head(404, None, 0, false, &[(b"x-a", b"1"), (b"allow", b"GET, HEAD")]),
            "HTTP/1.1 404 Not Found\r\nserver: django-bolt\r\ndate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
             content-length: 0\r\nconnection: close\r\nx-a: 1\r\nallow: GET, HEAD\r\n\r\n"
        );
    }

    #[test]
    fn bodiless_statuses_have_no_content_length() {
        for (status, why) in [
            (204, "No Content (RFC 9110 §8.6)"),
            (304, "Not Modified"),
            (101, "1xx"),
            (103, "1xx"),
        ] {
            let h = head(status, None, 5, true, &[]);
            assert!(!h.contains("content-length"), "{why}: {h}");
            assert!(h.ends_with("\r\n\r\n"), "{why}");
        }
        assert!(
            head(205, None, 0, true, &[]).contains("content-length: 0"),
            "205 is not bodiless"
        );
    }

    #[test]
    fn unknown_status_has_empty_reason() {
        assert!(head(299, None, 0, true, &[]).starts_with("HTTP/1.1 299 \r\n"));
    }

    #[test]
    fn reason_phrases() {
        for (code, phrase) in [
            (100, "Continue"),
            (200, "OK"),
            (301, "Moved Permanently"),
            (405, "Method Not Allowed"),
            (413, "Content Too Large"),
            (414, "URI Too Long"),
            (422, "Unprocessable Content"),
            (431, "Request Header Fields Too Large"),
            (505, "HTTP Version Not Supported"),
            (511, "Network Authentication Required"),
        ] {
            assert_eq!(reason_phrase(code), phrase);
        }
    }

    #[test]
    fn header_validity_table() {
        let names: &[(&[u8], bool, &str)] = &[
            (b"x-request-id", true, "token"),
            (b"Set-Cookie", true, "mixed case is still a token"),
            (b"", false, "empty"),
            (b"x a", false, "space"),
            (b"x:a", false, "colon"),
            (b"x\r\nevil", false, "CRLF injection"),
        ];
        for (n, ok, why) in names {
            assert_eq!(valid_header_name(n), *ok, "{why}");
        }
        let values: &[(&[u8], bool, &str)] = &[
            (b"text/plain; charset=utf-8", true, "ordinary"),
            (b"", true, "empty"),
            (b"a\tb", true, "HTAB"),
            ("café".as_bytes(), true, "obs-text"),
            (b"a\r\nset-cookie: x", false, "CRLF injection"),
            (b"a\nb", false, "LF"),
            (b"a\rb", false, "CR"),
            (b"a\x00b", false, "NUL"),
            (b"a\x7fb", false, "DEL"),
        ];
        for (v, ok, why) in values {
            assert_eq!(valid_header_value(v), *ok, "{why}");
        }
    }

    /// Skipping is the release behaviour; in debug builds the bug is loud instead.
    #[test]
    #[cfg_attr(debug_assertions, should_panic(expected = "invalid header skipped"))]
    fn skips_header_injection() {
        let h = head(
            200,
            None,
            0,
            true,
            &[(b"x-ok", b"1"), (b"x-bad", b"1\r\nset-cookie: a=b")],
        );
        assert!(!h.contains("set-cookie"));
        assert!(h.contains("x-ok: 1\r\n"));
    }

    fn streamed(headers: Vec<(Vec<u8>, Vec<u8>)>, http10: bool, keep_alive: bool) -> String {
        let resp = Response {
            status: 200,
            content_type: Some(b"text/plain".to_vec()),
            body: Vec::new(),
            headers,
            source: Some(BodySource::Stream(1)),
        };
        let mut out = Vec::new();
        write_response(&mut out, &resp, DATE, keep_alive, false, http10);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_stream_is_chunked_for_http11_and_unframed_for_http10() {
        let h = streamed(Vec::new(), false, true);
        assert!(h.contains("transfer-encoding: chunked\r\n"), "{h}");
        assert!(!h.contains("content-length"), "{h}");
        let h = streamed(Vec::new(), true, false);
        assert!(
            !h.contains("transfer-encoding") && !h.contains("content-length"),
            "{h}"
        );
        assert!(h.contains("connection: close"), "{h}");
    }

    #[test]
    fn a_handlers_connection_header_is_not_written_beside_the_close() {
        let mut resp = Response::detail(503, "shutting down");
        resp.headers
            .push((b"Connection".to_vec(), b"close".to_vec()));
        let mut out = Vec::new();
        write_response(&mut out, &resp, DATE, false, false, false);
        let h = String::from_utf8(out).unwrap().to_ascii_lowercase();
        assert_eq!(h.matches("\r\nconnection:").count(), 1, "{h}");
    }

    #[test]
    fn a_stream_with_its_own_content_length_keeps_it_once() {
        let h = streamed(
            vec![(b"content-length".to_vec(), b"5".to_vec())],
            false,
            true,
        );
        assert_eq!(h.matches("content-length").count(), 1, "{h}");
        assert!(!h.contains("transfer-encoding"), "{h}");
    }

    #[test]
    fn a_file_source_is_framed_by_its_length_and_its_body_left_out() {
        let resp = Response {
            status: 206,
            content_type: None,
            body: b"not sent".to_vec(),
            headers: Vec::new(),
            source: Some(BodySource::File {
                path: "/x".into(),
                offset: 10,
                len: 1234,
            }),
        };
        let mut out = Vec::new();
        write_response(&mut out, &resp, DATE, true, false, false);
        let h = String::from_utf8(out).unwrap();
        assert!(
            h.contains("content-length: 1234\r\n") && h.ends_with("\r\n\r\n"),
            "{h}"
        );
    }

    #[test]
    fn chunks_are_hex_sized_and_empty_ones_skipped() {
        let mut out = Vec::new();
        write_chunk(&mut out, b"hello world, 26 bytes long");
        write_chunk(&mut out, b"");
        out.extend_from_slice(LAST_CHUNK);
        assert_eq!(out, b"1a\r\nhello world, 26 bytes long\r\n0\r\n\r\n");
    }

    #[test]
    fn continue_100_is_a_complete_head() {
        assert_eq!(CONTINUE_100, b"HTTP/1.1 100 Continue\r\n\r\n");
    }
}
