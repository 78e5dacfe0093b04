"""Guards: who may call a route. Combine with ``&``, ``|`` and ``~``.

Guards that look only at the token (``AllowAny``, ``IsAuthenticated``, ``Requires``) run in Rust
with no Python call. The others, and your own (a class with ``has_permission(self, request)``,
sync or async, or a plain function of the request), run in Python before the handler; they may
raise ``HTTPException``.

A refusal follows Django REST framework's rule: 401, with ``WWW-Authenticate`` naming the scheme
of the route's first authenticator (``Bearer`` for JWTs, ``ApiKey`` for API keys), only when the
route authenticates with such a scheme and the request was not authenticated; 403 otherwise (a
route without authentication, one whose first authenticator is the session, which names no
scheme, or an authenticated request).
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

__all__ = [
    "BasePermission",
    "AllowAny",
    "IsAuthenticated",
    "IsAdminUser",
    "IsStaff",
    "HasPermission",
    "HasAnyPermission",
    "HasAllPermissions",
    "Requires",
    "as_guard",
    "evaluate",
    "challenge_for",
]


class BasePermission:
    """Base class for guards; override ``has_permission`` (sync or ``async def``)."""

    def has_permission(self, request: Any) -> Any:
        raise NotImplementedError

    def rust(self) -> tuple | None:
        """The Rust form of this guard, or None when it needs Python."""
        return None

    def __and__(self, other: Any) -> BasePermission:
        return _And(self, as_guard(other))

    def __or__(self, other: Any) -> BasePermission:
        return _Or(self, as_guard(other))

    def __invert__(self) -> BasePermission:
        return _Not(self)


class _And(BasePermission):
    def __init__(self, a: BasePermission, b: BasePermission) -> None:
        self.a, self.b = a, b

    async def has_permission(self, request: Any) -> bool:
        return await evaluate(self.a, request) and await evaluate(self.b, request)

    def rust(self) -> tuple | None:
        a, b = self.a.rust(), self.b.rust()
        return ("and", a, b) if a and b else None


class _Or(_And):
    async def has_permission(self, request: Any) -> bool:
        return await evaluate(self.a, request) or await evaluate(self.b, request)

    def rust(self) -> tuple | None:
        a, b = self.a.rust(), self.b.rust()
        return ("or", a, b) if a and b else None


class _Not(BasePermission):
    def __init__(self, g: BasePermission) -> None:
        self.g = g

    async def has_permission(self, request: Any) -> bool:
        return not await evaluate(self.g, request)

    def rust(self) -> tuple | None:
        g = self.g.rust()
        return ("not", g) if g else None


class _Function(BasePermission):
    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn

    def has_permission(self, request: Any) -> Any:
        return self.fn(request)


class AllowAny(BasePermission):
    def has_permission(self, request: Any) -> bool:
        return True

    def rust(self) -> tuple:
        return ("allow",)


class IsAuthenticated(BasePermission):
    """A verified token (or, in Python, a logged-in user)."""

    def has_permission(self, request: Any) -> bool:
        return request.auth is not None or bool(getattr(request.user, "is_authenticated", False))

    def rust(self) -> tuple:
        return ("auth",)


class Requires(BasePermission):
    """The token has ``claim``, as django-bolt's ``Requires``:

    * ``Requires("tenant_id")``: present (and truthy);
    * ``Requires("role", "client", "vip")``: equal to one of the values (a list claim: containing one);
    * ``Requires("permissions", all_of=["a", "b"])``: a list claim containing every value;
    * ``Requires("role", none_of=["banned"])``: matching none of them (an unauthenticated
      request still fails it);
    * ``message="..."``: the ``detail`` of the 403 (never of the 401).

    Values, ``all_of`` and ``none_of`` are one choice: give one of them. Checked in Rust unless
    ``message`` is given (then in Python, to word the refusal).
    """

    def __init__(
        self,
        claim: str,
        *values: Any,
        all_of: list[Any] | tuple[Any, ...] | None = None,
        none_of: list[Any] | tuple[Any, ...] | None = None,
        message: str | None = None,
    ) -> None:
        if not isinstance(claim, str) or not claim:
            raise ValueError(f"Requires() claim must be a non-empty string, got {claim!r}")
        if sum((bool(values), all_of is not None, none_of is not None)) > 1:
            raise ValueError("Requires() takes values (any of), all_of=[...] or none_of=[...], not several")
        for name, given in (("all_of", all_of), ("none_of", none_of)):
            if given is not None and (isinstance(given, (str, bytes)) or not list(given)):
                raise ValueError(f"Requires() {name} must be a non-empty list of values, got {given!r}")
        if message is not None and (not isinstance(message, str) or not message):
            raise ValueError(f"Requires() message must be a non-empty string, got {message!r}")
        self.claim = claim
        self.values = [_text(v) for v in values]
        self.all_of = None if all_of is None else [_text(v) for v in all_of]
        self.none_of = None if none_of is None else [_text(v) for v in none_of]
        self.message = message

    def _has(self, auth: dict, values: list[str]) -> bool:
        if self.claim not in auth:
            return False
        v = auth[self.claim]
        if not values:
            return bool(v)
        items = v if isinstance(v, list) else [v]
        return any(_text(x) in values for x in items)

    def has_permission(self, request: Any) -> bool:
        auth = request.auth
        if auth is None:
            return False
        if self.all_of is not None:
            ok = all(self._has(auth, [v]) for v in self.all_of)
        elif self.none_of is not None:
            ok = not self._has(auth, self.none_of)
        else:
            ok = self._has(auth, self.values)
        if not ok and self.message is not None:
            from ..exceptions import HTTPException

            raise HTTPException(403, self.message)
        return ok

    def rust(self) -> tuple | None:
        if self.message is not None:
            return None
        if self.all_of is not None:
            tree: tuple = ("claim", self.claim, [self.all_of[0]])
            for v in self.all_of[1:]:
                tree = ("and", tree, ("claim", self.claim, [v]))
            return tree
        if self.none_of is not None:
            # Authenticated first: a request with no claims would match "none of" them.
            return ("and", ("auth",), ("not", ("claim", self.claim, self.none_of)))
        return ("claim", self.claim, self.values)

    def __repr__(self) -> str:
        if self.all_of is not None:
            args = f"{self.claim!r}, all_of={self.all_of!r}"
        elif self.none_of is not None:
            args = f"{self.claim!r}, none_of={self.none_of!r}"
        else:
            args = ", ".join(repr(v) for v in (self.claim, *self.values))
        return f"Requires({args})" if self.message is None else f"Requires({args}, message={self.message!r})"


def _text(v: Any) -> str:
    # Claim values are compared as text; JSON booleans as JSON spells them ("true").
    return ("true" if v else "false") if isinstance(v, bool) else str(v)


class IsAdminUser(BasePermission):
    """The Django user is a superuser."""

    def has_permission(self, request: Any) -> bool:
        return bool(getattr(request.user, "is_superuser", False))


class IsStaff(BasePermission):
    """The Django user has ``is_staff``."""

    def has_permission(self, request: Any) -> bool:
        return bool(getattr(request.user, "is_staff", False))


class HasPermission(BasePermission):
    """``user.has_perm(perm)`` (``"app_label.codename"``)."""

    def __init__(self, perm: str) -> None:
        self.perm = perm

    def has_permission(self, request: Any) -> bool:
        return self.perm in _granted(request) or bool(request.user.has_perm(self.perm))


class HasAnyPermission(BasePermission):
    def __init__(self, *perms: str) -> None:
        self.perms = perms

    def has_permission(self, request: Any) -> bool:
        granted = _granted(request)
        return any(p in granted or request.user.has_perm(p) for p in self.perms)


class HasAllPermissions(BasePermission):
    def __init__(self, *perms: str) -> None:
        self.perms = perms

    def has_permission(self, request: Any) -> bool:
        granted = _granted(request)
        return all(p in granted or request.user.has_perm(p) for p in self.perms)


def _granted(request: Any) -> set[str]:
    """The permissions the token or API key itself carries (its ``permissions`` claim, as
    django-bolt's ``key_permissions``/JWT permissions), beside the Django user's."""
    perms = (request.auth or {}).get("permissions")
    if isinstance(perms, str):
        return {perms}
    return {str(p) for p in perms} if isinstance(perms, (list, tuple)) else set()


def as_guard(g: Any) -> BasePermission:
    """A guard from a guard instance, a guard class, or a function of the request."""
    if isinstance(g, BasePermission):
        return g
    if isinstance(g, type) and issubclass(g, BasePermission):
        return g()
    if hasattr(g, "has_permission"):
        return _Function(g.has_permission)
    if callable(g):
        return _Function(g)
    raise TypeError(f"{g!r} is not a guard (a BasePermission, a class with has_permission, or a function)")


async def evaluate(g: BasePermission, request: Any) -> bool:
    """Runs one guard, awaiting it when it is async. A sync guard runs on a thread of this
    core's interpreter, so it may use Django's ORM (``request.user``) as Django requires in async
    code. (asgiref's thread-sensitive mode would need an outer async_to_sync; there is none.)"""
    if inspect.iscoroutinefunction(g.has_permission):
        return bool(await g.has_permission(request))
    from asgiref.sync import sync_to_async

    result = await sync_to_async(g.has_permission, thread_sensitive=False)(request)
    if inspect.isawaitable(result):
        result = await result
    return bool(result)


def rust_guard_plan(guards: list[BasePermission]) -> tuple | None:
    """All guards (ANDed) in Rust form, or None when any needs Python (then Python checks them
    all, see ``check_guards``)."""
    plans = [g.rust() for g in guards]
    if not plans or any(p is None for p in plans):
        return None
    tree = plans[0]
    for p in plans[1:]:
        tree = ("and", tree, p)
    return tree


def needs_python(guards: list[BasePermission]) -> bool:
    return bool(guards) and any(g.rust() is None for g in guards)


def challenge_for(authenticators: list[Any]) -> str | None:
    """The ``WWW-Authenticate`` scheme of a route: its first authenticator's (``Bearer``,
    ``ApiKey``), as DRF takes it; None when the route has no authenticator or the first names no
    scheme (the session). Without one, refusals are 403 (src/app.rs ``refused`` does the same)."""
    if not authenticators:
        return None
    return getattr(authenticators[0], "www_authenticate", None)


async def check_guards(guards: list[BasePermission], request: Any, challenge: str | None = None) -> None:
    """Raises unless every guard allows the request: 401 with ``WWW-Authenticate: <challenge>``
    when the route has a scheme (``challenge_for``) and the request is not authenticated, 403
    otherwise."""
    from ..exceptions import HTTPException

    for g in guards:
        if not await evaluate(g, request):
            # request._user, not request.user: only an authenticator (the session) sets it; the
            # property would load a user from the claims, which say "authenticated" already.
            authenticated = request.auth is not None or bool(
                getattr(getattr(request, "_user", None), "is_authenticated", False)
            )
            if challenge and not authenticated:
                raise HTTPException(
                    401, "Authentication credentials were not provided.", headers={"www-authenticate": challenge}
                )
            raise HTTPException(403, "You do not have permission to perform this action.")
