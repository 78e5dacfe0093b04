//! Where the next request in a read buffer ends (RFC 9112 §6.3): its head, then a body framed
//! by Content-Length or chunked. Pure over the bytes read so far, so the connection loop and the
//! `h1_framing` fuzz target run the same decision.

use super::RequestHead;
use super::{parse_request, BodyKind, ChunkStatus, ChunkedDecoder, HttpError, Limits, Parsed};

/// What to do with the bytes at the front of the read buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Framed {
    /// A complete request: its head, its decoded body and how many buffer bytes it used.
    Request {
        head: RequestHead,
        body: Vec<u8>,
        used: usize,
    },
    /// Read more. `in_body`: the head is complete and the body is still arriving (the body
    /// timeout applies, not the head deadline).
    NeedMore {
        expect_continue: bool,
        in_body: bool,
    },
    /// Refuse with this error's status and close.
    Reject(HttpError),
}

/// Frames the request at the start of `buf`. Calling it again with more bytes appended gives
/// either `NeedMore` again or the decision the whole input gives (the fuzz target checks this).
pub fn next_request(buf: &[u8], limits: &Limits) -> Framed {
    let (head, head_len) = match parse_request(buf, limits) {
        Ok(Parsed::Partial) => {
            return Framed::NeedMore {
                expect_continue: false,
                in_body: false,
            }
        }
        Ok(Parsed::Complete { head, head_len }) => (head, head_len),
        Err(e) => return Framed::Reject(e),
    };
    let rest = &buf[head_len..];
    let need_body = |head: &RequestHead| Framed::NeedMore {
        expect_continue: head.expect_continue,
        in_body: true,
    };
    match head.body {
        BodyKind::Empty => Framed::Request {
            head,
            body: Vec::new(),
            used: head_len,
        },
        BodyKind::Length(n) => {
            if rest.len() >= n {
                let body = rest[..n].to_vec();
                Framed::Request {
                    head,
                    body,
                    used: head_len + n,
                }
            } else {
                need_body(&head)
            }
        }
        BodyKind::Chunked => {
            // Decoded from the start each time more bytes arrive: bodies are bounded by
            // max_body_bytes, and this keeps no half-parsed state across reads.
            let mut dec = ChunkedDecoder::new(limits.max_body_bytes);
            let mut body = Vec::new();
            match dec.decode(rest, &mut body) {
                Ok(ChunkStatus::Done { consumed }) => Framed::Request {
                    head,
                    body,
                    used: head_len + consumed,
                },
                Ok(ChunkStatus::NeedMore { .. }) => need_body(&head),
                Err(e) => Framed::Reject(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits::default()
    }

    /// RFC 9112 §6.3's framing rules for a request, as a table: the Transfer-Encoding and
    /// Content-Length fields sent, and the decision (body length, chunked, or the refusal).
    /// Where the RFC allows a choice (both fields: "MAY reject"), the row states ours.
    #[test]
    fn framing_follows_rfc_9112_section_6_3() {
        #[derive(Debug, PartialEq)]
        enum Want {
            Len(usize),
            Chunked,
            Refused(HttpError),
        }
        use Want::*;
        let rows: &[(&[&str], Want)] = &[
            // §6.3 (7): neither field: no body.
            (&[], Len(0)),
            // §6.3 (6): a valid Content-Length is the body length.
            (&["Content-Length: 5"], Len(5)),
            (&["Content-Length: 0"], Len(0)),
            (&["Content-Length:  7 "], Len(7)),
            // §6.3 (5): invalid or differing lengths are unrecoverable: 400. Repeated equal
            // values MAY be accepted; we refuse every repetition (request.rs says why).
            (
                &["Content-Length: 5, 5"],
                Refused(HttpError::InvalidContentLength),
            ),
            (
                &["Content-Length: 5", "Content-Length: 6"],
                Refused(HttpError::DuplicateContentLength),
            ),
            (
                &["Content-Length: 5", "Content-Length: 5"],
                Refused(HttpError::DuplicateContentLength),
            ),
            (
                &["Content-Length: -1"],
                Refused(HttpError::InvalidContentLength),
            ),
            (
                &["Content-Length: +5"],
                Refused(HttpError::InvalidContentLength),
            ),
            (
                &["Content-Length: 0x10"],
                Refused(HttpError::InvalidContentLength),
            ),
            (
                &["Content-Length: "],
                Refused(HttpError::InvalidContentLength),
            ),
            (
                &["Content-Length: 99999999999999999999999"],
                Refused(HttpError::InvalidContentLength),
            ),
            // §6.3 (4): chunked as the final coding frames the body.
            (&["Transfer-Encoding: chunked"], Chunked),
            (&["Transfer-Encoding: CHUNKED"], Chunked),
            // §6.3 (4): a request whose final coding is not chunked: 400 and close.
            (
                &["Transfer-Encoding: gzip"],
                Refused(HttpError::UnsupportedTransferEncoding),
            ),
            // A coding list ending in chunked is valid per §6.1, but we decode no other
            // coding, so it is refused too.
            (
                &["Transfer-Encoding: gzip, chunked"],
                Refused(HttpError::UnsupportedTransferEncoding),
            ),
            (
                &["Transfer-Encoding: chunked", "Transfer-Encoding: chunked"],
                Refused(HttpError::DuplicateTransferEncoding),
            ),
            // §6.3 (3): both fields: TE overrides CL, and the message MAY be rejected as
            // smuggling (§6.1); we reject it.
            (
                &["Transfer-Encoding: chunked", "Content-Length: 5"],
                Refused(HttpError::ContentLengthWithTransferEncoding),
            ),
            (
                &["Content-Length: 5", "Transfer-Encoding: chunked"],
                Refused(HttpError::ContentLengthWithTransferEncoding),
            ),
            // Found by h1_differential: with both, the refusal is for sending both, even when
            // the length is not a number (it used to name the length).
            (
                &["Transfer-Encoding: chunked", "Content-Length: 4S/ HTTP/1.1"],
                Refused(HttpError::ContentLengthWithTransferEncoding),
            ),
            (
                &["Content-Length: x", "Transfer-Encoding: chunked"],
                Refused(HttpError::ContentLengthWithTransferEncoding),
            ),
        ];
        for (fields, want) in rows {
            let mut req = b"POST /x HTTP/1.1\r\nHost: h\r\n".to_vec();
            for f in *fields {
                req.extend_from_slice(f.as_bytes());
                req.extend_from_slice(b"\r\n");
            }
            req.extend_from_slice(b"\r\n");
            let got = match parse_request(&req, &limits()) {
                Ok(Parsed::Complete { head, .. }) => match head.body {
                    BodyKind::Empty => Len(0),
                    BodyKind::Length(n) => Len(n),
                    BodyKind::Chunked => Chunked,
                },
                Ok(Parsed::Partial) => panic!("{fields:?}: partial"),
                Err(e) => Refused(e),
            };
            assert_eq!(&got, want, "{fields:?}");
        }
    }

    /// §6.1: Transfer-Encoding in an HTTP/1.0 request is faulty: refused and closed.
    #[test]
    fn transfer_encoding_on_http10_is_refused() {
        let req = b"POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
        assert_eq!(
            next_request(req, &limits()),
            Framed::Reject(HttpError::TransferEncodingHttp10)
        );
    }

    #[test]
    fn body_in_progress_is_reported_as_such() {
        let l = limits();
        let head_only = b"GET /x HTTP/1.1\r\nHost: h\r\n";
        assert_eq!(
            next_request(head_only, &l),
            Framed::NeedMore {
                expect_continue: false,
                in_body: false
            }
        );
        let part = b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nab";
        assert_eq!(
            next_request(part, &l),
            Framed::NeedMore {
                expect_continue: false,
                in_body: true
            }
        );
        let chunk = b"POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab";
        assert!(matches!(
            next_request(chunk, &l),
            Framed::NeedMore { in_body: true, .. }
        ));
    }

    /// Every prefix of a pipelined pair frames as "need more" or as the whole input does.
    #[test]
    fn prefixes_agree_with_the_whole_input() {
        let l = limits();
        let whole: &[u8] = b"POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\
            3;x=y\r\nabc\r\n0\r\nT: v\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n";
        let full = next_request(whole, &l);
        let Framed::Request { ref body, used, .. } = full else {
            panic!("{full:?}")
        };
        assert_eq!(body, b"abc");
        assert_eq!(&whole[used..], b"GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
        for n in 0..whole.len() {
            match next_request(&whole[..n], &l) {
                Framed::NeedMore { .. } => assert!(n < used, "need more at {n}"),
                other => assert_eq!(other, full, "prefix {n}"),
            }
        }
    }
}
