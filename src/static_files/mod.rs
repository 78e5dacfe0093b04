//! Static and media files, answered in Rust before a request reaches Python.
//!
//! A [`Mount`] maps a URL prefix (`STATIC_URL`, `MEDIA_URL`) to directories searched in
//! order. [`StaticFiles::serve`] does everything a CDN origin needs from a file server:
//! GET/HEAD only, path checks that keep every read inside a root (`path.rs`, then
//! `canonicalize` for symlinks), content type, strong ETag and Last-Modified with
//! `If-None-Match` / `If-Modified-Since` (`validators.rs`), single byte ranges with
//! `If-Range` (`range.rs`), and precompressed `.br` / `.gz` siblings (`encoding.rs`).
//!
//! Everything here is blocking `std::fs`: the files are small and hot in the page cache, and a
//! worker answers them in microseconds. Streaming large files through the runtime is future
//! work (see [`LARGE_FILE`]).

mod encoding;
mod path;
mod range;
mod validators;

use crate::http::Response;
use std::fs::{File, Metadata};
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use encoding::Coding;
use range::RangeOutcome;

/// Above this size a file is still read whole into memory (or only the requested range for a
/// 206). Streaming it from the file in chunks is future work; until then this only documents
/// where memory use stops being "a few pages per request".
pub const LARGE_FILE: u64 = 64 * 1024 * 1024;

/// One URL prefix and the directories it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// e.g. `/static/`: starts and ends with `/`, compared with the raw (still
    /// percent-encoded) request path.
    pub url_prefix: String,
    /// Searched in order; the first that holds a regular file at the path wins (STATIC_ROOT,
    /// or in DEBUG the directories of Django's static finders).
    pub roots: Vec<PathBuf>,
    /// The `cache-control` value for every response of this mount; `None` sends none.
    pub cache_control: Option<String>,
}

/// A start-up configuration error; each names the prefix or root at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StaticError {
    #[error(
        "static URL prefix {prefix:?} must start and end with '/' and have no empty segment \
         (\"/\" alone would hide every route)"
    )]
    InvalidPrefix { prefix: String },
    #[error("static root {root:?} for {prefix:?} cannot be opened: {source}")]
    RootUnavailable {
        prefix: String,
        root: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("static root {root:?} for {prefix:?} is not a directory")]
    RootNotDirectory { prefix: String, root: PathBuf },
    #[error("cache-control {value:?} for {prefix:?} is not a valid header value")]
    InvalidCacheControl { prefix: String, value: String },
}

/// The configured mounts, roots canonicalized once at start-up.
#[derive(Debug, Clone)]
pub struct StaticFiles {
    /// Longest prefix first, so `/static/admin/` is tried before `/static/`.
    mounts: Vec<MountState>,
}

#[derive(Debug, Clone)]
struct MountState {
    prefix: String,
    /// Canonical (absolute, no symlinks), so a file's canonical path can be checked with a
    /// plain `starts_with`.
    roots: Vec<PathBuf>,
    cache_control: Option<Vec<u8>>,
}

impl StaticFiles {
    /// Checks and canonicalizes every mount; an error here should stop the server from
    /// starting, since a missing root would otherwise be a 404 for every asset.
    pub fn new(mounts: Vec<Mount>) -> Result<Self, StaticError> {
        let mut states = Vec::with_capacity(mounts.len());
        for mount in mounts {
            let prefix = mount.url_prefix;
            let inner = prefix.strip_prefix('/').and_then(|p| p.strip_suffix('/'));
            if !inner.is_some_and(|p| !p.is_empty() && p.split('/').all(|s| !s.is_empty())) {
                return Err(StaticError::InvalidPrefix { prefix });
            }
            let mut roots = Vec::with_capacity(mount.roots.len());
            for root in mount.roots {
                let canonical = match root.canonicalize() {
                    Ok(c) => c,
                    Err(source) => {
                        return Err(StaticError::RootUnavailable {
                            prefix,
                            root,
                            source,
                        })
                    }
                };
                if !canonical.is_dir() {
                    return Err(StaticError::RootNotDirectory { prefix, root });
                }
                roots.push(canonical);
            }
            let cache_control = match mount.cache_control {
                // RFC 9110 §5.5: a field value is visible ASCII, SP and HTAB (obs-text aside);
                // a CR or LF here would split the response.
                Some(v) if !v.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b)) => {
                    return Err(StaticError::InvalidCacheControl { prefix, value: v });
                }
                v => v.map(String::into_bytes),
            };
            states.push(MountState {
                prefix,
                roots,
                cache_control,
            });
        }
        // Stable: of two equal prefixes, the one configured first wins.
        states.sort_by_key(|m| std::cmp::Reverse(m.prefix.len()));
        Ok(StaticFiles { mounts: states })
    }

    /// `None` when no mount's prefix matches `raw_path` (then the server routes the request
    /// normally). `raw_path` is the request path as received: percent-encoded, no query.
    /// `headers` names are lower-case.
    pub fn serve(
        &self,
        method: &str,
        raw_path: &str,
        headers: &[(String, Vec<u8>)],
    ) -> Option<Response> {
        let mount = self
            .mounts
            .iter()
            .find(|m| raw_path.starts_with(&m.prefix))?;
        let tail = &raw_path[mount.prefix.len()..];
        Some(mount.serve(method, tail, Headers(headers)))
    }
}

