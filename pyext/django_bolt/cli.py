"""The ``bolt`` command (also ``python -m django_bolt`` and ``manage.py runbolt``).

    bolt --cores all --host 0.0.0.0 --port 8000 --settings mysite.settings --log-level info
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import signal
import sys
from typing import Any, Sequence

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def add_server_arguments(p: argparse.ArgumentParser, with_settings: bool = True) -> None:
    """The flags shared by ``bolt`` and ``manage.py runbolt``."""
    p.add_argument("--cores", default="all", help="'all' or a number of worker cores (default: all)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (0 picks a free one; default: 8000)")
    if with_settings:
        p.add_argument("--settings", default=None, help="Django settings module (default: DJANGO_SETTINGS_MODULE "
                                                        "or the one manage.py names)")
    p.add_argument("--log-level", default="warning", choices=sorted(_LEVELS), help="log level for bolt and Django")
    p.add_argument("--driver", default="auto", choices=["auto", "uring", "epoll"],
                   help="I/O driver: io_uring, epoll, or auto (io_uring, falling back to epoll)")
    p.add_argument("--isolation", default="subinterpreter", choices=["subinterpreter", "process"],
                   help="one own-GIL sub-interpreter per core (default), or one process per core")
    p.add_argument("--keep-alive-timeout", type=float, default=60.0, help="idle keep-alive timeout, seconds")
    p.add_argument("--header-timeout", type=float, default=10.0, help="time allowed to send a request head, seconds")
    p.add_argument("--shutdown-timeout", type=float, default=10.0,
                   help="how long in-flight requests may take to finish at shutdown, seconds")
    p.add_argument("--no-django", action="store_true",
                   help="do not send non-API paths to Django (admin, views); they get a JSON 404")
    p.add_argument("--max-body", type=int, default=10 * 1024 * 1024, help="largest request body in bytes")
    p.add_argument("--blocking-threads", type=int, default=8,
                   help="threads per core for blocking def handlers (default 8)")
    p.add_argument("--blocking-threshold-ms", type=float, default=25.0,
                   help="a def handler that holds its core longer than this 3 times moves to the pool (25)")
    p.add_argument("--dev", action="store_true",
                   help="development mode: restart the server when a .py/.html file of the project changes")


def _fail(msg: str) -> int:
    print(f"bolt: error: {msg}", file=sys.stderr, flush=True)
    return 1


def _cores(spec: str) -> list[int | None]:
    avail = sorted(os.sched_getaffinity(0))
    if spec == "all":
        return list(avail)
    if not re.fullmatch(r"[1-9][0-9]*", spec):
        raise ValueError(f"--cores must be 'all' or a positive number, not {spec!r}")
    n = int(spec)
    if n <= len(avail):
        return avail[:n]
    # More workers than cores: pinning would stack them; let the scheduler place them.
    return [None] * n


def run_server(opts: dict[str, Any], settings_module: str | None = None, django_ready: bool = False) -> int:
    """Starts the server with parsed options; returns the process exit code."""
    if sys.version_info < (3, 13):
        return _fail(f"Python 3.13 or newer is required (this is {sys.version.split()[0]})")
    if opts.get("isolation") == "process":
        return _fail("--isolation process is not available in this version yet; "
                     "remove modules that cannot load in sub-interpreters or wait for that mode")
    if opts.get("dev"):
        from .dev import run as run_dev

        return run_dev(opts, settings_module=settings_module)
    from . import __version__
    from .discovery import StartupError, find_settings, load_routes

    try:
        cores = _cores(str(opts.get("cores", "all")))
    except ValueError as e:
        return _fail(str(e))
    try:
        if settings_module is None:
            settings_module, root = find_settings(opts.get("settings"))
            if root is not None and str(root) not in sys.path:
                sys.path.insert(0, str(root))
        if os.getcwd() not in sys.path and "" not in sys.path:
            sys.path.insert(0, os.getcwd())
        os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
        # The main interpreter imports the whole app before any sub-interpreter exists: a C
        # module first imported inside a sub-interpreter can corrupt the heap (DESIGN.md §5).
        routes = load_routes(settings_module)
    except StartupError as e:
        return _fail(str(e))
    level = _LEVELS[opts.get("log_level") or "warning"]
    from .discovery import apply_log_level

    apply_log_level(level)

    from . import _native

    try:
        _native.check_routes([(r.method, r.path) for r in routes])
    except ValueError as e:
        return _fail(f"route table: {e}")

    boot = {"sys_path": [p if p else os.getcwd() for p in sys.path], "settings": settings_module,
            "blocking_threads": int(opts.get("blocking_threads") or 8), "log_level": level,
            "blocking_threshold_ms": float(opts.get("blocking_threshold_ms") or 25.0),
            "django": not opts.get("no_django"), "port": int(opts.get("port") or 0)}
    config = {
        "host": opts.get("host") or "127.0.0.1",
        "port": int(opts.get("port") if opts.get("port") is not None else 8000),
        "cores": cores,
        "driver": opts.get("driver") or "auto",
        "boot": json.dumps(boot),
        "keep_alive_timeout": float(opts.get("keep_alive_timeout") or 60.0),
        "header_timeout": float(opts.get("header_timeout") or 10.0),
        "shutdown_timeout": float(opts.get("shutdown_timeout") or 10.0),
        "max_body": int(opts.get("max_body") or 10 * 1024 * 1024),
        "banner": f"django-bolt {__version__} | Python {sys.version.split()[0]} | cores {len(cores)}",
    }

    def _stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        _native.serve(config)
    except OSError as e:
        return _fail(str(e))
    except RuntimeError as e:
        msg = str(e)
        mods = re.findall(r"module ([\w.]+) does not support loading in subinterpreters", msg)
        if mods:
            return _fail(f"{', '.join(sorted(set(mods)))} cannot load in a sub-interpreter (an extension module "
                         f"without multi-interpreter support). Run with --isolation process, or remove it.\n{msg}")
        return _fail(msg)
    except KeyboardInterrupt:
        pass
    print("django-bolt: stopped", file=sys.stderr, flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bolt`` console script."""
    if sys.version_info < (3, 13):
        # 3.12's own-GIL sub-interpreters cannot import _datetime/_decimal, so Django fails there.
        return _fail(f"Python 3.13 or newer is required (this is {sys.version.split()[0]}): "
                     "own-GIL sub-interpreters cannot run Django on older versions")
    p = argparse.ArgumentParser(prog="bolt", description="Serve a Django project's API with django-bolt.")
    add_server_arguments(p)
    args = p.parse_args(argv)
    if args.dev:
        from .dev import run as run_dev

        return run_dev(vars(args), argv=sys.argv[1:] if argv is None else argv)
    return run_server(vars(args))


if __name__ == "__main__":
    sys.exit(main())
