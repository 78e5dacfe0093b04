"""Django middleware that keep or store bolt's response (issue 13), through the in-process test
client: ``ConditionalGetMiddleware``'s 304 keeps the cookies the handler set (Django keeps a
response's cookies on its 304), and ``UpdateCacheMiddleware``/``FetchFromCacheMiddleware`` store an
API response in Django's cache (a real locmem backend) and serve it from there."""

from __future__ import annotations

import pickle

import pytest
from django.core.cache import caches
from django.test import override_settings
from django.utils.deprecation import MiddlewareMixin

from django_bolt import BoltAPI
from django_bolt.middleware import DjangoMiddleware
from django_bolt.responses import JSON
from django_bolt.testing import TestClient

COND = "django.middleware.http.ConditionalGetMiddleware"
UPDATE = "django.middleware.cache.UpdateCacheMiddleware"
FETCH = "django.middleware.cache.FetchFromCacheMiddleware"
IDENTITY = {"Accept-Encoding": "identity"}
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "bolt-edges2"}}


def _set_cookies(response) -> list[str]:
    return response.headers.get_list("set-cookie")


def test_conditional_get_304_keeps_the_handlers_cookies():
    """The 304 Django builds carried only the cookies Django's own middleware set: the handler's
    ``set_cookie`` was bolt's alone and was dropped."""
    api = BoltAPI(django_middleware=[COND])

    @api.get("/profile")
    async def profile() -> JSON:
        return JSON({"name": "ada"}).set_cookie("seen", "1", httponly=True, path="/profile")

    with TestClient(api) as c:
        first = c.get("/profile", headers=IDENTITY)
        again = c.get("/profile", headers={**IDENTITY, "If-None-Match": first.headers["etag"]})
    assert [h.split(";")[0] for h in _set_cookies(first)] == ["seen=1"]
    assert again.status_code == 304
    assert _set_cookies(again) == _set_cookies(first)


def test_conditional_get_304_keeps_two_cookies_of_one_name():
    """The bug: a second cookie of one name (another path) went out on the 200 only: the 304
    Django builds takes the response's cookie jar, which held one cookie per name."""
    api = BoltAPI(django_middleware=[COND])

    @api.get("/two")
    async def two() -> JSON:
        return JSON({"name": "ada"}).set_cookie("pref", "a", path="/").set_cookie("pref", "b", path="/two")

    with TestClient(api) as c:
        first = c.get("/two", headers=IDENTITY)
        again = c.get("/two", headers={**IDENTITY, "If-None-Match": first.headers["etag"]})
    assert [h.split(";")[1].strip() for h in _set_cookies(first)] == ["Path=/", "Path=/two"]
    assert again.status_code == 304
    assert _set_cookies(again) == _set_cookies(first)


class Overrides(MiddlewareMixin):
    """Reads the handler's cookie among the response's, then sets it again."""

    def process_response(self, request, response):
        response["X-Seen-Was"] = response.cookies["seen"].value
        response.set_cookie("seen", "2")
        return response


def test_django_middleware_see_the_handlers_cookies_and_setting_one_again_wins():
    api = BoltAPI(middleware=[DjangoMiddleware(Overrides)])

    @api.get("/c")
    async def c_route() -> JSON:
        return JSON({}).set_cookie("seen", "1").set_cookie("other", "x")

    with TestClient(api) as c:
        r = c.get("/c")
    assert r.headers["x-seen-was"] == "1"
    assert [h.split(";")[0] for h in _set_cookies(r)] == ["seen=2", "other=x"]


@pytest.fixture(autouse=True)
def django_ready(request) -> None:
    """Django set up with the demo's settings unless a test before configured others: left to the
    test client, it would configure minimal ones, and the demo's tests after these need its."""
    from django.conf import settings

    if not settings.configured:
        request.getfixturevalue("demo_apis")


@pytest.fixture
def locmem(django_ready):
    # The cache key is the absolute URL, whose host Django checks against ALLOWED_HOSTS.
    with override_settings(
        CACHES=LOCMEM, CACHE_MIDDLEWARE_SECONDS=60, CACHE_MIDDLEWARE_KEY_PREFIX="edges2", ALLOWED_HOSTS=["testserver"]
    ):
        caches["default"].clear()
        yield caches["default"]
        caches["default"].clear()


