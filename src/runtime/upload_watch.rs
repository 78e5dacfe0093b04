//! `File(max_size=...)` checked while a multipart body arrives: a file part that passes its
//! limit is answered 422 `file_too_large` (django-bolt's answer, which it also gives mid-stream)
//! and the connection closed, instead of reading the whole body (up to `--max-body`) first.
//! The check after the body is complete (`uploads.with_file_checks`) stays: it also covers
//! chunked bodies, which are not watched here.

use super::core::Core;
use crate::http::upload_scan::{boundary_of, UploadScan};
use crate::http::{self, BodyKind, Parsed, Response};
use crate::router::Match;
use serde::Serialize;

/// What one connection knows of the body it is reading.
#[derive(Default)]
pub struct UploadWatch {
    /// The head was looked at (route and boundary decided) for the body being read.
    decided: bool,
    /// Where the body starts in the read buffer, and the route's limits; None: not watched.
    watched: Option<(usize, usize, String)>,
    scan: UploadScan,
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
        let (body_start, route, boundary) = self.watched.as_ref()?;
        let limits = &w.app.routes[*route].upload_limits;
        let body = rbuf.get(*body_start..)?;
        let t = self.scan.check(body, boundary.as_bytes(), limits)?;
        Some(refusal(&t.field, &t.filename, t.max_size, t.seen))
    }
}

/// (body start, route, boundary) when the request in `rbuf` is a Content-Length multipart body
/// for a route with upload limits.
fn watched(w: &Core, rbuf: &[u8]) -> Option<(usize, usize, String)> {
    let Ok(Parsed::Complete { head, head_len }) = http::parse_request(rbuf, &w.limits) else {
        return None;
    };
    if !matches!(head.body, BodyKind::Length(_)) {
        return None;
    }
    let Match::Found { route, .. } = w.app.router.route_for(head.method, head.path()) else {
        return None;
    };
    if w.app.routes[route].upload_limits.is_empty() {
        return None;
    }
    let ct = std::str::from_utf8(head.header("content-type")?).ok()?;
    let boundary = boundary_of(ct)?.to_owned();
    Some((head_len, route, boundary))
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
