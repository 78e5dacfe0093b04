//! How a file of a mount is presented: its `Content-Type` and `Content-Disposition`.
//!
//! An upload is served from the site's own origin, so an uploaded `.html` or `.svg` opened in
//! a browser would run its scripts with the site's cookies, and an uploaded `.js` could be
//! loaded by `<script src>` past a `script-src 'self'` policy. Those types are therefore sent as
//! `application/octet-stream` with `Content-Disposition: attachment`: the browser downloads
//! them and will not run them (`nosniff` stops it guessing the type back). The project's own
//! static files, and other uploads, keep their type; those a browser displays (text, images,
//! audio, video, JSON) are `inline`, the rest `attachment`, both with the file's name, as
//! django-bolt does.

use std::path::Path;

/// Extensions sent for download whatever type they map to, compared case-insensitively:
/// django-bolt's list (HTML, SVG, XML and XSLT, JavaScript, WebAssembly, HTML applications),
/// plus `xht`, which it serves inline as `application/xhtml+xml`, a type that runs scripts.
const FORCED_DOWNLOAD_EXTENSIONS: &[&str] = &[
    "html", "htm", "shtml", "shtm", "xhtml", "xht", "svg", "svgz", "xml", "xsl", "xslt", "js",
    "mjs", "cjs", "wasm", "hta",
];

/// Types a browser runs scripts from (as a document, or through `<script src>`, which
/// `nosniff` still allows for JavaScript types): forced to download even when an extension
/// not listed above maps to one (`.jsx` is `text/javascript`, `.xsd` is `text/xml`).
const SCRIPT_TYPES: &[&str] = &[
    "text/html",
    "application/xhtml+xml",
    "image/svg+xml",
    "text/xml",
    "application/xml",
    "application/xslt+xml",
    "text/javascript",
    "application/javascript",
    "application/x-javascript",
    "text/ecmascript",
    "application/ecmascript",
    "application/wasm",
];

/// `(content type, content disposition)` for the file `rel`, whose type guessed from its name
/// is `content_type`; `upload`: it is under a media mount.
pub(super) fn presentation(rel: &Path, content_type: Vec<u8>, upload: bool) -> (Vec<u8>, Vec<u8>) {
    let essence = essence(&content_type);
    let extension = rel.extension().and_then(|e| e.to_str()).unwrap_or("");
    let forced = upload
        && (FORCED_DOWNLOAD_EXTENSIONS
            .iter()
            .any(|e| e.eq_ignore_ascii_case(extension))
            || SCRIPT_TYPES.iter().any(|t| t.eq_ignore_ascii_case(essence)));
    if forced {
        // No file name, as django-bolt sends it: the client names the download from the URL.
        return (b"application/octet-stream".to_vec(), b"attachment".to_vec());
    }
    let top = essence.split('/').next().unwrap_or("");
    let displayed = matches!(top, "text" | "image" | "audio" | "video")
        || essence.eq_ignore_ascii_case("application/json");
    let kind = if displayed { "inline" } else { "attachment" };
    let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or("");
    (content_type, super::content_disposition(kind, name))
}

/// `type/subtype` of a content type, parameters and whitespace dropped.
fn essence(content_type: &[u8]) -> &str {
    let text = std::str::from_utf8(content_type).unwrap_or("");
    text.split(';').next().unwrap_or("").trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn present(name: &str) -> (String, String) {
        let rel = Path::new("up").join(name);
        let (ctype, disposition) = presentation(&rel, super::super::content_type(&rel), true);
        (
            String::from_utf8(ctype).unwrap(),
            String::from_utf8(disposition).unwrap(),
        )
    }

    #[test]
    fn script_bearing_files_are_downloaded_as_bytes() {
        for name in [
            "x.html", "x.htm", "x.HTML", "x.Htm", "x.shtml", "x.xhtml", "x.xht", "x.svg", "x.SVG",
            "x.svgz", "x.xml", "x.xsl", "x.xslt", "x.js", "x.mjs", "x.cjs", "x.wasm", "x.hta",
            "x.jsx", "x.xsd",
        ] {
            assert_eq!(
                present(name),
                (
                    "application/octet-stream".to_owned(),
                    "attachment".to_owned()
                ),
                "{name}"
            );
        }
    }

    #[test]
    fn displayable_files_are_inline_with_their_type_and_name() {
        let cases: &[(&str, &str)] = &[
            ("a.txt", "text/plain; charset=utf-8"),
            ("a.css", "text/css; charset=utf-8"),
            ("a.csv", "text/csv; charset=utf-8"),
            ("a.json", "application/json; charset=utf-8"),
            ("a.png", "image/png"),
            ("a.JPG", "image/jpeg"),
            ("a.mp4", "video/mp4"),
            ("a.mp3", "audio/mpeg"),
        ];
        for (name, ctype) in cases {
            assert_eq!(
                present(name),
                ((*ctype).to_owned(), format!("inline; filename=\"{name}\"")),
                "{name}"
            );
        }
    }

    #[test]
    fn other_files_are_attachments_with_their_type_and_name() {
        let cases: &[(&str, &str)] = &[
            ("a.pdf", "application/pdf"),
            ("a.zip", "application/zip"),
            ("a.woff2", "font/woff2"),
            ("noext", "application/octet-stream"),
        ];
        for (name, ctype) in cases {
            assert_eq!(
                present(name),
                (
                    (*ctype).to_owned(),
                    format!("attachment; filename=\"{name}\"")
                ),
                "{name}"
            );
        }
    }

    #[test]
    fn static_files_keep_script_types_with_a_disposition() {
        let present = |name: &str| {
            let rel = Path::new(name);
            let (ctype, disposition) = presentation(rel, super::super::content_type(rel), false);
            (
                String::from_utf8(ctype).unwrap(),
                String::from_utf8(disposition).unwrap(),
            )
        };
        assert_eq!(
            present("x.html"),
            (
                "text/html; charset=utf-8".to_owned(),
                "inline; filename=\"x.html\"".to_owned()
            )
        );
        assert_eq!(present("x.svg").0, "image/svg+xml");
        assert_eq!(
            present("a.pdf").1,
            "attachment; filename=\"a.pdf\"",
            "django-bolt sends a static PDF for download too"
        );
    }

    #[test]
    fn the_name_is_quoted_safely() {
        assert_eq!(
            present("a \"b\".txt").1,
            "inline; filename=\"a \\\"b\\\".txt\""
        );
        assert_eq!(
            present("é.txt").1,
            "inline; filename=\"_.txt\"; filename*=UTF-8''%C3%A9.txt"
        );
    }
}