/// A file found under a root, not yet opened.
struct Located {
    path: PathBuf,
}

impl MountState {
    fn serve(&self, method: &str, tail: &str, headers: Headers<'_>) -> Response {
        let head = match method {
            "GET" => false,
            "HEAD" => true,
            // RFC 9110 §15.5.6: a 405 must say which methods are allowed.
            _ => {
                let mut r = detail(405, "Method Not Allowed", false);
                r.headers.push((b"allow".to_vec(), b"GET, HEAD".to_vec()));
                return r;
            }
        };
        let Some(rel) = path::relative_path(tail) else {
            return not_found(head);
        };
        let Some((root, identity)) = self
            .roots
            .iter()
            .find_map(|root| locate(root, &rel).map(|found| (root, found)))
        else {
            return not_found(head);
        };

        // Siblings come from the same root as the file, so a stale `.br` in a later root can
        // never stand in for a newer file in an earlier one.
        let siblings = Coding::ALL.map(|c| locate(root, &with_suffix(&rel, c.file_suffix())));
        let vary = siblings.iter().any(Option::is_some);
        // A Range applies to the identity bytes: offsets into a compressed variant are only
        // useful to a client that already has that variant, and it then sends If-Range with
        // the variant's tag, which cannot match the identity tag (so it gets a full 200).
        let wants_range = headers.all("range").next().is_some();
        let coding = if wants_range {
            None
        } else {
            encoding::choose(
                encoding::weights(headers.all("accept-encoding")),
                siblings.each_ref().map(Option::is_some),
            )
        };
        let chosen = match coding {
            Some(Coding::Br) => siblings[0].as_ref(),
            Some(Coding::Gzip) => siblings[1].as_ref(),
            None => Some(&identity),
        };
        let Some((file, meta)) = chosen.and_then(open_regular) else {
            // Removed between the look-up and the open: it is gone, so 404.
            return not_found(head);
        };

        let size = meta.len();
        let mtime = meta.modified().unwrap_or(UNIX_EPOCH);
        let etag = validators::etag(size, mtime, coding.map_or("", Coding::etag_suffix));
        let mut common = vec![
            (b"etag".to_vec(), etag.clone().into_bytes()),
            (
                b"last-modified".to_vec(),
                httpdate::fmt_http_date(mtime).into_bytes(),
            ),
        ];
        if let Some(cc) = &self.cache_control {
            common.push((b"cache-control".to_vec(), cc.clone()));
        }
        if vary {
            common.push((b"vary".to_vec(), b"accept-encoding".to_vec()));
        }

        // RFC 9110 §13.2.2, steps 3 and 4: If-None-Match, and only without it
        // If-Modified-Since. (Steps 1 and 2, If-Match and If-Unmodified-Since, are for
        // state-changing requests and not evaluated for a read-only file server.)
        let not_modified = if headers.all("if-none-match").next().is_some() {
            validators::none_match_hits(headers.all("if-none-match"), &etag)
        } else {
            headers
                .first("if-modified-since")
                .is_some_and(|v| validators::not_modified_since(v, mtime))
        };
        if not_modified {
            // RFC 9110 §15.4.5: a 304 carries the fields a 200 would have had that describe
            // caching (ETag, Last-Modified, Cache-Control, Vary), and no content.
            return Response {
                status: 304,
                content_type: None,
                headers: common,
                body: Vec::new(),
                source: None,
            };
        }

        let content_type = Some(content_type(&rel));
        // RFC 9110 §14.2: GET is the only method for which range handling is defined, so HEAD
        // gets the 200 it would get without Range. Step 5 of §13.2.2: If-Range decides
        // whether the Range is honoured at all. A Range header sent twice is invalid, so
        // ignored.
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
            RangeOutcome::Satisfiable { start, end } => {
                // Only the requested bytes are read, whatever the file's size.
                let Ok(len) = usize::try_from(end - start + 1) else {
                    return detail(500, "Internal Server Error", head);
                };
                let mut body = vec![0; len];
                if file.read_exact_at(&mut body, start).is_err() {
                    // Truncated since the stat: the content-range we would send is a lie.
                    return detail(500, "Internal Server Error", head);
                }
                let mut headers = common;
                headers.push(accept_ranges());
                headers.push((
                    b"content-range".to_vec(),
                    format!("bytes {start}-{end}/{size}").into_bytes(),
                ));
                Response {
                    status: 206,
                    content_type,
                    headers,
                    body,
                    source: None,
                }
            }
            RangeOutcome::Unsatisfiable => Response {
                status: 416,
                content_type: None,
                // RFC 9110 §15.5.17: the current length, so the client can retry sanely.
                headers: vec![
                    accept_ranges(),
                    (
                        b"content-range".to_vec(),
                        format!("bytes */{size}").into_bytes(),
                    ),
                ],
                body: Vec::new(),
                source: None,
            },
            RangeOutcome::Ignore => {
                let mut headers = common;
                headers.push(accept_ranges());
                if let Some(c) = coding {
                    headers.push((b"content-encoding".to_vec(), c.token().as_bytes().to_vec()));
                }
                let body = if head {
                    Vec::new()
                } else {
                    // Whole file into memory, even above LARGE_FILE (streaming is future
                    // work). `take(size)` keeps the body consistent with the ETag if the
                    // file grew since the stat.
                    let mut body = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
                    if (&file).take(size).read_to_end(&mut body).is_err() {
                        return detail(500, "Internal Server Error", head);
                    }
                    body
                };
                Response {
                    status: 200,
                    content_type,
                    headers,
                    body,
                    source: None,
                }
            }
        }
    }
}

