"""Typing-only names of django-bolt 0.13, for annotations and type checkers.

>>> from django_bolt.types import JWTClaims, UserType
>>> def greet(user: UserType, claims: JWTClaims) -> str: ...

Nothing here is used at run time by the server: these are ``Protocol`` classes and
``TypedDict`` shapes. ``Request`` (also ``django_bolt.RequestProtocol``) describes the members
this project's ``django_bolt.Request`` has; django-bolt's protocol also lists ``context``,
``get()``/``[]`` and ``params``, which are not (yet) on this project's request (docs/compat.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, TypedDict, runtime_checkable

if TYPE_CHECKING:
    from .request import Headers

__all__ = [
    "Request",
    "UserType",
    "AuthContext",
    "DjangoModel",
    "JWTClaims",
    "APIKeyAuth",
    "TimingState",
    "TracingState",
    "MiddlewareResponse",
]


@runtime_checkable
class DjangoModel(Protocol):
    """What every Django model instance offers: save/delete/refresh and their async forms."""

    def save(self, *args: Any, **kwargs: Any) -> None: ...
    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]: ...
    def refresh_from_db(self, using: str | None = None, fields: list[str] | None = None) -> None: ...
    def full_clean(self, exclude: list[str] | None = None, validate_unique: bool = True) -> None: ...
    async def asave(self, *args: Any, **kwargs: Any) -> None: ...
    async def adelete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]: ...
    async def arefresh_from_db(self, using: str | None = None, fields: list[str] | None = None) -> None: ...


class UserType(DjangoModel, Protocol):
    """A Django user (``AbstractUser``'s fields and password methods)."""

    id: int
    pk: int
    is_active: bool
    email: str
    first_name: str
    last_name: str
    is_staff: bool
    is_superuser: bool

    @property
    def is_anonymous(self) -> bool: ...
    @property
    def is_authenticated(self) -> bool: ...
    def set_password(self, raw_password: str | None) -> None: ...
    def check_password(self, raw_password: str) -> bool: ...
    def set_unusable_password(self) -> None: ...
    def has_usable_password(self) -> bool: ...
    def get_session_auth_hash(self) -> str: ...


class AuthContext(Protocol):
    """Who authenticated a request, as django-bolt describes it (``request.context`` there)."""

    user_id: str | None
    is_staff: bool
    is_superuser: bool
    backend: str
    permissions: set[str] | None
    claims: dict[str, Any] | None


class Request(Protocol):
    """The request a handler receives (the members ``django_bolt.Request`` has)."""

    method: str
    path: str
    query_string: str
    body: bytes
    path_params: dict[str, Any]
    client: str | None
    state: dict[str, Any]
    auth: dict[str, Any] | None

    @property
    def headers(self) -> Headers: ...
    @property
    def query(self) -> dict[str, str]: ...
    @property
    def cookies(self) -> dict[str, str]: ...
    @property
    def user(self) -> Any: ...
    async def auser(self) -> Any: ...
    def json(self) -> Any: ...
    def text(self) -> str: ...


class JWTClaims(TypedDict, total=False):
    """The claims of a JWT: the registered ones and those django-bolt's tokens carry."""

    sub: str
    exp: int
    iat: int
    nbf: int
    iss: str
    aud: str
    jti: str
    user_id: int
    username: str
    email: str
    is_staff: bool
    is_superuser: bool
    permissions: list[str]
    groups: list[str]


class APIKeyAuth(TypedDict, total=False):
    """What an API key authenticates as."""

    key_id: str
    key_name: str
    permissions: list[str]
    rate_limit: int
    metadata: dict[str, Any]


class TimingState(TypedDict, total=False):
    """``request.state`` keys a timing middleware sets."""

    start_time: float
    request_id: str


class TracingState(TypedDict, total=False):
    """``request.state`` keys a tracing middleware sets."""

    trace_id: str
    span_id: str
    parent_span_id: str
    baggage: dict[str, str]


class MiddlewareResponse(TypedDict, total=False):
    """A response as middleware builds it (several ``Set-Cookie`` values in a list)."""

    body: bytes
    status_code: int
    headers: dict[str, str]
    set_cookies: list[str]
