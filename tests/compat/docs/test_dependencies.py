"""django-bolt 0.13's dependencies page (topics/dependencies.md) through ``TestClient``; the
modules (site_moving/examples/dependencies.py, dependencies_models.py) say where the examples were
changed and why. Tokens are made with ``create_jwt_for_user`` (the demo's SECRET_KEY)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from django_bolt.auth import create_jwt_for_user
from django_bolt.testing import TestClient
from support.projects import manage_shell


@pytest.fixture(scope="module")
def page(example):
    return example("dependencies")


@pytest.fixture(scope="module")
def client(example, page):
    with TestClient(page.APIS + page.DB_APIS + example("dependencies_models").APIS) as c:
        yield c


@pytest.fixture(scope="module")
def users(admin_user) -> dict:
    """A staff user (the demo's admin), a plain one, and the user of pk 1 the page's ``async_dep`` loads."""
    out = manage_shell(
        "import json\n"
        "from django.contrib.auth.models import User\n"
        "plain, _ = User.objects.get_or_create(username='docs-deps-plain', defaults={'email': 'p@example.com'})\n"
        f"admin = User.objects.get(username={admin_user[0]!r})\n"
        "first, _ = User.objects.get_or_create(pk=1, defaults={'username': 'docs-deps-first'})\n"
        "print(json.dumps({'plain': [plain.pk, plain.username, plain.email],"
        " 'admin': [admin.pk, admin.username], 'first': first.username}))\n"
    )
    return json.loads(out.strip().splitlines()[-1])


def bearer(pk: int, username: str, staff: bool = False) -> dict[str, str]:
    user = SimpleNamespace(pk=pk, username=username, is_staff=staff, is_superuser=False)
    return {"authorization": f"Bearer {create_jwt_for_user(user)}"}


def test_a_dependency_that_loads_the_user(client, users):
    pk, username, email = users["plain"]
    r = client.get("/profile")
    assert r.status_code == 401 and r.json() == {"detail": "Not authenticated"}
    assert client.get("/profile", headers=bearer(pk, username)).json() == {"id": pk, "username": username}
    # django_bolt.auth.get_current_user, as the page's /me uses it
    assert client.get("/me", headers=bearer(pk, username)).json() == {"id": pk, "username": username, "email": email}


def test_dependencies_take_parameters_as_handlers_do(client):
    assert client.get("/data").json() == {"format": "legacy"}
    assert client.get("/data", headers={"x-api-version": "v2"}).json() == {"format": "new"}
    assert client.get("/db-connection").json() == {"connection": None}
    assert client.get("/secure").status_code == 422
    r = client.get("/secure", headers={"authorization": "t", "cookie": "session_id=s"})
    assert r.json() == {"status": "authenticated"}


def test_a_dependency_runs_once_per_request_unless_use_cache_is_false(client):
    first = client.get("/test").json()
    assert first["dep1"] == first["dep2"]
    second = client.get("/test").json()
    assert second["dep1"] == second["dep2"] == {"count": first["dep1"]["count"] + 1}
    a, b = client.get("/fresh").json(), client.get("/fresh").json()
    assert b == a + 1


def test_sync_async_nested_and_class_dependencies(client, page, users):
    mixed = client.get("/mixed").json()
    assert mixed["user"] == users["first"] and isinstance(mixed["data"]["timestamp"], float)
    assert client.get("/features").json() == {"new_ui": True, "beta": False}
    closed = page.Connection.closed
    r = client.get("/session/data")
    assert r.status_code == 200 and r.json() is None
    assert page.Connection.closed == closed + 1  # the class's __aexit__ ran in the handler


def test_common_patterns(client, users):
    listed = client.get("/users").json()
    assert 1 <= len(listed) <= 10 and set(listed[0]) == {"id", "username"}
    r = client.get("/api/data", headers={"x-forwarded-for": "203.0.113.9"})
    assert r.status_code == 429 and r.json() == {"detail": "Rate limit exceeded"}
    assert client.get("/api/data").json() == {"data": "value"}


def test_an_admin_dependency(client, users):
    pk, username, _ = users["plain"]
    nobody = 2_000_000_000  # no user has it: the delete removes nothing
    assert client.delete(f"/users/{nobody}").status_code == 401
    r = client.delete(f"/users/{nobody}", headers=bearer(pk, username))
    assert r.status_code == 403 and r.json() == {"detail": "Admin access required"}
    admin_pk, admin_name = users["admin"]
    assert client.delete(f"/users/{nobody}", headers=bearer(admin_pk, admin_name, staff=True)).json() == {
        "deleted": True
    }


def test_pagination_as_a_dependency(client):
    page = client.get("/items?page=2&page_size=3").json()
    assert page["page"] == 2 and len(page["items"]) == 3 and set(page["items"][0]) == {"id", "name"}
    first = client.get("/items?page_size=6").json()["items"]
    assert [i["id"] for i in first[3:]] == [i["id"] for i in page["items"]]
    # Depends on a ViewSet's list action
    listed = client.get("/vs/items?page=2&page_size=3").json()
    assert [i["id"] for i in listed] == [i["id"] for i in page["items"]]
    assert len(client.get("/items?page_size=500").json()["items"]) == 100  # "Max 100 per page"
