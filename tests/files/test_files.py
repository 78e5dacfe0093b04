"""FileResponse against a real ``bolt``: the bytes, HEAD, validators and ranges, Content-Disposition,
the allowed roots (``..``, symlinks, absolute paths), a 100+ MiB download that does not stop the core
answering, and clients that leave mid-file."""

from __future__ import annotations

import gzip
import hashlib
import os
import socket
import struct
import threading
import time
import urllib.parse

import pytest

from support.boltproc import BoltProcess
from support.paths import DEMO
from support.projects import copy_demo
from support.wire import HOST, Conn, fetch, get, parse_response

ROUTES = """
import os

from django.conf import settings

from django_bolt import BoltAPI, FileResponse

api = BoltAPI(prefix="/t")
FILES = settings.BASE_DIR / "files"


@api.get("/file")
def file(name: str, filename: str | None = None, inline: bool = False) -> FileResponse:
    return FileResponse(
        os.path.join(FILES, name),
        filename=filename,
        content_disposition_type="inline" if inline else "attachment",
    )


@api.get("/abs")
def absolute(path: str) -> FileResponse:
    return FileResponse(path)


@api.get("/custom")
def custom() -> FileResponse:
    resp = FileResponse(
        FILES / "data.bin",
        media_type="application/x-custom",
        headers={"x-extra": "1", "cache-control": "no-store", "content-length": "3"},
    )
    return resp.set_cookie("seen", "1", httponly=True)


@api.post("/made")
def made() -> FileResponse:
    return FileResponse(FILES / "data.bin", status_code=201)


@api.get("/gone")
def gone() -> FileResponse:
    resp = FileResponse(FILES / "data.bin")
    resp.path = "/etc/hostname"  # changed after the constructor checked it
    return resp
"""

SETTINGS = '\nBOLT_API = ["demo.api:api", "demo.files_test:api"]\n'
# 300 KB: several of the connection's 128 KiB chunks.
DATA = os.urandom(300_000)
BIG_SIZE = 110 * 1024 * 1024
SECRET = b"outside the allowed root\n"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    project = copy_demo(tmp_path_factory.mktemp("files") / "demo", "staticfiles", settings=SETTINGS)
    (project / "demo" / "files_test.py").write_text(ROUTES)
    files = project / "files"
    (files / "data.bin").write_bytes(DATA)
    (files / "page.txt").write_bytes(b"plain text " * 1000)
    (project / "secret.txt").write_bytes(SECRET)
    os.symlink(project / "secret.txt", files / "escape.txt")
    os.symlink(files / "data.bin", files / "inside-link.bin")
    big = hashlib.sha256()
    with open(files / "big.bin", "wb") as f:
        block = os.urandom(1 << 20)
        for i in range(BIG_SIZE >> 20):
            chunk = block[i:] + block[:i]  # no two MiB alike, cheaply
            big.update(chunk)
            f.write(chunk)
    return project, big.hexdigest()


@pytest.fixture(scope="module")
def server(project, driver):
    proc = BoltProcess.start(cores=1, driver=driver, cwd=project[0])
    yield proc
    proc.stop()


def q(**params) -> str:
    return "?" + urllib.parse.urlencode(params)


def test_whole_file_with_validators_and_no_compression(server):
    resp = get(server.port, "/t/file" + q(name="data.bin"), headers=[("Accept-Encoding", "gzip, br")])
    assert resp.status == 200
    assert resp.body == DATA
    assert resp.header("content-length") == str(len(DATA))
    assert resp.content_type == "application/octet-stream"
    assert resp.header("etag").startswith('"') and resp.header("last-modified")
    assert resp.header("accept-ranges") == "bytes"
    assert resp.header("content-encoding") is None
    assert resp.header("content-disposition") is None, "no filename, no Content-Disposition"


