//! From the percent-encoded tail of a request path to a relative path that can only name
//! something below a root.
//!
//! The check is on the decoded segments, before any file-system call: a segment that could
//! climb (`..`), restart at the top (an empty segment, i.e. `//`), or mean something else to
//! another layer (a backslash, NUL) refuses the whole request. Symlinks are the other way out
//! of a root; `mod.rs` handles those after `canonicalize`.

use std::path::PathBuf;

use percent_encoding::percent_decode_str;

/// The relative path named by `tail` (what follows the mount prefix), or `None` when it must
/// be answered 404.
///
/// Decoding happens once, before splitting, so `%2F` separates segments like `/` does (as
/// Django's `serve` view does with `unquote`), and `%2e%2e` is seen as the `..` it is. A
/// second round of decoding is never done: `%252e` names a file called `%2e`.
pub(crate) fn relative_path(tail: &str) -> Option<PathBuf> {
    let decoded = percent_decode_str(tail).collect::<Vec<u8>>();
    // File names are bytes on Unix, but Django builds static URLs from `str` paths: a
    // name that is not UTF-8 after decoding was not produced by `{% static %}`.
    let decoded = String::from_utf8(decoded).ok()?;
    if decoded.contains(['\\', '\0']) {
        return None;
    }
    let mut rel = PathBuf::new();
    for segment in decoded.split('/') {
        match segment {
            // Empty: a leading `/` (absolute path), `//`, or a trailing `/` (a directory).
            // `.` is harmless, but no URL Django generates contains one; refusing it keeps
            // one spelling per file.
            "" | "." | ".." => return None,
            _ => rel.push(segment),
        }
    }
    Some(rel)
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
                "..a/b..",
                "..a/b..",
                "dots inside a name are not a parent reference",
            ),
            ("caf%C3%A9.txt", "café.txt", "UTF-8 after decoding"),
        ];
        for (tail, want, why) in cases {
            assert_eq!(
                relative_path(tail),
                Some(PathBuf::from(want)),
                "{tail:?}: {why}"
            );
        }
    }

    #[test]
    fn refuses_paths_that_could_leave_the_root() {
        let cases: &[(&str, &str)] = &[
            ("", "the prefix alone names the root directory"),
            ("..", "a raw parent segment"),
            ("../etc/passwd", "a raw parent segment first"),
            ("css/../../x", "a raw parent segment in the middle"),
            ("%2e%2e/x", "an encoded parent segment"),
            ("%2E%2e/x", "mixed-case encoded parent segment"),
            (".%2e/x", "half-encoded parent segment"),
            ("css/%2e%2e", "an encoded parent segment last"),
            ("/etc/passwd", "an absolute path (the URL had `//`)"),
            ("%2Fetc/passwd", "an encoded absolute path"),
            ("css//site.css", "an empty segment"),
            ("css/", "a trailing slash names a directory"),
            ("./app.js", "a current-directory segment"),
            (
                "..\\x",
                "a backslash (a separator on Windows, and for some proxies)",
            ),
            ("a%5C..%5Cx", "an encoded backslash"),
            ("app.js%00.png", "an encoded NUL truncates C strings"),
            ("%FF.txt", "not UTF-8 after decoding"),
            ("%C3.txt", "a truncated UTF-8 sequence"),
        ];
        for (tail, why) in cases {
            assert_eq!(relative_path(tail), None, "{tail:?} must be refused: {why}");
        }
    }
}
