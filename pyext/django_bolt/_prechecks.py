"""The checks a route runs on its core's blocking pool before its handler, because they do
blocking I/O: a JWT revocation lookup (``JWTAuthentication(revocation_store=...)``, see
``auth.revocation``) and a shared rate limit's counter in the project's cache
(``rate_limit(shared=True)``), in that order.

Rust does everything that needs no I/O first (the per-core bucket, JWT verification, guards);
a route with a precheck then answers through ``Runtime.run_prechecked``, which calls
``precheck(limit_key, claims, backend)`` on the pool (``backend``: which of the route's Rust
authenticators vouched for ``claims``). A check refuses by raising ``HTTPException``.

**Shared limits count in fixed windows.** ``rate_limit(rps, burst, shared=True)`` allows at most
``floor(burst)`` requests per key in each window of ``burst / rps`` seconds, whatever server
or core they reach: one atomic ``cache.add(key, 1)`` (the window's first request) or
``cache.incr(key)`` (the others; Redis ``SET NX``/``INCR``) per request, keyed by route, client
key and window number (on Django's ``RedisCache`` both in one pipelined round trip, see
``_count``). A fixed window is exact (no request more than the limit in a window,
across any number of hosts) for one round trip; a sliding window would need two counters and is
still an estimate. The price: a client may spend one window's allowance at its end and the next
at the start of the next window. Windows are numbered from the hosts' wall clocks (keep them in
NTP sync); a window's counter expires a window and a second after it could last have been
written, so skew of up to a window is harmless.

**Cache down: fail open.** A request the shared counter cannot be reached for is served (the
per-core bucket still limits it) and a WARNING is logged; the log's repeat bound
(``BOLT_LOG_REPEAT_INTERVAL``, ``_log_repeats.py``) makes that one line per interval, not
per request. Refusing every request because the cache is down would turn a Redis outage into
an API outage; set the cache's client timeouts (``OPTIONS``) so a hung Redis fails fast.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import logging
import math
import threading
import time
from typing import Any, NamedTuple

from django.core.exceptions import ImproperlyConfigured

from .exceptions import HTTPException

__all__ = ["SharedLimit", "Revocation", "route_precheck"]

log = logging.getLogger("django_bolt.ratelimit")


class SharedLimit:
    """One route's shared limit: ``count`` requests per key per ``window`` seconds, counted in
    the cache ``alias`` (``BOLT_RATE_LIMIT_CACHE``)."""

    def __init__(self, route: str, rate: float, burst: float, alias: str) -> None:
        self.route = route
        self.count = max(1, math.floor(burst))
        self.window = float(burst) / float(rate)
        self.alias = alias
        # A window's counter outlives its window by a window and a second (clock skew between
        # hosts), then expires.
        self.timeout = math.ceil(2 * self.window) + 1

    def cache_key(self, client: str, window: int) -> str:
        """The counter of ``client`` in window number ``window``. Hashed: client keys are
        arbitrary header values, and memcached refuses spaces and long keys."""
        digest = hashlib.blake2b(f"{self.route}\0{client}".encode(), digest_size=16).hexdigest()
        return f"bolt:rl:{digest}:{window}"

    def check(self, client: str, now: float | None = None) -> None:
        """Counts one request of ``client``; raises 429 with ``Retry-After`` (seconds to the
        next window) when it is over the limit. Serves it, logging a warning, when the cache
        cannot be reached."""
        now = time.time() if now is None else now
        window = math.floor(now / self.window)
        key = self.cache_key(client, window)
        try:
            n = _count(self.alias, key, self.timeout)
        except Exception as e:  # noqa: BLE001 - any cache failure: fail open, said once per interval
            log.warning(
                "shared rate limit of %s: cache %r unavailable (%s: %s); serving the request "
                "(the per-core limit still applies)",
                self.route,
                self.alias,
                type(e).__name__,
                e,
            )
            return
        if n > self.count:
            retry = max(1, math.ceil((window + 1) * self.window - now))
            raise HTTPException(429, "Too Many Requests", {"Retry-After": str(retry)})


_thread_caches = threading.local()


def thread_cache(alias: str) -> Any:
    """This thread's own handle on cache ``alias``, kept for the thread's life. Not
    ``caches[alias]``: Django keeps that per context (asgiref's ``Local``), and each request here
    may run in a fresh one, which would build a new client every time."""
    return _thread_handle(alias)[0]


def _thread_handle(alias: str) -> tuple[Any, Any]:
    """``(cache, redis client or None)`` of this thread: the redis-py client when ``alias`` is
    Django's ``RedisCache`` (built once: building one per call tripled the CPU of a count)."""
    handles = getattr(_thread_caches, "handles", None)
    if handles is None:
        handles = _thread_caches.handles = {}
    handle = handles.get(alias)
    if handle is None:
        from django.core.cache import caches

        cache = caches.create_connection(alias)
        client = None
        get_client = getattr(getattr(cache, "_cache", None), "get_client", None)
        if get_client is not None and type(cache).__module__ == "django.core.cache.backends.redis":
            client = get_client(None, write=True)
        handle = handles[alias] = (cache, client)
    return handle


def _count(alias: str, key: str, timeout: int) -> int:
    """This request's number in its window. On Django's ``RedisCache``, one round trip: ``SET
    key 0 EX timeout NX`` (the window's first request creates the counter with its expiry) and
    ``INCR key`` (atomic), pipelined. On other caches: ``add`` creates the counter (atomic;
    False when it exists), then ``incr`` counts on it (atomic), once more if the counter expired
    in between."""
    cache, client = _thread_handle(alias)
    if client is not None:
        full = cache.make_and_validate_key(key)
        pipe = client.pipeline(transaction=False)
        pipe.set(full, 0, ex=timeout, nx=True)
        pipe.incr(full)
        return int(pipe.execute()[1])
    for _ in range(2):
        if cache.add(key, 1, timeout):
            return 1
        try:
            return int(cache.incr(key))
        except ValueError:
            continue  # expired between add and incr
    raise RuntimeError(f"cannot count {key!r}")


class Revocation(NamedTuple):
    """One JWT authenticator's revocation check (``Revocation.of(auth)``). A store that cannot
    be reached fails closed: 503, with a WARNING (bounded like every repeated log line), because
    serving a token that may have been revoked is the failure revocation exists to prevent."""

    #: ``async (jti[, claims]) -> bool``, or None: only ``require_jti``.
    handler: Any
    #: The handler takes the claims as a second argument (two positional parameters).
    takes_claims: bool
    #: The store behind ``create_revocation_handler`` (its ``is_revoked_sync`` is called).
    store: Any

    def check(self, claims: dict) -> None:
        """Refuses (401) a token without a ``jti``, or a revoked one, as django-bolt does."""
        jti = claims.get("jti")
        if not jti:
            raise HTTPException(401, "Token missing 'jti' claim required for revocation")
        if self.handler is None:
            return
        sync = getattr(self.store, "is_revoked_sync", None)
        try:
            if sync is not None:
                revoked = sync(jti)
            else:
                revoked = _resolve(self.handler(jti, claims) if self.takes_claims else self.handler(jti))
        except Exception as e:  # noqa: BLE001 - the store is down: refuse, said once per interval
            log.warning("JWT revocation check unavailable (%s: %s); answering 503", type(e).__name__, e)
            raise HTTPException(503, "Token revocation check unavailable") from None
        if revoked:
            raise HTTPException(401, "Token has been revoked")

    @classmethod
    def of(cls, auth: Any) -> Revocation | None:
        """The check of authenticator ``auth``, or None when it has none."""
        handler = getattr(auth, "revoked_token_handler", None)
        if handler is None and not getattr(auth, "require_jti", False):
            return None
        return cls(handler, _takes_claims(handler), getattr(handler, "__bolt_revocation_store__", None))


def _takes_claims(handler: Any) -> bool:
    if handler is None:
        return False
    try:
        params = inspect.signature(handler).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(1 for p in params if p.kind in positional) >= 2


_loops = threading.local()


def _resolve(value: Any) -> Any:
    """The value of a handler's result: awaited on this pool thread's own event loop when it is
    awaitable (a ``revoked_token_handler`` is ``async``). The test client runs checks on a thread
    that may already run a loop: there the coroutine is driven by hand and must not suspend."""
    if not inspect.isawaitable(value):
        return value
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        loop = getattr(_loops, "loop", None)
        if loop is None:
            loop = _loops.loop = asyncio.new_event_loop()
        return loop.run_until_complete(value)
    it = value.__await__()
    try:
        it.send(None)
    except StopIteration as e:
        return e.value
    it.close()
    raise RuntimeError("revoked_token_handler suspended inside a running event loop (the async test client)")


class _Precheck:
    """``(limit_key, claims, backend) -> None``: the route's checks in order (see the module)."""

    def __init__(self, shared: SharedLimit | None, revocations: list[Revocation | None]) -> None:
        self.shared = shared
        self.revocations = revocations

    def __call__(self, limit_key: str | None, claims: dict | None, backend: int | None = None) -> None:
        if claims is not None and backend is not None and backend < len(self.revocations):
            rev = self.revocations[backend]
            if rev is not None:
                rev.check(claims)
        if self.shared is not None and limit_key is not None:
            self.shared.check(limit_key)


def route_precheck(
    method: str, path: str, limit: Any, websocket: bool = False, rust_auth: list[Any] | None = None
) -> _Precheck | None:
    """The precheck of route ``method path`` with rate limit ``limit`` (a ``LimitPlan`` or
    None) and Rust authenticators ``rust_auth`` (in plan order), or None when it needs none. A
    shared limit without ``BOLT_RATE_LIMIT_CACHE`` naming a configured cache is a start-up
    error naming the route."""
    where = f"{method} {path}"
    revocations = [Revocation.of(a) for a in rust_auth or ()]
    if not any(revocations):
        revocations = []
    elif websocket:
        raise ImproperlyConfigured(f"{where}: JWT revocation (require_jti) is not supported on WebSocket routes")
    shared = None
    if limit is not None and limit.shared:
        if websocket:
            raise ImproperlyConfigured(f"{where}: rate_limit(shared=True) is not supported on WebSocket routes")
        from django.conf import settings

        alias = getattr(settings, "BOLT_RATE_LIMIT_CACHE", None)
        if not alias:
            raise ImproperlyConfigured(
                f"{where}: rate_limit(shared=True) needs the BOLT_RATE_LIMIT_CACHE setting, the alias "
                "of the cache in CACHES that counts across hosts (e.g. BOLT_RATE_LIMIT_CACHE = 'default' "
                "with Django's RedisCache)"
            )
        if not isinstance(alias, str) or alias not in getattr(settings, "CACHES", {}):
            raise ImproperlyConfigured(
                f"{where}: BOLT_RATE_LIMIT_CACHE = {alias!r} is not an alias in CACHES "
                f"({sorted(getattr(settings, 'CACHES', {}))})"
            )
        shared = SharedLimit(where, limit.rate, limit.burst, alias)
    if shared is None and not revocations:
        return None
    return _Precheck(shared, revocations)
