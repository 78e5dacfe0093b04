"""django-bolt 0.13's compression page (docs/src/topics/compression.md), its examples as written.

Where bolt differs: the page's ``BoltAPI(compression=False)`` and ``CompressionConfig(...)``
examples build an API and no route; each gets one here (``# route added:``) so that its effect
can be seen, and ``/raw-users`` is ``/raw`` with a body big enough to be compressed but for
``@no_compress``. ``compressed_bytes`` (left to the reader) is a zstd frame of ``{"cached":true}``,
written out so the module needs no zstd binding in the server's sub-interpreters (``# defined:``).
The levels in the page's ``CompressionConfig`` are applied as given; bolt's *defaults* are the
levels django-bolt 0.13 really applies to whole bodies (README, "Compression").
"""

from django_bolt import BoltAPI, Response
from django_bolt.middleware import CompressionConfig, no_compress
from django_bolt.responses import EventSourceResponse

api = BoltAPI()  # brotli, gzip fallback, on for buffered + streaming


# Buffered JSON — compressed when body ≥ minimum_size and client accepts br/gzip
@api.get("/users")
async def users():
    return [{"id": i, "name": f"user-{i}"} for i in range(1000)]


# Streaming SSE — each event compressed and flushed individually
@api.get("/sse/feed")
async def feed():
    async def gen():
        for i in range(20):
            yield {"i": i, "msg": "x" * 200}

    return EventSourceResponse(gen())


# Per-route opt-out — works the same for buffered and streaming
@api.get("/raw")
@no_compress
async def raw():
    return {"plain": True}


@api.get("/raw-users")  # route added: /raw's body is under minimum_size, so its opt-out shows only on a bigger one
@no_compress
async def raw_users():
    return [{"id": i, "name": f"user-{i}"} for i in range(1000)]


compressed_bytes = b'(\xb5/\xfd \x0fy\x00\x00{"cached":true}'  # defined: zstd of {"cached":true}


@api.get("/cached")
async def cached():
    return Response(compressed_bytes, headers={"Content-Encoding": "zstd"})


off = BoltAPI(compression=False)  # the page's `api = BoltAPI(compression=False)`


@off.get("/off/users")  # route added
async def users_uncompressed():
    return [{"id": i, "name": f"user-{i}"} for i in range(1000)]


tuned = BoltAPI(  # the page's `api = BoltAPI(compression=CompressionConfig(...))`
    compression=CompressionConfig(
        backend="brotli",  # "brotli" | "gzip" | "zstd"
        minimum_size=500,  # buffered-only; ignored for streams
        gzip_fallback=True,  # use gzip if client doesn't accept backend
        brotli_level=5,  # 0..=11
        brotli_lgwin=14,  # 10..=24 — 2^lgwin bytes window per stream
        gzip_level=6,  # 0..=9
        zstd_level=3,  # 1..=22
    )
)


@tuned.get("/tuned/users")  # route added
async def users_tuned():
    return [{"id": i, "name": f"user-{i}"} for i in range(1000)]


@tuned.get("/tuned/small")  # route added: below minimum_size
async def small():
    return {"ok": True}


APIS = [api, off, tuned]
