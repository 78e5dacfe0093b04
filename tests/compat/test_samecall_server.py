"""django-bolt's calls mean the same over a real ``bolt`` (tests/projects/samecall): responses
(``Response(dict)`` JSON, returned ``str``/``bytes``, Django responses, ``Redirect`` 307),
``HTTPException(extra=, body=)``, ``Header(default)``, in-memory API keys with
``key_permissions`` and the auth context, and a token from ``create_jwt_for_user``."""

from __future__ import annotations

import base64
import json
import types
from collections.abc import Iterator

import pytest

from support.boltproc import BoltProcess
from support.paths import PROJECTS
from support.wire import fetch


@pytest.fixture(scope="module")
def site(driver) -> Iterator[BoltProcess]:
    server = BoltProcess.start(cwd=PROJECTS / "samecall", driver=driver)
    try:
        yield server
    finally:
        server.stop()


def get(site: BoltProcess, path: str, headers: list[tuple[str, str]] = ()):
    return fetch(site.port, "GET", path, headers=headers)


def test_response_of_a_dict_is_json(site):
    r = get(site, "/r/dict")
    assert r.status == 200 and r.content_type == "application/json"
    assert r.json() == {"ok": True} and r.header("x-one") == "1"


def test_empty_response_is_an_empty_json_object(site):
    r = get(site, "/r/empty")
    assert (r.status, r.content_type, r.body) == (200, "application/json", b"{}")


def test_returned_str_is_plain_text_and_bytes_are_octets(site):
    text = get(site, "/r/text")
    assert (text.content_type, text.body) == ("text/plain; charset=utf-8", b"hello")
    raw = get(site, "/r/bytes")
    assert (raw.content_type, raw.body) == ("application/octet-stream", b"\x00\x01raw")


def test_json_data_keyword_with_a_cookie(site):
    r = get(site, "/r/json-data")
    assert r.status == 201 and r.json() == {"n": 1}
    assert r.header("set-cookie").startswith("sid=abc") and "HttpOnly" in r.header("set-cookie")


def test_redirect_is_307_by_default(site):
    r = get(site, "/r/redirect")
    assert r.status == 307 and r.header("location") == "/r/dict"


def test_a_django_response_is_sent_as_it_is(site):
    r = get(site, "/r/django")
    assert r.status == 202 and r.body == b"<p>hi</p>"
    assert r.content_type == "text/html; charset=utf-8" and r.header("x-from") == "django"
    assert r.header("set-cookie").startswith("theme=dark")
    redirect = get(site, "/r/django-redirect")
    assert redirect.status == 302 and redirect.header("location") == "/login/?next=/r/django-redirect"
    stream = get(site, "/r/django-stream")
    assert stream.status == 200 and stream.body == b"0\n1\n2\n"


def test_http_exception_extra_and_body(site):
    r = get(site, "/e/extra")
    assert r.status == 400 and r.json() == {"detail": "bad sku", "extra": {"sku": "X1"}}
    r = get(site, "/e/body")
    assert r.status == 409 and r.json() == {"code": "taken", "field": "email"}
    r = get(site, "/e/gone")
    assert r.status == 410 and r.json() == {"detail": "Gone"}


def test_header_positional_is_the_default(site):
    assert get(site, "/h/lang").json() == {"lang": "en"}
    assert get(site, "/h/lang", [("Accept-Language", "fr")]).json() == {"lang": "fr"}


def test_api_keys_in_memory_with_the_auth_context(site):
    assert get(site, "/k/any").status == 401
    assert get(site, "/k/any", [("X-API-Key", "nope")]).status == 401
    ctx = get(site, "/k/any", [("X-API-Key", "k-write")]).json()["context"]
    assert ctx["user_id"] == "apikey:k-write" and ctx["auth_backend"] == "api_key"
    assert ctx["permissions"] == ["items.write"] and ctx["is_staff"] is False
    # Sent as django-bolt allows: with a Bearer or ApiKey prefix.
    assert get(site, "/k/any", [("X-API-Key", "Bearer k-read")]).status == 200
    assert get(site, "/k/any", [("X-API-Key", "ApiKey k-read")]).status == 200


@pytest.mark.parametrize("path", ["/k/write", "/k/write-py"])
def test_key_permissions_are_what_permission_guards_see(site, path):
    assert get(site, path, [("X-API-Key", "k-write")]).json() == {"wrote": True}
    assert get(site, path, [("X-API-Key", "k-read")]).status == 403


def test_create_jwt_for_user_claims_reach_the_context(site):
    from django_bolt.auth import create_jwt_for_user

    user = types.SimpleNamespace(pk=7, is_staff=True, is_superuser=False, username="ada", email="ada@example.com")
    user.get_username = lambda: "ada"
    token = create_jwt_for_user(user, "samecall-test")
    r = get(site, "/j/me", [("Authorization", f"Bearer {token}")])
    assert r.status == 200, r.body
    assert r.json() == {"user_id": "7", "backend": "jwt", "username": "ada"}
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert {"sub", "exp", "iat", "is_staff", "is_superuser", "username", "email"} <= set(payload)
