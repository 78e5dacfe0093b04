"""The demo's URLconf plus ``/media/<path>`` through ``django.views.static.serve``.

With BENCH_STATIC=whitenoise (run.py's default, see wsgi.py) WhiteNoise answers
``/media/`` before Django, and this route is only reached for files WhiteNoise
does not know.
"""

from django.conf import settings
from django.urls import re_path
from django.views.static import serve

from demo.urls import urlpatterns as demo_urlpatterns

urlpatterns = [
    re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    *demo_urlpatterns,
]
