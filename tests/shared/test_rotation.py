"""Refresh-token rotation as django-bolt's (``await rotate_refresh_token(claims, store=...)``):
over two real servers sharing one Redis (tests/projects/shared), what one host consumes, revokes
or bumps, the other refuses; and the refusals of the function itself."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from django_bolt.auth import TokenRotationError, create_token_pair, rotate_refresh_token
from django_bolt.auth.revocation import DjangoCacheRevocation, InMemoryRevocation, RevocationStore
from support.tokens import mint
from support.wire import fetch

SHARED_SECRET = b"test-shared"  # tests/projects/shared's SECRET_KEY


def _bearer(token: str) -> list[tuple[str, str]]:
    return [("Authorization", f"Bearer {token}")]


def _pair(host, user: str) -> dict:
    r = fetch(host.port, "POST", f"/pair?user_id={user}", body=b"")
    assert r.status == 200, r.body
    return r.json()


def _post(host, path: str, token: str):
    return fetch(host.port, "POST", path, headers=_bearer(token), body=b"")


def _refused(resp, why: str) -> None:
    assert resp.status == 401, resp.body
    assert resp.json() == {"detail": f"rotation refused: {why}"}


def test_a_token_rotated_on_one_host_is_reuse_on_the_other(two_hosts, redis_server):
    a, b = two_hosts
    first = _pair(a, f"u{uuid.uuid4().hex}")
    rotated = _post(a, "/rotate", first["refresh"])
    assert rotated.status == 200, rotated.body
    new = rotated.json()
    assert new["access_claims"]["role"] == "member" and new["access_claims"]["amr"] == ["pwd"]
    assert fetch(b.port, "GET", "/me", headers=_bearer(new["access"])).status == 200
    # Replayed on b: already consumed (in Redis), so the whole family is burned ...
    _refused(_post(b, "/rotate", first["refresh"]), "Refresh token revoked or already used")
    assert redis_server.client().exists(f":1:revoked:fam:{first['fam']}") == 1
    # ... and the token the rightful holder rotated to dies with it.
    _refused(_post(a, "/rotate", new["refresh"]), "Refresh token family revoked")


def test_an_access_token_cannot_rotate(two_hosts):
    r = _post(two_hosts[0], "/rotate", _pair(two_hosts[0], "u-access")["access"])
    assert r.status == 401 and r.json() == {"detail": 'invalid token: token type must be "refresh"'}


def test_without_rotation_the_refresh_token_stays_until_its_family_is_revoked(two_hosts):
    a, b = two_hosts
    first = _pair(a, f"u{uuid.uuid4().hex}")
    for host in (a, b, a):
        r = _post(host, "/rotate/keep", first["refresh"])
        assert r.status == 200 and r.json()["refresh"] == "", r.body
    assert _post(b, "/logout-family", first["refresh"]).status == 200
    _refused(_post(a, "/rotate/keep", first["refresh"]), "Refresh token family revoked")


def test_logging_out_everywhere_refuses_every_earlier_refresh_token(two_hosts):
    a, b = two_hosts
    user = f"u{uuid.uuid4().hex}"
    one, two = _pair(a, user), _pair(b, user)
    assert _post(a, "/logout-all", one["refresh"]).json() == {"version": 1}
    _refused(_post(b, "/rotate", two["refresh"]), "Refresh token version does not match current version")
    # A pair minted after the bump carries the new version and rotates.
    assert _post(a, "/rotate", _pair(b, user)["refresh"]).status == 200


def _refresh(**claims) -> str:
    now = int(time.time())
    base = {"sub": f"u{uuid.uuid4().hex}", "iat": now, "exp": now + 600, "typ": "refresh", "ver": 0}
    base.update(jti=uuid.uuid4().hex, fam=uuid.uuid4().hex)
    return mint({k: v for k, v in {**base, **claims}.items() if v is not None}, SHARED_SECRET)


def test_the_session_cap_counts_from_the_origin_auth_time(two_hosts):
    a = two_hosts[0]
    now = int(time.time())
    ok = _post(a, "/rotate/capped", _refresh(oat=now - 40))
    assert ok.status == 200, ok.body
    access = ok.json()["access_claims"]
    # The new access token ends with the session (100 s from oat), not 900 s from now.
    assert 50 <= access["exp"] - access["iat"] <= 60 and access["oat"] == now - 40
    _refused(_post(a, "/rotate/capped", _refresh(oat=now - 101)), "Session exceeded maximum lifetime")
    _refused(_post(a, "/rotate/capped", _refresh(oat=None)), "Refresh token missing origin auth time")
    _refused(_post(a, "/rotate", _refresh(oat=now + 300)), "Refresh token origin auth time is in the future")


def test_a_refresh_token_without_a_family_cannot_rotate(two_hosts):
    _refused(_post(two_hosts[0], "/rotate", _refresh(fam=None)), "Rotating refresh token missing family id")


# -- the function alone ---------------------------------------------------------------------------------


def _claims(**extra) -> dict:
    return {**create_token_pair("3", secret=b"k").refresh_claims, **extra}


def test_the_token_string_is_refused_with_the_fix():
    with pytest.raises(TypeError, match="verified claims"):
        asyncio.run(rotate_refresh_token("a.b.c", store=InMemoryRevocation()))


def test_in_memory_rotation_and_reuse():
    store = InMemoryRevocation()
    claims = _claims()
    new = asyncio.run(rotate_refresh_token(claims, store=store, secret=b"k"))
    assert new.refresh_claims["fam"] == claims["fam"] and new.refresh_claims["jti"] != claims["jti"]
    with pytest.raises(TokenRotationError, match="already used"):
        asyncio.run(rotate_refresh_token(claims, store=store, secret=b"k"))
    assert asyncio.run(store.is_family_revoked(claims["fam"])) is True
    with pytest.raises(TokenRotationError, match="missing jti"):
        asyncio.run(rotate_refresh_token(_claims(jti=""), store=store, secret=b"k"))
    with pytest.raises(ValueError, match="reserved"):
        asyncio.run(rotate_refresh_token(_claims(), store=store, claims={"ver": 9}))


def test_a_store_without_atomic_consume_cannot_rotate():
    class Basic(RevocationStore):
        async def is_revoked(self, jti: str) -> bool:
            return False

        async def revoke(self, jti: str, *, exp: int | None = None) -> None:
            pass

        async def is_family_revoked(self, fam: str) -> bool:
            return False

    with pytest.raises(TokenRotationError, match="atomic refresh rotation"):
        asyncio.run(rotate_refresh_token(_claims(), store=Basic(), secret=b"k"))
    with pytest.raises(TokenRotationError, match="families"):
        asyncio.run(rotate_refresh_token(_claims(), store=type("Bare", (), {})(), secret=b"k"))


def test_a_cache_whose_add_is_not_atomic_is_refused(demo_apis, tmp_path):
    from django.core.cache.backends.filebased import FileBasedCache

    class OnFiles(DjangoCacheRevocation):
        cache = FileBasedCache(str(tmp_path), {})

    store = OnFiles()
    with pytest.raises(NotImplementedError, match="atomic"):
        asyncio.run(store.consume("j"))
    with pytest.raises(TokenRotationError, match="atomic refresh rotation"):
        asyncio.run(rotate_refresh_token(_claims(), store=store, secret=b"k"))
