"""Authentication, guards, rate limits, CORS and health checks called as in django-bolt 0.13,
through ``TestClient``: ``APIKeyAuthentication(api_keys=, header=, key_permissions=)`` (the
database as ``database=True``), ``JWTAuthentication``/``SessionAuthentication``/``Requires``
keywords, ``create_jwt_for_user``'s order, ``rate_limit`` defaults, ``cors`` rules and
``(ok, message)`` health checks."""

from __future__ import annotations

import asyncio
import warnings

import pytest

from django_bolt import BoltAPI
from django_bolt.auth import (
    APIKeyAuthentication,
    HasAllPermissions,
    JWTAuthentication,
    Requires,
    SessionAuthentication,
    create_jwt_for_user,
)
from django_bolt.cors import cors
from django_bolt.ratelimit import rate_limit
from django_bolt.testing import TestClient

KEYS = APIKeyAuthentication(
    api_keys={"k-admin", "k-user", "k-banned"},
    key_permissions={"k-admin": {"a.read", "a.write"}, "k-user": {"a.read"}, "k-banned": {"banned"}},
)


@pytest.fixture(scope="module")
def client(demo_apis):
    api = BoltAPI()

    @api.get("/all-of", auth=[KEYS], guards=[Requires("permissions", all_of=["a.read", "a.write"])])
    def all_of() -> dict:
        return {"ok": True}

    @api.get("/none-of", auth=[KEYS], guards=[Requires("permissions", none_of=["banned"])])
    def none_of() -> dict:
        return {"ok": True}

    @api.get("/message", auth=[KEYS], guards=[Requires("permissions", "a.write", message="writers only")])
    def message() -> dict:
        return {"ok": True}

    @api.get("/has-all", auth=[KEYS], guards=[HasAllPermissions("a.read", "a.write")])
    def has_all() -> dict:
        return {"ok": True}

    @api.get("/custom-header", auth=[APIKeyAuthentication({"k1"}, header="X-Token")], guards=[Requires("api_key")])
    def custom_header(request) -> dict:
        return {"ctx": request.context}

    @api.get("/no-keys", auth=[APIKeyAuthentication()], guards=[Requires("api_key")])
    def no_keys() -> dict:
        return {"ok": True}

    @api.get("/limited")
    @rate_limit()
    def limited() -> dict:
        return {"ok": True}

    with TestClient(api) as c:
        yield c


def key(k: str) -> dict[str, str]:
    return {"x-api-key": k}


def test_requires_all_of_none_of_and_message(client):
    assert client.get("/all-of", headers=key("k-admin")).status_code == 200
    assert client.get("/all-of", headers=key("k-user")).status_code == 403
    assert client.get("/none-of", headers=key("k-user")).status_code == 200
    assert client.get("/none-of", headers=key("k-banned")).status_code == 403
    # An unauthenticated request fails a none_of too (it has no claims to exclude).
    assert client.get("/none-of").status_code == 401
    r = client.get("/message", headers=key("k-user"))
    assert r.status_code == 403 and r.json() == {"detail": "writers only"}
    assert client.get("/message", headers=key("k-admin")).status_code == 200
    assert client.get("/message").status_code == 401
    assert client.get("/has-all", headers=key("k-admin")).status_code == 200
    assert client.get("/has-all", headers=key("k-user")).status_code == 403


def test_requires_rules():
    with pytest.raises(ValueError):
        Requires("role", "a", all_of=["b"])
    with pytest.raises(ValueError):
        Requires("role", none_of=[])
    with pytest.raises(ValueError):
        Requires("role", all_of="ab")
    assert Requires("role", all_of=["a", "b"]).rust() == (
        "and",
        ("claim", "role", ["a"]),
        ("claim", "role", ["b"]),
    )
    assert Requires("is_staff", True).values == ["true"]


def test_api_key_positional_set_and_header(client):
    ctx = client.get("/custom-header", headers={"x-token": "k1"}).json()["ctx"]
    assert ctx["user_id"] == "apikey:k1" and ctx["auth_backend"] == "api_key" and "permissions" not in ctx
    assert client.get("/custom-header", headers=key("k1")).status_code == 401


def test_api_key_with_no_keys_accepts_none(client):
    assert client.get("/no-keys", headers=key("anything")).status_code == 401


def test_api_key_arguments():
    a = APIKeyAuthentication(keys={"old-keyword"})
    assert a.api_keys == {"old-keyword"} and a.keys == {"old-keyword"}
    db = APIKeyAuthentication(database=True, cache_ttl=1.0)
    assert db.api_keys is None and db.plan().key_hashes is None
    with pytest.raises(ValueError):
        APIKeyAuthentication(api_keys={"a"}, database=True)
    with pytest.raises(ValueError):
        APIKeyAuthentication(api_keys={"a"}, key_permissions={"b": {"x"}})
    with pytest.raises(TypeError):
        APIKeyAuthentication("one-key")


