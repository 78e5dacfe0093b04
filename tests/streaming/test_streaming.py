"""Streamed bodies over real sockets (src/app/stream.rs, src/runtime/streaming.rs): chunked
framing, chunks sent as they are produced, HTTP/1.0 and HEAD, errors mid-stream, backpressure
(a reader that stops reading stops the generator), a client that leaves closes the generator,
per-chunk compression, and Django's own StreamingHttpResponse. The demo routes are in
examples/demo/demo/streams.py."""

from __future__ import annotations

import gzip
import socket
import time
import uuid
import zlib

import brotli
import httpx
import pytest
import zstandard

from support.boltproc import BoltProcess
from support.procstat import rss_kib
from support.wait import eventually
from support.wire import HOST, Conn, get, parse_response

pytestmark = pytest.mark.usefixtures("demo_db")


def _head_and_rest(sock: socket.socket, until: bytes, timeout: float = 10.0) -> tuple[bytes, bytes]:
    """Reads until ``until`` appears after the head; (head, body bytes so far)."""
    sock.settimeout(timeout)
    data = b""
    while True:
        if b"\r\n\r\n" in data:
            head, rest = data.split(b"\r\n\r\n", 1)
            if until in rest:
                return head, rest
        chunk = sock.recv(65536)
        assert chunk, f"closed before {until!r}; got {data[:300]!r}"
        data += chunk


def _dechunk(body: bytes) -> bytes:
    """The payload of a complete chunked body (fails when the last chunk is missing)."""
    out, i = b"", 0
    while True:
        j = body.index(b"\r\n", i)
        size = int(body[i:j], 16)
        if size == 0:
            assert body[j + 2 : j + 4] == b"\r\n", "no end of the chunked body"
            return out
        out += body[j + 2 : j + 2 + size]
        assert body[j + 2 + size : j + 4 + size] == b"\r\n"
        i = j + 4 + size


def _probe(port: int, name: str) -> dict:
    return get(port, f"/streams/probe?name={name}").json()


def _stalled(port: int, name: str, pause: float) -> int:
    """Waits until generator ``name`` produced nothing for ``pause`` seconds; its count then."""
    before_after = eventually(
        lambda: (_probe(port, name)["produced"], time.sleep(pause), _probe(port, name)["produced"]),
        lambda t: t[0] == t[2],
        timeout=10,
    )
    return before_after[2]


def test_a_sync_generator_is_sent_chunked(server):
    resp = get(server.port, "/streams/count?n=4")
    assert resp.status == 200
    assert resp.header("transfer-encoding") == "chunked"
    assert resp.header("content-length") is None
    assert resp.content_type == "text/plain"
    assert resp.body == b"".join(f"line {i}\n".encode() for i in range(4))


def test_chunks_go_out_as_they_are_produced(server):
    # 0.5 s between lines: the first arrives long before the last exists.
    with socket.create_connection((HOST, server.port)) as s:
        s.sendall(b"GET /streams/acount?n=3&delay=0.5 HTTP/1.1\r\nHost: t\r\n\r\n")
        head, rest = _head_and_rest(s, b"line 0\n")
        t0 = time.monotonic()
        assert b"transfer-encoding: chunked" in head
        assert b"line 2" not in rest
        while b"0\r\n\r\n" not in rest:
            rest += s.recv(65536)
        assert time.monotonic() - t0 > 0.5, "the last lines were not produced after the first went out"
    assert _dechunk(rest) == b"line 0\nline 1\nline 2\n"


def test_a_generator_handler_streams_what_it_yields(server):
    resp = get(server.port, "/streams/generator?n=4")
    assert resp.header("transfer-encoding") == "chunked"
    assert resp.content_type == "application/octet-stream"
    assert resp.body == b"0;1;2;3;"


def test_a_stream_with_its_own_length_is_not_chunked_and_keeps_the_connection(server):
    with Conn(server.port) as c:
        resp = c.request("GET", "/streams/list")
        assert resp.header("content-length") == "10"
        assert resp.header("transfer-encoding") is None
        assert resp.body == b"abcdefghij"
        assert c.request("GET", "/hello").json() == {"message": "Hello, World!"}


