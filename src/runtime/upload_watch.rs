//! `File(max_size=...)` checked while a multipart body arrives: a file part that passes its
//! limit is answered 422 `file_too_large` (django-bolt's answer, which it also gives mid-stream)
//! and the connection closed, instead of reading the whole body (up to `--max-body`) first.
//! Content-Length and chunked bodies alike: a chunked one is decoded here as it arrives, since
//! a part's size is a count of decoded bytes. The check after the body is complete
//! (`uploads.with_file_checks`) stays.

use super::core::Core;
use crate::http::upload_scan::{boundary_of, UploadScan};
use crate::http::{self, BodyKind, ChunkedDecoder, Parsed, Response};
use crate::router::Match;
use serde::Serialize;

/// What one connection knows of the body it is reading.
#[derive(Default)]
pub struct UploadWatch {
    /// The head was looked at (route and boundary decided) for the body being read.
    decided: bool,
    /// The body being watched; None: not watched.
    watched: Option<Watched>,
    scan: UploadScan,
}

/// A multipart body for a route with upload limits.
struct Watched {
    /// Where the body starts in the read buffer.
    body_start: usize,
    route: usize,
    boundary: String,
    /// A chunked body: its decoder, the body decoded so far, and how many of the raw bytes
    /// after the head it has been fed (each read is decoded once).
    chunked: Option<(ChunkedDecoder, Vec<u8>, usize)>,
}

impl UploadWatch {
    /// Forget the body just read (its request is complete).
    pub fn reset(&mut self) {
        if self.decided {
            *self = UploadWatch::default();
        }
    }

    /// The refusal for the body arriving in `rbuf` (a head, then part of its body), if one of
    /// its file parts is already over its route's limit.
    pub fn check(&mut self, w: &Core, rbuf: &[u8]) -> Option<Response> {
        if !self.decided {
            self.decided = true;
            self.watched = watched(w, rbuf);
        }
        let watched = self.watched.as_mut()?;
        let limits = &w.app.routes[watched.route].upload_limits;
        let raw = rbuf.get(watched.body_start..)?;
        let body = match &mut watched.chunked {
            None => raw,
            Some((decoder, decoded, fed)) => {
                // A framing error is not ours to answer: `next_request` refuses the body.
                decoder.decode(raw.get(*fed..)?, decoded).ok()?;
                *fed = raw.len();
                decoded.as_slice()
            }
        };
        let t = self.scan.check(body, watched.boundary.as_bytes(), limits)?;
        Some(refusal(&t.field, &t.filename, t.max_size, t.seen))
    }
}

/// The body to watch when the request in `rbuf` is a multipart body (Content-Length or
/// chunked) for a route with upload limits.
fn watched(w: &Core, rbuf: &[u8]) -> Option<Watched> {
    let Ok(Parsed::Complete { head, head_len }) = http::parse_request(rbuf, &w.limits) else {
        return None;
    };
    let chunked = match head.body {
        BodyKind::Length(_) => None,
        BodyKind::Chunked => Some((ChunkedDecoder::new(w.limits.max_body_bytes), Vec::new(), 0)),
        BodyKind::Empty => return None,
    };
    let Match::Found { route, .. } = w.app.router.route_for(head.method, head.path()) else {
        return None;
    };
    if w.app.routes[route].upload_limits.is_empty() {
        return None;
    }
    let ct = std::str::from_utf8(head.header("content-type")?).ok()?;
    let boundary = boundary_of(ct)?.to_owned();
    Some(Watched {
        body_start: head_len,
        route,
        boundary,
        chunked,
    })
}

/// django-bolt's 422 for a file over its `max_size` (the body `uploads.upload_issues` gives once
/// a body is complete; `actual_size` here is what had arrived when it was refused).
fn refusal(field: &str, filename: &str, max_size: usize, seen: usize) -> Response {
    #[derive(Serialize)]
    struct Ctx {
        max_size: usize,
        actual_size: usize,
    }
    #[derive(Serialize)]
    struct Issue<'a> {
        #[serde(rename = "type")]
        kind: &'static str,
        loc: [&'a str; 2],
        msg: String,
        input: &'a str,
        ctx: Ctx,
    }
    #[derive(Serialize)]
    struct Body<'a> {
        detail: [Issue<'a>; 1],
    }
    let body = Body {
        detail: [Issue {
            kind: "file_too_large",
            loc: ["body", field],
            msg: format!("File exceeds maximum size of {max_size} bytes"),
            input: filename,
            ctx: Ctx {
                max_size,
                actual_size: seen,
            },
        }],
    };
    let bytes = sonic_rs::to_vec(&body).unwrap_or_else(|_| b"{\"detail\":[]}".to_vec());
    Response::json(422, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusal_is_the_422_the_complete_body_would_get() {
        let r = refusal("file", "big.bin", 1024, 2000);
        assert_eq!(r.status, 422);
        let body: sonic_rs::Value = sonic_rs::from_slice(&r.body).unwrap();
        let want: sonic_rs::Value = sonic_rs::from_str(
            r#"{"detail":[{"type":"file_too_large","loc":["body","file"],"msg":"File exceeds maximum size of 1024 bytes","input":"big.bin","ctx":{"max_size":1024,"actual_size":2000}}]}"#,
        )
        .unwrap();
        assert_eq!(body, want);
    }
}
