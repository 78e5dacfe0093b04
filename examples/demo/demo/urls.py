"""URL configuration: the Django admin and two plain views. The API lives in ``demo/api.py``."""

from django.contrib import admin
from django.urls import path

from . import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("django/upload/", views.upload),
    path("django/stream/", views.stream),
]
