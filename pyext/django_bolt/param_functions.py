"""The parameter markers under the import path django-bolt's documentation uses:

>>> from django_bolt.param_functions import Cookie, Header, Query
>>> def read(sid: str | None = Cookie(None), page: int = Query(1, ge=1)) -> dict: ...

``django_bolt.Cookie`` is the cookie a *response* sets (``django_bolt.cookies.Cookie``), as in
django-bolt; the request-cookie marker is this module's ``Cookie`` (also ``django_bolt.params.Cookie``).
"""

from __future__ import annotations

from .params import Body, Cookie, Depends, File, Form, Header, Path, Query

__all__ = ["Query", "Path", "Body", "Header", "Cookie", "Depends", "Form", "File"]
