"""``deploy/nginx.conf`` in front of a real bolt on the demo project: the file as shipped, with
its listen port and upstream address replaced, in a throwaway nginx (tests/support/nginx.py).
JSON, a server-sent event stream (each event passed on as it is sent) and a WebSocket echo work
through it; nginx reuses its upstream connections (bolt's access log names few client ports
for many requests); and X-Forwarded-For picks bolt's rate-limit key only when nginx's address is
in ``BOLT_TRUSTED_PROXIES``."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import pytest
import websockets

from support.boltproc import BoltProcess
from support.nginx import Nginx
from support.wire import JSON, Conn, fetch, json_body

CONF = Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf"
UPSTREAM = "server 127.0.0.1:8000 "
LISTEN = "listen 80;"


def site(bolt_port: int) -> callable:
    text = CONF.read_text()
    assert UPSTREAM in text and LISTEN in text, "deploy/nginx.conf changed: update the test's template"

    def render(port: int) -> str:
        return text.replace(UPSTREAM, f"server 127.0.0.1:{bolt_port} ").replace(LISTEN, f"listen 127.0.0.1:{port};")

    return render


def start(tmp: Path, driver: str, trusted: str | None) -> tuple[BoltProcess, Nginx]:
    env = {"DEMO_TRUSTED_PROXIES": trusted} if trusted else {}
    bolt = BoltProcess.start(cores=1, driver=driver, log_level="info", env=env)
    try:
        return bolt, Nginx.start(tmp, site(bolt.port))
    except BaseException:
        bolt.kill()
        raise


@pytest.fixture(scope="module")
def trusting(demo_db, driver, tmp_path_factory):
    """bolt with BOLT_TRUSTED_PROXIES = ["127.0.0.1"] (nginx's address), behind nginx."""
    bolt, proxy = start(tmp_path_factory.mktemp("nginx"), driver, "127.0.0.1")
    yield bolt, proxy
    assert proxy.stop() == 0, proxy.error_log()
    assert bolt.stop() == 0, bolt.output()


def test_json_through_nginx(trusting):
    _, proxy = trusting
    with Conn(proxy.port, timeout=30) as c:
        r = c.request("GET", "/hello")
        assert r.status == 200 and r.json() == {"message": "Hello, World!"}
        r = c.request("POST", "/items", headers=JSON, body=json_body({"name": "pen", "price": 2}))
        assert r.status == 200 and r.json()["name"] == "pen"
        r = c.request("POST", "/items", headers=JSON, body=b'{"name": 3}')
        assert r.status == 422 and r.json()["detail"][0]["loc"][0] == "body"


def first_items(port: int, target: str, marker: bytes, n: int = 3) -> bytes:
    """The response head and body so far once ``n`` items (``marker``) arrived (or 15 s passed)."""
    with Conn(port, timeout=30) as c:
        c.send(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        deadline = time.monotonic() + 15
        while c.buf.count(marker) < n and time.monotonic() < deadline and not c.eof:
            c._fill()
        return c.buf


def test_server_sent_events_pass_through_unbuffered(trusting):
    _, proxy = trusting
    # 200 small events 0.1 s apart: buffered, none would reach the client until nginx's buffers
    # filled or the stream ended; here the first ones arrive while bolt is still sending.
    got = first_items(proxy.port, "/streams/ticker?interval=0.1&count=200", b"data:")
    head = got.split(b"\r\n\r\n", 1)[0].lower()
    assert b"200 ok" in head and b"text/event-stream" in head
    assert 3 <= got.count(b"data:") < 200, got[-300:]


def test_a_plain_stream_passes_through_unbuffered(trusting):
    _, proxy = trusting
    # A StreamingResponse (no X-Accel-Buffering header): its 5-byte chunks arrive while it runs.
    # It never ends; the client leaving ends it. (nginx passes small chunks on even when it
    # buffers; what `proxy_buffering off` changes is the next test's.)
    got = first_items(proxy.port, "/streams/aendless?name=nginx&delay=0.05", b"tick\n")
    assert b"200 ok" in got.split(b"\r\n\r\n", 1)[0].lower()
    assert got.count(b"tick\n") >= 3, got[-300:]


def test_a_stream_to_a_client_that_does_not_read_holds_bolt_back(trusting):
    bolt, proxy = trusting
    # Unbuffered, nginx takes from bolt only what its client takes (plus socket buffers): bolt's
    # generator pauses. Buffered, nginx would drain bolt into a temp file of up to 1 GiB.
    with Conn(proxy.port, timeout=30) as c:
        c.send(b"GET /streams/aflood?name=nginx-unread&size=16384 HTTP/1.1\r\nHost: x\r\n\r\n")
        produced = -1
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = fetch(bolt.port, "GET", "/streams/probe?name=nginx-unread").json()["produced"]
            if now == produced and now > 0:
                break
            produced = now
        assert 0 < produced * 16384 < 32 << 20, f"{produced} chunks of 16 KiB left bolt for an idle client"


def test_websocket_echo_through_nginx(trusting):
    _, proxy = trusting

    async def echo() -> tuple[str, bytes]:
        async with websockets.connect(f"ws://127.0.0.1:{proxy.port}/ws/echo", open_timeout=30) as ws:
            await ws.send("hi through nginx")
            text = await ws.recv()
            await ws.send(b"\x00\x01")
            return text, await ws.recv()

    text, data = asyncio.run(echo())
    assert "hi through nginx" in text
    assert data == b"\x00\x01"


def test_nginx_reuses_its_upstream_connections(trusting):
    bolt, proxy = trusting
    mark = len(bolt.stderr_lines)
    # 40 requests, each on its own client connection to nginx.
    for i in range(40):
        with Conn(proxy.port, timeout=30) as c:
            assert c.request("GET", f"/items/{i}?q=reuse", headers=[("Connection", "close")]).status == 200
    bolt.wait_for(lambda: "".join(bolt.stderr_lines[mark:]).count("q=reuse") >= 40, 30, "40 access-log lines")
    peers = re.findall(r"django_bolt\.access: (127\.0\.0\.1:\d+) \"GET /items/\d+\?q=reuse\"", bolt.stderr)
    assert len(peers) == 40
    # One nginx worker; an upstream connection per request would give 40 client ports.
    assert len(set(peers)) <= 2, sorted(set(peers))


def limited(port: int, forwarded: list[str]) -> list[int]:
    """GET /limited (2/s, bursts of 3, per client address) once per X-Forwarded-For value, on one
    connection to nginx, back to back; the statuses."""
    out = []
    with Conn(port, timeout=30) as c:
        for ip in forwarded:
            out.append(c.request("GET", "/limited", headers=[("X-Forwarded-For", ip)]).status)
    return out


def test_a_trusted_proxys_forwarded_address_is_the_rate_limit_key(trusting):
    _, proxy = trusting
    # A fresh address always finds a full bucket: every one of these is its own client.
    assert limited(proxy.port, [f"10.1.0.{i}" for i in range(10)]) == [200] * 10
    # One address is limited on its own (10 back to back with bursts of 3)...
    assert 429 in limited(proxy.port, ["10.2.0.1"] * 10)
    # ...and another is not held back by it.
    assert limited(proxy.port, ["10.2.0.2"]) == [200]


def test_a_trusted_proxys_client_is_request_client(trusting):
    _, proxy = trusting
    with Conn(proxy.port, timeout=30) as c:
        r = c.request("GET", "/client", headers=[("X-Forwarded-For", "198.51.100.23")])
    # nginx appends its own peer (127.0.0.1, trusted) to the header: the client is the entry before it.
    assert r.status == 200 and r.json() == {"client": "198.51.100.23:0", "remote_addr": "198.51.100.23"}, r.body


def test_forwarded_for_from_an_untrusted_proxy_is_ignored(demo_db, driver, tmp_path):
    # The demo's own setting trusts 127.0.0.2 only: nginx (127.0.0.1) is not believed, so every
    # request is keyed on nginx's address and ten "different clients" share one bucket.
    bolt, proxy = start(tmp_path, driver, None)
    try:
        statuses = limited(proxy.port, [f"10.3.0.{i}" for i in range(10)])
        with Conn(proxy.port, timeout=30) as c:
            client = c.request("GET", "/client", headers=[("X-Forwarded-For", "198.51.100.24")]).json()
    finally:
        assert proxy.stop() == 0, proxy.error_log()
        assert bolt.stop() == 0, bolt.output()
    assert 429 in statuses, statuses
    assert client["remote_addr"] == "127.0.0.1", client  # nginx, not the forwarded address
