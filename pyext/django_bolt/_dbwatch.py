"""The database connections API handlers hold, per core, and whether each still works, found
without a query (not public API).

Django keeps one connection per thread and alias; on a core those threads are the worker
thread (inline ``def`` handlers), the thread-sensitive ``bolt-sync`` thread (the async ORM) and
the blocking pool's threads. A connection the database server dropped (``pg_terminate_backend``,
a restart) or a SQLite file replaced under it is not noticed by Django until a query fails on it
(SQLite's ``is_usable`` is always true). Two cheap signs tell without a query:

* a socket connection (PostgreSQL): the server closed its end, so ``poll`` reports
  ``POLLRDHUP``/``POLLHUP`` on the client's socket (one system call);
* a SQLite file: the path no longer names the file (device, inode) the connection opened.

``Lifecycle`` asks ``broken`` of each of a thread's connections when a request begins and ends
there and closes a broken one, so the request opens a fresh connection instead of failing.

Every core publishes its connections (the socket's fd and inode, the file's device and inode)
in a table shared by all cores: an anonymous memory file the main interpreter creates
(``create_table``) and each worker maps (``attach``), one slot per interpreter, written under a
sequence counter (odd while being written: a reader retries). ``/ready`` on any core reads
every slot and checks every connection (``survey``), so it is 503 while a handler connection
on any core is broken, and reports how many each core holds.
"""

from __future__ import annotations

import mmap
import os
import select
import struct
import threading
from dataclasses import dataclass
from typing import Any

KIND_SOCKET = 1
KIND_FILE = 2
KIND_OTHER = 3  # counted, not checked (an in-memory SQLite, a backend without a socket fd)
ROLES = ("worker", "sync", "blocking", "other")

_HEADER = struct.Struct("<QII")  # sequence, connections listed, connections held (may exceed)
# kind, role, thread number, alias index, (padding), fd, inode, device
_ENTRY = struct.Struct("<BBHHHiQQ4x")
ENTRIES = 62
SLOT = 2048
assert _HEADER.size + ENTRIES * _ENTRY.size <= SLOT
# poll() bits meaning the peer closed its end or the socket failed.
_GONE = select.POLLRDHUP | select.POLLHUP | select.POLLERR | select.POLLNVAL


def create_table(slots: int) -> int:
    """An anonymous shared file for ``slots`` interpreters (the main one included), inherited
    by every interpreter of this process: its fd."""
    fd = os.memfd_create("bolt-db-connections", os.MFD_CLOEXEC)
    os.ftruncate(fd, slots * SLOT)
    return fd


@dataclass
class Conn:
    """One open connection of this core: what is needed to check it from any core."""

    kind: int
    role: int
    thread_no: int
    alias: int
    fd: int = -1
    ino: int = 0
    dev: int = 0
    path: str = ""
    poller: Any = None
    #: When a request beginning on its thread last checked it (time.monotonic; see _lifecycle).
    checked_at: float = 0.0

    def broken(self) -> str | None:
        """Why it cannot serve another query, or None (no query is sent)."""
        if self.kind == KIND_SOCKET:
            if self.poller is None:
                self.poller = select.poll()
                self.poller.register(self.fd, select.POLLRDHUP)
            try:
                events = self.poller.poll(0)
            except OSError:
                return "its socket failed"
            if any(ev & _GONE for _, ev in events):
                return "closed by the database server"
            return None
        if self.kind == KIND_FILE:
            try:
                st = os.stat(self.path)
            except OSError:
                return f"{self.path} is gone"
            if (st.st_dev, st.st_ino) != (self.dev, self.ino):
                return f"{self.path} was replaced"
        return None


def _role(name: str, is_worker: bool) -> tuple[int, int]:
    if is_worker:
        return 0, 0
    for role, prefix in ((1, "bolt-sync_"), (2, "bolt-blocking_")):
        if name.startswith(prefix):
            number = name[len(prefix) :]
            return role, int(number) if number.isdigit() else 0
    return 3, 0


def thread_label(role: int, number: int) -> str:
    return {0: "the worker thread", 1: f"bolt-sync_{number}", 2: f"bolt-blocking_{number}"}.get(role, "a thread")


def describe(wrapper: Any, is_worker: bool) -> Conn | None:
    """The ``Conn`` of a Django connection wrapper that is open on this thread (None: closed)."""
    raw = wrapper.connection
    if raw is None:
        return None
    from django.db import connections

    aliases = list(connections)
    alias = aliases.index(wrapper.alias) if wrapper.alias in aliases else 0xFFFF
    role, number = _role(threading.current_thread().name, is_worker)
    conn = Conn(KIND_OTHER, role, number, alias)
    if wrapper.vendor == "sqlite":
        name = str(wrapper.settings_dict.get("NAME") or "")
        if name and name != ":memory:" and not name.startswith("file:"):
            try:
                st = os.stat(name)
            except OSError:
                return conn
            conn.kind, conn.path, conn.dev, conn.ino = KIND_FILE, name, st.st_dev, st.st_ino
        return conn
    fileno = getattr(raw, "fileno", None)
    if fileno is not None:
        try:
            fd = fileno()
            conn.kind, conn.fd, conn.ino = KIND_SOCKET, fd, os.fstat(fd).st_ino
        except Exception:  # noqa: BLE001 - no usable fd: counted, not checked
            pass
    return conn


