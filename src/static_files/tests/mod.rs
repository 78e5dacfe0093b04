//! Behaviour of [`StaticFiles`] against real files in a temporary directory: one test per
//! rule, each building the tree it needs. Here: configuration, routing, finding the file and
//! its metadata; `conditional`: validators, ranges and precompressed siblings.

mod conditional;

use super::*;
use crate::http::BodySource;
use std::fs::File;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("bolt-static-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn write(&self, rel: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn dir(&self, rel: &str) -> PathBuf {
        let path = self.0.join(rel);
        std::fs::create_dir_all(&path).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn set_mtime(path: &Path, secs: u64) {
    let file = File::options().write(true).open(path).unwrap();
    file.set_modified(UNIX_EPOCH + Duration::from_secs(secs))
        .unwrap();
}

fn mount(prefix: &str, roots: &[&Path]) -> Mount {
    Mount {
        url_prefix: prefix.to_owned(),
        roots: roots.iter().map(|r| r.to_path_buf()).collect(),
        cache_control: None,
        csp: None,
        csp_report_only: None,
        kind: MountKind::Static,
    }
}

/// One `/static/` mount over `root`.
fn files(root: &Path) -> StaticFiles {
    StaticFiles::new(vec![mount("/static/", &[root])]).unwrap()
}

fn get(sf: &StaticFiles, path: &str, headers: &[(&str, &str)]) -> Response {
    request(sf, "GET", path, headers)
}

fn request(sf: &StaticFiles, method: &str, path: &str, headers: &[(&str, &str)]) -> Response {
    let headers: Vec<(String, Vec<u8>)> = headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
        .collect();
    let mut r = sf
        .serve(method, path, &headers)
        .unwrap_or_else(|| panic!("{path} should be under a mount"));
    // The bytes the connection would send after the head (none for HEAD), so tests compare
    // bodies.
    if let (Some(BodySource::File { path, offset, len }), false) = (&r.source, method == "HEAD") {
        use std::os::unix::fs::FileExt;
        let mut body = vec![0; usize::try_from(*len).unwrap()];
        File::open(path)
            .unwrap()
            .read_exact_at(&mut body, *offset)
            .unwrap();
        r.body = body;
    }
    r
}

fn header<'r>(r: &'r Response, name: &str) -> Option<&'r str> {
    r.headers
        .iter()
        .find(|(n, _)| n == name.as_bytes())
        .map(|(_, v)| std::str::from_utf8(v).unwrap())
}

fn ctype(r: &Response) -> Option<&str> {
    r.content_type
        .as_deref()
        .map(|v| std::str::from_utf8(v).unwrap())
}

// ---- configuration --------------------------------------------------------------------------

#[test]
fn new_rejects_prefixes_not_slash_delimited() {
    let tmp = TempDir::new("prefix");
    let cases: &[(&str, &str)] = &[
        ("static/", "no leading slash"),
        ("/static", "no trailing slash"),
        ("/", "would hide every route"),
        ("", "empty"),
        ("//", "an empty segment only"),
        ("/a//b/", "an empty segment inside"),
    ];
    for (prefix, why) in cases {
        let err = StaticFiles::new(vec![mount(prefix, &[&tmp.0])]).unwrap_err();
        assert!(
            matches!(&err, StaticError::InvalidPrefix { prefix: p } if p == prefix),
            "{prefix:?}: {why}"
        );
        assert!(
            err.to_string().contains(&format!("{prefix:?}")),
            "{err} names it"
        );
    }
    StaticFiles::new(vec![mount("/a/b/", &[&tmp.0])]).expect("a nested prefix is fine");
}

#[test]
fn new_rejects_missing_root_naming_it() {
    let tmp = TempDir::new("missing-root");
    let missing = tmp.0.join("nope");
    let err = StaticFiles::new(vec![mount("/static/", &[&tmp.0, &missing])]).unwrap_err();
    assert!(matches!(&err, StaticError::RootUnavailable { root, .. } if *root == missing));
    assert!(err.to_string().contains("nope"), "{err}");
}

#[test]
fn new_rejects_file_as_root() {
    let tmp = TempDir::new("file-root");
    let file = tmp.write("f.txt", b"x");
    let err = StaticFiles::new(vec![mount("/static/", &[&file])]).unwrap_err();
    assert!(matches!(err, StaticError::RootNotDirectory { .. }), "{err}");
}

