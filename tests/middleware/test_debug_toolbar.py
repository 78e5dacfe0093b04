"""django-debug-toolbar around API routes, over a real bolt (tests/projects/toolbar: the toolbar
in ``MIDDLEWARE``, taken by ``BoltAPI(django_middleware=True)``, and its URLs served by Django's
fallthrough): an HTML route gets the toolbar injected into its body, and a JSON route's request
is kept in the toolbar's store, where the toolbar's own panel view finds it, on any core when the
store is one they share."""

from __future__ import annotations

import json

import pytest

from support.boltproc import BoltProcess
from support.projects import copy_project
from support.wire import get


@pytest.fixture(scope="module")
def server(driver, tmp_path_factory):
    project = copy_project("toolbar", tmp_path_factory.mktemp("toolbar") / "toolbar")
    # One core: the toolbar's default store is in memory, one per interpreter (see README).
    proc = BoltProcess.start(cores=1, driver=driver, cwd=project)
    yield proc
    proc.stop()


def test_an_html_route_gets_the_toolbar(server):
    r = get(server.port, "/tb/page")
    assert r.status == 200 and r.header("content-type") == "text/html; charset=utf-8"
    text = r.body.decode()
    assert text.index("<h1>bolt page</h1>") < text.index('id="djDebug"') < text.index("</body>")
    assert int(r.header("content-length")) == len(r.body)


def test_a_json_route_is_recorded_in_the_toolbar_store(server):
    r = get(server.port, "/tb/data")
    assert json.loads(r.body) == {"answer": 42} and "djDebug" not in r.body.decode()
    request_id = r.header("djdt-request-id")
    assert request_id
    # The toolbar's panel view (a Django view: bolt's fallthrough) reads the request back.
    panel = get(server.port, f"/__debug__/render_panel/?request_id={request_id}&panel_id=HistoryPanel")
    assert panel.status == 200, panel.body[:500]
    assert "/tb/data" in json.loads(panel.body)["content"]


def test_on_several_cores_a_shared_store_finds_every_request(driver, tmp_path):
    """The default store is one per core's interpreter; the toolbar's ``CacheStore`` over a cache
    every core shares (here Django's file cache) lets any core's panel view find the request."""
    project = copy_project(
        "toolbar",
        tmp_path / "toolbar",
        settings=(
            "CACHES = {'default': {'BACKEND': 'django.core.cache.backends.filebased.FileBasedCache',"
            f" 'LOCATION': {str(tmp_path / 'cache')!r}}}}}\n"
            "DEBUG_TOOLBAR_CONFIG['TOOLBAR_STORE_CLASS'] = 'debug_toolbar.store.CacheStore'\n"
        ),
    )
    server = BoltProcess.start(cores=2, driver=driver, cwd=project)
    try:
        request_id = get(server.port, "/tb/data").header("djdt-request-id")
        # Fresh connections: the kernel spreads them over both cores' listeners.
        for _ in range(12):
            panel = get(server.port, f"/__debug__/render_panel/?request_id={request_id}&panel_id=HistoryPanel")
            assert panel.status == 200 and "/tb/data" in json.loads(panel.body)["content"]
    finally:
        server.stop()
