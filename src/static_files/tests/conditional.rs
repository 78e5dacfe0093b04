//! Conditional requests (ETag, Last-Modified), ranges and precompressed siblings.

use super::*;
use std::os::unix::fs::FileExt;

// ---- conditional requests -------------------------------------------------------------------

#[test]
fn if_none_match_hit_is_304_with_validators_and_no_body() {
    let tmp = TempDir::new("inm");
    tmp.write("a.txt", b"x");
    let mut m = mount("/static/", &[&tmp.0]);
    m.cache_control = Some("max-age=60".into());
    let sf = StaticFiles::new(vec![m]).unwrap();
    let first = get(&sf, "/static/a.txt", &[]);
    let etag = header(&first, "etag").unwrap().to_owned();
    let weak = format!("W/{etag}");
    let listed = format!("\"other\", {etag}");
    for value in [etag.as_str(), &weak, &listed, "*"] {
        let r = get(&sf, "/static/a.txt", &[("if-none-match", value)]);
        assert_eq!(r.status, 304, "{value}");
        assert!(r.body.is_empty() && r.content_type.is_none(), "{value}");
        assert_eq!(header(&r, "etag"), Some(&*etag));
        assert!(header(&r, "last-modified").is_some());
        assert_eq!(header(&r, "cache-control"), Some("max-age=60"));
    }
    let r = get(&sf, "/static/a.txt", &[("if-none-match", "\"other\"")]);
    assert_eq!(r.status, 200, "a different tag");
}

#[test]
fn if_none_match_miss_ignores_if_modified_since() {
    let tmp = TempDir::new("inm-ims");
    let path = tmp.write("a.txt", b"x");
    set_mtime(&path, 784111777);
    let sf = files(&tmp.0);
    let r = get(
        &sf,
        "/static/a.txt",
        &[
            ("if-none-match", "\"stale\""),
            ("if-modified-since", "Sun, 06 Nov 1994 08:49:37 GMT"),
        ],
    );
    assert_eq!(
        r.status, 200,
        "RFC 9110 §13.1.3: IMS only without If-None-Match"
    );
}

#[test]
fn if_modified_since_not_older_than_mtime_is_304() {
    let tmp = TempDir::new("ims");
    let path = tmp.write("a.txt", b"x");
    set_mtime(&path, 784111777);
    let sf = files(&tmp.0);
    let cases: &[(&str, u16, &str)] = &[
        (
            "Sun, 06 Nov 1994 08:49:37 GMT",
            304,
            "the exact last-modified",
        ),
        ("Sun, 06 Nov 1994 08:49:38 GMT", 304, "later than the file"),
        ("Sun, 06 Nov 1994 08:49:36 GMT", 200, "older than the file"),
        ("not a date", 200, "an invalid date is ignored"),
    ];
    for (value, want, why) in cases {
        let r = get(&sf, "/static/a.txt", &[("if-modified-since", value)]);
        assert_eq!(r.status, *want, "{value}: {why}");
    }
}

// ---- ranges ---------------------------------------------------------------------------------

#[test]
fn single_ranges_are_206_and_others_ignored() {
    let tmp = TempDir::new("range");
    tmp.write("d.bin", b"0123456789");
    let sf = files(&tmp.0);
    /// (range, status, body, content-range, why)
    type Case = (
        &'static str,
        u16,
        &'static [u8],
        Option<&'static str>,
        &'static str,
    );
    let cases: &[Case] = &[
        (
            "bytes=0-4",
            206,
            b"01234",
            Some("bytes 0-4/10"),
            "a closed range",
        ),
        (
            "bytes=5-",
            206,
            b"56789",
            Some("bytes 5-9/10"),
            "open-ended",
        ),
        ("bytes=-3", 206, b"789", Some("bytes 7-9/10"), "a suffix"),
        (
            "bytes=8-100",
            206,
            b"89",
            Some("bytes 8-9/10"),
            "clamped last-pos",
        ),
        (
            "bytes=10-",
            416,
            b"",
            Some("bytes */10"),
            "starts past the end",
        ),
        (
            "bytes=-0",
            416,
            b"",
            Some("bytes */10"),
            "zero-length suffix",
        ),
        (
            "bytes=0-1,4-5",
            200,
            b"0123456789",
            None,
            "multiple ranges: whole file",
        ),
        (
            "bytes=x-y",
            200,
            b"0123456789",
            None,
            "malformed: whole file",
        ),
        (
            "lines=0-1",
            200,
            b"0123456789",
            None,
            "unknown unit: whole file",
        ),
    ];
    for (value, status, body, content_range, why) in cases {
        let r = get(&sf, "/static/d.bin", &[("range", value)]);
        assert_eq!(r.status, *status, "{value}: {why}");
        assert_eq!(r.body, *body, "{value}: {why}");
        assert_eq!(
            header(&r, "content-range"),
            *content_range,
            "{value}: {why}"
        );
    }
}

