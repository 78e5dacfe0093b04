"""URL configuration: only the Django admin. The API lives in ``demo/api.py``."""

from django.contrib import admin
from django.urls import path

urlpatterns = [
    path("admin/", admin.site.urls),
]
