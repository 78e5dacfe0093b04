"""Response middleware settings: compression and the per-route switches."""

from __future__ import annotations

# django-bolt's import path of the route decorators (``from django_bolt.middleware import cors``).
from ..cors import cors  # noqa: E402
from ..ratelimit import rate_limit  # noqa: E402
from .compression import CompressionConfig
from .middleware import no_compress, skip_middleware

__all__ = ["CompressionConfig", "no_compress", "skip_middleware", "cors", "rate_limit"]
