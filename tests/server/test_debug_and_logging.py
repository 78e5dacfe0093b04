"""DEBUG error pages and the access log, each on a server started for the purpose."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from support.boltproc import BoltProcess
from support.paths import PROJECTS
from support.projects import copy_project
from support.wire import Conn, fetch

LOGSAMPLE = PROJECTS / "logsample"


@pytest.fixture
def debug_server(demo_db, driver):
    server = BoltProcess.start(cores=1, driver=driver, env={"DEMO_DEBUG": "1"})
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
    server.wait_log("Internal Server Error: GET /boom")
    assert "ERROR django.request: Internal Server Error: GET /boom" in server.stderr
    assert "ValueError: this handler always fails" in server.stderr


def test_access_log_at_info_level(demo_db, driver):
    server = BoltProcess.start(cores=1, driver=driver, log_level="info")
    try:
        assert fetch(server.port, "GET", "/items/7?q=x").status == 200
        server.wait_log('"GET /items/7?q=x" 200')
        assert '"GET /items/7?q=x" 200' in server.stderr
    finally:
        server.stop()


def test_no_access_log_at_the_default_level(server):
    assert fetch(server.port, "GET", "/hello").status == 200
    time.sleep(0.2)
    assert '"GET /hello"' not in server.stderr


@pytest.fixture
def request_log_server(demo_db, driver):
    server = BoltProcess.start(cores=1, driver=driver, log_level="info", env={"DEMO_REQUEST_LOG": "1"})
    yield server
    server.stop()


def test_request_log_masks_secrets_and_keeps_the_rest(request_log_server):
    s = request_log_server
    resp = fetch(
        s.port,
        "POST",
        "/items?token=abc&page=2",
        headers=[("Authorization", "Bearer sekrit"), ("Content-Type", "application/json")],
        body=b'{"name": "pen", "price": 1.5, "password": "hunter2", "extra": {"api_key": "k"}}',
    )
    assert resp.status == 200
    s.wait_log("POST /items 200")
    line = next(l for l in s.stderr.splitlines() if "POST /items 200" in l)
    assert "sekrit" not in line and "hunter2" not in line and '\\"k\\"' not in line and "abc" not in line, line
    assert '"authorization": "***"' in line
    assert '\\"password\\": \\"***\\"' in line and '\\"name\\": \\"pen\\"' in line, line
    assert "page=2" in line


def test_slow_requests_are_logged_as_warnings(request_log_server):
    s = request_log_server
    assert fetch(s.port, "GET", "/sleep?ms=80").status == 200
    s.wait_log("slow request GET /sleep")
    assert "WARNING django_bolt.request: slow request GET /sleep 200" in s.stderr


# ----------------------------------------------------------------------------------------------
# Sampling: LoggingConfig(sample_rate=...) from BoltAPI(logging_config=...) or BOLT_LOGGING


def _sampled_server(project: Path, driver: str, n: int = 400, log_level: str = "info") -> BoltProcess:
    """Sends ``n`` GET /sampled on one connection to a server in ``project``; returns it stopped
    (so every record it wrote is in its stderr)."""
    server = BoltProcess.start(cores=1, driver=driver, cwd=project, log_level=log_level)
    try:
        with Conn(server.port) as conn:
            for i in range(n):
                assert conn.request("GET", f"/sampled?n={i}").status == 200
    finally:
        assert server.stop() == 0
    return server


def _request_log_records(project: Path, driver: str, n: int = 400) -> int:
    """How many of ``n`` requests the request log (``django_bolt.request``) recorded at
    ``--log-level info``."""
    server = _sampled_server(project, driver, n)
    assert server.stderr.count('"GET /sampled?n=') == n, server.output()  # the access log has them all
    return server.stderr.count("django_bolt.request: GET /sampled 200")


def test_request_log_samples_the_fraction_set_on_the_api(driver):
    """The project sets no BOLT_LOGGING; its API says sample_rate=0.25: about 100 of 400."""
    logged = _request_log_records(LOGSAMPLE, driver)
    assert 50 <= logged <= 160, f"{logged} of 400 requests logged at sample_rate 0.25"


@pytest.mark.parametrize(("rate", "expected"), [(0.0, 0), (1.0, 400)])
def test_bolt_logging_setting_wins_over_the_api_and_sets_the_rate(tmp_path, driver, rate, expected):
    project = copy_project(
        "logsample",
        tmp_path / "logsample",
        settings=f"BOLT_LOGGING = {{'logger_name': 'django_bolt.request', 'sample_rate': {rate}, 'slow_request_ms': None}}\n",
    )
    assert _request_log_records(project, driver) == expected


def test_enable_logging_false_keeps_an_api_out_of_the_access_and_request_logs(tmp_path, driver):
    """``BoltAPI(enable_logging=False)`` (django-bolt's switch): none of its requests is in the
    access log or the request log, while the other API's all are; its handler's exception is
    still logged."""
    project = copy_project(
        "logsample",
        tmp_path / "logsample",
        settings="BOLT_LOGGING = {'logger_name': 'django_bolt.request', 'sample_rate': 1.0, 'slow_request_ms': None}\n"
        # Django's default LOGGING writes django.request's errors nowhere when DEBUG is off.
        "LOGGING = {'version': 1, 'disable_existing_loggers': False,\n"
        "  'handlers': {'err': {'class': 'logging.StreamHandler'}},\n"
        "  'loggers': {'django.request': {'handlers': ['err'], 'level': 'ERROR'}}}\n",
    )
    server = BoltProcess.start(cores=1, driver=driver, cwd=project, log_level="info")
    try:
        with Conn(server.port) as conn:
            for i in range(20):
                assert conn.request("GET", f"/quiet/sampled?n={i}").status == 200
                assert conn.request("GET", f"/sampled?n={i}").status == 200
            assert conn.request("GET", "/quiet/fails").status == 500
    finally:
        assert server.stop() == 0
    err = server.stderr
    assert err.count('"GET /sampled?n=') == 20, server.output()
    assert err.count("django_bolt.request: GET /sampled 200") == 20, server.output()
    assert "/quiet/sampled" not in err, server.output()
    assert '"GET /quiet/fails"' not in err and "django_bolt.request: GET /quiet" not in err, server.output()
    assert "quiet route failed" in err, server.output()
    # Nor is its exception in the request log's logger (django-bolt logs it there for other APIs).
    assert "Exception in GET /quiet/fails" not in err, server.output()


@pytest.mark.parametrize(("log_level", "calls"), [("warning", 0), ("info", 50)])
def test_rust_never_calls_the_request_log_while_it_is_disabled(tmp_path, driver, log_level, calls):
    """With the request logger off (--log-level warning) and no slow threshold, no request reaches
    Python's LoggingConfig.record at all; at info every one does (sample_rate 1)."""
    project = copy_project(
        "logsample",
        tmp_path / "logsample",
        settings="from site_logsample.counting import CountingConfig\n"
        "BOLT_LOGGING = CountingConfig(logger_name='django_bolt.request', sample_rate=1.0, slow_request_ms=None)\n",
    )
    server = _sampled_server(project, driver, n=50, log_level=log_level)
    assert server.stderr.count("counting: record called") == calls, server.output()


# ----------------------------------------------------------------------------------------------
# django-bolt 0.13's LoggingConfig on a served project: levels by status, errors never sampled
# away, the exception record, the default logger (django.server).


def _run(project: Path, driver: str, requests: list[str], log_level: str = "info") -> BoltProcess:
    """Sends each ``GET path`` on one connection; returns the server stopped."""
    server = BoltProcess.start(cores=1, driver=driver, cwd=project, log_level=log_level)
    try:
        with Conn(server.port) as conn:
            for path in requests:
                conn.request("GET", path)
    finally:
        assert server.stop() == 0
    return server


def test_errors_are_logged_whatever_the_sampling_at_their_level(tmp_path, driver):
    project = copy_project(
        "logsample",
        tmp_path / "logsample",
        settings="BOLT_LOGGING = {'logger_name': 'django_bolt.request', 'sample_rate': 0.0, 'slow_request_ms': None}\n",
    )
    server = _run(project, driver, ["/sampled"] * 20 + ["/nope"] * 3 + ["/fails"])
    err = server.stderr
    assert "django_bolt.request: GET /sampled" not in err, server.output()
    assert err.count("WARNING django_bolt.request: GET /nope 404") == 3, server.output()
    assert err.count("ERROR django_bolt.request: GET /fails 500") == 1, server.output()
    # django-bolt's exception record, on the config's logger, with the traceback.
    assert "ERROR django_bolt.request: Exception in GET /fails: RuntimeError: logged route failed" in err
    assert 'raise RuntimeError("logged route failed")' in err, server.output()


def test_skip_status_codes_and_min_duration_ms_on_a_server(tmp_path, driver):
    project = copy_project(
        "logsample",
        tmp_path / "logsample",
        settings="BOLT_LOGGING = {'logger_name': 'django_bolt.request', 'skip_status_codes': {404},\n"
        "    'min_duration_ms': 60000, 'slow_request_ms': None}\n",
    )
    server = _run(project, driver, ["/sampled"] * 5 + ["/nope"] * 2 + ["/fails"])
    err = server.stderr
    assert '"GET /sampled' in err and '"GET /nope' in err, server.output()  # the access log has them
    assert "django_bolt.request: GET /sampled" not in err, server.output()  # faster than 60 s
    assert "django_bolt.request: GET /nope" not in err, server.output()  # a skipped status
    assert err.count("ERROR django_bolt.request: GET /fails 500") == 1, server.output()


def test_the_default_logger_is_django_server(tmp_path, driver):
    """LoggingConfig() writes to ``django.server``, as django-bolt 0.13's: with Django's default
    LOGGING its handler prints ``[time] GET /sampled 200`` whatever ``--log-level`` says."""
    project = copy_project("logsample", tmp_path / "logsample", settings="BOLT_LOGGING = {'slow_request_ms': None}\n")
    server = _run(project, driver, ["/sampled"] * 10, log_level="warning")
    assert server.stderr.count("] GET /sampled 200\n") == 10, server.output()


@pytest.mark.parametrize(("log_level", "calls"), [("error", 1), ("warning", 4)])
def test_rust_calls_the_request_log_for_errors_only_when_the_logger_takes_them(tmp_path, driver, log_level, calls):
    """At ``error`` the logger takes 5xx records only: the 404s never reach Python; at
    ``warning`` both do; successes at neither (sample_rate needs INFO)."""
    project = copy_project(
        "logsample",
        tmp_path / "logsample",
        settings="from site_logsample.counting import CountingConfig\n"
        "BOLT_LOGGING = CountingConfig(logger_name='django_bolt.request', slow_request_ms=None)\n",
    )
    server = _run(project, driver, ["/sampled"] * 10 + ["/nope"] * 3 + ["/fails"], log_level=log_level)
    assert server.stderr.count("counting: record called") == calls, server.output()
