"""``Cookie``: a cookie a response sets (django-bolt 0.13's class; the request-cookie
*parameter* marker is ``django_bolt.param_functions.Cookie``).

>>> Cookie("session", "abc123", httponly=True, secure=True).to_header_value()
'session=abc123; Path=/; Secure; HttpOnly; SameSite=Lax'
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from email.utils import format_datetime
from http.cookies import CookieError, SimpleCookie
from typing import Literal

__all__ = ["Cookie", "SameSitePolicy", "make_delete_cookie"]

SameSitePolicy = Literal["Strict", "Lax", "None", False]
_SAMESITE = {"strict": "Strict", "lax": "Lax", "none": "None"}
_EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"


@dataclass
class Cookie:
    """A ``Set-Cookie`` with every attribute (RFC 6265bis): ``max_age`` seconds, ``expires`` (an
    aware or UTC datetime, or a string sent as given), ``path``, ``domain``, ``secure``,
    ``httponly``, ``samesite`` (``"Strict"``, ``"Lax"``, ``"None"`` or False to leave it out) and
    ``partitioned`` (CHIPS). Names must be cookie tokens; values outside the cookie octets are
    quoted as Django quotes them. A bad name or attribute is a ``ValueError`` when set."""

    name: str
    value: str = ""
    max_age: int | None = None
    expires: _dt.datetime | str | None = None
    path: str | None = "/"
    domain: str | None = None
    secure: bool = False
    httponly: bool = False
    samesite: SameSitePolicy = "Lax"
    partitioned: bool = False

    def to_header_value(self) -> str:
        """The ``Set-Cookie`` field value."""
        jar: SimpleCookie = SimpleCookie()
        try:
            jar[self.name] = self.value
        except CookieError as e:
            raise ValueError(f"invalid cookie name {self.name!r}: {e}") from None
        parts = [f"{self.name}={jar[self.name].coded_value}"]
        if self.max_age is not None:
            if isinstance(self.max_age, bool) or not isinstance(self.max_age, int):
                raise ValueError(f"cookie {self.name!r}: max_age must be an int of seconds, got {self.max_age!r}")
            parts.append(f"Max-Age={self.max_age}")
        if self.expires is not None:
            parts.append(f"Expires={_http_date(self.expires)}")
        for attr, value in (("Path", self.path), ("Domain", self.domain)):
            if value:
                if any(c in value for c in ";\r\n"):
                    raise ValueError(f"cookie {self.name!r}: {attr} may not contain ';' or a line break")
                parts.append(f"{attr}={value}")
        if self.secure:
            parts.append("Secure")
        if self.httponly:
            parts.append("HttpOnly")
        if self.samesite is not False and self.samesite is not None:
            policy = _SAMESITE.get(str(self.samesite).lower())
            if policy is None:
                raise ValueError(f"cookie {self.name!r}: samesite must be 'Strict', 'Lax', 'None' or False")
            parts.append(f"SameSite={policy}")
        if self.partitioned:
            parts.append("Partitioned")
        return "; ".join(parts)

    @classmethod
    def deletion(cls, name: str, path: str | None = "/", domain: str | None = None, **attrs: object) -> Cookie:
        """The cookie that makes a browser drop ``name`` (empty, expired, same path and domain)."""
        return cls(name, "", max_age=0, expires=_EPOCH, path=path, domain=domain, **attrs)  # type: ignore[arg-type]


def make_delete_cookie(name: str, path: str = "/", domain: str | None = None) -> Cookie:
    """django-bolt's helper: the ``Cookie`` that deletes ``name`` (``Cookie.deletion``). A
    ``__Secure-``/``__Host-`` cookie keeps its ``Secure`` flag, without which browsers ignore it."""
    return Cookie.deletion(name, path, domain, secure=name.startswith(("__Secure-", "__Host-")))


def _http_date(when: _dt.datetime | str) -> str:
    if isinstance(when, str):
        if any(c in when for c in ";\r\n"):
            raise ValueError("cookie expires may not contain ';' or a line break")
        return when
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.UTC)
    return format_datetime(when.astimezone(_dt.UTC), usegmt=True)
