"""Static and media files served by Rust: validators, ranges, precompressed siblings, no way out
of the roots, no hidden files, nosniff everywhere, and uploads that cannot run in the site's
origin."""

from __future__ import annotations

import gzip
import os
import shutil
from email.utils import formatdate

import pytest

from support.boltproc import BoltProcess
from support.paths import DEMO
from support.projects import copy_demo
from support.wire import fetch, get_until_close

MEDIA = DEMO / "media"
TEXT = b"hello media\n" * 200
#: Uploads a browser would run as a page or a script if served with their own type.
SCRIPTS = {"x.html": b"<script>alert(1)</script>", "x.HTM": b"<b>", "x.svg": b"<svg/>", "x.js": b"1", "x.xml": b"<a/>"}
OTHERS = {"a b.txt": b"spaced", "doc.pdf": b"%PDF-1.4", ".env": b"SECRET_KEY=media"}


@pytest.fixture(scope="module")
def static_server(demo_db, driver):
    MEDIA.mkdir(exist_ok=True)
    (MEDIA / "t.txt").write_bytes(TEXT)
    (MEDIA / "t.txt.gz").write_bytes(gzip.compress(TEXT))
    (MEDIA / "t.txt.br").write_bytes(b"pretend-brotli")
    escape = MEDIA / "escape.txt"
    if escape.is_symlink() or escape.exists():
        escape.unlink()
    os.symlink("/etc/hostname", escape)
    for name, data in {**SCRIPTS, **OTHERS}.items():
        (MEDIA / name).write_bytes(data)
    (MEDIA / ".git").mkdir(exist_ok=True)
    (MEDIA / ".git" / "config").write_bytes(b"[core]")
    server = BoltProcess.start(cores=1, driver=driver, env={"DEMO_DEBUG": "1"})
    yield server
    server.stop()
    for name in ("t.txt", "t.txt.gz", "t.txt.br", "escape.txt", *SCRIPTS, *OTHERS):
        (MEDIA / name).unlink(missing_ok=True)
    shutil.rmtree(MEDIA / ".git", ignore_errors=True)


def test_admin_css_from_the_app_finders_with_validators(static_server):
    resp = fetch(static_server.port, "GET", "/static/admin/css/base.css")
    assert resp.status == 200
    assert resp.content_type == "text/css; charset=utf-8"
    assert resp.header("etag") and resp.header("last-modified")
    assert resp.header("accept-ranges") == "bytes"
    assert resp.header("cache-control") == "public, max-age=3600"
    assert b"DJANGO Admin styles" in resp.body


def test_if_none_match_gives_304(static_server):
    etag = fetch(static_server.port, "GET", "/media/t.txt").header("etag")
    resp = fetch(static_server.port, "GET", "/media/t.txt", headers=[("If-None-Match", etag)])
    assert resp.status == 304
    assert resp.body == b""
    assert resp.header("etag") == etag


def test_if_modified_since_gives_304(static_server):
    lm = fetch(static_server.port, "GET", "/media/t.txt").header("last-modified")
    assert fetch(static_server.port, "GET", "/media/t.txt", headers=[("If-Modified-Since", lm)]).status == 304
    old = formatdate(0, usegmt=True)
    assert fetch(static_server.port, "GET", "/media/t.txt", headers=[("If-Modified-Since", old)]).status == 200


def test_range_gives_206(static_server):
    resp = fetch(static_server.port, "GET", "/media/t.txt", headers=[("Range", "bytes=6-10")])
    assert resp.status == 206
    assert resp.body == TEXT[6:11]
    assert resp.header("content-range") == f"bytes 6-10/{len(TEXT)}"


def test_unsatisfiable_range_gives_416(static_server):
    resp = fetch(static_server.port, "GET", "/media/t.txt", headers=[("Range", "bytes=99999-")])
    assert resp.status == 416
    assert resp.header("content-range") == f"bytes */{len(TEXT)}"


def test_head_has_the_length_and_no_body(static_server):
    resp = fetch(static_server.port, "HEAD", "/media/t.txt")
    assert resp.status == 200
    assert resp.header("content-length") == str(len(TEXT))
    assert resp.body == b""


def test_precompressed_gzip_sibling(static_server):
    resp = fetch(static_server.port, "GET", "/media/t.txt", headers=[("Accept-Encoding", "gzip")])
    assert resp.status == 200
    assert resp.header("content-encoding") == "gzip"
    assert "accept-encoding" in resp.header("vary").lower()
    assert gzip.decompress(resp.body) == TEXT


def test_precompressed_brotli_sibling_preferred(static_server):
    resp = fetch(static_server.port, "GET", "/media/t.txt", headers=[("Accept-Encoding", "gzip, br")])
    assert resp.header("content-encoding") == "br"
    assert resp.body == b"pretend-brotli"


def test_identity_without_accept_encoding(static_server):
    resp = fetch(static_server.port, "GET", "/media/t.txt")
    assert resp.header("content-encoding") is None
    assert resp.body == TEXT


@pytest.mark.parametrize(
    "target",
    [
        b"/media/t.txt%00.png",
        b"/media/escape.txt",
        b"/media//etc/passwd",
        b"/media/%5cdemo%5csettings.py",
    ],
)
def test_no_path_leaves_the_root(static_server, target):
    resp = get_until_close(static_server.port, target)
    assert resp.status == 404, target
    assert b"SECRET_KEY" not in resp.body


