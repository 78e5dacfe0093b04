//! Static and media files, answered in Rust before a request reaches Python.
//!
//! A [`Mount`] maps a URL prefix (`STATIC_URL`, `MEDIA_URL`) to directories searched in
//! order. [`StaticFiles::serve`] does everything a CDN origin needs from a file server:
//! GET/HEAD only, path checks that keep every read inside a root (`path.rs`, then
//! `canonicalize` for symlinks), content type, strong ETag and Last-Modified with
//! `If-None-Match` / `If-Modified-Since` (`validators.rs`), single byte ranges with
//! `If-Range` (`range.rs`), and precompressed `.br` / `.gz` siblings (`encoding.rs`).
//!
//! Like django-bolt, every answer (errors included) carries `X-Content-Type-Options: nosniff`,
//! every file answer (200, 206, 304, 416) the project's `SECURE_CSP` policy when it has one,
//! hidden files (a segment starting with `.`) are never served, and a media mount (user
//! uploads) never lets a browser run an uploaded file in the site's origin: types that can
//! carry script are sent as `application/octet-stream` to download (`media.rs`).
//!
//! The body is not read here: the response carries the file as a [`BodySource::File`]
//! (`file.rs`, shared with `FileResponse`) and the connection sends it in fixed-size chunks off
//! the reactor thread. Only metadata is looked up on the core (`canonicalize`, `stat`,
//! `open` + `fstat`): page-cache look-ups of microseconds, not reads of the content.

mod encoding;
mod file;
mod media;
mod path;
mod range;
mod validators;

#[cfg(doc)]
use crate::http::BodySource;
use crate::http::Response;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use encoding::Coding;
use file::open_regular;
pub use file::{
    apply_conditionals, content_disposition, file_response, read_cached, stat_file, FileError,
    FileMeta,
};

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
    /// `content-security-policy` and `content-security-policy-report-only` for every file
    /// answer of this mount (django-bolt's policy from `SECURE_CSP`, built in Python); `None`
    /// sends none.
    pub csp: Option<String>,
    pub csp_report_only: Option<String>,
    /// What the files are, which decides how much they are trusted.
    pub kind: MountKind,
}

/// Who put the files under a mount's roots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MountKind {
    /// The project's own assets (`STATIC_URL`): served with their own types (and, as in
    /// django-bolt, a `Content-Disposition` with their name).
    #[default]
    Static,
    /// User uploads (`MEDIA_URL`): script-bearing types are forced to download.
    Media,
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
    #[error("{name} {value:?} for {prefix:?} is not a valid header value")]
    InvalidHeader {
        prefix: String,
        name: &'static str,
        value: String,
    },
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
    /// `cache-control` and the policies, added to every file answer.
    file_headers: Vec<(Vec<u8>, Vec<u8>)>,
    kind: MountKind,
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
            let mut file_headers = Vec::new();
            for (name, value) in [
                ("cache-control", mount.cache_control),
                ("content-security-policy", mount.csp),
                ("content-security-policy-report-only", mount.csp_report_only),
            ] {
                let Some(value) = value else { continue };
                // RFC 9110 §5.5: a field value is visible ASCII, SP and HTAB (obs-text aside);
                // a CR or LF here would split the response.
                if !value
                    .bytes()
                    .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
                {
                    return Err(StaticError::InvalidHeader {
                        prefix,
                        name,
                        value,
                    });
                }
                file_headers.push((name.as_bytes().to_vec(), value.into_bytes()));
            }
            states.push(MountState {
                prefix,
                roots,
                file_headers,
                kind: mount.kind,
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
        let mut resp = self.find(method, raw_path, headers)?;
        apply_conditionals(&mut resp, method == "GET", method == "HEAD", headers);
        Some(resp)
    }

    /// `serve` before the request's conditionals: the file's 200 (or a 404/405), which the
    /// caller passes to [`apply_conditionals`] once it has decided how the body is to be sent
    /// (the dispatcher compresses small text files on the fly, and a 304 must then carry the
    /// ETag of the compressed 200).
    pub fn find(
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
        let mut resp = self.answer(method, tail, headers);
        // On errors too: a 404 body is still something a browser could sniff into HTML.
        resp.headers.push(nosniff());
        resp
    }

    fn answer(&self, method: &str, tail: &str, headers: Headers<'_>) -> Response {
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
        let rel = match path::relative_path(tail) {
            Ok(rel) => rel,
            Err(path::Refused::Traversal) => return detail(400, "Invalid path", head),
            Err(path::Refused::NotFound) => return not_found(head),
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
        let Some(chosen) = chosen else {
            return not_found(head);
        };
        let Some((_, meta)) = open_regular(&chosen.path) else {
            // Removed between the look-up and the open: it is gone, so 404.
            return not_found(head);
        };
        let meta = FileMeta {
            path: chosen.path.clone(),
            size: meta.len(),
            mtime: meta.modified().unwrap_or(UNIX_EPOCH),
        };

        let (content_type, disposition) =
            media::presentation(&rel, content_type(&rel), self.kind == MountKind::Media);
        let mut extra = Vec::with_capacity(3 + self.file_headers.len());
        extra.push((b"content-disposition".to_vec(), disposition));
        extra.extend(self.file_headers.iter().cloned());
        if vary {
            extra.push((b"vary".to_vec(), b"accept-encoding".to_vec()));
        }
        if let Some(c) = coding {
            extra.push((b"content-encoding".to_vec(), c.token().as_bytes().to_vec()));
        }
        file::file_response(
            &meta,
            Some(content_type),
            coding.map_or("", Coding::etag_suffix),
            extra,
        )
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

fn with_suffix(rel: &Path, suffix: &str) -> PathBuf {
    let mut name = rel.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// From the extension of the requested name (not the `.br` sibling's; for `FileResponse`,
/// of its `filename` or else its path). Text types get
/// `charset=utf-8`: Django's collectstatic copies files as they are, and UTF-8 is what
/// browsers assume badly without being told (RFC 9110 §8.3.2 leaves the default open).
pub fn content_type(rel: &Path) -> Vec<u8> {
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

/// The header every response of a mount carries (and its 304s and 416s keep).
fn nosniff() -> (Vec<u8>, Vec<u8>) {
    (b"x-content-type-options".to_vec(), b"nosniff".to_vec())
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
