"""``SECURE_CSP`` and ``SECURE_CSP_REPORT_ONLY`` on static and media files, as django-bolt sends
them: one policy built by Django's ``build_policy`` without a nonce, on every file answer (200,
206, 304, HEAD); a setting Django cannot build stops the start-up."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from django_bolt import BoltAPI
from django_bolt.testing import TestClient
from support.boltproc import BoltProcess
from support.projects import copy_project, run_bolt
from support.wire import fetch, get

POLICY = "default-src 'self'; script-src 'self' https://cdn.example"
REPORT_ONLY = "img-src 'none'"
CSP_SETTINGS = (
    "from django.utils.csp import CSP\n"
    # The nonce source has no value for a file, so it is left out.
    "SECURE_CSP = {'default-src': [CSP.SELF], 'script-src': [CSP.SELF, CSP.NONCE, 'https://cdn.example'],"
    " 'frame-src': None}\n"
    "SECURE_CSP_REPORT_ONLY = {'img-src': [CSP.NONE]}\n"
)


def _project(tmp: Path, settings: str) -> Path:
    (tmp / "static").mkdir(exist_ok=True)
    (tmp / "static" / "app.js").write_text("console.log(1)\n" * 40)
    (tmp / "media").mkdir(exist_ok=True)
    (tmp / "media" / "a.txt").write_text("a")
    files = (
        f"STATIC_URL = '/static/'\nSTATIC_ROOT = {str(tmp / 'static')!r}\n"
        f"MEDIA_URL = '/media/'\nMEDIA_ROOT = {str(tmp / 'media')!r}\n"
    )
    return copy_project("boltapi", tmp / "p", settings=files + settings)


@pytest.fixture(scope="module")
def csp_server(tmp_path_factory, driver):
    server = BoltProcess.start(cwd=_project(tmp_path_factory.mktemp("csp"), CSP_SETTINGS), driver=driver)
    yield server
    assert server.stop() == 0


def _policies(resp) -> tuple[str | None, str | None]:
    return resp.header("content-security-policy"), resp.header("content-security-policy-report-only")


def test_static_file_has_the_policy(csp_server):
    resp = get(csp_server.port, "/static/app.js")
    assert resp.status == 200, resp.body
    assert _policies(resp) == (POLICY, REPORT_ONLY)


def test_media_file_has_the_policy(csp_server):
    resp = get(csp_server.port, "/media/a.txt")
    assert resp.status == 200 and resp.body == b"a"
    assert _policies(resp) == (POLICY, REPORT_ONLY)


def test_not_modified_and_head_and_range_keep_the_policy(csp_server):
    etag = get(csp_server.port, "/static/app.js").header("etag")
    not_modified = get(csp_server.port, "/static/app.js", headers=[("If-None-Match", etag)])
    assert not_modified.status == 304
    assert _policies(not_modified) == (POLICY, REPORT_ONLY)
    head = fetch(csp_server.port, "HEAD", "/static/app.js")
    assert head.status == 200 and head.body == b""
    assert _policies(head) == (POLICY, REPORT_ONLY)
    part = get(csp_server.port, "/media/a.txt", headers=[("Range", "bytes=0-0")])
    assert part.status == 206
    assert _policies(part) == (POLICY, REPORT_ONLY)


def test_report_only_alone(tmp_path, driver):
    settings = "SECURE_CSP_REPORT_ONLY = {'default-src': [\"'self'\"], 'report-uri': '/csp'}\n"
    server = BoltProcess.start(cwd=_project(tmp_path, settings), driver=driver)
    try:
        resp = get(server.port, "/static/app.js")
        assert _policies(resp) == (None, "default-src 'self'; report-uri /csp")
    finally:
        assert server.stop() == 0


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ("SECURE_CSP = ['default-src', 'self']\n", "SECURE_CSP must be a dict, got list"),
        ("SECURE_CSP_REPORT_ONLY = {'default-src': [1]}\n", "SECURE_CSP_REPORT_ONLY is not valid:"),
        (
            "SECURE_CSP = {'default-src': [\"'self'\\r\\nSet-Cookie: a=b\"]}\n",
            "SECURE_CSP is not valid: \"default-src 'self'\\r\\nSet-Cookie: a=b\" cannot be sent as a header value",
        ),
    ],
    ids=["not-a-dict", "not-a-string", "header-split"],
)
def test_bad_secure_csp_stops_the_start(tmp_path, settings, message):
    r = run_bolt(_project(tmp_path, settings))
    assert r.returncode == 1, r.stdout + r.stderr
    assert message in r.stderr, r.stderr


def test_test_client_sends_the_policy_of_static_files_config(demo_apis, tmp_path):
    (tmp_path / "x.css").write_text("b{}")
    config = {"url_prefix": "/assets/", "directories": [tmp_path], "csp_header": "default-src 'none'"}
    with TestClient(BoltAPI(), static_files_config=config) as client:
        resp = client.get("/assets/x.css")
    assert resp.status_code == 200
    assert resp.headers["content-security-policy"] == "default-src 'none'"


def test_django_without_django_utils_csp_refuses_while_files_are_served_here(demo_apis, monkeypatch):
    """Django 5.2 has no ``django.utils.csp``: the policy cannot be built, so the files would go
    out without it. Hiding the module is how Django 5.2 looks to ``static_files_csp``."""
    from django.core.exceptions import ImproperlyConfigured
    from django.test import override_settings

    from django_bolt.conf import static_files_csp

    monkeypatch.setitem(sys.modules, "django.utils.csp", None)
    with override_settings(SECURE_CSP={"default-src": ["'self'"]}, MEDIA_ROOT="/tmp", BOLT_STATIC=True):
        with pytest.raises(ImproperlyConfigured, match=r"has no django\.utils\.csp \(Django 6\.0\+\)"):
            static_files_csp()
    with override_settings(SECURE_CSP={"default-src": ["'self'"]}, BOLT_STATIC=False):
        assert static_files_csp() == (None, None)
