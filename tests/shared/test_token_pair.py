"""TokenPair, TokenRotationError and set_token_cookies with django-bolt's shapes; the older dict
reading of ``create_token_pair``'s result still works; refresh tokens never authenticate."""

from __future__ import annotations

import pytest

from django_bolt import BoltAPI, Response
from django_bolt.auth import (
    IsAuthenticated,
    JWTAuthentication,
    TokenPair,
    TokenRotationError,
    create_token_pair,
    rotate_refresh_token,
    set_token_cookies,
)
from django_bolt.testing import TestClient
from support.wire import fetch


def test_the_pair_has_django_bolts_claims(demo_apis):
    pair = create_token_pair("42", access_ttl=60, refresh_ttl=600, claims={"role": "admin"}, method="otp", version=3)
    assert isinstance(pair, TokenPair)
    a, r = pair.access_claims, pair.refresh_claims
    assert a["sub"] == r["sub"] == "42" and a["role"] == r["role"] == "admin"
    assert (a["typ"], r["typ"]) == ("access", "refresh")
    assert a["exp"] - a["iat"] == 60 and r["exp"] - r["iat"] == 600
    assert a["ver"] == r["ver"] == 3 and a["oat"] == r["oat"] and a["amr"] == ["otp"]
    assert a["jti"] != r["jti"] and "fam" in r and "fam" not in a
    # The older dict reading of the result.
    assert pair["access"] == pair.access_token and pair["refresh"] == pair.refresh_token
    assert pair["token_type"] == "bearer" and pair["expires_in"] == 60


def test_reserved_claims_kid_and_double_names_are_refused(demo_apis):
    with pytest.raises(ValueError, match="reserved"):
        create_token_pair("1", claims={"sub": "2"})
    with pytest.raises(NotImplementedError, match="kid"):
        create_token_pair("1", kid="k1")
    with pytest.raises(TypeError, match="once"):
        create_token_pair("1", 60, access_ttl=60)
    assert issubclass(TokenRotationError, Exception)


def _api() -> BoltAPI:
    api = BoltAPI()

    @api.get("/me", auth=[JWTAuthentication()], guards=[IsAuthenticated()])
    def me(request) -> dict:
        return {"sub": request.auth["sub"], "typ": request.auth.get("typ")}

    @api.post("/login")
    def login() -> Response:
        return set_token_cookies(Response({"ok": True}), create_token_pair("5"), refresh_path="/refresh")

    return api


def test_access_authenticates_refresh_does_not(demo_apis):
    pair = create_token_pair("9")
    with TestClient(_api()) as c:
        ok = c.get("/me", headers={"Authorization": f"Bearer {pair.access_token}"})
        assert ok.status_code == 200 and ok.json() == {"sub": "9", "typ": "access"}
        refused = c.get("/me", headers={"Authorization": f"Bearer {pair.refresh_token}"})
    assert refused.status_code == 401
    assert refused.json() == {"detail": "invalid token: a refresh token cannot be used for access"}


def test_rotation_takes_the_new_refresh_token_shape(demo_apis, admin_user):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=admin_user[0])
    old = create_token_pair(user)
    new = rotate_refresh_token(old.refresh_token)
    assert isinstance(new, TokenPair) and new.access_claims["sub"] == str(user.pk)
    from django_bolt.exceptions import Unauthorized

    with pytest.raises(Unauthorized, match="already used"):
        rotate_refresh_token(old.refresh_token)


def test_set_token_cookies_through_the_test_client(demo_apis):
    with TestClient(_api()) as c:
        r = c.post("/login")
    cookies = [v for k, v in r.headers.multi_items() if k == "set-cookie"]
    access = next(c for c in cookies if c.startswith("access_token="))
    refresh = next(c for c in cookies if c.startswith("refresh_token="))
    for cookie in (access, refresh):
        low = cookie.lower()
        assert "httponly" in low and "secure" in low and "samesite=lax" in low, cookie
    assert "Path=/;" in access or access.endswith("Path=/")
    assert "Path=/refresh" in refresh
    assert "Max-Age=900" in access and "Max-Age=604800" in refresh


def test_login_over_a_real_server_sets_cookies_that_authenticate(two_hosts):
    a, b = two_hosts
    r = fetch(a.port, "POST", "/login?user_id=77")
    assert r.status == 200, r.body
    body = r.json()
    assert body["typ"] == "refresh"
    set_cookies = r.header_values("set-cookie")
    assert any(c.startswith("access_token=") and "HttpOnly" in c for c in set_cookies), set_cookies
    assert any(c.startswith("refresh_token=") and "Path=/refresh" in c for c in set_cookies), set_cookies
    # The access token authenticates on the other host (revocation on: it has a jti); the
    # refresh token never does.
    ok = fetch(b.port, "GET", "/me", headers=[("Authorization", f"Bearer {body['access']}")])
    assert ok.status == 200 and ok.json() == {"sub": "77"}
    no = fetch(b.port, "GET", "/me", headers=[("Authorization", f"Bearer {body['refresh']}")])
    assert no.status == 401 and no.json() == {"detail": "invalid token: a refresh token cannot be used for access"}
