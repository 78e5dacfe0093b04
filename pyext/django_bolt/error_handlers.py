"""``BoltAPI(error_formatter=...)`` and RFC 9457 problem details (django-bolt's names).

A formatter is a sync callable ``(error: BoltError, request) -> Response`` that shapes the error
responses of an API's routes; ``problem_details`` is the built-in RFC 9457 one::

    from django_bolt.error_handlers import problem_details
    api = BoltAPI(error_formatter=problem_details)

    # raise NotFound("no such book") ->
    # 404 application/problem+json
    # {"type": "about:blank", "title": "Not Found", "status": 404,
    #  "detail": "no such book", "instance": "/books/7"}

What it formats: every error of the API's routes. Those their Python raises (``HTTPException``
and its subclasses, a ``RequestValidationError``, Django's ``Http404``/``PermissionDenied``/
``SuspiciousOperation``, unhandled exceptions: logged as before, then formatted as a 500), and
those bolt answers in Rust before the handler runs (a parameter that fails validation, with
FastAPI's list as ``errors``; a refused token or guard, with its ``WWW-Authenticate``; a rate
limit, with its ``Retry-After``; 406). Errors that belong to no route (an unknown path, 405,
a request the HTTP layer refuses) keep the default ``{"detail": ...}`` body, and without a
formatter every error keeps it (422 stays FastAPI's list). A formatter that raises or returns
something else than a ``Response`` with a 4xx/5xx status is logged and the default response
is sent.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from .exceptions import HTTPException, RequestValidationError
from .responses import JSON, Response
from .struct import Struct

__all__ = [
    "BoltError",
    "ErrorFormatter",
    "ProblemDetails",
    "ProblemFieldError",
    "bolt_error_from_exception",
    "core_error_hook",
    "error_schema",
    "problem_details",
]

log = logging.getLogger("django_bolt")

_KIND_BY_STATUS: dict[int, str] = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    422: "validation",
    429: "rate_limited",
    500: "internal_error",
    501: "not_implemented",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}

# RFC 9110's names (some differ from older Pythons' HTTPStatus phrases).
_TITLES: dict[int, str] = {
    **{s.value: s.phrase for s in HTTPStatus},
    413: "Content Too Large",
    414: "URI Too Long",
    416: "Range Not Satisfiable",
    422: "Unprocessable Content",
}


@dataclass(frozen=True, kw_only=True)
class BoltError:
    """An error response the framework makes, as the formatter gets it.

    ``kind`` is a stable name ("not_found", "validation", "internal_error", ...); ``detail`` a
    message for people; ``errors`` the field errors (FastAPI's ``{"type", "loc", "msg", ...}``);
    ``headers`` the ones the error needs (``WWW-Authenticate``, ``Retry-After``), added to the
    formatter's response unless it sets them; ``extra`` an ``HTTPException``'s ``extra``;
    ``exception`` the exception behind it.
    """

    status: int
    kind: str
    detail: str
    errors: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    extra: Any = None
    exception: BaseException | None = None


ErrorFormatter = Callable[[BoltError, Any], Any]


class ProblemFieldError(Struct):
    """A field error: where the value was, a message and the error type."""

    loc: list[Any]
    msg: str
    type: str


class ProblemDetails(Struct):
    """An RFC 9457 Problem Details body; ``errors`` when the error has field errors."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[ProblemFieldError] = []


def error_schema(schema: Any, *, media_type: str = "application/json") -> Callable[[Any], Any]:
    """Declares the body type a formatter answers (``@error_schema(MyError)``), for tools that
    document error responses (stored as ``formatter.__bolt_error_schema__``)."""

    def decorate(formatter: Any) -> Any:
        formatter.__bolt_error_schema__ = (schema, media_type)
        return formatter

    return decorate


@error_schema(ProblemDetails, media_type="application/problem+json")
def problem_details(error: BoltError, request: Any) -> Response:
    """RFC 9457 Problem Details (``application/problem+json``): ``type`` ("about:blank"),
    ``title`` (the status's name), ``status``, ``detail``, ``instance`` (the request path), and
    ``errors`` when there are field errors. The keys of a dict ``extra`` are extension members
    (a standard member's name or "errors" is not replaced); any other ``extra`` is ``"extra"``."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": _TITLES.get(error.status, "Error"),
        "status": error.status,
        "detail": error.detail,
        "instance": getattr(request, "path", ""),
    }
    if error.errors:
        body["errors"] = error.errors
    if isinstance(error.extra, dict):
        for key, value in error.extra.items():
            if key != "errors":
                body.setdefault(key, value)
    elif error.extra is not None:
        body.setdefault("extra", error.extra)
    return JSON(body, status_code=error.status, media_type="application/problem+json")


def bolt_error_from_exception(exc: BaseException) -> BoltError:
    """The ``BoltError`` for an exception, as the default error response would answer it."""
    from django.core.exceptions import PermissionDenied, SuspiciousOperation
    from django.http import Http404

    if isinstance(exc, RequestValidationError):
        errors = [e for e in exc.errors if isinstance(e, dict)] if isinstance(exc.errors, list) else []
        return BoltError(
            status=exc.status_code,
            kind="validation",
            detail="Request validation failed",
            errors=errors,
            headers=dict(exc.headers),
            exception=exc,
        )
    if isinstance(exc, HTTPException):
        status = exc.status_code
        detail = exc.detail
        errors: list[dict[str, Any]] = []
        if not isinstance(detail, str):
            # A structured detail: field errors when it is a list of them, else kept as extra.
            if isinstance(detail, list) and all(isinstance(e, dict) for e in detail):
                errors = detail
            detail = _TITLES.get(status, "Error")
        extra = getattr(exc, "extra", None)
        if extra is None and not errors and not isinstance(exc.detail, str):
            extra = exc.detail
        return BoltError(
            status=status,
            kind=_KIND_BY_STATUS.get(status, "http_error"),
            detail=detail,
            errors=errors,
            headers=dict(exc.headers),
            extra=extra,
            exception=exc,
        )
    if isinstance(exc, Http404):
        return BoltError(status=404, kind="not_found", detail="Not Found", exception=exc)
    if isinstance(exc, PermissionDenied):
        return BoltError(status=403, kind="forbidden", detail="Forbidden", exception=exc)
    if isinstance(exc, SuspiciousOperation):
        return BoltError(status=400, kind="bad_request", detail="Bad Request", exception=exc)
    return BoltError(status=500, kind="internal_error", detail="Internal Server Error", exception=exc)


def _render(formatter: ErrorFormatter, exc: BaseException, request: Any) -> Response | None:
    """The formatter's response for ``exc`` (its error's headers added), or None when it
    failed (logged): the caller then re-raises ``exc`` for the default response."""
    error = bolt_error_from_exception(exc)
    resp = _formatted_response(formatter, error, request)
    if resp is None:
        return None
    if error.kind == "internal_error":
        logging.getLogger("django.request").error(
            "Internal Server Error: %s %s",
            getattr(request, "method", "?"),
            getattr(request, "path", "?"),
            exc_info=(type(exc), exc, exc.__traceback__),
            extra={"status_code": 500},
        )
    elif error.kind == "bad_request":
        logging.getLogger("django.security").error("%s", exc)
    return resp


def _formatted_response(formatter: ErrorFormatter, error: BoltError, request: Any) -> Response | None:
    """``formatter(error, request)`` checked, with the error's headers added unless it set
    them; None when it raised or returned something unusable (logged)."""
    try:
        resp = formatter(error, request)
        if not isinstance(resp, Response):
            raise TypeError(f"error_formatter must return a Response, not {type(resp).__name__}")
        status = resp.status_code
        if not isinstance(status, int) or isinstance(status, bool) or not 400 <= status <= 599:
            raise TypeError(f"error_formatter must return a status from 400 to 599, not {status!r}")
    except Exception:
        log.exception(
            "error_formatter failed for a %d %s error; the default response is sent", error.status, error.kind
        )
        return None
    have = {k.lower() for k in resp.headers}
    for name, value in error.headers.items():
        if name.lower() not in have:
            resp.headers[name] = value
    return resp


def core_error_hook(formatter: ErrorFormatter) -> Callable[..., tuple | None]:
    """What Rust calls for an error it answers before a route's handler runs (a refused
    token or guard, a rate limit, 406, a parameter that fails validation, a body over the size
    limit, a file part over its ``max_size`` while the body arrives):
    ``hook(status, default_body, headers, request)`` gives ``(status, content_type, body,
    headers)`` from ``formatter``, or None to send the default response."""
    return functools.partial(format_core_error, formatter)


def format_core_error(formatter: ErrorFormatter, status: int, body: bytes, headers: Any, request: Any) -> tuple | None:
    """See ``core_error_hook``: the ``BoltError`` is read back from the default body
    (``{"detail": "..."}``, or FastAPI's 422 list)."""
    from . import json as bolt_json

    try:
        data = bolt_json.decode(body) if body else {}
    except Exception:  # noqa: BLE001 - not JSON: no detail to read
        data = {}
    detail = data.get("detail") if isinstance(data, dict) else None
    errors = [e for e in detail if isinstance(e, dict)] if isinstance(detail, list) else []
    if isinstance(detail, str):
        text = detail
    elif errors:
        text = "Request validation failed"
    else:
        text = _TITLES.get(status, "Error")
    error = BoltError(
        status=status,
        kind=_KIND_BY_STATUS.get(status, "http_error"),
        detail=text,
        errors=errors,
        headers={str(k): str(v) for k, v in headers},
    )
    resp = _formatted_response(formatter, error, request)
    if resp is None:
        return None
    try:
        content = _body_bytes(resp)
    except Exception:  # noqa: BLE001 - a body that cannot be encoded: the default response
        log.exception("error_formatter returned a body that cannot be encoded; the default response is sent")
        return None
    return resp.status_code, resp.media_type, content, [(str(k), str(v)) for k, v in resp.headers.items()]


def _body_bytes(resp: Response) -> bytes:
    from . import json as bolt_json

    content = resp.content
    if isinstance(resp, JSON):
        return bolt_json.encode(content)
    if content is None:
        return b""
    if isinstance(content, str):
        return content.encode()
    if isinstance(content, (bytes, bytearray, memoryview)):
        return bytes(content)
    return bolt_json.encode(content)


def with_error_formatter(
    endpoint: Callable[..., Any], request_arg: str, owns_request: bool, formatter: ErrorFormatter
) -> Callable[..., Any]:
    """``endpoint`` with the exceptions it raises answered by ``formatter``. The request comes
    in as keyword ``request_arg``; ``owns_request``: it was added for this wrapper only (the
    endpoint does not take it)."""

    def request_of(kw: dict[str, Any]) -> Any:
        return kw.pop(request_arg) if owns_request else kw[request_arg]

    if inspect.iscoroutinefunction(endpoint):

        @functools.wraps(endpoint)
        async def formatted_async(**kw: Any) -> Any:
            request = request_of(kw)
            try:
                return await endpoint(**kw)
            except Exception as exc:
                resp = _render(formatter, exc, request)
                if resp is None:
                    raise
                return resp

        return formatted_async

    @functools.wraps(endpoint)
    def formatted(**kw: Any) -> Any:
        request = request_of(kw)
        try:
            return endpoint(**kw)
        except Exception as exc:
            resp = _render(formatter, exc, request)
            if resp is None:
                raise
            return resp

    return formatted
