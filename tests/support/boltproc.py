"""Start and stop a real ``bolt`` process on the demo project.

    server = BoltProcess.start(cores=1, driver=driver)    # waits for the banner
    ... talk to server.port ...
    server.stop()                                          # SIGINT, expects exit 0

Any other command (``bolt --dev``, ``manage.py runbolt``, bolt under a seccomp filter) runs the
same way: ``BoltProcess([...], cwd)``, then ``wait_ready()`` or ``wait_for(...)``.

``driver`` defaults to the driver under test (``BOLT_TEST_DRIVER``); when that names several,
a test that starts its own server must say which (take the ``driver`` fixture), so every
server of a run uses the driver the run is about.

The server picks its own port (``--port 0``) and reports it in its banner line,
``listening on http://127.0.0.1:<port>``: no bind-close-reuse port race.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from support.paths import DEMO
from support.wire import HOST, Conn

BANNER = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")
BANNER_DRIVERS = re.compile(r"\bdriver ([\w,]+)")
# What the banner may say for each --driver value (io_uring, epoll per worker).
EXPECTED_DRIVER = {"uring": {"io_uring"}, "epoll": {"epoll"}, "auto": {"io_uring", "epoll"}}
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


DRIVERS = ("uring", "epoll", "auto")


def drivers_under_test() -> list[str]:
    """The drivers ``BOLT_TEST_DRIVER`` names: ``uring`` (default), ``epoll``, ``auto``, a
    comma-separated list of them, or ``all`` (io_uring and epoll). Raises ValueError otherwise."""
    value = os.environ.get("BOLT_TEST_DRIVER", "uring").strip().lower()
    if value == "all":
        return ["uring", "epoll"]
    drivers = [d.strip() for d in value.split(",") if d.strip()]
    if not drivers or set(drivers) - set(DRIVERS):
        raise ValueError(f"BOLT_TEST_DRIVER={value!r}: expected uring, epoll, auto, all or a list")
    return drivers


def default_driver() -> str:
    """The one driver under test; with several, the caller must choose (the ``driver`` fixture)."""
    drivers = drivers_under_test()
    if len(drivers) != 1:
        raise RuntimeError(
            f"BOLT_TEST_DRIVER names several drivers {drivers}: pass driver= explicitly "
            "(take the `driver` fixture) so this server runs under each of them"
        )
    return drivers[0]


def bolt_executable() -> str:
    """The ``bolt`` console script of the running interpreter's environment
    (or ``$BOLT_BIN``, to test another build)."""
    if os.environ.get("BOLT_BIN"):
        return os.environ["BOLT_BIN"]
    beside = Path(sys.executable).parent / "bolt"
    if beside.exists():
        return str(beside)
    found = shutil.which("bolt")
    if found:
        return found
    raise RuntimeError(
        f"no `bolt` executable next to {sys.executable} or on PATH: "
        "install the package into the venv first (maturin develop / pip install -e .)"
    )


def server_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DEMO_DEBUG", None)  # the tests rely on DEBUG off (no tracebacks in 500s)
    env.pop("DEMO_NO_BOLT", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)  # bolt must find it from manage.py
    env["PYTHONUNBUFFERED"] = "1"
    # Tests share servers and look for an error's log line: none is held back as a repeat of
    # one an earlier test caused (tests/server/test_log_repeats.py sets its own interval).
    env["DEMO_LOG_REPEAT_INTERVAL"] = "0"
    # Servers start as on a developer's machine, with bytecode cached: this sandbox sets
    # PYTHONDONTWRITEBYTECODE, which makes every interpreter (the main one and each core's)
    # compile Django from source at each start, a quarter of a second each, and pushes
    # `bolt --dev`'s restart past its 2 s budget.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def serve(**launch) -> Iterator[BoltProcess]:
    """Generator behind a fixture: a started server (``BoltProcess.launch`` arguments), stopped
    afterwards with SIGINT, which it must survive to exit 0.

        @pytest.fixture(scope="module")
        def debug_server(demo_db, driver):
            yield from serve(cores=1, driver=driver, env={"DEMO_DEBUG": "1"})
    """
    server = BoltProcess.start(**launch)
    yield server
    code = server.stop()
    assert code == 0, f"bolt exited with {code} after SIGINT\n{server.output()}"


class _Drain(threading.Thread):
    """Reads a pipe line by line so the server never blocks on a full pipe."""

    def __init__(self, stream, on_line=None):
        super().__init__(daemon=True)
        self.stream = stream
        self.lines: list[str] = []
        self.on_line = on_line

    def run(self) -> None:
        for line in iter(self.stream.readline, ""):
            self.lines.append(line)
            if self.on_line:
                self.on_line(line)
        self.stream.close()

    def text(self) -> str:
        return "".join(self.lines)


class BoltProcess:
    def __init__(self, args: list[str], cwd: Path = DEMO, env: dict[str, str] | None = None):
        self.args = args
        self.port: int | None = None  # from the first banner
        self.ports: list[int] = []  # from every banner (``bolt --dev`` prints one per restart)
        self._ready = threading.Event()
        self._lines = threading.Condition()  # notified on every line of stdout or stderr
        self.proc = subprocess.Popen(
            args,
            cwd=cwd,
            env={**server_env(), **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
        self._out = _Drain(self.proc.stdout, self._on_stdout)
        self._err = _Drain(self.proc.stderr, self._on_stderr)
        self._out.start()
        self._err.start()

    @classmethod
    def launch(
        cls,
        *,
        cores: int | str = 1,
        driver: str | None = None,
        port: int = 0,
        log_level: str = "warning",
        extra: list[str] = (),
        cwd: Path = DEMO,
        env: dict[str, str] | None = None,
    ) -> BoltProcess:
        """Start bolt without waiting for it (see ``wait_ready``). ``driver`` defaults to the
        driver under test (``default_driver``); ``env`` adds to (or overrides) ``server_env()``."""
        if driver is None:
            driver = default_driver()
        args = [
            bolt_executable(),
            "--cores", str(cores),
            "--host", HOST,
            "--port", str(port),
            "--driver", driver,
            "--log-level", log_level,
            *extra,
        ]  # fmt: skip
        return cls(args, cwd, env=env)

    @classmethod
    def start(cls, **kwargs) -> BoltProcess:
        server = cls.launch(**kwargs)
        try:
            server.wait_ready()
        except BaseException:
            server.kill()
            raise
        return server

    def _on_stdout(self, line: str) -> None:
        with self._lines:
            m = BANNER.search(line)
            if m:
                self.ports.append(int(m.group(1)))
                if self.port is None:
                    self.port = int(m.group(1))
                    self._ready.set()
            self._lines.notify_all()

    def _on_stderr(self, line: str) -> None:
        with self._lines:
            self._lines.notify_all()

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def stdout(self) -> str:
        return self._out.text()

    @property
    def stderr(self) -> str:
        return self._err.text()

    @property
    def stderr_lines(self) -> list[str]:
        """The stderr lines so far (``len()`` of it marks a point to wait from, see ``wait_stderr``)."""
        return self._err.lines

    def output(self) -> str:
        return f"command: {' '.join(self.args)}\n--- stdout ---\n{self.stdout}--- stderr ---\n{self.stderr[-8000:]}"

    def wait_ready(self, timeout: float = START_TIMEOUT) -> int:
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.05):
            if self.proc.poll() is not None:
                self._join_drains()
                raise RuntimeError(f"bolt exited with code {self.proc.returncode} before its banner\n{self.output()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"no `listening on` banner within {timeout}s\n{self.output()}")
        assert self.port
        self._check_driver()
        return self.port

    def wait_for(self, predicate, timeout: float, what: str) -> None:
        """Waits until ``predicate()`` holds (checked on every line of output); fails, with the
        output, after ``timeout`` or when the process exits first."""
        deadline = time.monotonic() + timeout
        with self._lines:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {what} within {timeout}s\n{self.output()}")
                if self.proc.poll() is not None:
                    raise AssertionError(f"bolt exited with {self.proc.returncode} before {what}\n{self.output()}")
                self._lines.wait(min(left, 0.1))

    def wait_stdout(self, pattern: str, timeout: float = START_TIMEOUT) -> re.Match:
        """The first match of ``pattern`` on stdout, once there (see ``wait_for``)."""
        self.wait_for(lambda: re.search(pattern, self.stdout), timeout, f"{pattern!r} on stdout")
        return re.search(pattern, self.stdout)

    def wait_stderr(self, needle: str, start: int = 0, timeout: float = 10.0) -> str:
        """Waits for ``needle`` in the stderr lines from index ``start`` on (see ``wait_for``);
        returns those lines."""
        self.wait_for(lambda: needle in "".join(self._err.lines[start:]), timeout, f"{needle!r} on stderr")
        return "".join(self._err.lines[start:])

    def wait_log(self, text: str, timeout: float = 5.0) -> bool:
        """Whether ``text`` is on stderr within ``timeout`` (a record written just after the
        response went out); never fails by itself, the caller asserts."""
        deadline = time.monotonic() + timeout
        with self._lines:
            while text not in self.stderr and time.monotonic() < deadline:
                self._lines.wait(0.05)
        return text in self.stderr

    def worker_threads(self, want: int, attempts: int = 200) -> dict[int, int]:
        """interp_id -> native thread id of the thread that runs handlers for that worker (the
        demo's /claims/worker, asked on fresh connections until ``want`` workers answered)."""
        seen: dict[int, int] = {}
        for _ in range(attempts):
            with Conn(self.port) as conn:
                w = conn.request("GET", "/claims/worker").json()
            seen.setdefault(w["interp_id"], w["tid"])
            if len(seen) == want:
                break
        return seen

    @property
    def requested_driver(self) -> str | None:
        """The ``--driver`` value on the command line (None when not given: bolt's ``auto``)."""
        for i, a in enumerate(self.args):
            if a == "--driver" and i + 1 < len(self.args):
                return self.args[i + 1]
            if a.startswith("--driver="):
                return a.split("=", 1)[1]
        return None

    @property
    def drivers(self) -> list[str]:
        """The I/O driver of each worker, as the banner names them."""
        banner = next((line for line in self._out.lines if BANNER.search(line)), "")
        m = BANNER_DRIVERS.search(banner)
        return m.group(1).split(",") if m else []

    def _check_driver(self) -> None:
        """A server asked for a driver runs on it (no silent fallback): the run tests what it says."""
        want = self.requested_driver or "auto"
        got = self.drivers
        if not got or not set(got) <= EXPECTED_DRIVER[want]:
            self.kill()
            raise RuntimeError(f"asked for --driver {want}, the banner says {got}\n{self.output()}")

    def wait_exit(self, timeout: float) -> int | None:
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self._join_drains()
        return code

    def _join_drains(self) -> None:
        self._out.join(2)
        self._err.join(2)

    def is_alive(self) -> bool:
        return self.proc.poll() is None

    def assert_alive(self) -> None:
        if not self.is_alive():
            self._join_drains()
            raise AssertionError(f"bolt died with exit code {self.proc.returncode}\n{self.output()}")

    def stop(self, sig: int = signal.SIGINT, timeout: float = STOP_TIMEOUT) -> int:
        """Send ``sig``, wait for exit; returns the exit code (kills on timeout and raises)."""
        self.assert_alive()
        self.proc.send_signal(sig)
        code = self.wait_exit(timeout)
        if code is None:
            self.kill()
            raise AssertionError(f"bolt did not exit within {timeout}s of {signal.Signals(sig).name}\n{self.output()}")
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._join_drains()
