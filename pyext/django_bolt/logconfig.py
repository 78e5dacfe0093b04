"""Request/response logging: which parts, masked how, for which requests.

>>> from django_bolt.logging import LoggingConfig
>>> api = BoltAPI(logging_config=LoggingConfig(sample_rate=0.1, min_duration_ms=250))

or, for the whole project, ``BOLT_LOGGING = LoggingConfig(...)`` (or a dict of its fields) in
settings. The fields are django-bolt 0.13's, with its defaults and meaning: records go to
``logger_name`` (``django.server``), at INFO for 1xx-3xx, WARNING for 4xx, ERROR for 5xx;
``sample_rate`` and ``min_duration_ms`` thin out the successful ones only (errors are always
logged); ``skip_paths`` and ``skip_status_codes`` are never logged. This project adds
``slow_request_ms`` (a request slower than that is logged at WARNING whatever the sampling),
``mask_fields`` (query and JSON body fields masked) and ``request_headers``/``response_headers``.

Rust decides per response whether to call Python at all: when ``logger_name`` takes neither INFO
nor WARNING nor ERROR at start-up and no slow threshold is set, no request reaches this module.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

__all__ = ["LoggingConfig"]

_MASK = "***"

#: django-bolt 0.13's defaults (sets are copied per instance).
_REQUEST_LOG_FIELDS = frozenset({"method", "path", "status_code"})
_RESPONSE_LOG_FIELDS = frozenset({"status_code"})
# django-bolt's four, and three more headers that carry credentials just as well.
_OBFUSCATE_HEADERS = frozenset(
    {
        "authorization",
        "cookie",
        "x-api-key",
        "x-auth-token",
        "set-cookie",
        "proxy-authorization",
        "x-csrftoken",
    }
)
_OBFUSCATE_COOKIES = frozenset({"sessionid", "csrftoken"})
_SKIP_PATHS = frozenset({"/health", "/ready", "/metrics"})
_MASK_FIELDS = frozenset(
    {"password", "passwd", "secret", "token", "access_token", "refresh_token", "api_key", "apikey"}
)

#: The names request_log_fields / response_log_fields may hold (django-bolt's).
REQUEST_FIELDS = frozenset({"method", "path", "status_code", "query", "headers", "body", "client_ip", "user_agent"})
RESPONSE_FIELDS = frozenset({"status_code", "duration", "size"})


def status_level(status_code: int) -> int:
    """django-bolt's level for a response: ERROR for 5xx, WARNING for 4xx, else INFO."""
    if status_code >= 500:
        return logging.ERROR
    if status_code >= 400:
        return logging.WARNING
    return logging.INFO


