"""Composition over a real ``bolt`` (tests/projects/compose): Router and mounted routes, the
308 trailing-slash redirects on the wire, Django ``reverse()`` of bolt names, and lifespans run
in every core's interpreter (start-up before serving, shut-down at SIGTERM)."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.boltproc import BoltProcess, server_env
from support.projects import copy_project, run_bolt
from support.wire import fetch, get, json_body


@pytest.fixture(scope="module")
def compose(tmp_path_factory, driver) -> Iterator[tuple[BoltProcess, Path]]:
    """``bolt --cores 2`` on a copy of the compose project; its lifespan log file."""
    root = tmp_path_factory.mktemp("compose")
    project = copy_project("compose", root / "p")
    log = root / "lifespan.log"
    server = BoltProcess.start(cores=2, driver=driver, cwd=project, env={"COMPOSE_LIFESPAN_LOG": str(log)})
    try:
        yield server, log
    finally:
        if server.is_alive():
            server.kill()


def _lines(log: Path) -> list[list[str]]:
    """``[event, pid, interp_id, thread]`` per line of the lifespan log."""
    return [line.split() for line in log.read_text().splitlines()] if log.exists() else []


def test_router_and_mounted_routes(compose):
    server, _ = compose
    assert get(server.port, "/v1/users").json() == [{"id": 1}]
    assert get(server.port, "/v1/users/5").json() == {"id": 5}
    assert fetch(server.port, "POST", "/v1/users", body=json_body({"n": 1})).json() == {"created": {"n": 1}}
    assert get(server.port, "/child/ping").json() == {"pong": True}
    assert get(server.port, "/ping").status == 404  # mounted: served under /child only


def test_trailing_slash_redirects_on_the_wire(compose):
    server, _ = compose
    resp = get(server.port, "/v1/users/5/?x=1")
    assert resp.status == 308
    assert resp.header("location") == "/v1/users/5?x=1"
    resp = fetch(server.port, "POST", "/v1/users/", body=json_body({"n": 1}))
    assert (resp.status, resp.header("location")) == (308, "/v1/users")
    # The append-mode API: /shop/items/3 is the other spelling of /shop/items/3/.
    assert get(server.port, "/shop/items/3/").json() == {"item": 3}
    resp = get(server.port, "/shop/items/3")
    assert (resp.status, resp.header("location")) == (308, "/shop/items/3/")
    assert get(server.port, "/nothing/").status == 404


def test_django_reverse_of_bolt_route_names(compose):
    server, _ = compose
    assert get(server.port, "/reverse").json() == {
        "user": "/v1/users/7",
        "item": "/shop/items/3/",
        "ping": "/child/ping",
    }


def test_problem_details_on_the_wire(compose):
    server, _ = compose
    resp = get(server.port, "/problems/books/9")
    assert resp.status == 404
    assert resp.content_type == "application/problem+json"
    assert resp.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "no book 9",
        "instance": "/problems/books/9",
    }
    resp = get(server.port, "/problems/crash")
    assert (resp.status, resp.json()["status"]) == (500, 500)
    assert b"a bug" not in resp.body
    # A parameter that fails validation (checked in Rust) is formatted as well.
    resp = get(server.port, "/problems/books/x")
    assert (resp.status, resp.content_type) == (422, "application/problem+json")
    assert resp.json()["errors"][0]["loc"] == ["path", "book_id"]
    # The other APIs keep the default body.
    assert get(server.port, "/v1/users/x").json()["detail"][0]["loc"] == ["path", "user_id"]


def test_each_core_ran_its_own_lifespan_before_serving_then_stopped_at_sigterm(compose):
    server, log = compose
    started = [line for line in _lines(log) if line[0] == "start"]
    assert len(started) == 2, log.read_text()
    assert len({line[2] for line in started}) == 2  # two interpreters
    assert {line[1] for line in started} == {str(server.pid)}
    assert len([line for line in _lines(log) if line[0] == "child-start"]) == 2  # the mounted API's
    # Each core's handlers see the module state its own start-up set, in their interpreter.
    seen = {}
    for _ in range(200):
        body = get(server.port, "/state").json()
        assert body["started_in"] == body["interp"]
        assert body["app"] == "compose"
        seen[body["interp"]] = body
        if len(seen) == 2:
            break
    assert {str(i) for i in seen} == {line[2] for line in started}
    assert not [line for line in _lines(log) if line[0].endswith("stop")]
    assert server.stop(signal.SIGTERM) == 0
    events = _lines(log)
    for interp in {line[2] for line in started}:
        mine = [line[0] for line in events if line[2] == interp]
        # Start in order, stop in reverse order, once each.
        assert mine == ["start", "child-start", "child-stop", "stop"], json.dumps(events)


def test_a_failing_lifespan_start_up_stops_the_server_with_its_error(tmp_path):
    project = copy_project("compose", tmp_path / "p")
    api = project / "site_compose" / "api.py"
    api.write_text(
        api.read_text()
        + "\n\n@contextlib.asynccontextmanager\nasync def broken(app):\n"
        + "    raise RuntimeError('cannot reach the cache server')\n    yield\n\n\n"
        + "broken_api = BoltAPI(prefix='/broken', lifespan=broken)\n"
    )
    log = tmp_path / "lifespan.log"
    r = run_bolt(project, env={**server_env(), "COMPOSE_LIFESPAN_LOG": str(log)})
    assert r.returncode == 1
    assert "failed to start" in r.stderr
    assert "RuntimeError: cannot reach the cache server" in r.stderr
    # The lifespans entered before the failing one were left again.
    assert [line.split()[0] for line in log.read_text().splitlines()] == ["start", "child-start", "child-stop", "stop"]
