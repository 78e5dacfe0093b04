"""The examples of django-bolt 0.13's documentation (its docs/src pages), kept as a project's
modules in tests/projects/moving/site_moving/examples/ so that the same code runs here, in
process through ``TestClient``, and over a real ``bolt`` (test_docs_server.py mounts them).

``example("routing")`` imports one page's module (Django set up on the demo's settings first)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from types import ModuleType

import pytest

from support.paths import PROJECTS


@pytest.fixture(scope="session")
def example(demo_apis) -> Callable[[str], ModuleType]:
    where = str(PROJECTS / "moving")
    if where not in sys.path:
        sys.path.insert(0, where)

    def load(page: str) -> ModuleType:
        return importlib.import_module(f"site_moving.examples.{page}")

    return load
