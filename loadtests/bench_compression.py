"""``settings.BOLT_COMPRESSION`` for a load-test server, from the environment.

Both servers' settings (``bolt_site/settings.py``, ``competitor/compsite/settings.py``) say
``BOLT_COMPRESSION = compression_setting()``. run.py starts the servers of the compression rows
with ``BENCH_COMPRESSION`` set to a JSON object of ``CompressionConfig`` arguments (``{}``: the
defaults, ``{"backend": "zstd"}``, ...); every other server runs without it, so compression is
off there (None), as before.

Both projects document ``settings.BOLT_COMPRESSION = CompressionConfig(...)`` as the project-wide
setting that wins over each API's ``compression=`` argument, and both have the class at
``django_bolt.middleware.compression.CompressionConfig`` (each its own).
"""

import json
import os


def compression_setting():
    """A ``CompressionConfig`` built from ``$BENCH_COMPRESSION`` (JSON), or None when unset."""
    spec = os.environ.get("BENCH_COMPRESSION")
    if not spec:
        return None
    from django_bolt.middleware.compression import CompressionConfig

    kwargs = json.loads(spec)
    if not isinstance(kwargs, dict):
        raise ValueError(f"BENCH_COMPRESSION must be a JSON object of CompressionConfig arguments, got {spec!r}")
    return CompressionConfig(**kwargs)
