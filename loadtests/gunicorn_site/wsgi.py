"""WSGI entry point: ``gunicorn gunicorn_site.wsgi:application`` (cwd examples/demo,
PYTHONPATH=loadtests).

BENCH_STATIC selects who answers ``/media/``:
  * ``whitenoise`` (default): WhiteNoise wraps the demo's ``demo.wsgi.application``
    and serves MEDIA_ROOT at ``/media/`` from a file index built at start-up
    (autorefresh off), the usual way to serve files from a Python WSGI server;
  * ``serve``: Django's ``django.views.static.serve`` view (through the whole
    middleware stack), which Django documents as not for production.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gunicorn_site.settings")

from django.conf import settings  # noqa: E402

from demo.wsgi import application as django_application  # noqa: E402

STATIC_MODE = os.environ.get("BENCH_STATIC", "whitenoise")

if STATIC_MODE == "whitenoise":
    from whitenoise import WhiteNoise

    application = WhiteNoise(django_application, autorefresh=False)
    application.add_files(str(settings.MEDIA_ROOT), prefix=settings.MEDIA_URL)
elif STATIC_MODE == "serve":
    application = django_application
else:
    raise RuntimeError(f"BENCH_STATIC must be 'whitenoise' or 'serve', not {STATIC_MODE!r}")
