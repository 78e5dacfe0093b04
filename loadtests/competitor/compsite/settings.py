"""Settings for the django-bolt 0.13 competitor project (loadtests only).

Kept in the spirit of examples/demo: SQLite, one app `people` with `Person`.
DEBUG is off (no query recording); no middleware. The API is the shared
loadtests/bench_api.py (BOLT_API below; manage.py appends loadtests/ to sys.path),
the same module bolt serves. Logging is configured as django-bolt 0.13 documents
for production: its request-logging middleware off (BoltAPI(enable_logging=False)
in bench_api.py) and its Rust access log off (the `django.server` logger below).
"""

import os
from pathlib import Path

from bench_compression import compression_setting

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "loadtests-competitor-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django_bolt",
    "people",
]

MIDDLEWARE = []
ROOT_URLCONF = "compsite.urls"

# The compared endpoints: the one handler module both servers import.
BOLT_API = ["bench_api:api", "bench_api:compressed", "bench_api:with_django_middleware"]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / "db.sqlite3",
    }
}
# BENCH_PG_* (loadtests/pg_users.py): PostgreSQL instead, the database bolt's demo uses.
if os.environ.get("BENCH_PG_NAME"):
    DATABASES["default"] = {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": os.environ["BENCH_PG_HOST"],
        "PORT": os.environ["BENCH_PG_PORT"],
        "NAME": os.environ["BENCH_PG_NAME"],
        "USER": os.environ["BENCH_PG_USER"],
    }
# Persistent connections (django-bolt 0.13 keeps them open anyway); the same as bolt's side.
DATABASES["default"]["CONN_MAX_AGE"] = 600

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"

# Only warnings and errors; nothing per request.
#
# django-bolt 0.13's Rust server writes an access line per response to the
# `django.server` logger (INFO for 1xx-3xx, WARNING for 4xx, ERROR for 5xx; its
# docs/src/topics/logging.md, "Access log"), and reads that logger's levels once at
# start-up. Django's default logging (django.utils.log.DEFAULT_LOGGING, applied
# before this dict) sets `django.server` to INFO with its own handler, and a LOGGING
# that only configures the root logger leaves it that way: one line per request.
# So the logger is named here explicitly, at WARNING: no line for a 2xx response,
# 4xx/5xx still logged (the project's DESIGN.md §7: peers run as their documentation
# recommends for production, django.server at WARNING). With WARNING, 0.13 still
# takes its access-log-capable request path (an Instant::now() and a status test per
# request, no Python call for a 2xx); only a level above ERROR selects the variant
# with no logging code at all. (Because LOGGING is defined, runbolt's
# setup_django_logging() leaves this configuration alone.)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "django.server": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

# Compression: off (None) unless run.py starts this server for the compression rows, with
# BENCH_COMPRESSION set (loadtests/bench_compression.py): then a CompressionConfig, as the
# django-bolt docs configure it. This setting wins over each BoltAPI's `compression=`.
BOLT_COMPRESSION = compression_setting()
