"""django-bolt 0.13's quick start (getting-started/quickstart.md) through ``TestClient``: the
page's ``missions/api.py`` against its own models, whose tables this module makes in the demo's
database (and drops); the module (site_moving/examples/quickstart.py) says what was changed."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings

from django_bolt import BoltAPI
from django_bolt.param_functions import File
from django_bolt.testing import TestClient
from support.paths import PROJECTS

TEMPLATES = PROJECTS / "moving" / "site_moving" / "examples" / "templates"


@pytest.fixture(scope="module")
def page(example):
    page = example("quickstart")
    models = [page.Mission, page.Astronaut]
    # A run that stopped half-way may have left them.
    existing = set(connection.introspection.table_names())
    with connection.schema_editor() as editor:
        for model in reversed(models):
            if model._meta.db_table in existing:
                editor.delete_model(model)
        for model in models:
            editor.create_model(model)
    try:
        yield page
    finally:
        with connection.schema_editor() as editor:
            for model in reversed(models):
                editor.delete_model(model)


@pytest.fixture(scope="module")
def client(page):
    with TestClient(page.APIS, follow_redirects=False) as c:
        yield c


@pytest.fixture
def mission(client, page):
    r = client.post("/missions", json={"name": "Artemis II", "description": "First crewed Artemis mission"})
    mission_id = r.json()["id"]
    yield mission_id
    page.Mission.objects.filter(id=mission_id).delete()


def test_first_endpoint_and_path_parameters(client, mission):
    assert client.get("/").json() == {"status": "operational", "message": "Mission Control Online"}
    assert client.get(f"/missions/{mission}").json() == {
        "id": mission,
        "name": "Artemis II",
        "status": "planned",
        "launch_date": None,
        "description": "First crewed Artemis mission",
    }
    r = client.get("/missions/999999")
    assert r.status_code == 404 and r.json() == {"detail": "Mission 999999 not found"}
    assert client.get("/missions/abc").status_code == 422


def test_query_parameters_in_a_serializer(client, mission):
    listed = client.get("/missions").json()
    assert listed["count"] == 1 and listed["missions"][0]["id"] == mission
    assert client.get("/missions?status=active").json() == {"missions": [], "count": 0}
    assert client.get("/missions?status=planned&limit=5").json()["count"] == 1
    assert client.get("/missions?status=invalid").status_code == 422
    assert client.get("/missions?limit=200").status_code == 422


def test_request_body_validation_reports_every_error(client, page):
    r = client.post("/missions", json={"name": "Artemis II", "description": "First crewed Artemis mission"})
    assert r.status_code == 200
    body = r.json()
    assert body == {
        "id": body["id"],
        "name": "Artemis II",
        "status": "planned",
        "message": "Mission created successfully",
    }
    page.Mission.objects.filter(id=body["id"]).delete()
    r = client.post("/missions", json={"name": "", "description": "x]" * 300})
    assert r.status_code == 422
    assert {tuple(e["loc"]) for e in r.json()["detail"]} == {("body", "name"), ("body", "description")}
    [e] = client.post("/missions", json={"name": "Test flight"}).json()["detail"]
    assert e["loc"] == ["body", "name"] and "Mission name cannot start with 'test'" in e["msg"]


def test_update_and_delete(client, mission):
    r = client.put(f"/missions/{mission}", json={"status": "active"})
    assert r.json()["status"] == "active" and r.json()["name"] == "Artemis II"
    assert client.put(f"/missions/{mission}", json={"status": "lost"}).status_code == 422
    r = client.delete(f"/missions/{mission}")
    assert r.status_code == 204 and r.content == b""
    assert client.get(f"/missions/{mission}").status_code == 404


def test_a_header_parameter(client, mission):
    url = f"/missions/{mission}/classified"
    assert client.get(url).status_code == 422
    r = client.get(url, headers={"X-Clearance-Level": "public"})
    assert r.status_code == 403 and r.json() == {"detail": "Insufficient clearance level"}
    assert client.get(url, headers={"X-Clearance-Level": "top-secret"}).json() == {
        "mission": "Artemis II",
        "classified_data": "Launch codes: APOLLO-7749-OMEGA",
    }


def test_form_data_and_response_serializers(client, mission):
    url = f"/missions/{mission}/astronauts"
    r = client.post(url, data={"name": "Neil Armstrong", "role": "Commander"})
    created = r.json()
    assert created == {"id": created["id"], "name": "Neil Armstrong", "role": "Commander", "mission": "Artemis II"}
    r = client.post(url, data={"name": "Neil Armstrong", "role": "Tourist"})
    assert r.status_code == 422 and "Role must be one of: Commander" in r.json()["detail"][0]["msg"]
    assert client.get(url).json() == {
        "mission": "Artemis II",
        "astronauts": [{"id": created["id"], "name": "Neil Armstrong", "role": "Commander", "mission_id": mission}],
    }


def test_a_file_upload(client, page, mission, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the handler saves under media/patches/ of the working directory
    png = b"\x89PNG\r\n\x1a\n" + bytes(64)
    r = client.post(f"/missions/{mission}/patch", files={"patch": ("mission_patch.png", png, "image/png")})
    assert r.json() == {"message": "Patch uploaded", "filename": "mission_patch.png"}
    saved = Path("media/patches") / f"{mission}_mission_patch.png"
    assert (tmp_path / saved).read_bytes() == png
    assert page.Mission.objects.get(id=mission).patch_image == str(saved)


def test_response_types_and_a_template(client, mission):
    r = client.get(f"/missions/{mission}/log")
    assert r.headers["content-type"].startswith("text/plain")
    assert r.text == "=== MISSION LOG: Artemis II ===\nStatus: PLANNED"
    r = client.get("/status-page")
    assert r.headers["content-type"].startswith("text/html") and "All Systems Operational" in r.text
    r = client.get("/go")
    assert r.status_code in (302, 307) and r.headers["location"] == "/dashboard"
    engine = {"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [str(TEMPLATES)]}
    with override_settings(TEMPLATES=[engine]):
        html = client.get("/dashboard").text
    assert "Total missions: 1" in html and "<strong>Artemis II</strong>" in html and "PLANNED" in html


def test_api_documentation(client):
    doc = client.get("/docs/openapi.json").json()
    assert doc["info"]["title"] == "Space Mission Tracker" and doc["info"]["version"] == "1.0.0"
    assert doc["paths"]["/missions/{mission_id}"]["get"]["tags"] == ["missions"]


def test_file_parameters_typed_dict_get_django_bolts_dicts(demo_apis):
    # django-bolt's older form of File(): each upload as a dict (the quick start's patch upload).
    api = BoltAPI()

    @api.post("/one")
    async def one(doc: dict = File()):
        return {k: v if k != "content" else v.decode() for k, v in doc.items()}

    @api.post("/many")
    def many(docs: list[dict] = File(max_files=3)):
        return [(d["filename"], d.get("content", b"").decode(), "temp_path" in d) for d in docs]

    with TestClient(api) as client:
        r = client.post("/one", files={"doc": ("a.txt", b"hello", "text/plain")})
        assert r.json() == {
            "filename": "a.txt",
            "content_type": "text/plain",
            "size": 5,
            "headers": {"content-type": "text/plain"},
            "content": "hello",
        }
        files = [("docs", ("a.txt", b"A", "text/plain")), ("docs", ("b.txt", b"B", "text/plain"))]
        assert client.post("/many", files=files).json() == [["a.txt", "A", False], ["b.txt", "B", False]]
        # A file spooled to disk comes with its temp_path instead of its content, as in django-bolt.
        with override_settings(FILE_UPLOAD_MAX_MEMORY_SIZE=2):
            assert client.post("/many", files=[("docs", ("big.txt", b"0123456789", "text/plain"))]).json() == [
                ["big.txt", "", True]
            ]
