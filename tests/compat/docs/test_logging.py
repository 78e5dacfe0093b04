"""The examples of django-bolt 0.13's logging page (docs/src/topics/logging.md), each as written
there, with what its text says checked on the records it writes.

Where the page's code could not run as written: the exception example's ``try`` holds only
``pass`` (``# handler code``), so here it raises; ``sentry_sdk`` is never defined on the page
(``# defined:``). ``log_exception(exception=e)`` is the page's spelling: django-bolt 0.13 itself
takes ``exc``, here both work. Not ported: the ``LOGGING`` settings blocks (settings, applied by
Django) and the access-log section (this project's access log is ``django_bolt.access`` at
``--log-level info``: README, "Logging"). The same records from a served API are tested in
``test_records_of_a_served_api`` below and over a real server in
tests/server/test_debug_and_logging.py.
"""

from __future__ import annotations

import logging

import pytest

from django_bolt import BoltAPI
from django_bolt.exceptions import HTTPException
from django_bolt.testing import TestClient


@pytest.fixture
def records(caplog):
    """The records of ``myapp.api`` (every level), the logger most of the page's examples use."""
    caplog.set_level(logging.DEBUG, logger="myapp.api")
    return lambda: [r for r in caplog.records if r.name == "myapp.api"]


def test_quick_start():
    from django_bolt.logging import create_logging_middleware

    middleware = create_logging_middleware()

    from django_bolt.logging import LoggingMiddleware

    assert isinstance(middleware, LoggingMiddleware)
    assert middleware.logger.name == "django.server"


def test_quick_start_with_options(records):
    from django_bolt.logging import LoggingConfig, LoggingMiddleware

    config = LoggingConfig(
        logger_name="myapp.api",
        skip_paths={"/health", "/metrics"},
        sample_rate=0.1,  # Log 10% of successful requests
    )
    middleware = LoggingMiddleware(config)

    for _ in range(200):
        middleware.log_response({"method": "GET", "path": "/api/users"}, status_code=200, duration=0.01)
    middleware.log_response({"method": "GET", "path": "/metrics"}, status_code=500, duration=0.01)
    logged = len(records())
    assert 2 <= logged <= 50, f"{logged} of 200 logged at sample_rate 0.1"  # and never /metrics
    middleware.log_response({"method": "GET", "path": "/api/users"}, status_code=500, duration=0.01)
    assert records()[-1].levelname == "ERROR", "errors are not sampled"


def test_basic_options():
    from django_bolt.logging import LoggingConfig

    config = LoggingConfig(
        # Logger name (default: "django.server")
        logger_name="myapp.api",
        # Log level (default: "INFO")
        log_level="DEBUG",
        # Skip these paths (default includes health checks)
        skip_paths={"/health", "/ready", "/metrics"},
        # Skip these status codes
        skip_status_codes={204, 304},
    )

    assert LoggingConfig().logger_name == "django.server" and LoggingConfig().log_level == "INFO"
    assert {"/health", "/ready", "/metrics"} <= LoggingConfig().skip_paths
    assert config.get_logger().name == "myapp.api"
    assert not config.should_log_request("/ready") and not config.should_log_request("/api", 304)
    assert config.should_log_request("/api", 200)


def test_request_logging_fields(records):
    from django_bolt.logging import LoggingConfig, LoggingMiddleware

    config = LoggingConfig(
        request_log_fields={
            "method",  # HTTP method
            "path",  # Request path
            "query",  # Query parameters
            "headers",  # Request headers (obfuscated)
            "body",  # Request body
            "client_ip",  # Client IP address
            "user_agent",  # User agent string
        }
    )

    assert LoggingConfig().request_log_fields == {"method", "path", "status_code"}  # "Default: ..."
    config.logger_name = "myapp.api"
    config.log_request_body = True
    request = {
        "method": "POST",
        "path": "/api/users",
        "query_params": {"page": "2"},
        "headers": {"authorization": "Bearer t", "user-agent": "curl/8", "x-real-ip": "10.1.2.3"},
        "body": b'{"name": "ann"}',
    }
    LoggingMiddleware(config).log_request(request)
    (record,) = records()
    assert (record.levelname, record.getMessage()) == ("DEBUG", "POST /api/users")
    assert record.query == {"page": "2"} and record.body == '{"name": "ann"}'
    assert record.headers == {"authorization": "***", "user-agent": "curl/8", "x-real-ip": "10.1.2.3"}
    assert (record.client_ip, record.user_agent) == ("10.1.2.3", "curl/8")


