//! From the percent-encoded tail of a request path to a relative path that can only name
//! something below a root, and is not hidden.
//!
//! The check is on the decoded path, before any file-system call: anything that could climb
//! (`..`) is refused as a bad request; a segment that could restart at the top (an empty
//! segment, i.e. `//`), mean something else to another layer (a backslash, NUL), or name a
//! hidden file (`.env`, `.git/`) is answered as if absent. Symlinks are the other way out of a
//! root; `mod.rs` handles those after `canonicalize`.

use std::path::PathBuf;

use percent_encoding::percent_decode_str;

/// Why a tail names no file that may be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// 400: the path tries to climb, which no URL Django generates does.
    Traversal,
    /// 404: the path is malformed or names something that is never served (a hidden file, a
    /// directory); answered like a missing file so it tells nothing about what exists.
    NotFound,
}

/// The relative path named by `tail` (what follows the mount prefix), or why it is refused.
///
/// Decoding happens once, before splitting, so `%2F` separates segments like `/` does (as
/// Django's `serve` view does with `unquote`), and `%2e%2e` is seen as the `..` it is. A
/// second round of decoding is never done: `%252e` names a file called `%2e`.
pub(crate) fn relative_path(tail: &str) -> Result<PathBuf, Refused> {
    let decoded = percent_decode_str(tail).collect::<Vec<u8>>();
    // django-bolt refuses `..` anywhere in the decoded path (even inside a name such as
    // `a..b`) with a 400 rather than reasoning about segments: a name with two dots in a row
    // is rare in static files and uploads, and one rule with no exceptions is easy to audit.
    if decoded.windows(2).any(|w| w == b"..") {
        return Err(Refused::Traversal);
    }
    // File names are bytes on Unix, but Django builds static URLs from `str` paths: a
    // name that is not UTF-8 after decoding was not produced by `{% static %}`.
    let decoded = String::from_utf8(decoded).map_err(|_| Refused::NotFound)?;
    if decoded.contains(['\\', '\0']) {
        return Err(Refused::NotFound);
    }
    let mut rel = PathBuf::new();
    for segment in decoded.split('/') {
        // Empty: a leading `/` (absolute path), `//`, or a trailing `/` (a directory). A
        // leading dot: `.` itself (no URL Django generates has one; refusing it keeps one
        // spelling per file) and hidden files and directories (`.env`, `.git/config`,
        // `.htaccess`), which deploy tools and editors leave in roots but nobody links to.
        if segment.is_empty() || segment.starts_with('.') {
            return Err(Refused::NotFound);
        }
        rel.push(segment);
    }
    Ok(rel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_and_encoded_names() {
        let cases: &[(&str, &str, &str)] = &[
            ("app.js", "app.js", "a bare file name"),
            ("css/site.css", "css/site.css", "a nested file"),
            ("a%20b.txt", "a b.txt", "an encoded space is decoded"),
            (
                "css%2Fsite.css",
                "css/site.css",
                "an encoded slash separates like a slash",
            ),
            (
                "%252e%252e",
                "%2e%2e",
                "decoded once only: this names a file called %2e%2e",
            ),
            (
                "a.b/c.d.e",
                "a.b/c.d.e",
                "single dots inside names are fine",
            ),
            ("caf%C3%A9.txt", "café.txt", "UTF-8 after decoding"),
        ];
        for (tail, want, why) in cases {
            assert_eq!(
                relative_path(tail),
                Ok(PathBuf::from(want)),
                "{tail:?}: {why}"
            );
        }
    }

    #[test]
    fn refuses_parent_references_as_bad_requests() {
        let cases: &[(&str, &str)] = &[
            ("..", "a raw parent segment"),
            ("../etc/passwd", "a raw parent segment first"),
            ("css/../../x", "a raw parent segment in the middle"),
            ("%2e%2e/x", "an encoded parent segment"),
            ("%2E%2e/x", "mixed-case encoded parent segment"),
            (".%2e/x", "half-encoded parent segment"),
            ("css/%2e%2e", "an encoded parent segment last"),
            ("..%2fx", "a parent segment before an encoded slash"),
            ("..\\x", "a parent segment before a backslash"),
            ("a%5C..%5Cx", "a parent segment between encoded backslashes"),
            (
                "a..b",
                "two dots inside a name, as django-bolt refuses them",
            ),
            ("...", "three dots"),
        ];
        for (tail, why) in cases {
            assert_eq!(
                relative_path(tail),
                Err(Refused::Traversal),
                "{tail:?} must be a 400: {why}"
            );
        }
    }

    #[test]
    fn refuses_malformed_and_hidden_paths_as_not_found() {
        let cases: &[(&str, &str)] = &[
            ("", "the prefix alone names the root directory"),
            ("/etc/passwd", "an absolute path (the URL had `//`)"),
            ("%2Fetc/passwd", "an encoded absolute path"),
            ("css//site.css", "an empty segment"),
            ("css/", "a trailing slash names a directory"),
            ("./app.js", "a current-directory segment"),
            (
                "a\\b",
                "a backslash (a separator on Windows, and for some proxies)",
            ),
            ("a%5Cb", "an encoded backslash"),
            ("app.js%00.png", "an encoded NUL truncates C strings"),
            ("%FF.txt", "not UTF-8 after decoding"),
            ("%C3.txt", "a truncated UTF-8 sequence"),
            (".env", "a hidden file"),
            (".git/config", "a file in a hidden directory"),
            ("css/.htaccess", "a hidden file below a directory"),
            ("%2Eenv", "an encoded leading dot"),
            ("a%5C.env", "a hidden file after an encoded backslash"),
        ];
        for (tail, why) in cases {
            assert_eq!(
                relative_path(tail),
                Err(Refused::NotFound),
                "{tail:?} must be a 404: {why}"
            );
        }
    }
}
