"""django-bolt's BOLT_* settings over a real ``bolt``: the project-wide authentication and
permission defaults (a project protected project-wide must not become public), the request-body
limit and static/media max-age; settings that cannot be honoured stop the start-up with a reason."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from django_bolt import _native
from support.boltproc import BoltProcess
from support.projects import copy_project, run_bolt
from support.wire import fetch, get

ROUTES = """
from django_bolt import AllowAny, BoltAPI

public = BoltAPI()
admin_api = BoltAPI(prefix="/internal")


@public.get("/closed")
def closed() -> dict:
    return {"closed": True}


@public.get("/open", guards=[AllowAny()])
def opened() -> dict:
    return {"open": True}


@public.post("/echo", guards=[AllowAny()])
def echo(request) -> dict:
    return {"size": len(request.body)}
"""

PROTECTED = """
from django_bolt import IsAuthenticated, JWTAuthentication
BOLT_AUTHENTICATION_CLASSES = [JWTAuthentication()]
BOLT_DEFAULT_PERMISSION_CLASSES = [IsAuthenticated()]
"""


def _project(tmp_path: Path, settings: str) -> Path:
    proj = copy_project("boltapi", tmp_path / "p", settings=settings)
    (proj / "elsewhere" / "routes.py").write_text(ROUTES)
    return proj


def _token() -> list[tuple[str, str]]:
    claims = json.dumps({"sub": "1", "exp": int(time.time()) + 60}).encode()
    return [("Authorization", "Bearer " + _native.jwt_encode("HS256", b"test", claims))]


@pytest.fixture(scope="module")
def protected(tmp_path_factory, driver):
    tmp = tmp_path_factory.mktemp("protected")
    (tmp / "static").mkdir()
    (tmp / "static" / "app.css").write_text("body{}")
    (tmp / "media").mkdir()
    (tmp / "media" / "a.txt").write_text("a")
    settings = PROTECTED + (
        f"BOLT_MAX_UPLOAD_SIZE = 1000\nBOLT_STATIC_MAX_AGE = 600\nBOLT_MEDIA_MAX_AGE = 60\n"
        f"STATIC_URL = '/static/'\nSTATIC_ROOT = {str(tmp / 'static')!r}\n"
        f"MEDIA_URL = '/media/'\nMEDIA_ROOT = {str(tmp / 'media')!r}\n"
    )
    server = BoltProcess.start(cwd=_project(tmp, settings), driver=driver)
    yield server
    assert server.stop() == 0


def test_default_permission_classes_close_an_unguarded_route(protected):
    refused = get(protected.port, "/closed")
    assert refused.status == 401, refused.body
    assert refused.header("www-authenticate") == "Bearer"
    assert get(protected.port, "/closed", headers=_token()).json() == {"closed": True}


def test_a_routes_own_guards_open_it(protected):
    resp = get(protected.port, "/open")
    assert resp.status == 200 and resp.json() == {"open": True}


def test_max_upload_size_is_the_largest_body(protected):
    ok = fetch(protected.port, "POST", "/echo", body=b"x" * 1000)
    assert ok.status == 200 and ok.json() == {"size": 1000}
    assert fetch(protected.port, "POST", "/echo", body=b"x" * 1001).status == 413


def test_static_and_media_max_age(protected):
    static = get(protected.port, "/static/app.css")
    assert static.status == 200 and static.header("cache-control") == "public, max-age=600"
    media = get(protected.port, "/media/a.txt")
    assert media.status == 200 and media.header("cache-control") == "private, max-age=60"


def test_secure_csp_without_files_served_here_is_accepted(tmp_path, driver):
    settings = "SECURE_CSP = {'default-src': ['self']}\n"
    server = BoltProcess.start(cwd=_project(tmp_path, settings), driver=driver)
    try:
        assert get(server.port, "/open").status == 200
    finally:
        assert server.stop() == 0


def test_old_names_still_protect(tmp_path, driver):
    settings = (
        "from django_bolt.auth import IsAuthenticated, JWTAuthentication\n"
        "BOLT_AUTHENTICATION = [JWTAuthentication()]\nBOLT_DEFAULT_GUARDS = [IsAuthenticated()]\n"
    )
    server = BoltProcess.start(cwd=_project(tmp_path, settings), driver=driver)
    try:
        assert get(server.port, "/closed").status == 401
        assert get(server.port, "/open").status == 200
    finally:
        assert server.stop() == 0


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            PROTECTED + "from django_bolt import AllowAny\nBOLT_DEFAULT_GUARDS = [AllowAny()]\n",
            "BOLT_DEFAULT_PERMISSION_CLASSES and BOLT_DEFAULT_GUARDS are both set, to different values",
        ),
        (
            PROTECTED + "BOLT_AUTHENTICATION = []\n",
            "BOLT_AUTHENTICATION_CLASSES and BOLT_AUTHENTICATION are both set, to different values",
        ),
        (
            "BOLT_DEFAULT_PERMISSION_CLASSES = ['django_bolt.auth.IsAuthenticated']\n",
            "'django_bolt.auth.IsAuthenticated' is a string",
        ),
        ("BOLT_MAX_HEADER_SIZE = 4096\n", "BOLT_MAX_HEADER_SIZE is not supported by this server"),
        ("BOLT_MEMORY_SPOOL_THRESHOLD = '2MB'\n", "BOLT_MEMORY_SPOOL_THRESHOLD must be an int of 0 or more"),
        ("BOLT_MAX_UPLOAD_SIZE = '1MB'\n", "BOLT_MAX_UPLOAD_SIZE must be an int of 0 or more"),
    ],
    ids=["guards-differ", "auth-differ", "dotted-string", "header-size", "bad-spool", "bad-size"],
)
def test_settings_that_cannot_be_honoured_stop_the_start(tmp_path, settings, message):
    r = run_bolt(_project(tmp_path, settings))
    assert r.returncode == 1, r.stdout + r.stderr
    assert message in r.stderr, r.stderr
