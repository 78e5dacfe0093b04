"""The demo's document, and the real server's error bodies checked against what it documents."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator, ValidationError
from openapi_spec_validator import validate

from support.openapi import project_document_timed
from support.wire import fetch, get, json_body


@pytest.fixture(scope="module")
def demo_doc():
    doc, seconds = project_document_timed()
    return doc


def documented(doc, path, method, status):
    """A validator for the JSON body ``path``'s ``method`` documents for ``status``."""
    responses = doc["paths"][path][method]["responses"]
    assert str(status) in responses, f"{method.upper()} {path} does not document {status}: {sorted(responses)}"
    schema = responses[str(status)]["content"]["application/json"]["schema"]
    return Draft202012Validator({**schema, "components": doc["components"]})


def test_the_demo_document_is_valid_and_deterministic(demo_doc):
    validate(demo_doc)
    again, _ = project_document_timed()
    assert json.dumps(again) == json.dumps(demo_doc)


def test_generating_it_is_cheap_enough_for_every_interpreter_start():
    _, seconds = project_document_timed()
    assert seconds < 1.0  # about 50 ms for the demo's ~140 routes; this catches a blow-up


def test_the_demo_hides_what_misbehaves_on_purpose_and_documents_its_errors(demo_doc):
    paths = demo_doc["paths"]
    for hidden in ("/boom", "/sleep", "/slow-sync", "/slow-auto", "/encode/nan", "/encode/object", "/typed/broken"):
        assert hidden not in paths
    assert sorted(paths["/teapot"]["get"]["responses"]) == ["200", "418"]
    assert sorted(paths["/missing/{id}"]["get"]["responses"]) == ["200", "404", "422"]
    assert list(paths["/response"]["get"]["responses"]["203"]["content"]) == ["*/*"]
    assert "/docs" not in paths and not any(p.startswith("/admin") for p in paths)


@pytest.mark.parametrize(
    ("method", "path", "request_path", "body"),
    [
        ("get", "/items/{id}", "/items/abc", None),  # a path value
        ("get", "/search", "/search?q=A&page=0&ratio=2&ids=1&ids=2&ids=3&ids=4", None),  # every constraint at once
        ("post", "/orders", "/orders", {"id": "x", "lines": [{"sku": "bad", "qty": 0, "price": -1}]}),  # nested
        ("post", "/orders", "/orders", b"{not json"),  # json_invalid
        ("get", "/headers", "/headers", None),  # a missing header: input is null
    ],
)
def test_a_real_422_matches_the_documented_schema(server, demo_doc, method, path, request_path, body):
    headers = [("Content-Type", "application/json")] if body is not None else []
    raw = body if isinstance(body, bytes) else (json_body(body) if body is not None else b"")
    resp = fetch(server.port, method.upper(), request_path, headers=headers, body=raw)
    assert resp.status == 422, resp.body
    validator = documented(demo_doc, path, method, 422)
    validator.validate(resp.json())
    # Not vacuous: the schema holds the server to its keys.
    broken = resp.json()
    del broken["detail"][0]["input"]
    with pytest.raises(ValidationError, match="'input' is a required property"):
        validator.validate(broken)


def test_a_real_415_and_401_match_the_documented_schema(server, demo_doc):
    resp = fetch(server.port, "POST", "/items", headers=[("Content-Type", "text/plain")], body=b"x")
    assert resp.status == 415
    documented(demo_doc, "/items", "post", 415).validate(resp.json())
    resp = get(server.port, "/secure/hello-jwt")
    assert resp.status == 401 and resp.header("www-authenticate") == "Bearer"
    documented(demo_doc, "/secure/hello-jwt", "get", 401).validate(resp.json())
    assert demo_doc["paths"]["/secure/hello-jwt"]["get"]["security"] == [{"BearerAuth": []}]