def test_jwt_and_session_keywords():
    jwt = JWTAuthentication("s", ["HS512"], "x-auth", None, None, None, leeway=5)
    assert (jwt.secret, jwt.algorithms, jwt.header, jwt.leeway) == ("s", ["HS512"], "x-auth", 5)
    assert JWTAuthentication().leeway == 60
    # jwks_url and oidc_issuer: tests/auth/test_jwks_url.py. Discovery needs an audience, as in django-bolt.
    with pytest.raises(ValueError, match="audience"):
        JWTAuthentication(oidc_issuer="https://x")
    assert JWTAuthentication(token_type="refresh").plan().token_type == "refresh"
    with pytest.raises(TypeError, match="token_type"):
        JWTAuthentication(token_type="")
    # Revocation is supported now (tests/shared/test_revocation.py); a store that is not one is refused.
    assert JWTAuthentication(require_jti=True).require_jti is True
    with pytest.raises(TypeError, match="revocation_store"):
        JWTAuthentication(revocation_store=object())
    # The cookie-token CSRF check is on by default, as in django-bolt (tests/auth/test_jwt_cookie_csrf.py).
    assert JWTAuthentication(cookie="access").plan().cookie_csrf is True
    assert JWTAuthentication(cookie="access", csrf=False).plan().cookie_csrf is False
    assert JWTAuthentication().plan().cookie_csrf is False
    s = SessionAuthentication(login_url="/login/", csrf=False)
    assert (s.login_url, s.csrf) == ("/login/", False)
    with pytest.raises(TypeError):
        SessionAuthentication("/login/")


def test_create_jwt_for_user_order(demo_apis):
    from django_bolt import _native

    class U:
        pk, is_staff, is_superuser, username, email, first_name, last_name = 3, False, True, "u", "", "F", ""

    token = create_jwt_for_user(U(), "sekrit", "HS256", 100, {"role": "x"})
    claims = _native.jwt_decode(token, "HS256", b"sekrit", 0)
    assert claims["sub"] == "3" and claims["exp"] - claims["iat"] == 100
    assert claims["is_superuser"] is True and claims["username"] == "u" and claims["first_name"] == "F"
    assert "email" not in claims and "last_name" not in claims and claims["role"] == "x"
    with pytest.raises(TypeError, match="expires_in"):
        create_jwt_for_user(U(), 3600)


def test_rate_limit_defaults(client):
    def plan(**kw):
        @rate_limit(**kw)
        def f():
            pass

        return f.__bolt_rate_limit__

    assert (plan().rate, plan().burst) == (100.0, 200.0)
    assert plan(rps=5).burst == 10.0 and plan(rps=5, burst=7).burst == 7.0
    assert all(client.get("/limited").status_code == 200 for _ in range(150))


def test_cors_argument_rules():
    with pytest.raises(ValueError, match="origins"):
        cors()
    one = cors("https://a.example")

    def f():
        pass

    one(f)
    assert f.__bolt_cors__.origins == ["https://a.example"] and f.__bolt_cors__.max_age == 3600
    positional = cors(["https://a.example"], ["GET"], ["x-h"], True, 10)(lambda: None).__bolt_cors__
    assert (positional.methods, positional.headers, positional.credentials, positional.max_age) == (
        ["GET"],
        ["x-h"],
        True,
        10,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cors(["*"], credentials=True)
    assert any(issubclass(w.category, RuntimeWarning) for w in caught)


def test_health_checks_returning_ok_and_message(demo_apis):
    from django_bolt import health

    saved = list(health._checks)
    health.clear_health_checks()
    try:

        async def redis() -> tuple[bool, str]:
            return False, "redis down"

        def queue():
            return True, "queue fine"

        health.add_health_check(redis)
        health.add_health_check(queue)
        loop = asyncio.new_event_loop()
        try:
            answer = loop.run_until_complete(health.readiness(loop, None))
            bolt_shape = loop.run_until_complete(health.ready_handler())
        finally:
            loop.close()
        assert answer.status_code == 503
        body = dict(answer.content)
        assert set(body.pop("connections")) == {"per_core", "limit_per_core"}  # bolt's addition
        assert body == {"status": "unavailable", "checks": {"redis": "error: redis down", "queue": "ok"}}
        assert bolt_shape.status_code == 503 and bolt_shape.content == {
            "status": "unhealthy",
            "checks": {
                "redis": {"healthy": False, "message": "redis down"},
                "queue": {"healthy": True, "message": "queue fine"},
            },
        }
    finally:
        health._checks[:] = saved


def test_register_health_checks_serves_django_bolts_handlers(demo_apis):
    from django_bolt.health import register_health_checks

    api = BoltAPI()
    register_health_checks(api)
    with TestClient(api) as c:
        assert c.get("/health").json() == {"status": "ok"}
        assert c.get("/ready").json()["status"] in ("healthy", "unhealthy")
