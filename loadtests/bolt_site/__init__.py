"""The demo project (examples/demo) as bolt serves it in the load tests.

``bolt`` runs with cwd examples/demo, PYTHONPATH=loadtests and
``DJANGO_SETTINGS_MODULE=bolt_site.settings``: the demo's settings, database, media,
URLconf (admin) and auth APIs, with the compared endpoints taken from the shared
``loadtests/bench_api.py`` that django-bolt 0.13 also serves. The demo itself is not edited.
"""