def test_text_is_guessed_and_compressed_like_any_body(server):
    plain = get(server.port, "/t/file" + q(name="page.txt"))
    assert plain.content_type == "text/plain; charset=utf-8"
    assert plain.header("content-encoding") is None and plain.body == b"plain text " * 1000
    # A text file up to 1 MiB is compressed on the fly (src/compression.rs, MAX_FILE_ON_THE_FLY).
    resp = get(server.port, "/t/file" + q(name="page.txt"), headers=[("Accept-Encoding", "gzip")])
    assert resp.content_type == "text/plain; charset=utf-8"
    assert resp.header("content-encoding") == "gzip"
    assert gzip.decompress(resp.body) == b"plain text " * 1000
    assert resp.header("etag") == "W/" + plain.header("etag")


def test_head_has_the_length_and_the_connection_stays_usable(server):
    with Conn(server.port) as conn:
        resp = conn.request("HEAD", "/t/file" + q(name="data.bin"))
        assert resp.status == 200
        assert resp.header("content-length") == str(len(DATA))
        assert resp.body == b""
        after = conn.request("GET", "/hello")
        assert after.status == 200 and after.json() == {"message": "Hello, World!"}


def test_keep_alive_after_a_file_body(server):
    with Conn(server.port) as conn:
        assert conn.request("GET", "/t/file" + q(name="data.bin")).body == DATA
        assert conn.request("GET", "/t/file" + q(name="data.bin")).body == DATA
        assert conn.request("GET", "/hello").status == 200


def test_pipelined_requests_around_a_file_keep_their_order(server):
    target = "/t/file" + q(name="data.bin")
    with Conn(server.port) as conn:
        conn.send(
            b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"
            + f"GET {target} HTTP/1.1\r\nHost: t\r\n\r\n".encode()
            + b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"
        )
        first, middle, last = conn.read_responses(3)
    assert first.json() == last.json() == {"message": "Hello, World!"}
    assert middle.body == DATA


@pytest.mark.parametrize(
    ("spec", "start", "end"),
    [
        ("bytes=1000-1999", 1000, 1999),
        ("bytes=100000-299999", 100000, 299999),  # across the 128 KiB chunk boundaries
        ("bytes=-10", len(DATA) - 10, len(DATA) - 1),
        ("bytes=299990-", 299990, len(DATA) - 1),
    ],
)
def test_single_range_is_206(server, spec, start, end):
    resp = get(server.port, "/t/file" + q(name="data.bin"), headers=[("Range", spec)])
    assert resp.status == 206
    assert resp.body == DATA[start : end + 1]
    assert resp.header("content-range") == f"bytes {start}-{end}/{len(DATA)}"
    assert resp.header("content-length") == str(end - start + 1)


def test_unsatisfiable_range_is_416(server):
    resp = get(server.port, "/t/file" + q(name="data.bin"), headers=[("Range", "bytes=999999-")])
    assert resp.status == 416
    assert resp.header("content-range") == f"bytes */{len(DATA)}"
    assert resp.body == b""


def test_if_none_match_and_if_modified_since_give_304(server):
    target = "/t/file" + q(name="data.bin")
    first = get(server.port, target)
    etag, modified = first.header("etag"), first.header("last-modified")
    for headers in ([("If-None-Match", etag)], [("If-None-Match", f'"x", {etag}')], [("If-Modified-Since", modified)]):
        resp = get(server.port, target, headers=headers)
        assert resp.status == 304, headers
        assert resp.body == b"" and resp.header("content-length") is None
        assert resp.header("etag") == etag
    assert get(server.port, target, headers=[("If-None-Match", '"other"')]).status == 200


def test_if_range_applies_the_range_only_to_the_same_file(server):
    target = "/t/file" + q(name="data.bin")
    etag = get(server.port, target).header("etag")
    hit = get(server.port, target, headers=[("Range", "bytes=0-9"), ("If-Range", etag)])
    assert (hit.status, hit.body) == (206, DATA[:10])
    stale = get(server.port, target, headers=[("Range", "bytes=0-9"), ("If-Range", '"stale"')])
    assert (stale.status, stale.body) == (200, DATA), "a changed file is sent whole"


