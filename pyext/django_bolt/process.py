"""``--isolation process``: a supervisor and one worker process per core.

    bolt --isolation process --cores 4 --max-requests 100000 --max-rss 512

The supervisor (this process) imports the project in its main interpreter, checks it as
``bolt`` always does, binds the one listening socket, then forks one worker per core. Each
worker pins itself to its core and runs the same Rust server as the default mode, with the
process's main interpreter in place of a sub-interpreter, so extension modules that refuse
sub-interpreters (msgspec, orjson, pydantic, numpy, psycopg's C build) load.

Why fork and one shared socket:

* Forking a supervisor that has the project imported makes a replacement worker cheap: it only
  builds its route table, so a dead worker is serving again well within a second.
* Every worker accepts on the supervisor's socket (inherited, no ``SO_REUSEPORT``), which stays
  open for the supervisor's whole life: the port is never lost, and connections that a dead or
  draining worker would have taken go to the live ones at once instead of queueing behind a
  booting one (a per-worker ``SO_REUSEPORT`` socket keeps its own queue). Workers end a pending
  accept by cancelling it, never by shutting the shared socket down. Under systemd socket
  activation (``activation``) the shared socket is the one systemd passed, not bound here.

Supervision: a worker that dies (signal, crash, OOM kill) is logged with its exit code or signal
name and forked again at once (after a back-off if it died while booting). ``--max-requests``
(counted by the worker, which asks for its replacement) and ``--max-rss`` (read by the
supervisor from ``/proc``) recycle a worker gracefully: the replacement starts first, and once it
reports ready the old one gets SIGTERM and drains as on any shutdown. SIGINT/SIGTERM to the
supervisor drain every worker within ``--shutdown-timeout``; a worker outliving that (plus a
margin) is killed. Workers get SIGTERM when the supervisor dies (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import ctypes
import dataclasses
import errno
import logging
import os
import select
import signal
import socket
import sys
import time
import traceback
from typing import Any

from . import serve
from .options import ServerOptions, fail

__all__ = ["run", "describe_exit"]

_PR_SET_PDEATHSIG = 1
# A worker that dies this soon after it started, before reporting ready, is restarted after a
# growing pause (a crash at boot must not become a fork loop).
_BACKOFF_FIRST = 0.1
_BACKOFF_MAX = 5.0
# Beyond --shutdown-timeout, how long a draining worker gets before it is killed (its pool's
# grace and the process exit).
_KILL_MARGIN = 3.0
_TICK = 0.05


def describe_exit(status: int) -> str:
    """A ``waitpid`` status in words: ``exit code 1``, ``killed by SIGKILL``."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        return f"killed by {name}"
    if os.WIFEXITED(status):
        return f"exit code {os.WEXITSTATUS(status)}"
    return f"status {status}"


def _say(line: str) -> None:
    print(f"django-bolt: {line}", file=sys.stderr, flush=True)


@dataclasses.dataclass
class _Worker:
    slot: int
    core: int | None
    pid: int
    fd: int  # read end of its status pipe
    started: float
    buf: bytes = b""
    ready: bool = False
    # The worker this one replaces (recycling), stopped once this one is ready.
    replaces: _Worker | None = None
    retiring: bool = False
    #: Why the worker is being replaced, once a replacement was asked for.
    recycling: str | None = None


