"""django-bolt 0.13's signals page (topics/signals.md): its only examples are settings,
``BOLT_EMIT_SIGNALS = True`` and a database's ``CONN_MAX_AGE``/``CONN_HEALTH_CHECKS`` (the
latter tested on real servers in tests/django_integration/test_db_lifecycle.py). What the page
says the setting does, a project's ``request_started``/``request_finished`` receivers hearing each
request, holds here; without the setting too (on purpose: docs/compat.md, "Django signals")."""

from __future__ import annotations

import pytest
from django.core.signals import request_finished, request_started
from django.test import override_settings

from django_bolt import BoltAPI
from django_bolt.testing import TestClient


@pytest.fixture
def heard(demo_apis):
    heard: list[str] = []

    def started(sender, **kwargs):
        heard.append("started")

    def finished(sender, **kwargs):
        heard.append("finished")

    request_started.connect(started)
    request_finished.connect(finished)
    try:
        yield heard
    finally:
        request_started.disconnect(started)
        request_finished.disconnect(finished)


@pytest.mark.parametrize("emit", [True, False])
def test_receivers_hear_each_request(heard, emit):
    api = BoltAPI()

    @api.get("/ping")
    async def ping():
        return {"ok": True}

    with override_settings(BOLT_EMIT_SIGNALS=emit), TestClient(api) as client:
        assert client.get("/ping").json() == {"ok": True}
        assert heard == ["started", "finished"]
        client.get("/ping")
        assert heard == ["started", "finished"] * 2
