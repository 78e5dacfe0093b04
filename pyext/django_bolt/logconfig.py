"""Request/response logging: which parts, masked how, for which requests.

>>> from django_bolt import LoggingConfig
>>> api = BoltAPI(logging_config=LoggingConfig(request_body=True, sample_rate=0.1, slow_request_ms=500))

or, for the whole project, ``BOLT_LOGGING = LoggingConfig(...)`` in settings. Records go to the
``django_bolt.request`` logger (INFO; slow requests at WARNING). When that logger is disabled
at start-up and no slow threshold is set, Rust never calls into Python for it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

__all__ = ["LoggingConfig"]

_MASK = "***"


@dataclass
class LoggingConfig:
    """What to log about each request (see the module docstring)."""

    logger_name: str = "django_bolt.request"
    #: ``True`` for every header, or a list of header names to include.
    request_headers: bool | list[str] = True
    response_headers: bool | list[str] = False
    request_body: bool = False
    response_body: bool = False
    #: Bodies are cut to this many bytes.
    max_body_bytes: int = 2048
    #: Header values replaced by ``***`` (case-insensitive).
    mask_headers: set[str] = field(
        default_factory=lambda: {
            "authorization",
            "cookie",
            "set-cookie",
            "proxy-authorization",
            "x-api-key",
            "x-csrftoken",
        }
    )
    #: Query and JSON body fields whose values are replaced by ``***``, at any depth.
    mask_fields: set[str] = field(
        default_factory=lambda: {
            "password",
            "passwd",
            "secret",
            "token",
            "access_token",
            "refresh_token",
            "api_key",
            "apikey",
        }
    )
    #: Fraction of requests logged at INFO (0.0 to 1.0).
    sample_rate: float = 1.0
    #: Requests slower than this are always logged, at WARNING; ``None`` turns that off.
    slow_request_ms: float | None = 1000.0
    skip_paths: set[str] = field(default_factory=lambda: {"/health", "/ready"})

    def __post_init__(self) -> None:
        if not 0.0 <= self.sample_rate <= 1.0:
            raise ValueError(f"sample_rate must be between 0 and 1, got {self.sample_rate}")
        if self.slow_request_ms is not None and self.slow_request_ms < 0:
            raise ValueError("slow_request_ms must be positive or None")
        self.mask_headers = {h.lower() for h in self.mask_headers}
        self.mask_fields = {f.lower() for f in self.mask_fields}

    # -- formatting (runs only for requests that are logged) ---------------------------------
    def _headers(self, which: bool | list[str], headers: list[tuple[str, str]]) -> dict[str, str] | None:
        if not which:
            return None
        wanted = None if which is True else {h.lower() for h in which}
        out: dict[str, str] = {}
        for k, v in headers:
            k = k.lower()
            if wanted is not None and k not in wanted:
                continue
            out[k] = _MASK if k in self.mask_headers else v
        return out

    def _mask(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: (_MASK if str(k).lower() in self.mask_fields else self._mask(v)) for k, v in value.items()}
        if isinstance(value, list):
            return [self._mask(v) for v in value]
        return value

    def _body(self, body: bytes, content_type: str) -> str:
        cut = body[: self.max_body_bytes]
        if "json" in content_type:
            try:
                return json.dumps(self._mask(json.loads(body)))[: self.max_body_bytes]
            except ValueError:
                pass
        if "x-www-form-urlencoded" in content_type:
            pairs = [
                (k, _MASK if k.lower() in self.mask_fields else v)
                for k, v in parse_qsl(body.decode("latin-1"), keep_blank_values=True)
            ]
            return urlencode(pairs)[: self.max_body_bytes]
        text = cut.decode("utf-8", "replace")
        return text + ("…" if len(body) > self.max_body_bytes else "")

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
        """Writes one log record (called by the worker for sampled or slow requests)."""
        if path in self.skip_paths:
            return
        logger = logging.getLogger(self.logger_name)
        level = logging.WARNING if slow else logging.INFO
        if not logger.isEnabledFor(level):
            return
        if query:
            query = urlencode(
                [
                    (k, _MASK if k.lower() in self.mask_fields else v)
                    for k, v in parse_qsl(query, keep_blank_values=True)
                ]
            )
        data: dict[str, Any] = {
            "method": method,
            "path": path,
            "query": query,
            "status": status,
            "duration_ms": round(ms, 3),
            "client": client,
        }
        h = self._headers(self.request_headers, req_headers)
        if h is not None:
            data["request_headers"] = h
        h = self._headers(self.response_headers, resp_headers)
        if h is not None:
            data["response_headers"] = h
        if self.request_body and req_body:
            ct = next((v for k, v in req_headers if k == "content-type"), "")
            data["request_body"] = self._body(req_body, ct)
        if self.response_body and resp_body:
            ct = next((v for k, v in resp_headers if k == "content-type"), "")
            data["response_body"] = self._body(resp_body, ct)
        prefix = "slow request " if slow else ""
        logger.log(
            level,
            "%s%s %s %d %.1fms %s",
            prefix,
            method,
            path,
            status,
            ms,
            json.dumps(data, default=str, ensure_ascii=False),
            extra={"bolt": data},
        )
