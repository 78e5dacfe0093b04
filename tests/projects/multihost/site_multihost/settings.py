"""One project served by several hosts (tests/multihost): every host reads the same PostgreSQL
(``MH_PG_HOST``/``MH_PG_PORT``/``MH_PG_NAME``) and the same Redis (``MH_REDIS_URL``) and says who
it is from ``MH_HOST``. Sessions live in the database (Django's default engine), refresh-token
rotation state and shared rate limits in the cache, so no host keeps state the other needs."""

import os

SECRET_KEY = "multihost-test"  # the same on every host: a session or token signed by one verifies on the other
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "site_multihost.notes",
]
ROOT_URLCONF = "site_multihost.urls"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": os.environ.get("MH_PG_HOST", "127.0.0.1"),
        "PORT": os.environ.get("MH_PG_PORT", "5432"),
        "NAME": os.environ.get("MH_PG_NAME", "multihost"),
        "USER": os.environ.get("MH_PG_USER", "postgres"),
    }
}
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ.get("MH_REDIS_URL", "redis://127.0.0.1:6379/0"),
    }
}
# Sessions in the database (the default engine, said out loud): valid on whichever host gets the request.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# The cache alias shared rate limits count in (rate_limit(..., shared=True)); nginx is the only proxy.
BOLT_RATE_LIMIT_CACHE = "default"
BOLT_TRUSTED_PROXIES = [os.environ.get("MH_PROXY", "127.0.0.1")]
# A test project: a fast hash, so logging in does not cost a second of PBKDF2 on a busy CI machine.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
