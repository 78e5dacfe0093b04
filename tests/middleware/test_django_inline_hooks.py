"""Django's own I/O-free middleware around API routes have their hooks called in place on the
core's loop, not sent through asgiref's ``sync_to_async`` and back as Django's async mode does
(issue 13: those round trips made two header-only middleware cost 175 µs of CPU per request;
``loadtests/run.py --endpoints hello,hello_mw`` measures it). A subclass, which may add I/O, and
``CsrfViewMiddleware`` with ``CSRF_USE_SESSIONS`` (it reads the session) keep Django's own
adaptation.

Each test records, per hook, whether ``sync_to_async`` called it: asgiref's own path or bolt's
shorter one for a core's thread-sensitive thread (``django_bolt/_asgiref.py``)."""

from __future__ import annotations

import sys

import pytest
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.csrf import CsrfViewMiddleware
from django.middleware.security import SecurityMiddleware
from django.test import override_settings

from django_bolt import BoltAPI
from django_bolt.middleware import DjangoMiddlewareStack
from django_bolt.testing import TestClient

SECURITY = "django.middleware.security.SecurityMiddleware"
XFRAME = "django.middleware.clickjacking.XFrameOptionsMiddleware"
SESSIONS = "django.contrib.sessions.middleware.SessionMiddleware"
CSRF = "django.middleware.csrf.CsrfViewMiddleware"

# Django set up on the demo's settings (the classes read them when built).
pytestmark = pytest.mark.usefixtures("demo_apis")


def through_sync_to_async() -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        path = frame.f_code.co_filename.replace("\\", "/")
        if path.endswith(("/asgiref/sync.py", "/django_bolt/_asgiref.py")):
            return True
        frame = frame.f_back
    return False


@pytest.fixture
def hops(monkeypatch):
    """Patch hooks to record how they were called (the class itself stays the class)."""
    seen: dict[str, bool] = {}

    def record(cls, name):
        original = getattr(cls, name)

        def hook(self, *args):
            seen[f"{cls.__name__}.{name}"] = through_sync_to_async()
            return original(self, *args)

        monkeypatch.setattr(cls, name, hook)

    record(SecurityMiddleware, "process_request")
    record(SecurityMiddleware, "process_response")
    record(XFrameOptionsMiddleware, "process_response")
    record(CsrfViewMiddleware, "process_view")
    return seen


def get(stack: list) -> object:
    api = BoltAPI(middleware=[DjangoMiddlewareStack(stack)])

    @api.get("/hooks")
    async def hooks() -> dict:
        return {"ok": True}

    with TestClient(api) as client:
        response = client.get("/hooks")
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    return response


def test_django_builtin_hooks_are_called_in_place(hops):
    response = get([SECURITY, XFRAME])
    # The hooks still did their work.
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert hops == {
        "SecurityMiddleware.process_request": False,
        "SecurityMiddleware.process_response": False,
        "XFrameOptionsMiddleware.process_response": False,
    }


class OwnSecurity(SecurityMiddleware):
    """A project's subclass: it could do I/O in a hook, so it is not called in place."""


def test_a_subclass_keeps_djangos_sync_to_async(hops):
    response = get([OwnSecurity])
    assert response.headers["x-content-type-options"] == "nosniff"
    assert hops == {"SecurityMiddleware.process_request": True, "SecurityMiddleware.process_response": True}


def test_csrf_view_hook_in_place_unless_it_reads_the_session(hops):
    get([SESSIONS, CSRF])
    assert hops["CsrfViewMiddleware.process_view"] is False
    with override_settings(CSRF_USE_SESSIONS=True):
        get([SESSIONS, CSRF])
    assert hops["CsrfViewMiddleware.process_view"] is True
