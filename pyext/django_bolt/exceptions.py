"""Exceptions a handler raises to answer with an HTTP error, named and shaped as django-bolt's.

>>> raise HTTPException(404, "Item not found")          # -> 404 {"detail": "Item not found"}
>>> raise NotFound(detail="no such item", headers={"x-hint": "check the id"})
>>> raise BadRequest(detail="bad sku", extra={"sku": "X1"})   # -> {"detail": ..., "extra": {...}}
>>> raise HTTPException(409, body={"code": "taken"})           # -> 409 {"code": "taken"}
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, Mapping, Sequence

__all__ = [
    "BoltException",
    "HTTPException",
    "ClientException",
    "ServerException",
    "BadRequest",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "MethodNotAllowed",
    "NotAcceptable",
    "Conflict",
    "Gone",
    "UnprocessableEntity",
    "TooManyRequests",
    "InternalServerError",
    "NotImplemented",
    "BadGateway",
    "ServiceUnavailable",
    "GatewayTimeout",
    "ValidationException",
    "RequestValidationError",
    "ResponseValidationError",
    "SerializationError",
    "UnloadedRelationError",
]


class BoltException(Exception):
    """The base of every django-bolt exception; ``detail`` says what went wrong."""

    detail: Any = ""

    def __init__(self, *args: Any, detail: Any = "") -> None:
        texts = [str(a) for a in args if a]
        if not detail:
            if texts:
                detail, *texts = texts
            else:
                detail = type(self).detail
        self.detail = detail
        super().__init__(*texts)

    def __repr__(self) -> str:
        return f"{type(self).__name__} - {self.detail}" if self.detail else type(self).__name__

    def __str__(self) -> str:
        return " ".join((*(str(a) for a in self.args), str(self.detail))).strip()


def _phrase(status: int, fallback: str = "Internal Server Error") -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return fallback


class HTTPException(BoltException):
    """An HTTP error: ``status_code`` with body ``{"detail": detail}``, plus ``"extra": extra``
    when ``extra`` is given; ``body=`` replaces that envelope with its own JSON.

    ``HTTPException(status_code=None, detail=None, headers=None, extra=None, *, body=None)``,
    as django-bolt's; ``detail`` defaults to the status's reason phrase. Unlike django-bolt,
    a ``detail`` that is not a string (a dict, a list) is sent as that JSON value rather than
    its ``str()``.
    """

    status_code: int = 500
    default_detail: str = "Internal Server Error"
    extra: dict[str, Any] | list[Any] | None = None
    body: Any = None

    def __init__(
        self,
        status_code: int | None = None,
        detail: Any = None,
        headers: Mapping[str, str] | None = None,
        extra: dict[str, Any] | list[Any] | None = None,
        *,
        body: Any = None,
    ) -> None:
        if status_code is not None:
            if not isinstance(status_code, int) or isinstance(status_code, bool) or not 100 <= status_code <= 599:
                raise ValueError(f"status_code must be an int between 100 and 599, got {status_code!r}")
            self.status_code = status_code
        if detail is None or detail == "":
            detail = _phrase(self.status_code, self.default_detail)
        Exception.__init__(self, f"{self.status_code}: {detail}")
        self.detail = detail
        self.headers = dict(headers) if headers else {}
        self.extra = extra
        self.body = body

    def __str__(self) -> str:
        return f"{self.status_code}: {self.detail}"

    def __repr__(self) -> str:
        return f"{self.status_code} - {type(self).__name__} - {self.detail}"


class _Named(HTTPException):
    """A class for one status. Called as django-bolt's (``NotFound(detail="...")``, or with the
    status first); a first positional argument that is not an int is the detail, as before."""

    def __init__(
        self,
        *args: Any,
        detail: Any = None,
        headers: Mapping[str, str] | None = None,
        extra: dict[str, Any] | list[Any] | None = None,
        body: Any = None,
    ) -> None:
        status: int | None = None
        rest = list(args)
        if rest and isinstance(rest[0], int) and not isinstance(rest[0], bool):
            status = rest.pop(0)
        names = ("detail", "headers", "extra")
        if len(rest) > len(names):
            raise TypeError(f"{type(self).__name__}() takes at most {len(names) + 1} positional arguments")
        given = {"detail": detail, "headers": headers, "extra": extra}
        for name, value in zip(names, rest):
            if given[name] is not None:
                raise TypeError(f"{type(self).__name__}() got multiple values for {name!r}")
            given[name] = value
        HTTPException.__init__(self, status, given["detail"], given["headers"], given["extra"], body=body)


class ClientException(_Named):
    """The base of the 4xx errors (400 by itself)."""

    status_code = 400
    default_detail = "Bad Request"


class ServerException(_Named):
    """The base of the 5xx errors (500 by itself)."""

    status_code = 500


def _cls(name: str, base: type[_Named], code: int, doc: str) -> Any:
    return type(name, (base,), {"status_code": code, "default_detail": _phrase(code), "__doc__": f"{code} {doc}."})


BadRequest = _cls("BadRequest", ClientException, 400, "Bad Request: invalid request data")
Unauthorized = _cls("Unauthorized", ClientException, 401, "Unauthorized: authentication required or failed")
Forbidden = _cls("Forbidden", ClientException, 403, "Forbidden: insufficient permissions")
NotFound = _cls("NotFound", ClientException, 404, "Not Found")
MethodNotAllowed = _cls("MethodNotAllowed", ClientException, 405, "Method Not Allowed")
NotAcceptable = _cls("NotAcceptable", ClientException, 406, "Not Acceptable")
Conflict = _cls("Conflict", ClientException, 409, "Conflict")
Gone = _cls("Gone", ClientException, 410, "Gone: the resource was removed for good")
UnprocessableEntity = _cls("UnprocessableEntity", ClientException, 422, "Unprocessable Entity")
TooManyRequests = _cls("TooManyRequests", ClientException, 429, "Too Many Requests")
InternalServerError = _cls("InternalServerError", ServerException, 500, "Internal Server Error")
NotImplemented = _cls("NotImplemented", ServerException, 501, "Not Implemented")  # noqa: A001 - django-bolt's name
BadGateway = _cls("BadGateway", ServerException, 502, "Bad Gateway")
ServiceUnavailable = _cls("ServiceUnavailable", ServerException, 503, "Service Unavailable")
GatewayTimeout = _cls("GatewayTimeout", ServerException, 504, "Gateway Timeout")


class _Errors(list):
    """A validation error list that is also callable: ``exc.errors`` (ours) and
    ``exc.errors()`` (django-bolt's method) both give it."""

    def __call__(self) -> list[dict[str, Any]]:
        return self


class ValidationException(BoltException, ValueError):
    """The base of the validation errors; ``errors()`` lists them."""

    def __init__(self, errors: Sequence[Any]) -> None:
        self._errors = _Errors(errors)
        super().__init__(detail="Validation error")

    @property
    def errors(self) -> _Errors:
        return self._errors


class RequestValidationError(HTTPException):
    """422 with FastAPI's error list: ``[{"type", "loc", "msg", "input"}, ...]``.

    ``errors`` is the list and, called, returns it (django-bolt's ``errors()``); ``body`` is the
    request body that failed, when the raiser gives it. Unlike django-bolt's this is an
    ``HTTPException`` (so handlers may raise it for a 422 in the same shape as ours).
    """

    status_code = 422

    def __init__(self, errors: Sequence[dict[str, Any]], *, body: Any = None) -> None:
        super().__init__(422, _Errors(errors))
        self.errors = self.detail
        #: Kept for the raiser; not sent (the 422 body is ``{"detail": errors}``).
        self.request_body = body

    def __str__(self) -> str:
        # django-bolt's: "body.email: Invalid email; body.password: Too short", so a log line
        # or a test's ``match=`` names each field and its message.
        parts = []
        for err in self.errors:
            if isinstance(err, dict):
                loc = ".".join(str(x) for x in err.get("loc", ()))
                msg = err.get("msg", "")
                parts.append(f"{loc}: {msg}" if loc else msg)
            else:
                parts.append(str(err))
        return "; ".join(parts) if parts else "Validation error"

    @property  # type: ignore[override]
    def body(self) -> None:
        # ``HTTPException.body`` would replace the response: the failed input is not sent.
        return None

    @body.setter
    def body(self, value: Any) -> None:
        pass


class ResponseValidationError(ValidationException):
    """A handler's return value did not fit its declared response type (a 500, logged)."""

    def __init__(self, errors: Sequence[Any], *, body: Any = None) -> None:
        super().__init__(errors)
        self.body = body

    def __str__(self) -> str:
        return f"{len(self._errors)} validation error(s):\n" + "".join(f"  {e}\n" for e in self._errors)


class SerializationError(BoltException, ValueError):
    """A serializer used the wrong way, or in a state it cannot encode."""


class UnloadedRelationError(SerializationError):
    """A sync serializer needs a Django relation that was not loaded."""
