"""Django's cache middleware around an API on two cores (issue 13), over real sockets: the README's
rule that ``LocMemCache`` is one per core's interpreter (each core stores and serves its own copy)
while a cache the cores share (here Django's file cache) is filled once and served by both."""

from __future__ import annotations

import json

from support.boltproc import BoltProcess
from support.projects import copy_demo
from support.wire import get

CACHED_API = """
from django_bolt import BoltAPI, _native

cached_api = BoltAPI(
    prefix="/cached",
    django_middleware=[
        "django.middleware.cache.UpdateCacheMiddleware",
        "django.middleware.cache.FetchFromCacheMiddleware",
    ],
)
calls = {"n": 0}


@cached_api.get("/who")
async def who() -> dict:
    calls["n"] += 1
    return {"core": _native.interp_id(), "call": calls["n"]}
"""


def _serve(tmp_path_factory, driver, caches: str) -> BoltProcess:
    project = copy_demo(
        tmp_path_factory.mktemp("cache") / "demo",
        "staticfiles",
        settings=f'\nBOLT_API = ["demo.api:api", "demo.cached_api:cached_api"]\nCACHES = {caches}\n',
    )
    (project / "demo" / "cached_api.py").write_text(CACHED_API)
    return BoltProcess.start(cores=2, driver=driver, cwd=project)


def _answers(port: int, n: int = 40) -> set[tuple[int, int]]:
    """What ``n`` requests on fresh connections (spread over the cores by the kernel) got."""
    seen = set()
    for _ in range(n):
        r = get(port, "/cached/who")
        assert r.status == 200, r.body
        body = json.loads(r.body)
        seen.add((body["core"], body["call"]))
    return seen


def test_locmem_is_one_cache_per_core(demo_db, driver, tmp_path_factory):
    server = _serve(
        tmp_path_factory, driver, '{"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}'
    )
    try:
        seen = _answers(server.port)
    finally:
        server.stop()
    # Each core ran the handler once and then served its own stored answer.
    assert sorted(call for _, call in seen) == [1, 1] and len({core for core, _ in seen}) == 2


def test_a_shared_cache_is_filled_once_for_every_core(demo_db, driver, tmp_path_factory):
    location = tmp_path_factory.mktemp("filecache")
    caches = (
        f'{{"default": {{"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": "{location}"}}}}'
    )
    server = _serve(tmp_path_factory, driver, caches)
    try:
        seen = _answers(server.port)
    finally:
        server.stop()
    assert len(seen) == 1, seen
