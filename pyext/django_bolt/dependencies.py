"""``Depends``: resolving a handler's dependencies per request.

A handler with ``Depends`` parameters is served through a small async wrapper: Rust extracts
every plain parameter the handler *and* its dependencies declare (one merged plan), and the
wrapper calls the dependencies (sync or async, nested, cached once per request) before the
handler. Like any coroutine, it is driven inline when nothing in it suspends.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from dataclasses import dataclass, field
from typing import Any, Callable

from ._plans import F_EMBED, K_ANY, SRC_BODY, SRC_REQUEST, ParamPlan
from .params import SignatureError, compile_params, dependencies_of, file_checks, file_infos
from .request import Request

__all__ = ["compile_handler"]


@dataclass
class _Node:
    fn: Callable[..., Any]
    use_cache: bool
    #: names of plain parameters this callable takes (filled from the merged plan)
    params: list[str] = field(default_factory=list)
    #: parameter name -> dependency
    deps: dict[str, _Node] = field(default_factory=dict)


def _build(
    fn: Callable[..., Any], path: str, use_cache: bool, plan: dict[str, tuple], where: str, stack: tuple = ()
) -> _Node:
    if fn in stack:
        raise SignatureError(f"{where}: dependency cycle through {getattr(fn, '__qualname__', fn)!r}")
    node = _Node(fn, use_cache)
    for t in compile_params(fn, path, skip_depends=True):
        name = t[0]
        if name in plan and plan[name][1:] != t[1:]:
            raise SignatureError(
                f"{where}: parameter {name!r} is declared differently by "
                f"{getattr(fn, '__qualname__', fn)} and another dependency or the handler"
            )
        plan.setdefault(name, t)
        node.params.append(name)
    for name, dep in dependencies_of(fn, where).items():
        node.deps[name] = _build(dep.dependency, path, dep.use_cache, plan, where, stack + (fn,))
    return node


_REQUEST = "__bolt_request__"


def _as_one_request(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` run on a pool thread with Django's per-request connection handling around it
    (``close_old_connections`` before and after, as ``request_started``/``request_finished``
    do): a pool thread's connection that broke, or points at a database file replaced since,
    is not reused for ever."""
    from django.db import close_old_connections

    def one_request(*args: Any) -> Any:
        close_old_connections()
        try:
            return fn(*args)
        finally:
            close_old_connections()

    return one_request


async def _authenticate(authenticators: list, request: Any) -> None:
    """Python authenticators (sessions) on a thread, as Django's ORM requires in async code."""
    from asgiref.sync import sync_to_async

    for a in authenticators:
        user = await sync_to_async(_as_one_request(a.authenticate), thread_sensitive=False)(request)
        if user is not None:
            request._user = user
            return


def _inline(fn: Callable[..., Any], args: dict[str, Any]) -> Any:
    """Calls a sync handler or dependency on the worker thread as if no event loop were
    running, exactly as bolt calls plain ``def`` handlers, so Django's ORM may be used."""
    loop = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(None)
    try:
        return fn(**args)
    finally:
        asyncio.events._set_running_loop(loop)


def _groups(plan: list[ParamPlan]) -> dict[str, tuple[type, list[tuple[str, str]]]]:
    """Grouped parameters (a Struct read from the query, headers...): param -> (class,
    [(field, plan name)]), from the ``"<param>.<field>"`` tuples params.py made."""
    out: dict[str, tuple[type, list[tuple[str, str]]]] = {}
    for t in plan:
        if t.group is not None:
            param, _, attr = t.name.partition(".")
            out.setdefault(param, (t.group, []))[1].append((attr, t.name))
    return out


def _assemble(kw: dict[str, Any], groups: dict[str, tuple[type, list[tuple[str, str]]]]) -> dict[str, Any]:
    args = {k: v for k, v in kw.items() if "." not in k}
    for param, (cls, members) in groups.items():
        if members[0][1] in kw:
            args[param] = cls(**{attr: kw[name] for attr, name in members})
    return args


