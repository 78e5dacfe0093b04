"""The OpenAPI 3.1 document of a set of routes (contract skeleton; filled in by the document work)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..api import Route
    from .config import OpenAPIConfig

__all__ = ["generate"]


def generate(routes: list[Route], config: OpenAPIConfig) -> dict[str, Any]:
    """The document (a JSON-ready dict) for ``routes`` under ``config``."""
    raise NotImplementedError
