"""Settings for the django-bolt demo project.

Environment switches:
    DEMO_DEBUG=1    turn DEBUG on (default off, so errors never leak tracebacks)
    DEMO_NO_BOLT=1  leave ``django_bolt`` out of INSTALLED_APPS (for running
                    ``makemigrations``/``migrate`` before the package is installed)
    DEMO_DATABASE   ``sqlite`` (default: db.sqlite3 here) or ``postgresql``: PostgreSQL at
                    DEMO_PG_HOST (127.0.0.1), DEMO_PG_PORT (5432), DEMO_PG_NAME (bolt_demo),
                    DEMO_PG_USER (postgres), DEMO_PG_PASSWORD (none); or a URL,
                    ``postgresql://user:password@host:port/name``. Use the pure-Python psycopg
                    (PSYCOPG_IMPL=python) under bolt: its C build cannot load in sub-interpreters.
                    Run setup.sh with the same environment to migrate and seed it.
    DEMO_CONN_MAX_AGE=<seconds>  the default database's CONN_MAX_AGE (``none``: unlimited;
                    unset: Django's default, 0 = a new connection per request)
    DEMO_CONN_HEALTH_CHECKS=1    the default database's CONN_HEALTH_CHECKS
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = "django-insecure-demo-only-0b1t-s3cr3t-k3y-do-not-use-in-production"

DEBUG = _env_flag("DEMO_DEBUG", default=False)

ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_bolt",
    "people",
]
if _env_flag("DEMO_NO_BOLT"):
    INSTALLED_APPS.remove("django_bolt")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "demo.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "demo.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / "db.sqlite3",
        "OPTIONS": {"timeout": 20},
    }
}


def _postgresql(value: str) -> dict:
    from urllib.parse import unquote, urlsplit

    url = urlsplit(value) if "://" in value else None
    env = os.environ.get
    return {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": (url and url.hostname) or env("DEMO_PG_HOST", "127.0.0.1"),
        "PORT": str((url and url.port) or env("DEMO_PG_PORT", "5432")),
        "NAME": (url and unquote(url.path.lstrip("/"))) or env("DEMO_PG_NAME", "bolt_demo"),
        "USER": (url and unquote(url.username or "")) or env("DEMO_PG_USER", "postgres"),
        "PASSWORD": (url and unquote(url.password or "")) or env("DEMO_PG_PASSWORD", ""),
    }


_database = os.environ.get("DEMO_DATABASE", "").strip()
if _database.lower() in {"postgres", "postgresql"} or _database.startswith(("postgres://", "postgresql://")):
    DATABASES["default"] = _postgresql(_database)
elif _database.lower() not in {"", "sqlite", "sqlite3"}:
    raise ValueError(f"DEMO_DATABASE={_database!r}: expected sqlite, postgresql or a postgresql:// URL")
if os.environ.get("DEMO_CONN_MAX_AGE", "").strip():
    _age = os.environ["DEMO_CONN_MAX_AGE"].strip()
    DATABASES["default"]["CONN_MAX_AGE"] = None if _age.lower() == "none" else int(_age)
if os.environ.get("DEMO_CONN_HEALTH_CHECKS") is not None:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = _env_flag("DEMO_CONN_HEALTH_CHECKS")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"  # `manage.py collectstatic`; with DEBUG the app finders serve too
MEDIA_URL = "media/"
MEDIA_ROOT = BASE_DIR / "media"
# Served by bolt's Rust static file server, with Cache-Control per prefix.
BOLT_STATIC_CACHE_CONTROL = {"/static/": "public, max-age=3600"}
# FileResponse may only send files from these folders (403 for any other path).
BOLT_ALLOWED_FILE_PATHS = [BASE_DIR / "files"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# WARNING and above go to the console. The per-request access log
# (``django_bolt.access``) is OFF by default: it goes to a NullHandler and does
# not propagate. Point it at "console" to see one line per request.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "simple": {"format": "{levelname} {name}: {message}", "style": "{"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "simple",
            "level": "WARNING",
        },
        "null": {"class": "logging.NullHandler"},
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    # django_bolt.access (one line per request) follows `bolt --log-level`: off at the default
    # "warning", on at "info".
}

# A repeated warning or error is written once per this many seconds, then counted (0: every one).
BOLT_LOG_REPEAT_INTERVAL = float(os.environ.get("DEMO_LOG_REPEAT_INTERVAL", "10"))

if _env_flag("DEMO_REQUEST_LOG"):
    # Request/response logging with query, headers and bodies, every request sampled, >50 ms
    # flagged slow, on the logger `--log-level info` turns on (django-bolt's default is django.server).
    BOLT_LOGGING = {
        "logger_name": "django_bolt.request",
        "request_log_fields": {"method", "path", "query", "headers"},
        "response_log_fields": {"status_code", "duration"},
        "log_request_body": True,
        "log_response_body": True,
        "sample_rate": 1.0,
        "slow_request_ms": 50,
    }

# CORS (django-cors-headers' names), answered by bolt in Rust for API paths.
CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
CORS_ALLOWED_ORIGIN_REGEXES = [r"^https://[a-z]+\.example\.org$"]
CORS_ALLOW_CREDENTIALS = True
CORS_EXPOSE_HEADERS = ["x-total"]
CORS_PREFLIGHT_MAX_AGE = 600

# X-Forwarded-For is believed only from these peers (rate limits key on the client address).
# DEMO_TRUSTED_PROXIES: a comma-separated list in their place (the nginx test trusts 127.0.0.1).
BOLT_TRUSTED_PROXIES = [p.strip() for p in os.environ.get("DEMO_TRUSTED_PROXIES", "127.0.0.2").split(",") if p.strip()]