def test_content_disposition_attachment_and_inline_with_a_non_ascii_name(server):
    name = "résumé 2026.bin"
    resp = get(server.port, "/t/file" + q(name="data.bin", filename=name))
    assert resp.header("content-disposition") == (
        "attachment; filename=\"r_sum_ 2026.bin\"; filename*=UTF-8''r%C3%A9sum%C3%A9%202026.bin"
    )
    inline = get(server.port, "/t/file" + q(name="page.txt", filename="notes.txt", inline="true"))
    assert inline.header("content-disposition") == 'inline; filename="notes.txt"'


def test_demo_route_inline_and_download(bolt_1core):
    """The demo as ``bolt`` discovers it (examples/demo/demo/downloads.py)."""
    server = bolt_1core
    text = (DEMO / "files" / "hello.txt").read_bytes()
    shown = get(server.port, "/downloads/hello")
    assert shown.body == text
    assert shown.content_type == "text/plain; charset=utf-8"
    assert shown.header("content-disposition").startswith('inline; filename="d_mo-hello.txt"')
    saved = get(server.port, "/downloads/hello?download=true")
    assert saved.header("content-disposition").startswith("attachment;")
    assert "filename*=UTF-8''d%C3%A9mo-hello.txt" in saved.header("content-disposition")


def test_media_type_headers_and_cookies_of_the_handler(server):
    resp = get(server.port, "/t/custom")
    assert resp.content_type == "application/x-custom"
    assert resp.header("x-extra") == "1"
    assert resp.header("cache-control") == "no-store"
    assert resp.header("content-length") == str(len(DATA)), "the handler cannot reframe the file"
    assert resp.header("set-cookie").startswith("seen=1;") and "HttpOnly" in resp.header("set-cookie")
    assert resp.body == DATA


def test_other_methods_and_statuses_get_the_whole_file(server):
    resp = fetch(server.port, "POST", "/t/made", headers=[("Range", "bytes=0-1")], body=b"")
    assert (resp.status, resp.body) == (201, DATA)


@pytest.mark.parametrize(
    ("target", "why"),
    [
        ("/t/abs" + q(path="/etc/hostname"), "an absolute path outside the root"),
        ("/t/file" + q(name="../secret.txt"), "'..' out of the root"),
        ("/t/file" + q(name="escape.txt"), "a symlink inside the root pointing out of it"),
        ("/t/abs" + q(path="/nonexistent/outside"), "outside and missing: 403, not a 404 oracle"),
    ],
)
def test_paths_outside_the_allowed_roots_are_refused(server, target, why):
    resp = get(server.port, target)
    assert resp.status == 403, why
    assert resp.json() == {"detail": "Forbidden"}
    assert SECRET not in resp.body


def test_a_link_that_stays_inside_the_root_is_served(server):
    assert get(server.port, "/t/file" + q(name="inside-link.bin")).body == DATA


def test_a_path_changed_after_the_check_is_still_refused(server):
    resp = get(server.port, "/t/gone")
    assert resp.status == 403
    assert b"localhost" not in resp.body


def test_missing_file_is_404(server):
    resp = get(server.port, "/t/file" + q(name="nope.bin"))
    assert resp.status == 404
    assert resp.json() == {"detail": "Not Found"}


def _download(port: int, target: str, pause_every: int = 0) -> tuple[dict, str, int]:
    """GET ``target``; the head's fields, the body's sha256 and length (read in 256 KiB pieces,
    with a 2 ms pause every ``pause_every`` pieces so the download lasts a while)."""
    with socket.create_connection((HOST, port), timeout=30) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += s.recv(65536)
        head, _, rest = buf.partition(b"\r\n\r\n")
        fields = dict(
            (k.strip().lower(), v.strip()) for k, v in (line.split(":", 1) for line in head.decode().split("\r\n")[1:])
        )
        length = int(fields["content-length"])
        digest = hashlib.sha256(rest)
        got, pieces = len(rest), 0
        while got < length:
            chunk = s.recv(min(256 * 1024, length - got))
            if not chunk:
                break
            digest.update(chunk)
            got += len(chunk)
            pieces += 1
            if pause_every and pieces % pause_every == 0:
                time.sleep(0.002)
        return fields, digest.hexdigest(), got


