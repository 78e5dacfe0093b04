"""django_bolt._dbwatch's pieces on their own: the shared table the cores publish their database
connections in, and the query-free checks (test_db_faults.py drives them through a server)."""

from __future__ import annotations

import os
import socket

from django_bolt import _dbwatch
from django_bolt._dbwatch import KIND_FILE, KIND_SOCKET, Conn, Table, create_table
from support import inproc


def test_table_round_trip_per_slot():
    fd = create_table(4)
    try:
        table = Table(fd)
        other = Table(fd)  # another interpreter's mapping of the same memory
        assert table.slots == 4
        assert other.read(1) is None  # never written
        conns = [Conn(KIND_SOCKET, 0, 0, 0, 17, 123456, 0), Conn(KIND_FILE, 2, 1, 0, -1, 99, 2049)]
        table.write(1, conns, 2)
        table.write(2, [], 0)
        table.write(9, conns, 2)  # out of range: ignored
        found, held = other.read(1)
        assert held == 2
        assert [(c.kind, c.role, c.thread_no, c.alias, c.fd, c.ino, c.dev) for c in found] == [
            (KIND_SOCKET, 0, 0, 0, 17, 123456, 0),
            (KIND_FILE, 2, 1, 0, -1, 99, 2049),
        ]
        assert other.read(2) == ([], 0)
        many = [Conn(KIND_SOCKET, 2, i, 0, i, i, 0) for i in range(_dbwatch.ENTRIES + 5)]
        table.write(1, many, len(many))  # more than a slot lists: the count stays true
        found, held = other.read(1)
        assert (len(found), held) == (_dbwatch.ENTRIES, _dbwatch.ENTRIES + 5)
    finally:
        os.close(fd)


def test_a_socket_is_broken_once_its_peer_closed_it():
    ours, server = socket.socketpair()
    try:
        conn = Conn(KIND_SOCKET, 0, 0, 0, ours.fileno(), os.fstat(ours.fileno()).st_ino)
        assert conn.broken() is None
        server.sendall(b"N")  # data waiting (a notice) is not a failure
        assert conn.broken() is None
        server.close()
        assert conn.broken() == "closed by the database server"
    finally:
        ours.close()


def test_a_file_is_broken_once_replaced_or_gone(tmp_path):
    path = tmp_path / "db.sqlite3"
    path.write_bytes(b"one")
    st = os.stat(path)
    conn = Conn(KIND_FILE, 0, 0, 0, -1, st.st_ino, st.st_dev, str(path))
    assert conn.broken() is None
    path.write_bytes(b"rewritten in place")  # same file: still fine
    assert conn.broken() is None
    copy = tmp_path / "copy"
    copy.write_bytes(b"restored")
    os.replace(copy, path)
    assert conn.broken() == f"{path} was replaced"
    path.unlink()
    assert conn.broken() == f"{path} is gone"


def test_ready_in_the_test_client_counts_no_core(app):
    """The test client has no server cores: /ready checks the database on a connection of its
    own and reports the bound, with no core's connections."""
    resp = inproc.fetch(app, "GET", "/ready")
    assert resp.status == 200, resp.body
    body = resp.json()
    assert body["checks"]["database"] == "ok"
    assert body["connections"] == {"per_core": {}, "limit_per_core": 10}
