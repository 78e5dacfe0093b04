"""Response compression in Rust (src/compression.rs), black-box over real sockets: which coding
``Accept-Encoding`` chooses (django-bolt's rule: the configured backend, else gzip), what is never
compressed, the headers that come with it, the configuration surface, and the test client."""

from __future__ import annotations

import gzip
import json
import textwrap

import brotli
import pytest
import zstandard

from support.boltproc import BoltProcess
from support.projects import copy_demo
from support.wire import fetch, get

ROUTES = """
from django_bolt import BoltAPI, no_compress, skip_middleware
from django_bolt.responses import PlainText, Response, StreamingResponse

api = BoltAPI(prefix="/c")
BIG = {"rows": [{"id": i, "name": f"row {i}", "ok": i % 2 == 0} for i in range(300)]}


@api.get("/big")
async def big() -> dict:
    return BIG


@api.get("/small")
async def small() -> dict:
    return {"ok": True}


@api.get("/text")
async def text():
    return PlainText("hello compression " * 100)


@api.get("/png")
async def png():
    return Response(b"\\x89PNG\\r\\n" + bytes(4000), media_type="image/png")


@api.get("/svg")
async def svg():
    return Response("<svg>" + "<g/>" * 500 + "</svg>", media_type="image/svg+xml")


@api.get("/encoded")
async def encoded():
    return Response(gzip.compress(b"x" * 4000), media_type="text/plain", headers={"Content-Encoding": "gzip"})


@api.get("/vary")
async def vary():
    return Response(b"v" * 2000, media_type="text/plain", headers={"Vary": "Origin"})


@api.get("/raw")
@no_compress
async def raw() -> dict:
    return BIG


@api.get("/skipped")
@skip_middleware("*")
async def skipped() -> dict:
    return BIG


@api.post("/empty", status_code=204)
async def empty() -> None:
    return None


@api.get("/stream")
def stream():
    return StreamingResponse((f"line {i}\\n" for i in range(40)), media_type="text/plain")


@api.get("/words")
async def words():
    return PlainText(WORDS)
"""

# Text that compresses like prose (a fixed-seed LCG over a vocabulary), where the level makes a
# clear difference in size (a repeated string would not).
_VOCAB = "alpha beta gamma delta epsilon zeta theta kappa lambda sigma omega river stone cloud ember".split()


def _words() -> str:
    state, out = 20261127, []
    for _ in range(6000):
        state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        out.append(_VOCAB[(state >> 33) % len(_VOCAB)] + ("," if (state >> 20) % 7 == 0 else ""))
    return " ".join(out)


WORDS = _words()

PLAIN = """
from django_bolt import BoltAPI

api = BoltAPI(prefix="/p", compression=False)


@api.get("/big")
async def big() -> dict:
    return {"rows": [{"id": i, "name": f"row {i}"} for i in range(300)]}
"""

MEDIA_TEXT = b"precompressed media\n" * 200
# Above the 1 MiB up to which files are compressed on the fly (MAX_FILE_ON_THE_FLY).
HUGE_TEXT = b"a line of a big text file\n" * 41_000


def _project(tmp, settings: str):
    project = copy_demo(tmp / "demo", "staticfiles", settings=settings)
    (project / "demo" / "compress_api.py").write_text(f"import gzip\nWORDS = {WORDS!r}\n" + ROUTES)
    (project / "demo" / "plain_api.py").write_text(PLAIN)
    media = project / "media"
    media.mkdir(exist_ok=True)
    (media / "p.txt").write_bytes(MEDIA_TEXT)
    (media / "p.txt.gz").write_bytes(gzip.compress(MEDIA_TEXT))
    (media / "plain.txt").write_bytes(MEDIA_TEXT)
    (media / "tiny.txt").write_bytes(b"tiny\n" * 20)
    (media / "pixel.png").write_bytes(b"\x89PNG\r\n" + bytes(4000))
    (media / "huge.txt").write_bytes(HUGE_TEXT)
    return project


APIS = '\nBOLT_API = ["demo.api:api", "demo.compress_api:api", "demo.plain_api:api"]\n'