@pytest.mark.parametrize(
    "target",
    [
        b"/media/../demo/settings.py",
        b"/media/%2e%2e/demo/settings.py",
        b"/media/%2E%2E/demo/settings.py",
        b"/media/.%2e/demo/settings.py",
        b"/media/..%2fdemo/settings.py",
        b"/media/%5c..%5cdemo/settings.py",
        b"/static/../demo/settings.py",
    ],
)
def test_parent_reference_is_400(static_server, target):
    """As in django-bolt: a path with `..` (raw or encoded) is a bad request, not a missing file."""
    resp = get_until_close(static_server.port, target)
    assert resp.status == 400, target
    assert resp.body == b'{"detail":"Invalid path"}'
    assert resp.header("x-content-type-options") == "nosniff"


@pytest.mark.parametrize("target", ["/media/.env", "/media/%2eenv", "/media/.git/config", "/media/%5c.env"])
def test_hidden_files_are_404(static_server, target):
    resp = fetch(static_server.port, "GET", target)
    assert resp.status == 404, target
    assert b"SECRET_KEY" not in resp.body and b"[core]" not in resp.body


@pytest.mark.parametrize(
    ("method", "target", "headers", "status"),
    [
        ("GET", "/static/admin/css/base.css", [], 200),
        ("GET", "/media/t.txt", [], 200),
        ("HEAD", "/media/t.txt", [], 200),
        ("GET", "/media/t.txt", [("Range", "bytes=0-1")], 206),
        ("GET", "/media/t.txt", [("Range", "bytes=99999-")], 416),
        ("GET", "/media/t.txt", [("If-Modified-Since", "Fri, 01 Jan 2100 00:00:00 GMT")], 304),
        ("GET", "/media/nope.txt", [], 404),
        ("GET", "/static/%2e%2e/x", [], 400),
        ("POST", "/media/t.txt", [], 405),
    ],
)
def test_every_static_and_media_answer_has_nosniff(static_server, method, target, headers, status):
    resp = fetch(static_server.port, method, target, headers=headers)
    assert resp.status == status
    assert resp.header("x-content-type-options") == "nosniff"


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_media_script_types_are_downloaded_as_bytes(static_server, name):
    """An uploaded page, SVG or script must not run in the site's origin (case-blind: x.HTM)."""
    resp = fetch(static_server.port, "GET", f"/media/{name}")
    assert resp.status == 200
    assert resp.body == SCRIPTS[name]
    assert resp.content_type == "application/octet-stream"
    assert resp.header("content-disposition") == "attachment"
    ranged = fetch(static_server.port, "GET", f"/media/{name}", headers=[("Range", "bytes=0-0")])
    assert ranged.status == 206
    assert ranged.content_type == "application/octet-stream"
    assert ranged.header("content-disposition") == "attachment"


def test_media_displayable_file_is_inline_with_its_name(static_server):
    resp = fetch(static_server.port, "GET", "/media/a%20b.txt")
    assert resp.status == 200
    assert resp.content_type == "text/plain; charset=utf-8"
    assert resp.header("content-disposition") == 'inline; filename="a b.txt"'


def test_media_other_file_is_an_attachment_with_its_type(static_server):
    resp = fetch(static_server.port, "GET", "/media/doc.pdf")
    assert resp.status == 200
    assert resp.content_type == "application/pdf"
    assert resp.header("content-disposition") == 'attachment; filename="doc.pdf"'


def test_static_script_keeps_its_type(static_server):
    """The project's own JavaScript is served to run: its own type, inline, as django-bolt does."""
    resp = fetch(static_server.port, "GET", "/static/admin/js/core.js")
    assert resp.status == 200
    assert resp.content_type.startswith(("text/javascript", "application/javascript"))
    assert resp.header("content-disposition") == 'inline; filename="core.js"'


def test_post_to_static_is_405(static_server):
    resp = fetch(static_server.port, "POST", "/media/t.txt", body=b"x")
    assert resp.status == 405
    assert resp.tokens("allow") == {"GET", "HEAD"}


def test_missing_static_file_is_404(static_server):
    assert fetch(static_server.port, "GET", "/static/nope.css").status == 404


def test_static_root_is_served_without_debug(demo_db, driver, tmp_path):
    """DEBUG off (production): STATIC_ROOT (what collectstatic fills) is served, with validators and
    the per-prefix Cache-Control; the app finders are not (the admin's CSS is only in the app)."""
    project = copy_demo(tmp_path / "demo", "staticfiles")
    css = b"body { color: #123456; }\n" * 50
    (project / "staticfiles" / "site").mkdir(parents=True)
    (project / "staticfiles" / "site" / "app.css").write_bytes(css)
    server = BoltProcess.start(cores=1, driver=driver, cwd=project)  # server_env() drops DEMO_DEBUG
    try:
        resp = fetch(server.port, "GET", "/static/site/app.css")
        assert resp.status == 200, resp.body[:300]
        assert resp.body == css
        assert resp.content_type == "text/css; charset=utf-8"
        assert resp.header("cache-control") == "public, max-age=3600"
        etag = resp.header("etag")
        assert etag and resp.header("last-modified")
        assert fetch(server.port, "GET", "/static/site/app.css", headers=[("If-None-Match", etag)]).status == 304
        ranged = fetch(server.port, "GET", "/static/site/app.css", headers=[("Range", "bytes=0-3")])
        assert ranged.status == 206 and ranged.body == css[:4]
        # Only with DEBUG do the finders serve files that were never collected.
        assert fetch(server.port, "GET", "/static/admin/css/base.css").status == 404
    finally:
        assert server.stop() == 0


def test_cache_control_is_per_prefix(static_server):
    """BOLT_STATIC_CACHE_CONTROL names /static/ only: media files get no Cache-Control from it."""
    assert (
        fetch(static_server.port, "GET", "/static/admin/css/base.css").header("cache-control") == "public, max-age=3600"
    )
    media = fetch(static_server.port, "GET", "/media/t.txt")
    assert media.status == 200
    assert media.header("cache-control") is None
