"""Persistent API keys. Only a prefix and a SHA-256 of each key are stored, never the key."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any, Iterable

from django.conf import settings
from django.db import models
from django.utils import timezone

KEY_PREFIX = "bolt"


def hash_key(raw: str) -> str:
    # Keys are 190+ bits of randomness, so a plain digest resists guessing; a slow KDF would
    # only slow every cache miss down.
    return hashlib.sha256(raw.encode()).hexdigest()


class APIKeyManager(models.Manager):
    def create_key(
        self, name: str, owner: Any = None, scopes: Iterable[str] = (), expires: Any = None
    ) -> tuple[APIKey, str]:
        """Creates a key; returns (row, the key). The key is shown once and cannot be recovered."""
        prefix = secrets.token_hex(4)
        raw = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(24)}"
        row = self.create(
            name=name, prefix=prefix, hashed_key=hash_key(raw), owner=owner, scopes=list(scopes), expires=expires
        )
        return row, raw

    def lookup(self, raw: str) -> APIKey | None:
        """The usable key row for ``raw`` (not revoked, not expired), or None."""
        parts = raw.split("_", 2)  # the secret part may itself contain "_"
        if len(parts) != 3 or parts[0] != KEY_PREFIX:
            return None
        row = self.filter(prefix=parts[1]).select_related("owner").first()
        if row is None or not hmac.compare_digest(row.hashed_key, hash_key(raw)):
            return None
        return row if row.is_usable() else None


class APIKey(models.Model):
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    hashed_key = models.CharField(max_length=64, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="bolt_api_keys"
    )
    scopes = models.JSONField(default=list, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True, editable=False)
    expires = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = APIKeyManager()

    class Meta:
        verbose_name = "API key"
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} ({KEY_PREFIX}_{self.prefix}_…)"

    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires is None or self.expires > now)

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])