#[test]
fn new_rejects_cache_control_that_would_split_the_response() {
    let tmp = TempDir::new("cc");
    let mut m = mount("/static/", &[&tmp.0]);
    m.cache_control = Some("max-age=1\r\nset-cookie: x=1".into());
    let err = StaticFiles::new(vec![m]).unwrap_err();
    assert!(
        matches!(
            err,
            StaticError::InvalidHeader {
                name: "cache-control",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn new_rejects_a_policy_that_would_split_the_response() {
    let tmp = TempDir::new("csp-bad");
    let mut m = mount("/static/", &[&tmp.0]);
    m.csp_report_only = Some("default-src 'self'\nset-cookie: x=1".into());
    let err = StaticFiles::new(vec![m]).unwrap_err();
    assert!(
        matches!(
            err,
            StaticError::InvalidHeader {
                name: "content-security-policy-report-only",
                ..
            }
        ),
        "{err}"
    );
}

// ---- routing --------------------------------------------------------------------------------

#[test]
fn paths_outside_every_prefix_are_not_ours() {
    let tmp = TempDir::new("none");
    let sf = files(&tmp.0);
    let cases: &[(&str, &str)] = &[
        ("/", "the site root"),
        (
            "/static",
            "the prefix without its slash is a route of its own",
        ),
        ("/api/static/x", "the prefix must be at the start"),
        ("/%73tatic/x", "the prefix is compared before decoding"),
    ];
    for (path, why) in cases {
        assert!(sf.serve("GET", path, &[]).is_none(), "{path}: {why}");
    }
}

#[test]
fn longest_prefix_wins() {
    let tmp = TempDir::new("longest");
    let general = tmp.dir("general");
    let admin = tmp.dir("admin");
    tmp.write("general/admin/x.txt", b"general");
    tmp.write("admin/x.txt", b"admin");
    let sf = StaticFiles::new(vec![
        mount("/static/", &[&general]),
        mount("/static/admin/", &[&admin]),
    ])
    .unwrap();
    assert_eq!(get(&sf, "/static/admin/x.txt", &[]).body, b"admin");
}

#[test]
fn methods_other_than_get_and_head_are_405() {
    let tmp = TempDir::new("405");
    tmp.write("a.txt", b"x");
    let sf = files(&tmp.0);
    for method in ["POST", "PUT", "DELETE", "OPTIONS", "PATCH", "get"] {
        let r = request(&sf, method, "/static/a.txt", &[]);
        assert_eq!(r.status, 405, "{method}");
        assert_eq!(header(&r, "allow"), Some("GET, HEAD"), "{method}");
    }
}

// ---- finding the file -----------------------------------------------------------------------

#[test]
fn get_serves_file_with_validators_and_accept_ranges() {
    let tmp = TempDir::new("get");
    let path = tmp.write("css/site.css", b"body{}");
    set_mtime(&path, 784111777);
    let sf = files(&tmp.0);
    let r = get(&sf, "/static/css/site.css", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"body{}");
    assert_eq!(ctype(&r), Some("text/css; charset=utf-8"));
    // 784111777 s in nanoseconds, in hex.
    let nanos = 784111777u128 * 1_000_000_000;
    assert_eq!(header(&r, "etag"), Some(&*format!("\"6-{nanos:x}\"")));
    assert_eq!(
        header(&r, "last-modified"),
        Some("Sun, 06 Nov 1994 08:49:37 GMT")
    );
    assert_eq!(header(&r, "accept-ranges"), Some("bytes"));
    assert_eq!(
        header(&r, "cache-control"),
        None,
        "no cache_control configured"
    );
    assert_eq!(header(&r, "vary"), None, "no sibling, nothing varies");
    assert!(r
        .headers
        .iter()
        .all(|(n, _)| n != b"content-length" && n != b"connection"));
}

#[test]
fn head_has_the_get_headers_and_no_body() {
    let tmp = TempDir::new("head");
    tmp.write("a.txt", b"hello");
    let sf = files(&tmp.0);
    let g = get(&sf, "/static/a.txt", &[]);
    let h = request(&sf, "HEAD", "/static/a.txt", &[]);
    assert_eq!(h.status, 200);
    assert!(h.body.is_empty());
    assert!(
        matches!(h.source, Some(BodySource::File { len: 5, .. })),
        "framed with the file's length"
    );
    assert_eq!((h.content_type, h.headers), (g.content_type, g.headers));
}

#[test]
fn parent_references_are_400() {
    let tmp = TempDir::new("traversal");
    let root = tmp.dir("root");
    tmp.write("secret.txt", b"secret");
    let sf = files(&root);
    let cases: &[(&str, &str)] = &[
        ("/static/../secret.txt", "raw parent segment"),
        ("/static/%2e%2e/secret.txt", "encoded parent segment"),
        (
            "/static/%2E%2e/secret.txt",
            "mixed-case encoded parent segment",
        ),
        ("/static/.%2e/secret.txt", "half-encoded parent segment"),
        (
            "/static/..%2fsecret.txt",
            "parent segment with an encoded slash",
        ),
        ("/static/..%5csecret.txt", "encoded backslash"),
        ("/static/..\\secret.txt", "raw backslash"),
    ];
    for (path, why) in cases {
        let r = get(&sf, path, &[]);
        assert_eq!(r.status, 400, "{path}: {why}");
        assert_eq!(r.body, br#"{"detail":"Invalid path"}"#, "{path}: {why}");
        assert_eq!(header(&r, "x-content-type-options"), Some("nosniff"));
    }
}

#[test]
fn odd_paths_are_404() {
    let tmp = TempDir::new("odd");
    let root = tmp.dir("root");
    tmp.write("secret.txt", b"secret");
    tmp.write("root/a.txt", b"a");
    let sf = files(&root);
    let abs = tmp.0.join("secret.txt");
    let abs = format!("/static/{}", abs.display());
    let cases: &[(&str, &str)] = &[
        ("/static/a.txt%00", "encoded NUL"),
        ("/static/a.txt%00.png", "NUL before a fake extension"),
        ("/static/a%5ca.txt", "encoded backslash"),
        (
            "/static//etc/passwd",
            "empty segment making an absolute path",
        ),
        (&abs, "an absolute path to a real file outside the root"),
        ("/static/%ff", "invalid UTF-8 after decoding"),
        ("/static/./a.txt", "a current-directory segment"),
    ];
    for (path, why) in cases {
        let r = get(&sf, path, &[]);
        assert_eq!(r.status, 404, "{path}: {why}");
        assert_ne!(r.body, b"secret", "{path}: {why}");
    }
}

#[test]
fn hidden_files_are_404() {
    let tmp = TempDir::new("hidden");
    tmp.write(".env", b"SECRET_KEY=x");
    tmp.write(".git/config", b"[core]");
    tmp.write("css/.htaccess", b"deny");
    tmp.write("ok.txt", b"ok");
    let sf = StaticFiles::new(vec![
        mount("/static/", &[&tmp.0]),
        Mount {
            kind: MountKind::Media,
            ..mount("/media/", &[&tmp.0])
        },
    ])
    .unwrap();
    for prefix in ["/static/", "/media/"] {
        for name in [
            ".env",
            ".git/config",
            "css/.htaccess",
            "%2eenv",
            "css%2f.htaccess",
        ] {
            let r = get(&sf, &format!("{prefix}{name}"), &[]);
            assert_eq!(r.status, 404, "{prefix}{name}");
            assert_eq!(header(&r, "x-content-type-options"), Some("nosniff"));
        }
        assert_eq!(get(&sf, &format!("{prefix}ok.txt"), &[]).status, 200);
    }
}

/// Every kind of answer a file of `/static/a.txt` gets: 200, HEAD, 304, 206 and 416.
fn file_answers(sf: &StaticFiles) -> Vec<(Response, u16, &'static str)> {
    let etag = header(&get(sf, "/static/a.txt", &[]), "etag")
        .unwrap()
        .to_owned();
    vec![
        (get(sf, "/static/a.txt", &[]), 200, "a file"),
        (request(sf, "HEAD", "/static/a.txt", &[]), 200, "HEAD"),
        (
            get(sf, "/static/a.txt", &[("if-none-match", &etag)]),
            304,
            "not modified",
        ),
        (
            get(sf, "/static/a.txt", &[("range", "bytes=1-2")]),
            206,
            "a range",
        ),
        (
            get(sf, "/static/a.txt", &[("range", "bytes=99-")]),
            416,
            "an unsatisfiable range",
        ),
    ]
}

#[test]
fn every_answer_has_nosniff() {
    let tmp = TempDir::new("nosniff");
    tmp.write("a.txt", b"hello");
    let sf = files(&tmp.0);
    let mut cases = file_answers(&sf);
    cases.extend([
        (get(&sf, "/static/missing", &[]), 404, "a missing file"),
        (get(&sf, "/static/%2e%2e/x", &[]), 400, "a parent reference"),
        (request(&sf, "POST", "/static/a.txt", &[]), 405, "POST"),
    ]);
    for (r, status, why) in cases {
        assert_eq!(r.status, status, "{why}");
        assert_eq!(
            header(&r, "x-content-type-options"),
            Some("nosniff"),
            "{why}"
        );
    }
}

#[test]
fn every_file_answer_has_the_policies_and_errors_do_not() {
    let tmp = TempDir::new("csp");
    tmp.write("a.txt", b"hello");
    let sf = StaticFiles::new(vec![Mount {
        csp: Some("default-src 'self'".into()),
        csp_report_only: Some("img-src 'none'".into()),
        ..mount("/static/", &[&tmp.0])
    }])
    .unwrap();
    for (r, status, why) in file_answers(&sf) {
        assert_eq!(r.status, status, "{why}");
        assert_eq!(
            header(&r, "content-security-policy"),
            Some("default-src 'self'"),
            "{why}"
        );
        assert_eq!(
            header(&r, "content-security-policy-report-only"),
            Some("img-src 'none'"),
            "{why}"
        );
    }
    // As django-bolt: its JSON errors are no file, and get no policy.
    let r = get(&sf, "/static/missing", &[]);
    assert_eq!(r.status, 404);
    assert_eq!(header(&r, "content-security-policy"), None);
}

#[test]
fn media_forces_script_types_to_download_and_static_keeps_them() {
    let tmp = TempDir::new("media");
    tmp.write("x.html", b"<script>alert(1)</script>");
    tmp.write("x.svg", b"<svg/>");
    tmp.write("a b.txt", b"text");
    let sf = StaticFiles::new(vec![
        mount("/static/", &[&tmp.0]),
        Mount {
            kind: MountKind::Media,
            ..mount("/media/", &[&tmp.0])
        },
    ])
    .unwrap();
    for name in ["x.html", "x.svg"] {
        let r = get(&sf, &format!("/media/{name}"), &[]);
        assert_eq!(r.status, 200, "{name}");
        assert_eq!(ctype(&r), Some("application/octet-stream"), "{name}");
        assert_eq!(
            header(&r, "content-disposition"),
            Some("attachment"),
            "{name}"
        );
        // A range of it is still the download, not the page.
        let r = get(&sf, &format!("/media/{name}"), &[("range", "bytes=0-1")]);
        assert_eq!(r.status, 206, "{name}");
        assert_eq!(ctype(&r), Some("application/octet-stream"), "{name}");
        assert_eq!(
            header(&r, "content-disposition"),
            Some("attachment"),
            "{name}"
        );
    }
    let r = get(&sf, "/media/a%20b.txt", &[]);
    assert_eq!(ctype(&r), Some("text/plain; charset=utf-8"));
    assert_eq!(
        header(&r, "content-disposition"),
        Some("inline; filename=\"a b.txt\"")
    );
    let r = get(&sf, "/static/x.html", &[]);
    assert_eq!(ctype(&r), Some("text/html; charset=utf-8"));
    assert_eq!(
        header(&r, "content-disposition"),
        Some("inline; filename=\"x.html\"")
    );
    assert_eq!(header(&r, "x-content-type-options"), Some("nosniff"));
}

#[test]
fn symlink_escaping_the_root_is_404() {
    let tmp = TempDir::new("symlink-out");
    let root = tmp.dir("root");
    let secret = tmp.write("secret.txt", b"secret");
    std::os::unix::fs::symlink(&secret, root.join("link.txt")).unwrap();
    std::os::unix::fs::symlink(&tmp.0, root.join("up")).unwrap();
    let sf = files(&root);
    assert_eq!(get(&sf, "/static/link.txt", &[]).status, 404, "file link");
    assert_eq!(
        get(&sf, "/static/up/secret.txt", &[]).status,
        404,
        "dir link"
    );
}

#[test]
fn symlink_inside_the_root_is_served() {
    let tmp = TempDir::new("symlink-in");
    let target = tmp.write("v1/app.js", b"js");
    std::os::unix::fs::symlink(&target, tmp.0.join("app.js")).unwrap();
    let sf = files(&tmp.0);
    assert_eq!(get(&sf, "/static/app.js", &[]).body, b"js");
}

#[test]
fn directories_and_missing_files_are_404() {
    let tmp = TempDir::new("dirs");
    tmp.write("css/site.css", b"x");
    let sf = files(&tmp.0);
    let cases: &[(&str, &str)] = &[
        ("/static/css", "a directory"),
        ("/static/css/", "a directory with its slash"),
        ("/static/", "the root itself"),
        ("/static/nope.css", "missing"),
        ("/static/css/site.css/x", "a file used as a directory"),
    ];
    for (path, why) in cases {
        let r = get(&sf, path, &[]);
        assert_eq!(r.status, 404, "{path}: {why}");
        assert_eq!(r.body, br#"{"detail":"Not Found"}"#);
        assert!(request(&sf, "HEAD", path, &[]).body.is_empty(), "{path}");
    }
}

#[test]
fn percent_encoded_names_are_decoded() {
    let tmp = TempDir::new("decode");
    tmp.write("my file.txt", b"spaced");
    tmp.write("caf\u{e9}.txt", b"utf8");
    let sf = files(&tmp.0);
    assert_eq!(get(&sf, "/static/my%20file.txt", &[]).body, b"spaced");
    assert_eq!(get(&sf, "/static/caf%C3%A9.txt", &[]).body, b"utf8");
}

#[test]
fn first_root_containing_the_file_wins() {
    let tmp = TempDir::new("roots");
    let a = tmp.dir("a");
    let b = tmp.dir("b");
    tmp.write("a/both.txt", b"from a");
    tmp.write("b/both.txt", b"from b");
    tmp.write("b/only-b.txt", b"only b");
    tmp.dir("a/only-b.txt"); // a directory in the first root does not hide the file
    let sf = StaticFiles::new(vec![mount("/static/", &[&a, &b])]).unwrap();
    assert_eq!(get(&sf, "/static/both.txt", &[]).body, b"from a");
    assert_eq!(get(&sf, "/static/only-b.txt", &[]).body, b"only b");
}

// ---- representation metadata ----------------------------------------------------------------

#[test]
fn content_type_from_extension() {
    let tmp = TempDir::new("ctype");
    let sf = files(&tmp.0);
    let cases: &[(&str, &str, &str)] = &[
        ("a.css", "text/css; charset=utf-8", "text/* gets a charset"),
        (
            "a.html",
            "text/html; charset=utf-8",
            "text/* gets a charset",
        ),
        (
            "a.json",
            "application/json; charset=utf-8",
            "JSON gets a charset",
        ),
        ("a.png", "image/png", "binary types do not"),
        ("a.woff2", "font/woff2", "fonts"),
        ("a.svg", "image/svg+xml", "svg"),
        ("a.qqqzzz", "application/octet-stream", "unknown extension"),
        ("Makefile", "application/octet-stream", "no extension"),
    ];
    for (name, want, why) in cases {
        tmp.write(name, b"x");
        let r = get(&sf, &format!("/static/{name}"), &[]);
        assert_eq!(ctype(&r), Some(*want), "{name}: {why}");
    }
    tmp.write("a.js", b"x");
    let js = get(&sf, "/static/a.js", &[]);
    let js = ctype(&js).unwrap();
    assert!(js.ends_with("javascript; charset=utf-8"), "{js}");
}

#[test]
fn cache_control_comes_from_the_mount() {
    let tmp = TempDir::new("cache");
    tmp.write("a.txt", b"x");
    let mut m = mount("/static/", &[&tmp.0]);
    m.cache_control = Some("public, max-age=3600".into());
    let sf = StaticFiles::new(vec![m]).unwrap();
    let r = get(&sf, "/static/a.txt", &[]);
    assert_eq!(header(&r, "cache-control"), Some("public, max-age=3600"));
}
