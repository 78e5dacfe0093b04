"""``SessionAuthentication(csrf=True)``, the default: django-bolt's rule for an unsafe request a
session authenticates is the cookie token's cross-site check (tests/auth/test_cookie_csrf.py),
not Django's CSRF token. Over a real socket on the demo's /session routes, logged in through
the admin; ``csrf=False`` through the test client."""

from __future__ import annotations

import pytest

from django_bolt import BoltAPI, Request
from django_bolt.auth import IsAuthenticated, SessionAuthentication
from django_bolt.testing import TestClient
from support.session import logged_in
from support.wire import fetch

REFUSAL = (
    "CSRF check failed: a cookie-authenticated request with an unsafe method must come from this site "
    "(Sec-Fetch-Site same-origin or none, or an Origin or Referer naming this scheme, host and port)"
)


@pytest.fixture
def browser(server, admin_user):
    return logged_in(server, admin_user)


def _echo(b, *headers: tuple[str, str], method: str = "POST"):
    body = b"hi" if method == "POST" else b""
    return fetch(b.port, method, "/session/echo", headers=[("Cookie", b.cookie_header()), *headers], body=body)


@pytest.mark.parametrize(
    "headers",
    [[("Sec-Fetch-Site", "same-origin")], [("Origin", "http://test")], [("Referer", "http://test/admin/")]],
)
def test_a_same_origin_post_passes_without_a_csrf_token(browser, headers):
    resp = _echo(browser, *headers)
    assert resp.status == 200 and resp.json() == {"username": "admin", "body": "hi"}


@pytest.mark.parametrize(
    "headers",
    [
        [("Sec-Fetch-Site", "cross-site")],
        [("Origin", "http://evil.example")],
        # Django's token alone does not vouch for the origin (django-bolt's rule, not Django's).
        [("X-CSRFToken", "anything")],
        [],
    ],
)
def test_a_cross_site_post_is_refused(browser, headers):
    if headers and headers[0][0] == "X-CSRFToken":
        headers = [("X-CSRFToken", browser.cookies["csrftoken"])]
    resp = _echo(browser, *headers)
    assert resp.status == 403 and resp.json() == {"detail": REFUSAL}


def test_safe_methods_are_not_checked(server, browser):
    resp = fetch(
        server.port,
        "GET",
        "/session/me",
        headers=[("Cookie", browser.cookie_header()), ("Sec-Fetch-Site", "cross-site")],
    )
    assert resp.status == 200 and resp.json() == {"username": "admin", "staff": True}


def test_without_a_session_the_guard_answers_not_the_check(server):
    # A cross-site POST with no logged-in session is anonymous: the guard's 403, not the check's.
    resp = fetch(server.port, "POST", "/session/echo", headers=[("Sec-Fetch-Site", "cross-site")], body=b"")
    assert resp.status == 403 and resp.json()["detail"] != REFUSAL


@pytest.fixture(scope="module")
def session_cookie(demo_apis) -> str:
    from django.contrib.auth.models import User
    from django.test import Client

    user, _ = User.objects.get_or_create(username="csrf-user")
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def test_csrf_false_turns_the_check_off(session_cookie):
    api = BoltAPI()

    @api.post("/unchecked", auth=[SessionAuthentication(csrf=False)], guards=[IsAuthenticated()])
    def unchecked(request: Request) -> dict:
        return {"user": request.user.username}

    @api.post("/checked", auth=[SessionAuthentication()], guards=[IsAuthenticated()])
    def checked(request: Request) -> dict:
        return {"user": request.user.username}

    with TestClient(api) as c:
        c.cookies.set("sessionid", session_cookie)
        cross = {"Sec-Fetch-Site": "cross-site"}
        assert c.post("/unchecked", headers=cross).json() == {"user": "csrf-user"}
        refused = c.post("/checked", headers=cross)
        assert refused.status_code == 403 and refused.json() == {"detail": REFUSAL}
