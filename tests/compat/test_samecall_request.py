"""The request object as django-bolt's: ``context``, ``get()``, ``[...]``, ``params``,
``META``, ``session`` (Django's session from the cookie, loaded lazily), through ``TestClient``."""

from __future__ import annotations

import pytest

from django_bolt import BoltAPI
from django_bolt.auth import IsAuthenticated, JWTAuthentication, SessionAuthentication, create_jwt_for_user
from django_bolt.testing import TestClient


@pytest.fixture(scope="module")
def client(demo_apis):
    api = BoltAPI()

    @api.get("/items/{item_id}")
    def item(request, item_id: int) -> dict:
        return {
            "params": request.params,
            "get": [request.get("method"), request.get("path"), request.get("params")],
            "items": [request["method"], request["query"], request["params"]],
            "auth-default": request.get("auth", "none"),
            "context": request["context"],
            "unknown": request.get("nope", 5),
            "full": request.get_full_path(),
        }

    @api.get("/missing-key")
    def missing_key(request) -> dict:
        try:
            request["auth"]
        except KeyError:
            return {"raised": True}
        return {"raised": False}

    @api.post("/meta")
    def meta(request) -> dict:
        m = request.META
        return {k: m.get(k) for k in ("REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "CONTENT_TYPE", "HTTP_X_TEAM")}

    @api.get("/session")
    def session(request) -> dict:
        s = request.session
        return {"key": s.session_key, "visits": s.get("visits"), "empty": s.is_empty()}

    @api.get("/jwt", auth=[JWTAuthentication()], guards=[IsAuthenticated()])
    async def jwt(request) -> dict:
        return {"context": request.context, "get": request.get("context")}

    @api.get("/session-auth", auth=[SessionAuthentication()], guards=[IsAuthenticated()])
    def session_auth(request) -> dict:
        return {"context": request.context}

    @api.get("/login-or-redirect", auth=[SessionAuthentication(login_url="/admin/login/")])
    def login_or_redirect() -> dict:
        return {"in": True}

    with TestClient(api, follow_redirects=False) as c:
        yield c


def test_mapping_access_and_params(client):
    body = client.get("/items/7?q=1").json()
    assert body["params"] == {"item_id": "7"}  # as sent, as django-bolt gives them
    assert body["get"] == ["GET", "/items/7", {"item_id": "7"}]
    assert body["items"] == ["GET", {"q": "1"}, {"item_id": "7"}]
    assert body["auth-default"] == "none" and body["context"] is None and body["unknown"] == 5
    assert body["full"] == "/items/7?q=1"
    assert client.get("/missing-key").json() == {"raised": True}


def test_meta_is_djangos(client):
    r = client.post("/meta?a=b", headers={"x-team": "blue", "content-type": "text/plain"}, content=b"x")
    assert r.json() == {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/meta",
        "QUERY_STRING": "a=b",
        "CONTENT_TYPE": "text/plain",
        "HTTP_X_TEAM": "blue",
    }


@pytest.fixture
def stored_session():
    from importlib import import_module

    from django.conf import settings

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store["visits"] = 3
    store.save()
    yield settings.SESSION_COOKIE_NAME, store.session_key
    store.delete()


def test_session_is_loaded_from_the_cookie(client, stored_session):
    name, key = stored_session
    assert client.get("/session", headers={"cookie": f"{name}={key}"}).json() == {
        "key": key,
        "visits": 3,
        "empty": False,
    }
    assert client.get("/session").json() == {"key": None, "visits": None, "empty": True}


@pytest.fixture
def user():
    from django.contrib.auth import get_user_model

    u, _ = get_user_model().objects.get_or_create(username="samecall-user", defaults={"email": "s@example.com"})
    yield u


def test_jwt_context_as_django_bolt_shapes_it(client, user):
    token = create_jwt_for_user(user, expires_in=600, extra_claims={"permissions": ["items.read"]})
    body = client.get("/jwt", headers={"authorization": f"Bearer {token}"}).json()
    ctx = body["context"]
    assert body["get"] == ctx
    assert ctx["user_id"] == str(user.pk) and ctx["auth_backend"] == "jwt"
    assert ctx["is_staff"] is False and ctx["permissions"] == ["items.read"]
    assert ctx["auth_claims"]["username"] == "samecall-user" and ctx["auth_claims"]["email"] == "s@example.com"


def test_session_auth_context_and_login_redirect(client, user):
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    try:
        cookie = {"cookie": f"{settings.SESSION_COOKIE_NAME}={store.session_key}"}
        ctx = client.get("/session-auth", headers=cookie).json()["context"]
        assert ctx == {"user_id": str(user.pk), "is_staff": False, "is_superuser": False, "auth_backend": "session"}
        assert client.get("/login-or-redirect", headers=cookie).json() == {"in": True}
    finally:
        store.delete()
    r = client.get("/login-or-redirect")
    assert r.status_code == 302 and r.headers["location"] == "/admin/login/?next=/login-or-redirect"
