"""JWT revocation, as django-bolt's ``auth.revocation``: stores of revoked token ids (``jti``).

>>> store = DjangoCacheRevocation("default")          # Redis through Django's cache: every host
>>> auth = JWTAuthentication(revocation_store=store)  # require_jti turns on by itself
>>> @api.post("/logout", auth=[auth], guards=[IsAuthenticated()])
... async def logout(request) -> dict:
...     claims = request.auth
...     await store.revoke(claims["jti"], exp=claims.get("exp"))
...     return {"message": "Logged out"}

The token is verified in Rust as before; on the routes whose ``JWTAuthentication`` has a store
(or a ``revoked_token_handler``), the lookup by ``jti`` runs in Python on the core's blocking
pool before the handler (``_prechecks.py``), never on the reactor thread. A revoked token is
refused with 401 ``{"detail": "Token has been revoked"}``; one without a ``jti`` with 401
``{"detail": "Token missing 'jti' claim required for revocation"}``, as in django-bolt.

The methods are ``async`` (django-bolt's API, for ``await`` in handlers); each store here also
has the plain twins ``is_revoked_sync``/``revoke_sync``, which the check uses and a ``def``
handler may call.

``InMemoryRevocation`` lives in one interpreter: under bolt each core is its own interpreter, so
it is only right with ``--cores 1`` (or the test client). Use ``DjangoCacheRevocation`` on Redis
(or ``DjangoORMRevocation``) for more cores or hosts.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from datetime import UTC, datetime, timedelta
from typing import Any, Awaitable, Callable

__all__ = [
    "RevocationStore",
    "InMemoryRevocation",
    "DjangoCacheRevocation",
    "DjangoORMRevocation",
    "create_revocation_handler",
]

#: How long a revocation is kept when the caller gives no ``exp`` (django-bolt's: 7 days).
DEFAULT_TTL_SECONDS = 7 * 86400


def _ttl_for(exp: int | None, default: int = DEFAULT_TTL_SECONDS) -> int:
    """Seconds an entry lives: until the token's own ``exp`` (never negative), else ``default``."""
    if exp is None:
        return default
    return max(0, int(exp) - int(time.time()))


class RevocationStore(ABC):
    """Where revoked ``jti`` values are kept. Subclasses implement ``is_revoked`` and
    ``revoke`` (async, as in django-bolt); the other operations are optional."""

    @abstractmethod
    async def is_revoked(self, jti: str) -> bool:
        """Whether the token with this ``jti`` is revoked."""

    @abstractmethod
    async def revoke(self, jti: str, *, exp: int | None = None) -> None:
        """Revokes the token ``jti``; pass its ``exp`` claim so the entry lives exactly as
        long as the token would."""

    async def revoke_all(self, user_id: str) -> None:
        raise NotImplementedError("This revocation store does not support revoke_all")

    async def consume(self, jti: str, *, exp: int | None = None) -> bool:
        """Marks a refresh token used; True only for the first caller (atomic)."""
        raise NotImplementedError("This revocation store does not support atomic token consumption")

    async def get_user_version(self, user_id: str) -> int:
        raise NotImplementedError("This revocation store does not support token versioning")

    async def bump_user_version(self, user_id: str) -> int:
        raise NotImplementedError("This revocation store does not support token versioning")

    async def revoke_family(self, fam: str, *, exp: int | None = None) -> None:
        raise NotImplementedError("This revocation store does not support family revocation")

    async def is_family_revoked(self, fam: str) -> bool:
        raise NotImplementedError("This revocation store does not support family revocation")


class InMemoryRevocation(RevocationStore):
    """A set in this interpreter: for development, tests and ``--cores 1`` (each core is its own
    interpreter, with its own set)."""

    def __init__(self) -> None:
        self._revoked: set[str] = set()
        self._revoked_families: set[str] = set()
        self._user_versions: dict[str, int] = {}

    def is_revoked_sync(self, jti: str) -> bool:
        return jti in self._revoked

    def revoke_sync(self, jti: str, *, exp: int | None = None) -> None:
        self._revoked.add(jti)

    async def is_revoked(self, jti: str) -> bool:
        return self.is_revoked_sync(jti)

    async def revoke(self, jti: str, *, exp: int | None = None) -> None:
        self.revoke_sync(jti, exp=exp)

    async def consume(self, jti: str, *, exp: int | None = None) -> bool:
        if jti in self._revoked:
            return False
        self._revoked.add(jti)
        return True

    async def get_user_version(self, user_id: str) -> int:
        return self._user_versions.get(str(user_id), 0)

    async def bump_user_version(self, user_id: str) -> int:
        version = self._user_versions.get(str(user_id), 0) + 1
        self._user_versions[str(user_id)] = version
        return version

    async def revoke_family(self, fam: str, *, exp: int | None = None) -> None:
        self._revoked_families.add(fam)

    async def is_family_revoked(self, fam: str) -> bool:
        return fam in self._revoked_families

    def clear(self) -> None:
        """Forgets every revocation (for tests)."""
        self._revoked.clear()
        self._revoked_families.clear()
        self._user_versions.clear()


