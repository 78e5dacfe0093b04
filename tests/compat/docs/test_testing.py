"""django-bolt 0.13's testing page (topics/testing.md): its examples are tests, run here as
written. Where bolt differs: ``import msgspec`` is ``from django_bolt.compat import msgspec``;
``client.query(...)`` is tested with the routing page's QUERY route (test_routing.py); the
"Testing with Django database" patterns (``django_db``, ``transaction=True``) run in a
pytest-django session of their own (tests/client/usersuite, by tests/client/test_usersuite.py)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import pytest

from django_bolt import BoltAPI, StreamingResponse
from django_bolt.compat import msgspec
from django_bolt.param_functions import Form, Header
from django_bolt.responses import EventSourceResponse
from django_bolt.testing import AsyncTestClient, TestClient


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


def test_path_query_status_and_methods(api):
    @api.get("/users/{user_id}")
    async def get_user(user_id: int):
        return {"id": user_id, "name": f"User {user_id}"}

    @api.get("/search")
    async def search(q: str, limit: int = 10):
        return {"query": q, "limit": limit}

    @api.post("/created", status_code=201)
    async def create():
        return {"created": True}

    @api.get("/resource")
    async def get_resource():
        return {"method": "GET"}

    @api.post("/resource")
    async def create_resource():
        return {"method": "POST"}

    @api.put("/resource")
    async def update_resource():
        return {"method": "PUT"}

    @api.delete("/resource")
    async def delete_resource():
        return {"method": "DELETE"}

    with TestClient(api) as client:
        response = client.get("/users/123")
        assert response.status_code == 200
        data = response.json()
        assert data["id"] == 123
        assert data["name"] == "User 123"

        response = client.get("/search?q=test&limit=20")
        data = response.json()
        assert data["query"] == "test"
        assert data["limit"] == 20

        response = client.post("/created")
        assert response.status_code == 201

        assert client.get("/resource").json() == {"method": "GET"}
        assert client.post("/resource").json() == {"method": "POST"}
        assert client.put("/resource").json() == {"method": "PUT"}
        assert client.delete("/resource").json() == {"method": "DELETE"}


def test_request_body_and_form_data(api):
    @api.post("/users")
    async def create_user(user: UserCreate):
        return {"id": 1, "name": user.name, "email": user.email}

    @api.post("/login")  # added: the page posts this form to a route it does not show
    async def login(username: Annotated[str, Form()], password: Annotated[str, Form()]):
        return {"username": username}

    with TestClient(api) as client:
        response = client.post("/users", json={"name": "John", "email": "john@example.com"})
        assert response.status_code == 200
        data = response.json()
        assert data["id"] == 1
        assert data["name"] == "John"
        response = client.post("/login", data={"username": "john", "password": "secret"})
        assert response.json() == {"username": "john"}


def test_streaming_chunks_and_lines(api):
    @api.get("/stream")
    async def stream():
        async def generate():
            for i in range(5):
                yield f"data: {i}\n\n"

        return StreamingResponse(generate(), media_type="text/event-stream")

    with TestClient(api) as client:
        response = client.get("/stream", stream=True)
        assert response.status_code == 200

        # Iterate over chunks
        chunks = list(response.iter_content(chunk_size=32, decode_unicode=True))
        assert len(chunks) > 0
        assert "".join(chunks) == "".join(f"data: {i}\n\n" for i in range(5))

        response = client.get("/stream", stream=True)
        lines = list(response.iter_lines())
        data_lines = [line for line in lines if line.startswith("data:")]
        assert len(data_lines) == 5


def test_async_test_client(api):
    # The page's test is `@pytest.mark.asyncio`; this session runs without pytest-asyncio
    # (pytest.ini), so the coroutine is run by asyncio.run.
    async def test_async():
        async with AsyncTestClient(api) as client:
            response = await client.get("/hello")
            assert response.status_code == 200
            assert response.json() == {"message": "world"}

    asyncio.run(test_async())


def test_isolated(demo_apis):
    api = BoltAPI()

    @api.get("/counter")
    async def counter():
        return {"count": 1}

    # Each with block is isolated
    with TestClient(api) as client:
        response = client.get("/counter")
        assert response.json()["count"] == 1

    with TestClient(api) as client:
        response = client.get("/counter")
        assert response.json()["count"] == 1  # Fresh state
