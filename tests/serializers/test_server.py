"""Black-box: a real ``bolt`` serving example_api.py and docs_api.py (copied into a copy of the
demo as ``people/api.py``), so Serializers and the msgspec spellings load in the server's
sub-interpreters, bodies are decoded there and validator failures come back as 422s."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from support.boltproc import BoltProcess
from support.projects import copy_demo
from support.wire import fetch, get, json_body

HERE = Path(__file__).parent
JSON = [("content-type", "application/json")]


@pytest.fixture(scope="module")
def ser_server(demo_db, driver, tmp_path_factory):
    project = copy_demo(tmp_path_factory.mktemp("ser") / "demo", "staticfiles")
    shutil.copy(HERE / "example_api.py", project / "people" / "api.py")
    # docs_api joins through an import: discovery takes every BoltAPI of people/api.py.
    shutil.copy(HERE / "docs_api.py", project / "people" / "docs_api.py")
    with (project / "people" / "api.py").open("a") as f:
        f.write("\nfrom people.docs_api import api as docs_api  # noqa: E402\n")
    server = BoltProcess.start(cores=2, driver=driver, cwd=project)
    yield server
    assert server.stop() == 0, server.output()


def post(port: int, path: str, payload) -> object:
    return fetch(port, "POST", path, headers=JSON, body=json_body(payload))


def test_create_and_read_back_with_the_async_orm(ser_server):
    r = post(ser_server.port, "/ser/people", {"name": " Neil ", "email": "NEIL@moon.io", "age": 38, "password": "x"})
    assert r.status == 201, r.body
    created = r.json()
    assert created["name"] == "Neil" and created["email"] == "neil@moon.io"
    assert created["display"] == "Neil <neil@moon.io>" and "password" not in created
    again = get(ser_server.port, f"/ser/people/{created['id']}").json()
    assert again == created


def test_validator_errors_over_the_wire(ser_server):
    r = post(ser_server.port, "/ser/people", {"name": "Al", "email": "al@blocked.example", "age": 1})
    assert r.status == 422
    assert r.json()["detail"] == [
        {
            "type": "value_error",
            "loc": ["body", "email"],
            "msg": "Value error, Email domain not allowed",
            "input": "al@blocked.example",
        }
    ]
    body = {"name": "t", "members": [{"name": "a", "email": "nope"}]}
    r = post(ser_server.port, "/ser/teams", body)
    assert [e["loc"] for e in r.json()["detail"]] == [["body", "members", 0, "email"]]


def test_list_and_untyped_outputs(ser_server):
    rows = get(ser_server.port, "/ser/people").json()
    assert len(rows) == 3 and set(rows[0]) == {"id", "name"}
    one = get(ser_server.port, f"/ser/people-untyped/{rows[0]['id']}").json()
    assert one["display"].startswith(rows[0]["name"])


def test_msgspec_spelling_examples(ser_server):
    assert post(ser_server.port, "/docs/users", {"username": "ann", "email": "e"}).json() == {"username": "ann"}
    r = post(ser_server.port, "/docs/missions", {"name": "Test one"})
    assert r.status == 422 and r.json()["detail"][0]["loc"] == ["body", "name"]
    assert get(ser_server.port, "/docs/missions?status=active").json() == {"status": "active", "limit": 10}
    r = fetch(ser_server.port, "PATCH", "/docs/profile", headers=JSON, body=json_body({"bio": None}))
    assert r.json() == {"changed": ["bio"], "echo": {"bio": None}}
