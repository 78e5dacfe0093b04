"""``api.mount_asgi`` / ``api.mount_django`` (django-bolt 0.13): ASGI apps at a static prefix,
tried after bolt's routes miss. Through the test client with tiny raw ASGI apps written here,
and over real sockets against tests/projects/asgimount (its api.py mounts the same kinds of
apps, and Django's own ASGI app at /dj)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets
from asgiref.wsgi import WsgiToAsgi
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_bolt import BoltAPI
from django_bolt.testing import TestClient
from django_bolt.testing.websocket import ConnectionClosed, HandshakeRejected, WebSocketTestClient
from django_bolt.websocket import WebSocket
from support.boltproc import BoltProcess, server_env
from support.paths import PROJECTS
from support.projects import copy_project, run_bolt
from support.wait import eventually
from support.wire import HOST, Conn, fetch, get

# Django set up on the demo's settings first, as the suite's other test-client tests do (a test
# client set up on none would configure bare settings for the rest of the session).
pytestmark = pytest.mark.usefixtures("demo_apis")


async def echo(scope, receive, send):
    message = await receive()
    body = json.dumps(
        {
            "path": scope["path"],
            "root_path": scope["root_path"],
            "raw_path": scope["raw_path"].decode(),
            "query_string": scope["query_string"].decode(),
            "method": scope["method"],
            "headers": {k.decode(): v.decode() for k, v in scope["headers"]},
            "body": message["body"].decode(),
            "more_body": message["more_body"],
        }
    ).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


def named(text: str):
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": text.encode()})

    return app


# -- through the test client ---------------------------------------------------------------


def test_path_root_path_query_headers_and_body_reach_the_app():
    api = BoltAPI()
    api.mount_asgi("/app", echo)
    with TestClient(api) as c:
        r = c.post("/app/a/b?x=1&y=2", content=b"hello", headers={"X-Thing": "yes"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    seen = r.json()
    assert (seen["path"], seen["root_path"], seen["raw_path"]) == ("/a/b", "/app", "/app/a/b")
    assert seen["query_string"] == "x=1&y=2" and seen["method"] == "POST"
    assert seen["headers"]["x-thing"] == "yes"
    assert (seen["body"], seen["more_body"]) == ("hello", False)


def test_the_mount_root_itself_is_path_slash():
    api = BoltAPI()
    api.mount_asgi("/app/", echo)
    with TestClient(api) as c:
        assert c.get("/app").json()["path"] == "/"


def test_prefix_matches_whole_segments_only():
    api = BoltAPI()
    api.mount_asgi("/app", named("app"))
    with TestClient(api) as c:
        assert c.get("/app/x").text == "app"
        assert c.get("/application").status_code == 404


def test_longest_prefix_wins_and_root_mount_takes_the_rest():
    api = BoltAPI()
    api.mount_asgi("/", named("root"))
    api.mount_asgi("/a", named("a"))
    api.mount_asgi("/a/b", named("ab"))
    with TestClient(api) as c:
        assert [c.get(p).text for p in ("/a/b/c", "/a/c", "/other")] == ["ab", "a", "root"]


def test_a_route_beats_the_mount():
    api = BoltAPI()

    @api.get("/app/route")
    async def route() -> dict:
        return {"from": "bolt"}

    api.mount_asgi("/app", named("mounted"))
    with TestClient(api) as c:
        assert c.get("/app/route").json() == {"from": "bolt"}
        assert c.get("/app/other").text == "mounted"


def test_api_prefix_and_mounted_api_prefix_apply():
    inner = BoltAPI()
    inner.mount_asgi("/tool", named("tool"))
    api = BoltAPI(prefix="/v1")
    api.mount("/sub", inner)
    api.mount_asgi("/x", named("x"))
    assert [p for p, _ in api._asgi_mounts] == ["/sub/tool", "/v1/x"]
    with TestClient(api) as c:
        assert c.get("/sub/tool/a").text == "tool"
        assert c.get("/v1/x").text == "x"


def test_an_app_404_passes_through():
    async def nothing(scope, receive, send):
        await send({"type": "http.response.start", "status": 404, "headers": [(b"x-from", b"app")]})
        await send({"type": "http.response.body", "body": b"app says no"})

    api = BoltAPI()
    api.mount_asgi("/app", nothing)
    with TestClient(api) as c:
        r = c.get("/app/x")
    assert (r.status_code, r.text, r.headers["x-from"]) == (404, "app says no", "app")


def test_a_streamed_body_is_whole_through_the_client():
    async def chunks(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for i in range(3):
            await send({"type": "http.response.body", "body": b"%d," % i, "more_body": True})
            await asyncio.sleep(0)
        await send({"type": "http.response.body", "body": b"end"})

    api = BoltAPI()
    api.mount_asgi("/s", chunks)
    with TestClient(api) as c:
        assert c.get("/s").text == "0,1,2,end"


def test_an_app_that_raises_gives_500():
    async def broken(scope, receive, send):
        raise ValueError("broke")

    api = BoltAPI()
    api.mount_asgi("/b", broken)
    with TestClient(api, raise_server_exceptions=False) as c:
        assert c.get("/b").status_code == 500
    with TestClient(api) as c, pytest.raises(ValueError, match="broke"):
        c.get("/b")


def test_an_app_that_never_starts_gives_500():
    async def silent(scope, receive, send):
        await receive()

    api = BoltAPI()
    api.mount_asgi("/s", silent)
    with TestClient(api) as c, pytest.raises(RuntimeError, match="without sending http.response.start"):
        c.get("/s")


def test_mount_errors():
    api = BoltAPI()
    with pytest.raises(TypeError, match="callable ASGI application"):
        api.mount_asgi("/x", "not an app")
    with pytest.raises(ValueError, match="static"):
        api.mount_asgi("/x/{id}", echo)
    api.mount_asgi("/x", echo)
    with pytest.raises(ValueError, match="Duplicate ASGI mount prefix: /x"):
        api.mount_asgi("/x/", echo)


def test_a_mount_equal_to_a_route_path_is_refused():
    api = BoltAPI()

    @api.get("/x")
    async def x() -> dict:
        return {}

    api.mount_asgi("/x", echo)
    with pytest.raises(ValueError, match="conflicts with an existing HTTP route"):
        TestClient(api)


def test_bolt_refuses_to_start_with_a_mount_on_a_route_path(tmp_path):
    project = copy_project("asgimount", tmp_path / "asgimount")
    with (project / "site_asgimount" / "api.py").open("a") as f:
        f.write('\napi.mount_asgi("/app/route", echo)\n')
    r = run_bolt(project, env={**server_env(), "ASGIMOUNT_MARKS": str(tmp_path)})
    assert r.returncode != 0
    assert "ASGI mount prefix /app/route conflicts with an existing HTTP route" in r.stderr
    assert "Traceback" not in r.stderr, r.stderr


def test_bolt_refuses_to_start_with_a_bad_mount_timeout(tmp_path):
    project = copy_project("asgimount", tmp_path / "asgimount")
    with (project / "site_asgimount" / "settings.py").open("a") as f:
        f.write('\nBOLT_ASGI_MOUNT_TIMEOUT = "soon"\n')
    r = run_bolt(project, env={**server_env(), "ASGIMOUNT_MARKS": str(tmp_path)})
    assert r.returncode != 0
    assert "BOLT_ASGI_MOUNT_TIMEOUT must be a number of seconds above 0, got 'soon'" in r.stderr
    assert "Traceback" not in r.stderr, r.stderr


def test_mount_django_rewrites_root_relative_redirects():
    async def redirector(scope, receive, send):
        assert scope["path"] == "/pre/page" and scope["root_path"] == "/pre"
        await send({"type": "http.response.start", "status": 302, "headers": [(b"location", b"/elsewhere")]})
        await send({"type": "http.response.body", "body": b""})

    api = BoltAPI()
    api.mount_django("/pre", redirector)
    with TestClient(api) as c:
        r = c.get("/pre/page", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (302, "/pre/elsewhere")


def test_mount_django_clear_root_path_keeps_the_full_path():
    seen = {}

    async def app(scope, receive, send):
        seen.update(path=scope["path"], root_path=scope["root_path"])
        await send({"type": "http.response.start", "status": 301, "headers": [(b"location", b"/x")]})
        await send({"type": "http.response.body", "body": b""})

    api = BoltAPI()
    api.mount_django("/admin", app, clear_root_path=True)
    with TestClient(api) as c:
        r = c.get("/admin/login/", follow_redirects=False)
    assert seen == {"path": "/admin/login/", "root_path": ""}
    assert r.headers["location"] == "/x"  # no prefix to add: Django's URLs carry it already


def test_scope_http_version_is_the_requests():
    seen = []

    async def app(scope, receive, send):
        seen.append(scope["http_version"])
        await named("ok")(scope, receive, send)

    api = BoltAPI()
    api.mount_asgi("/v", app)
    with TestClient(api) as c:
        assert c.get("/v").status_code == 200
    assert seen == ["1.1"]  # HTTP/1.0 over a real socket: test_server_scope_http_version_follows_the_request


def test_an_app_slow_to_start_gets_504_and_is_stopped():
    events = []

    async def slow(scope, receive, send):
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            events.append("stopped")
            raise

    api = BoltAPI()
    api.mount_asgi("/slow", slow)
    with override_settings(BOLT_ASGI_MOUNT_TIMEOUT=0.3), TestClient(api) as c:
        t0 = time.monotonic()
        r = c.get("/slow")
        took = time.monotonic() - t0
    assert r.status_code == 504
    assert r.json() == {"detail": "ASGI mount timed out after 0.3 seconds waiting for response headers"}
    assert 0.25 < took < 5
    assert events == ["stopped"]


def test_the_mount_timeout_stops_at_the_response_head_not_the_body():
    async def slow_body(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await asyncio.sleep(0.5)
        await send({"type": "http.response.body", "body": b"late but whole"})

    api = BoltAPI()
    api.mount_asgi("/b", slow_body)
    with override_settings(BOLT_ASGI_MOUNT_TIMEOUT=0.2), TestClient(api) as c:
        r = c.get("/b")
    assert (r.status_code, r.text) == (200, "late but whole")


@pytest.mark.parametrize("value", [0, -1, "30", True])
def test_a_bad_mount_timeout_stops_the_start(value):
    api = BoltAPI()
    api.mount_asgi("/x", echo)
    message = "BOLT_ASGI_MOUNT_TIMEOUT must be a number of seconds above 0"
    with override_settings(BOLT_ASGI_MOUNT_TIMEOUT=value), pytest.raises(ImproperlyConfigured, match=message):
        with TestClient(api) as c:
            c.get("/x")


def _within(seconds: float, fn):
    """``fn()``'s result, run on a thread: a hang fails the test instead of stopping the suite."""
    box: list = []
    t = threading.Thread(target=lambda: box.append(fn()), daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"still running after {seconds}s (hung)"
    return box[0]


def test_a_wsgi_app_behind_asgiref_answers_through_the_test_client():
    # Regression: it hung. WsgiToAsgi runs the WSGI app as thread-sensitive work, which the test
    # client runs on its own thread, and sends the response from there with async_to_sync,
    # which waited for the loop that only that thread turns.
    def wsgi_app(environ, start_response):
        start_response("201 Created", [("Content-Type", "text/plain"), ("X-Wsgi", "yes")])
        body = environ["wsgi.input"].read()
        # More parts than a streamed body may run ahead of its reader on a server.
        return [f"{environ['SCRIPT_NAME']}|{environ['PATH_INFO']}|".encode(), body, b"|"] + [b"x"] * 40

    api = BoltAPI()
    api.mount_asgi("/wsgi", WsgiToAsgi(wsgi_app))

    def call():
        with TestClient(api) as c:
            return [c.post("/wsgi/a", content=b"sent") for _ in range(2)]

    for r in _within(20, call):
        assert (r.status_code, r.headers["x-wsgi"]) == (201, "yes")
        assert r.text == "/wsgi|/a|sent|" + "x" * 40


def test_mounts_get_no_lifespan_scope():
    # django-bolt 0.13 sends mounted apps no lifespan events; BoltAPI(lifespan=) is the hook.
    kinds = []

    async def app(scope, receive, send):
        kinds.append(scope["type"])
        await named("ok")(scope, receive, send)

    @contextlib.asynccontextmanager
    async def lifespan(api):
        kinds.append("api lifespan")
        yield

    api = BoltAPI(lifespan=lifespan)
    api.mount_asgi("/m", app)
    with TestClient(api) as c:
        assert c.get("/m").text == "ok"
    assert kinds == ["api lifespan", "http"]


# -- WebSocket through the test client -------------------------------------------------------


async def ws_app(scope, receive, send):
    """Accepts with the last subprotocol offered, sends its scope, echoes until "bye"."""
    assert (await receive()) == {"type": "websocket.connect"}
    if scope["query_string"] == b"deny":
        await send({"type": "websocket.close", "code": 1008})
        return
    offered = scope["subprotocols"]
    await send({"type": "websocket.accept", "subprotocol": offered[-1] if offered else None})
    seen = {k: scope[k] for k in ("type", "path", "root_path", "scheme", "subprotocols", "http_version")}
    seen["query_string"] = scope["query_string"].decode()
    seen["headers"] = {k.decode(): v.decode() for k, v in scope["headers"]}
    await send({"type": "websocket.send", "text": json.dumps(seen)})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") == "bye":
            await send({"type": "websocket.close", "code": 4001, "reason": "bye bye"})
            return
        if message.get("text") is not None:
            await send({"type": "websocket.send", "text": message["text"].upper()})
        else:
            await send({"type": "websocket.send", "bytes": message["bytes"][::-1]})


def test_a_websocket_under_a_mount_reaches_its_app():
    api = BoltAPI()
    api.mount_asgi("/live", ws_app)

    async def talk():
        async with WebSocketTestClient(
            api, "/live/room/1", query_string="a=1", subprotocols=["one", "two"], headers={"X-Custom": "v"}
        ) as ws:
            seen = await ws.receive_json()
            assert ws.accepted_subprotocol == "two"
            await ws.send_text("hello")
            assert await ws.receive_text() == "HELLO"
            await ws.send_bytes(b"abc")
            assert await ws.receive_bytes() == b"cba"
            await ws.send_text("bye")
            with pytest.raises(ConnectionClosed) as closed:
                await ws.receive()
            return seen, closed.value

    seen, closed = asyncio.run(talk())
    assert (seen["type"], seen["path"], seen["root_path"]) == ("websocket", "/room/1", "/live")
    assert (seen["scheme"], seen["subprotocols"], seen["http_version"]) == ("ws", ["one", "two"], "1.1")
    assert seen["query_string"] == "a=1" and seen["headers"]["x-custom"] == "v"
    assert (closed.code, closed.reason) == (4001, "bye bye")


def test_a_websocket_over_tls_has_the_wss_scheme():
    api = BoltAPI()
    api.mount_asgi("/live", ws_app)

    async def talk():
        async with WebSocketTestClient(api, "/live", base_url="https://testserver") as ws:
            return json.loads(await ws.receive_text())["scheme"]

    assert asyncio.run(talk()) == "wss"


def test_a_mounted_app_closing_before_accept_refuses_with_403():
    api = BoltAPI()
    api.mount_asgi("/live", ws_app)

    async def talk():
        async with WebSocketTestClient(api, "/live", query_string="deny"):
            pass

    with pytest.raises(HandshakeRejected) as refused:
        asyncio.run(talk())
    assert refused.value.status_code == 403


def test_a_websocket_to_a_mount_passes_the_origin_check_first():
    api = BoltAPI()
    api.mount_asgi("/live", ws_app)

    async def talk(origin: str):
        async with WebSocketTestClient(api, "/live", headers={"Origin": origin}) as ws:
            return json.loads(await ws.receive_text())["path"]

    assert asyncio.run(talk("http://testserver")) == "/"  # same origin
    with pytest.raises(HandshakeRejected) as refused:
        asyncio.run(talk("http://elsewhere.example"))
    assert refused.value.status_code == 403


def test_a_route_beats_the_mount_for_websockets_and_mount_django_takes_none():
    api = BoltAPI()

    @api.websocket("/live/route")
    async def route(websocket: WebSocket):
        await websocket.accept()
        await websocket.send_text("from the route")

    api.mount_asgi("/live", ws_app)
    api.mount_django("/dj")

    async def first(path: str):
        async with WebSocketTestClient(api, path) as ws:
            return await ws.receive_text()

    assert asyncio.run(first("/live/route")) == "from the route"
    assert json.loads(asyncio.run(first("/live/other")))["path"] == "/other"
    with pytest.raises(HandshakeRejected) as refused:
        asyncio.run(first("/dj/x"))
    assert refused.value.status_code == 404


def test_an_app_raising_before_accept_gives_500():
    async def broken(scope, receive, send):
        await receive()
        raise ValueError("ws app broke")

    api = BoltAPI()
    api.mount_asgi("/b", broken)

    async def talk():
        async with WebSocketTestClient(api, "/b", raise_server_exceptions=False):
            pass

    with pytest.raises(HandshakeRejected) as refused:
        asyncio.run(talk())
    assert refused.value.status_code == 500


# -- a real server ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def marks(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("asgimount-marks")


@pytest.fixture(scope="module")
def site(driver, marks) -> Iterator[BoltProcess]:
    server = BoltProcess.start(cwd=PROJECTS / "asgimount", cores=2, driver=driver, env={"ASGIMOUNT_MARKS": str(marks)})
    try:
        yield server
    finally:
        server.stop()


def test_server_passes_the_request_and_returns_status_headers_body(site):
    r = fetch(site.port, "PUT", "/app/p%20q/r?a=1", headers=[("X-Custom", "v")], body=b"payload")
    assert r.status == 201 and r.content_type == "application/json"
    assert r.header_values("set-cookie") == ["a=1", "b=2"]
    seen = r.json()
    assert seen["type"] == "http" and seen["method"] == "PUT" and seen["http_version"] == "1.1"
    assert (seen["path"], seen["raw_path"], seen["root_path"]) == ("/p q/r", "/app/p%20q/r", "/app")
    assert seen["query_string"] == "a=1" and ["x-custom", "v"] in seen["headers"]
    assert (seen["body"], seen["more_body"]) == ("payload", False)
    assert seen["scheme"] == "http" and seen["asgi"]["version"] == "3.0"
    assert seen["client"][0] == "127.0.0.1" and isinstance(seen["client"][1], int)


def test_server_every_core_has_the_mounts(site):
    # Fresh connections spread over both cores; a core without the mount would answer 404.
    seen = [get(site.port, "/app/x") for _ in range(30)]
    assert {r.status for r in seen} == {201}
    assert len({r.json()["thread"] for r in seen}) == 2


def test_server_prefix_boundary_route_first_and_app_404(site):
    assert get(site.port, "/app/route").json() == {"from": "bolt"}
    assert get(site.port, "/app").json()["path"] == "/"
    missing = get(site.port, "/app/missing")
    assert (missing.status, missing.body) == (404, b"echo has no such page")
    # Not under /app: Django's fallthrough has no such URL either.
    assert get(site.port, "/application").status == 404


def test_server_mounts_come_before_djangos_fallthrough(site):
    assert get(site.port, "/admin/mounted/x").json()["root_path"] == "/admin/mounted"
    # Beside it, Django's fallthrough still serves its admin (its catch-all would claim both).
    other = get(site.port, "/admin/other/")
    assert (other.status, other.header("location")) == (302, "/admin/login/?next=/admin/other/")


def test_server_serves_a_wsgi_app_through_asgirefs_adapter(site):
    r = fetch(site.port, "POST", "/wsgi/a/b?q=1", body=b"sent")
    assert (r.status, r.content_type, r.body) == (200, "text/plain", b"/wsgi|/a/b|q=1|sent")


def test_server_streams_chunks_as_the_app_sends_them(site):
    with socket.create_connection((HOST, site.port)) as s:
        s.settimeout(10)
        s.sendall(b"GET /stream HTTP/1.1\r\nHost: t\r\n\r\n")
        data = b""
        while b"tick 0" not in data:
            data += s.recv(65536)
        first = time.monotonic()
        assert b"transfer-encoding: chunked" in data.lower() and b"tick 2" not in data
        while b"0\r\n\r\n" not in data.split(b"tick 2", 1)[-1]:
            data += s.recv(65536)
        assert time.monotonic() - first > 0.6, "the later chunks were not produced after the first went out"
    assert data.count(b"tick ") == 3


def test_server_client_leaving_a_stream_cancels_the_app(site, marks):
    with socket.create_connection((HOST, site.port)) as s:
        s.settimeout(10)
        s.sendall(b"GET /endless?get HTTP/1.1\r\nHost: t\r\n\r\n")
        data = b""
        while len(data) < 8192:
            data += s.recv(65536)
    eventually(lambda: (marks / "endless-get").exists(), bool, timeout=5)


def test_server_head_to_a_streaming_app_answers_the_head_and_stops_the_app(site, marks):
    # Regression: the app went on producing a body nobody would read, until shutdown.
    with Conn(site.port) as c:
        r = c.request("HEAD", "/endless?head")
        assert r.status == 200 and r.body == b""
        eventually(lambda: (marks / "endless-head").exists(), bool, timeout=5)
        c.assert_open()


def test_server_app_raising_mid_stream_ends_the_body_short_and_is_logged(site):
    start = len(site.stderr_lines)
    with Conn(site.port) as c:
        c.send(b"GET /midway HTTP/1.1\r\nHost: t\r\n\r\n")
        data = c.read_until_close()
    assert data.startswith(b"HTTP/1.1 200") and b"first part" in data
    assert not data.endswith(b"0\r\n\r\n"), "a failed body must not look complete"
    site.wait_stderr("mounted app broke mid-stream", start)
    assert get(site.port, "/app/route").status == 200


def test_server_app_errors_give_500_and_are_logged(site):
    start = len(site.stderr_lines)
    assert get(site.port, "/broken").status == 500
    site.wait_stderr("mounted app broke", start)
    assert get(site.port, "/silent").status == 500
    site.wait_stderr("returned without sending http.response.start", start)
    assert get(site.port, "/app/route").status == 200  # the core still serves


def test_server_mount_django_serves_the_admin_under_the_prefix(site):
    index = get(site.port, "/dj/admin/")
    assert index.status == 302
    assert index.header("location") == "/dj/admin/login/?next=/dj/admin/"
    login = get(site.port, "/dj/admin/login/?next=/dj/admin/")
    assert login.status == 200 and login.content_type.startswith("text/html")
    assert b'action="/dj/admin/login/?next=/dj/admin/"' in login.body
    moved = get(site.port, "/moved/x")
    assert (moved.status, moved.header("location")) == (302, "/moved/elsewhere")


def _threads(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/task").iterdir()))


def test_server_mount_django_takes_no_thread_per_request(site):
    # Regression: Django's ASGIHandler.__call__ gave each request a thread of its own, left
    # running (its daemon join thread is refused in a sub-interpreter), with an error logged.
    # Each core starts its threads on its first request, and the kernel spreads connections over
    # the two cores by hash: 40 requests reach both (4 left one core unwarmed one run in eight).
    start = len(site.stderr_lines)
    for _ in range(40):
        assert get(site.port, "/dj/admin/login/").status == 200
    before = _threads(site.proc.pid)
    for _ in range(20):
        assert get(site.port, "/dj/admin/login/").status == 200
    assert _threads(site.proc.pid) == before
    assert "Traceback" not in "".join(site.stderr_lines[start:])


_UPGRADE = [
    ("Upgrade", "websocket"),
    ("Connection", "Upgrade"),
    ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ("Sec-WebSocket-Version", "13"),
]


def test_server_a_websocket_under_a_mount_reaches_its_app(site, marks):
    async def talk():
        url = f"ws://{HOST}:{site.port}/wsapp/r%201?q=2"
        async with websockets.connect(url, subprotocols=["one", "two"], additional_headers={"X-Custom": "v"}) as ws:
            assert ws.subprotocol == "two" and ws.response.headers["x-mounted"] == "yes"
            seen = json.loads(await ws.recv())
            await ws.send("hello")
            assert await ws.recv() == "HELLO"
            await ws.send(b"abc")
            assert await ws.recv() == b"cba"
            await ws.send("bye")
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
            return seen, closed.value.rcvd

    seen, rcvd = asyncio.run(asyncio.wait_for(talk(), 10))
    assert (seen["type"], seen["path"], seen["raw_path"], seen["root_path"]) == (
        "websocket",
        "/r 1",
        "/wsapp/r%201",
        "/wsapp",
    )
    assert (seen["scheme"], seen["subprotocols"], seen["http_version"]) == ("ws", ["one", "two"], "1.1")
    assert seen["query_string"] == "q=2" and ["x-custom", "v"] in seen["headers"]
    assert seen["client"][0] == "127.0.0.1"
    assert (rcvd.code, rcvd.reason) == (4001, "bye bye")


def test_server_the_clients_close_reaches_the_app_with_its_code(site, marks):
    async def talk():
        async with websockets.connect(f"ws://{HOST}:{site.port}/wsapp") as ws:
            await ws.recv()
            await ws.close(code=4321)

    asyncio.run(asyncio.wait_for(talk(), 10))
    eventually(lambda: (marks / "ws-left-4321").exists(), bool, timeout=5)


def test_server_a_mounted_app_closing_before_accept_refuses_with_403(site):
    r = get(site.port, "/wsapp?deny", headers=_UPGRADE)
    assert r.status == 403


def test_server_a_plain_get_under_a_websocket_mount_is_http(site):
    r = get(site.port, "/wsapp/x")
    assert (r.status, r.body) == (200, b"plain GET under a WebSocket mount")


def test_server_mount_django_takes_no_websocket(site):
    r = get(site.port, "/dj/admin/", headers=_UPGRADE)
    assert r.status == 404 and b"serves HTTP only" in r.body


def test_server_scope_http_version_follows_the_request(site):
    with Conn(site.port) as c:
        c.send(b"GET /app/v HTTP/1.0\r\nHost: t\r\n\r\n")
        data = c.read_until_close()
    assert data.startswith(b"HTTP/1.1 201")
    assert b'"http_version": "1.0"' in data
    assert get(site.port, "/app/v").json()["http_version"] == "1.1"


def test_server_an_app_slow_to_start_gets_504_after_the_setting(site, marks):
    t0 = time.monotonic()
    with Conn(site.port, timeout=20) as c:
        r = c.request("GET", "/slow")
    took = time.monotonic() - t0
    assert r.status == 504
    assert r.json() == {"detail": "ASGI mount timed out after 3 seconds waiting for response headers"}
    assert 2.5 < took < 10  # settings.BOLT_ASGI_MOUNT_TIMEOUT = 3
    eventually(lambda: (marks / "slow-stopped").exists(), bool, timeout=5)
