"""``request.build_absolute_uri()``, ``get_host()``, ``is_secure()`` as Django's (django-bolt 0.13
builds them with Django too), and ``TestClient(base_url="https://...")`` making requests HTTPS,
through ``TestClient``. The same over a real server: tests/server/test_absolute_uri.py."""

from __future__ import annotations

import asyncio

import pytest
from django.test import override_settings

from django_bolt import BoltAPI, Request
from django_bolt.testing import AsyncTestClient, TestClient


def _api() -> BoltAPI:
    api = BoltAPI()

    @api.get("/where/{name}")
    def where(request: Request, name: str) -> dict:
        return {
            "scheme": request.scheme,
            "secure": request.is_secure(),
            "host": request.get_host(),
            "here": request.build_absolute_uri(),
            "sibling": request.build_absolute_uri("other?page=2"),
            "up": request.build_absolute_uri("../up"),
            "rooted": request.build_absolute_uri("/items/7"),
            "elsewhere": request.build_absolute_uri("https://cdn.example.net/x.js"),
            "full": request.get_full_path(),
        }

    return api


@pytest.fixture(scope="module")
def hosts(request):
    """Django set up (the demo's settings unless a test before configured others), with the
    hosts these tests send allowed."""
    from django.conf import settings

    if not settings.configured:
        request.getfixturevalue("demo_apis")
    with override_settings(ALLOWED_HOSTS=["testserver", "api.example.com"]):
        yield


@pytest.fixture(scope="module")
def client(hosts):
    with TestClient(_api()) as c:
        yield c


def test_absolute_uris_are_djangos(client):
    body = client.get("/where/a%20b?x=1").json()
    assert body == {
        "scheme": "http",
        "secure": False,
        "host": "testserver",
        "here": "http://testserver/where/a%20b?x=1",
        "sibling": "http://testserver/where/other?page=2",
        "up": "http://testserver/up",
        "rooted": "http://testserver/items/7",
        "elsewhere": "https://cdn.example.net/x.js",
        "full": "/where/a%20b?x=1",
    }


def test_the_host_header_is_the_host(client):
    body = client.get("/where/n", headers={"Host": "api.example.com:8443"}).json()
    assert (body["host"], body["rooted"]) == ("api.example.com:8443", "http://api.example.com:8443/items/7")


def test_forwarded_proto_from_an_untrusted_client_changes_nothing(client):
    # The test client's address (127.0.0.1) is not in the demo's BOLT_TRUSTED_PROXIES.
    body = client.get("/where/n", headers={"X-Forwarded-Proto": "https"}).json()
    assert (body["scheme"], body["secure"], body["rooted"]) == ("http", False, "http://testserver/items/7")


def test_a_host_outside_allowed_hosts_is_a_400(client):
    with override_settings(ALLOWED_HOSTS=["api.example.com"]):
        refused = client.get("/where/n", headers={"Host": "evil.example"})
        allowed = client.get("/where/n", headers={"Host": "api.example.com"})
    assert (refused.status_code, refused.json()) == (400, {"detail": "Bad Request"})
    assert allowed.status_code == 200 and allowed.json()["host"] == "api.example.com"


def test_secure_proxy_ssl_header_rules_is_secure_as_in_a_django_view(client):
    """A project that sets it has Django believe the header (from any peer, as Django does);
    ``request.scheme`` stays bolt's (``BOLT_TRUSTED_PROXIES``)."""
    with override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")):
        body = client.get("/where/n", headers={"X-Forwarded-Proto": "https"}).json()
    assert (body["scheme"], body["secure"], body["rooted"]) == ("http", True, "https://testserver/items/7")


def test_an_https_base_url_makes_requests_https(hosts):
    with TestClient(_api(), base_url="https://api.example.com") as c:
        body = c.get("/where/n?q=1").json()
        absolute = c.get("https://api.example.com/where/m").json()
    assert (body["scheme"], body["secure"], body["host"]) == ("https", True, "api.example.com")
    assert body["here"] == "https://api.example.com/where/n?q=1"
    assert absolute["here"] == "https://api.example.com/where/m"


def test_an_http_url_on_an_https_client_is_http(hosts):
    with TestClient(_api(), base_url="https://api.example.com") as c:
        body = c.get("http://api.example.com/where/n").json()
    assert (body["scheme"], body["secure"]) == ("http", False)


def test_the_async_client_takes_an_https_base_url_too(hosts):
    async def go() -> dict:
        async with AsyncTestClient(_api(), base_url="https://api.example.com") as c:
            return (await c.get("/where/n")).json()

    body = asyncio.run(go())
    assert (body["scheme"], body["secure"], body["rooted"]) == ("https", True, "https://api.example.com/items/7")
