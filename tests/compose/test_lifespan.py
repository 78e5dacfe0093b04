"""``BoltAPI(lifespan=)`` with the test client (start-up on ``with``, shut-down on leaving it).
A real server with two cores: tests/compose/test_server.py."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from django_bolt import BoltAPI
from django_bolt.testing import AsyncTestClient, TestClient


@pytest.fixture(autouse=True)
def _django(demo_apis):
    """Django set up (on the demo's settings) as for the other test client tests."""


def _api(events: list, name: str = "api", *, fail: bool = False) -> BoltAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app):
        await asyncio.sleep(0.001)  # really suspends: runs on a loop
        events.append(f"{name} start")
        app.resource = {"from": name, "loop": id(asyncio.get_running_loop())}
        if fail:
            raise RuntimeError("start-up failed")
        try:
            yield
        finally:
            events.append(f"{name} stop")

    api = BoltAPI(lifespan=lifespan)

    @api.get(f"/{name}/resource")
    async def resource() -> dict:
        await asyncio.sleep(0)
        return {**api.resource, "handler_loop": id(asyncio.get_running_loop())}

    return api


def test_startup_on_enter_and_shutdown_on_exit():
    events: list = []
    api = _api(events)
    client = TestClient(api)
    assert events == []  # not entered yet
    with client:
        assert events == ["api start"]
        body = client.get("/api/resource").json()
        assert body["from"] == "api"
        # Start-up ran on the loop the handlers run on (a pool made there is usable).
        assert body["loop"] == body["handler_loop"]
    assert events == ["api start", "api stop"]


def test_several_apis_start_in_order_and_stop_in_reverse_mounted_ones_too():
    events: list = []
    first, second, child = _api(events, "first"), _api(events, "second"), _api(events, "child")
    second.mount("/m", child)
    with TestClient([first, second]) as client:
        assert client.get("/m/child/resource").json()["from"] == "child"
    assert events == ["first start", "second start", "child start", "child stop", "second stop", "first stop"]


def test_a_failing_startup_raises_and_the_entered_ones_stop():
    events: list = []
    ok, bad = _api(events, "ok"), _api(events, "bad", fail=True)
    with pytest.raises(RuntimeError, match="start-up failed"):
        with TestClient([ok, bad]):
            pass
    assert events == ["ok start", "bad start", "ok stop"]


def test_a_lifespan_that_is_not_an_async_context_manager_is_a_clear_error():
    def lifespan(app):
        return None

    with pytest.raises(TypeError, match="must return an async context manager"):
        with TestClient(BoltAPI(lifespan=lifespan)):
            pass
    with pytest.raises(TypeError, match="lifespan must be callable"):
        BoltAPI(lifespan="nope")


def test_async_client_runs_lifespans_beside_the_tests_loop():
    events: list = []
    api = _api(events)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        async with AsyncTestClient(api) as client:
            assert (await client.get("/api/resource")).json()["from"] == "api"
            assert events == ["api start"]
            assert asyncio.get_running_loop() is loop
        assert events == ["api start", "api stop"]

    asyncio.run(main())
