"""What a refusing guard answers, by Django REST framework's rule: 401 with ``WWW-Authenticate``
naming the route's (first authenticator's) scheme only when the route authenticates with such a
scheme and the request was not authenticated; 403 otherwise. The same for guards decided in Rust
(``IsAuthenticated``, ``Requires``) and in Python (a ``BasePermission``). Routes in
examples/demo/demo/guarded.py."""

from __future__ import annotations

import time

import pytest

from support.session import logged_in
from support.tokens import mint
from support.wire import fetch

ALLOW = [("X-Allow", "yes")]
KEY = [("X-API-Key", "guard-key")]


def jwt(**claims) -> list[tuple[str, str]]:
    tok = mint({"sub": "1", "exp": int(time.time()) + 300, **claims})
    return [("Authorization", f"Bearer {tok}")]


def get(server, path: str, headers=()) -> object:
    return fetch(server.port, "GET", path, headers=list(headers))


def unauthorized(resp, scheme: str) -> None:
    assert resp.status == 401, (resp.status, resp.body)
    assert resp.header("www-authenticate") == scheme
    assert resp.json() == {"detail": "Authentication credentials were not provided."}


def forbidden(resp) -> None:
    assert resp.status == 403, (resp.status, resp.body)
    assert resp.header("www-authenticate") is None
    assert resp.json() == {"detail": "You do not have permission to perform this action."}


def allowed(resp, authenticated: bool) -> None:
    assert resp.status == 200, (resp.status, resp.body)
    assert resp.json() == {"authenticated": authenticated}


# --- a route without authentication: nothing to log in with, so 403 -------------------------------


def test_rust_guard_on_a_route_without_auth_is_403(server):
    forbidden(get(server, "/guarded/open/rust"))
    # A token means nothing where no authenticator reads it.
    forbidden(get(server, "/guarded/open/rust", jwt()))


def test_python_guard_on_a_route_without_auth_is_403(server):
    forbidden(get(server, "/guarded/open/python"))
    allowed(get(server, "/guarded/open/python", ALLOW), authenticated=False)


# --- JWT: 401 Bearer when anonymous, 403 when authenticated -------------------------------------


def test_rust_guard_on_a_jwt_route(server):
    unauthorized(get(server, "/guarded/jwt/rust"), "Bearer")
    forbidden(get(server, "/guarded/jwt/rust", jwt(role="user")))
    allowed(get(server, "/guarded/jwt/rust", jwt(role="admin")), authenticated=True)


def test_python_guard_on_a_jwt_route(server):
    unauthorized(get(server, "/guarded/jwt/python"), "Bearer")
    forbidden(get(server, "/guarded/jwt/python", jwt()))
    allowed(get(server, "/guarded/jwt/python", jwt() + ALLOW), authenticated=True)
    allowed(get(server, "/guarded/jwt/python", ALLOW), authenticated=False)


# --- API keys: 401 ApiKey when anonymous, 403 when authenticated ----------------------------------


def test_rust_guard_on_an_api_key_route(server):
    unauthorized(get(server, "/guarded/key/rust"), "ApiKey")
    forbidden(get(server, "/guarded/key/rust", KEY))  # the static key has no "write" scope


def test_python_guard_on_an_api_key_route(server):
    unauthorized(get(server, "/guarded/key/python"), "ApiKey")
    forbidden(get(server, "/guarded/key/python", KEY))
    allowed(get(server, "/guarded/key/python", KEY + ALLOW), authenticated=True)
    allowed(get(server, "/guarded/key/python", ALLOW), authenticated=False)


# --- the session names no scheme: always 403 --------------------------------------------------------


def session(server, admin_user) -> list[tuple[str, str]]:
    b = logged_in(server, admin_user)
    return [("Cookie", b.cookie_header())]


def test_python_guard_on_a_session_route(server, admin_user):
    forbidden(get(server, "/guarded/session/python"))
    allowed(get(server, "/guarded/session/python", ALLOW), authenticated=False)
    cookies = session(server, admin_user)
    forbidden(get(server, "/guarded/session/python", cookies))
    allowed(get(server, "/guarded/session/python", cookies + ALLOW), authenticated=True)


# --- several authenticators: the first names the scheme -----------------------------------------


def test_first_authenticator_api_key_names_the_scheme(server):
    unauthorized(get(server, "/guarded/key-then-jwt"), "ApiKey")
    allowed(get(server, "/guarded/key-then-jwt", jwt()), authenticated=True)
    allowed(get(server, "/guarded/key-then-jwt", KEY), authenticated=True)


def test_first_authenticator_session_names_no_scheme(server):
    forbidden(get(server, "/guarded/session-then-jwt"))
    allowed(get(server, "/guarded/session-then-jwt", jwt()), authenticated=True)


def test_first_authenticator_jwt_then_session(server, admin_user):
    unauthorized(get(server, "/guarded/jwt-then-session"), "Bearer")
    cookies = session(server, admin_user)
    forbidden(get(server, "/guarded/jwt-then-session", cookies))
    allowed(get(server, "/guarded/jwt-then-session", cookies + ALLOW), authenticated=True)


@pytest.mark.parametrize("path", ["/guarded/jwt/rust", "/guarded/jwt/python"])
def test_an_invalid_token_is_401_before_any_guard(server, path):
    resp = get(server, path, [("Authorization", "Bearer not.a.token")])
    assert resp.status == 401
    assert resp.header("www-authenticate").startswith("Bearer")
