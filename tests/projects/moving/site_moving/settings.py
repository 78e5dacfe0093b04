SECRET_KEY = "moving-test"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
ROOT_URLCONF = "site_moving.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True
# The project's CORS policy, which @skip_middleware("cors") must switch off for a route.
CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
