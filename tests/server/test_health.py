"""/health (Rust only) and /ready (the registered checks, 503 when one fails)."""

from __future__ import annotations

import os

from support.boltproc import BoltProcess
from support.paths import DEMO
from support.wait import poll
from support.wire import fetch


def test_health_is_ok(server):
    resp = fetch(server.port, "GET", "/health")
    assert resp.status == 200
    assert resp.json() == {"status": "ok"}


def test_head_health(server):
    resp = fetch(server.port, "HEAD", "/health")
    assert resp.status == 200
    assert resp.body == b""


def test_ready_lists_every_check(server):
    resp = fetch(server.port, "GET", "/ready")
    assert resp.status == 200
    body = resp.json()
    # The connections the core's handlers hold, and the most they can (the worker, the
    # thread-sensitive thread and 8 blocking threads, one database): see test_db_faults.py.
    connections = body.pop("connections")
    assert body == {"status": "ok", "checks": {"database": "ok", "maintenance": "ok"}}
    assert connections["limit_per_core"] == 10
    assert list(connections["per_core"]) == ["0"]
    assert 0 <= connections["per_core"]["0"] <= 10


def test_ready_is_503_while_a_custom_check_fails(server):
    flag = DEMO / ".maintenance"
    flag.write_text("on")
    try:
        resp = fetch(server.port, "GET", "/ready")
        assert resp.status == 503
        body = resp.json()
        assert body["status"] == "unavailable"
        assert body["checks"]["maintenance"] == "error: returned False"
        assert body["checks"]["database"] == "ok"
    finally:
        flag.unlink()
    assert fetch(server.port, "GET", "/ready").status == 200


def test_ready_flips_to_503_without_the_database_and_back(server):
    db = DEMO / "db.sqlite3"
    away = DEMO / "db.sqlite3.away"
    os.replace(db, away)
    try:
        resp = fetch(server.port, "GET", "/ready")
        assert resp.status == 503
        assert resp.json()["checks"]["database"].startswith("error:")
    finally:
        os.replace(away, db)
    poll(lambda: fetch(server.port, "GET", "/ready").status, lambda status: status == 200, 5, interval=0.1)
    assert fetch(server.port, "GET", "/ready").json()["status"] == "ok"
    assert fetch(server.port, "GET", "/users").status == 200


def test_probes_stay_out_of_the_access_log(demo_db, driver):
    server = BoltProcess.start(cores=1, driver=driver, log_level="info")
    try:
        assert fetch(server.port, "GET", "/health").status == 200
        assert fetch(server.port, "GET", "/ready").status == 200
        assert fetch(server.port, "GET", "/hello").status == 200
        server.wait_log('"GET /hello"')
        assert '"GET /hello"' in server.stderr
        assert "/health" not in server.stderr and "/ready" not in server.stderr
    finally:
        server.stop()
