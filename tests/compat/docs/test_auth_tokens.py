"""django-bolt 0.13's authentication page, the examples auth.py left out (site_moving/examples/
auth_tokens.py), through ``TestClient``: a custom user query, access and refresh tokens in
cookies, rotation with reuse detection, logging out everywhere, API keys, combined backends, the
context and revocation. The module says where the examples were changed and why."""

from __future__ import annotations

import time
import uuid
from types import SimpleNamespace

import pytest

from django_bolt.auth import create_jwt_for_user
from django_bolt.testing import TestClient
from support.tokens import mint

SAME_SITE = {"sec-fetch-site": "same-origin"}  # what a browser sends with its own site's POST


@pytest.fixture(scope="module")
def client(example):
    with TestClient(example("auth_tokens").APIS) as c:
        yield c


def cookies(response) -> dict[str, str]:
    """name -> the Set-Cookie line (the cookies are Secure: httpx keeps them from http://)."""
    return {line.split("=", 1)[0]: line for line in response.headers.get_list("set-cookie")}


def value(line: str) -> str:
    return line.split("=", 1)[1].split(";", 1)[0]


def login(client, admin_user) -> tuple[str, str]:
    username, password = admin_user
    r = client.post("/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    got = cookies(r)
    return value(got["access_token"]), value(got["refresh_token"])


def refresh(client, token: str):
    return client.post("/auth/refresh", headers={"cookie": f"refresh_token={token}", **SAME_SITE})


def test_issuing_a_pair_in_cookies(client, admin_user):
    username, password = admin_user
    assert client.post("/auth/login", json={"username": username, "password": "wrong"}).status_code == 401
    r = client.post("/auth/login", json={"username": username, "password": password})
    got = cookies(r)
    for line in got.values():
        assert "HttpOnly" in line and "Secure" in line and "SameSite=Lax" in line
    assert "Path=/auth/refresh" in got["refresh_token"]
    access = value(got["access_token"])
    # The custom get_user: the user loaded with MyJWT's query
    assert client.get("/tasks", headers={"authorization": f"Bearer {access}"}).json() == {"username": username}


def test_rotation_detects_a_reused_refresh_token(client, admin_user):
    access, first = login(client, admin_user)
    # A refresh token never authenticates a normal route; an access token never refreshes.
    assert client.get("/tasks", headers={"authorization": f"Bearer {first}"}).status_code == 401
    assert refresh(client, access).status_code == 401
    # The cookie on a POST: the CSRF check wants the browser's same-site signal.
    assert client.post("/auth/refresh", headers={"cookie": f"refresh_token={first}"}).status_code == 403
    r = refresh(client, first)
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    second = value(cookies(r)["refresh_token"])
    assert second != first
    # The first token again: taken as stolen, the whole family is revoked.
    r = refresh(client, first)
    assert r.status_code == 401 and r.json() == {"detail": "Invalid refresh token"}
    assert refresh(client, second).status_code == 401


def test_logging_out_everywhere(client, admin_user):
    access, refresh_token = login(client, admin_user)
    r = client.post("/auth/logout-all", headers={"cookie": f"access_token={access}", **SAME_SITE})
    assert r.json() == {"status": "logged out everywhere"}
    assert refresh(client, refresh_token).status_code == 401  # minted before the bump


def test_api_keys_and_combined_backends(client):
    assert client.get("/internal", headers={"x-api-key": "sk-prod-123abc"}).json() == {"status": "authorized"}
    assert client.get("/internal", headers={"x-api-key": "sk-nope"}).status_code == 401
    r = client.get("/internal/bearer", headers={"authorization": "Bearer sk-prod-456def"})
    assert r.json() == {"status": "authorized"}
    assert client.get("/data", headers={"x-api-key": "sk-prod-123abc"}).json() == {"authenticated_via": "api_key"}
    user = SimpleNamespace(pk=7, username="ann", is_staff=True, is_superuser=False)
    token = create_jwt_for_user(user)
    assert client.get("/data", headers={"authorization": f"Bearer {token}"}).json() == {"authenticated_via": "jwt"}
    assert client.get("/data").status_code == 401


def test_the_authentication_context(client):
    user = SimpleNamespace(pk=7, username="ann", is_staff=True, is_superuser=False)
    token = create_jwt_for_user(user, extra_claims={"permissions": ["a.b"]})
    ctx = client.get("/context", headers={"authorization": f"Bearer {token}"}).json()
    assert ctx["user_id"] == "7" and ctx["is_staff"] is True and ctx["is_superuser"] is False
    assert ctx["auth_backend"] == "jwt" and ctx["permissions"] == ["a.b"]
    assert ctx["auth_claims"]["sub"] == "7" and ctx["auth_claims"]["username"] == "ann"


def test_a_revoked_token_is_refused(client):
    user = SimpleNamespace(pk=7, username="ann", is_staff=False, is_superuser=False)
    token = create_jwt_for_user(user, extra_claims={"jti": uuid.uuid4().hex})
    bearer = {"authorization": f"Bearer {token}"}
    assert client.get("/revocable/me", headers=bearer).json() == {"user_id": "7"}
    assert client.post("/logout", headers=bearer).json() == {"status": "logged out"}
    assert client.get("/revocable/me", headers=bearer).status_code == 401
    # "Configuring a revocation_store auto-enables require_jti=True" (create_jwt_for_user always
    # adds a jti here: docs/compat.md, so the token is made without one)
    plain = mint({"sub": "7", "exp": int(time.time()) + 60})
    r = client.get("/revocable/me", headers={"authorization": f"Bearer {plain}"})
    assert r.status_code == 401