/// The regular file at `root/rel`, if it exists and its real path (symlinks resolved) is
/// still under `root`. Directories, sockets, FIFOs and the like are "not here".
///
/// Roots are trusted deploy directories: this guards against links placed in them (a
/// media upload, a package shipping a symlink), not against someone swapping path
/// components between this check and the open, who could write the files anyway.
fn locate(root: &Path, rel: &Path) -> Option<Located> {
    let path = root.join(rel).canonicalize().ok()?;
    if !path.starts_with(root) {
        return None;
    }
    // stat before open: opening a FIFO would block the worker until a writer appears.
    let meta = std::fs::metadata(&path).ok()?;
    meta.is_file().then_some(Located { path })
}

/// Opens a located file, and checks again on the open descriptor that it is a regular file
/// (it may have been replaced since [`locate`]). Size and mtime come from this `fstat`, so
/// they describe the bytes that will be read.
fn open_regular(found: &Located) -> Option<(File, Metadata)> {
    let file = File::open(&found.path).ok()?;
    let meta = file.metadata().ok()?;
    meta.is_file().then_some((file, meta))
}

fn with_suffix(rel: &Path, suffix: &str) -> PathBuf {
    let mut name = rel.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// From the extension of the requested name (not the `.br` sibling's). Text types get
/// `charset=utf-8`: Django's collectstatic copies files as they are, and UTF-8 is what
/// browsers assume badly without being told (RFC 9110 §8.3.2 leaves the default open).
fn content_type(rel: &Path) -> Vec<u8> {
    let mime = mime_guess::from_path(rel).first_or_octet_stream();
    let essence = mime.essence_str();
    if mime.type_() == mime_guess::mime::TEXT
        || essence == "application/javascript"
        || essence == "application/json"
    {
        format!("{essence}; charset=utf-8").into_bytes()
    } else {
        essence.as_bytes().to_vec()
    }
}

fn accept_ranges() -> (Vec<u8>, Vec<u8>) {
    (b"accept-ranges".to_vec(), b"bytes".to_vec())
}

fn not_found(head: bool) -> Response {
    detail(404, "Not Found", head)
}

/// An error answer in the shape the rest of the server uses: `{"detail": "..."}`.
fn detail(status: u16, message: &str, head: bool) -> Response {
    Response {
        status,
        content_type: Some(b"application/json".to_vec()),
        headers: Vec::new(),
        body: if head {
            Vec::new()
        } else {
            format!("{{\"detail\":\"{message}\"}}").into_bytes()
        },
        source: None,
    }
}

/// The request's header fields; names are lower-case already.
#[derive(Clone, Copy)]
struct Headers<'a>(&'a [(String, Vec<u8>)]);

impl<'a> Headers<'a> {
    /// Every field line with this name, in order (list-valued fields combine them).
    fn all(self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.0
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    fn first(self, name: &'a str) -> Option<&'a [u8]> {
        self.all(name).next()
    }

    /// The value of a singleton field, `None` when absent or sent more than once.
    fn single(self, name: &'a str) -> Option<&'a [u8]> {
        let mut it = self.all(name);
        match (it.next(), it.next()) {
            (Some(v), None) => Some(v),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
