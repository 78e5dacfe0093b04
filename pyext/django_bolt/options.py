"""The ``bolt`` server options, each written once: name, type, default and help.

>>> opts = ServerOptions.from_dict({"cores": "2", "port": 0})
>>> opts.host, opts.keep_alive_timeout
('127.0.0.1', 60.0)

``bolt`` and ``manage.py runbolt`` build their flags from ``OPTIONS`` (``add_server_arguments``),
``serve`` passes every value on to the Rust server explicitly, ``dev`` rebuilds the child
server's command line from them, and each worker interpreter gets its share as a ``WorkerBoot``.
A leaf module: it imports nothing of django-bolt, and must import on any Python 3 (``cli.main``
refuses old versions with a message after importing it).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from typing import Any, Callable, Mapping

__all__ = [
    "ServerOptions",
    "Option",
    "OPTIONS",
    "LOG_LEVELS",
    "add_server_arguments",
    "WorkerBoot",
    "add_worker_preload",
    "worker_preloads",
    "fail",
]

LOG_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def _option(default: Any, help: str, *, choices: tuple[str, ...] | None = None, empty_is_default: bool = False) -> Any:
    # ``empty_is_default``: 0 or "" also count as not given, the value becomes the default
    # (``--max-body 0`` serves with 10 MiB, ``--host ""`` on 127.0.0.1), as bolt always read them.
    return dataclasses.field(
        default=default, metadata={"help": help, "choices": choices, "empty_is_default": empty_is_default}
    )


@dataclasses.dataclass(frozen=True)
class ServerOptions:
    """Every option of ``bolt``/``manage.py runbolt``, in ``--help`` order, with its default.

    The type of a flag's value is the type of its default; a ``bool`` is a switch
    (``--no-django``). ``settings=None`` means: ``DJANGO_SETTINGS_MODULE``, else the module
    ``manage.py`` names.
    """

    cores: str = _option("all", "'all' or a number of worker cores (default: all)")
    host: str = _option("127.0.0.1", "address to listen on (default: 127.0.0.1)", empty_is_default=True)
    port: int = _option(8000, "port (0 picks a free one; default: 8000)")
    settings: str | None = _option(
        None, "Django settings module (default: DJANGO_SETTINGS_MODULE or the one manage.py names)"
    )
    log_level: str = _option(
        "warning", "log level for bolt and Django", choices=tuple(sorted(LOG_LEVELS)), empty_is_default=True
    )
    driver: str = _option(
        "auto",
        "I/O driver: io_uring, epoll, or auto (io_uring, falling back to epoll)",
        choices=("auto", "uring", "epoll"),
        empty_is_default=True,
    )
    isolation: str = _option(
        "subinterpreter",
        "one own-GIL sub-interpreter per core (default), or one process per core serving from its main "
        "interpreter, under a supervisor that restarts it (for extensions that refuse sub-interpreters)",
        choices=("subinterpreter", "process"),
    )
    keep_alive_timeout: float = _option(60.0, "idle keep-alive timeout, seconds", empty_is_default=True)
    header_timeout: float = _option(
        10.0,
        "deadline for a whole request head, seconds, from the connection's start or the request's first byte (→ 408)",
        empty_is_default=True,
    )
    body_timeout: float = _option(
        30.0, "longest a request body may go without sending a byte, seconds (→ 408)", empty_is_default=True
    )
    max_connections: int = _option(
        10000, "open connections per core; beyond it new ones get 503 at once (default 10000)", empty_is_default=True
    )
    max_headers: int = _option(128, "most request header fields (→ 431; default 128)", empty_is_default=True)
    backlog: int = _option(
        4096,
        "listen backlog: connections the kernel queues per listening socket before they are accepted "
        "(capped by net.core.somaxconn; default 4096)",
        empty_is_default=True,
    )
    shutdown_timeout: float = _option(
        10.0, "how long in-flight requests may take to finish at shutdown, seconds", empty_is_default=True
    )
    no_django: bool = _option(False, "do not send non-API paths to Django (admin, views); they get a JSON 404")
    max_body: int = _option(10 * 1024 * 1024, "largest request body in bytes", empty_is_default=True)
    blocking_threads: int = _option(8, "threads per core for blocking def handlers (default 8)", empty_is_default=True)
    blocking_threshold_ms: float = _option(
        25.0,
        "a def handler that holds its core longer than this moves to the pool (25)",
        empty_is_default=True,
    )
    blocking_queue: int = _option(
        0,
        "calls per core that may wait for a pool thread; more get 503 with Retry-After (default 4 x threads)",
        empty_is_default=True,
    )
    request_timeout: float = _option(
        0.0,
        "seconds a blocking-pool handler may take before its request answers 504 (default 0: no limit)",
        empty_is_default=True,
    )
    max_requests: int = _option(
        0,
        "recycle a worker process after this many requests: a replacement starts, then it drains "
        "(0: never; needs --isolation process)",
        empty_is_default=True,
    )
    max_rss: int = _option(
        0,
        "recycle a worker process whose resident memory passes this many MiB, the same way "
        "(0: never; needs --isolation process)",
        empty_is_default=True,
    )
    workers_lifetime: int = _option(
        0,
        "recycle a worker process this many seconds after it started, the same way "
        "(0: never; needs --isolation process)",
        empty_is_default=True,
    )
    huge_pages: str = _option(
        "off",
        "transparent huge pages for the allocator's heap: off (default; memory freed after a burst "
        "stays given back to the system) or on (the kernel refills half-freed huge pages)",
        choices=("off", "on"),
        empty_is_default=True,
    )
    dev: bool = _option(False, "development mode: restart the server when a .py/.html file of the project changes")

    @classmethod
    def from_dict(cls, opts: Mapping[str, Any]) -> ServerOptions:
        """The options in ``opts`` (argparse's namespace as a dict, ``manage.py``'s options, or
        a partial dict); a missing or ``None`` value is the default, other keys are ignored."""
        values = {}
        for o in OPTIONS:
            v = opts.get(o.name)
            if v is None or (o.empty_is_default and not v):
                v = o.default
            values[o.name] = v if v is None else o.type(v)
        return cls(**values)

    @property
    def level(self) -> int:
        """``log_level`` as a ``logging`` level."""
        return LOG_LEVELS[self.log_level]


@dataclasses.dataclass(frozen=True)
class Option:
    """One server option, as ``bolt``'s command line shows it."""

    name: str
    default: Any
    help: str
    choices: tuple[str, ...] | None = None
    empty_is_default: bool = False

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def type(self) -> type:
        """The value's type: that of the default (``str`` for ``settings``)."""
        return str if self.default is None else type(self.default)

    @property
    def is_switch(self) -> bool:
        return self.type is bool