class _Supervisor:
    def __init__(self, loaded: serve.Loaded, sock: socket.socket) -> None:
        self.opts: ServerOptions = loaded.opts
        self.cores = loaded.cores
        self.settings_module = loaded.settings_module
        self.sock = sock
        self.pid = os.getpid()
        self.port = sock.getsockname()[1]
        self.by_pid: dict[int, _Worker] = {}
        self.current: dict[int, _Worker] = {}
        self.incoming: dict[int, _Worker] = {}
        # Slot -> (when, worker to replace or None, why) for a fork that waits out a back-off.
        self.later: dict[int, tuple[float, _Worker | None, str | None]] = {}
        self.failures: dict[int, int] = {}
        self.stop_signal: int | None = None
        self.announced = False
        self.booted: dict[int, tuple[str, int, str]] = {}
        self.next_rss_check = 0.0

    # --- the worker side -------------------------------------------------------------------
    def _child(self, slot: int, status_fd: int) -> int:
        """In the forked worker: die with the supervisor, then serve on this slot's core."""
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != self.pid:
            return 0  # the supervisor died before the death signal was set
        core = self.cores[slot]
        if core is not None:
            # The whole process, so its pool threads stay on the core too (as a sub-interpreter
            # worker's do: they inherit the pinned worker thread's affinity).
            os.sched_setaffinity(0, {core})
        for w in self.by_pid.values():
            try:
                os.close(w.fd)
            except OSError:
                pass
        config = serve.native_config(
            self.opts,
            [self.cores[slot]],
            self.settings_module,
            listen_fd=self.sock.fileno(),
            status_fd=status_fd,
        )
        code, _clean = serve.serve_native(config)
        return code

    def spawn(self, slot: int, replaces: _Worker | None = None) -> _Worker:
        r, w = os.pipe()
        # Connections the supervisor's Django may have opened while loading must not be shared
        # with a child.
        _close_db_connections()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                os.close(r)
                code = self._child(slot, w)
            except BaseException:
                traceback.print_exc()
            finally:
                logging.shutdown()
                sys.stdout.flush()
                sys.stderr.flush()
                # Never back into the supervisor's code, nor its exit handlers.
                os._exit(code)
        os.close(w)
        os.set_blocking(r, False)
        worker = _Worker(slot, self.cores[slot], pid, r, time.monotonic(), replaces=replaces)
        self.by_pid[pid] = worker
        if replaces is None:
            self.current[slot] = worker
        else:
            self.incoming[slot] = worker
        return worker

    # --- events --------------------------------------------------------------------------------
    def on_line(self, w: _Worker, line: str) -> None:
        kind, _, rest = line.partition(" ")
        if kind == "ready":
            driver, routes, docs = (rest.split(" ") + ["", "", ""])[:3]
            w.ready = True
            self.failures.pop(w.slot, None)
            self.booted[w.slot] = (driver, int(routes or 0), docs)
            old = w.replaces
            if old is not None:
                self.incoming.pop(w.slot, None)
                self.current[w.slot] = w
                w.replaces = None
                if old.pid in self.by_pid:
                    old.retiring = True
                    _signal(old.pid, signal.SIGTERM)
                _say(f"worker {w.slot} recycled ({old.recycling}): pid {w.pid} serves, pid {old.pid} drains")
            elif self.announced:
                _say(f"worker {w.slot} (pid {w.pid}) serving again")
            self.maybe_announce()
        elif kind == "recycle":
            limit = self.opts.max_requests
            self.recycle(w, f"{rest} requests, --max-requests {limit}")

    def recycle(self, w: _Worker, why: str) -> None:
        if w.recycling is not None or w.retiring or self.current.get(w.slot) is not w:
            return
        w.recycling = why
        if self.stop_signal is None:
            self.spawn(w.slot, replaces=w)

    def maybe_announce(self) -> None:
        if self.announced or len(self.booted) < len(self.cores):
            return
        self.announced = True
        drivers = ",".join(self.booted[s][0] for s in sorted(self.booted))
        routes = self.booted[0][1]
        docs = self.booted[0][2]
        docs_shown = f" | docs {docs}" if docs and docs != "-" else ""
        host = f"[{self.opts.host}]" if ":" in self.opts.host else self.opts.host
        print(
            f"{serve.banner_prefix(self.opts, len(self.cores))} | workers {len(self.cores)} processes "
            f"| driver {drivers} | routes {routes}{docs_shown} | listening on http://{host}:{self.port}",
            flush=True,
        )

    def on_exit(self, w: _Worker, status: int) -> int | None:
        """A worker ended; returns an exit code when the supervisor must stop (start-up failed)."""
        self.read(w)
        os.close(w.fd)
        del self.by_pid[w.pid]
        how = describe_exit(status)
        if w.retiring or self.stop_signal is not None:
            if w.retiring:
                _say(f"worker {w.slot} (pid {w.pid}) drained and exited ({how})")
            return None
        if self.incoming.get(w.slot) is w:
            # A replacement that did not come up: the old worker goes on serving; try again.
            del self.incoming[w.slot]
            old = w.replaces
            _say(f"worker {w.slot}'s replacement (pid {w.pid}) died while starting ({how})")
            if old is not None and old.pid in self.by_pid:
                why, old.recycling = old.recycling, None
                self.later[w.slot] = (time.monotonic() + self.backoff(w.slot), old, why)
            return None
        if not self.announced:
            _say(f"worker {w.slot} (pid {w.pid}) failed to start ({how})")
            return 1
        del self.current[w.slot]
        pending = self.incoming.pop(w.slot, None)
        if pending is not None:
            # Its replacement was already booting: it takes the slot.
            pending.replaces = None
            self.current[w.slot] = pending
            _say(f"worker {w.slot} (pid {w.pid}) died ({how}); its replacement pid {pending.pid} takes over")
            return None
        delay = 0.0 if w.ready else self.backoff(w.slot)
        _say(f"worker {w.slot} (pid {w.pid}) died ({how}); restarting" + (f" in {delay:.1f} s" if delay else ""))
        if delay:
            self.later[w.slot] = (time.monotonic() + delay, None, None)
        else:
            self.spawn(w.slot)
        return None

    def backoff(self, slot: int) -> float:
        n = self.failures.get(slot, 0)
        self.failures[slot] = n + 1
        return min(_BACKOFF_FIRST * 2**n, _BACKOFF_MAX)

    def read(self, w: _Worker) -> None:
        while True:
            try:
                chunk = os.read(w.fd, 4096)
            except BlockingIOError:
                return
            except OSError:
                return
            if not chunk:
                return
            w.buf += chunk
            while b"\n" in w.buf:
                line, w.buf = w.buf.split(b"\n", 1)
                self.on_line(w, line.decode(errors="replace"))

    def reap(self) -> int | None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return None
            if pid == 0:
                return None
            w = self.by_pid.get(pid)
            if w is not None:
                code = self.on_exit(w, status)
                if code is not None:
                    return code

    def check_limits(self) -> None:
        """Once a second: recycle the serving workers past ``--max-rss`` or ``--workers-lifetime``."""
        now = time.monotonic()
        lifetime = self.opts.workers_lifetime
        if not (self.opts.max_rss or lifetime) or now < self.next_rss_check:
            return
        self.next_rss_check = now + 1.0
        for w in list(self.current.values()):
            if not w.ready or w.recycling is not None:
                continue
            if lifetime and now - w.started >= lifetime:
                self.recycle(w, f"up {now - w.started:.0f} s, --workers-lifetime {lifetime}")
                continue
            mib = _rss_mib(w.pid) if self.opts.max_rss else None
            if mib is not None and mib > self.opts.max_rss:
                self.recycle(w, f"resident memory {mib} MiB, --max-rss {self.opts.max_rss}")

    def due(self) -> None:
        now = time.monotonic()
        for slot, (when, old, why) in list(self.later.items()):
            if now < when:
                continue
            del self.later[slot]
            if old is None:
                self.spawn(slot)
            elif old.pid in self.by_pid and self.current.get(slot) is old:
                self.recycle(old, why or "retry")

    # --- the loop ------------------------------------------------------------------------------
    def run(self) -> int:
        def on_signal(signum: int, frame: Any) -> None:
            self.stop_signal = signum

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        for slot in range(len(self.cores)):
            self.spawn(slot)
        code = 0
        while self.stop_signal is None:
            fds = [w.fd for w in self.by_pid.values()]
            try:
                readable, _, _ = select.select(fds, [], [], _TICK)
            except InterruptedError:
                readable = []
            for w in list(self.by_pid.values()):
                if w.fd in readable:
                    self.read(w)
            failed = self.reap()
            if failed is not None:
                code = failed
                break
            self.due()
            self.check_limits()
        self.shutdown()
        if code == 0:
            print("django-bolt: stopped", file=sys.stderr, flush=True)
        return code

    def shutdown(self) -> None:
        """SIGTERM to every worker (each drains), then wait; kill what outlives the deadline."""
        if self.stop_signal is None:
            self.stop_signal = signal.SIGTERM
        for pid in list(self.by_pid):
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + self.opts.shutdown_timeout + _KILL_MARGIN
        while self.by_pid and time.monotonic() < deadline:
            self.reap()
            time.sleep(_TICK / 2)
        for pid, w in list(self.by_pid.items()):
            _say(f"worker {w.slot} (pid {pid}) outlived --shutdown-timeout; killing it")
            _signal(pid, signal.SIGKILL)
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
            os.close(w.fd)
            del self.by_pid[pid]
        self.sock.close()


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _rss_mib(pid: int) -> int | None:
    """A process's resident memory in MiB (``/proc/<pid>/statm``), None if it is gone."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            pages = int(f.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") // (1024 * 1024)


def _close_db_connections() -> None:
    try:
        from django.db import connections

        connections.close_all()
    except Exception:  # noqa: BLE001 - no Django (--no-django projects) or nothing open
        pass


def _listen(host: str, port: int, backlog: int) -> socket.socket:
    """The one listening socket every worker shares. No ``SO_REUSEPORT``: binding fails while
    any other server listens on the port (a stale one would otherwise share it silently)."""
    family, kind, proto, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    return sock


def run(opts: ServerOptions, settings_module: str | None = None) -> int:
    """Serves the project with one worker process per core until SIGINT/SIGTERM; returns the
    process exit code (0, or 1 with a message)."""
    if sys.platform != "linux":
        return fail("--isolation process needs Linux (it pins workers and uses PR_SET_PDEATHSIG)")
    activated = serve.activated_socket(opts)
    if isinstance(activated, int):
        return activated
    opts, passed = activated
    loaded = serve.load(opts, settings_module)
    if isinstance(loaded, int):
        return loaded
    opts = loaded.opts
    # Each worker process reports its own connections in /ready (the cores' shared table holds
    # fds, which mean nothing in another process).
    line = serve.database_banner(opts.blocking_threads, len(loaded.cores))
    if line:
        print(line, flush=True)
    if passed is not None:
        # systemd's socket (activation): it stays open in systemd while bolt restarts.
        return _Supervisor(loaded, passed).run()
    try:
        sock = _listen(opts.host, opts.port, opts.backlog)
    except socket.gaierror as e:
        return fail(f"cannot resolve {opts.host}: {e}")
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            return fail(f"port {opts.port} on {opts.host} is already in use (another server running?): {e}")
        return fail(f"cannot listen on {opts.host}:{opts.port}: {e}")
    return _Supervisor(loaded, sock).run()