#[test]
fn range_is_ignored_for_head_and_when_sent_twice() {
    let tmp = TempDir::new("range-head");
    tmp.write("d.bin", b"0123456789");
    let sf = files(&tmp.0);
    let r = request(&sf, "HEAD", "/static/d.bin", &[("range", "bytes=0-1")]);
    assert_eq!(
        r.status, 200,
        "RFC 9110 §14.2: range handling is defined for GET only"
    );
    let r = get(
        &sf,
        "/static/d.bin",
        &[("range", "bytes=0-1"), ("range", "bytes=2-3")],
    );
    assert_eq!(r.status, 200, "two Range fields are invalid");
    assert_eq!(r.body, b"0123456789");
}

#[test]
fn if_range_must_match_for_the_range_to_apply() {
    let tmp = TempDir::new("if-range");
    let path = tmp.write("d.bin", b"0123456789");
    set_mtime(&path, 784111777);
    let sf = files(&tmp.0);
    let etag = header(&get(&sf, "/static/d.bin", &[]), "etag")
        .unwrap()
        .to_owned();
    let weak = format!("W/{etag}");
    let cases: &[(&str, u16, &str)] = &[
        (&etag, 206, "the current strong tag"),
        (&weak, 200, "a weak tag never matches"),
        ("\"old\"", 200, "a stale tag: the file changed, send it all"),
        (
            "Sun, 06 Nov 1994 08:49:37 GMT",
            206,
            "the exact last-modified",
        ),
        ("Sun, 06 Nov 1994 08:49:36 GMT", 200, "another date"),
    ];
    for (value, want, why) in cases {
        let r = get(
            &sf,
            "/static/d.bin",
            &[("range", "bytes=2-3"), ("if-range", value)],
        );
        assert_eq!(r.status, *want, "{value}: {why}");
        let body: &[u8] = if *want == 206 { b"23" } else { b"0123456789" };
        assert_eq!(r.body, body, "{value}: {why}");
    }
}

#[test]
fn range_of_a_large_file_reads_only_the_range() {
    let tmp = TempDir::new("range-large");
    let file = File::create(tmp.0.join("big.bin")).unwrap();
    // A sparse file: 2 GiB long, no disk used. A whole read would exhaust test memory.
    file.set_len(2 << 30).unwrap();
    file.write_at(b"tail", (2 << 30) - 4).unwrap();
    let sf = files(&tmp.0);
    let r = get(&sf, "/static/big.bin", &[("range", "bytes=-4")]);
    assert_eq!(r.status, 206);
    assert_eq!(r.body, b"tail");
    assert_eq!(
        header(&r, "content-range"),
        Some(&*format!(
            "bytes {}-{}/{}",
            (2u64 << 30) - 4,
            (2u64 << 30) - 1,
            2u64 << 30
        ))
    );
}

#[test]
fn empty_file_ignores_range() {
    let tmp = TempDir::new("range-empty");
    tmp.write("e.txt", b"");
    let sf = files(&tmp.0);
    let r = get(&sf, "/static/e.txt", &[("range", "bytes=0-0")]);
    assert_eq!((r.status, r.body.len()), (200, 0));
}

// ---- precompressed siblings -----------------------------------------------------------------

fn compressed_tree(name: &str) -> (TempDir, StaticFiles) {
    let tmp = TempDir::new(name);
    tmp.write("app.js", b"plain");
    tmp.write("app.js.br", b"brotli");
    tmp.write("app.js.gz", b"gzipped");
    tmp.write("gz-only.css", b"plain css");
    tmp.write("gz-only.css.gz", b"gzipped css");
    tmp.write("plain.txt", b"plain");
    let sf = files(&tmp.0);
    (tmp, sf)
}

