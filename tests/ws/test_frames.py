"""RFC 6455 framing with raw frames: masking required (1002), UTF-8 text (1007), the message size
limit (1009), fragments reassembled with control frames between them, ping → pong, the closing
handshake from either side, and a handler's failure after accepting (1011)."""

from __future__ import annotations

import socket
import struct
import time

from support.wire import get

from .rawws import (
    OP_BINARY,
    OP_CLOSE,
    OP_CONT,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    RawWS,
    close_payload,
)


def test_text_and_binary_are_echoed(server):
    with RawWS.connect(server.port, "/ws/echo") as ws:
        ws.send_frame(OP_TEXT, "héllo".encode())
        assert ws.read_frame() == (True, OP_TEXT, "héllo".encode())
        ws.send_frame(OP_BINARY, bytes(range(256)))
        assert ws.read_frame() == (True, OP_BINARY, bytes(range(256)))


def test_large_messages_use_every_length_form(server):
    with RawWS.connect(server.port, "/ws/echo") as ws:
        for n in (125, 126, 65535, 65536, 300_000):
            data = bytes(i % 251 for i in range(n))
            ws.send_frame(OP_BINARY, data)
            assert ws.read_frame() == (True, OP_BINARY, data), n


def test_unmasked_client_frame_is_a_protocol_error(server):
    with RawWS.connect(server.port, "/ws/echo") as ws:
        ws.send_frame(OP_TEXT, b"hi", mask=False)
        assert ws.read_close()[0] == 1002
        ws.assert_closed()


def test_reserved_bits_and_opcodes_are_protocol_errors(server):
    with RawWS.connect(server.port, "/ws/echo") as ws:
        ws.send_frame(OP_TEXT, b"hi", rsv=0x40)
        assert ws.read_close()[0] == 1002
    with RawWS.connect(server.port, "/ws/echo") as ws:
        ws.send_frame(0x3, b"hi")
        assert ws.read_close()[0] == 1002


def test_invalid_utf8_text_closes_with_1007(server):
    with RawWS.connect(server.port, "/ws/echo") as ws:
        ws.send_frame(OP_TEXT, b"ok \xff\xfe")
        assert ws.read_close()[0] == 1007
        ws.assert_closed()


def test_utf8_split_across_fragments_is_valid(server):
    data = "日本語".encode()
    with RawWS.connect(server.port, "/ws/echo") as ws:
        ws.send_frame(OP_TEXT, data[:4], fin=False)
        ws.send_frame(OP_CONT, data[4:], fin=True)
        assert ws.read_frame() == (True, OP_TEXT, data)


def test_oversized_message_closes_with_1009_before_it_arrives(server):
    with RawWS.connect(server.port, "/ws/echo") as ws:
        # Only the head of a 2 MiB frame (the default limit is 1 MiB): refused on its length.
        ws.send(bytes([0x82, 0x80 | 127]) + struct.pack("!Q", 2 * 1024 * 1024) + b"mask")
        assert ws.read_close()[0] == 1009
        ws.assert_closed()


def test_oversized_fragmented_message_closes_with_1009(server):
    with RawWS.connect(server.port, "/ws/echo") as ws:
        piece = b"x" * 300_000
        ws.send_frame(OP_BINARY, piece, fin=False)
        for _ in range(3):
            ws.send_frame(OP_CONT, piece, fin=False)
        assert ws.read_close()[0] == 1009


def test_fragments_are_reassembled_around_a_ping(server):
    with RawWS.connect(server.port, "/ws/echo") as ws:
        ws.send_frame(OP_TEXT, b"one ", fin=False)
        ws.send_frame(OP_PING, b"between")
        ws.send_frame(OP_CONT, b"two ", fin=False)
        ws.send_frame(OP_CONT, b"three", fin=True)
        assert ws.read_frame() == (True, OP_PONG, b"between")
        assert ws.read_frame() == (True, OP_TEXT, b"one two three")


def test_continuation_without_a_message_is_a_protocol_error(server):
    with RawWS.connect(server.port, "/ws/echo") as ws:
        ws.send_frame(OP_CONT, b"orphan")
        assert ws.read_close()[0] == 1002


def test_new_message_inside_a_fragmented_one_is_a_protocol_error(server):
    with RawWS.connect(server.port, "/ws/echo") as ws:
        ws.send_frame(OP_TEXT, b"a", fin=False)
        ws.send_frame(OP_TEXT, b"b")
        assert ws.read_close()[0] == 1002


def test_ping_gets_pong_with_its_payload(server):
    with RawWS.connect(server.port, "/ws/echo") as ws:
        ws.send_frame(OP_PING, b"are you there")
        assert ws.read_frame() == (True, OP_PONG, b"are you there")


def test_control_frames_must_be_short_and_final(server):
    with RawWS.connect(server.port, "/ws/echo") as ws:
        ws.send_frame(OP_PING, b"x" * 126)
        assert ws.read_close()[0] == 1002
    with RawWS.connect(server.port, "/ws/echo") as ws:
        ws.send_frame(OP_PING, b"x", fin=False)
        assert ws.read_close()[0] == 1002


def test_client_close_is_echoed_and_the_handler_sees_its_code(server):
    with RawWS.connect(server.port, "/ws/watch") as ws:
        ws.send_frame(OP_CLOSE, close_payload(4002, "leaving"))
        assert ws.read_close() == (4002, "")
        ws.assert_closed()
    deadline = time.monotonic() + 3
    while 4002 not in get(server.port, "/ws/disconnects").json():
        assert time.monotonic() < deadline, "the handler never saw the close"
        time.sleep(0.02)


def test_close_without_a_code_is_answered_without_one(server):
    with RawWS.connect(server.port, "/ws/echo") as ws:
        ws.send_frame(OP_CLOSE, b"")
        assert ws.read_close() == (1005, "")


def test_invalid_close_codes_are_protocol_errors(server):
    for payload in (b"\x03", close_payload(1005), close_payload(999), close_payload(1000) + b"\xff"):
        with RawWS.connect(server.port, "/ws/echo") as ws:
            ws.send_frame(OP_CLOSE, payload)
            assert ws.read_close()[0] in (1002, 1007), payload


def test_a_vanished_client_is_reported_as_1006(server):
    before = get(server.port, "/ws/disconnects").json().count(1006)
    ws = RawWS.connect(server.port, "/ws/watch")
    ws.conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    ws.conn.close()  # RST, no close frame
    deadline = time.monotonic() + 3
    while get(server.port, "/ws/disconnects").json().count(1006) == before:
        assert time.monotonic() < deadline, "the handler never learnt its client left"
        time.sleep(0.02)


def test_server_close_carries_the_handlers_code_and_reason(server):
    with RawWS.connect(server.port, "/ws/bye") as ws:
        ws.send_frame(OP_TEXT, b"4001 see you")
        assert ws.read_close() == (4001, "see you")
        ws.send_frame(OP_CLOSE, close_payload(4001))
        ws.assert_closed()


def test_handler_failing_after_accept_closes_with_1011(server):
    with RawWS.connect(server.port, "/ws/crash") as ws:
        ws.send_frame(OP_TEXT, b"boom")
        assert ws.read_close()[0] == 1011
    assert get(server.port, "/hello").status == 200


def test_garbage_after_the_handshake_does_not_hurt_the_core(server):
    with RawWS.connect(server.port, "/ws/echo") as ws:
        ws.send(b"\x00" * 64 + b"GET / HTTP/1.1\r\n\r\n")
        assert ws.read_close()[0] == 1002
    assert get(server.port, "/hello").status == 200
