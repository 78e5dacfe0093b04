"""Fixtures of the class-based view and pagination tests: viewset_api.py's API in-process, and
rows of their own that the tests may change (deleted afterwards; the seeded 100 stay as seeded)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from django_bolt.testing import TestClient


@pytest.fixture(scope="module")
def client(demo_apis) -> Iterator[TestClient]:
    """viewset_api.api behind TestClient (Django set up on the demo's settings by demo_apis)."""
    from views.viewset_api import api

    with TestClient(api, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def scratch(demo_apis) -> Iterator[str]:
    """A unique name prefix; every Person whose name starts with it is deleted afterwards."""
    from people.models import Person

    prefix = f"vs-{uuid.uuid4().hex[:8]}-"
    yield prefix
    Person.objects.filter(name__startswith=prefix).delete()
