"""``django_bolt.logging.middleware``: django-bolt 0.13's logging helper.

>>> from django_bolt.logging import LoggingConfig, LoggingMiddleware
>>> logs = LoggingMiddleware(LoggingConfig(logger_name="myapp.api"))
>>> logs.log_response({"method": "POST", "path": "/api/users"}, status_code=201, duration=0.05)

It is not a request-pipeline middleware (that is ``django_bolt.middleware.LoggingMiddleware``):
it writes request, response and exception records for a request described by a dict, or by a
``Request`` (anything with ``.get``). The records are django-bolt's: the logger, the level by
status, the message (``POST /api/users 201``) and the ``extra`` attributes. The server's own
request log (``BoltAPI(logging_config=...)``) writes the response records itself, in Rust's
choice of requests; this class is for logging from your own code.
"""

from __future__ import annotations

import dataclasses
import logging
import random
from typing import Any

from ..logconfig import LoggingConfig, status_level
from .config import get_default_logging_config

__all__ = ["LoggingMiddleware", "create_logging_middleware"]


class LoggingMiddleware:
    """Writes request/response/exception records as ``config`` says (its defaults when None:
    ``get_default_logging_config()``)."""

    __slots__ = ("config", "logger", "_should_time_cached", "_request_debug_enabled_cached")

    def __init__(self, config: LoggingConfig | None = None) -> None:
        self.config = get_default_logging_config() if config is None else config
        self.logger = self.config.get_logger()
        # As django-bolt: whether request records (DEBUG) and timings are wanted, decided once.
        self._request_debug_enabled_cached = self.logger.isEnabledFor(logging.DEBUG)
        self._should_time_cached = self.logger.isEnabledFor(logging.INFO) or bool(self.config.min_duration_ms)

    def obfuscate_headers(self, headers: dict[str, str]) -> dict[str, str]:
        """``headers`` with the values of ``config.obfuscate_headers`` (any case) as ``***``."""
        hidden = self.config.obfuscate_headers
        return {k: ("***" if k.lower() in hidden else v) for k, v in headers.items()}

    def obfuscate_cookies(self, cookies: dict[str, str]) -> dict[str, str]:
        """``cookies`` with the values of ``config.obfuscate_cookies`` as ``***``."""
        hidden = self.config.obfuscate_cookies
        return {k: ("***" if k in hidden else v) for k, v in cookies.items()}

    def extract_request_data(self, request: Any) -> dict[str, Any]:
        """The ``request_log_fields`` of ``request``: method, path, query, headers (obfuscated),
        body (with ``log_request_body``, up to ``max_body_log_size``), client_ip, user_agent."""
        fields = self.config.request_log_fields
        data: dict[str, Any] = {}
        if "method" in fields:
            data["method"] = request.get("method", "")
        if "path" in fields:
            data["path"] = request.get("path", "")
        if "query" in fields:
            query = request.get("query_params") or request.get("query")
            if query:
                data["query"] = query
        headers = request.get("headers") or {}
        if "headers" in fields and headers:
            data["headers"] = self.obfuscate_headers(dict(headers))
        if "body" in fields and self.config.log_request_body:
            body = request.get("body", b"")
            if body and len(body) <= self.config.max_body_log_size:
                try:
                    data["body"] = body.decode("utf-8")
                except UnicodeDecodeError:
                    data["body"] = f"<binary data, {len(body)} bytes>"
        if "client_ip" in fields:
            # A served Request knows its client (proxy-aware, BOLT_TRUSTED_PROXIES); a plain
            # dict only has what the proxy headers say.
            meta = getattr(request, "META", None)
            if meta is not None:
                client_ip = meta.get("REMOTE_ADDR", "")
            else:
                forwarded = headers.get("x-forwarded-for", "").split(",")[0].strip()
                client_ip = forwarded or headers.get("x-real-ip", "")
            if client_ip:
                data["client_ip"] = client_ip
        if "user_agent" in fields:
            agent = headers.get("user-agent", "")
            if agent:
                data["user_agent"] = agent
        return data

    def log_request(self, request: Any) -> None:
        """One DEBUG record for a request about to be handled (``POST /api/users``)."""
        path = request.get("path", "")
        if not self.config.should_log_request(path) or not self.logger.isEnabledFor(logging.DEBUG):
            return
        data = self.extract_request_data(request)
        parts = [data[k] for k in ("method", "path") if k in data]
        self.logger.log(logging.DEBUG, " ".join(parts) if parts else f"Request: {path}", extra=data)

    def log_response(
        self,
        request: Any,
        status_code: int,
        duration: float,
        response_size: int | None = None,
    ) -> None:
        """One record for a response: INFO (1xx-3xx), WARNING (4xx), ERROR (5xx).

        ``duration`` is in seconds. Successful responses are subject to ``sample_rate`` and
        ``min_duration_ms``; errors are always logged."""
        path = request.get("path", "")
        config = self.config
        if not config.should_log_request(path, status_code):
            return
        level = status_level(status_code)
        if status_code < 400:
            if not self.logger.isEnabledFor(level):
                return
            if config.sample_rate is not None and random.random() > float(config.sample_rate):
                return
            if config.min_duration_ms is not None and duration * 1000.0 < float(config.min_duration_ms):
                return
        data: dict[str, Any] = {}
        parts: list[str] = []
        if "method" in config.request_log_fields:
            data["method"] = request.get("method", "")
            parts.append(data["method"])
        if "path" in config.request_log_fields:
            data["path"] = path
            parts.append(path)
        if "status_code" in config.response_log_fields:
            data["status_code"] = status_code
            parts.append(str(status_code))
        if "duration" in config.response_log_fields:
            data["duration_ms"] = round(duration * 1000, 2)
            parts.append(f"({data['duration_ms']}ms)")
        if "size" in config.response_log_fields and response_size is not None:
            data["response_size"] = response_size
        self.logger.log(level, " ".join(parts) if parts else f"Response: {status_code}", extra=data)

    def log_exception(
        self,
        request: Any,
        exc: BaseException | None = None,
        exc_info: bool = True,
        *,
        exception: BaseException | None = None,
    ) -> None:
        """One record for an exception raised while handling ``request``, at
        ``config.error_log_level`` with its traceback (or ``config.exception_logging_handler(
        logger, request, exc, exc_info)`` instead). ``exception=`` is the name django-bolt's
        docs use for ``exc``. A ``SuspiciousOperation`` is not logged here: Django's
        ``django.security.*`` logger already has it."""
        if exc is None:
            exc = exception
        if exc is None:
            raise TypeError("log_exception() needs the exception (exc=)")
        from django.core.exceptions import SuspiciousOperation

        if isinstance(exc, SuspiciousOperation):
            return
        if self.config.exception_logging_handler is not None:
            self.config.exception_logging_handler(self.logger, request, exc, exc_info)
            return
        method, path = request.get("method", ""), request.get("path", "")
        data = {"method": method, "path": path, "exception_type": type(exc).__name__, "exception": str(exc)}
        level = logging.getLevelName(str(self.config.error_log_level).upper())
        self.logger.log(
            level if isinstance(level, int) else logging.ERROR,
            f"Exception in {method} {path}: {type(exc).__name__}: {exc}",
            extra=data,
            exc_info=(type(exc), exc, exc.__traceback__) if exc_info else None,
        )


def create_logging_middleware(
    logger_name: str | None = None, log_level: str | None = None, **kwargs: Any
) -> LoggingMiddleware:
    """A ``LoggingMiddleware`` on ``get_default_logging_config()`` with these fields changed.

    >>> create_logging_middleware(logger_name="myapp.api", skip_paths={"/health"}, sample_rate=0.1)

    A keyword that is not a ``LoggingConfig`` field is a ``TypeError`` (django-bolt ignores it).
    """
    changes = dict(kwargs)
    if logger_name:
        changes["logger_name"] = logger_name
    if log_level:
        changes["log_level"] = log_level
    config = get_default_logging_config()
    return LoggingMiddleware(dataclasses.replace(config, **changes) if changes else config)
