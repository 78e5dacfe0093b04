"""``manage.py runbolt``: the same server and flags as the ``bolt`` command."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve this project with django-bolt (same flags as `bolt`)."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        from django_bolt.options import add_server_arguments

        add_server_arguments(parser, with_settings=False)

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        from django.conf import settings

        from django_bolt.cli import run_server

        code = run_server(options, settings_module=settings.SETTINGS_MODULE, django_ready=True)
        if code:
            sys.exit(code)
