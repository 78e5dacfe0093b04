"""The OpenAPI 3.1 document (``schema_generator.generate``): what it says of each feature, read
from the same plans the server runs on. The API is features.py, built in this process."""

from __future__ import annotations

import json

import pytest
from openapi_spec_validator import validate

from django_bolt import HTML, BoltAPI, Redirect, Struct
from django_bolt.api import merge_routes
from django_bolt.openapi import OpenAPIConfig
from django_bolt.openapi.schema_generator import generate

from . import features

REF = "#/components/schemas/"


@pytest.fixture(scope="module")
def routes():
    routes = merge_routes(features.APIS)
    for r in routes:
        r.plan()  # as start-up does: deferred body plans resolved
    return routes


@pytest.fixture(scope="module")
def doc(routes):
    return generate(routes, features.config)


def op(doc, path, method="get"):
    return doc["paths"][path][method]


def params(doc, path, method="get"):
    return {p["name"]: p for p in op(doc, path, method).get("parameters", [])}


def component(doc, ref):
    assert ref.startswith(REF), ref
    return doc["components"]["schemas"][ref[len(REF) :]]


# --- the document as a whole ------------------------------------------------------------------------


def test_the_document_is_valid_openapi_3_1(doc):
    assert doc["openapi"] == "3.1.0"
    validate(doc)


def test_the_same_routes_give_the_same_bytes(routes, doc):
    again = generate(routes, features.config)
    assert json.dumps(again) == json.dumps(doc)


def test_info_servers_tags_and_external_docs_come_from_the_config(doc):
    assert doc["info"] == {
        "title": "Features",
        "version": "3.2.1",
        "summary": "Every documented feature",
        "description": "An API for the document's tests.",
        "termsOfService": "https://example.com/terms",
        "contact": {"name": "Ops", "email": "ops@example.com"},
        "license": {"name": "MIT", "identifier": "MIT"},
    }
    assert doc["servers"] == [{"url": "https://api.example.com", "description": "production"}, {"url": "/"}]
    # The config's tags (spec objects), nothing else: the only tag used ("items") is one of them.
    assert doc["tags"] == [{"name": "items", "description": "What we sell", "externalDocs": {"url": "https://x.io"}}]
    assert doc["externalDocs"] == {"url": "https://docs.example.com", "description": "Guide"}
    assert doc["webhooks"] == {"itemSold": {"post": {"responses": {"200": {"description": "OK"}}}}}


def test_hidden_excluded_and_docs_paths_are_left_out(doc):
    paths = set(doc["paths"])
    assert "/invisible" not in paths  # include_in_schema=False on the route
    assert "/hidden/thing" not in paths  # BoltAPI(include_in_schema=False)
    assert "/hidden/shown" in paths  # ... unless the route says otherwise
    assert "/internal/stats" not in paths  # config.exclude_paths
    assert "/docs/extra" not in paths  # config.path: the docs' own
    assert "/items/{item_id}" in paths


# --- parameters ----------------------------------------------------------------------------------------


