"""The ``bolt`` command (also ``python -m django_bolt`` and ``manage.py runbolt``).

    bolt --cores all --host 0.0.0.0 --port 8000 --settings mysite.settings --log-level info
    bolt check --settings mysite.settings    # load the project as a worker would; no serving
    bolt --version                           # django-bolt, Python, I/O drivers available

It parses the flags (``options``) and hands over to ``serve`` (or ``dev`` with ``--dev``). It
must import on any Python 3, so that an older one gets a message instead of a traceback:
``serve`` and ``dev`` are imported only once the version is checked.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Sequence

from .options import ServerOptions, add_server_arguments, fail

__all__ = ["main", "django_bolt_main", "run_server", "add_server_arguments", "add_reload_dir_argument"]


def run_server(opts: dict[str, Any], settings_module: str | None = None, django_ready: bool = False) -> int:
    """Starts the server with parsed options (``bolt``'s or ``manage.py runbolt``'s); returns the
    process exit code. ``settings_module`` is given by ``runbolt``, whose Django is set up."""
    if sys.version_info < (3, 13):
        return fail(f"Python 3.13 or newer is required (this is {sys.version.split()[0]})")
    options = ServerOptions.from_dict(opts)
    if options.dev and "LISTEN_FDS" in os.environ:
        return _dev_refused()
    if options.isolation == "process":
        if options.dev:
            return fail(
                "--isolation process does not combine with --dev: the development server restarts "
                "one sub-interpreter server on each change; run --dev without --isolation process"
            )
        from .process import run as run_process

        return run_process(options, settings_module=settings_module)
    if options.dev:
        from .dev import run as run_dev

        return run_dev(opts, settings_module=settings_module)
    from .serve import run

    return run(options, settings_module=settings_module)


def add_reload_dir_argument(p: argparse.ArgumentParser) -> None:
    """``--reload-dir DIR`` (repeatable, django-bolt's flag): more folders ``--dev`` watches."""
    p.add_argument(
        "--reload-dir",
        action="append",
        default=[],
        dest="reload_dirs",
        metavar="DIR",
        help="with --dev: also watch DIR's .py/.html files (repeatable)",
    )


def _dev_refused() -> int:
    return fail(
        "--dev does not combine with socket activation (LISTEN_FDS): the development server "
        "binds a new port for each restart; serve the passed socket without --dev"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bolt`` console script."""
    if sys.version_info < (3, 13):
        # 3.12's own-GIL sub-interpreters cannot import _datetime/_decimal, so Django fails there.
        return fail(
            f"Python 3.13 or newer is required (this is {sys.version.split()[0]}): "
            "own-GIL sub-interpreters cannot run Django on older versions"
        )
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["check"]:
        c = argparse.ArgumentParser(
            prog="bolt check",
            description="Load the settings and the API in a sub-interpreter as a worker would, report every "
            "problem (exit 1) or a summary (exit 0), without binding a port.",
        )
        add_server_arguments(c)
        from .check import run as run_check

        return run_check(ServerOptions.from_dict(vars(c.parse_args(args_list[1:]))))
    p = argparse.ArgumentParser(
        prog="bolt",
        description="Serve a Django project's API with django-bolt. `bolt check` loads the project without serving.",
    )
    p.add_argument("--version", action="store_true", help="print django-bolt's, Python's version and the I/O drivers")
    add_server_arguments(p)
    add_reload_dir_argument(p)
    args = p.parse_args(args_list)
    if args.version:
        from .check import version_text

        print(version_text())
        return 0
    del args.version
    if args.reload_dirs and not args.dev:
        print("bolt: --reload-dir is ignored without --dev", file=sys.stderr, flush=True)
    if args.dev and "LISTEN_FDS" in os.environ:
        return _dev_refused()
    if args.dev and args.isolation != "process":
        from .dev import run as run_dev

        return run_dev(vars(args), argv=sys.argv[1:] if argv is None else argv)
    return run_server(vars(args))


def django_bolt_main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``django-bolt`` console script, django-bolt 0.13's: ``django-bolt version``.
    Serving is ``bolt`` (or ``manage.py runbolt``)."""
    p = argparse.ArgumentParser(prog="django-bolt", description="Django-Bolt command line interface.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("version", help="Show Django-Bolt version.")
    args = p.parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.command == "version":
        from importlib.metadata import version

        print(f"Django-Bolt version: {version('django-bolt')}")
        return 0
    p.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
