//! Request head parsing: httparse finds the tokens, this module enforces RFC 9112 framing.
//!
//! httparse is deliberately lenient (bare LF, any URI byte, any version it can read); every
//! rule here that is stricter than httparse exists because a lenient reading lets a proxy in
//! front of us and this server disagree about where a request ends (RFC 9112 §11.2).

use std::mem::MaybeUninit;

use memchr::{memchr, memchr2, memchr_iter};

use super::{is_tchar, HttpError};

/// Header slots kept on the stack; a larger `max_headers` falls back to one heap vector.
const INLINE_HEADERS: usize = 64;

/// Size limits; each one has its own status so clients can tell which one they hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of request line plus header section, CRLFs included (exceeding it: 431).
    pub max_head_bytes: usize,
    /// Number of header fields (exceeding it: 431). Default 128: above hyper's 100 and what
    /// browsers and proxies send (nginx bounds only the bytes); `--max-headers` sets it.
    pub max_headers: usize,
    /// Bytes of the request-target as sent (exceeding it: 414).
    pub max_uri_len: usize,
    /// Bytes of decoded body, Content-Length or chunked (exceeding it: 413).
    pub max_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head_bytes: 16 * 1024,
            max_headers: 128,
            max_uri_len: 8 * 1024,
            max_body_bytes: 10 * 1024 * 1024,
        }
    }
}

/// The methods routing distinguishes; anything else stays `Other` with its raw token kept in
/// [`RequestHead::method_str`], so routing can still answer 405 or 404 for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
    Options,
    /// RFC 9110's safe, idempotent method with a body (draft-ietf-httpbis-safe-method-w-body).
    Query,
    Other,
}

impl Method {
    /// Methods are case-sensitive (RFC 9110 §9.1): `get` is a valid, unknown method.
    pub fn from_token(token: &str) -> Method {
        match token {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            "QUERY" => Method::Query,
            _ => Method::Other,
        }
    }

    /// `Other` has no single spelling; use [`RequestHead::method_str`] for it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Query => "QUERY",
            Method::Other => "OTHER",
        }
    }
}

/// How the body that follows the head is framed (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// No body: neither header present, or `Content-Length: 0`.
    Empty,
    /// Exactly this many bytes follow the head (never 0, never above `max_body_bytes`).
    Length(usize),
    /// Decode with [`super::ChunkedDecoder`].
    Chunked,
}

/// An owned request head, so the read buffer can be reused while the handler runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    pub method: Method,
    /// The method token as sent.
    pub method_str: String,
    /// The request-target as sent, except absolute-form (`http://host/p?q`), which is reduced
    /// to its origin-form part (`/p?q`) so that `path()` and `query()` work the same way.
    pub target: String,
    /// `target[..path_len]` is the path; the query (if any) follows a `?` at `path_len`.
    pub path_len: usize,
    /// 0 or 1 (`HTTP/1.0` or `HTTP/1.1`).
    pub minor_version: u8,
    /// Names lower-cased, in the order received; values as sent, minus surrounding whitespace.
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: BodyKind,
    pub keep_alive: bool,
    pub expect_continue: bool,
}

/// A complete request as the layers above the wire see it: head, body and the peer address.
pub struct Request<'a> {
    pub head: &'a RequestHead,
    pub body: &'a [u8],
    pub client: &'a str,
    /// The client reached us over TLS itself. bolt's sockets speak plain HTTP, so only the test
    /// client sets it (an `https://` base URL); behind a proxy the scheme comes from its
    /// `X-Forwarded-Proto` (`TrustedProxies::scheme`).
    pub secure: bool,
}

impl RequestHead {
    pub fn path(&self) -> &str {
        &self.target[..self.path_len]
    }

    pub fn query(&self) -> Option<&str> {
        self.target.get(self.path_len + 1..)
    }

    /// First value of a header; `lower_name` must already be lower-case.
    /// Cookies from every `Cookie` header (RFC 6265 §5.4: `a=1; b=2`), quotes removed.
    pub fn cookies(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (k, v) in &self.headers {
            if k != "cookie" {
                continue;
            }
            for part in String::from_utf8_lossy(v).split(';') {
                if let Some((name, value)) = part.split_once('=') {
                    let value = value.trim();
                    let value = value
                        .strip_prefix('"')
                        .and_then(|x| x.strip_suffix('"'))
                        .unwrap_or(value);
                    out.push((name.trim().to_owned(), value.to_owned()));
                }
            }
        }
        out
    }

