"""``JWTAuthentication(token_type=...)``: the token types a route takes, checked in Rust before
Python runs, with django-bolt's rule (demo routes under /claims/jwt and /claims/guards)."""

from __future__ import annotations

import time

import pytest

from django_bolt.auth.tokens import create_token_pair
from support.tokens import SECRET, mint
from support.wire import fetch

REFRESH_ONLY = "/claims/jwt/refresh-only"
# An ordinary access route (token_type=None) that answers with the token's subject.
ACCESS = "/claims/guards/allow-any"


def token(**claims) -> str:
    return mint({"sub": "7", "exp": int(time.time()) + 60, **claims})


def call(server, method: str, path: str, tok: str):
    return fetch(server.port, method, path, headers=[("Authorization", f"Bearer {tok}")])


def test_a_refresh_route_takes_a_refresh_token(server):
    resp = call(server, "POST", REFRESH_ONLY, token(typ="refresh", jti="r1"))
    assert resp.status == 200 and resp.json() == {"typ": "refresh"}


@pytest.mark.parametrize(
    "claims, why",
    [
        ({"typ": "access"}, "an access token"),
        ({}, "no type claim at all"),
        ({"typ": "Refresh"}, "typ is compared exactly"),
        ({"token_type": "refresh"}, "simplejwt's claim without typ"),
        ({"typ": "refresh", "token_use": "id"}, "another type claim disagrees"),
        ({"typ": "refresh", "token_type": "access"}, "simplejwt's claim disagrees"),
    ],
)
def test_a_refresh_route_refuses_every_other_token(server, claims, why):
    resp = call(server, "POST", REFRESH_ONLY, token(**claims))
    assert resp.status == 401, why
    assert resp.json() == {"detail": 'invalid token: token type must be "refresh"'}
    assert resp.header("www-authenticate") == 'Bearer error="invalid_token"'


@pytest.mark.parametrize(
    "claims, kind",
    [
        ({"typ": "refresh"}, "refresh"),
        ({"token_type": "refresh"}, "refresh"),  # djangorestframework-simplejwt
        ({"token_use": "id"}, "id"),  # django-allauth, AWS Cognito
        ({"typ": "Offline"}, "offline"),  # Keycloak
        ({"typ": "ID"}, "id"),
        ({"type": "refresh"}, "refresh"),  # this project's first token pairs
    ],
)
def test_an_access_route_refuses_refresh_and_id_tokens(server, claims, kind):
    resp = call(server, "GET", ACCESS, token(**claims))
    assert resp.status == 401
    assert resp.json() == {"detail": f"invalid token: a {kind} token cannot be used for access"}


def test_an_access_route_takes_access_and_untyped_tokens(server):
    for claims in ({"typ": "access"}, {}, {"token_type": "access"}, {"token_use": "access"}):
        resp = call(server, "GET", ACCESS, token(**claims))
        assert resp.status == 200 and resp.json() == {"sub": "7"}, claims


def test_a_token_pair_is_told_apart(server):
    pair = create_token_pair("7", secret=SECRET)
    assert call(server, "POST", REFRESH_ONLY, pair.refresh_token).status == 200
    assert call(server, "POST", REFRESH_ONLY, pair.access_token).status == 401
    assert call(server, "GET", ACCESS, pair.access_token).json() == {"sub": "7"}
    assert call(server, "GET", ACCESS, pair.refresh_token).status == 401
