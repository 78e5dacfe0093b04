"""django-bolt 0.13's route middleware and upload checks over a real ``bolt`` (tests/projects/moving):
``Router(middleware=...)`` runs API → router → nested router → route, django-bolt's
``{"type": "rate_limit"}``/``cors=`` configs are enforced by the Rust limiter and CORS,
``skip_middleware("cors"/"rate_limit")`` switches them off for one route, and ``File(max_size=,
allowed_types=, max_files=)`` answers 422 before the handler."""

from __future__ import annotations

from support.wire import fetch, multipart

APP = "https://app.example.com"
OTHER = "https://other.example"


def test_router_middleware_runs_in_django_bolts_order(moving_site):
    r = fetch(moving_site.port, "GET", "/o/i/order")
    assert r.status == 200
    assert r.json() == {"order": ["app", "outer", "inner", "route"]}
    assert all(r.header(f"x-{n}") == "1" for n in ("app", "outer", "inner", "route"))


def test_a_router_rate_limit_config_limits_its_routes_unless_skipped(moving_site):
    statuses = [fetch(moving_site.port, "GET", "/o/i/order").status for _ in range(6)]
    assert 429 in statuses
    limited = fetch(moving_site.port, "GET", "/o/i/order")
    assert limited.status == 429 and limited.header("retry-after")
    # The same router, a route that skips the limit and the outer router's middleware class.
    free = [fetch(moving_site.port, "GET", "/o/i/unlimited") for _ in range(6)]
    assert [r.status for r in free] == [200] * 6
    assert free[0].json() == {"order": ["app", "inner"]}


def test_skip_middleware_cors_drops_the_projects_policy(moving_site):
    allowed = fetch(moving_site.port, "GET", "/cors/project", headers=[("Origin", APP)])
    assert allowed.header("access-control-allow-origin") == APP
    skipped = fetch(moving_site.port, "GET", "/cors/skipped", headers=[("Origin", APP)])
    assert skipped.status == 200 and skipped.header("access-control-allow-origin") is None
    preflight = fetch(
        moving_site.port,
        "OPTIONS",
        "/cors/skipped",
        headers=[("Origin", APP), ("Access-Control-Request-Method", "GET")],
    )
    assert preflight.header("access-control-allow-origin") is None
    assert preflight.header("access-control-allow-methods") is None


def test_a_cors_config_given_to_middleware_is_the_routes_policy(moving_site):
    r = fetch(moving_site.port, "GET", "/cors/config", headers=[("Origin", OTHER)])
    assert r.header("access-control-allow-origin") == OTHER
    r = fetch(moving_site.port, "GET", "/cors/config", headers=[("Origin", APP)])
    assert r.header("access-control-allow-origin") is None


def test_file_max_size_and_max_files_are_422(moving_site):
    headers, body = multipart([("avatar", "a.pdf", b"x" * 64)])
    r = fetch(moving_site.port, "POST", "/upload/avatar", headers=headers, body=body)
    assert r.status == 200 and r.json() == {"size": 64, "type": "application/pdf"}
    headers, body = multipart([("avatar", "a.pdf", b"x" * 65)])
    r = fetch(moving_site.port, "POST", "/upload/avatar", headers=headers, body=body)
    assert r.status == 422
    (issue,) = r.json()["detail"]
    assert issue["type"] == "file_too_large" and issue["loc"] == ["body", "avatar"]
    assert issue["ctx"] == {"max_size": 64, "actual_size": 65}
    # Files are sent as application/pdf here: not an allowed type for /upload/docs.
    headers, body = multipart([("docs", "a.pdf", b"1"), ("docs", "b.pdf", b"2"), ("docs", "c.pdf", b"3")])
    r = fetch(moving_site.port, "POST", "/upload/docs", headers=headers, body=body)
    assert r.status == 422
    types = [i["type"] for i in r.json()["detail"]]
    assert types[0] == "file_too_many" and types.count("file_invalid_content_type") == 3
