"""The docs routes of an API (contract skeleton; filled in by the docs-UI work)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._plans import StaticMount
    from ..api import BoltAPI, Route

__all__ = ["docs_routes", "docs_static_mounts"]


def docs_routes(apis: list[BoltAPI], routes: list[Route]) -> list[Route]:
    """The routes that serve the document and its pages for a project whose APIs are ``apis`` and
    whose merged routes are ``routes`` (what the document describes); [] when docs are off."""
    return []


def docs_static_mounts(apis: list[BoltAPI]) -> list[StaticMount]:
    """Rust static-file mounts for the pages' assets (served with long-lived caching headers)."""
    return []
