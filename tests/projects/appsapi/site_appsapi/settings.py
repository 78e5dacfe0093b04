SECRET_KEY = "test"
DEBUG = False
ALLOWED_HOSTS = ["*"]
# Discovery: the api.py next to ROOT_URLCONF, plus the api.py of every installed app (shop by
# module name, inventory through its AppConfig); quiet has none.
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "shop",
    "inventory.apps.InventoryConfig",
    "quiet",
]
ROOT_URLCONF = "site_appsapi.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True
