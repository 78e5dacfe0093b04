"""Settings for the django-bolt 0.13 competitor project (loadtests only).

Kept in the spirit of examples/demo: SQLite, one app `people` with `Person`.
DEBUG is off (no query recording); no middleware; no logging on the hot path
(BoltAPI(enable_logging=False) in people/api.py).
"""
from pathlib import Path

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

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / "db.sqlite3",
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"

# Only warnings and errors; nothing per request.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# wrk sends no Accept-Encoding, but make sure nothing is compressed.
BOLT_COMPRESSION = None
