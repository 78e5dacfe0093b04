"""examples/demo's settings, serving the shared load-test handlers.

BOLT_API names exactly what bolt serves:
  * ``bench_api:api``: the compared endpoints (hello, items, POST items/orders, users,
    users/async, big), the very module django-bolt 0.13 serves in loadtests/competitor;
  * ``bench_api:with_django_middleware``: /mw/hello behind two Django middleware (both servers);
  * ``demo.api:secure`` and ``demo.api:keyed``: the demo's JWT- and API-key-guarded
    ``/hello`` twins (the bolt-only "cost of security" rows).
The demo's other APIs (its own /hello, /users, ... in ``demo.api:api``) are not served, so
no route is defined twice. ``/media/`` (the 50 KiB file) and ``/admin/login/`` come from the
demo's settings and URLconf as before.

Logging: the demo's LOGGING (root at WARNING), plus an explicit ``django.server`` logger at
WARNING, as in the competitor's settings. bolt's own access log (``django_bolt.access``)
follows ``bolt --log-level``, which run.py sets to ``warning`` (off).
"""

from bench_compression import compression_setting
from demo.settings import *  # noqa: F401,F403
from demo.settings import DATABASES
from demo.settings import LOGGING as _DEMO_LOGGING

# Persistent connections, as Django's deployment checklist recommends. bolt honours CONN_MAX_AGE
# (Django's default 0 means a new connection per request); django-bolt 0.13 keeps connections
# open whatever it says, and its settings say the same as these.
DATABASES["default"]["CONN_MAX_AGE"] = 600

BOLT_API = [
    "bench_api:api",
    "bench_api:compressed",
    "bench_api:with_django_middleware",
    "demo.api:secure",
    "demo.api:keyed",
]

# Compression: off (None) unless run.py starts this server for the compression rows, with
# BENCH_COMPRESSION set (loadtests/bench_compression.py): then a CompressionConfig. It wins over
# each API's `compression=` (without it, the demo's guarded APIs would get the default
# CompressionConfig()); bench_api's `api` is BoltAPI(compression=False) either way.
BOLT_COMPRESSION = compression_setting()

LOGGING = {
    **_DEMO_LOGGING,
    "loggers": {
        **_DEMO_LOGGING.get("loggers", {}),
        "django.server": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}
