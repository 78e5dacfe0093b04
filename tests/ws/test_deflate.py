"""permessage-deflate (RFC 7692): negotiated only when the client offers it; the server always
answers ``server_no_context_takeover`` (each message it sends inflates alone) and honours a
client's ``client_no_context_takeover``; compressed messages either way, the message size limit
applied to what they inflate to, RSV1 refused where it does not belong."""

from __future__ import annotations

import asyncio
import zlib

import websockets

from .rawws import OP_BINARY, OP_CLOSE, OP_PING, OP_TEXT, RawWS, frame

TAIL = b"\x00\x00\xff\xff"
BIG = "".join(f"line {i}: the quick brown fox jumps over the lazy dog\n" for i in range(200))  # ~11 KiB


def deflate(data: bytes, z=None) -> bytes:
    """One message compressed as a client would (raw deflate, sync flush, tail removed)."""
    z = z or zlib.compressobj(wbits=-15)
    out = z.compress(data) + z.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(TAIL)
    return out[: -len(TAIL)]


def inflate_alone(payload: bytes) -> bytes:
    """A server message inflated by a fresh inflater: it must need no earlier context."""
    return zlib.decompressobj(wbits=-15).decompress(payload + TAIL)


def test_the_library_client_negotiates_it_and_big_messages_round_trip(server):
    async def go():
        async with websockets.connect(f"ws://127.0.0.1:{server.port}/ws/echo") as ws:
            agreed = ws.response.headers["Sec-WebSocket-Extensions"]
            out = []
            for i in range(3):  # the client keeps its context across these
                await ws.send(BIG + str(i))
                out.append(await ws.recv())
            await ws.send(BIG.encode())
            out.append(await ws.recv())
            await ws.send("small")
            out.append(await ws.recv())
            return agreed, out

    agreed, out = asyncio.run(asyncio.wait_for(go(), 10))
    assert agreed == "permessage-deflate; server_no_context_takeover"
    assert out == [BIG + "0", BIG + "1", BIG + "2", BIG.encode(), "small"]


def test_not_offered_not_used(server):
    async def go():
        async with websockets.connect(f"ws://127.0.0.1:{server.port}/ws/echo", compression=None) as ws:
            await ws.send(BIG)
            return ws.response.headers.get("Sec-WebSocket-Extensions"), await ws.recv()

    assert asyncio.run(go()) == (None, BIG)
    with RawWS.connect(server.port, "/ws/echo") as ws:
        assert ws.response.header("sec-websocket-extensions") is None
        ws.send_frame(OP_TEXT, BIG.encode())
        assert ws.read_frame() == (True, OP_TEXT, BIG.encode())  # asserts RSV1 clear


def pmd(server, params: str = "") -> RawWS:
    return RawWS.connect(server.port, "/ws/echo", extra=f"Sec-WebSocket-Extensions: permessage-deflate{params}\r\n")


def read_data(ws: RawWS):
    while True:
        fin, rsv1, op, payload = ws.read_frame_rsv1()
        if op != OP_PING:
            return fin, rsv1, op, payload


def test_compressed_on_the_wire_both_ways(server):
    with pmd(server, "; client_no_context_takeover") as ws:
        agreed = ws.response.header("sec-websocket-extensions")
        assert agreed == "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
        for _ in range(2):
            ws.send_frame(OP_TEXT, deflate(BIG.encode()), rsv=0x40)
            fin, rsv1, op, payload = read_data(ws)
            assert (fin, rsv1, op) == (True, True, OP_TEXT)
            assert len(payload) < len(BIG) // 5, len(payload)
            # server_no_context_takeover: each message inflates with a fresh inflater.
            assert inflate_alone(payload) == BIG.encode()
        # Short messages are sent as they are; a client may send uncompressed ones too.
        ws.send_frame(OP_BINARY, b"tiny")
        assert read_data(ws) == (True, False, OP_BINARY, b"tiny")


def test_client_context_takeover_is_followed(server):
    # Without client_no_context_takeover the client's later messages refer to earlier ones.
    z = zlib.compressobj(wbits=-15)
    with pmd(server, "; client_max_window_bits") as ws:
        assert ws.response.header("sec-websocket-extensions") == "permessage-deflate; server_no_context_takeover"
        sizes = []
        for i in range(3):
            msg = (BIG + str(i)).encode()
            wire = deflate(msg, z)
            sizes.append(len(wire))
            ws.send_frame(OP_TEXT, wire, rsv=0x40)
            assert inflate_alone(read_data(ws)[3]) == msg
        assert sizes[1] < sizes[0] // 2, sizes  # it really leaned on the shared window


def test_a_compressed_fragmented_message(server):
    wire = deflate(BIG.encode())
    half = len(wire) // 2
    with pmd(server) as ws:
        # RSV1 on the first fragment only (RFC 7692 §6.1).
        ws.send(frame(OP_TEXT, wire[:half], fin=False, rsv=0x40) + frame(0x0, wire[half:]))
        assert inflate_alone(read_data(ws)[3]) == BIG.encode()


def close_code(ws: RawWS) -> int:
    while True:
        fin, rsv1, op, payload = ws.read_frame_rsv1()
        if op == OP_CLOSE:
            return int.from_bytes(payload[:2], "big")


def test_rsv1_where_it_does_not_belong_is_a_protocol_error(server):
    with pmd(server) as ws:
        ws.send_frame(OP_PING, b"", rsv=0x40)
        assert close_code(ws) == 1002
    with pmd(server) as ws:
        ws.send(frame(OP_TEXT, b"a", fin=False) + frame(0x0, b"b", rsv=0x40))
        assert close_code(ws) == 1002
    with RawWS.connect(server.port, "/ws/echo") as ws:  # not negotiated
        ws.send_frame(OP_TEXT, deflate(BIG.encode()), rsv=0x40)
        assert close_code(ws) == 1002
    server.assert_alive()


def test_the_size_limit_applies_to_the_inflated_message(server):
    bomb = deflate(b"\0" * (4 << 20))  # 4 MiB of zeros in a few KiB; the limit is 1 MiB
    assert len(bomb) < 8192
    with pmd(server) as ws:
        ws.send_frame(OP_BINARY, bomb, rsv=0x40)
        assert close_code(ws) == 1009
    with pmd(server) as ws:
        ws.send_frame(OP_TEXT, b"\xff\xff\xff\xff", rsv=0x40)  # not deflate data
        assert close_code(ws) == 1007
    server.assert_alive()


def test_an_offer_this_server_cannot_honour_is_declined(server):
    # A server window under 15 bits: answered without the extension, messages uncompressed.
    with pmd(server, "; server_max_window_bits=10") as ws:
        assert ws.response.header("sec-websocket-extensions") is None
        ws.send_frame(OP_TEXT, BIG.encode())
        assert ws.read_frame() == (True, OP_TEXT, BIG.encode())