@pytest.fixture(scope="module")
def server(demo_db, driver, tmp_path_factory):
    project = _project(tmp_path_factory.mktemp("gz"), APIS)
    proc = BoltProcess.start(cores=1, driver=driver, cwd=project, env={"DEMO_DEBUG": "1"})
    yield proc
    proc.stop()


def _big():
    return {"rows": [{"id": i, "name": f"row {i}", "ok": i % 2 == 0} for i in range(300)]}


DECODE = {
    "gzip": gzip.decompress,
    "br": brotli.decompress,
    "zstd": zstandard.ZstdDecompressor().decompressobj().decompress,
}


def _decoded(resp) -> bytes:
    coding = resp.header("content-encoding")
    return resp.body if coding is None else DECODE[coding](resp.body)


def _ae(value: str | None) -> list:
    return [] if value is None else [("Accept-Encoding", value)]


# (Accept-Encoding, the coding the default config (brotli, gzip fallback) answers with, why)
CHOICES = [
    (None, None, "no header: identity, as django-bolt"),
    ("gzip, deflate, br, zstd", "br", "the backend when accepted"),
    ("gzip;q=1.0, br;q=0.1", "br", "any q > 0 accepts the backend; django-bolt does not rank"),
    ("gzip", "gzip", "gzip fallback"),
    ("br;q=0, gzip", "gzip", "q=0 refuses brotli"),
    ("br;q=0, gzip;q=0", None, "everything refused"),
    ("*", "br", "* accepts the backend"),
    ("gzip, *;q=0", "gzip", "*;q=0 leaves only the named gzip"),
    ("*;q=0", None, "*;q=0 refuses every coding"),
    ("br;q=0, *", "gzip", "an explicit q=0 beats *"),
    ("identity;q=0, gzip", "gzip", "identity refused, gzip given"),
    ("identity;q=0", None, "nothing we produce is accepted: identity all the same"),
    ("BR", "br", "tokens are case-insensitive"),
    ("gzipped, brotli", None, "no substring matches"),
    ("x-gzip", "gzip", "x-gzip is gzip (RFC 9110 8.4.1.3), as for precompressed static files"),
    ("deflate", None, "deflate is not produced"),
]


@pytest.mark.parametrize(("accept", "coding", "why"), CHOICES, ids=[c[2] for c in CHOICES])
def test_accept_encoding_chooses(server, accept, coding, why):
    resp = get(server.port, "/c/big", headers=_ae(accept))
    assert resp.status == 200
    assert resp.header("content-encoding") == coding, why
    assert resp.header("vary") == "accept-encoding", "a compressible response varies, compressed or not"
    assert int(resp.header("content-length")) == len(resp.body)
    assert json.loads(_decoded(resp)) == _big()


@pytest.mark.parametrize("coding", ["gzip", "br"])
def test_round_trip_and_smaller(server, coding):
    plain = get(server.port, "/c/text")
    resp = get(server.port, "/c/text", headers=_ae(coding))
    assert resp.header("content-encoding") == coding
    assert resp.content_type == "text/plain; charset=utf-8", "the media type is the body's, not the coding's"
    assert _decoded(resp) == plain.body == b"hello compression " * 100
    assert len(resp.body) < len(plain.body) / 5


def test_svg_is_compressed_png_is_not(server):
    assert get(server.port, "/c/svg", headers=_ae("br")).header("content-encoding") == "br"
    png = get(server.port, "/c/png", headers=_ae("gzip, br"))
    assert png.header("content-encoding") is None
    assert png.header("vary") is None
    assert png.body.startswith(b"\x89PNG") and len(png.body) == 4006


def test_below_minimum_size_untouched(server):
    resp = get(server.port, "/c/small", headers=_ae("gzip, br"))
    assert resp.body == b'{"ok":true}'
    assert resp.header("content-encoding") is None and resp.header("vary") is None


def test_handler_encoded_body_untouched(server):
    resp = get(server.port, "/c/encoded", headers=_ae("br"))
    assert resp.header("content-encoding") == "gzip"
    assert gzip.decompress(resp.body) == b"x" * 4000


