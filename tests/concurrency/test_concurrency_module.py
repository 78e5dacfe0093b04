"""``django_bolt.concurrency``: django-bolt 0.13's helpers, on this server's threads.

Through ``TestClient`` (results, keyword arguments, context variables, the ORM from inside a
running loop) and over a real server on two cores (which thread each helper runs on).
"""

from __future__ import annotations

import contextvars
from pathlib import Path

import pytest

from django_bolt import BoltAPI
from django_bolt.concurrency import (
    LaneAffinityError,
    in_orm_executor_thread,
    run_in_orm_executor,
    run_orm_blocking,
    sync_to_thread,
)
from django_bolt.testing import TestClient
from support.boltproc import BoltProcess
from support.projects import copy_demo
from support.wire import get

TENANT: contextvars.ContextVar[str] = contextvars.ContextVar("tenant", default="none")

PROBE = """
import contextvars
import threading

from django_bolt import BoltAPI
from django_bolt.concurrency import in_orm_executor_thread, run_in_orm_executor, run_orm_blocking, sync_to_thread
from people.models import Person

api = BoltAPI()


def where(*args, **kwargs):
    return {"thread": threading.current_thread().name, "args": list(args), "kwargs": kwargs,
            "orm_thread": in_orm_executor_thread()}


def count():
    return {"thread": threading.current_thread().name, "count": Person.objects.count(),
            "orm_thread": in_orm_executor_thread()}


@api.get("/thread")
async def on_thread():
    return await sync_to_thread(where, 1, k=2)


@api.get("/orm")
async def on_orm():
    return await run_in_orm_executor(count)


@api.get("/blocking")
async def blocking():
    return run_orm_blocking(count)
"""


def _count() -> int:
    from people.models import Person

    return Person.objects.count()


@pytest.fixture(scope="module")
def api(demo_apis) -> BoltAPI:
    api = BoltAPI()

    def seen(*args, **kwargs) -> dict:
        got = TENANT.get()
        TENANT.set("written in the thread")  # must not leak back to the handler
        return {"args": list(args), "kwargs": kwargs, "tenant": got, "orm_thread": in_orm_executor_thread()}

    @api.get("/thread")
    async def on_thread() -> dict:
        TENANT.set("acme")
        out = await sync_to_thread(seen, 1, 2, k="v")
        return {**out, "after": TENANT.get()}

    @api.get("/orm")
    async def on_orm() -> dict:
        TENANT.set("acme")

        def query() -> dict:
            return {"count": _count(), "tenant": TENANT.get(), "orm_thread": in_orm_executor_thread()}

        out = await run_in_orm_executor(query)
        return {**out, "outside": in_orm_executor_thread()}

    @api.get("/blocking")
    async def blocking() -> dict:
        TENANT.set("acme")
        # Without hiding the loop, Django refuses: SynchronousOnlyOperation.
        return {"count": run_orm_blocking(_count), "tenant": run_orm_blocking(TENANT.get)}

    @api.get("/thread-raises")
    async def thread_raises() -> dict:
        def boom() -> None:
            raise LookupError("from the thread")

        try:
            await sync_to_thread(boom)
        except LookupError as e:
            return {"caught": str(e)}
        return {"caught": None}

    return api


def test_sync_to_thread_passes_arguments_and_the_context_but_not_writes_back(api):
    with TestClient(api) as c:
        body = c.get("/thread").json()
    assert body == {"args": [1, 2], "kwargs": {"k": "v"}, "tenant": "acme", "orm_thread": False, "after": "acme"}


def test_sync_to_thread_raises_the_functions_exception_in_the_handler(api):
    with TestClient(api) as c:
        assert c.get("/thread-raises").json() == {"caught": "from the thread"}


def test_run_in_orm_executor_runs_the_orm_with_the_context(api):
    with TestClient(api) as c:
        body = c.get("/orm").json()
    assert body == {"count": _count_in_test(), "tenant": "acme", "orm_thread": True, "outside": False}


def test_run_orm_blocking_runs_the_orm_inside_a_running_loop(api):
    with TestClient(api) as c:
        r = c.get("/blocking")
    assert r.status_code == 200, r.text
    assert r.json() == {"count": _count_in_test(), "tenant": "acme"}


def test_run_orm_blocking_without_a_loop_just_calls(demo_apis):
    assert run_orm_blocking(lambda a, b: a + b, 2, 3) == 5
    assert not in_orm_executor_thread()


def test_lane_affinity_error_is_a_runtime_error():
    assert issubclass(LaneAffinityError, RuntimeError)


def _count_in_test() -> int:
    return run_orm_blocking(_count)


def test_on_a_server_each_helper_runs_on_the_cores_thread_for_it(demo_db, tmp_path: Path, driver):
    project = copy_demo(tmp_path / "demo", settings='BOLT_API = ["demo.concprobe:api"]\n')
    (project / "demo" / "concprobe.py").write_text(PROBE)
    server = BoltProcess.start(cores=2, driver=driver, cwd=project)
    try:
        thread = get(server.port, "/thread").json()
        assert thread["thread"].startswith("bolt-blocking"), thread
        assert thread["args"] == [1] and thread["kwargs"] == {"k": 2} and thread["orm_thread"] is False
        orm = get(server.port, "/orm").json()
        assert orm["thread"].startswith("bolt-sync") and orm["orm_thread"] is True, orm
        assert orm["count"] > 0
        blocking = get(server.port, "/blocking").json()
        # The core's own thread: the reactor the handler runs on.
        assert not blocking["thread"].startswith(("bolt-sync", "bolt-blocking")), blocking
        assert blocking["count"] == orm["count"]
    finally:
        server.stop()
    assert "Traceback" not in server.stderr, server.output()
