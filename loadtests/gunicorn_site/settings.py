"""examples/demo's settings, with a URLconf that also serves MEDIA_URL.

Run with DEMO_NO_BOLT=1 (django_bolt is not installed in loadtests/.venv-gunicorn).
"""

from demo.settings import *  # noqa: F401,F403

ROOT_URLCONF = "gunicorn_site.urls"
