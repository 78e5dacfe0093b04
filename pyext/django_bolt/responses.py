"""Response types a handler may return instead of a plain value.

>>> @api.get("/page")
... def page() -> HTML:
...     return HTML("<h1>Hi</h1>")
>>> @api.post("/things")
... def create() -> JSON:
...     return JSON({"created": True}, status_code=201, headers={"x-id": "7"})
>>> @api.post("/login")
... def login() -> JSON:
...     return JSON({"ok": True}).set_cookie("sid", "abc", httponly=True, secure=True)
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Mapping, TypeVar

from .cookies import Cookie, SameSitePolicy

__all__ = ["Response", "JSON", "PlainText", "HTML", "Redirect"]

R = TypeVar("R", bound="Response")

# How the Rust writer treats `content`: raw text/bytes, or a value to encode as JSON.
_RAW = 0
_JSON = 1


class Response:
    """A response with explicit content, status, headers and media type.

    ``content`` may be ``str`` (sent as UTF-8), ``bytes``, or ``None`` (empty body).
    """

    __slots__ = ("content", "status_code", "headers", "media_type", "cookies")
    _kind = _RAW
    default_media_type = "application/octet-stream"

    def __init__(
        self,
        content: Any = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
    ) -> None:
        if not isinstance(status_code, int) or not 100 <= status_code <= 599:
            raise ValueError(f"status_code must be an int between 100 and 599, got {status_code!r}")
        self.content = content
        self.status_code = status_code
        self.headers = dict(headers) if headers else {}
        if media_type is None:
            media_type = "text/plain; charset=utf-8" if isinstance(content, str) else self.default_media_type
        self.media_type = media_type
        #: ``Set-Cookie`` field values, one per cookie, in the order set (Rust sends each).
        self.cookies: list[str] = []

    def set_cookie(
        self: R,
        name: str,
        value: str = "",
        max_age: int | None = None,
        expires: _dt.datetime | str | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: SameSitePolicy = "Lax",
        partitioned: bool = False,
    ) -> R:
        """Adds a ``Set-Cookie`` (``Cookie``'s attributes; Django's ``set_cookie`` names) and
        returns the response, so calls chain: ``JSON({...}).set_cookie("sid", token, httponly=True)``."""
        cookie = Cookie(name, value, max_age, expires, path, domain, secure, httponly, samesite, partitioned)
        self.cookies.append(cookie.to_header_value())
        return self

    def delete_cookie(
        self: R,
        name: str,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: SameSitePolicy = False,
    ) -> R:
        """Tells the browser to drop cookie ``name`` (set with the same ``path`` and ``domain``)."""
        cookie = Cookie.deletion(name, path, domain, secure=secure, httponly=httponly, samesite=samesite)
        self.cookies.append(cookie.to_header_value())
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code!r}, media_type={self.media_type!r})"


class JSON(Response):
    """``content`` encoded as JSON (in Rust, like a plain return value)."""

    __slots__ = ()
    _kind = _JSON
    default_media_type = "application/json"

    def __init__(
        self,
        content: Any = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
    ) -> None:
        super().__init__(content, status_code, headers, media_type or "application/json")


class PlainText(Response):
    """A ``text/plain; charset=utf-8`` response."""

    __slots__ = ()

    def __init__(self, content: str = "", status_code: int = 200, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(content, status_code, headers, "text/plain; charset=utf-8")


class HTML(Response):
    """A ``text/html; charset=utf-8`` response."""

    __slots__ = ()

    def __init__(self, content: str = "", status_code: int = 200, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(content, status_code, headers, "text/html; charset=utf-8")


class Redirect(Response):
    """A redirect to ``url`` (302 by default; 301, 303, 307 or 308 also accepted)."""

    __slots__ = ()

    def __init__(self, url: str, status_code: int = 302, headers: Mapping[str, str] | None = None) -> None:
        if status_code not in (301, 302, 303, 307, 308):
            raise ValueError(f"redirect status must be 301, 302, 303, 307 or 308, got {status_code}")
        h = {"location": url}
        if headers:
            h.update(headers)
        super().__init__(b"", status_code, h, "text/plain; charset=utf-8")
