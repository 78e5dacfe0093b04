"""What a refusing guard answers, on each kind of route (Django REST framework's rule): 401 with
``WWW-Authenticate`` naming the first authenticator's scheme when the route authenticates and the
request did not; 403 otherwise. Guards decided in Rust (``IsAuthenticated``, ``Requires``) and in
Python (``AllowedByHeader``). Served under /guarded (collected from demo/api.py, which imports this
module)."""

from __future__ import annotations

from django_bolt import BoltAPI, Request
from django_bolt.auth import (
    APIKeyAuthentication,
    BasePermission,
    IsAuthenticated,
    JWTAuthentication,
    Requires,
    SessionAuthentication,
)

# auth=[] on each route: no project or API default applies.
guarded = BoltAPI(prefix="/guarded")

JWT = JWTAuthentication()
KEY = APIKeyAuthentication(keys={"guard-key"})
SESSION = SessionAuthentication()


class AllowedByHeader(BasePermission):
    """A Python guard: lets through requests sending ``X-Allow: yes``, authenticated or not."""

    def has_permission(self, request) -> bool:
        return request.headers.get("x-allow") == "yes"


def _state(request: Request) -> dict:
    return {"authenticated": request.auth is not None or bool(getattr(request._user, "is_authenticated", False))}


# No authentication: nothing to log in with, so a refusal is 403.
@guarded.get("/open/rust", auth=[], guards=[IsAuthenticated()])
def open_rust(request: Request) -> dict:
    return _state(request)


@guarded.get("/open/python", auth=[], guards=[AllowedByHeader()])
def open_python(request: Request) -> dict:
    return _state(request)


# JWT: anonymous -> 401 Bearer; authenticated but refused -> 403.
@guarded.get("/jwt/rust", auth=[JWT], guards=[Requires("role", "admin")])
def jwt_rust(request: Request) -> dict:
    return _state(request)


@guarded.get("/jwt/python", auth=[JWT], guards=[AllowedByHeader()])
def jwt_python(request: Request) -> dict:
    return _state(request)


# API keys: anonymous -> 401 ApiKey; authenticated but refused -> 403 (the static key has no scopes).
@guarded.get("/key/rust", auth=[KEY], guards=[Requires("scopes", "write")])
def key_rust(request: Request) -> dict:
    return _state(request)


@guarded.get("/key/python", auth=[KEY], guards=[AllowedByHeader()])
def key_python(request: Request) -> dict:
    return _state(request)


# The session names no scheme (as in DRF): every refusal is 403.
@guarded.get("/session/python", auth=[SESSION], guards=[AllowedByHeader()])
def session_python(request: Request) -> dict:
    return _state(request)


# Several authenticators: the first one names the scheme.
@guarded.get("/key-then-jwt", auth=[KEY, JWT], guards=[IsAuthenticated()])
def key_then_jwt(request: Request) -> dict:
    return _state(request)


@guarded.get("/session-then-jwt", auth=[SESSION, JWT], guards=[IsAuthenticated()])
def session_then_jwt(request: Request) -> dict:
    return _state(request)


@guarded.get("/jwt-then-session", auth=[JWT, SESSION], guards=[AllowedByHeader()])
def jwt_then_session(request: Request) -> dict:
    return _state(request)
