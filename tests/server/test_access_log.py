"""The access log written by Rust, batched off the request path (src/app/access.rs): the same
line Python's default handler wrote, every line of a loaded server arrives in order per
connection, the last ones are written at SIGTERM, and a project's own access handler still gets
its records through Python logging."""

from __future__ import annotations

import datetime
import re
import signal
import threading
from pathlib import Path

import pytest

from support.boltproc import BoltProcess
from support.projects import copy_demo, copy_project
from support.wire import Conn

LINE = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),\d{3} INFO django_bolt\.access: "
    r'127\.0\.0\.1:\d+ "GET /hello\?line=1" 200 27 \d+\.\d\dms$'
)
ENTRY = re.compile(r'"GET /hello\?c=(\d+)&i=(\d+)" 200 27 ')


def test_the_line_is_the_default_handlers_format_in_local_time(demo_db, tmp_path, driver):
    # logging's asctime is local time (time.localtime), and Django sets the process's TZ to
    # TIME_ZONE: Kolkata is UTC+05:30 all year, so a line in UTC would be 5.5 hours off.
    if not Path("/usr/share/zoneinfo/Asia/Kolkata").exists():
        pytest.skip("no tz database")
    project = copy_demo(tmp_path / "demo", settings="TIME_ZONE = 'Asia/Kolkata'\n")
    server = BoltProcess.start(cores=1, driver=driver, cwd=project, log_level="info")
    try:
        sent = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + datetime.timedelta(hours=5, minutes=30)
        with Conn(server.port) as c:
            assert c.request("GET", "/hello?line=1").status == 200
        assert server.wait_log('"GET /hello?line=1"'), server.output()
    finally:
        assert server.stop() == 0
    lines = [ln for ln in server.stderr.splitlines() if "/hello?line=1" in ln]
    assert len(lines) == 1, server.output()
    m = LINE.match(lines[0])
    assert m, lines[0]
    stamp = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S")
    assert abs((stamp - sent).total_seconds()) <= 5, (lines[0], sent)


def test_lines_under_load_all_arrive_in_order_and_the_last_at_sigterm(demo_db, driver):
    """8 keep-alive connections x 150 requests on two cores; SIGTERM as soon as the last answer
    is read, while the last lines still wait for the writer's next batch."""
    conns, per_conn = 8, 150
    server = BoltProcess.start(cores=2, driver=driver, log_level="info")
    failures: list[str] = []

    def client(k: int) -> None:
        try:
            with Conn(server.port) as c:
                for i in range(per_conn):
                    status = c.request("GET", f"/hello?c={k}&i={i}").status
                    if status != 200:
                        failures.append(f"conn {k} request {i}: {status}")
        except Exception as e:  # noqa: BLE001 - reported below with the server's output
            failures.append(f"conn {k}: {e!r}")

    threads = [threading.Thread(target=client, args=(k,)) for k in range(conns)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        code = server.stop(signal.SIGTERM)
    assert not failures, failures
    assert code == 0, server.output()
    seen: dict[int, list[int]] = {k: [] for k in range(conns)}
    for ln in server.stderr.splitlines():
        m = ENTRY.search(ln)
        if m:
            seen[int(m.group(1))].append(int(m.group(2)))
    for k, got in seen.items():
        assert got == list(range(per_conn)), f"connection {k}: {len(got)} lines, first wrong at " + str(
            next((i for i, (a, b) in enumerate(zip(got, range(per_conn))) if a != b), len(got))
        )


def test_a_projects_own_access_handler_still_gets_python_records(tmp_path, driver):
    """LOGGING gives django_bolt.access a handler of its own: Rust must not write the line
    itself, the project's formatter decides it."""
    project = copy_project(
        "logsample",
        tmp_path / "logsample",
        settings=(
            "LOGGING = {'version': 1, 'disable_existing_loggers': False,\n"
            "  'formatters': {'mine': {'format': 'MINE %(name)s %(message)s'}},\n"
            "  'handlers': {'err': {'class': 'logging.StreamHandler', 'formatter': 'mine'}},\n"
            "  'loggers': {'django_bolt.access': {'handlers': ['err'], 'propagate': False}}}\n"
        ),
    )
    server = BoltProcess.start(cores=1, driver=driver, cwd=project, log_level="info")
    try:
        with Conn(server.port) as c:
            assert c.request("GET", "/sampled?n=1").status == 200
        assert server.wait_log('"GET /sampled?n=1"'), server.output()
    finally:
        assert server.stop() == 0
    lines = [ln for ln in server.stderr.splitlines() if '"GET /sampled?n=1"' in ln]
    assert len(lines) == 1 and lines[0].startswith("MINE django_bolt.access 127.0.0.1:"), lines