class Table:
    """This process's shared table (one slot per interpreter)."""

    def __init__(self, fd: int) -> None:
        size = os.fstat(fd).st_size
        self.slots = size // SLOT
        self.map = mmap.mmap(fd, size)

    def write(self, slot: int, conns: list[Conn], held: int) -> None:
        if not 0 <= slot < self.slots:
            return
        base = slot * SLOT
        (seq, _, _) = _HEADER.unpack_from(self.map, base)
        _HEADER.pack_into(self.map, base, seq + 1, 0, 0)  # odd: being written
        listed = conns[:ENTRIES]
        for i, c in enumerate(listed):
            _ENTRY.pack_into(
                self.map,
                base + _HEADER.size + i * _ENTRY.size,
                c.kind,
                c.role,
                c.thread_no,
                c.alias,
                0,
                c.fd,
                c.ino,
                c.dev,
            )
        _HEADER.pack_into(self.map, base, seq + 2, len(listed), held)

    def read(self, slot: int) -> tuple[list[Conn], int] | None:
        """(connections, how many are held) of one slot; None when it was never written."""
        base = slot * SLOT
        for _ in range(100):
            seq, listed, held = _HEADER.unpack_from(self.map, base)
            if seq == 0:
                return None
            if seq % 2:
                continue
            conns = []
            for i in range(min(listed, ENTRIES)):
                kind, role, number, alias, _, fd, ino, dev = _ENTRY.unpack_from(
                    self.map, base + _HEADER.size + i * _ENTRY.size
                )
                conns.append(Conn(kind, role, number, alias, fd, ino, dev))
            if _HEADER.unpack_from(self.map, base)[0] == seq:
                return conns, held
        return None


class Watch:
    """This core's open connections (every thread of the core), published to the table."""

    def __init__(self, worker_ident: int) -> None:
        self._worker_ident = worker_ident
        self._lock = threading.Lock()
        self._open: dict[tuple[int, str], Conn] = {}
        self.table: Table | None = None
        self.slot = -1

    def attach(self, fd: int, slot: int) -> None:
        """Publishes to the shared table ``fd`` in slot ``slot`` (this interpreter's id)."""
        self.table = Table(fd)
        self.slot = slot
        self._publish()

    def opened(self, wrapper: Any) -> Conn | None:
        conn = describe(wrapper, threading.get_ident() == self._worker_ident)
        key = (threading.get_ident(), wrapper.alias)
        with self._lock:
            if conn is None:
                self._open.pop(key, None)
            else:
                self._open[key] = conn
            self._publish()
        return conn

    def closed(self, wrapper: Any) -> None:
        key = (threading.get_ident(), wrapper.alias)
        with self._lock:
            if self._open.pop(key, None) is not None:
                self._publish()

    def get(self, wrapper: Any) -> Conn | None:
        return self._open.get((threading.get_ident(), wrapper.alias))

    def _publish(self) -> None:
        if self.table is not None:
            conns = list(self._open.values())
            self.table.write(self.slot, conns, len(conns))

    def local(self) -> list[Conn]:
        with self._lock:
            return list(self._open.values())


_watch: Watch | None = None
_threads_per_core = 2 + 8


def install(watch: Watch, blocking_threads: int) -> None:
    """Makes ``watch`` this interpreter's; its handlers run on ``blocking_threads`` pool threads
    besides the worker and the thread-sensitive one."""
    global _watch, _threads_per_core
    _watch = watch
    _threads_per_core = 2 + blocking_threads


def limit_per_core(threads_per_core: int | None = None) -> int:
    """The most connections a core's handler threads can hold: one per thread and database."""
    from django.conf import settings

    return (threads_per_core or _threads_per_core) * len(settings.DATABASES)


def current() -> Watch | None:
    """This interpreter's ``Watch`` (None outside a server worker)."""
    return _watch


@dataclass
class CoreReport:
    core: int
    connections: int
    broken: list[str]


def _alive_socket(conn: Conn) -> bool:
    """Whether the fd still is the socket that was published (a closed connection's fd may be
    reused meanwhile)."""
    try:
        return os.fstat(conn.fd).st_ino == conn.ino
    except OSError:
        return False


def survey() -> list[CoreReport]:
    """Every core's connections and the broken ones (from the table; this core's alone when
    there is none, as in the test client)."""
    from django.db import connections

    aliases = list(connections)
    watch = _watch
    sources: list[tuple[int, list[Conn], int]] = []
    if watch is not None and watch.table is not None:
        for slot in range(1, watch.table.slots):
            found = watch.table.read(slot)
            if found is not None:
                sources.append((slot - 1, found[0], found[1]))
    elif watch is not None:
        mine = watch.local()
        sources.append((0, mine, len(mine)))
    reports = []
    for core, conns, held in sources:
        broken = []
        for c in conns:
            if c.kind == KIND_SOCKET:
                if not _alive_socket(c):
                    held -= 1  # closed since it was published
                    continue
                c.poller = None
            elif c.kind == KIND_FILE:
                alias = aliases[c.alias] if c.alias < len(aliases) else None
                if alias is None:
                    continue
                c.path = str(connections.settings[alias].get("NAME") or "")
            why = c.broken()
            if why:
                alias = aliases[c.alias] if c.alias < len(aliases) else "?"
                broken.append(f"{alias!r} connection of {thread_label(c.role, c.thread_no)}: {why}")
        reports.append(CoreReport(core, max(held, 0), broken))
    return reports
