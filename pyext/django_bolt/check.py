"""``bolt check`` and ``bolt --version``: what a server would do at start-up, without serving.

    bolt check --settings mysite.settings --cores 4     # exit 0 and a summary, or 1 and every problem
    bolt --version                                      # django-bolt, Python, the I/O drivers here

``check`` loads the settings and the API in the main interpreter as ``bolt`` does (settings,
django-bolt's ``BOLT_*`` settings, API modules, route conflicts, type plans, Django's system
checks), then, when that went through, boots the project in a new own-GIL sub-interpreter
exactly as a worker does (``_native.check_boot``), which finds the modules that refuse
sub-interpreters. It binds no port and starts no reactor.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import re
import sys
from dataclasses import dataclass, field

from . import __version__
from .options import ServerOptions

__all__ = ["CheckResult", "check_project", "io_uring_status", "run", "version_text"]

# io_uring_setup(2): the same number on x86-64 and arm64.
_IO_URING_SETUP = 425
# sizeof(struct io_uring_params) is 120 bytes; room to spare for a newer kernel's view of it.
_PARAMS_SIZE = 256


def io_uring_status() -> tuple[bool, str]:
    """Whether this kernel lets the process set up an io_uring (what ``--driver auto`` tries
    first), and why not: tries ``io_uring_setup`` with one entry and closes the ring."""
    if sys.platform != "linux" or platform.machine() not in ("x86_64", "aarch64"):
        return False, f"not available on {sys.platform}/{platform.machine()}"
    libc = ctypes.CDLL(None, use_errno=True)
    params = ctypes.create_string_buffer(_PARAMS_SIZE)
    fd = libc.syscall(ctypes.c_long(_IO_URING_SETUP), ctypes.c_uint(1), params)
    if fd >= 0:
        os.close(fd)
        return True, "available"
    err = ctypes.get_errno()
    why = {
        errno.ENOSYS: "not in this kernel",
        errno.EPERM: "refused (kernel.io_uring_disabled or a seccomp profile)",
        errno.EACCES: "refused (kernel.io_uring_disabled)",
    }.get(err, os.strerror(err))
    return False, why


def version_text() -> str:
    """``bolt --version``: the package, the Python, and the drivers this machine offers."""
    ok, why = io_uring_status()
    drivers = "io_uring, epoll" if ok else f"epoll (io_uring {why})"
    return f"django-bolt {__version__} | Python {sys.version.split()[0]} | drivers: {drivers}"


@dataclass
class CheckResult:
    """What ``check_project`` found: ``problems`` (empty: a worker would start) and, for the
    summary, the routes, docs path and workers."""

    problems: list[str] = field(default_factory=list)
    settings: str | None = None
    routes: int = 0
    docs: str | None = None
    cores: int = 0


def _route_problems(routes: list) -> list[str]:
    """Every (method, path) the Rust router refuses, not only the first: the routes are added
    one by one and a refused one is left out of the rest of the check."""
    from . import _native

    pairs = [(r.method, r.path) for r in routes]
    try:
        _native.check_routes(pairs)
        return []
    except ValueError:
        pass
    accepted: list[tuple[str, str]] = []
    problems = []
    for pair in pairs:
        try:
            _native.check_routes(accepted + [pair])
        except ValueError as e:
            problems.append(f"route table: {e}")
            continue
        accepted.append(pair)
    return problems


def _django_check_errors() -> list[str]:
    """Django's system checks (``manage.py check``) at level ERROR and above."""
    from django.core import checks

    found = checks.run_checks(include_deployment_checks=False)
    return [str(m) for m in found if m.level >= checks.ERROR]


def check_project(opts: ServerOptions, settings_module: str | None = None) -> CheckResult:
    """Loads the project as ``bolt`` with ``opts`` would and reports every problem it finds.

    ``settings_module`` is given when Django is already set up (``manage.py``). Sets
    ``DJANGO_SETTINGS_MODULE`` and ``sys.path`` as ``bolt`` does: run it in a process of its own."""
    from .discovery import StartupError, discover_apis, setup_django
    from .serve import _with_settings, locate_project, worker_cores

    res = CheckResult()
    try:
        cores = worker_cores(opts.cores)
    except ValueError as e:
        res.problems.append(str(e))
        cores = [None]
    res.cores = len(cores)
    try:
        settings_module = locate_project(opts.settings, settings_module)
        res.settings = settings_module
        setup_django(settings_module)
    except StartupError as e:
        # Nothing after this can be loaded.
        res.problems.append(str(e))
        return res
    from .conf import check_settings

    try:
        check_settings()
    except Exception as e:
        res.problems.append(f"settings: {type(e).__name__}: {e}")
    try:
        res.problems.extend(f"Django system check: {m}" for m in _django_check_errors())
    except Exception as e:
        res.problems.append(f"Django system checks failed to run: {type(e).__name__}: {e}")
    try:
        apis = discover_apis()
    except StartupError as e:
        res.problems.append(str(e))
        return res
    from .api import merge_routes, route_conflicts
    from .openapi.routes import docs_routes

    conflicts = route_conflicts(apis)
    res.problems.extend(conflicts)
    if conflicts:
        return res
    try:
        routes = merge_routes(apis)
        routes = routes + docs_routes(apis, routes)
    except Exception as e:
        res.problems.append(f"{type(e).__name__}: {e}")
        return res
    for r in routes:
        try:
            r.plan()
        except Exception as e:
            res.problems.append(f"{r.method} {r.path}: {type(e).__name__}: {e}")
    res.problems.extend(_route_problems(routes))
    try:
        from .responses import allowed_file_roots

        allowed_file_roots()
    except Exception as e:
        res.problems.append(f"BOLT_ALLOWED_FILE_PATHS: {type(e).__name__}: {e}")
    if res.problems:
        # A worker would stop at the first of them; booting one adds nothing.
        return res
    return _check_in_subinterpreter(res, _with_settings(opts), cores, settings_module)


def _check_in_subinterpreter(res: CheckResult, opts: ServerOptions, cores: list, settings_module: str) -> CheckResult:
    from . import _native
    from .serve import native_config

    boot = native_config(opts, cores, settings_module)["boot"]
    try:
        res.routes, res.docs = _native.check_boot(boot)
    except RuntimeError as e:
        msg = str(e)
        mods = re.findall(r"module ([\w.]+) does not support loading in subinterpreters", msg)
        if mods:
            msg = (
                f"{', '.join(sorted(set(mods)))} cannot load in a sub-interpreter (an extension module without "
                f"multi-interpreter support). Run with --isolation process, or remove it.\n{msg}"
            )
        res.problems.append(f"in a worker's sub-interpreter: {msg}")
    return res


def run(opts: ServerOptions, settings_module: str | None = None) -> int:
    """``bolt check``: prints every problem and returns 1, or a summary and returns 0."""
    from .discovery import apply_log_level

    apply_log_level(opts.level)
    res = check_project(opts, settings_module)
    if res.problems:
        n = len(res.problems)
        print(f"bolt check: {n} problem{'s' if n != 1 else ''} in {res.settings or 'the project'}", file=sys.stderr)
        for i, p in enumerate(res.problems, 1):
            print(f"{i}. {p}", file=sys.stderr)
        sys.stderr.flush()
        return 1
    docs = f"docs at {res.docs}" if res.docs else "docs off"
    print(
        f"bolt check: OK | {res.settings} | routes {res.routes} | {docs} | cores {res.cores} | {version_text()}",
        flush=True,
    )
    return 0