def test_vary_is_merged(server):
    resp = get(server.port, "/c/vary", headers=_ae("gzip"))
    assert resp.header("content-encoding") == "gzip"
    assert resp.header("vary") == "Origin, accept-encoding"


def test_204_untouched(server):
    resp = fetch(server.port, "POST", "/c/empty", headers=_ae("gzip"))
    assert resp.status == 204
    assert resp.header("content-encoding") is None


def test_head_has_the_gets_headers(server):
    got = get(server.port, "/c/big", headers=_ae("gzip"))
    head = fetch(server.port, "HEAD", "/c/big", headers=_ae("gzip"))
    assert head.status == 200 and head.body == b""
    assert head.header("content-encoding") == "gzip"
    assert head.header("content-length") == got.header("content-length")
    assert head.header("vary") == "accept-encoding"


def test_no_compress_and_skip_middleware(server):
    for path in ("/c/raw", "/c/skipped"):
        resp = get(server.port, path, headers=_ae("gzip, br"))
        assert resp.header("content-encoding") is None, path
        assert json.loads(resp.body) == _big()


def test_api_with_compression_false(server):
    resp = get(server.port, "/p/big", headers=_ae("gzip, br"))
    assert resp.header("content-encoding") is None
    assert len(resp.json()["rows"]) == 300


def test_precompressed_static_keeps_priority(server):
    resp = get(server.port, "/media/p.txt", headers=_ae("gzip, br"))
    assert resp.header("content-encoding") == "gzip"
    assert resp.body == gzip.compress(MEDIA_TEXT) or gzip.decompress(resp.body) == MEDIA_TEXT
    assert "accept-encoding" in resp.header("vary").lower()


@pytest.mark.parametrize("coding", ["br", "gzip"])
def test_static_text_file_without_sibling_is_compressed_on_the_fly(server, coding):
    """A small text file with no precompressed sibling is compressed like any body: the
    configured coding, Vary, and the identity's strong ETag made weak (same opaque tag)."""
    plain = get(server.port, "/media/plain.txt")
    assert plain.header("content-encoding") is None and plain.body == MEDIA_TEXT
    strong = plain.header("etag")
    assert strong.startswith('"'), "the identity body keeps its strong ETag"
    assert plain.header("vary") == "accept-encoding", "the identity varies too, for caches"
    resp = get(server.port, "/media/plain.txt", headers=_ae(coding if coding == "gzip" else "gzip, br"))
    assert resp.status == 200
    assert resp.header("content-encoding") == coding
    assert _decoded(resp) == MEDIA_TEXT
    assert int(resp.header("content-length")) == len(resp.body) < len(MEDIA_TEXT) / 5
    assert resp.header("vary") == "accept-encoding"
    assert resp.header("etag") == "W/" + strong
    assert resp.content_type == "text/plain; charset=utf-8"
    assert resp.header("last-modified") == plain.header("last-modified")


def test_static_range_is_answered_on_the_identity_bytes(server):
    ranged = get(server.port, "/media/plain.txt", headers=[*_ae("br, gzip"), ("Range", "bytes=0-3")])
    assert ranged.status == 206 and ranged.body == MEDIA_TEXT[:4]
    assert ranged.header("content-encoding") is None
    assert ranged.header("content-range") == f"bytes 0-3/{len(MEDIA_TEXT)}"
    assert not ranged.header("etag").startswith("W/"), "a 206 is of the identity: its strong ETag"


