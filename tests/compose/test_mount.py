"""``api.mount(path, other_api)`` through the test client, and discovery skipping mounted APIs."""

from __future__ import annotations

import pytest

from django_bolt import BoltAPI, Router
from django_bolt.api import RouteConflictError
from django_bolt.auth.guards import IsAuthenticated
from django_bolt.testing import TestClient


@pytest.fixture(autouse=True)
def _django(demo_apis):
    """Django set up (on the demo's settings) as for the other test client tests."""


def test_mounted_routes_keep_their_settings_under_the_mount_path():
    child = BoltAPI(prefix="/c", guards=[IsAuthenticated()], namespace="child")

    @child.get("/private")
    def private() -> dict:
        return {}

    @child.get("/open", guards=[])
    def open_() -> dict:
        return {"open": True}

    parent = BoltAPI()
    parent.get("/here")(lambda: "here")
    parent.mount("/sub/", child)
    assert [(r.path, r.namespace) for r in parent.routes] == [
        ("/here", ""),
        ("/sub/c/private", "child"),
        ("/sub/c/open", "child"),
    ]
    assert child.mounted_into is parent and parent.mounted == [child]
    # The child's own routes are untouched (still at /c/...).
    assert [r.path for r in child.routes] == ["/c/private", "/c/open"]
    with TestClient(parent) as client:
        assert client.get("/sub/c/open").json() == {"open": True}
        assert client.get("/sub/c/private").status_code in (401, 403)
        assert client.get("/c/open").status_code == 404


def test_the_parents_trailing_slash_mode_applies():
    child = BoltAPI()
    child.get("/users")(lambda: [])
    parent = BoltAPI(trailing_slash="append")
    parent.mount("/api", child)
    assert [r.path for r in parent.routes] == ["/api/users/"]


def test_mount_errors():
    child = BoltAPI()
    child.get("/x")(lambda: None)
    parent = BoltAPI()
    parent.get("/m/x")(lambda: None)
    with pytest.raises(RouteConflictError, match="duplicate route GET /m/x"):
        parent.mount("/m", child)
    assert child.mounted_into is None  # nothing changed by the failed mount
    with pytest.raises(TypeError, match="expects a BoltAPI"):
        parent.mount("/r", Router())
    with pytest.raises(ValueError, match="no parameters"):
        parent.mount("/{tenant}", child)
    with pytest.raises(ValueError, match="into itself"):
        parent.mount("/self", parent)
    parent.mount("/ok", child)
    with pytest.raises(ValueError, match="mounted already"):
        BoltAPI().mount("/again", child)
    with pytest.raises(ValueError, match="into itself"):
        child.mount("/loop", parent)


def test_error_formatters_must_agree():
    def one(error, request):  # noqa: ARG001
        return None

    def two(error, request):  # noqa: ARG001
        return None

    parent, child = BoltAPI(error_formatter=one), BoltAPI(error_formatter=two)
    with pytest.raises(ValueError, match="different error_formatter"):
        parent.mount("/c", child)
    plain = BoltAPI()
    plain.mount("/c", BoltAPI(error_formatter=two))
    assert plain.error_formatter is two


def test_discovery_skips_mounted_apis(tmp_path, monkeypatch):
    """A project's api.py that mounts a sub-API defined beside it serves it once, mounted."""
    import sys

    from django_bolt import discovery

    pkg = tmp_path / "mountproj"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "api.py").write_text(
        "from django_bolt import BoltAPI\n"
        "files = BoltAPI()\n"
        "@files.get('/list')\n"
        "def listing():\n    return []\n"
        "api = BoltAPI()\n"
        "api.mount('/files', files)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(discovery, "_api_module_candidates", lambda: ["mountproj.api"])
    monkeypatch.delitem(sys.modules, "mountproj.api", raising=False)
    apis = discovery.discover_apis()
    assert len(apis) == 1
    assert [r.path for r in apis[0].routes] == ["/files/list"]
