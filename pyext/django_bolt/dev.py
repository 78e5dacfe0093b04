"""``bolt --dev``: serve the project and restart the server when one of its files changes.

The ``--dev`` process is a supervisor; it never imports Django. It finds the project root (the
folder of ``manage.py``), picks the port once, and runs the real server as a child process with
the same flags (``--cores 1`` unless ``--cores`` was given). It watches the project's ``*.py`` and
``*.html`` files (inotify when available, else mtime polling every 0.2 s; virtualenvs, caches and
Python installs are skipped) and, once nothing changed for 0.1 s:

* compiles every changed ``.py`` file; a ``SyntaxError`` is printed and the running server is
  kept until the next save;
* otherwise stops the server (SIGTERM, SIGKILL after 5 s) and starts a new one; if that one
  fails during start-up its error stays on screen and the supervisor waits for the next save.

To keep a restart well under a second, the next server is started ahead of time as a *standby*:
a process that has already imported Python, django-bolt and Django's core (nothing from the
project) and waits on its stdin. A restart tells it ``go`` (load the project: settings, apps,
routes) while the old server is still stopping, then ``bind`` once the port is free.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import traceback
import warnings
from pathlib import Path
from typing import Any, Sequence

from .options import OPTIONS, ServerOptions, add_server_arguments, fail

__all__ = ["run", "find_project_root", "ProjectWatcher"]

PREFIX = "bolt --dev:"
SUFFIXES = (".py", ".html")
SKIP_DIRS = frozenset({".venv", "venv", "site-packages", "node_modules", ".git", "__pycache__"})
POLL_INTERVAL = 0.2  # seconds between scans without inotify
SAFETY_SCAN = 1.0  # with inotify: a full scan this often anyway
DEBOUNCE = 0.1  # a change is acted on once nothing changed for this long
STOP_TIMEOUT = 5.0  # SIGTERM, then SIGKILL
_BANNER = re.compile(rb"listening on http")
_SUPERVISOR_ENV = "BOLT_DEV_SUPERVISOR"
# The child's calls before it loads the project (options.worker_preloads, as JSON): a nanodjango
# script configures Django when imported, so the child imports it as the workers do.
_CHILD_PRELOAD_ENV = "BOLT_DEV_PRELOAD"
_CHILD_CODE = "from django_bolt.dev import _child; _child()"
# Imported by a standby server before it knows the project: library code only, nothing that
# needs settings. The main interpreter imports these anyway when it loads the project.
_PRELOAD = (
    "django_bolt.serve",
    "django_bolt.discovery",
    "django_bolt._native",
    "asyncio",
    "sqlite3",
    "django",
    "django.conf",
    "django.apps",
    "django.db.models",
    "django.core.handlers.base",
    "django.core.handlers.wsgi",
    "django.core.management",
    "django.http",
    "django.urls",
    "django.db.backends.sqlite3.base",
    "django.db.migrations",
    "django.contrib.admin",
    "django.contrib.auth.checks",
    "django.contrib.auth.management",
    "django.contrib.contenttypes.management",
)


def _say(msg: str) -> None:
    print(f"{PREFIX} {msg}", file=sys.stderr, flush=True)


# --- the project and the child's command line ---------------------------------------------------


def find_project_root(cwd: str | os.PathLike[str] | None = None) -> Path | None:
    """The folder holding ``manage.py``: ``cwd`` or its nearest parent that has one."""
    here = Path(cwd or os.getcwd()).resolve()
    for d in (here, *here.parents):
        if (d / "manage.py").is_file():
            return d
    return None


def _explicit_cores(argv: Sequence[str]) -> bool:
    for a in argv:
        if a == "--":
            break
        name = a.split("=", 1)[0]
        if len(name) > 3 and "--cores".startswith(name):  # argparse accepts unique prefixes
            return True
    return False


def _free_port(host: str) -> int:
    """A port that is free now; every child gets it, so the URL stays the same across restarts."""
    family, kind, proto, _, addr = socket.getaddrinfo(host, 0, type=socket.SOCK_STREAM)[0]
    with socket.socket(family, kind, proto) as s:
        s.bind(addr)
        return s.getsockname()[1]


def _port_is_free(host: str, port: int) -> bool:
    """Whether the server could bind ``host:port`` now (its own probe: SO_REUSEADDR, no SO_REUSEPORT)."""
    try:
        family, kind, proto, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(addr)
        return True
    except OSError:
        return False


def _child_args(opts: dict[str, Any], settings_module: str | None, port: int, cores_given: bool) -> list[str]:
    """The ``bolt`` flags of ``opts`` minus ``--dev``, for the child server."""
    resolved = ServerOptions.from_dict(opts)
    args: list[str] = []
    for option in OPTIONS:
        if option.name == "dev":
            continue
        value = getattr(resolved, option.name)
        if option.name == "settings":
            value = settings_module or value
        elif option.name == "port":
            value = port
        elif option.name == "cores" and not cores_given:
            value = "1"  # one sub-interpreter boots fastest
        if option.is_switch:
            if value:
                args.append(option.flag)
        elif value is not None:
            args.append(f"{option.flag}={value}")
    return args


# --- watching -------------------------------------------------------------------------------------


def _prefixes() -> set[str]:
    out: set[str] = set()
    for p in {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}:
        if p:
            out.add(os.path.normpath(os.path.abspath(p)))
            out.add(os.path.realpath(p))
    return out


class _Inotify:
    """Just enough inotify (via ctypes) to wake up when a watched folder changes."""

    IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE = 0x2, 0x4, 0x8
    IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE = 0x40, 0x80, 0x100, 0x200
    IN_DELETE_SELF, IN_MOVE_SELF, IN_Q_OVERFLOW, IN_IGNORED, IN_ISDIR = 0x400, 0x800, 0x4000, 0x8000, 0x40000000
    MASK = (
        IN_MODIFY
        | IN_ATTRIB
        | IN_CLOSE_WRITE
        | IN_MOVED_FROM
        | IN_MOVED_TO
        | IN_CREATE
        | IN_DELETE
        | IN_DELETE_SELF
        | IN_MOVE_SELF
    )
    _EVENT = struct.Struct("iIII")

    def __init__(self) -> None:
        import ctypes

        self._libc = ctypes.CDLL(None, use_errno=True)
        self._get_errno = ctypes.get_errno
        fd = self._libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            raise OSError(self._get_errno(), "inotify_init1 failed")
        self.fd = fd
        self.watched: set[str] = set()

    def watch(self, dirs: set[str]) -> None:
        self.watched &= dirs  # a deleted folder's watch is gone: re-add it if it comes back
        for d in dirs - self.watched:
            if self._libc.inotify_add_watch(self.fd, os.fsencode(d), self.MASK) < 0:
                err = self._get_errno()
                if err == 28:  # ENOSPC: out of watches
                    raise OSError(err, "inotify watch limit reached (fs.inotify.max_user_watches)")
                continue  # vanished meanwhile
            self.watched.add(d)

    def relevant(self) -> bool:
        """Reads the pending events; true if one may concern a watched file."""
        hit = False
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return hit
            except InterruptedError:
                continue
            pos = 0
            while pos + self._EVENT.size <= len(data):
                _wd, mask, _cookie, length = self._EVENT.unpack_from(data, pos)
                name = data[pos + self._EVENT.size : pos + self._EVENT.size + length].rstrip(b"\0")
                pos += self._EVENT.size + length
                if mask & (
                    self.IN_ISDIR | self.IN_Q_OVERFLOW | self.IN_IGNORED | self.IN_DELETE_SELF | self.IN_MOVE_SELF
                ) or name.endswith((b".py", b".html")):
                    hit = True

    def close(self) -> None:
        os.close(self.fd)


class ProjectWatcher:
    """The ``*.py``/``*.html`` files under ``root`` and their (mtime, size)."""

    def __init__(self, root: Path, use_inotify: bool = True, extra: Sequence[Path] = ()) -> None:
        self.root = str(root)
        # ``--reload-dir``: folders outside the project (a shared library checkout) watched too.
        self.roots = [self.root, *(str(d) for d in extra if str(d) != self.root)]
        self._prefixes = _prefixes()
        self.files, dirs = self.scan()
        self.inotify: _Inotify | None = None
        if use_inotify and sys.platform.startswith("linux"):
            try:
                self.inotify = _Inotify()
                self.inotify.watch(dirs)
            except (OSError, AttributeError):
                if self.inotify is not None:
                    self.inotify.close()
                self.inotify = None
        self._last_scan = time.monotonic()

    def _skip_dir(self, name: str, path: str) -> bool:
        if name in SKIP_DIRS or name.startswith("."):
            return True
        norm = os.path.normpath(path)
        return norm in self._prefixes or os.path.exists(os.path.join(path, "pyvenv.cfg"))

    def scan(self) -> tuple[dict[str, tuple[int, int]], set[str]]:
        files: dict[str, tuple[int, int]] = {}
        dirs: set[str] = set()
        stack = list(self.roots)
        while stack:
            d = stack.pop()
            dirs.add(d)
            try:
                it = os.scandir(d)
            except OSError:
                continue
            with it:
                for e in it:
                    try:
                        if e.is_dir(follow_symlinks=False):
                            if not self._skip_dir(e.name, e.path):
                                stack.append(e.path)
                        elif e.name.endswith(SUFFIXES):
                            st = e.stat()
                            files[e.path] = (st.st_mtime_ns, st.st_size)
                    except OSError:
                        continue
        return files, dirs

    def changes(self) -> set[str]:
        """Rescans; the paths added, modified or removed since the last scan."""
        files, dirs = self.scan()
        self._last_scan = time.monotonic()
        if self.inotify is not None:
            try:
                self.inotify.watch(dirs)
            except OSError as e:
                _say(f"{e}; falling back to polling")
                self.inotify.close()
                self.inotify = None
        old, self.files = self.files, files
        changed = {p for p, sig in files.items() if old.get(p) != sig}
        changed.update(p for p in old if p not in files)
        return changed

    def fileno(self) -> int | None:
        return self.inotify.fd if self.inotify is not None else None

    def due(self, woke: bool) -> bool:
        """Whether a wake-up (``woke``: the inotify fd was readable) calls for a scan."""
        if self.inotify is None:
            return True
        hit = self.inotify.relevant() if woke else False
        return hit or time.monotonic() - self._last_scan >= SAFETY_SCAN

    def close(self) -> None:
        if self.inotify is not None:
            self.inotify.close()
            self.inotify = None


def syntax_errors(paths: Sequence[str]) -> list[tuple[str, SyntaxError]]:
    """The files among ``paths`` that do not compile."""
    bad = []
    for path in sorted(paths):
        if not path.endswith(".py"):
            continue
        try:
            with open(path, "rb") as f:
                source = f.read()
        except OSError:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                compile(source, path, "exec", dont_inherit=True)
        except SyntaxError as e:
            bad.append((path, e))
        except ValueError as e:  # null bytes on older Pythons
            bad.append((path, SyntaxError(str(e), (path, 1, 1, "", 1, 1))))
    return bad


# --- the server child --------------------------------------------------------------------------


class _Server:
    """One child server process; stdout passes through us so we see its banner."""

    def __init__(self, cmd: list[str], env: dict[str, str], number: int) -> None:
        self.number = number
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, process_group=0)
        self.ready = threading.Event()
        self.change_time: float | None = None  # when the change that started it was seen
        self.reported = False  # its exit was reported
        self._relay = threading.Thread(target=self._pass_stdout, name=f"bolt-dev-stdout-{number}", daemon=True)
        self._relay.start()

    def _pass_stdout(self) -> None:
        src = self.proc.stdout
        assert src is not None
        out = getattr(sys.stdout, "buffer", None)
        for line in iter(src.readline, b""):
            try:
                if out is not None:
                    out.write(line)
                    out.flush()
                else:
                    sys.stdout.write(line.decode(errors="replace"))
                    sys.stdout.flush()
            except (OSError, ValueError):
                pass
            if not self.ready.is_set() and _BANNER.search(line):
                self.ready.set()
                if self.change_time is not None:
                    _say(f"restarted: serving {time.monotonic() - self.change_time:.2f} s after the change was seen")
        src.close()

    def _send(self, word: str) -> None:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(word.encode() + b"\n")
            self.proc.stdin.flush()
        except (OSError, ValueError):
            pass  # it died: reported by the supervisor's next look at it

    def go(self, change_time: float | None = None) -> None:
        self.change_time = change_time
        self._send("go")

    def bind(self) -> None:
        self._send("bind")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def terminate(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass

    def wait_stopped(self, timeout: float = STOP_TIMEOUT) -> int:
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return self.kill()
        self.close()
        return code

    def kill(self) -> int:
        if self.proc.poll() is None:
            _say(f"server (pid {self.proc.pid}) did not stop within {STOP_TIMEOUT:g} s of SIGTERM; killing it")
            self.proc.kill()
        code = self.proc.wait()
        self.close()
        return code

    def close(self) -> None:
        if self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        self._relay.join(2)


class _Supervisor:
    def __init__(
        self,
        root: Path,
        cmd: list[str],
        env: dict[str, str],
        host: str,
        port: int,
        use_inotify: bool = True,
        reload_dirs: Sequence[Path] = (),
    ) -> None:
        self.root = root
        self.reload_dirs = list(reload_dirs)
        self.host = host
        self.port = port
        self.retiring: list[tuple[_Server, float]] = []  # stopped servers not yet gone, kill deadline
        self.cmd = cmd
        self.env = env
        self.use_inotify = use_inotify
        self.stopping = False
        self.current: _Server | None = None
        self.standby: _Server | None = None
        self.standby_failed = False
        self.broken: set[str] = set()  # files whose last save had a syntax error
        self._count = 0
        self._wake_r = self._wake_w = -1

    # signals: a flag, plus a byte on a pipe that wakes our select()
    def _on_signal(self, signum: int, frame: Any) -> None:
        self.stopping = True

    def _spawn(self) -> _Server:
        self._count += 1
        return _Server(self.cmd, self.env, self._count)

    def _wait(self, watcher: ProjectWatcher, timeout: float) -> bool:
        """Sleeps until ``timeout``, a signal or an inotify event; true if inotify woke us."""
        fds = [self._wake_r] if self._wake_r >= 0 else []
        ino = watcher.fileno()
        if ino is not None:
            fds.append(ino)
        try:
            ready, _, _ = select.select(fds, [], [], max(timeout, 0.0))
        except InterruptedError:
            return False
        if self._wake_r in ready:
            try:
                os.read(self._wake_r, 512)
            except OSError:
                pass
        return ino is not None and ino in ready

    def _next_changes(self, watcher: ProjectWatcher) -> tuple[set[str], float]:
        """One look: the changed paths once they settled (debounced), or an empty set; and when
        the first of them was seen."""
        woke = self._wait(watcher, POLL_INTERVAL)
        if self.stopping or not watcher.due(woke):
            return set(), 0.0
        changed = watcher.changes()
        if not changed:
            return set(), 0.0
        seen = last = time.monotonic()
        while not self.stopping:
            left = last + DEBOUNCE - time.monotonic()
            if left <= 0:
                break
            woke = self._wait(watcher, min(left, 0.05))
            if watcher.inotify is not None and woke:
                watcher.inotify.relevant()
            more = watcher.changes()
            if more:
                changed |= more
                last = time.monotonic()
        return changed, seen

    def _look_after_children(self) -> None:
        for item in list(self.retiring):
            server, deadline = item
            if not server.alive():
                server.wait_stopped()
                self.retiring.remove(item)
            elif time.monotonic() > deadline:
                self.retiring.remove(item)
                server.kill()
        cur = self.current
        if cur is not None and not cur.reported and not cur.alive():
            cur.reported = True
            code = cur.proc.returncode
            cur.close()
            if cur.ready.is_set():
                _say(f"the server exited with code {code}; save a file to start it again")
            else:
                _say(f"the server failed to start (exit code {code}, error above); fix it and save to restart")
        sb = self.standby
        if sb is not None and not sb.alive():
            sb.wait_stopped(1)
            self.standby = None
            self.standby_failed = True  # do not loop; the next restart starts one from scratch
        # Prepare the next server once the current one is up (or gone), not while it boots.
        settled = cur is None or cur.ready.is_set() or not cur.alive()
        if self.standby is None and not self.standby_failed and settled and not self.stopping:
            self.standby = self._spawn()

    def _restart(self, changed: set[str], seen: float) -> None:
        rel = sorted(os.path.relpath(p, self.root) for p in changed)
        names = ", ".join(rel[:3]) + (f" and {len(rel) - 3} more" if len(rel) > 3 else "")
        check = {p for p in changed if os.path.exists(p)} | {p for p in self.broken if os.path.exists(p)}
        bad = syntax_errors(sorted(check))
        self.broken = {p for p, _ in bad}
        if bad:
            for path, e in bad:
                where = os.path.relpath(e.filename or path, self.root)
                _say(f"SyntaxError in {where}, line {e.lineno}: {e.msg}")
                sys.stderr.write("".join(traceback.format_exception_only(type(e), e)))
            alive = self.current is not None and self.current.alive()
            _say(("keeping the running server; " if alive else "") + "fix it and save to restart")
            sys.stderr.flush()
            return
        _say(f"{names} changed; restarting")
        old = self.current
        new = self.standby
        self.standby = None
        if new is None or not new.alive():
            if new is not None:
                new.wait_stopped(1)
            new = self._spawn()
        self.standby_failed = False
        if old is not None:
            old.terminate()
        new.go(seen)  # loads the project while the old server shuts down
        self.current = new
        if old is not None and old.alive():
            # The new server may bind as soon as the old one closed its listeners; the old process
            # can take a few hundred ms more to finish (in-flight requests, interpreter teardown).
            deadline = time.monotonic() + STOP_TIMEOUT
            while old.alive() and not _port_is_free(self.host, self.port):
                if time.monotonic() > deadline:
                    old.kill()
                    break
                time.sleep(0.01)
            self.retiring.append((old, deadline))
        elif old is not None and not old.reported:
            old.wait_stopped()
        if old is not None:
            old.reported = True
        new.bind()

    def run(self) -> int:
        main_thread = threading.current_thread() is threading.main_thread()
        old_handlers: dict[int, Any] = {}
        old_wakeup = None
        if main_thread:
            self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
            old_wakeup = signal.set_wakeup_fd(self._wake_w, warn_on_full_buffer=False)
            for sig in (signal.SIGINT, signal.SIGTERM):
                old_handlers[sig] = signal.signal(sig, self._on_signal)
        watcher = ProjectWatcher(self.root, use_inotify=self.use_inotify, extra=self.reload_dirs)
        mode = "inotify" if watcher.inotify is not None else f"polling every {POLL_INTERVAL:g} s"
        where = ", ".join(watcher.roots)
        _say(
            f"watching {len(watcher.files)} .py/.html files under {where} ({mode}); "
            "the server restarts when one changes"
        )
        try:
            self.current = self._spawn()
            self.current.go()
            self.current.bind()
            # The first standby starts at once: an edit right after start-up restarts fast too.
            self.standby = self._spawn()
            while not self.stopping:
                self._look_after_children()
                changed, seen = self._next_changes(watcher)
                if changed and not self.stopping:
                    self._restart(changed, seen)
        finally:
            watcher.close()
            servers = [s for s in (self.current, self.standby) if s is not None]
            servers += [s for s, _ in self.retiring]
            for s in servers:
                s.terminate()
            for s in servers:
                s.wait_stopped()
            for sig, h in old_handlers.items():
                signal.signal(sig, h)
            if main_thread:
                signal.set_wakeup_fd(old_wakeup if old_wakeup is not None else -1)
                os.close(self._wake_r)
                os.close(self._wake_w)
        _say("stopped")
        return 0


def run(opts: dict[str, Any], argv: Sequence[str] | None = None, settings_module: str | None = None) -> int:
    """``bolt --dev``: supervise a child server, restarting it on changes; returns the exit code.

    ``argv`` is the command line (to tell whether ``--cores`` was given; default ``sys.argv[1:]``);
    ``settings_module`` is set by ``manage.py runbolt``.
    """
    options = ServerOptions.from_dict(opts)
    root = find_project_root()
    env = dict(os.environ)
    if root is None and settings_module and os.path.basename(sys.argv[0]) == "manage.py":
        # `python path/to/manage.py runbolt --dev` from elsewhere: the child needs that folder.
        root = Path(sys.argv[0]).resolve().parent
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    if root is None:
        if not (settings_module or options.settings or os.environ.get("DJANGO_SETTINGS_MODULE")):
            return fail(
                f"no Django settings found: pass --settings, set DJANGO_SETTINGS_MODULE, or run bolt "
                f"inside a project with a manage.py (looked in {Path.cwd()} and its parents)"
            )
        root = Path.cwd().resolve()
    reload_dirs = []
    for d in opts.get("reload_dirs") or ():
        path = Path(d).expanduser().resolve()
        if not path.is_dir():
            return fail(f"--reload-dir {d}: not a folder")
        reload_dirs.append(path)
    host = options.host
    port = options.port
    if port == 0:
        try:
            port = _free_port(host)
        except OSError as e:
            return fail(f"cannot bind {host}: {e}")
    cores_given = _explicit_cores(sys.argv[1:] if argv is None else argv)
    cmd = [sys.executable, "-c", _CHILD_CODE, *_child_args(opts, settings_module, port, cores_given)]
    env["PYTHONUNBUFFERED"] = "1"  # the app's print() shows up at once, as without --dev
    env[_SUPERVISOR_ENV] = str(os.getpid())
    from .options import worker_preloads

    preload = worker_preloads()
    if preload:
        env[_CHILD_PRELOAD_ENV] = json.dumps(preload)
    use_inotify = os.environ.get("BOLT_DEV_POLL", "") in ("", "0")  # BOLT_DEV_POLL=1: mtime polling only
    if settings_module:
        # manage.py runbolt --dev: Django is set up, so django-bolt's setting can be read.
        from .conf import dev_force_polling

        use_inotify = use_inotify and not dev_force_polling()
    return _Supervisor(root, cmd, env, host, port, use_inotify=use_inotify, reload_dirs=reload_dirs).run()


# --- inside the child ----------------------------------------------------------------------------


def _read_word() -> str:
    return sys.stdin.buffer.readline().decode(errors="replace").strip()


def _child() -> None:
    """The child server: preload, wait for ``go``, load the project, wait for ``bind``, serve."""
    supervisor = int(os.environ.pop(_SUPERVISOR_ENV, "0") or 0)

    def _quit(signum: int, frame: Any) -> None:
        os._exit(0)  # nothing to clean up before the server runs

    signal.signal(signal.SIGINT, _quit)
    signal.signal(signal.SIGTERM, _quit)
    try:  # die with the supervisor, even if it is SIGKILLed
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:
        pass
    if supervisor and os.getppid() != supervisor:
        os._exit(0)
    import importlib

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in _PRELOAD:
            try:
                importlib.import_module(name)
            except Exception:
                pass  # the real start-up reports anything that matters
    if _read_word() != "go":
        os._exit(0)
    for function, argument in json.loads(os.environ.pop(_CHILD_PRELOAD_ENV, "") or "[]"):
        module, _, name = function.partition(":")
        try:
            getattr(importlib.import_module(module), name)(argument)
        except Exception:
            traceback.print_exc()
            sys.exit(1)
    from . import serve

    p = argparse.ArgumentParser(prog="bolt")
    add_server_arguments(p)
    opts = ServerOptions.from_dict(vars(p.parse_args(sys.argv[1:])))
    sys.exit(serve.run(opts, before_bind=_wait_for_bind))


def _wait_for_bind() -> None:
    """Until the supervisor says ``bind`` (the old server let go of the port). serve.run's
    SIGINT/SIGTERM handlers are in place here: a stop while waiting is a clean exit."""
    if _read_word() != "bind":
        raise KeyboardInterrupt
