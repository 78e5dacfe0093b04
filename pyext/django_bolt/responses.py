"""Response types a handler may return instead of a plain value.

>>> @api.get("/page")
... def page() -> HTML:
...     return HTML("<h1>Hi</h1>")
>>> @api.post("/things")
... def create() -> JSON:
...     return JSON({"created": True}, status_code=201, headers={"x-id": "7"})
"""

from __future__ import annotations

from typing import Any, Mapping

__all__ = ["Response", "JSON", "PlainText", "HTML", "Redirect"]

# How the Rust writer treats `content`: raw text/bytes, or a value to encode as JSON.
_RAW = 0
_JSON = 1


class Response:
    """A response with explicit content, status, headers and media type.

    ``content`` may be ``str`` (sent as UTF-8), ``bytes``, or ``None`` (empty body).
    """

    __slots__ = ("content", "status_code", "headers", "media_type")
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
