"""``JWTAuthViews(store=...).register(api)``: django-bolt's login, refresh, logout and logout-all
routes, their cookies, statuses and bodies, through ``TestClient`` (Rust checks the refresh
cookie's type and the cross-site rule as it does over a socket)."""

from __future__ import annotations

import pytest

from django_bolt import BoltAPI
from django_bolt.auth import InMemoryRevocation, IsAuthenticated, JWTAuthentication, JWTAuthViews, LoginCredentials
from django_bolt.testing import TestClient

SAME_SITE = {"Sec-Fetch-Site": "same-origin"}


def _cookies(resp) -> dict[str, str]:
    """name -> the whole Set-Cookie line."""
    return {v.split("=", 1)[0]: v for k, v in resp.headers.multi_items() if k == "set-cookie"}


def _value(line: str) -> str:
    return line.split(";", 1)[0].split("=", 1)[1]


@pytest.fixture
def client(demo_apis, admin_user):
    store = InMemoryRevocation()
    api = BoltAPI()
    JWTAuthViews(store=store).register(api)

    @api.get("/me", auth=[JWTAuthentication(cookie="access_token")], guards=[IsAuthenticated()])
    def me(request) -> dict:
        return {"sub": request.auth["sub"], "amr": request.auth["amr"]}

    with TestClient(api) as c:
        yield c, store


def _login(c, admin_user) -> dict[str, str]:
    user, password = admin_user
    r = c.post("/auth/login", json={"username": user, "password": password})
    assert r.status_code == 200 and r.json() == {"ok": True}, r.text
    return _cookies(r)


def test_login_sets_django_bolts_cookies(client, admin_user):
    c, _ = client
    cookies = _login(c, admin_user)
    access, refresh = cookies["access_token"], cookies["refresh_token"]
    for line in (access, refresh):
        low = line.lower()
        assert "httponly" in low and "secure" in low and "samesite=lax" in low, line
    assert "Path=/;" in access or access.endswith("Path=/")
    assert "Path=/auth" in refresh
    me = c.get("/me", headers={"Cookie": f"access_token={_value(access)}"})
    assert me.status_code == 200 and me.json()["amr"] == ["pwd"]


def test_wrong_credentials_are_401(client, admin_user):
    c, _ = client
    r = c.post("/auth/login", json={"username": admin_user[0], "password": "wrong"})
    assert r.status_code == 401 and r.json() == {"detail": "Invalid credentials"}
    assert c.post("/auth/login", json={"username": "x"}).status_code == 422


def test_refresh_rotates_and_a_replay_is_refused(client, admin_user):
    c, _ = client
    refresh = _value(_login(c, admin_user)["refresh_token"])
    first = c.post("/auth/refresh", headers={**SAME_SITE, "Cookie": f"refresh_token={refresh}"})
    assert first.status_code == 200 and set(_cookies(first)) == {"access_token", "refresh_token"}
    again = c.post("/auth/refresh", headers={**SAME_SITE, "Cookie": f"refresh_token={refresh}"})
    assert again.status_code == 401 and again.json() == {"detail": "Invalid token"}
    # The rotated-to token died with its family (reuse detection).
    newer = _value(_cookies(first)["refresh_token"])
    assert c.post("/auth/refresh", headers={**SAME_SITE, "Cookie": f"refresh_token={newer}"}).status_code == 401


def test_refresh_checks_the_cookie_in_rust(client, admin_user):
    c, _ = client
    cookies = _login(c, admin_user)
    refresh, access = _value(cookies["refresh_token"]), _value(cookies["access_token"])
    cross = c.post("/auth/refresh", headers={"Sec-Fetch-Site": "cross-site", "Cookie": f"refresh_token={refresh}"})
    assert cross.status_code == 403 and cross.json()["detail"].startswith("CSRF check failed")
    wrong = c.post("/auth/refresh", headers={**SAME_SITE, "Cookie": f"refresh_token={access}"})
    assert wrong.status_code == 401 and wrong.json() == {"detail": 'invalid token: token type must be "refresh"'}


@pytest.mark.parametrize("path", ["/auth/logout", "/auth/logout-all"])
def test_logout_deletes_the_cookies_and_ends_rotation(client, admin_user, path):
    c, store = client
    refresh = _value(_login(c, admin_user)["refresh_token"])
    out = c.post(path, headers={**SAME_SITE, "Cookie": f"refresh_token={refresh}"})
    assert out.status_code == 200 and out.json() == {"ok": True}
    gone = _cookies(out)
    assert "Max-Age=0" in gone["access_token"] and "Path=/auth" in gone["refresh_token"]
    assert c.post("/auth/refresh", headers={**SAME_SITE, "Cookie": f"refresh_token={refresh}"}).status_code == 401


def test_logout_all_refuses_every_earlier_session(client, admin_user):
    c, _ = client
    one = _value(_login(c, admin_user)["refresh_token"])
    two = _value(_login(c, admin_user)["refresh_token"])
    assert c.post("/auth/logout-all", headers={**SAME_SITE, "Cookie": f"refresh_token={one}"}).status_code == 200
    assert c.post("/auth/refresh", headers={**SAME_SITE, "Cookie": f"refresh_token={two}"}).status_code == 401
    three = _value(_login(c, admin_user)["refresh_token"])
    assert c.post("/auth/refresh", headers={**SAME_SITE, "Cookie": f"refresh_token={three}"}).status_code == 200


def test_the_store_must_support_rotation():
    with pytest.raises(TypeError, match="consume"):
        JWTAuthViews(store=object())
    assert LoginCredentials(username="a", password="b").username == "a"
