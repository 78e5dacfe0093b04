"""django-bolt 0.13's testing page (topics/testing.md): its examples are tests, run here as
written. Where bolt differs: ``import msgspec`` is ``from django_bolt.compat import msgspec``;
``client.query(...)`` is left out (the QUERY method is not routed, docs/compat.md)."""

from __future__ import annotations

from typing import Annotated

import pytest

from django_bolt import BoltAPI, StreamingResponse
from django_bolt.compat import msgspec
from django_bolt.param_functions import Header
from django_bolt.responses import EventSourceResponse
from django_bolt.testing import TestClient


@pytest.fixture
def api(demo_apis):
    api = BoltAPI()

    @api.get("/hello")
    async def hello():
        return {"message": "world"}

    return api


@pytest.fixture
def client(api):
    with TestClient(api) as client:
        yield client


def test_hello(client):
    response = client.get("/hello")
    assert response.status_code == 200
    assert response.json() == {"message": "world"}
    assert response.headers.get("content-type") == "application/json"
    assert response.content == b'{"message":"world"}'


class UserCreate(msgspec.Struct):
    name: str
    email: str


def test_validation_and_404(api):
    @api.post("/teams/{team_id}/users", status_code=201)
    async def create_user(team_id: int, user: UserCreate, notify: bool = False):
        return {"team": team_id, "name": user.name, "notify": notify}

    with TestClient(api) as client:
        # The handler receives coerced, validated arguments
        response = client.post(
            "/teams/7/users?notify=true",
            json={"name": "John", "email": "john@example.com"},
        )
        assert response.status_code == 201
        assert response.json() == {"team": 7, "name": "John", "notify": True}

        # A body that fails validation never reaches the handler
        response = client.post("/teams/7/users", json={})
        assert response.status_code == 422

        # An unknown path is a plain 404
        assert client.get("/nonexistent").status_code == 404


def test_headers_sse_and_streams(api):
    @api.get("/with-header")
    async def with_header(x_custom: Annotated[str, Header()]):
        return {"header_value": x_custom}

    @api.get("/sse", response_class=EventSourceResponse)
    async def sse():
        yield {"message": "hello"}
        yield {"message": "world"}

    @api.get("/stream")
    async def stream():
        async def generate():
            for i in range(5):
                yield f"data: {i}\n\n"

        return StreamingResponse(generate(), media_type="text/event-stream")

    with TestClient(api) as client:
        response = client.get("/with-header", headers={"X-Custom": "test-value"})
        assert response.json() == {"header_value": "test-value"}

        response = client.get("/sse")
        assert response.status_code == 200
        assert "text/event-stream" in response.headers["content-type"]
        body = response.content.decode()
        assert 'data: {"message":"hello"}' in body
        assert 'data: {"message":"world"}' in body

        response = client.get("/stream", stream=True)
        lines = list(response.iter_lines())
        data_lines = [line for line in lines if line.startswith("data:")]
        assert len(data_lines) == 5
