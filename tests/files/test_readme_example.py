"""The README's Files example, run through the in-process test client: the same bytes, head
fields, ranges and refusals as over a socket (tests/files/test_files.py)."""

from __future__ import annotations

import os

import pytest
from django.test import override_settings

from django_bolt import BoltAPI, FileResponse
from django_bolt.responses import FilePathNotAllowed, FileResponseNotFound
from django_bolt.testing import TestClient


@pytest.fixture
def reports(demo_apis, tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    pdf = b"%PDF-1.7 " + os.urandom(200_000)
    (folder / "2026.pdf").write_bytes(pdf)
    (tmp_path / "private.txt").write_bytes(b"not for you")
    with override_settings(BOLT_ALLOWED_FILE_PATHS=[folder]):
        yield folder, pdf


def readme_api(folder) -> BoltAPI:
    api = BoltAPI()

    @api.get("/reports/{year}")
    def report(year: int) -> FileResponse:
        return FileResponse(
            f"{folder}/{year}.pdf",
            filename=f"rapport-{year}-é.pdf",
            content_disposition_type="inline",
        ).set_cookie("downloaded", "1")

    return api


def test_readme_files_example(reports):
    folder, pdf = reports
    with TestClient(readme_api(folder)) as c:
        r = c.get("/reports/2026")
        assert r.status_code == 200 and r.content == pdf
        assert r.headers["content-type"] == "application/pdf"
        assert r.headers["content-length"] == str(len(pdf))
        assert r.headers["content-disposition"] == (
            "inline; filename=\"rapport-2026-_.pdf\"; filename*=UTF-8''rapport-2026-%C3%A9.pdf"
        )
        assert r.cookies["downloaded"] == "1"
        part = c.get("/reports/2026", headers={"Range": "bytes=100-199"})
        assert part.status_code == 206 and part.content == pdf[100:200]
        same = c.get("/reports/2026", headers={"If-None-Match": r.headers["etag"]})
        assert same.status_code == 304 and same.content == b""
        head = c.head("/reports/2026")
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-length"] == str(len(pdf))
        assert c.get("/reports/1999").status_code == 404


def test_constructor_refuses_paths_outside_the_roots(reports):
    folder, _ = reports
    for outside in ("/etc/hostname", f"{folder}/../private.txt"):
        with pytest.raises(FilePathNotAllowed, match="BOLT_ALLOWED_FILE_PATHS"):
            FileResponse(outside)
        with pytest.raises(PermissionError):  # what django-bolt raises
            FileResponse(outside)
    with pytest.raises(FileResponseNotFound):
        FileResponse(folder / "missing.pdf")
    with pytest.raises(FileNotFoundError):
        FileResponse(folder / "missing.pdf")
    with pytest.raises(ValueError, match="content_disposition_type"):
        FileResponse(folder / "2026.pdf", content_disposition_type="download")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="regular file"):
        FileResponse(folder)


def test_a_bad_setting_is_a_clear_error(demo_apis, tmp_path):
    from django.core.exceptions import ImproperlyConfigured

    from django_bolt.responses import allowed_file_roots

    with override_settings(BOLT_ALLOWED_FILE_PATHS=[tmp_path / "nowhere"]):
        with pytest.raises(ImproperlyConfigured, match="BOLT_ALLOWED_FILE_PATHS.*nowhere"):
            allowed_file_roots()
    with override_settings(BOLT_ALLOWED_FILE_PATHS=str(tmp_path)):
        with pytest.raises(ImproperlyConfigured, match="list of directories"):
            allowed_file_roots()
    with override_settings(BOLT_ALLOWED_FILE_PATHS=None):
        assert allowed_file_roots() is None, "unset: any path, as in django-bolt"
