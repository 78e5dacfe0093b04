"""TokenPair, TokenRotationError and set_token_cookies with django-bolt's shapes; the older dict
reading of ``create_token_pair``'s result still works; refresh tokens never authenticate."""

from __future__ import annotations

import asyncio

import pytest

from django_bolt import BoltAPI, HTTPException, Response
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


def _header(token: str) -> dict:
    import base64
    import json

    part = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_kid_names_the_key_in_both_headers(demo_apis):
    pair = create_token_pair("1", kid="k1")
    assert _header(pair.access_token)["kid"] == _header(pair.refresh_token)["kid"] == "k1"
    assert "kid" not in _header(create_token_pair("1").access_token)


def test_reserved_claims_and_double_names_are_refused(demo_apis):
    with pytest.raises(ValueError, match="reserved"):
        create_token_pair("1", claims={"sub": "2"})
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


def test_rotation_through_the_test_client(demo_apis):
    from django_bolt.auth.revocation import InMemoryRevocation

    store = InMemoryRevocation()
    api = BoltAPI()

    @api.post("/refresh", auth=[JWTAuthentication(token_type="refresh", require_jti=True)], guards=[IsAuthenticated()])
    async def refresh(request) -> dict:
        try:
            return await rotate_refresh_token(request.auth, store=store)
        except TokenRotationError as e:
            raise HTTPException(401, str(e)) from None

    old = create_token_pair("11")
    with TestClient(api) as c:
        new = c.post("/refresh", headers={"Authorization": f"Bearer {old.refresh_token}"})
        assert new.status_code == 200 and new.json()["token_type"] == "bearer"
        again = c.post("/refresh", headers={"Authorization": f"Bearer {old.refresh_token}"})
    assert again.status_code == 401 and again.json() == {"detail": "Refresh token revoked or already used"}
    assert asyncio.run(store.is_family_revoked(old.refresh_claims["fam"]))


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
