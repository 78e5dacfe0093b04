"""A user's suite: TestClient under pytest-django sees the test's own rows, in the test's
transaction (or committed with transaction=True), through sync, blocking and async handlers."""

from __future__ import annotations

import asyncio

import pytest
from people_api import api

from django_bolt.testing import AsyncTestClient, TestClient
from people.models import Person


@pytest.fixture
def client():
    with TestClient(api) as c:
        yield c


@pytest.fixture
def zed(db) -> Person:
    return Person.objects.create(name="Zed Suite", email="zed@example.com", age=30)


@pytest.mark.parametrize("kind", ["sync", "blocking", "async"])
def test_handlers_see_rows_the_test_created(client, zed, kind):
    r = client.get(f"/people/{kind}/{zed.id}")
    assert r.status_code == 200, r.text
    assert r.json() == {"id": zed.id, "name": "Zed Suite"}


def test_rows_the_handler_created_are_seen_by_the_test_and_rolled_back_after(client, db):
    r = client.post("/people/async?name=Created&age=5")
    assert r.status_code == 201
    assert Person.objects.get(id=r.json()["id"]).name == "Created"


def test_the_previous_tests_rows_were_rolled_back(db):
    assert not Person.objects.filter(name__in=["Zed Suite", "Created"]).exists()


def test_async_iteration_sees_uncommitted_rows(client, db):
    Person.objects.create(name="Iter A", email="a@example.com", age=1)
    Person.objects.create(name="Iter B", email="b@example.com", age=2)
    assert client.get("/people/async-for?prefix=Iter").json() == ["Iter A", "Iter B"]


def test_queries_are_counted_on_the_tests_connection(client, zed, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert client.get(f"/people/async/{zed.id}").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_transaction_true(client):
    p = Person.objects.create(name="Committed", email="c@example.com", age=40)
    try:
        assert client.get(f"/people/sync/{p.id}").json()["name"] == "Committed"
        assert client.get(f"/people/async/{p.id}").json()["name"] == "Committed"
    finally:
        p.delete()


def test_missing_row_is_the_handlers_404(client, db):
    r = client.get("/people/sync/987654")
    assert r.status_code == 404
    assert r.json() == {"detail": "no person 987654"}


def test_handler_exception_is_raised_in_the_test(client):
    with pytest.raises(LookupError, match="the handler's own error"):
        client.get("/people/broken")


def test_or_given_as_the_500(db):
    with TestClient(api, raise_server_exceptions=False) as c:
        r = c.get("/people/broken")
    assert r.status_code == 500
    assert r.json() == {"detail": "Internal Server Error"}


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_async_client_in_an_async_test():
    async with AsyncTestClient(api) as c:
        created = await c.post("/people/async?name=Async+Made&age=9")
        assert created.status_code == 201
        pid = created.json()["id"]
        both = await asyncio.gather(c.get(f"/people/async/{pid}"), c.get(f"/people/sync/{pid}"))
        assert [r.json()["name"] for r in both] == ["Async Made", "Async Made"]
        # The test's own loop is still the running one after the client turned its own.
        assert asyncio.get_running_loop() is not None
        await c.get(f"/people/async/{pid}")
    await Person.objects.filter(id=pid).adelete()