def test_response_logging_fields(records):
    from django_bolt.logging import LoggingConfig, LoggingMiddleware

    config = LoggingConfig(
        response_log_fields={
            "status_code",  # HTTP status code
            "duration",  # Response time in ms
            "size",  # Response size in bytes
        }
    )

    config.logger_name = "myapp.api"
    LoggingMiddleware(config).log_response({"method": "GET", "path": "/a"}, 200, 0.0123, response_size=42)
    (record,) = records()
    assert record.getMessage() == "GET /a 200 (12.3ms)"
    assert (record.status_code, record.duration_ms, record.response_size) == (200, 12.3, 42)


def test_header_obfuscation():
    from django_bolt.logging import LoggingConfig, LoggingMiddleware

    config = LoggingConfig(
        obfuscate_headers={
            "authorization",
            "cookie",
            "x-api-key",
            "x-auth-token",
        }
    )

    # "These headers appear as "***" in logs"
    shown = LoggingMiddleware(config).obfuscate_headers(
        {"Authorization": "Bearer t", "content-type": "application/json", "X-Api-Key": "k"}
    )
    assert shown == {"Authorization": "***", "content-type": "application/json", "X-Api-Key": "***"}


def test_cookie_obfuscation():
    from django_bolt.logging import LoggingConfig, LoggingMiddleware

    config = LoggingConfig(
        obfuscate_cookies={
            "sessionid",
            "csrftoken",
        }
    )

    cookies = LoggingMiddleware(config).obfuscate_cookies({"sessionid": "s3cr3t", "theme": "dark"})
    assert cookies == {"sessionid": "***", "theme": "dark"}


def test_request_body_logging(records):
    from django_bolt.logging import LoggingConfig

    config = LoggingConfig(
        log_request_body=True,
        max_body_log_size=1000,  # Skip bodies larger than 1KB
    )

    from django_bolt.logging import LoggingMiddleware

    # django-bolt logs the body only when "body" is also one of the request_log_fields.
    config.request_log_fields = {"method", "path", "body"}
    config.logger_name = "myapp.api"
    middleware = LoggingMiddleware(config)
    middleware.log_request({"method": "POST", "path": "/api/upload", "body": b"\xff" * 1000})
    middleware.log_request({"method": "POST", "path": "/api/upload", "body": b"x" * 1001})
    first, second = records()
    assert first.body == "<binary data, 1000 bytes>"  # "Binary data is logged as size information"
    assert not hasattr(second, "body")  # over max_body_log_size: skipped


def test_production_settings(records):
    from django_bolt.logging import LoggingConfig

    config = LoggingConfig(
        # Only log 5% of successful requests
        sample_rate=0.05,
        # Only log requests taking longer than 250ms
        min_duration_ms=250,
    )

    from django_bolt.logging import LoggingMiddleware

    config.logger_name = "myapp.api"
    middleware = LoggingMiddleware(config)
    for _ in range(100):
        middleware.log_response({"method": "GET", "path": "/fast"}, 200, 0.1)  # under 250 ms
    assert records() == []
    # "Errors (4xx, 5xx) are always logged regardless of sampling or duration settings."
    middleware.log_response({"method": "GET", "path": "/fast"}, 404, 0.001)
    middleware.log_response({"method": "GET", "path": "/fast"}, 503, 0.001)
    assert [(r.levelname, r.getMessage()) for r in records()] == [
        ("WARNING", "GET /fast 404"),
        ("ERROR", "GET /fast 503"),
    ]


def test_sample_rate_and_minimum_duration(records):
    from django_bolt.logging import LoggingConfig, LoggingMiddleware

    # Log only 5% of successful requests
    config = LoggingConfig(sample_rate=0.05)
    assert LoggingConfig().sample_rate is None  # "1.0 = Log all requests (default)"

    # Only log requests taking > 250ms
    config = LoggingConfig(min_duration_ms=250)

    config.logger_name = "myapp.api"
    middleware = LoggingMiddleware(config)
    middleware.log_response({"method": "GET", "path": "/a"}, 200, 0.1)  # "completes in 100ms won't be logged"
    middleware.log_response({"method": "GET", "path": "/a"}, 200, 0.3)
    assert [r.getMessage() for r in records()] == ["GET /a 200"]


@pytest.mark.parametrize(
    ("status", "level"), [(200, "INFO"), (301, "INFO"), (404, "WARNING"), (422, "WARNING"), (500, "ERROR")]
)
def test_log_levels_follow_the_status(records, status, level):
    from django_bolt.logging import LoggingConfig, LoggingMiddleware

    LoggingMiddleware(LoggingConfig(logger_name="myapp.api")).log_response({"path": "/x"}, status, 0.01)
    assert [r.levelname for r in records()] == [level]


