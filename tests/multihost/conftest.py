"""The ``cluster`` fixture: two bolt hosts behind nginx on a LAN of network namespaces, sharing one
PostgreSQL and one Redis (support/multihost.py), once for the module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.multihost import Cluster, serve_cluster


@pytest.fixture(scope="module")
def cluster(driver: str) -> Iterator[Cluster]:
    yield from serve_cluster(driver)