def test_cache_middleware_serves_a_stored_api_response(locmem):
    """Storing the response failed: the response Django's middleware got could not be pickled."""
    calls = {"n": 0}
    api = BoltAPI(django_middleware=[UPDATE, FETCH])

    @api.get("/rows")
    async def rows() -> dict:
        calls["n"] += 1
        return {"rows": [1, 2, 3], "call": calls["n"]}

    with TestClient(api) as c:
        first = c.get("/rows", headers=IDENTITY)
        second = c.get("/rows", headers=IDENTITY)
        other = c.get("/rows?page=2", headers=IDENTITY)
    assert calls["n"] == 2  # /rows once, /rows?page=2 once
    assert first.json() == second.json() == {"rows": [1, 2, 3], "call": 1}
    assert other.json()["call"] == 2
    assert second.headers["content-type"] == first.headers["content-type"] == "application/json"
    assert "max-age=60" in second.headers["cache-control"]
    stored = [k for k in locmem._cache if ".cache_page." in k]
    assert len(stored) == 2


def test_a_stored_response_keeps_its_cookies_and_negotiated_type(locmem):
    calls = {"n": 0}
    api = BoltAPI(django_middleware=[UPDATE, FETCH])

    @api.get("/t", renderers=("text", "json"))
    async def text() -> str:
        calls["n"] += 1
        return "hello"

    @api.get("/c")
    async def with_cookie() -> JSON:
        calls["n"] += 1
        return JSON({"ok": True}).set_cookie("theme", "dark", path="/")

    with TestClient(api) as c:
        first = c.get("/t", headers=IDENTITY)
        second = c.get("/t", headers=IDENTITY)
        cookie_first = c.get("/c", headers=IDENTITY)
        c.cookies.clear()
        cookie_second = c.get("/c", headers=IDENTITY)
    assert calls["n"] == 2
    assert (second.text, second.headers["content-type"]) == ("hello", "text/plain; charset=utf-8")
    assert first.headers["cache-control"] == second.headers["cache-control"]
    assert _set_cookies(cookie_second) == _set_cookies(cookie_first)
    assert _set_cookies(cookie_first)[0].startswith("theme=dark; Path=/")


def test_a_stored_response_keeps_two_cookies_of_one_name(locmem):
    calls = {"n": 0}
    api = BoltAPI(django_middleware=[UPDATE, FETCH])

    @api.get("/two")
    async def two() -> JSON:
        calls["n"] += 1
        return JSON({"ok": True}).set_cookie("pref", "a", path="/").set_cookie("pref", "b", path="/two")

    with TestClient(api) as c:
        first = c.get("/two", headers=IDENTITY)
        c.cookies.clear()
        second = c.get("/two", headers=IDENTITY)
    assert calls["n"] == 1
    assert [h.split(";")[0] for h in _set_cookies(first)] == ["pref=a", "pref=b"]
    assert _set_cookies(second) == _set_cookies(first)


def test_django_middleware_setting_a_cookie_again_replaces_the_first_of_its_name():
    """A second same-name cookie sits beside the first in Django's jar: ``set_cookie`` of that
    name changes the first only (as two cookies for two paths are two cookies)."""
    api = BoltAPI(middleware=[DjangoMiddleware(Overrides)])

    @api.get("/c")
    async def c_route() -> JSON:
        return JSON({}).set_cookie("seen", "1").set_cookie("seen", "1", path="/c")

    with TestClient(api) as c:
        r = c.get("/c")
    assert r.headers["x-seen-was"] == "1"
    assert [h.split(";")[0] for h in _set_cookies(r)] == ["seen=2", "seen=1"]


def test_the_stored_form_is_a_plain_django_response(django_ready):
    """What the cache keeps unpickles without bolt's classes: Django's own ``HttpResponse``."""
    from django.http import HttpResponse

    from django_bolt.middleware.django_adapter import _backed

    backed = _backed(JSON({"a": 1}, headers={"x-kept": "y"}).set_cookie("k", "v"), None, None)
    back = pickle.loads(pickle.dumps(backed))
    assert type(back) is HttpResponse
    assert (back.content, back["Content-Type"], back["X-Kept"]) == (b'{"a":1}', "application/json", "y")
    assert [m.OutputString() for m in back.cookies.values()] == [m.OutputString() for m in backed.cookies.values()]