def test_using_with_handlers(records):
    from django_bolt import BoltAPI
    from django_bolt.logging import LoggingConfig, LoggingMiddleware

    config = LoggingConfig(
        logger_name="myapp.api",
        skip_paths={"/health"},
    )
    middleware = LoggingMiddleware(config)

    # Log request
    middleware.log_request(
        {
            "method": "POST",
            "path": "/api/users",
            "headers": {"content-type": "application/json"},
        }
    )

    # Log response
    middleware.log_response(
        request={"method": "POST", "path": "/api/users"},
        status_code=201,
        duration=0.05,  # seconds
    )

    assert BoltAPI  # imported by the page
    assert [(r.levelname, r.getMessage()) for r in records()] == [
        ("DEBUG", "POST /api/users"),
        ("INFO", "POST /api/users 201"),
    ]
    assert (records()[1].method, records()[1].path, records()[1].status_code) == ("POST", "/api/users", 201)


def test_exception_logging(records):
    from django_bolt.logging import LoggingConfig, LoggingMiddleware

    middleware = LoggingMiddleware(LoggingConfig(logger_name="myapp.api"))

    try:
        # handler code
        raise ValueError("no such user")
    except Exception as e:
        middleware.log_exception(
            request={"method": "GET", "path": "/api/error"},
            exception=e,
            exc_info=True,  # Include traceback
        )

    (record,) = records()
    assert (record.levelname, record.getMessage()) == ("ERROR", "Exception in GET /api/error: ValueError: no such user")
    assert record.exc_info[0] is ValueError and record.exception_type == "ValueError"


def test_custom_exception_handler(records):
    from django_bolt.logging import LoggingConfig, LoggingMiddleware

    captured = []

    class sentry_sdk:  # defined: the page never defines it
        capture_exception = captured.append

    def my_exception_handler(logger, request, exception, exc_info):
        # Send to error tracking service
        sentry_sdk.capture_exception(exception)
        # Still log it
        logger.error(f"Exception: {exception}", exc_info=exc_info)

    config = LoggingConfig(exception_logging_handler=my_exception_handler)

    config.logger_name = "myapp.api"
    error = RuntimeError("boom")
    LoggingMiddleware(config).log_exception({"method": "GET", "path": "/x"}, error)
    assert captured == [error]
    assert [r.getMessage() for r in records()] == ["Exception: boom"]


def test_client_ip_extraction(records):
    from django_bolt.logging import LoggingConfig, LoggingMiddleware

    config = LoggingConfig(request_log_fields={"method", "path", "client_ip"})

    config.logger_name = "myapp.api"
    middleware = LoggingMiddleware(config)
    forwarded = {"x-forwarded-for": "192.168.1.1, 10.0.0.1", "x-real-ip": "10.9.9.9"}
    middleware.log_request({"method": "GET", "path": "/api/users", "headers": forwarded})
    middleware.log_request({"method": "GET", "path": "/api/users", "headers": {"x-real-ip": "10.9.9.9"}})
    assert [r.client_ip for r in records()] == ["192.168.1.1", "10.9.9.9"]


def test_queue_based_logging_is_accepted():
    from django_bolt.logging.config import setup_django_logging

    handlers = list(logging.getLogger().handlers)
    # Called automatically by runbolt
    setup_django_logging()

    # Here bolt sets logging up at start-up itself; the call leaves the handlers alone.
    assert logging.getLogger().handlers == handlers


def test_complete_production_setup():
    from django_bolt import BoltAPI
    from django_bolt.logging import LoggingConfig, create_logging_middleware

    api = BoltAPI()

    # Production logging config
    config = LoggingConfig(
        logger_name="myapp.api",
        # Performance: Don't log every request
        sample_rate=0.1,  # Log 10% of successful requests
        min_duration_ms=100,  # Only log requests > 100ms
        # Skip noisy paths
        skip_paths={"/health", "/ready", "/metrics", "/favicon.ico"},
        skip_status_codes={204, 304},
        # Request logging
        request_log_fields={"method", "path", "client_ip", "user_agent"},
        # Response logging
        response_log_fields={"status_code", "duration"},
        # Security
        obfuscate_headers={"authorization", "cookie", "x-api-key"},
        obfuscate_cookies={"sessionid", "csrftoken", "jwt"},
        # Body logging (careful in production)
        log_request_body=False,
    )

    middleware = create_logging_middleware(
        logger_name=config.logger_name,
        skip_paths=config.skip_paths,
        sample_rate=config.sample_rate,
    )

    assert isinstance(api, BoltAPI)
    assert middleware.config.logger_name == "myapp.api" and middleware.config.sample_rate == 0.1
    assert "/favicon.ico" in middleware.config.skip_paths
    with pytest.raises(TypeError, match="sample_rat"):
        create_logging_middleware(sample_rat=0.1)  # django-bolt would ignore the typo


