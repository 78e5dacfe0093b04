from django.apps import AppConfig


class DjangoBoltConfig(AppConfig):
    """Lets ``django_bolt`` sit in INSTALLED_APPS (for ``manage.py runbolt``)."""

    name = "django_bolt"
    verbose_name = "django-bolt"
    default_auto_field = "django.db.models.BigAutoField"
