"""django-bolt 0.13's ASGI mounts page (topics/asgi-mounts.md) through ``TestClient``; the module
(site_moving/examples/asgi_mounts.py) says where the examples were changed and why."""

from __future__ import annotations

import pytest
from django.test import override_settings

from django_bolt import BoltAPI
from django_bolt.testing import TestClient


@pytest.fixture(scope="module")
def client(example):
    # Django's own fallthrough off: what answers under /admin and /django is the mount.
    with override_settings(BOLT_DJANGO_FALLTHROUGH=False), TestClient(example("asgi_mounts").APIS) as c:
        yield c


def test_mount_asgi_serves_the_metrics_app_at_and_under_its_prefix(client):
    for path in ("/metrics", "/metrics/v1/ping"):
        r = client.get(path)
        assert (r.status_code, r.headers["content-type"], r.json()) == (200, "application/json", {"ok": True})


def test_scope_behavior_as_the_page_lists_it(example):
    seen = []

    async def app(scope, receive, send):
        seen.append((scope["root_path"], scope["path"], scope["query_string"], dict(scope["headers"])[b"x-h"]))
        await example("asgi_mounts").metrics_app(scope, receive, send)

    api = BoltAPI()
    api.mount_asgi("/metrics", app)
    with TestClient(api) as c:
        c.get("/metrics", headers={"X-H": "1"})
        c.get("/metrics/v1/ping?a=b", headers={"X-H": "2"})
    assert seen == [("/metrics", "/", b"", b"1"), ("/metrics", "/v1/ping", b"a=b", b"2")]


def test_mount_django_serves_djangos_asgi_app_under_the_prefix(client):
    login = client.get("/django/admin/login/")
    assert login.status_code == 200 and 'action="/django/admin/login/"' in login.text
    # A redirect Django makes root-relative gets the prefix.
    index = client.get("/django/admin/", follow_redirects=False)
    assert (index.status_code, index.headers["location"]) == (302, "/django/admin/login/?next=/django/admin/")


def test_mount_django_with_its_own_app(client):
    assert client.get("/legacy/x").text == "legacy /legacy /legacy/x"


def test_clear_root_path_lets_the_admins_own_patterns_match(client):
    login = client.get("/admin/login/")
    assert login.status_code == 200 and 'action="/admin/login/"' in login.text


def test_rules_and_constraints(example):
    app = example("asgi_mounts").metrics_app
    api = BoltAPI()
    with pytest.raises(ValueError, match="static"):
        api.mount_asgi("/items/{id}", app)
    api.mount_asgi("tools/", app)  # normalized to /tools
    with pytest.raises(ValueError, match="Duplicate ASGI mount prefix: /tools"):
        api.mount_asgi("/tools", app)
    api.mount_asgi("/tools/deep", app)  # a longer prefix beside it is fine

    @api.get("/exact")
    async def exact() -> dict:
        return {}

    api.mount_asgi("/exact", app)
    with pytest.raises(ValueError, match="conflicts with an existing HTTP route"):
        TestClient(api)