def test_checking_log_configuration():
    from django_bolt.logging import LoggingConfig

    config = LoggingConfig()

    # Check if a path should be logged
    assert config.should_log_request("/api/users") is True  # True
    assert config.should_log_request("/health") is False  # False

    # Check with status code
    assert config.should_log_request("/api/users", 204) is True  # False if 204 in skip_status_codes

    # Get the logger
    logger = config.get_logger()

    assert logger is logging.getLogger("django.server")


# ---------------------------------------------------------------------------------------------
# The same records from a served API (BoltAPI(logging_config=...)), through the test client.


def _served(config) -> BoltAPI:
    api = BoltAPI(logging_config=config)

    @api.get("/ok")
    async def ok() -> dict:
        return {"ok": True}

    @api.get("/missing")
    async def missing() -> dict:
        raise HTTPException(404, "no such thing")

    @api.get("/boom")
    async def boom() -> dict:
        raise ValueError("handler failed")

    @api.get("/health-like")
    async def health_like() -> dict:
        return {}

    return api


def test_records_of_a_served_api(records, demo_apis):
    from django_bolt.logging import LoggingConfig

    config = LoggingConfig(logger_name="myapp.api", response_log_fields={"status_code", "size"})
    with TestClient(_served(config), raise_server_exceptions=False) as client:
        assert client.get("/ok").status_code == 200
        assert client.get("/missing").status_code == 404
        assert client.get("/boom").status_code == 500
    got = [(r.levelname, r.getMessage()) for r in records()]
    assert got == [
        ("INFO", "GET /ok 200"),
        ("WARNING", "GET /missing 404"),
        ("ERROR", "Exception in GET /boom: ValueError: handler failed"),
        ("ERROR", "GET /boom 500"),
    ], got
    ok = records()[0]
    assert (ok.method, ok.path, ok.status_code, ok.response_size) == ("GET", "/ok", 200, len(b'{"ok":true}'))
    assert records()[2].exc_info[0] is ValueError


def test_a_served_api_never_samples_errors_away(records, demo_apis):
    from django_bolt.logging import LoggingConfig

    config = LoggingConfig(logger_name="myapp.api", sample_rate=0.0, skip_paths={"/health-like"})
    with TestClient(_served(config), raise_server_exceptions=False) as client:
        for path in ("/ok", "/health-like", "/missing", "/ok"):
            client.get(path)
    assert [r.getMessage() for r in records()] == ["GET /missing 404"]


def test_a_served_api_skips_status_codes_and_fast_successes(records, demo_apis):
    from django_bolt.logging import LoggingConfig

    config = LoggingConfig(logger_name="myapp.api", skip_status_codes={404}, min_duration_ms=60_000)
    with TestClient(_served(config), raise_server_exceptions=False) as client:
        for path in ("/ok", "/missing", "/boom"):
            client.get(path)
    assert [r.getMessage() for r in records()] == [
        "Exception in GET /boom: ValueError: handler failed",
        "GET /boom 500",
    ]


def test_this_projects_older_field_names_still_work():
    from django_bolt.logging import LoggingConfig

    old = LoggingConfig(mask_headers={"X-Secret"}, request_body=True, response_body=True, max_body_bytes=10)
    assert old.obfuscate_headers == {"x-secret"}
    assert (old.log_request_body, old.log_response_body, old.max_body_log_size) == (True, True, 10)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sample_rate": 1.5}, "sample_rate must be between 0 and 1"),
        ({"min_duration_ms": -1}, "min_duration_ms must be a number of milliseconds"),
        ({"request_log_fields": {"method", "paht"}}, "request_log_fields: unknown field"),
        ({"response_log_fields": {"duration_ms"}}, "response_log_fields: unknown field"),
        ({"error_log_level": "LOUD"}, "error_log_level must name a logging level"),
    ],
)
def test_a_config_that_can_only_be_a_mistake_is_refused(kwargs, message):
    from django_bolt.logging import LoggingConfig

    with pytest.raises(ValueError, match=message):
        LoggingConfig(**kwargs)
