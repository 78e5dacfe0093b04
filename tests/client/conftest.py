"""The test client's own tests: the demo project set up in this process (its settings, its
database, its APIs), as a user's test suite has its project.

Django can be set up once per process, so the fixture is session-wide; the settings module is
read once and taken out of the environment again, so servers other tests start do not inherit it.
"""

from __future__ import annotations

import os
import sys

import pytest

from support.paths import DEMO

# A user's suite with its own pytest.ini, run as a session of its own by test_usersuite.py.
collect_ignore = ["usersuite"]


@pytest.fixture(scope="session")
def demo_apis(demo_db) -> list:
    """Every BoltAPI of the demo, as ``bolt`` discovers them, with Django set up on demo.settings."""
    import django

    if str(DEMO) not in sys.path:
        sys.path.insert(0, str(DEMO))
    before = os.environ.get("DJANGO_SETTINGS_MODULE")
    os.environ["DJANGO_SETTINGS_MODULE"] = "demo.settings"
    try:
        django.setup()
    finally:
        if before is None:
            del os.environ["DJANGO_SETTINGS_MODULE"]
        else:
            os.environ["DJANGO_SETTINGS_MODULE"] = before
    from django_bolt.discovery import discover_apis

    return discover_apis()
