"""Running the server: find the project, import it in the main interpreter, start the workers.

    from django_bolt import serve
    from django_bolt.options import ServerOptions

    code = serve.run(ServerOptions(cores="2", port=0))  # until SIGINT/SIGTERM; 0, or 1 with a message

``bolt`` (``cli``) and the ``bolt --dev`` child server (``dev``) both come here.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import signal
import socket
import sys
from typing import Any, Callable

from . import __version__, _native
from .discovery import StartupError, apply_log_level, find_settings, load_routes
from .options import ServerOptions, WorkerBoot, fail, worker_preloads

__all__ = [
    "run",
    "load",
    "Loaded",
    "serve_native",
    "worker_cores",
    "native_config",
    "banner_prefix",
    "activated_socket",
]


def worker_cores(spec: str) -> list[int | None]:
    """The core of each worker for ``--cores``: ``all`` or a count (``None``: not pinned).

    Raises ValueError for anything else."""
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


def native_config(
    opts: ServerOptions,
    cores: list[int | None],
    settings_module: str,
    *,
    db_table_fd: int = -1,
    listen_fd: int | None = None,
    status_fd: int | None = None,
) -> dict[str, Any]:
    """The argument of ``_native.serve``: every key it reads, none left to its defaults.

    ``db_table_fd``: the cores' table of database connections (django_bolt._dbwatch; -1: none).
    ``listen_fd`` and ``status_fd`` are a process worker's (``process``): the supervisor's
    listening socket, and the pipe it reads ``ready``/``recycle`` lines from."""
    boot = WorkerBoot(
        sys_path=[p if p else os.getcwd() for p in sys.path],
        settings=settings_module,
        log_level=opts.level,
        blocking_threads=opts.blocking_threads,
        blocking_threshold_ms=opts.blocking_threshold_ms,
        blocking_queue=opts.blocking_queue or 4 * opts.blocking_threads,
        request_timeout=opts.request_timeout,
        django=not opts.no_django,
        port=opts.port,
        db_table_fd=db_table_fd,
        preload=worker_preloads(),
    )
    return {
        "host": opts.host,
        "port": opts.port,
        "cores": cores,
        "driver": opts.driver,
        "boot": boot.to_json(),
        "keep_alive_timeout": opts.keep_alive_timeout,
        "header_timeout": opts.header_timeout,
        "body_timeout": opts.body_timeout,
        "max_connections": opts.max_connections,
        "max_headers": opts.max_headers,
        "backlog": opts.backlog,
        "shutdown_timeout": opts.shutdown_timeout,
        "max_body": opts.max_body,
        "banner": banner_prefix(opts, len(cores)),
        "isolation": opts.isolation,
        "listen_fd": listen_fd,
        "status_fd": status_fd,
        "max_requests": opts.max_requests if status_fd is not None else 0,
        "huge_pages": opts.huge_pages,
    }


def database_banner(blocking_threads: int, cores: int) -> str | None:
    """The start-up line about databases: which, and the most connections handlers hold
    (one per handler thread and database: the worker, the thread-sensitive one, the pool's)."""
    from django.conf import settings

    databases = getattr(settings, "DATABASES", None) or {}
    if not databases:
        return None
    from . import _dbwatch

    names = ", ".join(f"{alias} ({str(db.get('ENGINE', '?')).rsplit('.', 1)[-1]})" for alias, db in databases.items())
    per_core = _dbwatch.limit_per_core(2 + blocking_threads)
    return (
        f"databases {names} | connections at most {per_core} per core "
        f"(worker, sync thread, {blocking_threads} blocking threads), {per_core * cores} in all"
    )


def banner_prefix(opts: ServerOptions, cores: int) -> str:
    """The start of the banner line: version, Python, isolation and core count."""
    return f"django-bolt {__version__} | Python {sys.version.split()[0]} | isolation {opts.isolation} | cores {cores}"


def _with_settings(opts: ServerOptions) -> ServerOptions:
    """The options with django-bolt's ``BOLT_MAX_UPLOAD_SIZE`` (the largest request body) as
    ``max_body`` when ``--max-body`` was left at its default: the command line wins."""
    from .conf import max_upload_size

    size = max_upload_size()
    default = ServerOptions.__dataclass_fields__["max_body"].default
    if size is None or opts.max_body != default:
        return opts
    # Set after the options are parsed, so 0 keeps django-bolt's meaning (every body refused)
    # instead of --max-body's "the default".
    return dataclasses.replace(opts, max_body=size)


def locate_project(settings: str | None, settings_module: str | None = None) -> str:
    """The settings module to load (``settings_module`` when Django is set up already, else found
    from ``--settings``, ``DJANGO_SETTINGS_MODULE`` or ``manage.py``), with the project's folder
    and the working directory put on ``sys.path`` as workers will see it. StartupError: none."""
    if settings_module is None:
        settings_module, root = find_settings(settings)
        if root is not None and str(root) not in sys.path:
            sys.path.insert(0, str(root))
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    return settings_module


@dataclasses.dataclass(frozen=True)
class Loaded:
    """A project imported in this (main) interpreter and ready to serve."""

    opts: ServerOptions
    cores: list[int | None]
    settings_module: str


def load(opts: ServerOptions, settings_module: str | None = None) -> Loaded | int:
    """Checks the options, finds the settings, imports the project and checks its routes;
    returns what serving needs, or the exit code (1) after printing why not."""
    try:
        cores = worker_cores(opts.cores)
    except ValueError as e:
        return fail(str(e))
    if opts.blocking_queue < 0:
        return fail(f"--blocking-queue must be 0 (4 x --blocking-threads) or more, not {opts.blocking_queue}")
    if not opts.request_timeout >= 0:
        return fail(f"--request-timeout must be 0 (off) or more seconds, not {opts.request_timeout}")
    if opts.backlog < 0:
        return fail(f"--backlog must be 0 (the default, 4096) or more, not {opts.backlog}")
    if opts.max_requests < 0 or opts.max_rss < 0 or opts.workers_lifetime < 0:
        return fail("--max-requests, --max-rss and --workers-lifetime must be 0 (off) or more")
    if opts.isolation != "process" and (opts.max_requests or opts.max_rss or opts.workers_lifetime):
        return fail(
            "--max-requests, --max-rss and --workers-lifetime recycle worker processes: add --isolation process. "
            "A sub-interpreter is not recycled (ending one leaks about 21 MB, and its core would "
            "stop serving while a new one boots)"
        )
    try:
        settings_module = locate_project(opts.settings, settings_module)
        os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
        # The main interpreter imports the whole app before any sub-interpreter exists: a C
        # module first imported inside a sub-interpreter can corrupt the heap (DESIGN.md §5).
        routes = load_routes(settings_module)
    except StartupError as e:
        return fail(str(e))
    apply_log_level(opts.level)
    opts = _with_settings(opts)
    try:
        _native.check_routes([(r.method, r.path) for r in routes])
    except ValueError as e:
        return fail(f"route table: {e}")
    return Loaded(opts, cores, settings_module)


def activated_socket(opts: ServerOptions) -> tuple[ServerOptions, socket.socket | None] | int:
    """The listening socket systemd passed (``activation``), with the options' host and port
    set to its address (the banner and ``SERVER_PORT`` show where bolt really listens); or the
    options unchanged and ``None`` when there is none; or the exit code (1) after printing why
    ``LISTEN_FDS`` cannot be used.

    A ``--host``/``--port`` other than its default counts as given, and must name the socket's
    address (a default one cannot be told from an unset one, and is overridden silently)."""
    from . import activation

    defaults = ServerOptions.__dataclass_fields__
    try:
        sock = activation.inherited_socket()
        if sock is None:
            return opts, None
        activation.check_address(
            sock,
            opts.host if opts.host != defaults["host"].default else None,
            opts.port if opts.port != defaults["port"].default else None,
        )
    except activation.ActivationError as e:
        return fail(f"socket activation: {e}")
    host, port = sock.getsockname()[:2]
    return dataclasses.replace(opts, host=host, port=port), sock


def _stop(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def serve_native(config: dict[str, Any], before_bind: Callable[[], None] | None = None) -> tuple[int, bool]:
    """Runs ``_native.serve(config)`` until SIGINT/SIGTERM (installed here as a clean stop);
    returns the exit code and whether every core's interpreter ended (``False``: one was left
    running a handler past the shutdown timeout)."""
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    clean = True
    try:
        if before_bind is not None:
            before_bind()
        clean = _native.serve(config)
    except OSError as e:
        return fail(str(e)), True
    except RuntimeError as e:
        msg = str(e)
        mods = re.findall(r"module ([\w.]+) does not support loading in subinterpreters", msg)
        if mods:
            return fail(
                f"{', '.join(sorted(set(mods)))} cannot load in a sub-interpreter (an extension module "
                f"without multi-interpreter support). Run with --isolation process, or remove it.\n{msg}"
            ), True
        return fail(msg), True
    except KeyboardInterrupt:
        pass
    return 0, clean is not False


def run(
    opts: ServerOptions,
    settings_module: str | None = None,
    before_bind: Callable[[], None] | None = None,
) -> int:
    """Serves the project until SIGINT/SIGTERM; returns the process exit code.

    ``settings_module`` is given when Django is already set up (``manage.py runbolt``); else it
    is found from ``opts.settings``, ``DJANGO_SETTINGS_MODULE`` or ``manage.py``.
    ``before_bind`` runs once the project is loaded, just before the server binds its port, with
    SIGINT/SIGTERM already raising ``KeyboardInterrupt`` (a clean stop): the ``--dev`` child waits
    there for its supervisor's go-ahead.
    """
    # Before the project loads: a unit whose socket cannot be used fails at once.
    activated = activated_socket(opts)
    if isinstance(activated, int):
        return activated
    opts, sock = activated
    loaded = load(opts, settings_module)
    if isinstance(loaded, int):
        return loaded
    from . import _dbwatch

    db_table_fd = _dbwatch.create_table(len(loaded.cores) + 8)  # slots by interpreter id, with room
    line = database_banner(loaded.opts.blocking_threads, len(loaded.cores))
    if line:
        print(line, flush=True)
    config = native_config(
        loaded.opts,
        loaded.cores,
        loaded.settings_module,
        db_table_fd=db_table_fd,
        # Every core accepts on the passed socket (no SO_REUSEPORT group of our own), and the
        # drain leaves it listening: connections queue there for the next bolt.
        listen_fd=None if sock is None else sock.fileno(),
    )
    code, clean = serve_native(config, before_bind)
    if code:
        return code
    print("django-bolt: stopped", file=sys.stderr, flush=True)
    if not clean:
        # A core's interpreter still runs a handler that outlived --shutdown-timeout (Python
        # threads cannot be stopped): finalizing Python would end that interpreter under it
        # (a fatal error) or wait for it. Its work is abandoned, as the timeout promises.
        logging.shutdown()
        sys.stdout.flush()
        os._exit(0)
    return 0