def test_keep_alive_after_a_chunked_stream_and_pipelining(server):
    with Conn(server.port) as c:
        c.send(
            b"GET /streams/count?n=2 HTTP/1.1\r\nHost: t\r\n\r\n"
            b"GET /streams/acount?n=2&delay=0.05 HTTP/1.1\r\nHost: t\r\n\r\n"
            b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"
        )
        first, second, third = c.read_responses(3)
        assert first.body == b"line 0\nline 1\n"
        assert second.body == b"line 0\nline 1\n"
        assert third.json() == {"message": "Hello, World!"}
        c.assert_open()


def test_http10_client_gets_the_body_until_close(server):
    with socket.create_connection((HOST, server.port), timeout=10) as s:
        s.sendall(b"GET /streams/count?n=3 HTTP/1.0\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    assert b"transfer-encoding" not in head and b"content-length" not in head
    assert b"connection: close" in head
    assert body == b"line 0\nline 1\nline 2\n"


def test_head_sends_the_head_and_never_runs_the_generator(server):
    name = uuid.uuid4().hex
    with Conn(server.port) as c:
        resp = c.request("HEAD", f"/streams/endless?name={name}")
        assert resp.status == 200
        assert resp.header("transfer-encoding") == "chunked"
        assert resp.body == b""
        assert c.request("GET", "/hello").status == 200
    # Never started: closing a generator that has not run does not enter its body at all.
    assert _probe(server.port, name) == {"produced": 0, "closed": None}


def test_an_error_mid_stream_cuts_the_body_short_and_is_logged(server):
    start = len(server.stderr_lines)
    with socket.create_connection((HOST, server.port), timeout=10) as s:
        s.sendall(b"GET /streams/fails?after=2 HTTP/1.1\r\nHost: t\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200")
    # The items before the error went out; the closing zero-size chunk never does.
    assert b"ok 0\nok 1\n" in body
    assert not body.endswith(b"0\r\n\r\n")
    server.wait_stderr("stream broke on purpose", start)
    assert get(server.port, "/hello").status == 200


def test_a_client_that_leaves_closes_a_sync_generator(server):
    name = uuid.uuid4().hex
    with socket.create_connection((HOST, server.port)) as s:
        s.sendall(f"GET /streams/endless?name={name}&size=1024 HTTP/1.1\r\nHost: t\r\n\r\n".encode())
        _head_and_rest(s, b"x" * 1024)
    state = eventually(lambda: _probe(server.port, name), lambda p: p["closed"] is not None, timeout=10)
    assert state["closed"] == "GeneratorExit"
    produced = state["produced"]
    time.sleep(0.3)
    assert _probe(server.port, name)["produced"] == produced, "the generator ran on after its close"


def test_a_client_that_leaves_cancels_an_async_generator_where_it_waits(server):
    name = uuid.uuid4().hex
    with socket.create_connection((HOST, server.port)) as s:
        s.sendall(f"GET /streams/aendless?name={name}&delay=0.2 HTTP/1.1\r\nHost: t\r\n\r\n".encode())
        _head_and_rest(s, b"tick\n")
    # Noticed while the generator sleeps (the socket turns readable at the close), not at the
    # next write: within one item.
    state = eventually(lambda: _probe(server.port, name), lambda p: p["closed"] is not None, timeout=5)
    assert state["closed"] == "CancelledError"
    assert state["produced"] <= 2


def test_a_reader_that_stops_reading_stops_the_generator(server):
    """Backpressure: the generator could produce gigabytes; while the client reads nothing, it
    is not advanced and the server's memory stays flat."""
    name = uuid.uuid4().hex
    s = socket.create_connection((HOST, server.port))
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        s.sendall(f"GET /streams/endless?name={name}&size=65536 HTTP/1.1\r\nHost: t\r\n\r\n".encode())
        _head_and_rest(s, b"x")
        # Stalled: the kernel buffers filled, the write blocks, no more pulls.
        stalled = _stalled(server.port, name, 0.3)
        rss = rss_kib(server.pid)
        time.sleep(1.0)
        assert _probe(server.port, name)["produced"] == stalled
        assert rss_kib(server.pid) - rss < 4096, "memory grew while the reader was stalled"
        # A bounded amount went out: kernel buffers and one chunk, not the stream.
        assert stalled * 64 < 64 * 1024, f"{stalled} chunks of 64 KiB produced for a stalled reader"
        # Reading again resumes it.
        s.setblocking(True)
        got = 0
        while got < 4 * 1024 * 1024:
            got += len(s.recv(1 << 20))
        assert _probe(server.port, name)["produced"] > stalled
    finally:
        s.close()
    eventually(lambda: _probe(server.port, name), lambda p: p["closed"] == "GeneratorExit", timeout=10)


def test_an_async_generator_runs_at_most_a_batch_ahead_of_a_stalled_reader(server):
    """An async generator that never waits is run by one Task ahead of its connection, but only
    a batch (64 KiB) ahead: while the client reads nothing it stops, memory stays flat, and it
    resumes when the client reads again."""
    name = uuid.uuid4().hex
    s = socket.create_connection((HOST, server.port))
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        s.sendall(f"GET /streams/aflood?name={name}&size=16384 HTTP/1.1\r\nHost: t\r\n\r\n".encode())
        _head_and_rest(s, b"y")
        stalled = _stalled(server.port, name, 0.3)
        rss = rss_kib(server.pid)
        time.sleep(1.0)
        # The kernel may still squeeze a little more into the stalled socket's buffers (it
        # collapses queued packets), letting at most a batch (4 of these chunks) more through.
        later = _probe(server.port, name)["produced"]
        assert later - stalled <= 8, f"{later - stalled} more chunks for a reader that reads nothing"
        assert rss_kib(server.pid) - rss < 4096, "memory grew while the reader was stalled"
        # Kernel buffers (a few MiB at most on loopback) and one batch, not the stream.
        assert later * 16384 < 16 * 1024 * 1024, f"{later} chunks of 16 KiB for a stalled reader"
        s.setblocking(True)
        got = 0
        while got < 8 * 1024 * 1024:
            got += len(s.recv(1 << 20))
        assert _probe(server.port, name)["produced"] > stalled
    finally:
        s.close()
    # Paused ahead of the client when it left: its finally runs (the feeder closes it).
    state = eventually(lambda: _probe(server.port, name), lambda p: p["closed"] is not None, timeout=10)
    assert state["closed"] in ("GeneratorExit", "CancelledError")


def test_an_async_generator_paused_ahead_of_its_client_is_closed_when_the_client_leaves(server):
    name = uuid.uuid4().hex
    with socket.create_connection((HOST, server.port)) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
        s.sendall(f"GET /streams/aflood?name={name}&size=65536 HTTP/1.1\r\nHost: t\r\n\r\n".encode())
        _head_and_rest(s, b"y")
        _stalled(server.port, name, 0.2)
    # The generator sits at a yield (its feeder waits for the client to take a batch): closing
    # it throws GeneratorExit there, so its except/finally run now.
    state = eventually(lambda: _probe(server.port, name), lambda p: p["closed"] is not None, timeout=5)
    assert state["closed"] == "GeneratorExit"


def test_other_requests_on_the_core_are_served_while_a_sync_generator_sleeps(server):
    # The generator sleeps 0.5 s per item on the blocking pool; /hello on the same (only) core
    # answers meanwhile: all 20 before the stream's third item exists (were the generator run on
    # the core, each sleep would hold them back).
    with socket.create_connection((HOST, server.port), timeout=10) as s:
        s.sendall(b"GET /streams/slow-sync?n=4&delay=0.5 HTTP/1.1\r\nHost: t\r\n\r\n")
        _head_and_rest(s, b"tick 0")
        answered = [get(server.port, "/hello").status for _ in range(20)]
        s.setblocking(False)
        try:
            so_far = s.recv(65536)
        except BlockingIOError:
            so_far = b""
        s.setblocking(True)
        assert b"tick 2" not in so_far
        rest = so_far
        while b"0\r\n\r\n" not in rest:
            rest += s.recv(65536)
    assert answered == [200] * 20
    assert b"tick 3" in rest


@pytest.mark.parametrize("coding", ["gzip", "br"])  # zstd: tests/compression (a zstd project)
def test_streams_are_compressed_and_flushed_per_chunk(server, coding):
    decompress = {
        "gzip": lambda: zlib.decompressobj(wbits=31),
        "br": lambda: brotli.Decompressor(),
        "zstd": lambda: zstandard.ZstdDecompressor().decompressobj(),
    }[coding]
    with socket.create_connection((HOST, server.port), timeout=10) as s:
        s.sendall(
            f"GET /streams/acount?n=3&delay=0.4 HTTP/1.1\r\nHost: t\r\nAccept-Encoding: {coding}\r\n\r\n".encode()
        )
        data = b""
        while b"\r\n\r\n" not in data:
            data += s.recv(65536)
        head, rest = data.split(b"\r\n\r\n", 1)
        assert f"content-encoding: {coding}".encode() in head
        assert b"vary: accept-encoding" in head
        # The first line decodes from the first chunk alone, before the next one exists.
        d = decompress()
        seen = b""
        while b"line 0" not in seen:
            while True:
                try:
                    size_end = rest.index(b"\r\n")
                    size = int(rest[:size_end], 16)
                    if len(rest) >= size_end + 4 + size:
                        break
                except ValueError:
                    pass
                rest += s.recv(65536)
            seen += (d.process if coding == "br" else d.decompress)(rest[size_end + 2 : size_end + 2 + size])
            rest = rest[size_end + 4 + size :]
        assert seen == b"line 0\n"
        while not rest.endswith(b"0\r\n\r\n"):
            rest += s.recv(65536)


def test_sse_over_http_decodes_with_gzip(server):
    # A real client library, with compression negotiated (httpx decodes it).
    with httpx.stream(
        "GET", f"http://{HOST}:{server.port}/streams/events?n=3", headers={"accept-encoding": "gzip"}
    ) as r:
        assert r.headers["content-encoding"] == "gzip"
        text = r.read().decode()
    assert text.startswith('event: tick\ndata: {"n":0}\nid: 0\nretry: 1500\n\n')


def test_django_streaming_response_is_streamed(server):
    with socket.create_connection((HOST, server.port), timeout=10) as s:
        s.sendall(b"GET /django/stream/?delay=0.4 HTTP/1.1\r\nHost: t\r\n\r\n")
        head, rest = _head_and_rest(s, b"line 0\n")
        assert b"transfer-encoding: chunked" in head
        assert b"line 4" not in rest
        while not rest.endswith(b"0\r\n\r\n"):
            rest += s.recv(65536)
    assert _dechunk(rest) == b"".join(f"line {i}\n".encode() for i in range(5))


def test_parse_response_reads_a_stream(server):
    # The strict wire parser (support.wire) agrees with the framing.
    with Conn(server.port) as c:
        c.send(b"GET /streams/count?n=2 HTTP/1.1\r\nHost: t\r\n\r\n")
        resp = c.read_response()
    parsed, used = parse_response(resp.raw)
    assert parsed.body == b"line 0\nline 1\n" and used == len(resp.raw)


def test_gzip_module_reads_a_gzip_stream_whole(server):
    resp = get(server.port, "/streams/count?n=50", headers=[("Accept-Encoding", "gzip")])
    assert resp.header("content-encoding") == "gzip"
    assert gzip.decompress(resp.body) == b"".join(f"line {i}\n".encode() for i in range(50))


def test_shutdown_ends_streams_to_clients_that_stopped_reading(demo_db, driver):
    """SIGTERM while streams are open, some to readers that read nothing (their writes block):
    the drain deadline ends them all, the process exits 0 within it, without a panic."""
    server = BoltProcess.start(cores=1, driver=driver, extra=["--shutdown-timeout", "1"])
    socks = []
    try:
        for path in (
            "/streams/ticker?interval=0.05&count=100000",
            "/streams/aflood?name=s1",
            "/streams/endless?name=s2",
        ):
            s = socket.create_connection((HOST, server.port))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
            socks.append(s)
        _head_and_rest(socks[0], b"data: 1\n")
        time.sleep(0.5)  # the flooding ones fill their buffers and block
        t0 = time.monotonic()
        code = server.stop()
        took = time.monotonic() - t0
    finally:
        for s in socks:
            s.close()
    assert code == 0, server.output()
    assert "panicked" not in server.stderr, server.stderr
    assert took < 1 + 5, f"took {took:.1f} s to stop with a 1 s drain"
