//! A response whose body is a file on disk, shared by the static file server and
//! `FileResponse`: the 200 with its validators ([`file_response`]), then what the request's
//! conditional and range fields make of it ([`apply_conditionals`]: 304, 206, 416).
//!
//! The body itself is never read here: the response carries a [`BodySource::File`] and the
//! connection sends it off the reactor thread (`runtime::file_body`). Only metadata is touched
//! (`canonicalize`, `open`, `fstat`): a few page-cache look-ups, not a read of the content.

use super::range::{self, RangeOutcome};
use super::{validators, Headers};
use crate::http::{BodySource, Response};
use std::fs::{File, Metadata};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Why a file cannot be answered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    #[error("file not found")]
    NotFound,
    /// Outside every allowed root, or not a regular file (a directory, a FIFO...).
    #[error("file not allowed")]
    Forbidden,
    #[error("file unreadable: {0}")]
    Io(#[from] std::io::Error),
}

/// A regular file opened once for its metadata: its real path, size and modification time.
#[derive(Debug, Clone)]
pub struct FileMeta {
    /// Canonical: what the connection opens again to send the bytes.
    pub path: PathBuf,
    pub size: u64,
    pub mtime: SystemTime,
}

/// `path`, resolved (symlinks and `..`), checked to be under one of `roots` (canonical
/// directories; `None`: no restriction), opened and `fstat`ed. Size and mtime come from the
/// open descriptor, so they describe the file that was found, not what the name pointed to
/// before.
pub fn stat_file(path: &Path, roots: Option<&[PathBuf]>) -> Result<FileMeta, FileError> {
    let real = path.canonicalize().map_err(not_found_or_io)?;
    if roots.is_some_and(|roots| !roots.iter().any(|r| real.starts_with(r))) {
        return Err(FileError::Forbidden);
    }
    // stat before open: opening a FIFO would block the worker until a writer appears.
    if !std::fs::metadata(&real).map_err(not_found_or_io)?.is_file() {
        return Err(FileError::Forbidden);
    }
    let (_, meta) = open_regular(&real).ok_or(FileError::NotFound)?;
    Ok(FileMeta {
        path: real,
        size: meta.len(),
        mtime: meta.modified().unwrap_or(UNIX_EPOCH),
    })
}

fn not_found_or_io(e: std::io::Error) -> FileError {
    match e.kind() {
        std::io::ErrorKind::NotFound => FileError::NotFound,
        std::io::ErrorKind::PermissionDenied => FileError::Forbidden,
        _ => FileError::Io(e),
    }
}

/// Opens `path` and checks on the open descriptor that it is a regular file (it may have been
/// replaced since it was looked up).
pub(crate) fn open_regular(path: &Path) -> Option<(File, Metadata)> {
    let file = File::open(path).ok()?;
    let meta = file.metadata().ok()?;
    meta.is_file().then_some((file, meta))
}

/// The `len` bytes at `offset` of the file at `path`, read only if the page cache holds every
/// one of them (`preadv2` with `RWF_NOWAIT`, Linux 4.14+): the core thread never waits for a
/// disk. None when some are not cached (the caller sends the file from disk as it is, off the
/// core, which also brings it into the cache), when the file is shorter than `len` now, or on
/// any error, `RWF_NOWAIT` not supported included.
pub fn read_cached(path: &Path, offset: u64, len: u64) -> Option<Vec<u8>> {
    use std::os::fd::AsRawFd;
    let len = usize::try_from(len).ok()?;
    let file = File::open(path).ok()?;
    let mut buf = vec![0u8; len];
    let mut done = 0;
    while done < len {
        let iov = libc::iovec {
            iov_base: buf[done..].as_mut_ptr().cast(),
            iov_len: len - done,
        };
        let at = libc::off_t::try_from(offset + done as u64).ok()?;
        // SAFETY: `iov` points at the `len - done` writable bytes of `buf` from `done`, which
        // outlive the call; the descriptor is `file`'s, open until the end of this function.
        let n = unsafe { libc::preadv2(file.as_raw_fd(), &iov, 1, at, libc::RWF_NOWAIT) };
        // -1 with EAGAIN: the rest is not cached; 0: the file shrank.
        if n <= 0 {
            return None;
        }
        done += n as usize;
    }
    Some(buf)
}

/// The 200 for a whole file: `etag` (strong, from size and mtime, with `etag_suffix` for a
/// precompressed variant), `last-modified`, `accept-ranges`, then `extra` headers, and the file
/// as the body source. The writer frames it with the file's length.
pub fn file_response(
    meta: &FileMeta,
    content_type: Option<Vec<u8>>,
    etag_suffix: &str,
    extra: Vec<(Vec<u8>, Vec<u8>)>,
) -> Response {
    let mut headers = Vec::with_capacity(3 + extra.len());
    headers.push((
        b"etag".to_vec(),
        validators::etag(meta.size, meta.mtime, etag_suffix).into_bytes(),
    ));
    headers.push((
        b"last-modified".to_vec(),
        httpdate::fmt_http_date(meta.mtime).into_bytes(),
    ));
    headers.push(accept_ranges());
    headers.extend(extra);
    Response {
        status: 200,
        content_type,
        body: Vec::new(),
        headers,
        source: Some(BodySource::File {
            path: meta.path.clone(),
            offset: 0,
            len: meta.size,
        }),
    }
}