def test_static_not_modified_with_the_weak_etag(server):
    """A client revalidating the compressed copy sends its weak ETag back: 304, and the 304
    names the ETag and Vary the 200 would have had."""
    first = get(server.port, "/media/plain.txt", headers=_ae("br"))
    weak = first.header("etag")
    assert weak.startswith("W/")
    again = get(server.port, "/media/plain.txt", headers=[*_ae("br"), ("If-None-Match", weak)])
    assert again.status == 304 and again.body == b""
    assert again.header("etag") == weak
    assert again.header("vary") == "accept-encoding"
    assert again.header("content-encoding") is None
    # The identity's client gets its own (strong) tag on its 304.
    strong = weak.removeprefix("W/")
    plain = get(server.port, "/media/plain.txt", headers=[("If-None-Match", strong)])
    assert plain.status == 304 and plain.header("etag") == strong
    # A changed file is not "not modified" (the tag is size and mtime).
    stale = get(server.port, "/media/plain.txt", headers=[*_ae("br"), ("If-None-Match", 'W/"0-0"')])
    assert stale.status == 200 and _decoded(stale) == MEDIA_TEXT


def test_static_head_has_the_compressed_gets_headers(server):
    got = get(server.port, "/media/plain.txt", headers=_ae("gzip"))
    head = fetch(server.port, "HEAD", "/media/plain.txt", headers=_ae("gzip"))
    assert head.status == 200 and head.body == b""
    assert head.header("content-encoding") == "gzip"
    assert head.header("content-length") == got.header("content-length") == str(len(got.body))
    assert head.header("etag") == got.header("etag")


@pytest.mark.parametrize(
    ("path", "body", "why"),
    [
        ("/media/tiny.txt", b"tiny\n" * 20, "below minimum_size"),
        ("/media/pixel.png", b"\x89PNG\r\n" + bytes(4000), "an image"),
        ("/media/huge.txt", HUGE_TEXT, "above 1 MiB: streamed from disk as it is"),
    ],
)
def test_static_files_sent_as_they_are(server, path, body, why):
    resp = get(server.port, path, headers=_ae("br, gzip"))
    assert resp.status == 200, why
    assert resp.header("content-encoding") is None, why
    assert resp.body == body, why
    assert resp.header("content-length") == str(len(body)), why
    assert resp.header("etag").startswith('"'), why


def test_static_file_of_a_server_without_compression(demo_db, driver, tmp_path):
    proc = BoltProcess.start(cores=1, driver=driver, cwd=_project(tmp_path, APIS + "\nBOLT_COMPRESSION = None\n"))
    try:
        resp = get(proc.port, "/media/plain.txt", headers=_ae("br, gzip"))
        assert resp.header("content-encoding") is None and resp.header("vary") is None
        assert resp.body == MEDIA_TEXT and resp.header("etag").startswith('"')
    finally:
        proc.stop()


def test_django_fallthrough_is_compressed(server):
    resp = get(server.port, "/admin/login/", headers=_ae("gzip"))
    assert resp.status == 200
    assert resp.header("content-encoding") == "gzip"
    assert b"<html" in gzip.decompress(resp.body)


def test_settings_win_zstd(demo_db, driver, tmp_path):
    settings = APIS + textwrap.dedent("""
        from django_bolt import CompressionConfig
        BOLT_COMPRESSION = CompressionConfig(backend="zstd", minimum_size=20, gzip_fallback=False)
    """)
    proc = BoltProcess.start(cores=1, driver=driver, cwd=_project(tmp_path, settings))
    try:
        resp = get(proc.port, "/c/big", headers=_ae("gzip, br, zstd"))
        assert resp.header("content-encoding") == "zstd"
        assert json.loads(zstandard.ZstdDecompressor().decompress(resp.body, max_output_size=1 << 20)) == _big()
        assert get(proc.port, "/c/big", headers=_ae("gzip, br")).header("content-encoding") is None, "no fallback"
        small = get(proc.port, "/c/small", headers=_ae("zstd"))
        assert small.header("content-encoding") is None, "11 bytes < minimum_size 20"
        # A streamed body: compressed per chunk, one zstd frame over the whole stream.
        stream = get(proc.port, "/c/stream", headers=_ae("zstd"))
        assert stream.header("content-encoding") == "zstd"
        assert stream.header("transfer-encoding") == "chunked"
        lines = b"".join(f"line {i}\n".encode() for i in range(40))
        assert zstandard.ZstdDecompressor().decompressobj().decompress(stream.body) == lines
    finally:
        proc.stop()