class DjangoCacheRevocation(RevocationStore):
    """Revoked ids in a Django cache (``cache_alias``), each expiring with its token: with Redis
    (or Memcached) every core and host sees a revocation at once."""

    def __init__(
        self, cache_alias: str = "default", key_prefix: str = "revoked:", *, default_ttl: int = DEFAULT_TTL_SECONDS
    ) -> None:
        self.cache_alias = cache_alias
        self.key_prefix = key_prefix
        self.default_ttl = default_ttl

    @property
    def cache(self) -> Any:
        """This thread's handle on the cache, kept for the thread's life (Django's
        ``caches[alias]`` is per request context here: a new connection each time)."""
        from .._prechecks import thread_cache

        return thread_cache(self.cache_alias)

    def is_revoked_sync(self, jti: str) -> bool:
        return self.cache.get(f"{self.key_prefix}{jti}") is not None

    def revoke_sync(self, jti: str, *, exp: int | None = None) -> None:
        self.cache.set(f"{self.key_prefix}{jti}", "1", timeout=_ttl_for(exp, self.default_ttl))

    async def is_revoked(self, jti: str) -> bool:
        return self.is_revoked_sync(jti)

    async def revoke(self, jti: str, *, exp: int | None = None) -> None:
        self.revoke_sync(jti, exp=exp)

    def _atomic_cache(self) -> Any:
        """The cache, when its ``add`` and ``incr`` are atomic (Redis, Memcached, local memory
        within one interpreter), as rotation and version bumps need; django-bolt's rule. The
        file, database and dummy caches check then set, so two rotations could both win."""
        cache = self.cache
        modules = {c.__module__ for c in type(cache).__mro__}
        from django.core.cache.backends.base import BaseCache

        racy = {
            "django.core.cache.backends.filebased",
            "django.core.cache.backends.db",
            "django.core.cache.backends.dummy",
        }
        if modules & racy or getattr(type(cache), "incr", None) is BaseCache.incr:
            raise NotImplementedError(
                f"DjangoCacheRevocation({self.cache_alias!r}): refresh rotation and version bumps need a cache "
                f"whose add/incr are atomic (Redis, Memcached), not {type(cache).__name__}"
            )
        return cache

    async def consume(self, jti: str, *, exp: int | None = None) -> bool:
        cache = self._atomic_cache()
        return bool(cache.add(f"{self.key_prefix}{jti}", "1", timeout=_ttl_for(exp, self.default_ttl)))

    async def get_user_version(self, user_id: str) -> int:
        return int(self.cache.get(f"{self.key_prefix}ver:{user_id}") or 0)

    async def bump_user_version(self, user_id: str) -> int:
        self._atomic_cache()
        key = f"{self.key_prefix}ver:{user_id}"
        try:
            return int(self.cache.incr(key))
        except ValueError:
            if self.cache.add(key, 1, timeout=None):
                return 1
            return int(self.cache.incr(key))

    async def revoke_family(self, fam: str, *, exp: int | None = None) -> None:
        self.cache.set(f"{self.key_prefix}fam:{fam}", "1", timeout=_ttl_for(exp, self.default_ttl))

    async def is_family_revoked(self, fam: str) -> bool:
        return self.cache.get(f"{self.key_prefix}fam:{fam}") is not None


class DjangoORMRevocation(RevocationStore):
    """Revoked ids as rows of a model of yours (``"app_label.ModelName"``) with a unique
    ``jti`` CharField and an ``expires_at`` DateTimeField (delete expired rows periodically)."""

    def __init__(self, model: str, *, default_ttl: int = DEFAULT_TTL_SECONDS) -> None:
        self.model_path = model
        self.default_ttl = default_ttl

    @property
    def model(self) -> Any:
        from django.apps import apps

        parts = self.model_path.split(".")
        if len(parts) != 2 or not all(parts):
            raise ValueError(f"model must be 'app_label.ModelName', got {self.model_path!r}")
        return apps.get_model(*parts)

    def _expires(self, exp: int | None) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=_ttl_for(exp, self.default_ttl))

    def is_revoked_sync(self, jti: str) -> bool:
        return self.model.objects.filter(jti=jti).exists()

    def revoke_sync(self, jti: str, *, exp: int | None = None) -> None:
        self.model.objects.update_or_create(jti=jti, defaults={"expires_at": self._expires(exp)})

    async def is_revoked(self, jti: str) -> bool:
        return await self.model.objects.filter(jti=jti).aexists()

    async def revoke(self, jti: str, *, exp: int | None = None) -> None:
        await self.model.objects.aupdate_or_create(jti=jti, defaults={"expires_at": self._expires(exp)})

    async def consume(self, jti: str, *, exp: int | None = None) -> bool:
        from django.db import IntegrityError

        try:
            await self.model.objects.acreate(jti=jti, expires_at=self._expires(exp))
        except IntegrityError:
            return False
        return True

    async def revoke_family(self, fam: str, *, exp: int | None = None) -> None:
        await self.revoke(f"family:{fam}", exp=exp)

    async def is_family_revoked(self, fam: str) -> bool:
        return await self.is_revoked(f"family:{fam}")


def create_revocation_handler(store: RevocationStore) -> Callable[[str], Awaitable[bool]]:
    """A ``revoked_token_handler`` from a store: ``async (jti) -> bool``."""

    async def handler(jti: str) -> bool:
        return await store.is_revoked(jti)

    # The check on the pool calls the store's sync twin directly when it has one.
    handler.__bolt_revocation_store__ = store  # type: ignore[attr-defined]
    return handler
