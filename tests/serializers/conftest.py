"""``ser_client``: example_api.py (Serializer routes over the demo's Person) behind the test client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from django_bolt.testing import TestClient


@pytest.fixture(scope="module")
def example(demo_apis):
    """example_api, imported once Django is set up on the demo's settings."""
    from . import example_api

    return example_api


@pytest.fixture(scope="module")
def ser_client(example) -> Iterator[TestClient]:
    with TestClient(example.api, raise_server_exceptions=False) as client:
        yield client