def test_settings_none_turns_it_off(demo_db, driver, tmp_path):
    proc = BoltProcess.start(cores=1, driver=driver, cwd=_project(tmp_path, APIS + "\nBOLT_COMPRESSION = None\n"))
    try:
        resp = get(proc.port, "/c/big", headers=_ae("gzip, br"))
        assert resp.header("content-encoding") is None and resp.header("vary") is None
    finally:
        proc.stop()


def test_configured_levels_are_applied(server, demo_db, driver, tmp_path):
    """Levels set in CompressionConfig reach the encoder: gzip 9 and brotli 9 give smaller
    bodies than the defaults (gzip 1, brotli 3) for the same text, on real sockets."""
    settings = APIS + textwrap.dedent("""
        from django_bolt import CompressionConfig
        BOLT_COMPRESSION = CompressionConfig(gzip_level=9, brotli_level=9)
    """)
    proc = BoltProcess.start(cores=1, driver=driver, cwd=_project(tmp_path, settings))
    try:
        for coding in ("gzip", "br"):
            fast = get(server.port, "/c/words", headers=_ae(coding))
            best = get(proc.port, "/c/words", headers=_ae(coding))
            assert fast.header("content-encoding") == best.header("content-encoding") == coding
            assert _decoded(fast) == _decoded(best) == WORDS.encode()
            assert len(best.body) < 0.95 * len(fast.body), (coding, len(best.body), len(fast.body))
            if coding == "gzip":
                # RFC 1952 XFL: 2 = maximum compression, 4 = fastest.
                assert (fast.body[8], best.body[8]) == (4, 2)
        # Static files on the fly go through the same levels.
        fast = get(server.port, "/media/plain.txt", headers=_ae("gzip"))
        best = get(proc.port, "/media/plain.txt", headers=_ae("gzip"))
        assert (fast.body[8], best.body[8]) == (4, 2)
        assert gzip.decompress(best.body) == gzip.decompress(fast.body) == MEDIA_TEXT
    finally:
        proc.stop()


def test_config_validation():
    from django_bolt import BoltAPI, CompressionConfig

    # django-bolt 0.13's effective levels (gzip 1, brotli 3, zstd 3), not the 6/5 it documents.
    assert CompressionConfig() == CompressionConfig("brotli", 500, True, 3, 14, 1, 3)
    for bad in ({"backend": "lz4"}, {"minimum_size": -1}, {"brotli_level": 12}, {"gzip_level": 10},
                {"zstd_level": 0}, {"brotli_lgwin": 9}):  # fmt: skip
        with pytest.raises(ValueError):
            CompressionConfig(**bad)
    with pytest.raises(TypeError):
        BoltAPI(compression="gzip")


def test_test_client_gets_the_servers_bytes(server, demo_apis):
    """The in-process client runs the same Site::finish: same coding, same compressed bytes."""
    from django_bolt import BoltAPI
    from django_bolt.testing import TestClient

    api = BoltAPI(prefix="/c")

    @api.get("/big")
    async def big() -> dict:
        return _big()

    wire = get(server.port, "/c/big", headers=_ae("br"))
    with TestClient(api) as client:
        for coding in ("br", "gzip"):
            resp = client.get("/c/big", headers={"accept-encoding": coding})
            assert resp.headers["content-encoding"] == coding
            assert resp.headers["vary"] == "accept-encoding"
            assert resp.json() == _big(), "httpx decodes it"
        raw = client.get("/c/big", headers={"accept-encoding": "br"})
        assert raw.headers["content-length"] == wire.header("content-length")
        assert brotli.decompress(wire.body) == json.dumps(_big(), separators=(",", ":")).encode()


def test_test_client_honours_compression_false(demo_apis):
    from django.test import override_settings

    from django_bolt import BoltAPI
    from django_bolt.testing import TestClient

    api = BoltAPI()

    @api.get("/big")
    async def big() -> dict:
        return _big()

    with override_settings(BOLT_COMPRESSION=False), TestClient(api) as client:
        resp = client.get("/big", headers={"accept-encoding": "gzip"})
        assert "content-encoding" not in resp.headers
