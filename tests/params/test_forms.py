"""Form fields (URL-encoded, parsed in Rust) and multipart uploads (Django's parser)."""

from __future__ import annotations

import hashlib
import os
from urllib.parse import urlencode

from support.boltproc import BoltProcess
from support.inproc import fetch
from support.projects import copy_demo
from support.wire import FORM, multipart


def test_urlencoded_form_fields_are_coerced(app):
    body = urlencode([("name", "Ada Lovelace"), ("age", "36"), ("tags", "a"), ("tags", "b")]).encode()
    resp = fetch(app, "POST", "/form", headers=FORM, body=body)
    assert resp.status == 200
    assert resp.json() == {"name": "Ada Lovelace", "age": 36, "tags": ["a", "b"]}


def test_form_errors_are_reported_under_body(app):
    resp = fetch(app, "POST", "/form", headers=FORM, body=b"age=-1")
    assert resp.status == 422
    locs = {tuple(e["loc"]): e["type"] for e in resp.json()["detail"]}
    assert locs == {("body", "name"): "missing", ("body", "age"): "greater_than_equal"}


def test_form_fields_from_multipart_too(app):
    headers, body = multipart([("name", None, b"Bob"), ("age", None, b"7")])
    assert fetch(app, "POST", "/form", headers=headers, body=body).json() == {
        "name": "Bob",
        "age": 7,
        "tags": [],
    }


def test_json_sent_to_a_form_route_is_415(app):
    resp = fetch(app, "POST", "/form", headers=[("Content-Type", "application/json")], body=b'{"name":"x"}')
    assert resp.status == 415


def test_upload_file_with_fields(app):
    blob = os.urandom(3 * 1024 * 1024)  # past the 1 MiB spool threshold: Django spools it to disk
    headers, body = multipart(
        [("title", None, b"report"), ("doc", "r.pdf", blob), ("extra", "a.txt", b"a"), ("extra", "b.txt", b"b")]
    )
    resp = fetch(app, "POST", "/upload", headers=headers, body=body)
    assert resp.status == 200, resp.body
    assert resp.json() == {
        "title": "report",
        "filename": "r.pdf",
        "content_type": "application/pdf",
        "size": len(blob),
        "sha256": hashlib.sha256(blob).hexdigest(),
        "extra": ["a.txt", "b.txt"],
    }


def test_missing_file_is_422(app):
    headers, body = multipart([("title", None, b"no file")])
    resp = fetch(app, "POST", "/upload", headers=headers, body=body)
    assert resp.status == 422
    assert resp.json()["detail"][0]["loc"] == ["body", "doc"]


def test_malformed_multipart_is_400(app):
    resp = fetch(app, "POST", "/upload", headers=[("Content-Type", "multipart/form-data")], body=b"junk")
    assert resp.status == 400


def test_too_many_files_is_413(app):
    parts = [("title", None, b"t"), ("doc", "d.pdf", b"d")] + [("extra", f"{i}.txt", b"x") for i in range(100)]
    headers, body = multipart(parts)
    resp = fetch(app, "POST", "/upload", headers=headers, body=body)
    assert resp.status == 413
    assert resp.json() == {"detail": "Too many files"}


def test_large_uploads_are_spooled_to_disk_small_ones_kept_in_memory(app):
    big = os.urandom(3 * 1024 * 1024)  # past the default spool threshold (django-bolt's 1 MiB)
    headers, body = multipart([("doc", "big.bin", big)])
    resp = fetch(app, "POST", "/claims/upload-spool", headers=headers, body=body)
    assert resp.status == 200, resp.body
    assert resp.json() == {"size": len(big), "on_disk": True}
    headers, body = multipart([("doc", "small.bin", b"tiny")])
    assert fetch(app, "POST", "/claims/upload-spool", headers=headers, body=body).json() == {
        "size": 4,
        "on_disk": False,
    }


def test_bolt_max_upload_files_setting(demo_db, driver, tmp_path):
    """BOLT_MAX_UPLOAD_FILES = 2: two files pass, a third is a 413."""
    project = copy_demo(tmp_path / "demo", "staticfiles", settings="\nBOLT_MAX_UPLOAD_FILES = 2\n")
    server = BoltProcess.start(cores=1, driver=driver, cwd=project)
    try:
        two = [("title", None, b"t"), ("doc", "d.pdf", b"d"), ("extra", "1.txt", b"x")]
        headers, body = multipart(two)
        ok = fetch(server.port, "POST", "/upload", headers=headers, body=body)
        assert ok.status == 200 and ok.json()["extra"] == ["1.txt"], ok.body
        headers, body = multipart(two + [("extra", "2.txt", b"y")])
        refused = fetch(server.port, "POST", "/upload", headers=headers, body=body)
        assert refused.status == 413 and refused.json() == {"detail": "Too many files"}
    finally:
        assert server.stop() == 0


def _upload_of_body_size(size: int) -> tuple[list, bytes]:
    """A one-file multipart upload whose whole body is ``size`` bytes."""
    framing = len(multipart([("doc", "f.bin", b"")])[1])
    headers, body = multipart([("doc", "f.bin", b"x" * (size - framing))])
    assert len(body) == size
    return headers, body


def _on_disk(target, size: int) -> bool:
    headers, body = _upload_of_body_size(size)
    resp = fetch(target, "POST", "/claims/upload-spool", headers=headers, body=body)
    assert resp.status == 200, resp.body
    return resp.json()["on_disk"]


def test_default_spool_threshold_is_django_bolts_1_mib(app):
    """Neither BOLT_MEMORY_SPOOL_THRESHOLD nor FILE_UPLOAD_MAX_MEMORY_SIZE set (the demo): a body
    of 1 MiB stays in memory, one byte more goes to disk (Django alone would allow 2.5 MB)."""
    assert _on_disk(app, 1024 * 1024) is False
    assert _on_disk(app, 1024 * 1024 + 1) is True


def test_bolt_memory_spool_threshold_setting(demo_db, driver, tmp_path):
    """BOLT_MEMORY_SPOOL_THRESHOLD = 20000: a body of 20000 bytes stays in memory, 20001 go to
    disk; it wins over Django's FILE_UPLOAD_MAX_MEMORY_SIZE."""
    settings = "\nBOLT_MEMORY_SPOOL_THRESHOLD = 20000\nFILE_UPLOAD_MAX_MEMORY_SIZE = 10\n"
    project = copy_demo(tmp_path / "demo", "staticfiles", settings=settings)
    server = BoltProcess.start(cores=1, driver=driver, cwd=project)
    try:
        assert _on_disk(server.port, 20000) is False
        assert _on_disk(server.port, 20001) is True
    finally:
        assert server.stop() == 0