    pub fn header(&self, lower_name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n == lower_name)
            .map(|(_, v)| v.as_slice())
    }
}

/// The outcome of one parse attempt on the bytes read so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// Read more bytes and call again with the whole buffer.
    Partial,
    /// `head_len` bytes of the buffer were the head; the body (if any) starts there.
    Complete { head: RequestHead, head_len: usize },
}

/// Parse one request head from the start of buf. Partial if the head is not complete yet
/// (but error with 431 as soon as buf holds more than max_head_bytes without a complete head).
pub fn parse_request(buf: &[u8], limits: &Limits) -> Result<Parsed, HttpError> {
    let mut inline = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; INLINE_HEADERS];
    let mut heap;
    let slots: &mut [MaybeUninit<httparse::Header<'_>>] = if limits.max_headers <= INLINE_HEADERS {
        &mut inline[..limits.max_headers]
    } else {
        heap = Vec::with_capacity(limits.max_headers);
        heap.resize_with(limits.max_headers, MaybeUninit::uninit);
        &mut heap
    };

    let mut req = httparse::Request::new(&mut []);
    let head_len = match req.parse_with_uninit_headers(buf, slots) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => {
            // RFC 9112 §3: a server that receives a request-target longer than it will parse
            // MUST respond 414; detect it before the line is complete so a slow client cannot
            // make us buffer the whole thing.
            if partial_target_len(buf) > limits.max_uri_len {
                return Err(HttpError::UriTooLong);
            }
            // RFC 9110 §15.5.20 (431): the head is bounded even while incomplete.
            if buf.len() > limits.max_head_bytes {
                return Err(HttpError::HeadTooLarge);
            }
            return Ok(Parsed::Partial);
        }
        Err(e) => {
            let err = diagnose(buf, e);
            // A syntax error in an over-long line is still "too long" to the client.
            if matches!(err, HttpError::InvalidTarget | HttpError::InvalidVersion)
                && partial_target_len(buf) > limits.max_uri_len
            {
                return Err(HttpError::UriTooLong);
            }
            return Err(err);
        }
    };

    let target = req.path.unwrap_or("");
    if target.len() > limits.max_uri_len {
        return Err(HttpError::UriTooLong);
    }
    if head_len > limits.max_head_bytes {
        return Err(HttpError::HeadTooLarge);
    }

    // RFC 9112 §2.2: a recipient MAY accept a bare LF as a line terminator; we do not, because
    // an intermediary that does not would see a different message (§11.2).
    let head_bytes = &buf[..head_len];
    for i in memchr_iter(b'\n', head_bytes) {
        if i == 0 || head_bytes[i - 1] != b'\r' {
            return Err(HttpError::BareLf);
        }
    }

    let method_str = req.method.unwrap_or("");
    let method = Method::from_token(method_str);
    let minor_version = req.version.unwrap_or(1);

    let (target, authority) = check_target(target, method)?;

    let mut headers: Vec<(String, Vec<u8>)> = Vec::with_capacity(req.headers.len());
    // The value is parsed after every field is seen: with Transfer-Encoding also present the
    // request is refused for sending both, whatever the length says.
    let mut content_length: Option<&[u8]> = None;
    let mut chunked = false;
    let mut host_index: Option<usize> = None;
    let mut conn_close = false;
    let mut conn_keep_alive = false;
    let mut expect_continue = false;

    for h in req.headers.iter() {
        let name = h.name.to_ascii_lowercase();
        let value = h.value;
        match name.as_str() {
            "content-length" => {
                // RFC 9112 §6.3 (5) allows folding identical values into one; we refuse any
                // repetition instead, so no two parsers can pick different lengths.
                if content_length.is_some() {
                    return Err(HttpError::DuplicateContentLength);
                }
                content_length = Some(value);
            }
            "transfer-encoding" => {
                // RFC 9112 §6.1: a server MAY treat Transfer-Encoding in an HTTP/1.0 request
                // as faulty and MUST then close; 1.0 had no chunked coding, so we refuse it.
                if minor_version == 0 {
                    return Err(HttpError::TransferEncodingHttp10);
                }
                // RFC 9112 §6.1: any coding list must end in chunked, else 400. We accept only
                // the plain `chunked` list: we decode no other coding, and `chunked, chunked`
                // or split headers are classic smuggling shapes.
                if chunked {
                    return Err(HttpError::DuplicateTransferEncoding);
                }
                if !trim_ows(value).eq_ignore_ascii_case(b"chunked") {
                    return Err(HttpError::UnsupportedTransferEncoding);
                }
                chunked = true;
            }
            "host" => {
                // RFC 9112 §3.2: a server MUST respond 400 to more than one Host field.
                if host_index.is_some() {
                    return Err(HttpError::DuplicateHost);
                }
                host_index = Some(headers.len());
            }
            "connection" => {
                // RFC 9112 §9.3 / §9.6: `close` ends the connection after this response;
                // `keep-alive` only matters for HTTP/1.0, whose default is close.
                for token in value.split(|&b| b == b',') {
                    let token = trim_ows(token);
                    if token.eq_ignore_ascii_case(b"close") {
                        conn_close = true;
                    } else if token.eq_ignore_ascii_case(b"keep-alive") {
                        conn_keep_alive = true;
                    }
                }
            }
            // RFC 9110 §10.1.1: a server MUST ignore 100-continue from HTTP/1.0 clients.
            "expect"
                if minor_version == 1 && trim_ows(value).eq_ignore_ascii_case(b"100-continue") =>
            {
                expect_continue = true;
            }
            _ => {}
        }
        headers.push((name, value.to_vec()));
    }

    // RFC 9112 §6.1: a server MAY process both by letting Transfer-Encoding win, but the
    // sender is either broken or smuggling (§11.2); refuse and close.
    if chunked && content_length.is_some() {
        return Err(HttpError::ContentLengthWithTransferEncoding);
    }
    let content_length = content_length.map(parse_content_length).transpose()?;

    // RFC 9112 §3.2: an HTTP/1.1 request without Host MUST get a 400; HTTP/1.0 predates Host.
    match host_index {
        None if minor_version == 1 => return Err(HttpError::MissingHost),
        // RFC 9112 §3.2.2: with absolute-form the Host field is replaced by the target's
        // authority, so the application sees the host the request was really sent to.
        Some(i) => {
            if let Some(authority) = authority {
                headers[i].1 = authority.as_bytes().to_vec();
            }
        }
        None => {}
    }

    // RFC 9112 §6.3: Transfer-Encoding chunked (4), else Content-Length (6), else no body (7).
    let body = if chunked {
        BodyKind::Chunked
    } else {
        match content_length {
            None | Some(0) => BodyKind::Empty,
            Some(n) => match usize::try_from(n) {
                Ok(n) if n <= limits.max_body_bytes => BodyKind::Length(n),
                _ => return Err(HttpError::BodyTooLarge),
            },
        }
    };

    // RFC 9112 §9.3: 1.1 is persistent unless `close`; 1.0 only with `keep-alive`.
    let keep_alive = !conn_close && (minor_version == 1 || conn_keep_alive);

    let path_len = memchr(b'?', target.as_bytes()).unwrap_or(target.len());
    Ok(Parsed::Complete {
        head: RequestHead {
            method,
            method_str: method_str.to_owned(),
            target: target.to_owned(),
            path_len,
            minor_version,
            headers,
            body,
            keep_alive,
            expect_continue,
        },
        head_len,
    })
}

