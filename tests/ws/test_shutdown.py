"""A server stopping with WebSockets open: SIGINT ends their connections (the handlers learn their
clients are gone) and the process still exits 0, promptly."""

from __future__ import annotations

import time

from support.boltproc import BoltProcess

from .rawws import OP_TEXT, RawWS


def test_sigint_with_open_sockets_exits_cleanly(demo_db, driver):
    server = BoltProcess.start(cores=1, driver=driver)
    sockets = []
    try:
        for path in ("/ws/echo", "/ws/watch", "/ws/rooms/x"):
            sockets.append(RawWS.connect(server.port, path))
        sockets[0].send_frame(OP_TEXT, b"alive")
        assert sockets[0].read_frame() == (True, OP_TEXT, b"alive")
        t0 = time.monotonic()
        code = server.stop()
        took = time.monotonic() - t0
        assert code == 0, server.output()
        assert took < 8, f"stopping took {took:.1f} s"
        for ws in sockets:
            ws.assert_closed()
    finally:
        for ws in sockets:
            ws.conn.close()
        if server.proc.poll() is None:
            server.kill()