#[test]
fn precompressed_sibling_chosen_by_accept_encoding() {
    let (_tmp, sf) = compressed_tree("precompressed");
    /// (file, accept-encoding, body, content-encoding, why)
    type Case = (
        &'static str,
        &'static str,
        &'static [u8],
        Option<&'static str>,
        &'static str,
    );
    let cases: &[Case] = &[
        (
            "app.js",
            "gzip, deflate, br",
            b"brotli",
            Some("br"),
            "br preferred",
        ),
        (
            "app.js",
            "gzip",
            b"gzipped",
            Some("gzip"),
            "only gzip accepted",
        ),
        (
            "app.js",
            "br;q=0, gzip",
            b"gzipped",
            Some("gzip"),
            "br refused",
        ),
        (
            "app.js",
            "br;q=0.1, gzip",
            b"gzipped",
            Some("gzip"),
            "gzip weighted higher",
        ),
        ("app.js", "identity", b"plain", None, "no coding accepted"),
        ("app.js", "*", b"brotli", Some("br"), "anything goes"),
        (
            "gz-only.css",
            "br, gzip",
            b"gzipped css",
            Some("gzip"),
            "no .br sibling",
        ),
        (
            "gz-only.css",
            "br",
            b"plain css",
            None,
            "the only sibling is refused",
        ),
    ];
    for (name, accept, body, coding, why) in cases {
        let r = get(
            &sf,
            &format!("/static/{name}"),
            &[("accept-encoding", accept)],
        );
        assert_eq!(r.status, 200, "{why}");
        assert_eq!(r.body, *body, "{why}");
        assert_eq!(header(&r, "content-encoding"), *coding, "{why}");
        assert_eq!(header(&r, "vary"), Some("accept-encoding"), "{why}");
    }
    let css = get(&sf, "/static/gz-only.css", &[("accept-encoding", "gzip")]);
    assert_eq!(
        ctype(&css),
        Some("text/css; charset=utf-8"),
        "type of the original"
    );
}

#[test]
fn vary_only_when_a_sibling_exists() {
    let (_tmp, sf) = compressed_tree("vary");
    let r = get(&sf, "/static/app.js", &[]);
    assert_eq!(r.body, b"plain", "no accept-encoding: identity");
    assert_eq!(header(&r, "vary"), Some("accept-encoding"));
    assert_eq!(header(&r, "content-encoding"), None);
    let r = get(&sf, "/static/plain.txt", &[("accept-encoding", "br, gzip")]);
    assert_eq!(header(&r, "vary"), None);
}

#[test]
fn compressed_variants_have_their_own_etag() {
    let (_tmp, sf) = compressed_tree("etags");
    let tag = |accept| {
        let r = get(&sf, "/static/app.js", &[("accept-encoding", accept)]);
        header(&r, "etag").unwrap().to_owned()
    };
    let (plain, br, gz) = (tag("identity"), tag("br"), tag("gzip"));
    assert!(br.ends_with("-br\""), "{br}");
    assert!(gz.ends_with("-gzip\""), "{gz}");
    assert!(plain != br && plain != gz && br != gz);
    // A br tag revalidates the br variant, but not the identity one.
    let r = get(
        &sf,
        "/static/app.js",
        &[("accept-encoding", "br"), ("if-none-match", &br)],
    );
    assert_eq!(r.status, 304);
    assert_eq!(
        header(&r, "vary"),
        Some("accept-encoding"),
        "304 keeps vary"
    );
    let r = get(&sf, "/static/app.js", &[("if-none-match", &br)]);
    assert_eq!(r.status, 200);
}

#[test]
fn range_is_served_from_the_identity_file() {
    let (_tmp, sf) = compressed_tree("range-identity");
    let r = get(
        &sf,
        "/static/app.js",
        &[("accept-encoding", "br, gzip"), ("range", "bytes=0-1")],
    );
    assert_eq!(r.status, 206);
    assert_eq!(r.body, b"pl");
    assert_eq!(header(&r, "content-encoding"), None);
    assert_eq!(header(&r, "vary"), Some("accept-encoding"));
}

#[test]
fn sibling_escaping_the_root_is_not_used() {
    let tmp = TempDir::new("sibling-out");
    let root = tmp.dir("root");
    tmp.write("root/app.js", b"plain");
    let outside = tmp.write("evil.br", b"evil");
    std::os::unix::fs::symlink(&outside, root.join("app.js.br")).unwrap();
    let sf = files(&root);
    let r = get(&sf, "/static/app.js", &[("accept-encoding", "br")]);
    assert_eq!(r.body, b"plain");
    assert_eq!(header(&r, "vary"), None);
}
