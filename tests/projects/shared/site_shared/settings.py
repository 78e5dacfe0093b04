"""A project whose rate limits are shared across servers through Django's cache: Redis when
``SHARED_REDIS_URL`` is set (tests/shared start one), else the local-memory cache."""

import os

SECRET_KEY = "test-shared"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
ROOT_URLCONF = "site_shared.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True

_REDIS = os.environ.get("SHARED_REDIS_URL")
if _REDIS:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _REDIS,
            # A Redis that is down fails fast (the limit then fails open, logged).
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

if os.environ.get("SHARED_NO_LIMIT_CACHE") != "1":
    BOLT_RATE_LIMIT_CACHE = "default"

# The shared limit's and revocation's warnings with their level (tests/shared read them).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {"django_bolt.ratelimit": {"handlers": ["stderr"], "level": "WARNING", "propagate": False}},
}