def test_parameters_carry_location_type_required_default_and_constraints(doc):
    p = params(doc, "/items/{item_id}")
    assert p["item_id"] == {"name": "item_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    assert p["q"] == {
        "name": "q",
        "in": "query",
        "required": False,
        "description": "Search text",
        "schema": {"type": "string", "maxLength": 5},
        "example": "pen",
    }
    # The alias is the name; deprecated=True from the marker.
    assert p["p"] == {
        "name": "p",
        "in": "query",
        "required": False,
        "deprecated": True,
        "schema": {"type": "integer", "minimum": 1, "exclusiveMaximum": 1000, "default": 1},
    }
    assert p["ratio"]["schema"] == {"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.5, "default": 1.0}
    assert p["ids"]["schema"] == {"type": "array", "items": {"type": "integer"}, "maxItems": 3, "default": []}
    assert (p["ids"]["style"], p["ids"]["explode"]) == ("form", True)
    assert p["flag"]["schema"] == {"type": "boolean", "default": False}


@pytest.mark.parametrize(
    ("name", "schema"),
    [
        ("when", {"type": "string", "format": "date"}),
        ("at", {"type": "string", "format": "date-time"}),
        ("clock", {"type": "string", "format": "time"}),
        ("token", {"type": "string", "format": "uuid"}),
        ("price", {"type": "number"}),  # Decimal() parses any number's text
        ("mode", {"type": "string", "enum": ["a", "b"], "default": "a"}),
        ("color", {"$ref": REF + "Color"}),
        ("level", {"$ref": REF + "Level", "default": 1}),
    ],
)
def test_each_scalar_kind_has_its_json_schema_type(doc, name, schema):
    assert params(doc, "/items/{item_id}")[name]["schema"] == schema


def test_enums_are_components_with_their_values(doc):
    assert doc["components"]["schemas"]["Color"] == {
        "title": "Color",
        "description": "A color.",
        "type": "string",
        "enum": ["red", "blue"],
    }
    assert doc["components"]["schemas"]["Level"] == {"title": "Level", "type": "integer", "enum": [1, 2]}


def test_headers_cookies_and_dependency_parameters_appear_request_does_not(doc):
    p = params(doc, "/items/{item_id}")
    assert p["x-request-id"]["in"] == "header"
    assert p["sid"]["in"] == "cookie"
    # tenant() is a dependency: the server reads its header, so the document lists it.
    assert p["x-tenant"] == {
        "name": "x-tenant",
        "in": "header",
        "required": True,
        "description": "Whose data",
        "schema": {"type": "string"},
    }
    assert "request" not in p and "who" not in p


def test_a_grouped_query_model_is_one_parameter_per_field(doc):
    p = params(doc, "/grouped")
    assert p == {
        "limit": {
            "name": "limit",
            "in": "query",
            "required": False,
            "description": "Page size",
            "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
        },
        "offset": {"name": "offset", "in": "query", "required": False, "schema": {"type": "integer", "default": 0}},
    }


def test_a_path_converter_is_a_plain_path_parameter(doc):
    assert params(doc, "/files/{rest}")["rest"]["in"] == "path"


# --- request bodies ----------------------------------------------------------------------------------


def test_a_struct_body_is_a_component_with_json_names_defaults_and_forbidden_extras(doc):
    body = op(doc, "/items", "post")["requestBody"]
    assert body == {"required": True, "content": {"application/json": {"schema": {"$ref": REF + "Item"}}}}
    item = doc["components"]["schemas"]["Item"]
    assert item["required"] == ["itemName", "unitPrice"]  # rename="camel"
    assert item["additionalProperties"] is False  # forbid_unknown_fields
    assert item["description"] == "Something we sell."
    props = item["properties"]
    assert props["itemName"] == {
        "type": "string",
        "minLength": 1,
        "maxLength": 20,
        "description": "Its name",
        "examples": ["pen"],
    }
    assert props["unitPrice"]["anyOf"][0] == {"type": "number", "minimum": 0}  # a number, or its text
    assert props["unitPrice"]["anyOf"][1]["type"] == "string"
    assert props["color"] == {"$ref": REF + "Color", "default": "blue"}
    assert props["tags"] == {"type": "array", "items": {"type": "string"}, "default": []}
    assert props["note"] == {"type": ["string", "null"], "default": None}


def test_recursive_structs_refer_to_themselves(doc):
    node = doc["components"]["schemas"]["TreeNode"]
    assert node["properties"]["children"]["items"] == {"$ref": REF + "TreeNode"}


def test_a_union_of_tagged_structs_is_one_of_with_a_discriminator(doc):
    schema = op(doc, "/pets", "post")["requestBody"]["content"]["application/json"]["schema"]
    assert schema == {
        "oneOf": [{"$ref": REF + "Cat"}, {"$ref": REF + "Dog"}],
        "discriminator": {"propertyName": "type", "mapping": {"cat": REF + "Cat", "dog": REF + "Dog"}},
    }
    assert doc["components"]["schemas"]["Cat"]["properties"]["type"] == {"const": "cat"}


def test_embedded_bodies_are_one_object_with_a_key_each(doc):
    schema = op(doc, "/embedded", "post")["requestBody"]["content"]["application/json"]["schema"]
    assert schema == {
        "type": "object",
        "properties": {
            "point": {"$ref": REF + "Point"},
            "scale": {"type": "number", "exclusiveMinimum": 0, "default": 1.0},
        },
        "required": ["point"],
    }
    assert doc["components"]["schemas"]["Point"]["required"] == ["x"]  # a dataclass


def test_list_of_typeddict_and_optional_bodies(doc):
    body = op(doc, "/movies", "post")["requestBody"]
    assert body["content"]["application/json"]["schema"] == {"type": "array", "items": {"$ref": REF + "Movie"}}
    assert doc["components"]["schemas"]["Movie"]["required"] == ["title", "year"]
    optional = op(doc, "/optional-body", "post")["requestBody"]
    assert optional["required"] is False
    assert optional["content"]["application/json"]["schema"] == {"anyOf": [{"$ref": REF + "Item"}, {"type": "null"}]}


def test_forms_are_urlencoded_or_multipart_and_files_are_binary(doc):
    form = op(doc, "/form", "post")["requestBody"]
    assert set(form["content"]) == {"application/x-www-form-urlencoded", "multipart/form-data"}
    schema = form["content"]["multipart/form-data"]["schema"]
    assert schema["required"] == ["name", "age"]
    assert schema["properties"]["age"] == {"type": "integer", "minimum": 0}
    upload = op(doc, "/upload", "post")["requestBody"]
    assert list(upload["content"]) == ["multipart/form-data"]  # files need multipart
    props = upload["content"]["multipart/form-data"]["schema"]["properties"]
    binary = {"type": "string", "format": "binary", "contentMediaType": "application/octet-stream"}
    assert props["doc"] == binary
    assert props["extra"] == {"type": "array", "items": binary}


# --- responses -----------------------------------------------------------------------------------------


def test_response_model_dict_documents_each_status(doc, routes):
    responses = op(doc, "/items/{item_id}")["responses"]
    assert responses["200"]["content"]["application/json"]["schema"] == {"$ref": REF + "Item"}
    assert responses["404"]["content"]["application/json"]["schema"] == {"$ref": REF + "HTTPError"}
    # The success status's type is still what the return value is encoded through.
    route = next(r for r in routes if r.path == "/items/{item_id}" and r.method == "GET")
    assert route.response_model is features.Item and route.responses == {404: features.NotFound}
    assert route.response_plan() is not None


def test_status_code_and_media_types(doc):
    assert list(op(doc, "/items", "post")["responses"])[0] == "201"
    assert op(doc, "/page")["responses"]["200"]["content"] == {"text/html": {"schema": {"type": "string"}}}
    assert op(doc, "/text")["responses"]["200"]["content"] == {"text/plain": {"schema": {"type": "string"}}}
    assert op(doc, "/go")["responses"] == {
        "307": {
            "description": "Temporary Redirect",
            "headers": {"Location": {"required": True, "schema": {"type": "string"}}},
        }
    }
    assert op(doc, "/items/{item_id}", "delete")["responses"]["204"] == {"description": "No Content"}


def test_undeclared_or_untyped_returns_are_any_json(doc):
    assert op(doc, "/anything")["responses"]["200"]["content"]["application/json"]["schema"] == {}
    plain = op(doc, "/plain-dict")["responses"]["200"]["content"]["application/json"]["schema"]
    assert plain == {"type": "object", "additionalProperties": {}}
    typed = op(doc, "/no-input")["responses"]["200"]["content"]["application/json"]["schema"]
    assert typed == {"type": "array", "items": {"$ref": REF + "Point"}}


def test_the_errors_bolt_answers_are_documented_where_it_can_answer_them(doc):
    def codes(path, method="get"):
        return sorted(op(doc, path, method)["responses"])

    assert codes("/no-input") == ["200"]  # no input, no auth: nothing else can come back
    assert codes("/items/{item_id}") == ["200", "404", "422"]
    assert codes("/items", "post") == ["201", "413", "415", "422"]
    assert codes("/upload", "post") == ["200", "400", "413", "415", "422"]
    assert codes("/limited") == ["200", "429"]
    assert codes("/secure") == ["200", "401", "403"]
    assert codes("/optional-auth") == ["200", "401"]  # a bad token still is a 401; AllowAny refuses nothing
    assert codes("/session") == ["200", "403"]  # no scheme to name: a refusal is a 403
    assert codes("/guard-only") == ["200", "403"]
    assert op(doc, "/limited")["responses"]["429"]["headers"]["Retry-After"]["schema"] == {"type": "integer"}


def test_the_validation_error_schema_is_fastapis(doc):
    schemas = doc["components"]["schemas"]
    assert schemas["HTTPValidationError"]["properties"]["detail"]["items"] == {"$ref": REF + "ValidationError"}
    assert schemas["ValidationError"]["required"] == ["type", "loc", "msg", "input"]


def test_include_error_responses_false_leaves_them_out(routes):
    quiet = generate(routes, OpenAPIConfig(title="q", include_error_responses=False))
    assert sorted(quiet["paths"]["/items"]["post"]["responses"]) == ["201"]


# --- security -----------------------------------------------------------------------------------------


def test_security_schemes_come_from_the_authenticators_on_routes(doc):
    assert doc["components"]["securitySchemes"] == {
        "ApiKeyAuth": {"type": "apiKey", "in": "header", "name": "x-token"},
        "BearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        "JWTCookieAuth": {"type": "apiKey", "in": "cookie", "name": "access", "description": "A JWT"},
        "SessionAuth": {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "Django's session cookie; unsafe methods also need X-CSRFToken",
        },
    }


def test_each_authenticator_is_an_alternative_and_optional_auth_admits_none(doc):
    assert op(doc, "/secure")["security"] == [{"BearerAuth": []}, {"ApiKeyAuth": []}]
    # The cookie-reading JWT: the header or the cookie; AllowAny lets anonymous requests in.
    assert op(doc, "/optional-auth")["security"] == [{"BearerAuth": []}, {"JWTCookieAuth": []}, {}]
    assert op(doc, "/session")["security"] == [{"SessionAuth": []}]
    assert "security" not in op(doc, "/guard-only")
    assert "security" not in op(doc, "/no-input")


# --- operation fields ---------------------------------------------------------------------------------


def test_summary_description_tags_and_ids(doc):
    read = op(doc, "/items/{item_id}")
    assert read["summary"] == "Read Item"  # from the handler's name
    assert read["description"] == "Reads one item.\n\nLonger words about it."  # its docstring
    assert read["tags"] == ["items"]
    assert read["operationId"] == "read_item_items__item_id__get"
    create = op(doc, "/items", "post")
    assert (create["summary"], create["description"]) == ("Create an item", "Makes one.")
    assert "tags" not in op(doc, "/no-input")
    old = op(doc, "/old")
    assert old["operationId"] == "legacyThing"
    assert old["deprecated"] is True
    assert old["x-internal-note"] == "old"  # openapi_extra
    ids = [o["operationId"] for item in doc["paths"].values() for o in item.values()]
    assert len(ids) == len(set(ids))


def test_docstrings_can_be_left_out(routes):
    plain = generate(routes, OpenAPIConfig(title="p", use_handler_docstrings=False))
    assert "description" not in plain["paths"]["/items/{item_id}"]["get"]


def test_a_duplicate_operation_id_is_an_error():
    a = BoltAPI()

    @a.get("/one", operation_id="same")
    def one() -> dict:
        return {}

    @a.get("/two", operation_id="same")
    def two() -> dict:
        return {}

    with pytest.raises(ValueError, match="operation_id 'same' is used twice: GET /one and GET /two"):
        generate(a.routes, OpenAPIConfig())


class _Shop:
    class Thing(Struct):
        a: int


class _Stock:
    class Thing(Struct):
        b: int


def test_two_classes_with_one_name_get_qualified_component_names():
    a = BoltAPI()

    @a.post("/one")
    def one(t: _Shop.Thing) -> dict:
        return {}

    @a.post("/two")
    def two(t: _Stock.Thing) -> dict:
        return {}

    doc = generate(a.routes, OpenAPIConfig())
    names = sorted(doc["components"]["schemas"])
    assert names == [
        "HTTPError",
        "HTTPValidationError",
        "ValidationError",
        "openapi.test_document._Shop.Thing",
        "openapi.test_document._Stock.Thing",
    ]
    body = doc["paths"]["/two"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": REF + "openapi.test_document._Stock.Thing"}
    validate(doc)


# --- the API keywords -----------------------------------------------------------------------------


def test_boltapi_has_docs_by_default_with_its_title_and_version():
    a = BoltAPI(title="Shop", version="2.0")
    assert (a.openapi_config.title, a.openapi_config.version, a.openapi_config.path) == ("Shop", "2.0", "/docs")
    mine = OpenAPIConfig(title="Mine")
    assert BoltAPI(openapi_config=mine).openapi_config is mine


def test_an_unknown_route_keyword_is_a_type_error():
    with pytest.raises(TypeError, match="unexpected keyword argument 'summery'"):
        BoltAPI().get("/x", summery="typo")


def test_response_model_dict_needs_statuses():
    with pytest.raises(ValueError, match="response_model keys must be statuses"):
        BoltAPI().get("/x", response_model={"ok": dict})


def test_response_class_wraps_what_the_handler_returns(routes):
    by_path = {r.path: r for r in routes}
    page = by_path["/page"].endpoint()
    assert isinstance(page, HTML) and page.content == "<h1>hi</h1>" and page.status_code == 200
    go = by_path["/go"].endpoint()
    assert isinstance(go, Redirect) and go.status_code == 307 and go.headers["location"] == "/page"
    # A response returned as it is stays as it is.
    assert by_path["/text"].endpoint().media_type.startswith("text/plain")


def test_strict_mode_refuses_untyped_responses(routes):
    with pytest.raises(ValueError, match=r"untyped JSON .*: GET /anything"):
        generate(routes, OpenAPIConfig(title="s", strict=True))
