"""Parameter markers and uploads as django-bolt's: ``Header(x)``'s first argument is the
default (the older spelling naming the header is refused at start-up), ``alias=`` names it;
``UploadFile.read()`` may be awaited (and still called plainly), with ``headers`` and
``rolled_to_disk``."""

from __future__ import annotations

from typing import Annotated

import pytest

from django_bolt import BoltAPI, File, UploadFile
from django_bolt.param_functions import Cookie, Header, Query
from django_bolt.params import SignatureError
from django_bolt.testing import TestClient


@pytest.fixture(scope="module")
def client(demo_apis):
    api = BoltAPI()

    @api.get("/h")
    def h(
        accept_language: str = Header("en"),
        token: str | None = Header(None, alias="X-API-Key"),
        level: Annotated[int, Header(alias="X-Level")] = 1,
        literal: str = Header(default="X-Literal"),
        sid: str = Cookie("anon"),
        page: int = Query(1),
    ) -> dict:
        return {"lang": accept_language, "token": token, "level": level, "literal": literal, "sid": sid, "page": page}

    @api.post("/upload")
    async def upload(doc: UploadFile = File()) -> dict:
        first = await doc.read(3)
        await doc.seek(0)
        whole = doc.read()
        await doc.close()
        return {
            "first": first.decode(),
            "whole": whole.decode(),
            "headers": doc.headers,
            "disk": doc.rolled_to_disk,
            "django_file_name": doc.file.name,
        }

    with TestClient(api) as c:
        yield c


def test_header_positional_is_the_default(client):
    assert client.get("/h").json() == {
        "lang": "en",
        "token": None,
        "level": 1,
        "literal": "X-Literal",
        "sid": "anon",
        "page": 1,
    }
    r = client.get("/h", headers={"accept-language": "de", "x-api-key": "k", "x-level": "3"})
    assert r.json()["lang"] == "de" and r.json()["token"] == "k" and r.json()["level"] == 3


@pytest.mark.parametrize("name", ["X-API-Key", "x-request-id", "User-Agent", "authorization"])
def test_older_spelling_naming_the_header_is_refused(name):
    with pytest.raises(SignatureError, match=r"Header\(alias="):
        Header(name)


def test_older_spelling_matching_the_parameter_is_refused_at_registration():
    api = BoltAPI()
    with pytest.raises(SignatureError, match="tenant"):

        @api.get("/t")
        def t(tenant: str = Header("Tenant")) -> dict:
            return {}


def test_header_takes_one_default():
    with pytest.raises(TypeError):
        Header("a", default="b")
    with pytest.raises(TypeError):
        Header("a", "b")


def test_upload_read_awaited_or_plain(client):
    r = client.post("/upload", files={"doc": ("notes.txt", b"abcdef", "text/plain")})
    body = r.json()
    assert body["first"] == "abc" and body["whole"] == "abcdef"
    assert body["headers"]["content-type"].startswith("text/plain")
    assert body["disk"] is False and body["django_file_name"] == "notes.txt"


def test_large_upload_rolled_to_disk(client, demo_apis):
    from django.test import override_settings

    with override_settings(FILE_UPLOAD_MAX_MEMORY_SIZE=10):
        body = client.post("/upload", files={"doc": ("big.bin", b"x" * 100, "application/octet-stream")}).json()
    assert body["disk"] is True and body["whole"] == "x" * 100