/// Checks the request-target and returns its origin-form part plus, for absolute-form, the
/// authority that replaces Host.
fn check_target(target: &str, method: Method) -> Result<(&str, Option<&str>), HttpError> {
    // RFC 9112 §3.2 allows only URI characters. httparse also passes UTF-8 above 0x7F and
    // `#`; both are refused: raw UTF-8 is not a URI, and a fragment is never sent (§3.2).
    if target
        .bytes()
        .any(|b| !(0x21..0x7F).contains(&b) || b == b'#')
    {
        return Err(HttpError::InvalidTarget);
    }
    // RFC 9112 §3.2 / RFC 3986 §2: `<`, `>` and `` ` `` are in no URI, nor `"` in a query.
    // Refused as hyper (the http crate's Uri) refuses them; the other bytes RFC 3986 leaves
    // out (`"{}|\^` in a path) are let through as there: real clients send JSON in paths.
    // A target one server refuses and another serves splits a proxy chain's view (§11.2).
    let query_at = memchr(b'?', target.as_bytes()).unwrap_or(target.len());
    let (path_part, query_part) = target.as_bytes().split_at(query_at);
    if path_part.iter().any(|b| matches!(b, b'<' | b'>' | b'`'))
        || query_part.iter().any(|b| matches!(b, b'<' | b'>' | b'"'))
    {
        return Err(HttpError::InvalidTarget);
    }
    let bytes = target.as_bytes();
    // RFC 9112 §3.2.1 origin-form: the common case.
    if bytes.first() == Some(&b'/') {
        return Ok((target, None));
    }
    // RFC 9112 §3.2.4 asterisk-form: only for a server-wide OPTIONS.
    if target == "*" {
        return if method == Method::Options {
            Ok((target, None))
        } else {
            Err(HttpError::InvalidTarget)
        };
    }
    // RFC 9112 §3.2.2: a server MUST accept absolute-form. Only http(s) URIs name us; the
    // authority must be non-empty and carry no userinfo (RFC 9110 §4.2.4).
    let rest = strip_prefix_ignore_case(target, "http://")
        .or_else(|| strip_prefix_ignore_case(target, "https://"))
        .ok_or(HttpError::InvalidTarget)?;
    let end = memchr2(b'/', b'?', rest.as_bytes()).unwrap_or(rest.len());
    let (authority, origin) = rest.split_at(end);
    if authority.is_empty() || authority.contains('@') || !is_host_port(authority) {
        return Err(HttpError::InvalidTarget);
    }
    // An empty path becomes "/" (RFC 9112 §3.2.1); `http://h?q` is "/?q", which we cannot
    // borrow from the input, so that rare shape is refused rather than allocated here.
    if origin.is_empty() {
        return Ok(("/", Some(authority)));
    }
    if !origin.starts_with('/') {
        return Err(HttpError::InvalidTarget);
    }
    Ok((origin, Some(authority)))
}

