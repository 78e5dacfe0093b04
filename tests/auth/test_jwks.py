"""``JWTAuthentication(jwks=...)``: a JWK set, each token's ``kid`` choosing its key, checked in
Rust (demo routes /claims/jwt/jwks and /claims/jwt/jwks-eddsa)."""

from __future__ import annotations

import json
import time

import pytest

from django_bolt import _native
from django_bolt.auth import JWTAuthentication
from support.wire import fetch

# examples/demo/demo/claims.py's JWKS_OCT: the two HMAC keys of /claims/jwt/jwks, by kid.
KEYS = {"2026-a": b"demo-jwks-key-a-0123456789abcdef", "2026-b": b"demo-jwks-key-b-fedcba9876543210"}


def signed(key: bytes, kid: str | None, alg: str = "HS256", sub: str = "8") -> str:
    claims = {"sub": sub, "exp": int(time.time()) + 60}
    return _native.jwt_encode(alg, key, json.dumps(claims).encode(), kid)


def call(server, path: str, token: str):
    return fetch(server.port, "GET", path, headers=[("Authorization", f"Bearer {token}")])


@pytest.mark.parametrize("kid", sorted(KEYS))
def test_each_key_of_the_set_verifies_its_own_tokens(server, kid):
    resp = call(server, "/claims/jwt/jwks", signed(KEYS[kid], kid))
    assert resp.status == 200 and resp.json() == {"sub": "8"}


def test_the_kid_must_name_the_key_that_signed(server):
    swapped = call(server, "/claims/jwt/jwks", signed(KEYS["2026-a"], "2026-b"))
    assert swapped.status == 401 and swapped.json()["detail"].startswith("invalid token")
    unknown = call(server, "/claims/jwt/jwks", signed(KEYS["2026-a"], "2025-z"))
    assert unknown.status == 401 and unknown.json() == {"detail": 'invalid token: no key for kid "2025-z"'}
    no_kid = call(server, "/claims/jwt/jwks", signed(KEYS["2026-a"], None))
    assert no_kid.status == 401
    assert no_kid.json() == {"detail": "invalid token: it names no key (kid) of the key set"}


def test_a_set_of_one_asymmetric_key(server, demo_db):
    from support.paths import DEMO

    private = DEMO / ".jwt-keys" / "ed25519.key"
    assert private.is_file(), "the demo makes its key pairs with openssl at start-up"
    key = private.read_bytes()
    assert call(server, "/claims/jwt/jwks-eddsa", signed(key, None, "EdDSA")).json() == {"sub": "8"}
    assert call(server, "/claims/jwt/jwks-eddsa", signed(key, "ed-1", "EdDSA")).status == 200
    assert call(server, "/claims/jwt/jwks-eddsa", signed(KEYS["2026-a"], None)).status == 401


def test_jwks_is_a_key_set_or_nothing():
    with pytest.raises(ValueError, match="not both"):
        JWTAuthentication(jwks={"keys": []}, secret="s")
    with pytest.raises(TypeError, match="JWK set"):
        JWTAuthentication(jwks=[1, 2])
    assert JWTAuthentication(jwks='{"keys": []}').plan().jwks == b'{"keys": []}'
    assert JWTAuthentication(jwks={"keys": []}).plan().secret is None


def test_a_key_that_does_not_fit_the_algorithms_stops_start_up(tmp_path):
    from support.projects import start_badsig

    source = (
        "from django_bolt.auth import JWTAuthentication\n"
        'RSA = {"keys": [{"kty": "RSA", "kid": "r1", "n": "AQAB", "e": "AQAB"}]}\n'
        '@api.get("/x", auth=[JWTAuthentication(jwks=RSA)])\n'
        "def x() -> dict:\n"
        "    return {}\n"
    )
    r = start_badsig(tmp_path, source)
    assert r.returncode != 0
    assert 'jwks: key "r1" is a RSA key, the algorithms ["HS256"] need HMAC' in r.stderr, r.stderr
