"""Paths that are not bolt routes go to Django itself: the admin works through bolt."""

from __future__ import annotations

from support.boltproc import BoltProcess
from support.session import Browser, csrf_token, logged_in
from support.wire import fetch


def test_admin_redirects_to_login(server):
    resp = fetch(server.port, "GET", "/admin/")
    assert resp.status == 302
    assert resp.header("location") == "/admin/login/?next=/admin/"


def test_append_slash_redirect_comes_from_django(server):
    resp = fetch(server.port, "GET", "/admin")
    assert resp.status == 301
    assert resp.header("location") == "/admin/"


def test_unknown_path_is_still_a_json_404(server):
    resp = fetch(server.port, "GET", "/definitely/not/here")
    assert resp.status == 404
    assert resp.json() == {"detail": "Not Found"}


def test_admin_login_with_csrf_and_session(server, admin_user):
    b = Browser(server.port)
    resp, page = b.request("GET", "/admin/login/?next=/admin/")
    assert resp.status == 200
    assert "csrftoken" in b.cookies
    token = csrf_token(page)
    user, password = admin_user
    resp, _ = b.request(
        "POST",
        "/admin/login/?next=/admin/",
        form={"csrfmiddlewaretoken": token, "username": user, "password": password, "next": "/admin/"},
        referer=True,
    )
    assert resp.status == 302, "login failed"
    assert resp.getheader("Location") == "/admin/"
    assert "sessionid" in b.cookies
    resp, page = b.request("GET", "/admin/")
    assert resp.status == 200
    assert "Site administration" in page
    resp, page = b.request("GET", "/admin/people/person/")
    assert resp.status == 200
    assert "Person 1" in page


def test_post_without_csrf_is_refused_by_django(server, admin_user):
    b = Browser(server.port)
    resp, _ = b.request("POST", "/admin/login/", form={"username": "admin", "password": "x"})
    assert resp.status == 403


def test_no_django_flag_keeps_everything_json(demo_db, driver):
    server = BoltProcess.start(cores=1, driver=driver, extra=["--no-django"])
    try:
        resp = fetch(server.port, "GET", "/admin/")
        assert resp.status == 404
        assert resp.json() == {"detail": "Not Found"}
    finally:
        server.stop()


def test_multipart_upload_reaches_django_intact(server):
    import hashlib
    import os

    blob = os.urandom(200_000)
    boundary = "----boltboundary7"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nhello\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="doc"; filename="a.bin"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + blob
        + f"\r\n--{boundary}--\r\n".encode()
    )
    resp = fetch(
        server.port,
        "POST",
        "/django/upload/",
        headers=[("Content-Type", f"multipart/form-data; boundary={boundary}")],
        body=body,
    )
    assert resp.status == 200
    assert resp.json() == {
        "method": "POST",
        "fields": {"title": "hello"},
        "files": {"doc": {"name": "a.bin", "size": len(blob), "sha256": hashlib.sha256(blob).hexdigest()}},
    }


def test_streaming_response_from_django(server):
    resp = fetch(server.port, "GET", "/django/stream/")
    assert resp.status == 200
    assert resp.body == b"".join(f"line {i}\n".encode() for i in range(5))


def _api(b: Browser, method: str, path: str, csrf: bool) -> object:
    headers = [("Cookie", b.cookie_header())]
    if csrf:
        headers.append(("X-CSRFToken", b.cookies["csrftoken"]))
    return fetch(b.port, method, path, headers=headers, body=b"hi" if method == "POST" else b"")


def test_session_authenticates_the_admin_user_on_the_api(server, admin_user):
    b = logged_in(server, admin_user)
    resp = _api(b, "GET", "/session/me", csrf=False)
    assert resp.status == 200
    assert resp.json() == {"username": "admin", "staff": True}


def test_session_api_checks_where_unsafe_requests_come_from(server, admin_user):
    # django-bolt's rule, not Django's token (tests/auth/test_session_csrf.py has the cases).
    b = logged_in(server, admin_user)
    assert _api(b, "POST", "/session/echo", csrf=True).status == 403
    ok = fetch(
        b.port, "POST", "/session/echo", headers=[("Cookie", b.cookie_header()), ("Origin", "http://test")], body=b"hi"
    )
    assert ok.status == 200 and ok.json() == {"username": "admin", "body": "hi"}


def test_session_api_without_login_is_403(server):
    # As in Django REST framework: the session names no WWW-Authenticate scheme, so a guard
    # refusing an anonymous request answers 403, not 401.
    resp = fetch(server.port, "GET", "/session/me")
    assert resp.status == 403
    assert resp.header("www-authenticate") is None