def _grouping(handler: Callable[..., Any], groups: dict) -> Callable[..., Any]:
    """Calls ``handler`` with each group's instance built from its fields' values."""
    if inspect.iscoroutinefunction(handler):

        @functools.wraps(handler)
        async def grouped_async(**kw: Any) -> Any:
            return await handler(**_assemble(kw, groups))

        return grouped_async

    @functools.wraps(handler)
    def grouped(**kw: Any) -> Any:
        return handler(**_assemble(kw, groups))

    return grouped


def compile_handler(
    handler: Callable[..., Any], path: str, blocking: bool | None, guards: list | None = None, auth: list | None = None
) -> tuple[Callable[..., Any], list]:
    """(the callable Rust should call, its parameter plan) for ``handler``.

    ``auth`` is the route's authenticators (all of them: those checked in Python run here, and
    the first one names the scheme a refused anonymous request is told to use). Dependencies
    and guards that need Python are run by an async wrapper before the handler.
    """
    from .auth.guards import challenge_for, check_guards, needs_python

    auth = list(auth or [])
    py_auth = [a for a in auth if getattr(a, "python", False)]
    challenge = challenge_for(auth)
    # With a Python authenticator every guard is checked here, after it ran.
    py_guards = list(guards or []) if (py_auth or needs_python(list(guards or []))) else []
    where = f"{getattr(handler, '__module__', '?')}.{getattr(handler, '__qualname__', handler)}"
    has_deps = bool(dependencies_of(handler, where))
    checks = file_checks(handler)
    as_dicts = file_infos(handler)
    if as_dicts:
        from .uploads import with_file_infos

        handler = with_file_infos(handler, as_dicts)
    if checks:
        # File(max_size=...) and the like: checked just before the handler runs (after Python
        # guards and dependencies). The wrapper keeps the handler's signature (__wrapped__).
        from .uploads import with_file_checks

        handler = with_file_checks(handler, checks)
    if not has_deps and not py_guards and not py_auth:
        plan = compile_params(handler, path)
        groups = _groups(plan)
        return (_grouping(handler, groups) if groups else handler), plan
    merged: dict[str, tuple] = {}
    root = _build(handler, path, False, merged, where)
    plan = list(merged.values())
    if py_guards or py_auth:
        plan.append(ParamPlan(_REQUEST, SRC_REQUEST, K_ANY, 0, None, _REQUEST, None, None))
    bodies = [t for t in plan if t.source == SRC_BODY]
    if len(bodies) > 1 and not all(t.flags & F_EMBED for t in bodies):
        raise SignatureError(f"{where}: more than one body parameter among the handler and its dependencies")
    run_sync_on_pool = blocking is True
    groups = _groups(plan)

    async def resolve(node: _Node, kw: dict[str, Any], cache: dict[Any, Any]) -> Any:
        if node.use_cache and node.fn in cache:
            return cache[node.fn]
        args = {n: kw[n] for n in node.params}
        if groups:
            args = _assemble(args, groups)
        for name, dep in node.deps.items():
            args[name] = await resolve(dep, kw, cache)
        if inspect.iscoroutinefunction(node.fn):
            value = await node.fn(**args)
        elif node is root and run_sync_on_pool:
            value = await asyncio.get_running_loop().run_in_executor(None, functools.partial(node.fn, **args))
        else:
            value = _inline(node.fn, args)
            if inspect.isawaitable(value):
                value = await value
        if node.use_cache:
            cache[node.fn] = value
        return value

    @functools.wraps(handler)
    async def with_dependencies(**kw: Any) -> Any:
        if not (py_auth or py_guards):
            # No Python authenticators or guards: the request is not among the arguments.
            return await resolve(root, kw, {})
        request = kw[_REQUEST]
        # A WebSocket route: authenticators and guards see the handshake as a Request, and the
        # user they found is the WebSocket's (`websocket.user`).
        socket = request if hasattr(request, "_handshake_request") else None
        if socket is not None:
            request = socket._handshake_request()
        if py_auth and request.auth is None:
            await _authenticate(py_auth, request)
            # The handler's own `request` parameter is another object for the same request.
            for v in kw.values():
                if isinstance(v, Request) and v is not request:
                    v._user = request._user
        if py_guards:
            await check_guards(py_guards, request, challenge)
        if socket is not None and request._user is not None:
            socket._user = request._user
        return await resolve(root, kw, {})

    return with_dependencies, plan
