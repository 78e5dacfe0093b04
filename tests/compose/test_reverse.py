"""``django_bolt.urls``: Django's ``reverse()`` for bolt route names (django-bolt's API)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, reverse

from django_bolt import BoltAPI, Router
from django_bolt.urls import build_urlpatterns


@pytest.fixture(autouse=True)
def _django(demo_apis):
    """Django set up (on the demo's settings) as for the other test client tests."""


class _URLConf:
    """A URLconf module stand-in (hashable: Django caches resolvers by URLconf)."""

    def __init__(self, apis: list[BoltAPI]) -> None:
        self.urlpatterns = build_urlpatterns(apis)


def _urlconf(*apis: BoltAPI) -> _URLConf:
    return _URLConf(list(apis))


def test_names_namespaces_and_parameters_reverse():
    api = BoltAPI(prefix="/api")

    @api.get("/users/{user_id}", name="user-detail")
    def get_user(user_id: int) -> dict:
        return {}

    @api.get("/files/{rest:path}")
    def download(rest: str) -> str:  # no name=: the handler's name
        return rest

    shop = BoltAPI(prefix="/shop", trailing_slash="append", namespace="shop")
    router = Router(prefix="/items")
    router.get("/{item_id}", name="item")(lambda item_id: item_id)
    shop.include_router(router)
    conf = _urlconf(api, shop)
    assert reverse("user-detail", urlconf=conf, kwargs={"user_id": 7}) == "/api/users/7"
    assert reverse("user-detail", urlconf=conf, args=[8]) == "/api/users/8"
    assert reverse("download", urlconf=conf, kwargs={"rest": "a/b.txt"}) == "/api/files/a/b.txt"
    assert reverse("shop:item", urlconf=conf, kwargs={"item_id": 3}) == "/shop/items/3/"
    with pytest.raises(NoReverseMatch):
        reverse("item", urlconf=conf, kwargs={"item_id": 3})  # namespaced only


def test_several_methods_on_one_path_and_explicit_names_win():
    api = BoltAPI()
    api.get("/things")(lambda: [])
    api.post("/things")(lambda: None)

    @api.get("/a")
    def shared() -> None: ...

    @api.get("/b", name="shared")
    def other() -> None: ...

    conf = _urlconf(api)
    assert reverse("<lambda>", urlconf=conf) == "/things"
    assert reverse("shared", urlconf=conf) == "/b"


def test_two_explicit_names_for_two_paths_are_an_error():
    api = BoltAPI()
    api.get("/a", name="x")(lambda: None)
    api.get("/b", name="x")(lambda: None)
    with pytest.raises(ImproperlyConfigured, match="'x' names both 'a' and 'b'"):
        build_urlpatterns(api)


def test_aliases_and_docs_are_left_out():
    from django_bolt.api import merge_routes

    api = BoltAPI()
    api.get("/users", name="users")(lambda: [])
    routes = merge_routes([api])
    assert len(routes) == 2  # the route and its /users/ alias
    (pattern,) = build_urlpatterns(routes)
    assert pattern.name == "users"


def test_namespace_must_be_a_plain_name():
    with pytest.raises(ValueError, match="namespace"):
        BoltAPI(namespace="a:b")
