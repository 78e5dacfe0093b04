"""Error logs stay bounded under load: a repeated failure is written once per interval, then
counted (``BOLT_LOG_REPEAT_INTERVAL``; pyext/django_bolt/_log_repeats.py), and a hostile
``Host`` header is one WARNING line, not a traceback.

Every failure is accounted for: the records written plus the counts in the summary lines
equal the requests that failed.
"""

from __future__ import annotations

import re
import time

from support.boltproc import BoltProcess
from support.projects import copy_demo
from support.wire import Conn, request_bytes

SUMMARY = re.compile(r"\[and (\d+) more like it in ([\d.]+) s\]")


def _server(tmp_path, driver, interval: float, log_level: str = "warning") -> BoltProcess:
    project = copy_demo(tmp_path / "demo", "staticfiles", settings=f"BOLT_LOG_REPEAT_INTERVAL = {interval}\n")
    return BoltProcess.start(cores=1, driver=driver, cwd=project, log_level=log_level)


def _pipelined(port: int, requests: list[bytes], depth: int = 50) -> list[int]:
    statuses = []
    with Conn(port, timeout=30) as conn:
        for i in range(0, len(requests), depth):
            batch = requests[i : i + depth]
            conn.send(b"".join(batch))
            statuses += [r.status for r in conn.read_responses(len(batch))]
    return statuses


def _lines(server: BoltProcess, needle: str) -> list[str]:
    return [line for line in server.stderr_lines if needle in line]


def _counted(server: BoltProcess, needle: str, total: int, timeout: float = 10.0) -> tuple[list[str], list[str]]:
    """Waits until the lines naming ``needle`` (written records and summaries) account for
    ``total`` events; returns (written, summaries)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = _lines(server, needle)
        summaries = [line for line in lines if SUMMARY.search(line)]
        written = [line for line in lines if not SUMMARY.search(line)]
        held = sum(int(SUMMARY.search(s).group(1)) for s in summaries)
        if len(written) + held >= total or time.monotonic() > deadline:
            return written, summaries
        time.sleep(0.1)


def test_a_failing_route_under_load_writes_lines_per_interval_not_per_request(demo_db, driver, tmp_path):
    server = _server(tmp_path, driver, interval=1, log_level="info")
    try:
        n = 1500
        started = time.monotonic()
        statuses = _pipelined(server.port, [request_bytes("GET", "/boom")] * n)
        took = time.monotonic() - started
        assert statuses == [500] * n
        written, summaries = _counted(server, "Internal Server Error: GET /boom", n)
        held = sum(int(SUMMARY.search(s).group(1)) for s in summaries)
        assert len(written) + held == n, server.output()
        # One record per interval (1 s) that had failures, and one summary after it.
        intervals = int(took) + 2
        assert 1 <= len(written) <= intervals, (len(written), took)
        assert 1 <= len(summaries) <= intervals
        assert server.stderr.count("Traceback (most recent call last)") == len(written)
        assert all(s.startswith("ERROR django.request") for s in summaries), summaries
        # The access log (INFO, turned on by --log-level info) is never held back.
        assert len(_lines(server, '"GET /boom" 500')) == n
    finally:
        server.stop()


def test_different_failures_are_counted_apart(demo_db, driver, tmp_path):
    server = _server(tmp_path, driver, interval=1)
    try:
        reqs = [request_bytes("GET", "/boom"), request_bytes("GET", "/encode/object")] * 100
        _pipelined(server.port, reqs)
        boom_written, boom_summaries = _counted(server, "Internal Server Error: GET /boom", 100)
        enc_written, enc_summaries = _counted(server, "Internal Server Error: GET /encode/object", 100)
        assert boom_written and enc_written, server.output()
        for written, summaries in ((boom_written, boom_summaries), (enc_written, enc_summaries)):
            assert len(written) + sum(int(SUMMARY.search(s).group(1)) for s in summaries) == 100
    finally:
        server.stop()


def test_interval_zero_writes_every_failure(demo_db, driver, tmp_path):
    server = _server(tmp_path, driver, interval=0)
    try:
        _pipelined(server.port, [request_bytes("GET", "/boom")] * 20)
        deadline = time.monotonic() + 10
        while len(_lines(server, "Internal Server Error: GET /boom")) < 20 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(_lines(server, "Internal Server Error: GET /boom")) == 20
        assert not [line for line in server.stderr_lines if SUMMARY.search(line)]
    finally:
        server.stop()


def test_a_disallowed_host_is_one_warning_line(demo_db, driver, tmp_path):
    """Django's own handler (a fallthrough path) logs ``django.security.DisallowedHost`` with a
    traceback at ERROR; bolt writes it as one WARNING line, then counts the rest."""
    path = "/admin/"
    server = _server(tmp_path, driver, interval=1)
    try:
        n = 200
        reqs = [request_bytes("GET", path, host=f"bad host {i}") for i in range(n)]
        statuses = _pipelined(server.port, reqs, depth=20)
        assert statuses == [400] * n
        written, summaries = _counted(server, "django.security.DisallowedHost", n)
        held = sum(int(SUMMARY.search(s).group(1)) for s in summaries)
        assert len(written) + held == n, server.output()
        assert all(
            line.startswith("WARNING django.security.DisallowedHost: Invalid HTTP_HOST header") for line in written
        )
        assert "Traceback" not in server.stderr
        assert len(written) <= 10
    finally:
        server.stop()


BAD_HEADER_API = """
from django_bolt import BoltAPI
from django_bolt.responses import Response

api = BoltAPI(prefix="/bad")


@api.get("/header")
def bad_header() -> Response:
    return Response({"ok": True}, headers={"x-bad": "a\\r\\nInjected: yes"})
"""


def test_a_warning_rust_writes_per_request_is_written_once_per_interval(demo_db, driver, tmp_path):
    """Rust's own warnings about what the application did (here: a response header with a line
    break, dropped) are held back the same way: one line, then a count (src/app/repeats.rs)."""
    project = copy_demo(
        tmp_path / "demo", "staticfiles", settings='\nBOLT_API = ["demo.api:api", "demo.bad_api:api"]\n'
    )
    (project / "demo" / "bad_api.py").write_text(BAD_HEADER_API)
    server = BoltProcess.start(cores=1, driver=driver, cwd=project)
    try:
        statuses = _pipelined(server.port, [request_bytes("GET", "/bad/header")] * 300)
        assert statuses == [200] * 300
        time.sleep(0.5)
        lines = _lines(server, "dropped invalid response header")
        assert len(lines) == 1, server.output()
    finally:
        server.stop()