/// Fields a 304 keeps besides [`ANSWER_KEEPS`] (RFC 9110 §15.4.5: those a 200 would have had
/// that describe caching).
const NOT_MODIFIED_KEEPS: &[&[u8]] = &[
    b"etag",
    b"last-modified",
    b"cache-control",
    b"vary",
    b"expires",
    b"content-location",
];

/// Turns the 200 of [`file_response`] into what the request asked for: 304 when its
/// validators match, 206 for a single satisfiable range, 416 for an unsatisfiable one; else
/// leaves it. Only GET and HEAD are conditional here (`head`: the request was HEAD); any other
/// response (another status, no file source, no ETag) is left as it is.
///
/// `headers` are the request's, names lower-case.
pub fn apply_conditionals(
    resp: &mut Response,
    method_is_get: bool,
    head: bool,
    headers: &[(String, Vec<u8>)],
) {
    if resp.status != 200 || !(method_is_get || head) {
        return;
    }
    let Some(BodySource::File { path, offset, len }) = &resp.source else {
        return;
    };
    let (path, offset, size) = (path.clone(), *offset, *len);
    let field = |name: &[u8]| {
        resp.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let Some(etag) = field(b"etag").and_then(|v| String::from_utf8(v).ok()) else {
        return;
    };
    let mtime = field(b"last-modified")
        .and_then(|v| httpdate::parse_http_date(std::str::from_utf8(&v).ok()?).ok())
        .unwrap_or(UNIX_EPOCH);
    let headers = Headers(headers);

    // RFC 9110 §13.2.2, steps 3 and 4: If-None-Match, and only without it
    // If-Modified-Since. (Steps 1 and 2, If-Match and If-Unmodified-Since, are for
    // state-changing requests and not evaluated for a read-only file.)
    let not_modified = if headers.all("if-none-match").next().is_some() {
        validators::none_match_hits(headers.all("if-none-match"), &etag)
    } else {
        headers
            .first("if-modified-since")
            .is_some_and(|v| validators::not_modified_since(v, mtime))
    };
    if not_modified {
        resp.status = 304;
        resp.content_type = None;
        resp.source = None;
        resp.headers.retain(|(n, _)| {
            [NOT_MODIFIED_KEEPS, ANSWER_KEEPS]
                .iter()
                .any(|k| k.contains(&n.as_slice()))
        });
        return;
    }

    // RFC 9110 §14.2: GET is the only method for which range handling is defined, so HEAD
    // gets the 200 it would get without Range. Step 5 of §13.2.2: If-Range decides whether
    // the Range is honoured at all. A Range header sent twice is invalid, so ignored. A
    // range of a precompressed variant is never asked for here: the static server picks the
    // identity file when Range is present.
    let outcome = match headers.single("range") {
        Some(value) if !head => {
            if headers
                .first("if-range")
                .is_none_or(|v| validators::if_range_allows(v, &etag, mtime))
            {
                range::parse(value, size)
            } else {
                RangeOutcome::Ignore
            }
        }
        _ => RangeOutcome::Ignore,
    };
    match outcome {
        RangeOutcome::Ignore => {}
        RangeOutcome::Satisfiable { start, end } => {
            resp.status = 206;
            resp.headers.push((
                b"content-range".to_vec(),
                format!("bytes {start}-{end}/{size}").into_bytes(),
            ));
            // Only the requested bytes are sent, whatever the file's size.
            resp.source = Some(BodySource::File {
                path,
                offset: offset + start,
                len: end - start + 1,
            });
        }
        RangeOutcome::Unsatisfiable => {
            resp.status = 416;
            resp.content_type = None;
            resp.source = None;
            // RFC 9110 §15.5.17: the current length, so the client can retry sanely. The
            // 200's other fields described its body, which this answer does not have.
            resp.headers
                .retain(|(n, _)| ANSWER_KEEPS.contains(&n.as_slice()));
            resp.headers.push(accept_ranges());
            resp.headers.push((
                b"content-range".to_vec(),
                format!("bytes */{size}").into_bytes(),
            ));
        }
    }
}

/// Fields of the 200 that a 304 and a 416 keep: they govern how the browser treats whatever
/// it ends up showing, not the body (and a cache refreshes its stored 200's fields from a 304,
/// RFC 9111 §4.3.4, so a changed policy reaches copies cached before the change).
const ANSWER_KEEPS: &[&[u8]] = &[
    b"x-content-type-options",
    b"content-security-policy",
    b"content-security-policy-report-only",
];

fn accept_ranges() -> (Vec<u8>, Vec<u8>) {
    (b"accept-ranges".to_vec(), b"bytes".to_vec())
}

/// `Content-Disposition: {kind}; filename=...` (RFC 6266 §4.1). An ASCII name goes in the
/// quoted `filename` alone; any other gets an ASCII fallback there (non-ASCII and quoting
/// troublemakers replaced by `_`) and the exact name in `filename*` as RFC 8187 UTF-8
/// percent-encoding, which every current browser prefers when present.
pub fn content_disposition(kind: &str, filename: &str) -> Vec<u8> {
    let mut out = String::with_capacity(kind.len() + 2 * filename.len() + 32);
    out.push_str(kind);
    out.push_str("; filename=\"");
    let mut plain = true;
    for c in filename.chars() {
        match c {
            // RFC 9110 §5.6.4: quoted-pair escapes `"` and `\`.
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            // Controls would be refused as a field value; non-ASCII is not portable here.
            ' '..='~' => out.push(c),
            _ => {
                plain = false;
                out.push('_');
            }
        }
    }
    out.push('"');
    if !plain {
        out.push_str("; filename*=UTF-8''");
        for b in filename.bytes() {
            // RFC 8187 §3.2.1 attr-char: ALPHA / DIGIT / "!#$&+-.^_`|~"; the rest is %XX.
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_disposition_table() {
        let cases: &[(&str, &str, &str, &str)] = &[
            (
                "attachment",
                "report.pdf",
                "attachment; filename=\"report.pdf\"",
                "ASCII: filename alone",
            ),
            (
                "inline",
                "a \"b\".txt",
                "inline; filename=\"a \\\"b\\\".txt\"",
                "quotes are escaped",
            ),
            (
                "attachment",
                "résumé 2026.pdf",
                "attachment; filename=\"r_sum_ 2026.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%202026.pdf",
                "non-ASCII: fallback and RFC 8187 form",
            ),
            (
                "attachment",
                "a\r\nb",
                "attachment; filename=\"a__b\"; filename*=UTF-8''a%0D%0Ab",
                "CR/LF cannot split the header",
            ),
        ];
        for (kind, name, want, why) in cases {
            let got = content_disposition(kind, name);
            assert_eq!(String::from_utf8(got.clone()).unwrap(), *want, "{why}");
            assert!(crate::http::valid_header_value(&got), "{why}");
        }
    }

    fn file_resp(size: u64) -> Response {
        let meta = FileMeta {
            path: "/f".into(),
            size,
            mtime: UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000),
        };
        file_response(
            &meta,
            Some(b"text/plain".to_vec()),
            "",
            vec![(b"content-disposition".to_vec(), b"attachment".to_vec())],
        )
    }

    fn hdrs(pairs: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
            .collect()
    }

    fn etag_of(r: &Response) -> String {
        let v = &r.headers.iter().find(|(n, _)| n == b"etag").unwrap().1;
        String::from_utf8(v.clone()).unwrap()
    }

    #[test]
    fn not_modified_keeps_only_caching_fields() {
        let mut r = file_resp(10);
        let etag = etag_of(&r);
        apply_conditionals(&mut r, true, false, &hdrs(&[("if-none-match", &etag)]));
        assert_eq!(r.status, 304);
        assert!(r.source.is_none() && r.content_type.is_none());
        assert!(r.headers.iter().all(|(n, _)| n != b"content-disposition"));
        assert_eq!(etag_of(&r), etag);
    }

    #[test]
    fn a_range_narrows_the_file_source() {
        let mut r = file_resp(10);
        apply_conditionals(&mut r, true, false, &hdrs(&[("range", "bytes=2-4")]));
        assert_eq!(r.status, 206);
        assert_eq!(
            r.source,
            Some(BodySource::File {
                path: "/f".into(),
                offset: 2,
                len: 3
            })
        );
    }

    #[test]
    fn only_get_and_head_of_a_200_file_are_conditional() {
        for (status, get, why) in [
            (200, false, "a POST handler's file is sent whole"),
            (201, true, "another status is the handler's choice"),
        ] {
            let mut r = file_resp(10);
            r.status = status;
            apply_conditionals(&mut r, get, false, &hdrs(&[("range", "bytes=2-4")]));
            assert_eq!(r.status, status, "{why}");
            assert!(
                matches!(r.source, Some(BodySource::File { len: 10, .. })),
                "{why}"
            );
        }
    }

    #[test]
    fn read_cached_reads_exactly_the_range_of_a_cached_file() {
        let path = std::env::temp_dir().join(format!("bolt-read-cached-{}", std::process::id()));
        let data: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        // Just written: in the page cache.
        assert_eq!(read_cached(&path, 0, 70_000).as_deref(), Some(&data[..]));
        assert_eq!(
            read_cached(&path, 1000, 5).as_deref(),
            Some(&data[1000..1005])
        );
        assert_eq!(
            read_cached(&path, 0, 70_001),
            None,
            "shorter than announced"
        );
        assert_eq!(read_cached(Path::new("/nonexistent/bolt"), 0, 1), None);
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn unsatisfiable_range_is_416_without_a_source() {
        let mut r = file_resp(10);
        apply_conditionals(&mut r, true, false, &hdrs(&[("range", "bytes=10-")]));
        assert_eq!(r.status, 416);
        assert!(r.source.is_none());
    }
}
