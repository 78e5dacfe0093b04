"""django-bolt's ``shortcuts.render``: a Django template as an HTML response.

>>> from django_bolt.shortcuts import render
>>> @api.get("/page")
... def page(request):
...     return render(request, "page.html", {"title": "Hi"})
"""

from __future__ import annotations

from typing import Any

from .enums import MediaType
from .responses import Response

__all__ = ["render"]


def render(
    request: Any,
    template_name: str,
    context: dict[str, Any] | None = None,
    content_type: str = MediaType.HTML,
    status: int = 200,
    using: str | None = None,
) -> Response:
    """``template_name`` rendered with ``context`` (Django's ``render_to_string``, so the
    template engines, context processors and ``using=`` work as in Django) as a ``Response`` of
    ``content_type`` and ``status``. ``request`` is passed on to the template engine when it is
    a Django ``HttpRequest``; this project's API request is not one, so context processors that
    read the request do not see it."""
    from django.http import HttpRequest
    from django.template import loader

    content = loader.render_to_string(
        template_name, context, request if isinstance(request, HttpRequest) else None, using=using
    )
    return Response(content, status_code=status, media_type=str(content_type))
