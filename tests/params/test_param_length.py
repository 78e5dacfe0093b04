"""``DJANGO_BOLT_MAX_PARAM_LENGTH``: one parameter value (path, query, header, cookie, form field)
longer than the cap (8192 bytes by default, as django-bolt 0.13) is a 422 naming the parameter,
before it is parsed; the variable sets the cap (an int from 1 to 1048576, else a start-up
error). Served by tests/projects/edges, whose API formats errors as RFC 9457 problems."""

from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from support.boltproc import BoltProcess, server_env
from support.paths import PROJECTS
from support.projects import run_bolt
from support.wire import fetch


def _start(driver, env: dict[str, str] | None = None) -> BoltProcess:
    return BoltProcess.start(cwd=PROJECTS / "edges", driver=driver, env=env)


@pytest.fixture(scope="module")
def default_cap(driver) -> Iterator[BoltProcess]:
    server = _start(driver)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def cap_100(driver) -> Iterator[BoltProcess]:
    server = _start(driver, {"DJANGO_BOLT_MAX_PARAM_LENGTH": "100"})
    try:
        yield server
    finally:
        server.stop()


def _too_long(resp, loc: list[str], n: int, cap: int) -> None:
    assert resp.status == 422, resp.body
    [issue] = resp.json()["errors"]
    assert issue["loc"] == loc
    assert issue["msg"] == f"Parameter too long: {n} bytes (max {cap} bytes)"
    assert "input" not in issue or issue["input"] is None


def test_default_cap_is_8192_bytes_for_headers_and_form_fields(default_cap):
    # (Path and query values this long cannot arrive: the request-target is capped at 8 KiB.)
    port = default_cap.port
    ok = fetch(port, "GET", "/h", headers=[("X-Value", "a" * 8192)])
    assert ok.status == 200 and ok.json() == {"length": 8192}
    _too_long(fetch(port, "GET", "/h", headers=[("X-Value", "a" * 8193)]), ["header", "x-value"], 8193, 8192)
    form = [("Content-Type", "application/x-www-form-urlencoded")]
    ok = fetch(port, "POST", "/f", headers=form, body=urlencode({"value": "b" * 8192}).encode())
    assert ok.status == 200 and ok.json() == {"length": 8192}
    resp = fetch(port, "POST", "/f", headers=form, body=urlencode({"value": "b" * 8193}).encode())
    _too_long(resp, ["body", "value"], 8193, 8192)


def test_the_variable_sets_the_cap_for_every_source(cap_100):
    port = cap_100.port
    assert fetch(port, "GET", "/p/" + "a" * 100).json() == {"length": 100}
    _too_long(fetch(port, "GET", "/p/" + "a" * 101), ["path", "value"], 101, 100)
    # Measured on the decoded value: 101 bytes sent as %61.
    _too_long(fetch(port, "GET", "/p/" + "%61" * 101), ["path", "value"], 101, 100)
    assert fetch(port, "GET", "/q?value=" + "a" * 100).json() == {"length": 100}
    _too_long(fetch(port, "GET", "/q?value=" + "a" * 101), ["query", "value"], 101, 100)
    _too_long(fetch(port, "GET", "/h", headers=[("X-Value", "a" * 101)]), ["header", "x-value"], 101, 100)


@pytest.mark.parametrize("value", ["abc", "0", "-5", "2000000"])
def test_a_bad_value_stops_the_start_up_with_the_rule(value):
    r = run_bolt("edges", env={**server_env(), "DJANGO_BOLT_MAX_PARAM_LENGTH": value})
    assert r.returncode == 1, r.stdout + r.stderr
    assert "DJANGO_BOLT_MAX_PARAM_LENGTH must be an int from 1 to 1048576" in r.stderr, r.stderr
    assert repr(value) in r.stderr


def test_the_test_client_reads_the_variable_too(demo_apis, monkeypatch):
    # (demo_apis: Django set up, as for the other test client tests.)
    from django_bolt import BoltAPI
    from django_bolt.testing import TestClient

    assert "DJANGO_BOLT_MAX_PARAM_LENGTH" not in os.environ
    monkeypatch.setenv("DJANGO_BOLT_MAX_PARAM_LENGTH", "10")
    api = BoltAPI()

    @api.get("/q")
    def q(value: str) -> dict:
        return {"length": len(value)}

    with TestClient(api) as client:
        assert client.get("/q?value=" + "a" * 10).json() == {"length": 10}
        resp = client.get("/q?value=" + "a" * 11)
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["msg"] == "Parameter too long: 11 bytes (max 10 bytes)"
