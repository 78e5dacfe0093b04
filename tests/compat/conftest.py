"""Fixtures shared by the compat tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.boltproc import BoltProcess
from support.paths import PROJECTS


@pytest.fixture(scope="module")
def moving_site(driver) -> Iterator[BoltProcess]:
    """A real ``bolt`` serving tests/projects/moving (a django-bolt 0.13 project as written, with
    the docs examples mounted), one per test module so no module sees another's state."""
    server = BoltProcess.start(cwd=PROJECTS / "moving", driver=driver)
    try:
        yield server
    finally:
        server.stop()
