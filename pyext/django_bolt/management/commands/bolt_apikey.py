"""``manage.py bolt_apikey create|list|revoke``: persistent API keys."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create, list or revoke django-bolt API keys."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        sub = parser.add_subparsers(dest="action", required=True)
        c = sub.add_parser("create", help="create a key (printed once)")
        c.add_argument("--name", required=True)
        c.add_argument("--user", help="username of the owner (request.user for this key)")
        c.add_argument("--scope", action="append", default=[], help="a scope (repeatable)")
        c.add_argument("--expires-days", type=int, help="expire after this many days")
        sub.add_parser("list", help="list keys")
        r = sub.add_parser("revoke", help="revoke a key by its prefix")
        r.add_argument("prefix")

    def handle(self, *args, **opts) -> None:  # type: ignore[no-untyped-def]
        from django.contrib.auth import get_user_model
        from django.utils import timezone

        from django_bolt.models import APIKey

        if opts["action"] == "create":
            owner = None
            if opts.get("user"):
                try:
                    owner = get_user_model()._default_manager.get_by_natural_key(opts["user"])
                except get_user_model().DoesNotExist:
                    raise CommandError(f"no user {opts['user']!r}") from None
            expires = timezone.now() + timedelta(days=opts["expires_days"]) if opts.get("expires_days") else None
            row, raw = APIKey.objects.create_key(opts["name"], owner=owner, scopes=opts["scope"], expires=expires)
            self.stdout.write(raw)
            self.stderr.write(f"created {row} — store the key now, it cannot be shown again")
        elif opts["action"] == "list":
            for k in APIKey.objects.all():
                state = "revoked" if k.revoked_at else ("expired" if not k.is_usable() else "active")
                self.stdout.write(
                    f"{k.prefix}\t{state}\t{k.name}\t{k.owner or '-'}\t{','.join(k.scopes)}\t"
                    f"last used {k.last_used or 'never'}"
                )
        else:
            n = APIKey.objects.filter(prefix=opts["prefix"], revoked_at=None).update(revoked_at=timezone.now())
            if not n:
                raise CommandError(f"no active key with prefix {opts['prefix']!r}")
            self.stdout.write(f"revoked {opts['prefix']}")
