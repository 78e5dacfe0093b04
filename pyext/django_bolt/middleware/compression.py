"""Response compression settings, as django-bolt 0.13's ``CompressionConfig``.

Rust compresses finished responses (``src/compression.rs``): the configured ``backend`` when the
client's ``Accept-Encoding`` accepts it, else gzip when ``gzip_fallback`` is on and the client
accepts gzip. Only text-like bodies of at least ``minimum_size`` bytes without a
``Content-Encoding`` of their own are compressed; ``Vary: Accept-Encoding`` is added.

The default levels (gzip 1, brotli 3, zstd 3) are the ones django-bolt 0.13 really applies to a
response: its ``CompressionConfig`` documents gzip 6 and brotli 5, but those reach only its
streamed responses; a whole body goes through actix-http's encoder, fixed at gzip level 1
(``flate2::Compression::fast()``), brotli quality 3 and zstd 3. So a django-bolt project gets the
same compression ratio here for less CPU. Levels you set are applied exactly as given.

Example::

    api = BoltAPI(compression=CompressionConfig(backend="gzip", gzip_fallback=False))
    api = BoltAPI(compression=False)  # off
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


def _check_int_range(name: str, value: object, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"{name} must be an int in {lo}..={hi}, got {value!r}")


@dataclass(frozen=True)
class CompressionConfig:
    """How responses are compressed (defaults: brotli quality 3 with a 16 KiB window, gzip fallback
    at level 1, zstd level 3, bodies of 500 bytes or more).

    Attributes:
        backend: The preferred coding, used when the client accepts it.
        minimum_size: Smaller bodies are sent as they are.
        gzip_fallback: Send gzip to a client that accepts gzip but not ``backend``.
        brotli_level: Brotli quality, 0..=11 (higher: smaller and slower).
        brotli_lgwin: Brotli window, log2 of its size in bytes, 10..=24.
        gzip_level: 0..=9 (0: stored, 1: fastest, 9: smallest).
        zstd_level: 1..=22.

    Example::

        BoltAPI(compression=CompressionConfig(backend="zstd", zstd_level=3, minimum_size=1024))
    """

    backend: Literal["gzip", "brotli", "zstd"] = "brotli"
    minimum_size: int = 500
    gzip_fallback: bool = True
    brotli_level: int = 3
    brotli_lgwin: int = 14
    gzip_level: int = 1
    zstd_level: int = 3

    def __post_init__(self) -> None:
        valid_backends = {"gzip", "brotli", "zstd"}
        if self.backend not in valid_backends:
            raise ValueError(f"Invalid backend: {self.backend}. Must be one of {valid_backends}")
        if isinstance(self.minimum_size, bool) or not isinstance(self.minimum_size, int) or self.minimum_size < 0:
            raise ValueError("minimum_size must be non-negative")
        _check_int_range("brotli_level", self.brotli_level, 0, 11)
        _check_int_range("brotli_lgwin", self.brotli_lgwin, 10, 24)
        _check_int_range("gzip_level", self.gzip_level, 0, 9)
        _check_int_range("zstd_level", self.zstd_level, 1, 22)

    def to_rust_config(self) -> dict:
        """The settings as a dict (django-bolt's shape)."""
        return {
            "backend": self.backend,
            "minimum_size": self.minimum_size,
            "gzip_fallback": self.gzip_fallback,
            "brotli_level": self.brotli_level,
            "brotli_lgwin": self.brotli_lgwin,
            "gzip_level": self.gzip_level,
            "zstd_level": self.zstd_level,
        }