/// RFC 3986 §3.2.2-3.2.3: `host [":" port]`, host a bracketed IPv6 literal or a reg-name of
/// unreserved and sub-delim characters, port at most 65535. Stricter than the RFC in refusing
/// percent-encoding and an empty port, as hyper's Uri does (the h1_differential fuzz target
/// found `http://%:8/` served here and refused there): the Host the application sees must be
/// one every hop reads the same way.
fn is_host_port(authority: &str) -> bool {
    let port = if let Some(rest) = authority.strip_prefix('[') {
        let Some((ip, after)) = rest.split_once(']') else {
            return false;
        };
        if ip.is_empty()
            || !ip
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return false;
        }
        match after {
            "" => return true,
            _ => match after.strip_prefix(':') {
                Some(port) => port,
                None => return false,
            },
        }
    } else {
        let (host, port) = authority.rsplit_once(':').unwrap_or((authority, "0"));
        let reg_name = |b: u8| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&b);
        if host.is_empty() || !host.bytes().all(reg_name) {
            return false;
        }
        port
    };
    !port.is_empty()
        && port.len() <= 5
        && port.bytes().all(|b| b.is_ascii_digit())
        && port.parse::<u32>().is_ok_and(|p| p <= 65535)
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// RFC 9110 §8.6: `Content-Length = 1*DIGIT`. No sign, no list, no whitespace inside.
fn parse_content_length(value: &[u8]) -> Result<u64, HttpError> {
    let value = trim_ows(value);
    if value.is_empty() {
        return Err(HttpError::InvalidContentLength);
    }
    let mut n: u64 = 0;
    for &b in value {
        if !b.is_ascii_digit() {
            return Err(HttpError::InvalidContentLength);
        }
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(b - b'0')))
            .ok_or(HttpError::InvalidContentLength)?;
    }
    Ok(n)
}

/// Strips optional whitespace (SP / HTAB, RFC 9110 §5.6.3) from both ends.
fn trim_ows(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

/// Length of the request-target seen so far, even if its line is not complete yet.
fn partial_target_len(buf: &[u8]) -> usize {
    let start = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len());
    let line = &buf[start..];
    let Some(sp) = memchr(b' ', line) else {
        return 0;
    };
    let rest = &line[sp + 1..];
    memchr2(b' ', b'\n', rest).unwrap_or(rest.len())
}

