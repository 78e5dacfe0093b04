SECRET_KEY = "edges-test"
DEBUG = False
# The hosts the tests send (support.wire: "x", "test"); any other is DisallowedHost where Django
# checks it (request.get_host(), build_absolute_uri()).
ALLOWED_HOSTS = ["x", "test", "api.example.com"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
ROOT_URLCONF = "site_edges.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True

# CORS_ALLOW_METHODS is left unset on purpose: the default list is under test.
CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
# Bodies over 64 KiB get 413 (before the route runs).
BOLT_MAX_UPLOAD_SIZE = 64 * 1024
# Only this peer's X-Forwarded-For / X-Forwarded-Proto are believed.
BOLT_TRUSTED_PROXIES = ["127.0.0.2"]
