"""``manage.py runbolt``: the same server and flags as the ``bolt`` command, plus django-bolt
0.13's own runbolt flags, so a django-bolt deployment's command line keeps working:

* ``--processes N`` serves with N worker processes, one per core (``--isolation process``, as
  django-bolt's processes are); the log says so. With ``--dev`` it is N cores of the one
  development server. ``--workers`` takes only 1 (django-bolt's threads per process: each core
  here runs one interpreter).
* ``--no-admin`` is ``--no-django``; ``--workers-kill-timeout`` is ``--shutdown-timeout``.
* ``--max-rss`` is this server's own (it recycles worker processes, so it needs process
  isolation, which ``--processes`` implies); ``--respawn-failed-workers`` is what process
  isolation always does.
* ``--backlog N`` is the server's own flag (default 4096 here, 1024 in django-bolt).
* ``--workers-lifetime`` is the server's own, like ``--max-rss`` (process isolation).
* ``--reload-dir DIR`` adds a folder for ``--dev`` to watch (ignored, with a line saying so,
  without ``--dev``).

``--host`` stays 127.0.0.1 by default (django-bolt: 0.0.0.0): a server started without
thinking about it is not reachable from the network. Containers pass ``--host 0.0.0.0``.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError


def django_bolt_options(options: dict[str, Any], log: Any = None) -> dict[str, Any]:
    """``options`` with django-bolt's runbolt flags turned into this server's (``cores``,
    ``no_django``, ``shutdown_timeout``); raises ``CommandError`` for one that cannot be
    honoured. ``log`` (a function of one line) is told how ``--processes`` is served."""
    out = dict(options)
    if out.get("reload_dirs") and not out.get("dev") and log is not None:
        log("django-bolt: --reload-dir is ignored without --dev")
    workers = out.get("workers")
    if workers is not None and workers != 1:
        raise CommandError(
            f"--workers {workers}: each core runs one interpreter on one thread here; "
            "use --processes N (or --cores N) for N of them"
        )
    processes = out.get("processes")
    if processes is not None:
        if processes < 1:
            raise CommandError("--processes must be at least 1")
        if out.get("cores") not in (None, "all"):
            raise CommandError("give --processes or --cores, not both")
        out["cores"] = str(processes)
        if out.get("dev"):
            if log is not None:
                log(f"django-bolt: --processes {processes} with --dev: the development server runs on one core")
        else:
            out["isolation"] = "process"
            if log is not None:
                log(
                    f"django-bolt: --processes {processes}: {processes} worker processes, one per core "
                    "(--isolation process)"
                )
    isolated = out.get("isolation") == "process"
    if out.get("max_rss") and not isolated:
        raise CommandError("--max-rss recycles worker processes: add --isolation process (or --processes N)")
    if out.get("workers_lifetime") and not isolated:
        raise CommandError("--workers-lifetime recycles worker processes: add --isolation process (or --processes N)")
    if out.get("respawn_failed_workers") and not isolated:
        raise CommandError(
            "--respawn-failed-workers: worker processes exist (and are always respawned) under "
            "--isolation process (or --processes N)"
        )
    if out.get("no_admin"):
        out["no_django"] = True
    if out.get("workers_kill_timeout") is not None:
        out["shutdown_timeout"] = float(out["workers_kill_timeout"])
    return out


class Command(BaseCommand):
    help = "Serve this project with django-bolt (same flags as `bolt`, and django-bolt's runbolt flags)."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        from django_bolt.cli import add_reload_dir_argument
        from django_bolt.options import add_server_arguments

        add_server_arguments(parser, with_settings=False)
        add_reload_dir_argument(parser)
        g = parser.add_argument_group("django-bolt 0.13 compatibility")
        g.add_argument(
            "--processes", type=int, default=None, help="N worker processes, one per core (--isolation process)"
        )
        g.add_argument("--workers", type=int, default=None, help="threads per process: only 1 is accepted")
        g.add_argument("--no-admin", action="store_true", help="same as --no-django")
        g.add_argument("--workers-kill-timeout", type=int, default=None, help="same as --shutdown-timeout")
        g.add_argument(
            "--respawn-failed-workers",
            action="store_true",
            help="accepted with --isolation process (always true there)",
        )

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        from django.conf import settings

        from django_bolt.cli import run_server

        options = django_bolt_options(options, log=lambda line: print(line, file=sys.stderr, flush=True))
        code = run_server(options, settings_module=settings.SETTINGS_MODULE, django_ready=True)
        if code:
            sys.exit(code)
