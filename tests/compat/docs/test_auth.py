"""django-bolt 0.13's permissions and authentication pages through ``TestClient``; the module
(site_moving/examples/auth.py) says where the examples were changed and why. Tokens are made
with ``create_jwt_for_user`` as the pages do (SECRET_KEY, the demo's here)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from django_bolt.auth import create_jwt_for_user
from django_bolt.testing import TestClient


def token(**claims) -> str:
    user = SimpleNamespace(pk=7, username="ann", is_staff=claims.pop("is_staff", False), is_superuser=False)
    return create_jwt_for_user(user, extra_claims=claims)


def bearer(**claims) -> dict[str, str]:
    return {"authorization": f"Bearer {token(**claims)}"}


@pytest.fixture(scope="module")
def client(example):
    page = example("auth")
    with TestClient(page.APIS + page.DB_APIS) as c:
        yield c


def test_guards_and_requires(client):
    assert client.get("/profile").status_code == 401
    assert client.get("/profile", headers=bearer()).json() == {"user_id": "7"}
    assert client.get("/public").json() == {"message": "Anyone can see this"}
    assert client.get("/orders", headers=bearer(role="vip")).status_code == 403
    assert client.get("/orders", headers=bearer(role="client")).json() == {"orders": []}
    r = client.get("/client-orders", headers=bearer(role="vip"))
    assert r.status_code == 403 and r.json() == {"detail": "Client accounts only"}
    staff = bearer(is_staff=True, permissions=["core.change_settings"])
    assert client.post("/admin/settings", headers=staff).json() == {"updated": True}
    assert client.post("/admin/settings", headers=bearer(permissions=["core.change_settings"])).status_code == 403
    assert client.get("/data", headers=bearer()).json() == {"protected": True}


def test_api_keys_with_permissions(client):
    assert client.get("/reports", headers={"x-api-key": "key-1"}).status_code == 200
    assert client.get("/reports", headers={"x-api-key": "nope"}).status_code == 401


def test_a_dependency_that_refuses(client):
    r = client.get("/premium", headers=bearer())
    assert r.status_code == 403 and r.json() == {"detail": "Subscription required"}
    assert client.get("/premium", headers=bearer(subscribed=True)).json() == {"ok": True}


def test_a_token_from_a_cookie(client):
    r = client.get("/cookie-profile", headers={"cookie": f"access_token={token()}"})
    assert r.json() == {"user_id": "7"}


def test_login_then_the_user(client, admin_user):
    username, password = admin_user
    assert client.post("/auth/token", json={"username": username, "password": "wrong"}).status_code == 401
    r = client.post("/auth/token", json={"username": username, "password": password})
    assert r.status_code == 200 and r.json()["token_type"] == "bearer"
    headers = {"authorization": f"Bearer {r.json()['access_token']}"}
    me = client.get("/me", headers=headers).json()
    assert client.get("/sync-me", headers=headers).json()["id"] == me["id"]
    assert client.get("/sync-me", headers=headers).json()["username"] == username


def test_current_user_parameters(client, admin_user):
    username, password = admin_user
    r = client.post("/auth/token", json={"username": username, "password": password})
    headers = {"authorization": f"Bearer {r.json()['access_token']}"}
    me = client.get("/me", headers=headers).json()
    assert client.get("/current/me", headers=headers).json() == me
    assert client.get("/current/me").status_code == 401
    assert client.get("/home", headers=headers).json() == {"signed_in": True}
    assert client.get("/home").json() == {"signed_in": False}
    assert client.get("/depends/me", headers=headers).json() == {"id": me["id"], "username": username}
    # A token for a user that does not exist: no user, so CurrentUser answers 401.
    ghost = create_jwt_for_user(SimpleNamespace(pk=2_000_000_000, username="ghost"))
    assert client.get("/current/me", headers={"authorization": f"Bearer {ghost}"}).status_code == 401
