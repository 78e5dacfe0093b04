"""DEBUG error pages and the access log, each on a server started for the purpose."""

from __future__ import annotations

import time

import pytest

import boltproc
from boltproc import BoltProcess
from wire import fetch


@pytest.fixture
def debug_server(monkeypatch, demo_db, driver):
    plain = boltproc.server_env
    monkeypatch.setattr(boltproc, "server_env", lambda: {**plain(), "DEMO_DEBUG": "1"})
    server = BoltProcess.start(cores=1, driver=driver)
    yield server
    server.stop()


def test_debug_500_for_a_browser_is_djangos_technical_page(debug_server):
    resp = fetch(debug_server.port, "GET", "/boom", headers=[("Accept", "text/html,application/xhtml+xml")])
    assert resp.status == 500
    assert resp.content_type.startswith("text/html")
    assert "ValueError" in resp.text and "this handler always fails" in resp.text


def test_debug_500_for_an_api_client_is_a_json_traceback(debug_server):
    resp = fetch(debug_server.port, "GET", "/boom", headers=[("Accept", "application/json")])
    assert resp.status == 500
    body = resp.json()
    assert body["detail"] == "ValueError: this handler always fails"
    assert any("raise ValueError" in line for line in body["traceback"])


def test_unhandled_exception_is_logged_through_django_logging(server):
    assert fetch(server.port, "GET", "/boom").status == 500
    deadline = time.monotonic() + 5
    while "Internal Server Error: GET /boom" not in server.stderr and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "ERROR django.request: Internal Server Error: GET /boom" in server.stderr
    assert "ValueError: this handler always fails" in server.stderr


def test_access_log_at_info_level(demo_db, driver):
    server = BoltProcess.start(cores=1, driver=driver, log_level="info")
    try:
        assert fetch(server.port, "GET", "/items/7?q=x").status == 200
        deadline = time.monotonic() + 5
        while '"GET /items/7?q=x" 200' not in server.stderr and time.monotonic() < deadline:
            time.sleep(0.05)
        assert '"GET /items/7?q=x" 200' in server.stderr
    finally:
        server.stop()


def test_no_access_log_at_the_default_level(server):
    assert fetch(server.port, "GET", "/hello").status == 200
    time.sleep(0.2)
    assert '"GET /hello"' not in server.stderr