/// Turns httparse's coarse error into the specific rule that was broken, by re-reading the
/// lines up to the failure. Only runs on the error path, so it favours clarity over speed.
fn diagnose(buf: &[u8], err: httparse::Error) -> HttpError {
    if err == httparse::Error::TooManyHeaders {
        return HttpError::TooManyHeaders;
    }
    let start = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len());
    let rest = &buf[start..];
    let mut lines = rest.split(|&b| b == b'\n');
    let request_line = lines.next().unwrap_or(b"");
    let request_line_done = memchr(b'\n', rest).is_some();
    if let Some(e) = request_line_error(request_line, request_line_done) {
        return e;
    }
    for line in lines {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if let Some(e) = header_line_error(line) {
            return e;
        }
    }
    match err {
        httparse::Error::HeaderName => HttpError::InvalidHeaderName,
        httparse::Error::HeaderValue => HttpError::InvalidHeaderValue,
        httparse::Error::NewLine => HttpError::InvalidLineEnding,
        httparse::Error::Token => HttpError::InvalidTarget,
        _ => HttpError::InvalidVersion,
    }
}

fn request_line_error(line: &[u8], complete: bool) -> Option<HttpError> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut parts = line.splitn(3, |&b| b == b' ');
    let method = parts.next().unwrap_or(b"");
    let Some(target) = parts.next() else {
        // RFC 9110 §9.1 / §5.6.2: the method is a non-empty token.
        return (method.is_empty() || !method.iter().copied().all(is_tchar))
            .then_some(HttpError::InvalidMethod);
    };
    if method.is_empty() || !method.iter().copied().all(is_tchar) {
        return Some(HttpError::InvalidMethod);
    }
    let Some(version) = parts.next() else {
        return if target.is_empty() || target.iter().any(|&b| !(0x21..0x7F).contains(&b)) {
            Some(HttpError::InvalidTarget)
        } else {
            // `GET /` with no version is HTTP/0.9, which is not supported.
            complete.then_some(HttpError::InvalidVersion)
        };
    };
    if target.is_empty() || target.iter().any(|&b| b < 0x21 || b == 0x7F) {
        return Some(HttpError::InvalidTarget);
    }
    if std::str::from_utf8(target).is_err() {
        return Some(HttpError::InvalidTarget);
    }
    if memchr(b'\r', version).is_some() {
        return Some(HttpError::InvalidLineEnding);
    }
    // RFC 9112 §2.3: `HTTP/<major>.<minor>`. Another major version (the HTTP/2 preface is
    // `PRI * HTTP/2.0`) is well-formed but not ours: 505 (RFC 9110 §15.6.6). Anything else
    // that is not 1.0 / 1.1, including 1.2, is 400: this server refuses to guess.
    if let [b'H', b'T', b'T', b'P', b'/', major, ..] = version {
        if major.is_ascii_digit() && *major != b'1' {
            return Some(HttpError::VersionNotSupported);
        }
    }
    let ok = |v: &[u8]| version == v || (!complete && v.starts_with(version));
    if ok(b"HTTP/1.1") || ok(b"HTTP/1.0") {
        None
    } else {
        Some(HttpError::InvalidVersion)
    }
}

fn header_line_error(line: &[u8]) -> Option<HttpError> {
    if memchr(b'\r', line).is_some() {
        return Some(HttpError::InvalidLineEnding);
    }
    // RFC 9112 §5.2: a server MUST reject obs-fold (or replace it; we reject). A line starting
    // with whitespace right after the request line is refused too (RFC 9112 §2.2).
    if matches!(line.first(), Some(b' ' | b'\t')) {
        return Some(HttpError::ObsFold);
    }
    let Some(colon) = memchr(b':', line) else {
        return Some(HttpError::InvalidHeaderName);
    };
    let name = &line[..colon];
    // RFC 9112 §5.1: whitespace between name and colon MUST be answered with 400.
    if matches!(name.last(), Some(b' ' | b'\t')) {
        return Some(HttpError::WhitespaceBeforeColon);
    }
    if name.is_empty() || !name.iter().copied().all(is_tchar) {
        return Some(HttpError::InvalidHeaderName);
    }
    // RFC 9110 §5.5: field values are VCHAR / obs-text / SP / HTAB.
    let value = &line[colon + 1..];
    if value.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7F) {
        return Some(HttpError::InvalidHeaderValue);
    }
    None
}

#[cfg(test)]
mod tests;
