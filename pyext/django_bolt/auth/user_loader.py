"""Who ``request.user`` is: the backend's ``get_user`` hook, or the ``AUTH_USER_MODEL`` row the
token names.

Backends whose class overrides ``get_user``/``get_user_sync`` are registered by the scheme that
authenticated the request (``"jwt"``, ``"api_key"``), once per interpreter as routes are planned,
so a request looks its loader up by that name (django-bolt keeps the same registry, under the
same names). ``register_auth_backend`` registers one by hand.
"""

from __future__ import annotations

import inspect
from typing import Any

from .authentication import BaseAuthentication

__all__ = ["register_auth_backend", "get_registered_backend", "load_user", "load_user_sync", "has_custom_loader"]

# scheme name -> the backend whose get_user/get_user_sync loads that scheme's users: the registry
# of the runtime serving requests in this interpreter (``new_registry``/``activate``).
_registry: dict[str, Any] = {}
# Those registered by hand (register_auth_backend): part of every runtime's registry.
_by_hand: dict[str, Any] = {}


def has_custom_loader(backend: Any) -> bool:
    """Whether ``backend``'s class overrides ``get_user`` or defines ``get_user_sync``."""
    cls = type(backend)
    own = getattr(cls, "get_user", None)
    return (own is not None and own is not BaseAuthentication.get_user) or callable(getattr(cls, "get_user_sync", None))


def register_auth_backend(backend_name: str, backend_instance: Any) -> None:
    """Make ``backend_instance``'s ``get_user``/``get_user_sync`` load the users of requests
    authenticated by the ``backend_name`` scheme (``"jwt"``, ``"api_key"``)."""
    if not isinstance(backend_name, str) or not backend_name:
        raise TypeError(f"backend_name must be a non-empty string, not {backend_name!r}")
    _registry[backend_name] = backend_instance
    _by_hand[backend_name] = backend_instance


def new_registry() -> dict[str, Any]:
    """A fresh registry (those registered by hand in it), made the active one: a runtime calls
    it before planning its routes, so one runtime's backends never load another's users (a test
    process builds several runtimes)."""
    global _registry
    _registry = dict(_by_hand)
    return _registry


def activate(registry: dict[str, Any]) -> None:
    """Makes a runtime's registry the one requests read (the test client, before each request)."""
    global _registry
    _registry = registry


def get_registered_backend(backend_name: str) -> Any | None:
    """The backend registered for ``backend_name``, or None."""
    return _registry.get(backend_name)


def register_route_backends(authenticators: list[Any], where: str) -> None:
    """Registers each of a route's backends that brings its own user loader (Route.plan()).
    Two different loaders for one scheme cannot both hold: the user a request gets would depend
    on which route planned last, so that is a start-up error naming both."""
    for a in authenticators:
        if not has_custom_loader(a):
            continue
        name = a.scheme_name
        if name in _by_hand:
            continue  # the project chose this scheme's loader itself
        have = _registry.get(name)
        if have is not None and have is not a and _loader_of(have) != _loader_of(a):
            raise ValueError(
                f"{where}: {type(a).__qualname__} and {type(have).__qualname__} both load the users of "
                f"{name!r} requests with their own get_user; use one backend class for that scheme"
            )
        _registry[name] = a


def _loader_of(backend: Any) -> tuple[Any, Any]:
    cls = type(backend)
    return getattr(cls, "get_user", None), getattr(cls, "get_user_sync", None)


def scheme_of(auth: dict | None, backend: str | None) -> str | None:
    """The scheme that authenticated a request: ``"api_key"``/``"jwt"`` from its claims, else the
    Python backend that set its user (``"session"``), else None."""
    if auth is not None:
        return "api_key" if "api_key" in auth else "jwt"
    return backend


def load_user_sync(user_id: str | None, backend_name: str | None, auth_context: dict | None = None) -> Any | None:
    """The user (sync): the registered backend's ``get_user_sync``, or its plain ``def
    get_user``; otherwise the active ``AUTH_USER_MODEL`` row with pk ``user_id``. None when there
    is no such user (or no ``user_id``). A backend with only an ``async def get_user`` raises
    RuntimeError: use ``await load_user(...)`` (``await request.auser()``)."""
    backend = _registry.get(backend_name) if backend_name else None
    if backend is not None and has_custom_loader(backend):
        sync = getattr(backend, "get_user_sync", None)
        if callable(sync):
            return sync(user_id)
        get_user = backend.get_user
        if inspect.iscoroutinefunction(get_user):
            raise RuntimeError(
                f"{type(backend).__qualname__}.get_user is async, so sync access to request.user cannot run it: "
                "use `await request.auser()`, or define get_user_sync(user_id) on the backend"
            )
        return get_user(user_id, auth_context or {})
    return _default_user(user_id)


async def load_user(user_id: str | None, backend_name: str | None, auth_context: dict | None = None) -> Any | None:
    """The user (async): the registered backend's ``get_user`` (awaited), or its sync loader on
    Django's thread-sensitive thread, as the default ``AUTH_USER_MODEL`` lookup also runs."""
    from asgiref.sync import sync_to_async

    backend = _registry.get(backend_name) if backend_name else None
    if backend is not None and has_custom_loader(backend):
        # get_user_sync first when there is one, as django-bolt resolves them.
        if not callable(getattr(backend, "get_user_sync", None)) and inspect.iscoroutinefunction(backend.get_user):
            return await backend.get_user(user_id, auth_context or {})
        return await sync_to_async(load_user_sync)(user_id, backend_name, auth_context)
    return await sync_to_async(_default_user)(user_id)


def _default_user(user_id: str | None) -> Any | None:
    if user_id is None:
        return None
    from django.contrib.auth import get_user_model

    return get_user_model()._default_manager.filter(pk=user_id, is_active=True).first()