OPTIONS: tuple[Option, ...] = tuple(Option(f.name, f.default, **f.metadata) for f in dataclasses.fields(ServerOptions))


def add_server_arguments(p: argparse.ArgumentParser, with_settings: bool = True) -> None:
    """The flags shared by ``bolt`` and ``manage.py runbolt`` (which has Django's own ``--settings``)."""
    for o in OPTIONS:
        if o.name == "settings" and not with_settings:
            continue
        if o.is_switch:
            p.add_argument(o.flag, action="store_true", help=o.help)
            continue
        kw: dict[str, Any] = {"default": o.default, "help": o.help}
        if o.type in (int, float):
            kw["type"] = o.type
        if o.choices is not None:
            kw["choices"] = list(o.choices)
        p.add_argument(o.flag, **kw)


@dataclasses.dataclass(frozen=True)
class WorkerBoot:
    """What each worker interpreter needs to set itself up (``_worker.boot``): sent as JSON by the
    main interpreter through ``_native.serve(config["boot"])``."""

    sys_path: list[str]
    settings: str
    log_level: int
    blocking_threads: int
    blocking_threshold_ms: float
    django: bool
    port: int
    #: Calls per core that may wait for a pool thread (``--blocking-queue``, resolved).
    blocking_queue: int = 32
    #: Seconds before a pool handler's request answers 504 (0: none).
    request_timeout: float = 0.0
    #: The fd of the table where each core lists its database connections (django_bolt._dbwatch), or -1.
    db_table_fd: int = -1
    #: ``[function, argument]`` pairs each worker calls, ``function`` (``"module:name"``) with the
    #: string ``argument``, before it sets Django up (``worker_preloads``).
    preload: list[list[str]] = dataclasses.field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> WorkerBoot:
        return cls(**json.loads(text))


#: Called when a server starts; each returns ``(function, argument)`` for ``WorkerBoot.preload``,
#: or None for nothing.
_PRELOAD_SOURCES: list[Callable[[], tuple[str, str] | None]] = []


def add_worker_preload(source: Callable[[], tuple[str, str] | None]) -> None:
    """Registers ``source``: when a server starts, it returns ``("module:function", argument)``
    (or None), and every worker interpreter calls that function with that string before it sets
    Django up. For an app whose Django is configured by importing a script rather than by a
    settings module (``django_bolt.nanodjango``): the worker must import the script first.
    Registering one source twice keeps one."""
    if source not in _PRELOAD_SOURCES:
        _PRELOAD_SOURCES.append(source)


def worker_preloads() -> list[list[str]]:
    """What the registered sources ask each worker to call, now (``WorkerBoot.preload``)."""
    out: list[list[str]] = []
    for source in _PRELOAD_SOURCES:
        call = source()
        if call is not None:
            out.append([call[0], call[1]])
    return out


def fail(msg: str) -> int:
    """Prints ``bolt: error: <msg>`` (argparse's shape) to stderr; returns the exit code, 1."""
    print(f"bolt: error: {msg}", file=sys.stderr, flush=True)
    return 1
