"""Rows of the compat table built this session beside the docs examples: ``responses.File``
(django-bolt's in-memory download) and ``validate_response=`` on ``BoltAPI``, routes and views,
through ``TestClient`` and over a real server (tests/projects/moving)."""

from __future__ import annotations

from django.test import override_settings

from django_bolt import BoltAPI, Request, Struct
from django_bolt.responses import File
from django_bolt.testing import TestClient
from django_bolt.views import APIView
from support.wire import fetch


class Item(Struct):
    id: int


def test_file_is_a_download(demo_apis, tmp_path):
    report = tmp_path / "report.csv"
    report.write_bytes(b"a,b\n1,2\n")
    api = BoltAPI()

    @api.get("/download")
    async def download():
        return File(str(report), filename="report.csv", media_type="text/csv")

    @api.get("/missing")
    async def missing():
        return File(str(tmp_path / "nope.csv"))

    with TestClient(api) as c:
        # The demo limits file responses to its own folders: a File is checked as FileResponse is.
        assert c.get("/download").status_code == 403
    with override_settings(BOLT_ALLOWED_FILE_PATHS=[str(tmp_path)]), TestClient(api) as c:
        r = c.get("/download")
        assert r.status_code == 200 and r.content == b"a,b\n1,2\n"
        assert r.headers["content-type"].startswith("text/csv")
        assert (
            r.headers["content-disposition"].startswith("attachment")
            and "report.csv" in r.headers["content-disposition"]
        )
        assert c.get("/missing").status_code == 404
        assert File(str(report)).read_bytes() == b"a,b\n1,2\n"


def test_validate_response_false_sends_the_value_as_it_is(demo_apis):
    api = BoltAPI()
    lax = BoltAPI(prefix="/lax", validate_response=False)

    @api.get("/checked", response_model=Item)
    async def checked():
        return {"id": "not a number"}

    @api.get("/unchecked", response_model=Item, validate_response=False)
    async def unchecked():
        return {"id": "not a number"}

    @lax.get("/api-wide", response_model=Item)
    async def api_wide():
        return {"id": "x"}

    @api.view("/view")
    class View(APIView):
        validate_response = False

        async def get(self, request) -> Item:
            return {"id": "y"}

    with TestClient([api, lax], raise_server_exceptions=False) as c:
        assert c.get("/checked").status_code == 500
        assert c.get("/unchecked").json() == {"id": "not a number"}
        assert c.get("/lax/api-wide").json() == {"id": "x"}
        assert c.get("/view").json() == {"id": "y"}
        # Still documented as the model.
        doc = c.get("/docs/openapi.json").json()
        schema = doc["paths"]["/unchecked"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert schema["$ref"].endswith("/Item")


def test_over_a_real_server(moving_site):
    r = fetch(moving_site.port, "GET", "/rows/download")
    assert r.status == 200 and r.body == b"id,name\n1,Ann\n"
    assert "attachment" in r.header("content-disposition")
    assert fetch(moving_site.port, "GET", "/rows/unchecked").json() == {"id": "not a number"}


def test_auth_context_helpers(demo_apis):
    from types import SimpleNamespace

    from django_bolt import extract_user_id_from_context, get_auth_context
    from django_bolt.auth import JWTAuthentication, create_jwt_for_user

    api = BoltAPI()

    @api.get("/ctx", auth=[JWTAuthentication()])
    async def ctx(request) -> dict:
        return {"user_id": extract_user_id_from_context(request), "ctx": get_auth_context(request)}

    token = create_jwt_for_user(SimpleNamespace(pk=5, username="u"), extra_claims={"permissions": ["a.b"]})
    with TestClient(api) as c:
        r = c.get("/ctx", headers={"authorization": f"Bearer {token}"}).json()
        assert r["user_id"] == "5" and r["ctx"]["auth_backend"] == "jwt" and r["ctx"]["permissions"] == ["a.b"]
        assert c.get("/ctx").json() == {"user_id": None, "ctx": {}}


def test_request_form_and_files(demo_apis):
    api = BoltAPI()

    @api.post("/form")
    async def form(request: Request) -> dict:
        files = {k: (v.filename, v.size) for k, v in request.files.items()}
        return {"form": request.form, "files": files}

    with TestClient(api) as c:
        r = c.post("/form", data={"a": "1", "b": "two"})
        assert r.json() == {"form": {"a": "1", "b": "two"}, "files": {}}
        r = c.post("/form", data={"title": "t"}, files={"doc": ("a.txt", b"hello", "text/plain")})
        assert r.json() == {"form": {"title": "t"}, "files": {"doc": ["a.txt", 5]}}
        assert c.post("/form", json={"a": 1}).json() == {"form": {}, "files": {}}
        bad = c.post("/form", content=b"--x\r\nbroken", headers={"content-type": "multipart/form-data"})
        assert bad.status_code == 400
