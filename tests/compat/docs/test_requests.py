"""django-bolt 0.13's request page (topics/requests.md) through ``TestClient``; the module
(site_moving/examples/requests.py) says where the examples were changed and why."""

from __future__ import annotations

import pytest

from django_bolt.testing import TestClient


@pytest.fixture(scope="module")
def client(example):
    with TestClient(example("requests").APIS) as c:
        yield c


def test_the_request_object(client):
    assert client.get("/info").json() == {"method": "GET", "path": "/info"}
    assert client.get("/params/users/9").json() == {"user_id": "9"}
    assert client.post("/raw", content=b"12345").json() == {"size": 5}
    headers = client.get("/headers", headers={"x-one": "1"}).json()["headers"]
    assert headers["x-one"] == "1"


def test_path_and_query_parameters(client):
    assert client.get("/users/1/posts/2").json() == {"user_id": 1, "post_id": 2}
    assert client.get("/search?q=x&page=2").json() == {"q": "x", "page": 2, "limit": 20, "sort": None}
    assert client.get("/search").status_code == 422
    assert client.get("/items?tag=1&tag=2&tag=1").json() == {"tags": [1, 2]}
    assert client.get("/articles?page=2&code=XYZ").json() == {"page": 2, "code": "XYZ"}
    assert client.get("/articles?page=0").status_code == 422
    assert client.get("/articles?code=xy").status_code == 422
    assert client.get("/search2?name=abc").json() == {"name": "abc", "category": "all", "page": 1}
    assert client.get("/search2?name=ab").status_code == 422
    assert client.get("/typed/users/3?page=2").json() == {"user_id": 3, "page": 2}


def test_bodies_headers_and_cookies(client):
    assert client.post("/users", json={"username": "ann", "email": "a@x.io"}).json() == {"username": "ann"}
    assert client.post("/users", json={"username": "ann"}).status_code == 422
    assert client.get("/auth", headers={"authorization": "Bearer t"}).json() == {"auth": "Bearer t"}
    assert client.get("/auth").status_code == 422
    assert client.get("/optional-header").json() == {"custom": None}
    assert client.get("/optional-header", headers={"x-custom": "c"}).json() == {"custom": "c"}
    assert client.get("/page-size", headers={"x-page-size": "5"}).json() == {"page_size": 5}
    assert client.get("/session", headers={"cookie": "sessionid=s1"}).json() == {"session_id": "s1"}
    assert client.get("/feed", headers={"cookie": "page=3"}).json() == {"page": 3}


def test_forms_and_parameter_models(client):
    assert client.post("/login", data={"username": "u", "password": "p"}).json() == {"username": "u"}
    assert client.post("/profile", data={"name": "n"}).json() == {"name": "n", "bio": ""}
    r = client.post("/login-form", data={"username": "u", "password": "p", "remember_me": "true"})
    assert r.json() == {"username": "u", "remember": True}
    assert client.post("/register", data={"username": "bob", "email": "b@x.io", "password": "p"}).json() == {
        "username": "bob"
    }
    r = client.post("/register", data={"username": "bo", "email": "b@x.io", "password": "p"})
    assert r.status_code == 422 and "at least 3" in r.text
    assert client.get("/filtered?limit=5&search=x").json() == {"limit": 5, "offset": 0, "search": "x"}
    assert client.get("/secure", headers={"x-api-key": "k"}).json() == {"api_key": "k"}
    assert client.get("/secure").status_code == 422
    assert client.get("/preferences", headers={"cookie": "session_id=s; theme=dark"}).json() == {
        "theme": "dark",
        "language": "en",
    }


def test_uploads(client):
    r = client.post("/upload", files={"file": ("a.txt", b"hello", "text/plain")})
    assert r.json() == {"filename": "a.txt", "size": 5, "content_type": "text/plain", "read": 5}
    small = client.post("/upload-checked", files={"file": ("a.pdf", b"x" * 10, "application/pdf")})
    assert small.status_code == 422 and small.json()["detail"][0]["type"] == "file_too_small"
    ok = client.post("/upload-checked", files={"file": ("a.png", b"x" * 2048, "image/png")})
    assert ok.json() == {"filename": "a.png"}
    wrong = client.post("/upload-checked", files={"file": ("a.txt", b"x" * 2048, "text/plain")})
    assert wrong.json()["detail"][0]["type"] == "file_invalid_content_type"
    many = client.post("/upload-multiple", files=[("files", (f"{i}.txt", b"x")) for i in range(6)])
    assert many.status_code == 422 and many.json()["detail"][0]["type"] == "file_too_many"
    two = client.post("/upload-multiple", files=[("files", (f"{i}.txt", b"x")) for i in range(2)])
    assert two.json() == {"count": 2, "filenames": ["0.txt", "1.txt"]}
    r = client.post("/submit", data={"title": "t", "description": "d"})
    assert r.json() == {"title": "t", "has_attachment": False}


def test_dependencies(client):
    assert client.get("/paged?page=3&limit=10").json() == {"pagination": {"page": 3, "limit": 10, "offset": 20}}