@dataclass(init=False)
class LoggingConfig:
    """What the request log records, for which requests, on which logger.

    >>> LoggingConfig(logger_name="myapp.api", skip_status_codes={204}, sample_rate=0.05)

    The positional order and every field before ``*`` are django-bolt 0.13's. ``mask_headers``,
    ``request_body``, ``response_body`` and ``max_body_bytes`` are this project's earlier names
    for ``obfuscate_headers``, ``log_request_body``, ``log_response_body`` and
    ``max_body_log_size``, still accepted.
    """

    logger_name: str
    request_log_fields: set[str]
    response_log_fields: set[str]
    obfuscate_headers: set[str]
    obfuscate_cookies: set[str]
    log_request_body: bool
    log_response_body: bool
    max_body_log_size: int
    log_level: str
    error_log_level: str
    exception_logging_handler: Callable[..., Any] | None
    skip_paths: set[str]
    skip_status_codes: set[int]
    sample_rate: float | None
    min_duration_ms: int | float | None
    request_headers: bool | list[str] | None
    response_headers: bool | list[str]
    mask_fields: set[str]
    slow_request_ms: float | None

    def __init__(
        self,
        logger_name: str = "django.server",
        request_log_fields: Iterable[str] | None = None,
        response_log_fields: Iterable[str] | None = None,
        obfuscate_headers: Iterable[str] | None = None,
        obfuscate_cookies: Iterable[str] | None = None,
        log_request_body: bool = False,
        log_response_body: bool = False,
        max_body_log_size: int = 1024,
        log_level: str = "INFO",
        error_log_level: str = "ERROR",
        exception_logging_handler: Callable[..., Any] | None = None,
        skip_paths: Iterable[str] | None = None,
        skip_status_codes: Iterable[int] | None = None,
        sample_rate: float | None = None,
        min_duration_ms: int | float | None = None,
        *,
        request_headers: bool | list[str] | None = None,
        response_headers: bool | list[str] = False,
        mask_fields: Iterable[str] | None = None,
        slow_request_ms: float | None = 1000.0,
        mask_headers: Iterable[str] | None = None,
        request_body: bool | None = None,
        response_body: bool | None = None,
        max_body_bytes: int | None = None,
    ) -> None:
        """Every argument is a field of the same name (see the class docstring for the four
        older names); ``None`` for a set means django-bolt's default set."""
        self.logger_name = logger_name
        self.request_log_fields = set(_REQUEST_LOG_FIELDS if request_log_fields is None else request_log_fields)
        self.response_log_fields = set(_RESPONSE_LOG_FIELDS if response_log_fields is None else response_log_fields)
        if mask_headers is not None:
            obfuscate_headers = mask_headers
        self.obfuscate_headers = {
            h.lower() for h in (_OBFUSCATE_HEADERS if obfuscate_headers is None else obfuscate_headers)
        }
        self.obfuscate_cookies = set(_OBFUSCATE_COOKIES if obfuscate_cookies is None else obfuscate_cookies)
        self.log_request_body = bool(log_request_body if request_body is None else request_body)
        self.log_response_body = bool(log_response_body if response_body is None else response_body)
        self.max_body_log_size = max_body_log_size if max_body_bytes is None else max_body_bytes
        self.log_level = log_level
        self.error_log_level = error_log_level
        self.exception_logging_handler = exception_logging_handler
        self.skip_paths = set(_SKIP_PATHS if skip_paths is None else skip_paths)
        self.skip_status_codes = set(() if skip_status_codes is None else skip_status_codes)
        self.sample_rate = sample_rate
        self.min_duration_ms = min_duration_ms
        self.request_headers = request_headers
        self.response_headers = response_headers
        self.mask_fields = {f.lower() for f in (_MASK_FIELDS if mask_fields is None else mask_fields)}
        self.slow_request_ms = slow_request_ms
        self._check()

    def _check(self) -> None:
        """Refuses values that could only be mistakes, naming the field (a silent default would
        log everything or nothing)."""
        for name, value, known in (
            ("request_log_fields", self.request_log_fields, REQUEST_FIELDS),
            ("response_log_fields", self.response_log_fields, RESPONSE_FIELDS),
        ):
            unknown = sorted(str(v) for v in value - known)
            if unknown:
                raise ValueError(f"{name}: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        rate = self.sample_rate
        if rate is not None and (
            isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.0 <= rate <= 1.0
        ):
            raise ValueError(f"sample_rate must be between 0 and 1 (or None for all), got {rate!r}")
        for name in ("min_duration_ms", "slow_request_ms"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0):
                raise ValueError(f"{name} must be a number of milliseconds (0 or more) or None, got {v!r}")
        if (
            isinstance(self.max_body_log_size, bool)
            or not isinstance(self.max_body_log_size, int)
            or self.max_body_log_size < 0
        ):
            raise ValueError(f"max_body_log_size must be a number of bytes (0 or more), got {self.max_body_log_size!r}")
        if not isinstance(logging.getLevelName(str(self.error_log_level).upper()), int):
            raise ValueError(f"error_log_level must name a logging level, got {self.error_log_level!r}")

    # -- django-bolt's methods ---------------------------------------------------------------
    def get_logger(self) -> logging.Logger:
        """The logger records go to (``logging.getLogger(logger_name)``)."""
        return logging.getLogger(self.logger_name)

    def should_log_request(self, path: str, status_code: int | None = None) -> bool:
        """False for a path in ``skip_paths`` or a status in ``skip_status_codes``.

        >>> LoggingConfig().should_log_request("/health")
        False
        """
        if path in self.skip_paths:
            return False
        return not (status_code and status_code in self.skip_status_codes)

    # -- what Rust's gate needs (read once per interpreter at start-up) ----------------------
    def _gate(self) -> tuple[float, float, float, float]:
        """(sample rate of successes, slow threshold or -1, lowest status always logged or
        65535, least duration of a logged success): the numbers Rust decides with, so that no
        request whose record the logger would drop calls into Python."""
        logger = self.get_logger()
        rate = 1.0 if self.sample_rate is None else float(self.sample_rate)
        sample = rate if logger.isEnabledFor(logging.INFO) else 0.0
        slow = -1.0 if self.slow_request_ms is None else float(self.slow_request_ms)
        if logger.isEnabledFor(logging.WARNING):
            errors_from = 400.0
        elif logger.isEnabledFor(logging.ERROR):
            errors_from = 500.0
        else:
            errors_from = 65535.0
        return sample, slow, errors_from, float(self.min_duration_ms or 0.0)

    # -- formatting (runs only for requests that are logged) ---------------------------------
    def _headers(self, which: bool | list[str], headers: list[tuple[str, str]]) -> dict[str, str]:
        wanted = None if which is True else {h.lower() for h in which}
        out: dict[str, str] = {}
        for k, v in headers:
            k = k.lower()
            if wanted is not None and k not in wanted:
                continue
            if k in self.obfuscate_headers:
                v = _MASK
            elif k == "cookie":
                v = self._cookies(v)
            out[k] = v
        return out

    def _cookies(self, header: str) -> str:
        parts = []
        for part in header.split(";"):
            name, eq, _ = part.strip().partition("=")
            parts.append(f"{name}={_MASK}" if eq and name in self.obfuscate_cookies else part.strip())
        return "; ".join(parts)

    def _mask(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: (_MASK if str(k).lower() in self.mask_fields else self._mask(v)) for k, v in value.items()}
        if isinstance(value, list):
            return [self._mask(v) for v in value]
        return value

    def _body(self, body: bytes, content_type: str) -> str:
        """The body as text, secrets masked; a body over ``max_body_log_size`` is not logged
        (as django-bolt), only its size."""
        if len(body) > self.max_body_log_size:
            return f"<{len(body)} bytes, over max_body_log_size>"
        if "json" in content_type:
            try:
                return json.dumps(self._mask(json.loads(body)), ensure_ascii=False)
            except ValueError:
                pass
        if "x-www-form-urlencoded" in content_type:
            pairs = [
                (k, _MASK if k.lower() in self.mask_fields else v)
                for k, v in parse_qsl(body.decode("latin-1"), keep_blank_values=True)
            ]
            return urlencode(pairs)
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            return f"<binary data, {len(body)} bytes>"

    def record(
        self,
        method: str,
        path: str,
        query: str,
        status: int,
        ms: float,
        client: str,
        req_headers: list[tuple[str, str]],
        req_body: bytes,
        resp_headers: list[tuple[str, str]],
        resp_body: bytes,
        slow: bool,
    ) -> None:
        """Writes one response's record (called by the worker for the requests Rust chose).

        The message is django-bolt's (``GET /items 200``, ``(12.5ms)`` with ``"duration"``),
        after ``slow request `` when slow, then the JSON of any further fields asked for; the
        fields are also the record's ``extra`` attributes (``record.status_code``...) and, all
        together, ``record.bolt``."""
        if not self.should_log_request(path, status):
            return
        level = status_level(status)
        if slow:
            level = max(level, logging.WARNING)
        logger = self.get_logger()
        if not logger.isEnabledFor(level):
            return
        fields, answer = self.request_log_fields, self.response_log_fields
        parts: list[str] = []
        data: dict[str, Any] = {}
        if "method" in fields:
            data["method"] = method
            parts.append(method)
        if "path" in fields:
            data["path"] = path
            parts.append(path)
        if "status_code" in answer:
            data["status_code"] = status
            parts.append(str(status))
        if "duration" in answer:
            data["duration_ms"] = round(ms, 2)
            parts.append(f"({data['duration_ms']}ms)")
        message = ("slow request " if slow else "") + (" ".join(parts) or f"Response: {status}")
        details: dict[str, Any] = {}
        if "size" in answer:
            details["response_size"] = len(resp_body)
        if "query" in fields and query:
            details["query"] = urlencode(
                [
                    (k, _MASK if k.lower() in self.mask_fields else v)
                    for k, v in parse_qsl(query, keep_blank_values=True)
                ]
            )
        which = self.request_headers if self.request_headers is not None else "headers" in fields
        if which:
            details["headers"] = self._headers(which, req_headers)
        if self.response_headers:
            details["response_headers"] = self._headers(self.response_headers, resp_headers)
        if self.log_request_body and req_body:
            ct = next((v for k, v in req_headers if k.lower() == "content-type"), "")
            details["body"] = self._body(req_body, ct)
        if self.log_response_body and resp_body:
            ct = next((v for k, v in resp_headers if k.lower() == "content-type"), "")
            details["response_body"] = self._body(resp_body, ct)
        if "client_ip" in fields and client:
            details["client_ip"] = _host_of(client)
        if "user_agent" in fields:
            agent = next((v for k, v in req_headers if k.lower() == "user-agent"), "")
            if agent:
                details["user_agent"] = agent
        # Only what is asked for goes in the message; "response_size" is extra-only in django-bolt.
        shown = {k: v for k, v in details.items() if k != "response_size"}
        if shown:
            message += " " + json.dumps(shown, default=str, ensure_ascii=False)
        data.update(details)
        logger.log(level, message, extra={**data, "bolt": data})


def _host_of(client: str) -> str:
    """``127.0.0.1`` of ``127.0.0.1:5000``, ``::1`` of ``[::1]:5000``."""
    host, sep, port = client.rpartition(":")
    if not sep or not port.isdigit():
        return client
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host
