"""Response middleware settings: compression and the per-route switches."""

from __future__ import annotations

from .compression import CompressionConfig
from .middleware import no_compress, skip_middleware

__all__ = ["CompressionConfig", "no_compress", "skip_middleware"]
