"""Exceptions a handler raises to answer with an HTTP error.

>>> raise HTTPException(404, "Item not found")          # -> 404 {"detail": "Item not found"}
>>> raise NotFound("no such item", headers={"x-hint": "check the id"})
"""

from __future__ import annotations

from typing import Any, Mapping

__all__ = [
    "HTTPException",
    "BadRequest",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "MethodNotAllowed",
    "Conflict",
    "UnprocessableEntity",
    "TooManyRequests",
    "InternalServerError",
    "ServiceUnavailable",
    "NotAcceptable",
    "Gone",
    "NotImplemented",
    "BadGateway",
    "GatewayTimeout",
    "RequestValidationError",
]


class HTTPException(Exception):
    """An HTTP error: the response is ``status_code`` with body ``{"detail": detail}``.

    ``detail`` may be any JSON-encodable value; ``headers`` are added to the response.
    """

    status_code: int = 500
    default_detail: str = "Internal Server Error"

    def __init__(
        self,
        status_code: int | None = None,
        detail: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if status_code is not None:
            if not isinstance(status_code, int) or not 100 <= status_code <= 599:
                raise ValueError(f"status_code must be an int between 100 and 599, got {status_code!r}")
            self.status_code = status_code
        if detail is None:
            from http import HTTPStatus

            try:
                detail = HTTPStatus(self.status_code).phrase
            except ValueError:
                detail = self.default_detail
        self.detail = detail
        self.headers = dict(headers) if headers else {}
        super().__init__(self.status_code, detail)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code!r}, detail={self.detail!r})"


def _named(name: str, code: int, phrase: str) -> type[HTTPException]:
    def __init__(self: HTTPException, detail: Any = None, headers: Mapping[str, str] | None = None) -> None:
        HTTPException.__init__(self, code, detail if detail is not None else phrase, headers)

    return type(
        name,
        (HTTPException,),
        {"status_code": code, "default_detail": phrase, "__init__": __init__, "__doc__": f"{code} {phrase}."},
    )


BadRequest = _named("BadRequest", 400, "Bad Request")
Unauthorized = _named("Unauthorized", 401, "Unauthorized")
Forbidden = _named("Forbidden", 403, "Forbidden")
NotFound = _named("NotFound", 404, "Not Found")
MethodNotAllowed = _named("MethodNotAllowed", 405, "Method Not Allowed")
Conflict = _named("Conflict", 409, "Conflict")
UnprocessableEntity = _named("UnprocessableEntity", 422, "Unprocessable Entity")
TooManyRequests = _named("TooManyRequests", 429, "Too Many Requests")
InternalServerError = _named("InternalServerError", 500, "Internal Server Error")
ServiceUnavailable = _named("ServiceUnavailable", 503, "Service Unavailable")
# The rest of django-bolt's named errors.
NotAcceptable = _named("NotAcceptable", 406, "Not Acceptable")
Gone = _named("Gone", 410, "Gone")
NotImplemented = _named("NotImplemented", 501, "Not Implemented")  # noqa: A001 - django-bolt's name
BadGateway = _named("BadGateway", 502, "Bad Gateway")
GatewayTimeout = _named("GatewayTimeout", 504, "Gateway Timeout")


class RequestValidationError(HTTPException):
    """422 with FastAPI's error list: ``[{"type", "loc", "msg", "input"}, ...]``."""

    status_code = 422

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(422, errors)
        self.errors = errors
