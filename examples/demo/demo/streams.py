"""Streamed bodies (tests/streaming/): chunked downloads from sync and async generators,
Server-Sent Events, a stream that never ends (backpressure, disconnects), Django's own
StreamingHttpResponse. Served under /streams (collected from demo/api.py, which imports this
module).

``/streams/probe`` reports what the generators saw: how far the endless one got and whether
its ``finally`` ran (the test of a client that goes away).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator

from django_bolt import BoltAPI, EventSourceResponse, ServerSentEvent, StreamingResponse

# Left out of the OpenAPI document: schemathesis would open the endless ones and never finish.
streams = BoltAPI(prefix="/streams", include_in_schema=False)

# What the endless generators did, per name: items produced, and whether `finally` ran and why.
_probe: dict[str, dict] = {}
_lock = threading.Lock()


def _note(name: str, **kw: object) -> None:
    with _lock:
        _probe.setdefault(name, {"produced": 0, "closed": None}).update(kw)


@streams.get("/probe")
def probe(name: str) -> dict:
    with _lock:
        return dict(_probe.get(name, {"produced": 0, "closed": None}))


@streams.get("/count")
def count(n: int = 5) -> StreamingResponse:
    """`n` lines from a sync generator (run on the core's blocking pool)."""

    def lines() -> Iterator[str]:
        for i in range(n):
            yield f"line {i}\n"

    return StreamingResponse(lines(), media_type="text/plain")


@streams.get("/acount")
async def acount(n: int = 5, delay: float = 0.0) -> StreamingResponse:
    """`n` lines from an async generator that awaits `delay` seconds between them."""

    async def lines() -> AsyncIterator[bytes]:
        for i in range(n):
            if delay:
                await asyncio.sleep(delay)
            yield f"line {i}\n".encode()

    return StreamingResponse(lines(), media_type="text/plain")


@streams.get("/list")
def from_list() -> StreamingResponse:
    """An iterator over data already in memory (advanced inline), with a length of its own."""
    parts = [b"abc", b"def", b"ghij"]
    return StreamingResponse(iter(parts), headers={"content-length": "10"}, media_type="text/plain")


@streams.get("/generator")
def generator_handler(n: int = 3) -> Iterator[str]:
    """A generator handler: what it yields is streamed (no StreamingResponse needed)."""
    for i in range(n):
        yield f"{i};"


@streams.get("/slow-sync")
def slow_sync(n: int = 3, delay: float = 0.2) -> StreamingResponse:
    """A sync generator that sleeps between items: it runs on the pool, never on the core."""

    def lines() -> Iterator[str]:
        for i in range(n):
            time.sleep(delay)
            yield f"tick {i}\n"

    return StreamingResponse(lines(), media_type="text/plain")


@streams.get("/endless")
def endless(name: str, size: int = 65536) -> StreamingResponse:
    """Chunks of `size` bytes for as long as anyone reads (sync generator)."""
    _note(name, produced=0, closed=None)

    def chunks() -> Iterator[bytes]:
        block = b"x" * size
        try:
            while True:
                yield block
                with _lock:
                    _probe[name]["produced"] += 1
        except GeneratorExit:
            _note(name, closed="GeneratorExit")
            raise
        finally:
            with _lock:
                _probe[name]["closed"] = _probe[name]["closed"] or "finally"

    return StreamingResponse(chunks(), media_type="application/octet-stream")


@streams.get("/aendless")
async def aendless(name: str, delay: float = 0.05) -> StreamingResponse:
    """An async generator producing an item every `delay` seconds until its client goes away."""
    _note(name, produced=0, closed=None)

    async def chunks() -> AsyncIterator[str]:
        try:
            while True:
                await asyncio.sleep(delay)
                yield "tick\n"
                with _lock:
                    _probe[name]["produced"] += 1
        except asyncio.CancelledError:
            _note(name, closed="CancelledError")
            raise
        except GeneratorExit:
            _note(name, closed="GeneratorExit")
            raise

    return StreamingResponse(chunks(), media_type="text/plain")


@streams.get("/aflood")
async def aflood(name: str, size: int = 16384) -> StreamingResponse:
    """An async generator that never waits: `size`-byte chunks as fast as they are taken (its
    feeder pauses once it is a batch ahead of the client)."""
    _note(name, produced=0, closed=None)

    async def chunks() -> AsyncIterator[bytes]:
        block = b"y" * size
        try:
            while True:
                yield block
                with _lock:
                    _probe[name]["produced"] += 1
        except asyncio.CancelledError:
            _note(name, closed="CancelledError")
            raise
        except GeneratorExit:
            _note(name, closed="GeneratorExit")
            raise

    return StreamingResponse(chunks(), media_type="application/octet-stream")


@streams.get("/fails")
def fails(after: int = 2) -> StreamingResponse:
    """A generator that raises after `after` items: the body ends short, the error is logged."""

    def chunks() -> Iterator[str]:
        for i in range(after):
            yield f"ok {i}\n"
        raise RuntimeError("stream broke on purpose")

    return StreamingResponse(chunks(), media_type="text/plain")


@streams.get("/events")
async def events(n: int = 3, delay: float = 0.0) -> EventSourceResponse:
    """Server-Sent Events of every shape: a typed event, a dict (data as JSON), raw text."""

    async def gen() -> AsyncIterator[object]:
        yield ServerSentEvent(data={"n": 0}, event="tick", id="0", retry=1500)
        for i in range(1, n):
            if delay:
                await asyncio.sleep(delay)
            yield {"n": i}
        yield ServerSentEvent(raw_data="line one\nline two", comment="the end")

    return EventSourceResponse(gen())


@streams.get("/ticker")
async def ticker(interval: float = 0.1, count: int = 200) -> EventSourceResponse:
    """`count` events `interval` seconds apart (the many-clients test)."""

    async def gen() -> AsyncIterator[ServerSentEvent]:
        for i in range(count):
            yield ServerSentEvent(data=i, id=str(i))
            await asyncio.sleep(interval)

    return EventSourceResponse(gen())


@streams.get("/quiet", response_class=EventSourceResponse)
async def quiet(wait: float = 1.0) -> AsyncIterator[dict]:
    """A generator handler with response_class=EventSourceResponse that waits before its one
    event: keep-alive pings fill the silence (the project sets a short interval for the test)."""
    await asyncio.sleep(wait)
    yield {"after": wait}


@streams.get("/ping-fast")
async def ping_fast(wait: float = 0.5) -> EventSourceResponse:
    """One event after `wait` seconds, with keep-alive pings every 0.1 s meanwhile."""

    async def gen() -> AsyncIterator[dict]:
        await asyncio.sleep(wait)
        yield {"after": wait}

    return EventSourceResponse(gen(), ping_interval=0.1)


@streams.get("/sync-events", response_class=EventSourceResponse)
def sync_events(n: int = 3) -> Iterator[ServerSentEvent]:
    """A sync generator handler as an event stream."""
    for i in range(n):
        yield ServerSentEvent(data={"i": i}, event="sync")
