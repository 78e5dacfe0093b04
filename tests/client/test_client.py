"""TestClient and AsyncTestClient as a user's tests drive them: httpx's surface over the
in-process server, handlers that suspend, exceptions, cookies, redirects, CORS, limits."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time

import httpx
import pytest

from django_bolt import BoltAPI, File, Form, Header, Response, UploadFile
from django_bolt.param_functions import Cookie
from django_bolt.testing import AsyncTestClient, TestClient, create_test_client
from support.boltproc import server_env
from support.paths import REPO


@pytest.fixture(scope="module")
def own_api(demo_apis) -> BoltAPI:
    api = BoltAPI()

    @api.get("/login")
    def login() -> Response:
        return Response(b"{}", media_type="application/json", headers={"set-cookie": "sid=abc123; Path=/"})

    @api.get("/whoami")
    def whoami(sid: str | None = Cookie(None), x_team: str | None = Header(None)) -> dict:
        return {"sid": sid, "team": x_team}

    @api.post("/upload")
    async def upload(title: str = Form(), doc: UploadFile = File()) -> dict:
        return {"title": title, "name": doc.filename, "size": len(doc.read())}

    @api.get("/suspends")
    async def suspends(ms: int = 5) -> dict:
        await asyncio.sleep(ms / 1000)
        await asyncio.sleep(0)
        return {"slept": ms, "thread": threading.current_thread().name}

    @api.get("/fails-later")
    async def fails_later() -> dict:
        await asyncio.sleep(0.001)
        raise KeyError("after a suspension")

    @api.get("/where", blocking=True)
    def where() -> dict:
        return {"thread": threading.current_thread().name}

    @api.get("/lines")
    def lines() -> Response:
        return Response(b"one\ntwo\nthree\n", media_type="text/plain")

    return api


@pytest.fixture
def client(own_api):
    with TestClient(own_api) as c:
        yield c


def test_every_method_and_httpx_keyword(demo_apis):
    with TestClient(demo_apis) as c:
        assert c.get("/items/4", params={"q": "x y"}).json() == {"id": 4, "q": "x y"}
        assert c.post("/items", json={"name": "n", "price": 2}).json() == {"name": "n", "price": 2.0, "tags": []}
        assert c.put("/items/4").json() == {"id": 4, "updated": True}
        assert c.delete("/items/4").json() == {"id": 4, "deleted": True}
        r = c.patch("/items/4")
        assert (r.status_code, r.headers["allow"]) == (405, "GET, HEAD, PUT, DELETE, OPTIONS")
        head = c.head("/hello")
        assert (head.status_code, head.content, head.headers["content-length"]) == (200, b"", "27")
        assert c.options("/hello").headers["allow"] == "GET, HEAD, OPTIONS"
        assert c.request("GET", "/v2/hello").json() == {"message": "Hello from v2"}
        form = c.post("/form", data={"name": "ann", "age": "3", "tags": ["a", "b"]})
        assert form.json() == {"name": "ann", "age": 3, "tags": ["a", "b"]}
        r = c.get("/text")
        assert (r.text, r.headers["content-type"]) == ("hello", "text/plain; charset=utf-8")


def test_files_and_form_fields(client):
    r = client.post(
        "/upload", data={"title": "t"}, files={"doc": ("a.bin", b"\x00" * 1000, "application/octet-stream")}
    )
    assert r.json() == {"title": "t", "name": "a.bin", "size": 1000}


def test_cookies_set_by_a_response_are_sent_back(client):
    assert client.get("/whoami").json() == {"sid": None, "team": None}
    client.get("/login")
    assert client.cookies["sid"] == "abc123"
    assert client.get("/whoami", headers={"x-team": "blue"}).json() == {"sid": "abc123", "team": "blue"}


def test_cookies_and_headers_given_to_the_client(own_api):
    with TestClient(own_api, cookies={"sid": "given"}, headers={"x-team": "red"}) as c:
        assert c.get("/whoami").json() == {"sid": "given", "team": "red"}


def test_redirects_are_followed_unless_asked_not_to(demo_apis):
    with TestClient(demo_apis) as c:
        r = c.get("/redirect")
        assert (r.status_code, r.json(), [h.status_code for h in r.history]) == (
            200,
            {"message": "Hello, World!"},
            [307],
        )
        r = c.get("/redirect", follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (307, "/hello")


def test_handlers_that_suspend_finish_inside_the_call(client):
    r = client.get("/suspends?ms=20")
    assert r.json() == {"slept": 20, "thread": threading.current_thread().name}


def test_def_handlers_run_on_the_calling_thread_even_when_blocking(client):
    assert client.get("/where").json() == {"thread": threading.current_thread().name}


def test_raise_server_exceptions(own_api):
    with TestClient(own_api) as c, pytest.raises(KeyError, match="after a suspension"):
        c.get("/fails-later")
    with TestClient(own_api, raise_server_exceptions=False) as c:
        r = c.get("/fails-later")
        assert (r.status_code, r.json()) == (500, {"detail": "Internal Server Error"})
        # The next request is not blamed for the earlier one.
        assert c.get("/where").status_code == 200


def test_http_errors_are_responses_not_exceptions(demo_apis):
    with TestClient(demo_apis) as c:
        assert c.get("/teapot").status_code == 418
        assert c.get("/missing/3").json() == {"detail": "no thing 3"}
        assert c.get("/items/x").json()["detail"][0]["type"] == "int_parsing"


def test_async_client_keeps_the_tests_loop(own_api):
    async def main() -> None:
        loop = asyncio.get_running_loop()
        async with AsyncTestClient(own_api) as c:
            rs = await asyncio.gather(c.get("/suspends?ms=10"), c.get("/suspends?ms=1"), c.get("/where"))
            assert [r.status_code for r in rs] == [200, 200, 200]
            assert rs[0].json()["slept"] == 10
            assert asyncio.get_running_loop() is loop
            await asyncio.sleep(0.001)  # the test's loop still turns
        async with AsyncTestClient(own_api, raise_server_exceptions=False) as c:
            assert (await c.get("/fails-later")).status_code == 500

    asyncio.run(main())


def test_stream_true_gives_requests_style_iteration(own_api):
    with create_test_client(own_api) as c:
        r = c.get("/lines", stream=True)
        assert list(r.iter_lines()) == ["one", "two", "three"]
        assert b"".join(r.iter_content(chunk_size=4)) == b"one\ntwo\nthree\n"


def test_cors_allowed_origins_replaces_the_settings(demo_apis):
    with TestClient(demo_apis, cors_allowed_origins=["https://tests.example"]) as c:
        ok = c.get("/hello", headers={"origin": "https://tests.example"})
        assert ok.headers["access-control-allow-origin"] == "https://tests.example"
        other = c.get("/hello", headers={"origin": "https://app.example.com"})
        assert "access-control-allow-origin" not in other.headers
    with TestClient(demo_apis) as c:  # the demo's settings
        r = c.get("/hello", headers={"origin": "https://app.example.com"})
        assert r.headers["access-control-allow-origin"] == "https://app.example.com"


def test_rate_limits_apply_per_client(demo_apis):
    with TestClient(demo_apis) as c:
        statuses = [c.get("/limited").status_code for _ in range(6)]
    assert statuses[:3] == [200, 200, 200] and 429 in statuses


def test_server_limits_apply(demo_apis):
    with TestClient(demo_apis) as c:
        assert c.post("/echo", content=b"x" * (10 * 1024 * 1024 + 1)).status_code == 413
        assert c.get("/hello?" + "q" * 9000).status_code == 414


def test_a_closed_client_says_so(own_api):
    c = TestClient(own_api)
    assert c.get("/where").status_code == 200
    c.close()
    with pytest.raises(RuntimeError):
        c.get("/where")


def test_works_without_django_settings():
    script = (
        "from django_bolt import BoltAPI\n"
        "from django_bolt.testing import TestClient\n"
        "api = BoltAPI()\n"
        "@api.get('/add/{a}')\n"
        "async def add(a: int, b: int = 1) -> dict:\n"
        "    return {'sum': a + b}\n"
        "with TestClient(api) as c:\n"
        "    print(c.get('/add/2?b=3').json(), c.get('/add/x').status_code)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=server_env(), capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "{'sum': 5} 422"


def test_ctrl_c_reaches_a_test_waiting_on_a_handler(own_api):
    # A handler that never finishes must not make the test uninterruptible.
    import _thread
    import gc

    # The collector is off while the test waits: when Ctrl-C lands during a collection, the
    # first finalizer (`__del__`) that runs Python takes the KeyboardInterrupt and CPython prints
    # it as "Exception ignored" (any program, not only this one). That is the likely cause of
    # this test's failures in two full-suite CI runs (DID NOT RAISE; never alone or in a smaller
    # suite), where a collection over earlier tests' garbage could fall at that moment. The wait
    # loop itself runs a scheduled collection before it sleeps, not after (inprocess.rs).
    gc.collect()
    gc.disable()
    try:
        with TestClient(own_api) as c:
            timer = threading.Timer(0.3, _thread.interrupt_main)
            timer.start()
            t0 = time.monotonic()
            with pytest.raises(KeyboardInterrupt):
                c.get("/suspends?ms=60000")
            assert time.monotonic() - t0 < 5
    finally:
        gc.enable()


def test_ctrl_c_while_the_loop_runs_python_reaches_the_test(own_api):
    # The bug: a KeyboardInterrupt raised while the asyncio loop ran a callback (Ctrl-C landing
    # in Python code rather than in the wait) was printed as "asyncio pump failed" and lost, so
    # the test went on waiting for the handler. Here the loop's own callback raises it.
    import asyncio

    @own_api.get("/interrupted-in-loop")
    async def interrupted_in_loop() -> dict:
        def ctrl_c() -> None:
            raise KeyboardInterrupt

        asyncio.get_running_loop().call_soon(ctrl_c)
        await asyncio.sleep(30)
        return {}

    with TestClient(own_api) as c:
        t0 = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            c.get("/interrupted-in-loop")
        assert time.monotonic() - t0 < 5


def test_response_object_is_httpx(client):
    r = client.get("/where")
    assert isinstance(r, httpx.Response)
    assert r.request.url == httpx.URL("http://testserver/where")
    assert r.headers["server"] == "django-bolt" and "date" in r.headers
    r.raise_for_status()


def test_docs_are_served_by_the_client_as_by_the_server(demo_apis):
    import re

    from django_bolt.api import merge_routes
    from django_bolt.openapi.routes import ASSETS_CACHE_CONTROL, project_config
    from django_bolt.openapi.schema_generator import generate

    with TestClient(demo_apis) as c:
        doc = c.get("/docs/openapi.json")
        assert doc.status_code == 200
        assert doc.json() == generate(merge_routes(demo_apis), project_config(demo_apis))
        page = c.get("/docs")
        assert page.status_code == 200 and "/docs/openapi.json" in page.text
        script = re.search(r'src="(/docs/assets/[^"]+\.js)"', page.text)
        assert script, page.text[:500]
        # The pages' assets come through the static mount, in Rust, as on the server.
        asset = c.get(script.group(1))
        assert (asset.status_code, asset.headers["cache-control"]) == (200, ASSETS_CACHE_CONTROL)
        assert c.get(script.group(1), headers={"if-none-match": asset.headers["etag"]}).status_code == 304
