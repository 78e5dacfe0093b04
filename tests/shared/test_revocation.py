"""JWT revocation (django-bolt's ``auth.revocation``): the token is verified in Rust, the lookup
by ``jti`` runs on the pool; a revoked token answers 401 "Token has been revoked". Over real
servers sharing a Redis cache, a token revoked through one server is refused by the other."""

from __future__ import annotations

import time
import uuid

import pytest

from django_bolt import BoltAPI
from django_bolt.auth import IsAuthenticated, JWTAuthentication
from django_bolt.auth.revocation import (
    DjangoCacheRevocation,
    InMemoryRevocation,
    RevocationStore,
    create_revocation_handler,
)
from django_bolt.testing import TestClient
from support.tokens import mint
from support.wire import fetch

SHARED_SECRET = b"test-shared"  # tests/projects/shared's SECRET_KEY


def _token(secret: bytes = SHARED_SECRET, **extra) -> str:
    claims = {"sub": "7", "exp": int(time.time()) + 600, "jti": uuid.uuid4().hex, **extra}
    return mint({k: v for k, v in claims.items() if v is not None}, secret)


def _bearer(token: str) -> list[tuple[str, str]]:
    return [("Authorization", f"Bearer {token}")]


# -- real servers sharing Redis ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/me", "/me/sync"])
def test_a_token_revoked_on_one_host_is_refused_by_the_other(two_hosts, path):
    a, b = two_hosts
    token = _token()
    assert fetch(b.port, "GET", path, headers=_bearer(token)).json() == {"sub": "7"}
    out = fetch(a.port, "POST", "/logout", headers=_bearer(token))
    assert out.status == 200, out.body
    for host in (a, b):
        refused = fetch(host.port, "GET", path, headers=_bearer(token))
        assert refused.status == 401 and refused.json() == {"detail": "Token has been revoked"}
    # Another token of the same user is untouched.
    assert fetch(b.port, "GET", path, headers=_bearer(_token())).status == 200


def test_the_revocation_is_a_redis_key_expiring_with_the_token(two_hosts, redis_server):
    exp = int(time.time()) + 300
    token = _token(exp=exp)
    assert fetch(two_hosts[0].port, "POST", "/logout", headers=_bearer(token)).status == 200
    keys = [k for k in redis_server.client().keys("*revoked:*")]
    ttls = [redis_server.client().ttl(k) for k in keys]
    assert keys and any(250 < t <= 300 for t in ttls), (keys, ttls)


def test_a_token_without_jti_is_refused_where_revocation_is_on(two_hosts):
    token = _token(jti=None)
    r = fetch(two_hosts[0].port, "GET", "/me", headers=_bearer(token))
    assert r.status == 401 and r.json() == {"detail": "Token missing 'jti' claim required for revocation"}
    r = fetch(two_hosts[1].port, "GET", "/needs-jti", headers=_bearer(token))
    assert r.status == 401 and r.json() == {"detail": "Token missing 'jti' claim required for revocation"}
    assert fetch(two_hosts[1].port, "GET", "/needs-jti", headers=_bearer(_token())).status == 200


def test_a_handler_taking_the_claims_decides_by_them(two_hosts):
    port = two_hosts[0].port
    assert fetch(port, "GET", "/by-session", headers=_bearer(_token(sid="live"))).status == 200
    r = fetch(port, "GET", "/by-session", headers=_bearer(_token(sid="ended")))
    assert r.status == 401 and r.json() == {"detail": "Token has been revoked"}


def test_no_token_still_answers_401_before_any_lookup(two_hosts):
    r = fetch(two_hosts[0].port, "GET", "/me")
    assert r.status == 401 and r.json() != {"detail": "Token has been revoked"}


# -- the test client ----------------------------------------------------------------------------------


def _api(auth: JWTAuthentication) -> BoltAPI:
    api = BoltAPI()

    @api.get("/me", auth=[auth], guards=[IsAuthenticated()])
    def me(request) -> dict:
        return {"sub": request.auth["sub"]}

    @api.get("/me/async", auth=[auth], guards=[IsAuthenticated()])
    async def me_async(request) -> dict:
        return {"sub": request.auth["sub"]}

    return api


def _secret() -> bytes:
    from django.conf import settings

    return settings.SECRET_KEY.encode()


@pytest.mark.parametrize("path", ["/me", "/me/async"])
def test_in_memory_store_through_the_test_client(demo_apis, path):
    store = InMemoryRevocation()
    token = _token(_secret())
    with TestClient(_api(JWTAuthentication(revocation_store=store))) as c:
        assert c.get(path, headers={"Authorization": f"Bearer {token}"}).status_code == 200
        store.revoke_sync(_claims_jti(token))
        r = c.get(path, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and r.json() == {"detail": "Token has been revoked"}


def _claims_jti(token: str) -> str:
    import base64
    import json

    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["jti"]


def test_cache_store_and_async_handlers_through_the_test_client(demo_apis):
    store = DjangoCacheRevocation("default", key_prefix=f"t{uuid.uuid4().hex}:")
    handler = create_revocation_handler(store)
    token = _token(_secret())
    with TestClient(_api(JWTAuthentication(revoked_token_handler=handler))) as c:
        assert c.get("/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        store.revoke_sync(_claims_jti(token), exp=int(time.time()) + 60)
        assert c.get("/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_custom_async_store_is_awaited(demo_apis):
    class Listed(RevocationStore):
        def __init__(self) -> None:
            self.ids: set[str] = set()

        async def is_revoked(self, jti: str) -> bool:
            return jti in self.ids

        async def revoke(self, jti: str, *, exp: int | None = None) -> None:
            self.ids.add(jti)

    store = Listed()
    token = _token(_secret())
    with TestClient(_api(JWTAuthentication(revocation_store=store))) as c:
        assert c.get("/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        store.ids.add(_claims_jti(token))
        assert c.get("/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_revocation_turns_require_jti_on_and_a_bad_store_is_refused():
    assert JWTAuthentication(revocation_store=InMemoryRevocation()).require_jti is True
    assert JWTAuthentication().require_jti is False
    with pytest.raises(TypeError, match="revocation_store"):
        JWTAuthentication(revocation_store=object())
