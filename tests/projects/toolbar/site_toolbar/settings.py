# django-debug-toolbar around API routes (tests/middleware/test_debug_toolbar.py): the toolbar in
# MIDDLEWARE (the API takes it with django_middleware=True) and its URLs, served by Django's
# fallthrough. DEBUG is on and the loopback address internal: the toolbar's own conditions.
SECRET_KEY = "test"
DEBUG = True
ALLOWED_HOSTS = ["*"]
INTERNAL_IPS = ["127.0.0.1"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.staticfiles",
    "debug_toolbar",
]
MIDDLEWARE = ["debug_toolbar.middleware.DebugToolbarMiddleware"]
ROOT_URLCONF = "site_toolbar.urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
STATIC_URL = "/static/"
USE_TZ = True
# Panels load through the toolbar's own URLs (as under ASGI), so each request is kept in the
# toolbar's store and listed by its history panel.
DEBUG_TOOLBAR_CONFIG = {"RENDER_PANELS": False}
