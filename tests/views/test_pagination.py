"""Pagination through TestClient: django-bolt 0.13's query parameters, defaults and response
shapes, and the database doing the work (COUNT plus one LIMIT/OFFSET query; never the whole
table)."""

from __future__ import annotations

import base64
import json

from django.db import connection
from django.test.utils import CaptureQueriesContext


def _get(client, path, **params):
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(path, params=params)
    assert r.status_code == 200, r.text
    return r.json(), [q["sql"] for q in ctx.captured_queries]


def test_page_number_shape_and_queries(client):
    data, sql = _get(client, "/v/paged/pages", page=3)
    assert data == {
        "items": [{"id": i, "name": f"Person {i}"} for i in range(21, 31)],
        "total": 100,
        "has_next": True,
        "has_previous": True,
        "page": 3,
        "page_size": 10,
        "total_pages": 10,
        "next_page": 4,
        "previous_page": 2,
    }
    assert len(sql) == 2
    assert "COUNT(*)" in sql[0]
    # One page of rows: LIMIT/OFFSET in the SQL, and only the item's columns.
    assert "LIMIT 10 OFFSET 20" in sql[1] and '"email"' not in sql[1]


def test_page_number_defaults_and_clamping(client):
    first, _ = _get(client, "/v/paged/pages")
    assert first["page"] == 1 and first["has_previous"] is False and "previous_page" not in first
    # Past the last page: the last page. Not a number, or < 1: the first.
    assert _get(client, "/v/paged/pages", page=99)[0]["page"] == 10
    assert _get(client, "/v/paged/pages", page="x")[0]["page"] == 1
    assert _get(client, "/v/paged/pages", page=-3)[0]["page"] == 1
    # page_size from the query, capped at max_page_size; nonsense falls back to page_size.
    data, sql = _get(client, "/v/paged/pages", page_size=500)
    assert data["page_size"] == 25 and len(data["items"]) == 25 and "LIMIT 25" in sql[1]
    assert _get(client, "/v/paged/pages", page_size=0)[0]["page_size"] == 10
    last, _ = _get(client, "/v/paged/pages", page=10)
    assert last["has_next"] is False and "next_page" not in last and last["previous_page"] == 9


def test_empty_result_is_one_count_query(client):
    data, sql = _get(client, "/v/paged/offset", min_age=1000)
    assert data == {"items": [], "total": 0, "has_next": False, "has_previous": False, "limit": 100, "offset": 0}
    assert len(sql) == 1 and "COUNT(*)" in sql[0]


def test_limit_offset(client):
    data, sql = _get(client, "/v/paged/offset", limit=5, offset=95)
    assert [i["id"] for i in data["items"]] == [96, 97, 98, 99, 100]
    assert (data["total"], data["limit"], data["offset"], data["has_next"], data["has_previous"]) == (
        100,
        5,
        95,
        False,
        True,
    )
    assert "LIMIT 5 OFFSET 95" in sql[1]
    # Defaults: limit page_size (100), offset 0; capped at max_page_size; bad values default.
    data, _ = _get(client, "/v/paged/offset", limit="many", offset=-4)
    assert (data["limit"], data["offset"], len(data["items"])) == (100, 0, 100)
    # The handler's own query parameter still works next to the pagination's.
    data, _ = _get(client, "/v/paged/offset", min_age=70, limit=3)
    assert data["total"] == sum(1 for i in range(1, 101) if 18 + i % 60 >= 70)


def test_cursor_walks_every_row_once(client):
    seen, cursor, pages = [], None, 0
    while True:
        params = {"cursor": cursor} if cursor else {}
        data, sql = _get(client, "/v/paged/cursor", **params)
        pages += 1
        assert data["total"] == 0 and data["page_size"] == 30
        assert data["has_previous"] is (cursor is not None)
        assert len(sql) == 1 and "LIMIT 31" in sql[0] and "COUNT" not in sql[0]
        if cursor:
            assert '"id" >' in sql[0]
        seen += [i["id"] for i in data["items"]]
        cursor = data.get("next_cursor")
        if not data["has_next"]:
            assert cursor is None
            break
    assert seen == list(range(1, 101)) and pages == 4
    # The cursor is base64 of {"v": <last key>}, as django-bolt's.
    first, _ = _get(client, "/v/paged/cursor")
    assert json.loads(base64.b64decode(first["next_cursor"])) == {"v": 30}


def test_cursor_descending_default_and_bad_cursor(client):
    data, _ = _get(client, "/v/paged/cursor-desc")
    assert [i["id"] for i in data["items"]][:3] == [100, 99, 98]
    nxt, sql = _get(client, "/v/paged/cursor-desc", cursor=data["next_cursor"])
    assert nxt["items"][0]["id"] == 60 and '"id" <' in sql[0]
    # A cursor that does not decode starts over (django-bolt's behaviour), not a 500.
    again, _ = _get(client, "/v/paged/cursor-desc", cursor="%%%not-base64")
    assert again["items"][0]["id"] == 100 and again["has_previous"] is False


def test_plain_list_and_sync_handler(client):
    data, sql = _get(client, "/v/paged/numbers", page=3)
    assert data["items"] == list(range(200, 250)) and data["total"] == 250 and data["total_pages"] == 3
    assert sql == []


def test_sync_handler_may_query(client):
    data, sql = _get(client, "/v/paged/eager", page=3)
    assert [i["id"] for i in data["items"]] == list(range(21, 31)) and data["total"] == 30
    assert len(sql) == 1


def test_viewset_pagination_counts_and_limits(client):
    data, sql = _get(client, "/v/people", page=2, prefix="Person 2")
    assert data["total"] == 11 and [i["id"] for i in data["items"]] == [29]
    assert len(sql) == 2 and "LIMIT 10 OFFSET 10" in sql[1]


def test_paginated_response_is_documented(demo_apis):
    from django_bolt import PaginatedResponse
    from django_bolt.openapi import OpenAPIConfig
    from django_bolt.openapi.schema_generator import generate
    from views.viewset_api import api

    spec = generate(api.routes, OpenAPIConfig(title="views", version="1"))
    schemas = spec["components"]["schemas"]
    envelope = next(v for k, v in schemas.items() if k.startswith("PaginatedResponse") and "PersonBrief" in k)
    assert set(envelope["required"]) == {"items", "total", "has_next", "has_previous"}
    assert PaginatedResponse[int] is PaginatedResponse[int]