def test_a_100mib_download_while_the_same_core_keeps_answering(server, project):
    _, want = project
    result: dict = {}

    def download() -> None:
        result["value"] = _download(server.port, "/t/file" + q(name="big.bin"), pause_every=1)

    t = threading.Thread(target=download)
    t.start()
    statuses, during, slowest = [], 0, 0.0
    with Conn(server.port) as conn:
        while t.is_alive():
            t0 = time.perf_counter()
            resp = conn.request("GET", "/hello")
            slowest = max(slowest, time.perf_counter() - t0)
            statuses.append(resp.status)
            during += t.is_alive()
    t.join()
    fields, digest, got = result["value"]
    assert got == BIG_SIZE and fields["content-length"] == str(BIG_SIZE)
    assert digest == want, "the file arrived intact"
    assert during > 0, "some /hello requests ran while the download was in progress"
    assert set(statuses) == {200}
    print(f"\n/hello during a {BIG_SIZE >> 20} MiB download: {len(statuses)} requests, slowest {slowest * 1e3:.2f} ms")


def _open_fds_to(pid: int, name: str) -> int:
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            n += os.readlink(f"/proc/{pid}/fd/{fd}").endswith(name)
        except OSError:
            pass
    return n


def test_clients_leaving_mid_file_leave_the_core_serving_and_no_open_file(server):
    target = "/t/file" + q(name="big.bin")
    for i in range(10):
        s = socket.create_connection((HOST, server.port), timeout=10)
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
        got = 0
        while got < 1 << 20:
            got += len(s.recv(65536))
        if i % 2:
            # RST instead of FIN: the server's next write fails at once.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    deadline = time.monotonic() + 10
    while _open_fds_to(server.pid, "big.bin") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _open_fds_to(server.pid, "big.bin") == 0, "every abandoned download closed its file"
    assert get(server.port, "/hello").status == 200
    assert get(server.port, "/t/file" + q(name="data.bin")).body == DATA
    assert "panic" not in server.stderr


def test_http10_client_gets_the_file_and_a_close(server):
    with Conn(server.port) as conn:
        conn.send(f"GET /t/file{q(name='data.bin')} HTTP/1.0\r\n\r\n".encode())
        data = conn.read_until_close()
    resp, _ = parse_response(data, eof=True)
    assert resp.status == 200 and resp.body == DATA


def test_a_missing_allowed_root_stops_the_start(demo_db, tmp_path, driver):
    from support.projects import run_bolt

    project = copy_demo(tmp_path / "demo", "staticfiles", settings='\nBOLT_ALLOWED_FILE_PATHS = ["/no/such/dir"]\n')
    done = run_bolt(project, "--driver", driver)
    assert done.returncode == 1
    assert (
        "bolt: error: ImproperlyConfigured: BOLT_ALLOWED_FILE_PATHS: '/no/such/dir' is not an existing directory"
        in (done.stderr)
    )
    assert "Traceback" not in done.stderr, "one message, before any worker starts"


def test_access_log_counts_the_file_bytes(project, driver):
    proc = BoltProcess.start(cores=1, driver=driver, cwd=project[0], log_level="info")
    try:
        target = "/t/file" + q(name="data.bin")
        assert get(proc.port, target).body == DATA
        proc.wait_stderr(f'"GET {target}" 200 {len(DATA)} ')
        assert get(proc.port, target, headers=[("Range", "bytes=0-9")]).status == 206
        proc.wait_stderr(f'"GET {target}" 206 10 ')
    finally:
        proc.stop()
