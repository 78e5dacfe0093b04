"""Handlers that use the Django ORM, and large responses."""

from support.wire import get


def seeded(n: int) -> dict:
    """Row n as ``manage.py seed`` creates it."""
    return {
        "name": f"Person {n}",
        "email": f"person{n}@example.com",
        "age": 18 + n % 60,
        "is_active": n % 7 != 0,
    }


def test_users_come_from_the_seeded_database(server):
    resp = get(server.port, "/users")
    assert resp.status == 200
    users = resp.json()
    assert len(users) == 10
    for user in users:
        assert user.keys() == {"id", "name", "email", "age", "is_active"}
        assert isinstance(user["id"], int) and isinstance(user["is_active"], bool)
        n = int(user["name"].removeprefix("Person "))
        assert {k: v for k, v in user.items() if k != "id"} == seeded(n)
    assert len({u["id"] for u in users}) == 10


def test_repeated_orm_requests_agree(server):
    first = get(server.port, "/users").json()
    for _ in range(5):
        assert get(server.port, "/users").json() == first


def test_big_list_response(server):
    resp = get(server.port, "/big")
    assert resp.status == 200
    rows = resp.json()
    assert len(rows) == 1000
    for row in rows:
        assert row.keys() == {"id", "name", "price", "in_stock", "qty"}
    assert len({r["id"] for r in rows}) == 1000
